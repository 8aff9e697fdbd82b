"""Range and matrix factories: arange, range, linspace, logspace, eye.

dtype inference follows torch: arange with all-int arguments gives int64, any float
argument gives the default float dtype; linspace/logspace/eye give the default float.
"""
import numbers
import warnings

from .. import _C
from .._device import as_device
from .._dtype import as_dtype, get_default_dtype, int64
from ..tensor import Tensor, _wrap

__all__ = ["arange", "linspace", "logspace", "eye", "triu_indices", "tril_indices"]


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _fits_int64(v, op, what):
    """Python ints beyond int64 raise torch's ValueError (they never wrap on the way to C++)."""
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise ValueError(f"[{op}] {what} {int(v)} does not fit in int64")


def _num(x, op, what):
    if isinstance(x, Tensor):
        x = x.item()
    if not isinstance(x, numbers.Number) or isinstance(x, complex):
        raise TypeError(f"[{op}] {what} must be a real number, got {type(x).__name__}")
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        # torch's Python-int -> Scalar conversion: beyond [-2^63, 2^64) is an OverflowError
        # (values in [2^63, 2^64) convert, and fail later where an int64 is needed).
        if int(x) < _INT64_MIN:
            raise OverflowError(f"[{op}] can't convert negative int {int(x)} ({what}) to unsigned")
        if int(x) >= 1 << 64:
            raise OverflowError(f"[{op}] int too big to convert: {what} {int(x)}")
    return x


def _finish(a, device, requires_grad):
    t = _wrap(a)
    if requires_grad:
        t.requires_grad_(True)
    return t


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False):
    if end is None:
        start, end = 0, start
    start, end, step = (_num(start, "arange", "start"), _num(end, "arange", "end"), _num(step, "arange", "step"))
    if dtype is None:
        all_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        d = int64 if all_int else get_default_dtype()
    else:
        d = as_dtype(dtype, "arange")
    dt, di = as_device(device)
    if d == int64 and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (start, end, step)):
        # Exact integer path: a double would round arguments beyond 2^53.
        for v, what in ((start, "start"), (end, "end"), (step, "step")):
            if not _INT64_MIN <= int(v) <= _INT64_MAX:
                raise RuntimeError(f"[arange] {what} {int(v)} does not fit in int64")
        a = _C.arange_int64(int(start), int(end), int(step), d._c, dt, di)
    else:
        a = _C.arange(float(start), float(end), float(step), d._c, dt, di)
    if out is not None:
        out._a = a
        return out
    return _finish(a, device, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):  # noqa: A001
    """Deprecated torch.range: includes end."""
    warnings.warn("ember.range is deprecated; use ember.arange (which excludes end)", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    d = as_dtype(dtype, "range") if dtype is not None else get_default_dtype()
    n = int((end - start) // step) + 1
    return arange(0, n, dtype=d, device=device, requires_grad=False) * step + start if n > 0 else arange(
        0, 0, dtype=d, device=device)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    start, end = _num(start, "linspace", "start"), _num(end, "linspace", "end")
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        raise TypeError(f"[linspace] steps must be an int, got {type(steps).__name__}")
    _fits_int64(steps, "linspace", "steps")
    d = as_dtype(dtype, "linspace") if dtype is not None else get_default_dtype()
    dt, di = as_device(device)
    a = _C.linspace(float(start), float(end), int(steps), d._c, dt, di)
    if out is not None:
        out._a = a
        return out
    return _finish(a, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    start, end = _num(start, "logspace", "start"), _num(end, "logspace", "end")
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        raise TypeError(f"[logspace] steps must be an int, got {type(steps).__name__}")
    _fits_int64(steps, "logspace", "steps")
    d = as_dtype(dtype, "logspace") if dtype is not None else get_default_dtype()
    dt, di = as_device(device)
    a = _C.logspace(float(start), float(end), int(steps), float(base), d._c, dt, di)
    if out is not None:
        out._a = a
        return out
    return _finish(a, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    for v, w in ((n, "n"), (m, "m")):
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool)):
            raise TypeError(f"[eye] {w} must be an int, got {type(v).__name__}")
        if v is not None:
            _fits_int64(v, "eye", w)
    d = as_dtype(dtype, "eye") if dtype is not None else get_default_dtype()
    dt, di = as_device(device)
    a = _C.eye(int(n), -1 if m is None else int(m), d._c, dt, di)
    if out is not None:
        out._a = a
        return out
    return _finish(a, device, requires_grad)


def _tri_indices(row, col, offset, upper, dtype, device, op):
    for v, what in ((row, "row"), (col, "col")):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise RuntimeError(f"[{op}] {what} must be a non-negative int, got {v!r}")
    from .shape import stack  # noqa: PLC0415  (shape imports this module)
    r = arange(row, dtype=int64, device=device).reshape(-1, 1).expand(row, col)
    c = arange(col, dtype=int64, device=device).reshape(1, -1).expand(row, col)
    keep = (c - r >= offset) if upper else (c - r <= offset)
    return stack([r.masked_select(keep), c.masked_select(keep)]).to(dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """(2, K) row/column indices of the upper triangle (diagonal ``offset`` and above), row-major."""
    return _tri_indices(row, col, offset, True, dtype or int64, device, "triu_indices")


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """(2, K) row/column indices of the lower triangle (diagonal ``offset`` and below), row-major."""
    return _tri_indices(row, col, offset, False, dtype or int64, device, "tril_indices")
