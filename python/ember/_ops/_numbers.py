"""Python numbers and NumPy arrays going into tensors: byte order and value ranges,
checked as PyTorch does so that nothing wraps or is reinterpreted silently.

- NumPy arrays in non-native byte order are refused (torch.from_numpy / tensor /
  as_tensor raise ValueError), never read without a swap.
- Python ints beyond int64 raise ValueError ("Overflow when unpacking long long")
  unless the tensor is floating point; NumPy gives them as uint64 or object arrays.
- Python numbers converted to an integer dtype must fit it (unsigned types also take
  negatives down to -max, which wrap like torch's); NumPy arrays convert by casting,
  unchecked, as in torch.
- ``full`` checks its fill value against every dtype, floats included.
"""
import math

import numpy as np

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
# Finite range of each dtype a number must fit in (by dtype name).
_INT_RANGE = {"uint8": (-255, 255), "int32": (-(1 << 31), (1 << 31) - 1), "int64": (_INT64_MIN, _INT64_MAX)}
_FLOAT_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38, "float32": 3.4028234663852886e38}


def check_byte_order(arr, op):
    if not arr.dtype.isnative:
        raise ValueError(
            f"[{op}] given numpy array has byte order different from the native byte order. "
            "Conversion between byte orders is currently not supported."
        )


def _overflow_error(op, v):
    return ValueError(f"[{op}] Overflow when unpacking long long: {v} does not fit in int64")


def python_values(data, arr, d, op):
    """The array to build a tensor of dtype ``d`` from Python data ``data`` (``arr`` is
    np.asarray(data)), after PyTorch's range checks; raises like torch on overflow."""
    kind = arr.dtype.kind
    if kind == "O" or kind == "u" and arr.dtype.itemsize == 8:
        # Python ints beyond int64 (NumPy made uint64 or objects of them).
        try:
            wide = np.asarray(data, dtype=object).ravel()
        except (ValueError, TypeError):
            return arr
        big = [v for v in wide if isinstance(v, int) and not _INT64_MIN <= v <= _INT64_MAX]
        if not big and kind == "O":
            return arr
        if big and not d.is_floating_point:
            raise _overflow_error(op, big[0])
        try:
            arr = np.asarray(data, dtype=np.float64) if d.is_floating_point else arr.astype(np.int64)
        except (ValueError, TypeError, OverflowError):
            return arr
    rng = _INT_RANGE.get(d.name)
    if rng is not None and arr.size and arr.dtype.kind in "iuf":
        lo, hi = rng
        if arr.dtype.kind == "f":
            bad = ~np.isfinite(arr) | (arr < lo) | (arr >= hi + 1)
        else:
            bad = (arr < lo) | (arr > hi)
        if bad.any():
            v = arr[bad].ravel()[0]
            raise RuntimeError(f"[{op}] value cannot be converted to type {d.name} without overflow: got {v}")
    return arr


def check_fill(value, d, op):
    """PyTorch's checks on a fill value: ints must fit in 64 bits, then in ``d``."""
    if isinstance(value, bool) or d.name == "bool":
        return
    if isinstance(value, int):
        if value < _INT64_MIN:
            raise OverflowError(f"[{op}] can't convert negative int {value} to a 64-bit fill value")
        if value > (1 << 64) - 1:
            raise OverflowError(f"[{op}] int too big to convert: {value}")
    v = value
    rng = _INT_RANGE.get(d.name)
    if rng is not None:
        lo, hi = rng
        bad = (not math.isfinite(v) or v < lo or v >= hi + 1) if isinstance(v, float) else not lo <= v <= hi
    else:
        fmax = _FLOAT_MAX.get(d.name)
        bad = fmax is not None and math.isfinite(float(v)) and abs(float(v)) > fmax
    if bad:
        raise RuntimeError(f"[{op}] value cannot be converted to type {d.name} without overflow: got {value}")
