"""ember.cuda: CUDA device queries and memory statistics (torch.cuda's API).

Everything here is safe to call on a machine without a GPU or on a build without
CUDA: ``is_available()`` is False and ``device_count()`` is 0; calls that need a
device raise RuntimeError naming the reason.
"""
from .. import _C
from .._device import device as _device_cls

__all__ = [
    "is_available", "device_count", "get_device_name", "current_device", "set_device", "synchronize",
    "empty_cache", "memory_allocated", "memory_reserved", "memory_cached", "device", "is_built",
]


def is_built():
    """True when ember was compiled with its CUDA backend."""
    return bool(_C.cuda.compiled())


def is_available():
    """True when ember has a CUDA backend and at least one usable GPU."""
    return _C.cuda.device_count() > 0


def device_count():
    return _C.cuda.device_count()


def _unavailable_reason():
    """Why no CUDA device is usable ('' when one is)."""
    return _C.cuda.unavailable_reason()


def _index(dev, op, optional=False):
    """Device ordinal from None (the current device), an int, 'cuda:N' or an ember.device."""
    if dev is None:
        if optional and not is_available():
            return 0
        return _C.cuda.current_device()
    if isinstance(dev, bool):
        raise TypeError(f"[{op}] expected a device index, string or ember.device, got {dev!r}")
    if isinstance(dev, int):
        return dev
    if isinstance(dev, str):
        dev = _device_cls(dev)
    if isinstance(dev, _device_cls):
        if dev.type != "cuda":
            raise ValueError(f"[{op}] expected a CUDA device, got {dev}")
        if dev.index is None:
            return _index(None, op, optional)
        return dev.index
    raise TypeError(f"[{op}] expected a device index, string or ember.device, got {type(dev).__name__}")


def get_device_name(device=None):
    return _C.cuda.device_name(_index(device, "cuda.get_device_name"))


def current_device():
    return _C.cuda.current_device()


def set_device(device):
    i = _index(device, "cuda.set_device")
    if i < 0:  # like torch: a negative index is a no-op
        return
    _C.cuda.set_device(i)


def synchronize(device=None):
    """Waits for all queued work on the device to finish."""
    _C.cuda.synchronize(_index(device, "cuda.synchronize"))


def empty_cache():
    """Returns the caching allocator's unused blocks to the driver."""
    _C.cuda.empty_cache()


def memory_allocated(device=None):
    """Bytes held by live tensors on the device (in allocator size classes)."""
    return _C.cuda.allocated_bytes(_index(device, "cuda.memory_allocated", optional=True))


def memory_reserved(device=None):
    """Bytes the caching allocator holds from the driver: live tensors plus cached blocks."""
    i = _index(device, "cuda.memory_reserved", optional=True)
    return _C.cuda.allocated_bytes(i) + _C.cuda.cached_bytes(i)


memory_cached = memory_reserved


class device:
    """Context manager that makes a CUDA device current (like torch.cuda.device)."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device, "cuda.device")
        self.prev_idx = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev_idx = current_device()
            if self.prev_idx != self.idx:
                set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev_idx != self.idx:
            set_device(self.prev_idx)
        return False
