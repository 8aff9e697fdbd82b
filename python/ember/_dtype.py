"""ember dtypes: PyTorch-named objects (ember.float32, ember.int64, ...) over _C.DType."""
import numpy as np

from . import _C

__all__ = ["dtype"]


class dtype:
    """An element type. Compare with ``==``; ``str(ember.float32) == 'ember.float32'``."""

    __slots__ = ("name", "_c", "itemsize", "is_floating_point", "is_complex", "is_signed")

    def __init__(self, name, c, is_floating_point, is_signed):
        self.name = name
        self._c = c
        self.itemsize = _C.itemsize(c)
        self.is_floating_point = is_floating_point
        self.is_complex = False
        self.is_signed = is_signed

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_complex(self):
        raise TypeError(f"[dtype] ember has no complex dtypes (from {self})")


_D = _C.DType
bool_ = dtype("bool", _D.bool, False, False)
uint8 = dtype("uint8", _D.uint8, False, False)
int32 = dtype("int32", _D.int32, False, True)
int64 = dtype("int64", _D.int64, False, True)
float16 = dtype("float16", _D.float16, True, True)
bfloat16 = dtype("bfloat16", _D.bfloat16, True, True)
float32 = dtype("float32", _D.float32, True, True)
float64 = dtype("float64", _D.float64, True, True)

ALL = (bool_, uint8, int32, int64, float16, bfloat16, float32, float64)
FROM_C = {d._c: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}


def _dtype_by_name(name):
    return _BY_NAME[name]


_NUMPY_TO = {
    np.dtype(np.bool_): bool_,
    np.dtype(np.uint8): uint8,
    np.dtype(np.int32): int32,
    np.dtype(np.int64): int64,
    np.dtype(np.float16): float16,
    np.dtype(np.float32): float32,
    np.dtype(np.float64): float64,
}
_TO_NUMPY = {v: k for k, v in _NUMPY_TO.items()}


def from_numpy_dtype(npdt):
    d = _NUMPY_TO.get(np.dtype(npdt))
    if d is None:
        raise TypeError(
            f"[tensor] unsupported NumPy dtype {np.dtype(npdt)}: expected float64, float32, float16, "
            "int64, int32, uint8 or bool"
        )
    return d


def to_numpy_dtype(d):
    npdt = _TO_NUMPY.get(d)
    if npdt is None:
        raise TypeError(f"[numpy] NumPy has no {d.name} dtype: convert with .float() first")
    return npdt


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"[set_default_dtype] expected a floating point dtype, got {d}")
    _default[0] = d


def promote_types(a, b):
    return FROM_C[_C.promote_types(a._c, b._c)]


def as_dtype(d, op="dtype"):
    """Accepts an ember.dtype, a NumPy dtype/type, or a Python type (float, int, bool)."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _default[0]
    if d is int:
        return int64
    if d is bool:
        return bool_
    try:
        return from_numpy_dtype(d)
    except Exception:
        pass
    raise TypeError(f"[{op}] expected an ember dtype, got {d!r}")
