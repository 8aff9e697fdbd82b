"""CSVDataset: a table of numbers from a CSV file the user gives.

Every column must be numeric (empty fields are NaN); the target column is split off.
The whole file is parsed once with Python's csv module and converted column by column
(so a bad value is reported with its column, line and file).
"""
import csv
import math
import os

import numpy as np

from .._dtype import float32, float64, int64
from .._ops.creation import from_numpy
from ..utils.data import Dataset

__all__ = ["CSVDataset"]

_NP = {float32: np.float32, float64: np.float64, int64: np.int64}


def _column(op, path, name, values, first_line):
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        v = v.strip()
        if not v:
            out[i] = math.nan
            continue
        try:
            out[i] = float(v)
        except ValueError:
            raise ValueError(f"[{op}] column {name!r} of {path} is not numeric: line {first_line + i} has "
                             f"{v!r}") from None
    return out


class CSVDataset(Dataset):
    """``CSVDataset(path, target_column, feature_columns=None, delimiter=",", header=True,
    dtype=ember.float32, target_dtype=None)``.

    ``target_column`` is a header name (or a 0-based index; the only way when
    ``header=False``); ``feature_columns`` selects and orders the inputs (default: every
    other column). A sample is ``(features, target)``: a 1-d tensor of ``dtype`` and a
    0-d tensor, int64 when ``target_dtype`` is None and every target is a whole number
    (class labels), else float32. ``data``, ``targets``, ``feature_names`` and
    ``target_name`` describe the whole table.
    """

    def __init__(self, path, target_column, feature_columns=None, delimiter=",", header=True, dtype=float32,
                 target_dtype=None):
        op = "CSVDataset"
        path = os.path.expanduser(os.fspath(path))
        if not os.path.isfile(path):
            raise FileNotFoundError(f"[{op}] file not found: {path}")
        if dtype not in _NP or (target_dtype is not None and target_dtype not in _NP):
            raise TypeError(f"[{op}] dtype and target_dtype must be ember.float32, float64 or int64, got "
                            f"{dtype}, {target_dtype}")
        with open(path, newline="") as f:
            rows = [(n, r) for n, r in enumerate(csv.reader(f, delimiter=delimiter), 1) if r and any(c.strip()
                                                                                                     for c in r)]
        if header:
            if not rows:
                raise ValueError(f"[{op}] {path} is empty: expected a header line")
            names = [c.strip() for c in rows[0][1]]
            rows = rows[1:]
        else:
            names = [str(i) for i in range(len(rows[0][1]))] if rows else []
        if not rows:
            raise ValueError(f"[{op}] {path} has no data rows")
        for n, r in rows:
            if len(r) != len(names):
                raise ValueError(f"[{op}] {path} line {n}: expected {len(names)} fields, got {len(r)}")

        def col_index(c):
            if isinstance(c, bool):
                raise TypeError(f"[{op}] column must be a name or an int index, got {c!r}")
            if isinstance(c, int):
                if not -len(names) <= c < len(names):
                    raise IndexError(f"[{op}] column index {c} out of range for {len(names)} columns in {path}")
                return c % len(names)
            if c not in names:
                raise KeyError(f"[{op}] column {c!r} not found in {path}; columns are {names}")
            return names.index(c)

        t = col_index(target_column)
        feats = [col_index(c) for c in feature_columns] if feature_columns is not None else [
            i for i in range(len(names)) if i != t]
        if not feats:
            raise ValueError(f"[{op}] {path}: no feature columns besides the target")
        first_line = rows[0][0]
        cols = {i: _column(op, path, names[i], [r[i] for _, r in rows], first_line) for i in set(feats + [t])}
        y = cols[t]
        if target_dtype is None:
            target_dtype = int64 if np.all(np.isfinite(y)) and np.all(y == np.round(y)) else float32
        elif target_dtype is int64 and not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(f"[{op}] target column {names[t]!r} of {path} has non-integer values for int64")
        x = np.stack([cols[i] for i in feats], axis=1).astype(_NP[dtype])
        self.path = path
        self.feature_names = [names[i] for i in feats]
        self.target_name = names[t]
        self.data = from_numpy(x)
        self.targets = from_numpy(y.astype(_NP[target_dtype]))

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        return self.data[index], self.targets[index]
