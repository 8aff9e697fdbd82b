"""DLPack and __cuda_array_interface__ interop: zero-copy exchange with NumPy,
PyTorch, CuPy, JAX... (``ember.from_dlpack``, ``ember.to_dlpack``, and the
``Tensor.__dlpack__`` / ``__dlpack_device__`` / ``__cuda_array_interface__``
protocol members).

ember queues all CUDA work on the legacy default stream, so exporting asks the
consumer to order after stream 1 and importing passes ``stream=1`` to the
producer.
"""
from . import _C
from .tensor import Tensor, _wrap, register_methods

__all__ = ["from_dlpack", "to_dlpack"]

_CPU, _CUDA, _CUDA_MANAGED = 1, 2, 13
_TYPESTR = {
    _C.DType.bool: "|b1", _C.DType.uint8: "|u1", _C.DType.int32: "<i4", _C.DType.int64: "<i8",
    _C.DType.float16: "<f2", _C.DType.float32: "<f4", _C.DType.float64: "<f8",
}


def _is_capsule(obj):
    return type(obj).__name__ == "PyCapsule"


def from_dlpack(ext_tensor):
    """A Tensor sharing memory with ``ext_tensor``: an object with ``__dlpack__``
    (NumPy array, torch/CuPy/JAX tensor...) or a DLPack capsule. Like torch.from_dlpack."""
    if not _is_capsule(ext_tensor) and hasattr(type(ext_tensor), "__dlpack__"):
        kwargs = {}
        dev_fn = getattr(ext_tensor, "__dlpack_device__", None)
        if dev_fn is not None and int(dev_fn()[0]) in (_CUDA, _CUDA_MANAGED):
            kwargs["stream"] = 1  # ember reads on the legacy default stream
        try:
            capsule = ext_tensor.__dlpack__(max_version=(1, 0), **kwargs)
        except TypeError:  # a producer from before DLPack 1.0 (no max_version keyword)
            capsule = ext_tensor.__dlpack__(**kwargs)
        return _wrap(_C.from_dlpack(capsule))
    return _wrap(_C.from_dlpack(ext_tensor))


def to_dlpack(tensor):
    """A legacy ("dltensor") DLPack capsule viewing ``tensor`` (like torch.utils.dlpack.to_dlpack)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"[to_dlpack] expected an ember.Tensor, got {type(tensor).__name__}")
    return _C.to_dlpack(tensor._a, False)


def _dlpack(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    if self.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    a = self._a
    copied = False
    if dl_device is not None:
        want = (int(dl_device[0]), int(dl_device[1]))
        have = tuple(_C.dlpack_device(a))
        if want != have:
            if want[0] != _CPU:
                raise BufferError(f"[__dlpack__] can't export a {self.device} tensor to DLPack device {want}")
            if copy is False:
                raise BufferError(f"[__dlpack__] dl_device={want} needs a copy of a {self.device} tensor, "
                                  "but copy=False")
            a = a.to_device(0, 0)
            copied = True
    if copy and not copied:
        a = a.clone()
        copied = True
    if a.device_type == 1 and stream not in (None, -1, 1):
        # The consumer reads on another stream: make ember's queued work finish first.
        _C.cuda.synchronize(a.device_index)
    versioned = max_version is not None and int(tuple(max_version)[0]) >= 1
    return _C.to_dlpack(a, versioned, copied)


def _dlpack_device(self):
    return tuple(_C.dlpack_device(self._a))


def _cuda_array_interface(self):
    a = self._a
    if a.device_type != 1:
        raise AttributeError(f"Can't get __cuda_array_interface__ on non-CUDA tensor type: {self.device}")
    if self.requires_grad:
        raise RuntimeError("Can't get __cuda_array_interface__ on a tensor that requires grad. "
                           "Use var.detach().__cuda_array_interface__ instead.")
    typestr = _TYPESTR.get(a.dtype)
    if typestr is None:
        raise TypeError(f"[__cuda_array_interface__] no typestr for {self.dtype}: convert with .float() first")
    itemsize = a.itemsize
    strides = None if a.is_contiguous() else tuple(s * itemsize for s in a.strides)
    return {
        "typestr": typestr,
        "shape": tuple(a.shape),
        "strides": strides,
        "data": (a.data_ptr if a.numel > 0 else 0, False),
        "version": 3,
        "stream": 1,  # ember's work is on the legacy default stream
    }


register_methods({
    "__dlpack__": _dlpack,
    "__dlpack_device__": _dlpack_device,
    "__cuda_array_interface__": property(_cuda_array_interface),
})
