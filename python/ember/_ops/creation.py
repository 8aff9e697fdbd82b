"""Tensor creation (tensor, zeros, ones, full, empty, *_like, from_numpy) and the
conversions every tensor has (to, cpu, cuda, float, clone, contiguous, copy_)."""
import numbers

import numpy as np

from .. import _C
from .._device import as_device, device as _device_cls, from_array
from .._dtype import FROM_C, as_dtype, bool_, dtype as _dtype_cls, float32, from_numpy_dtype, get_default_dtype, int64
from ..autograd.function import Function
from ..autograd.grad_mode import _inf_ever
from . import _numbers
from ..tensor import Tensor, _check_inplace_inference, _wrap, needs_grad, register_methods, sum_to_shape

__all__ = [
    "tensor", "as_tensor", "from_numpy", "asarray", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "empty_like", "scalar_tensor",
]


_INT64_MAX = (1 << 63) - 1


def _size_args(args, op, kwargs_size=None):
    """Sizes given as f(2, 3), f((2, 3)), f([2, 3]) or size=(2, 3)."""
    if kwargs_size is not None:
        if args:
            raise TypeError(f"[{op}] size given both positionally and as size=")
        args = (kwargs_size,)
    elif not args:  # torch.zeros() is a TypeError; the 0-d form is zeros(()) or size=()
        raise TypeError(f'[{op}] missing 1 required positional arguments: "size"')
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for s in args:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"[{op}] size must be a tuple of ints, got {type(s).__name__} in {args!r}")
        if s < 0:
            raise RuntimeError(f"[{op}] negative dimension {s} in size {tuple(args)}")  # torch's type
        if s > _INT64_MAX:  # torch: "failed to unpack ... Overflow when unpacking long long"
            raise TypeError(f"[{op}] size {int(s)} in {tuple(args)} does not fit in int64")
        out.append(int(s))
    return out


def _check_alloc(size, d, op):
    """Raises "[op] ... overflows" when numel or bytes of ``size`` exceed int64 (checked in
    Python ints, so the op is named; C++ re-checks everything as the one authority)."""
    n = 1
    for s in size:
        n *= s
    if n > _INT64_MAX or n * d.itemsize > _INT64_MAX:
        raise RuntimeError(f"[{op}] size overflow: shape {tuple(size)} ({n} elements of {d.itemsize} bytes) "
                           f"needs more than 2^63 bytes")


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """dtype ember.tensor gives Python data: bool, int64, or the default float."""
    if isinstance(data, np.ndarray):
        return from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        return from_numpy_dtype(data.dtype)
    arr = np.asarray(data)
    if arr.dtype == np.bool_:
        return bool_
    if np.issubdtype(arr.dtype, np.integer):
        return int64
    if np.issubdtype(arr.dtype, np.floating):
        return get_default_dtype()
    raise TypeError(f"[tensor] could not infer dtype of {type(data).__name__}")


def _from_python(data, dtype, op):
    if isinstance(data, Tensor):
        return data
    try:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat_probe(data)):
            data = _nested_to_numpy(data)
        arr = np.asarray(data)
    except (ValueError, TypeError) as e:
        raise ValueError(f"[{op}] could not convert {type(data).__name__} to a tensor: {e}") from None
    if isinstance(data, np.ndarray):
        _numbers.check_byte_order(data, op)
    else:  # Python numbers: out-of-range values raise as in torch instead of wrapping
        want = as_dtype(dtype, op) if dtype is not None else None
        if want is None and arr.dtype.kind in "Ou":
            floats = any(isinstance(v, float) for v in np.asarray(data, dtype=object).ravel())
            want = dtype = get_default_dtype() if floats else int64
        if want is not None:
            arr = _numbers.python_values(data, arr, want, op)
    if arr.dtype == object:
        raise TypeError(f"[{op}] could not convert data of type {type(data).__name__} (ragged or non-numeric)")
    d = as_dtype(dtype, op) if dtype is not None else _infer_dtype(data)
    if arr.dtype.kind == "c":
        raise TypeError(f"[{op}] ember has no complex dtypes")
    npdt = arr.dtype
    if npdt not in (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.int64),
                    np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.bool_)):
        arr = arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64)
    a = _C.from_numpy(arr if arr.flags.c_contiguous else arr.copy())  # keeps 0-d arrays 0-d
    return _wrap(a), d


def _flat_probe(data):
    x = data
    while isinstance(x, (list, tuple)) and x:
        x = x[0]
    return [x]


def _nested_to_numpy(data):
    if isinstance(data, Tensor):
        return data.detach().numpy(force=True)
    if isinstance(data, (list, tuple)):
        return np.stack([_nested_to_numpy(x) for x in data]) if data else np.zeros((0,))
    return np.asarray(data)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (lists, scalars, NumPy arrays, tensors)."""
    if isinstance(data, Tensor):
        a = data._a.clone()
        if dtype is not None:
            a = a.to_dtype(as_dtype(dtype, "tensor")._c)
    else:
        t, d = _from_python(data, dtype, "tensor")
        a = t._a.to_dtype(d._c)
        if a.same_storage(t._a) or a.storage_use_count > 1:
            a = a.clone()
    if device is not None:
        a = a.to_device(*as_device(device))
    if pin_memory and a.device_type == 0:
        a = _C.cuda.pin_memory(a)  # page-locked host memory (needs a CUDA device)
    return _finish(_wrap(a), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a tensor or NumPy array when it can."""
    if isinstance(data, Tensor):
        t = data
        if dtype is not None:
            t = t.to(dtype)
        return t.to(device) if device is not None else t
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf" and all(s >= 0 for s in data.strides):
        try:
            t = from_numpy(data)
        except TypeError:
            t = tensor(data)
        if dtype is not None:
            t = t.to(dtype)
        return t.to(device) if device is not None else t
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array (writes show on both sides)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"[from_numpy] expected np.ndarray, got {type(ndarray).__name__}")
    _numbers.check_byte_order(ndarray, "from_numpy")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(
            "[from_numpy] at least one stride in the given numpy array is negative; "
            "pass a copy (np.ascontiguousarray) instead"
        )
    return _wrap(_C.from_numpy(ndarray))


def _create(op, args, kwargs, fill):
    size = _size_args(args, op, kwargs.pop("size", None))
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    requires_grad = kwargs.pop("requires_grad", False)
    kwargs.pop("layout", None)
    kwargs.pop("pin_memory", None)
    kwargs.pop("memory_format", None)
    out = kwargs.pop("out", None)
    if kwargs:
        raise TypeError(f"[{op}] unexpected keyword arguments {sorted(kwargs)}")
    d = as_dtype(dtype, op) if dtype is not None else (
        int64 if op == "full" and isinstance(fill, int) and not isinstance(fill, bool)
        else bool_ if op == "full" and isinstance(fill, bool) else get_default_dtype())
    dt, di = as_device(dev)
    _check_alloc(size, d, op)
    if fill is None:
        a = _C.empty(size, d._c, dt, di)
    elif fill == 0 and not isinstance(fill, float) or fill == 0.0:
        a = _C.zeros(size, d._c, dt, di)
    else:
        a = _C.full(size, float(fill), d._c, dt, di)
    t = _wrap(a)
    if out is not None:
        out._a = a
        return out
    return _finish(t, requires_grad)


def zeros(*size, **kwargs):
    return _create("zeros", size, kwargs, 0)


def ones(*size, **kwargs):
    return _create("ones", size, kwargs, 1.0)


def empty(*size, **kwargs):
    return _create("empty", size, kwargs, None)


def full(size, fill_value, **kwargs):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, numbers.Number):
        raise TypeError(f"[full] fill_value must be a number, got {type(fill_value).__name__}")
    dt = kwargs.get("dtype")
    d = as_dtype(dt, "full") if dt is not None else (
        int64 if isinstance(fill_value, int) and not isinstance(fill_value, bool)
        else bool_ if isinstance(fill_value, bool) else get_default_dtype())
    _numbers.check_fill(fill_value, d, "full")
    t = _create("full", (size,), kwargs, fill_value)
    if d == int64 and isinstance(fill_value, numbers.Integral) and abs(int(fill_value)) > 2 ** 53:
        # _C.full takes a double: write ints a double can't hold exactly from an exact int64 scalar.
        t._a.copy_(tensor(int(fill_value), dtype=int64)._a.expand(list(t._a.shape)))
    return t


def scalar_tensor(s, dtype=None, device=None, requires_grad=False):
    return full((), s, dtype=dtype or get_default_dtype(), device=device, requires_grad=requires_grad)


def _like(op, t, fill, kwargs):
    if not isinstance(t, Tensor):
        raise TypeError(f"[{op}] expected a Tensor, got {type(t).__name__}")
    kwargs.setdefault("dtype", t.dtype)
    kwargs.setdefault("device", from_array(t._a))
    kwargs.pop("memory_format", None)
    return _create(op, (tuple(t._a.shape),), kwargs, fill)


def zeros_like(input, **kwargs):
    return _like("zeros_like", input, 0, kwargs)


def ones_like(input, **kwargs):
    return _like("ones_like", input, 1.0, kwargs)


def empty_like(input, **kwargs):
    return _like("empty_like", input, None, kwargs)


def full_like(input, fill_value, **kwargs):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _like("full_like", input, float(fill_value) if not isinstance(fill_value, bool) else fill_value, kwargs)


def _legacy_new(cls, args, kwargs):
    """torch.Tensor(...) constructor forms."""
    if kwargs.get("device") is not None or kwargs.get("dtype") is not None:
        raise TypeError("[Tensor] the legacy constructor takes no dtype/device: use ember.tensor(data, ...)")
    if not args:
        t = zeros(0)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        t = _wrap(args[0]._a)
    elif all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        t = empty(*args)
    elif len(args) == 1:
        t = tensor(args[0], dtype=float32)
    else:
        raise TypeError(f"[Tensor] invalid arguments {args!r}")
    if cls is not Tensor:
        obj = object.__new__(cls)
        for k in Tensor.__slots__:
            if k != "__weakref__":
                setattr(obj, k, getattr(t, k))
        return obj
    return t


# ---------------------------------------------------------------- conversions


class _ToCopy(Function):
    @staticmethod
    def forward(ctx, x, dt, dev, non_blocking=False):
        ctx.src = (x._a.dtype, x._a.device_type, x._a.device_index)
        a = x._a
        if dt is not None and a.dtype != dt:
            a = a.to_dtype(dt)
        if dev is not None and (a.device_type, a.device_index) != dev:
            # non_blocking: asynchronous from pinned host memory (see Tensor.pin_memory)
            a = _C.cuda.to_device(a, dev[0], dev[1], True) if non_blocking else a.to_device(*dev)
        return _wrap(a)

    @staticmethod
    def backward(ctx, g):
        dt, dtype_, di = ctx.src
        return _ToCopy.apply(g, dt, (dtype_, di)), None, None, None


def _parse_to(args, kwargs):
    dt = dev = None
    for a in args:
        if isinstance(a, _dtype_cls):
            dt = a
        elif isinstance(a, (str, _device_cls)) or (isinstance(a, int) and not isinstance(a, bool)):
            dev = a
        elif isinstance(a, Tensor):
            dt, dev = a.dtype, a.device
        elif a is None:
            continue
        else:
            raise TypeError(f"[to] unexpected argument {a!r}")
    if kwargs.get("dtype") is not None:
        dt = as_dtype(kwargs["dtype"], "to")
    if kwargs.get("device") is not None:
        dev = kwargs["device"]
    return dt, dev


def to(self, *args, **kwargs):
    """to(dtype) / to(device) / to(device, dtype) / to(other): self when nothing changes."""
    dt, dev = _parse_to(args, kwargs)
    copy = kwargs.get("copy", False)
    cdt = dt._c if dt is not None else None
    cdev = as_device(dev) if dev is not None else None
    same_dt = cdt is None or cdt == self._a.dtype
    same_dev = cdev is None or cdev == (self._a.device_type, self._a.device_index)
    if same_dt and same_dev:
        return self.clone() if copy else self
    return _ToCopy.apply(self, cdt, cdev, bool(kwargs.get("non_blocking", False)))


def _cast(dt):
    def method(self, memory_format=None):
        return to(self, dt)

    return method


def cpu(self, memory_format=None):
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False, memory_format=None):
    if device is None:  # the current device, like torch
        device = _C.cuda.current_device() if _C.cuda.device_count() > 0 else 0
    if isinstance(device, int):
        device = _device_cls("cuda", device)
    return to(self, device, non_blocking=non_blocking)


def type_(self, dtype=None, non_blocking=False, **kwargs):
    if dtype is None:  # torch: 'torch.cuda.FloatTensor' for a CUDA tensor
        return ("ember.cuda." if self._a.device_type == 1 else "ember.") + {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                           "int32": "IntTensor", "bool": "BoolTensor", "float16": "HalfTensor",
                           "bfloat16": "BFloat16Tensor", "uint8": "ByteTensor"}[self.dtype.name]
    return to(self, as_dtype(dtype, "type"))


class _Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return _wrap(x._a.clone())

    @staticmethod
    def backward(ctx, g):
        return g


def clone(self, memory_format=None):
    return _Clone.apply(self)


def contiguous(self, memory_format=None):
    if self._a.is_contiguous():
        return self
    return _Clone.apply(self)


class _Copy(Function):
    @staticmethod
    def forward(ctx, dst, src):
        ctx.src_meta = (src._a.dtype, src._a.device_type, src._a.device_index, src._a.shape)
        dst._a.copy_(src._a)
        ctx.mark_dirty(dst)
        return dst

    @staticmethod
    def backward(ctx, g):
        dt, dty, di, shape = ctx.src_meta
        gs = _ToCopy.apply(g, dt, (dty, di))
        return zeros_like(g), sum_to_shape(gs, shape)


def copy_(self, src, non_blocking=False):
    if isinstance(src, numbers.Real) and not isinstance(src, Tensor):
        # torch takes a Python number as a 0-d source, i.e. a fill
        if isinstance(src, numbers.Integral) and not -(1 << 63) <= int(src) < (1 << 63):
            raise OverflowError(f"[copy_] int too big to convert: {int(src)}")
        return fill_(self, src)
    if not isinstance(src, Tensor):
        raise TypeError(f"[copy_] expected a Tensor source, got {type(src).__name__}")
    if _inf_ever[0]:
        _check_inplace_inference(self)
    if needs_grad(self, src):
        return _Copy.apply(self, src)
    if non_blocking:
        _C.cuda.copy_(self._a, src._a, True)
    else:
        self._a.copy_(src._a)
    return self


class _Fill(Function):
    @staticmethod
    def forward(ctx, x, value):
        x._a.fill_(value)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return zeros_like(g), None


def fill_(self, value):
    if _inf_ever[0]:
        _check_inplace_inference(self)
    if isinstance(value, Tensor):
        value = value.item()
    if needs_grad(self):
        return _Fill.apply(self, float(value))
    self._a.fill_(float(value))
    return self


def zero_(self):
    if _inf_ever[0]:
        _check_inplace_inference(self)
    if needs_grad(self):
        return _Fill.apply(self, 0.0)
    self._a.zero_()
    return self


def _new_like(self, kwargs):
    kwargs.setdefault("dtype", self.dtype)
    kwargs.setdefault("device", self.device)
    return kwargs


def new_zeros(self, *size, **kwargs):
    return zeros(*size, **_new_like(self, kwargs))


def new_ones(self, *size, **kwargs):
    return ones(*size, **_new_like(self, kwargs))


def new_empty(self, *size, **kwargs):
    return empty(*size, **_new_like(self, kwargs))


def new_full(self, size, fill_value, **kwargs):
    return full(size, fill_value, **_new_like(self, kwargs))


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


register_methods({
    "to": to, "cpu": cpu, "cuda": cuda, "type": type_, "clone": clone, "contiguous": contiguous,
    "copy_": copy_, "fill_": fill_, "zero_": zero_,
    "float": _cast(float32), "double": _cast(FROM_C[_C.DType.float64]), "half": _cast(FROM_C[_C.DType.float16]),
    "bfloat16": _cast(FROM_C[_C.DType.bfloat16]), "int": _cast(FROM_C[_C.DType.int32]), "long": _cast(int64),
    "bool": _cast(bool_), "byte": _cast(FROM_C[_C.DType.uint8]),
    "new_zeros": new_zeros, "new_ones": new_ones, "new_empty": new_empty, "new_full": new_full,
    "new_tensor": new_tensor,
})
