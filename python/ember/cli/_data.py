"""--data for the CLI: 'digits' (shipped with ember) or a path to a CSV file (last column =
integer class label), an IDX directory (MNIST layout), an image folder (one sub-folder per
class) or a text file (byte-level language modelling). Everything becomes NumPy arrays
here (data loading is the one place NumPy does the work); the models get ember tensors.

``load(cmd, spec, text)`` -> Data with x_train/y_train/x_test/y_test. Without a fixed
split (CSV, image folder, text) a seeded 80/20 (text: 90/10) split is drawn.
"""
import csv
import os
from dataclasses import dataclass, field

import numpy as np

from ._common import CLIError

TEXT_BLOCK = 64


@dataclass
class Data:
    kind: str                      # 'image' | 'tabular' | 'text'
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    source: str
    extra: dict = field(default_factory=dict)

    @property
    def input_shape(self):
        return tuple(int(s) for s in self.x_train.shape[1:])


def detect(cmd, spec):
    if spec == "digits":
        return "digits"
    path = os.path.expanduser(spec)
    if not os.path.exists(path):
        raise CLIError(f"[{cmd}] --data: no such file or directory: {spec} (use 'digits' or a path to a CSV file, "
                       "an IDX directory, an image folder or a text file)")
    if os.path.isdir(path):
        names = os.listdir(path)
        if any(n.startswith(("train-images", "t10k-images")) for n in names) or os.path.isdir(
                os.path.join(path, "MNIST")):
            return "idx"
        return "folder"
    return "csv" if path.lower().endswith((".csv", ".tsv")) else "text"


def _split(n, frac, seed):
    perm = np.random.default_rng(seed).permutation(n)
    k = max(1, int(round(n * frac)))
    return perm[k:], perm[:k]


def _labels(cmd, y, source):
    y = np.asarray(y)
    if y.size == 0:
        raise CLIError(f"[{cmd}] {source}: no samples")
    if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
        raise CLIError(f"[{cmd}] {source}: labels must be whole numbers (class indices)")
    y = y.astype(np.int64)
    if y.min() < 0:
        raise CLIError(f"[{cmd}] {source}: labels out of range: expected class indices >= 0, got {int(y.min())}")
    return y


def _digits():
    from ..datasets import Digits

    tr, te = Digits(train=True), Digits(train=False)
    return Data("image", tr._images, tr._labels, te._images, te._labels, 10, "digits")


def _idx(path):
    from ..datasets import MNIST

    tr, te = MNIST(path, train=True), MNIST(path, train=False)
    f = lambda d: (d._images.astype(np.float32) / 255.0)[:, None]  # noqa: E731
    y_tr, y_te = _labels("train", tr._labels, path), _labels("train", te._labels, path)
    return Data("image", f(tr), y_tr, f(te), y_te, int(max(y_tr.max(), y_te.max())) + 1, path)


def _folder(cmd, path, seed):
    from ..datasets import ImageFolder

    ds = ImageFolder(path)
    xs = [ds[i][0].numpy() for i in range(len(ds))]
    shapes = {x.shape for x in xs}
    if len(shapes) != 1:
        raise CLIError(f"[{cmd}] {path}: images must all have one size, got {sorted(shapes)[:3]}")
    x = np.stack(xs).astype(np.float32)
    y = np.asarray(ds.targets, dtype=np.int64)
    tr, te = _split(len(y), 0.2, seed)
    return Data("image", x[tr], y[tr], x[te], y[te], len(ds.classes), path, {"classes": list(ds.classes)})


def csv_columns(path):
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if row and any(c.strip() for c in row):
                return len(row)
    raise CLIError(f"[csv] {path} is empty")


def read_csv(cmd, path, n_features=None):
    """(features, labels or None): the last column is the label unless the file has exactly
    ``n_features`` columns (features only, as for predict)."""
    from ..datasets import CSVDataset

    ncols = csv_columns(path)
    try:
        if n_features is not None and ncols == n_features:
            ds = CSVDataset(path, target_column=0, feature_columns=list(range(ncols)))
            return ds.data.numpy(), None
        ds = CSVDataset(path, target_column=-1)
    except KeyError as e:
        raise CLIError(str(e.args[0] if e.args else e)) from None
    except (ValueError, IndexError, TypeError) as e:
        raise CLIError(str(e)) from None
    return ds.data.numpy().astype(np.float32), _labels(cmd, ds.targets.numpy(), path)


def _csv(cmd, path, seed):
    x, y = read_csv(cmd, path)
    tr, te = _split(len(y), 0.2, seed)
    mean, std = x[tr].mean(0), x[tr].std(0) + 1e-6
    x = (x - mean) / std
    return Data("tabular", x[tr], y[tr], x[te], y[te], int(y.max()) + 1, path,
                {"mean": mean.tolist(), "std": std.tolist()})


def text_blocks(cmd, path, block=TEXT_BLOCK):
    """Non-overlapping chunks of block+1 bytes: inputs (N, block), next-byte targets (N, block)."""
    with open(path, "rb") as f:
        ids = np.frombuffer(f.read(), dtype=np.uint8).astype(np.int64)
    n = (len(ids) - 1) // block
    if n < 2:
        raise CLIError(f"[{cmd}] {path}: text too short: need more than {2 * block + 1} bytes, got {len(ids)}")
    x = ids[: n * block].reshape(n, block)
    y = ids[1: n * block + 1].reshape(n, block)
    return x, y


def _text(cmd, path, seed):
    x, y = text_blocks(cmd, path)
    k = max(1, len(x) // 10)
    return Data("text", x[:-k], y[:-k], x[-k:], y[-k:], 256, path)


def load(cmd, spec, text=False, seed=0):
    kind = detect(cmd, spec)
    if text != (kind == "text"):
        want = "a text file" if text else "'digits', a CSV file, an IDX directory or an image folder"
        raise CLIError(f"[{cmd}] this model needs {want} as --data, got {spec!r} ({kind})")
    path = os.path.expanduser(spec)
    if kind == "digits":
        return _digits()
    if kind == "idx":
        return _idx(path)
    if kind == "folder":
        return _folder(cmd, path, seed)
    if kind == "csv":
        return _csv(cmd, path, seed)
    return _text(cmd, path, seed)
