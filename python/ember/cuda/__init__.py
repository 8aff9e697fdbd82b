"""ember.cuda: CUDA devices, streams and events, and the caching allocator's
memory statistics (torch.cuda's API).

Everything here is safe to call on a machine without a GPU or on a build without
CUDA: ``is_available()`` is False and ``device_count()`` is 0; memory queries
return 0 (``memory_stats()`` an empty dict); calls that need a device raise
RuntimeError naming the reason.

Streams: every kernel and copy ember queues goes to the calling thread's current
stream of its device — the legacy default stream unless ``with
ember.cuda.stream(s):`` is active. Streams made by ``Stream()`` are non-blocking
(they do not wait for the default stream), as in PyTorch: order work between
streams with ``wait_stream`` / ``wait_event``, and call ``tensor.record_stream(s)``
for a tensor allocated on one stream and used on another.
"""
from .. import _C
from .._device import device as _device_cls

__all__ = [
    "is_available", "device_count", "get_device_name", "current_device", "set_device", "synchronize",
    "empty_cache", "memory_allocated", "memory_reserved", "memory_cached", "device", "is_built",
    "max_memory_allocated", "max_memory_reserved", "memory_stats", "reset_peak_memory_stats",
    "reset_max_memory_allocated", "reset_accumulated_memory_stats", "Stream", "Event", "StreamContext",
    "stream", "current_stream", "default_stream", "set_stream",
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
    """Bytes held by live tensors on the device (sizes rounded up to 512 bytes)."""
    return _C.cuda.allocated_bytes(_index(device, "cuda.memory_allocated", optional=True))


def memory_reserved(device=None):
    """Bytes the caching allocator holds from the driver: live tensors plus cached blocks."""
    i = _index(device, "cuda.memory_reserved", optional=True)
    return _C.cuda.allocated_bytes(i) + _C.cuda.cached_bytes(i)


memory_cached = memory_reserved


def memory_stats(device=None):
    """The caching allocator's counters for the device, with torch.cuda.memory_stats()'s
    keys: "allocated_bytes.all.current", "reserved_bytes.all.peak",
    "segment.large_pool.allocated", "num_alloc_retries", "num_ooms",
    "num_device_alloc" (cudaMalloc calls), "num_device_free" (cudaFree calls)...
    Empty without a usable GPU."""
    if not is_available():
        return {}
    i = _index(device, "cuda.memory_stats")
    return dict(sorted(_C.cuda.memory_stats(i).items()))


def _stat(device, key, op):
    if not is_available():
        return 0
    return _C.cuda.memory_stats(_index(device, op)).get(key, 0)


def max_memory_allocated(device=None):
    """Peak of memory_allocated() since the start or reset_peak_memory_stats()."""
    return _stat(device, "allocated_bytes.all.peak", "cuda.max_memory_allocated")


def max_memory_reserved(device=None):
    """Peak of memory_reserved() since the start or reset_peak_memory_stats()."""
    return _stat(device, "reserved_bytes.all.peak", "cuda.max_memory_reserved")


def reset_peak_memory_stats(device=None):
    """Sets every peak counter to its current value."""
    _C.cuda.reset_peak_memory_stats(_index(device, "cuda.reset_peak_memory_stats"))


reset_max_memory_allocated = reset_peak_memory_stats


def reset_accumulated_memory_stats(device=None):
    """Zeroes the accumulated counters ("*.allocated", "*.freed", num_* counts)."""
    _C.cuda.reset_accumulated_memory_stats(_index(device, "cuda.reset_accumulated_memory_stats"))


def _host_empty_cache():
    """Returns the cached pinned host blocks to the driver."""
    _C.cuda.host_empty_cache()


# ---------------------------------------------------------------- streams and events


class Stream:
    """A CUDA stream (torch.cuda.Stream): a queue of work that runs in order.

    ``Stream(device=None, priority=0)`` makes a new non-blocking stream on the
    device (lower priority numbers run first; clamped to the device's range).
    Streams are never destroyed (their handles stay valid for the allocator)."""

    def __init__(self, device=None, priority=0, *, _handle=None):
        self.device_index = _index(device, "cuda.Stream")
        self.priority = priority
        self.cuda_stream = (_C.cuda.stream_create(self.device_index, int(priority)) if _handle is None
                            else int(_handle))

    @property
    def device(self):
        return _device_cls("cuda", self.device_index)

    def wait_event(self, event):
        """Work queued on this stream later waits for ``event``."""
        event.wait(self)

    def wait_stream(self, stream):
        """Work queued on this stream later waits for the work queued on ``stream`` so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        """Records ``event`` (a new Event when None) on this stream and returns it."""
        if event is None:
            event = Event()
        event.record(self)
        return event

    def query(self):
        """True when all the work queued on this stream has completed."""
        return _C.cuda.stream_query(self.cuda_stream, self.device_index)

    def synchronize(self):
        """Waits for all the work queued on this stream."""
        _C.cuda.stream_synchronize(self.cuda_stream, self.device_index)

    def __eq__(self, other):
        return (isinstance(other, Stream) and self.cuda_stream == other.cuda_stream
                and self.device_index == other.device_index)

    def __hash__(self):
        return hash((self.cuda_stream, self.device_index))

    def __repr__(self):
        return f"<ember.cuda.Stream device=cuda:{self.device_index} cuda_stream={self.cuda_stream:#x}>"


def current_stream(device=None):
    """The calling thread's current stream on the device."""
    i = _index(device, "cuda.current_stream")
    return Stream(i, _handle=_C.cuda.current_stream(i))


def default_stream(device=None):
    """The device's legacy default stream (handle 0)."""
    i = _index(device, "cuda.default_stream")
    return Stream(i, _handle=0)


def set_stream(stream):
    """Makes ``stream`` the calling thread's current stream on its device."""
    if stream is None:
        return
    _C.cuda.set_current_stream(stream.cuda_stream, stream.device_index)


class StreamContext:
    """``with ember.cuda.stream(s):`` — s is the current stream (and its device the
    current device) inside the block; both are restored on exit. None is a no-op."""

    def __init__(self, stream):
        self.stream = stream
        self._saved = None

    def __enter__(self):
        s = self.stream
        if s is None:
            return s
        prev_dev = current_device()
        if prev_dev != s.device_index:
            set_device(s.device_index)
        self._saved = (prev_dev, _C.cuda.current_stream(s.device_index))
        set_stream(s)
        return s

    def __exit__(self, *exc):
        if self.stream is None or self._saved is None:
            return False
        prev_dev, prev_stream = self._saved
        _C.cuda.set_current_stream(prev_stream, self.stream.device_index)
        if prev_dev != self.stream.device_index:
            set_device(prev_dev)
        self._saved = None
        return False


def stream(stream):
    """Context manager selecting ``stream`` (see StreamContext)."""
    return StreamContext(stream)


class Event:
    """A CUDA event (torch.cuda.Event): a marker in a stream that other streams and
    the host can wait for. The CUDA event is created on the first record(), on the
    stream's device. enable_timing makes elapsed_time() available; blocking makes
    synchronize() sleep instead of spin."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        if interprocess:
            raise NotImplementedError("[cuda.Event] interprocess events are not supported")
        self.enable_timing = bool(enable_timing)
        self.blocking = bool(blocking)
        self._handle = None
        self._device_index = None

    @property
    def cuda_event(self):
        return self._handle or 0

    @property
    def device(self):
        return None if self._device_index is None else _device_cls("cuda", self._device_index)

    def record(self, stream=None):
        """Records the event on ``stream`` (the current stream when None)."""
        if stream is None:
            stream = current_stream()
        if self._handle is None:
            self._handle = _C.cuda.event_create(stream.device_index, self.enable_timing, self.blocking)
            self._device_index = stream.device_index
        elif self._device_index != stream.device_index:
            raise RuntimeError(f"[cuda.Event.record] the event was created on cuda:{self._device_index}, "
                               f"got a stream on cuda:{stream.device_index}")
        _C.cuda.event_record(self._handle, stream.cuda_stream, stream.device_index)

    def wait(self, stream=None):
        """Work queued on ``stream`` (the current stream when None) later waits for
        this event. A never recorded event is no wait."""
        if stream is None:
            stream = current_stream()
        if self._handle is not None:
            _C.cuda.stream_wait_event(stream.cuda_stream, self._handle, stream.device_index)

    def query(self):
        """True when the work recorded before the event has completed."""
        return True if self._handle is None else _C.cuda.event_query(self._handle)

    def synchronize(self):
        """Waits for the work recorded before the event."""
        if self._handle is not None:
            _C.cuda.event_synchronize(self._handle)

    def elapsed_time(self, end_event):
        """Milliseconds between this event and ``end_event`` (both recorded, with
        enable_timing=True, and completed)."""
        if self._handle is None or end_event._handle is None:
            raise RuntimeError("[cuda.Event.elapsed_time] both events must be recorded first")
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("[cuda.Event.elapsed_time] both events need enable_timing=True")
        return _C.cuda.event_elapsed_ms(self._handle, end_event._handle)

    def __del__(self):
        h = getattr(self, "_handle", None)
        if h:
            try:
                _C.cuda.event_destroy(h, self._device_index)
            except Exception:
                pass

    def __repr__(self):
        return f"<ember.cuda.Event {self.cuda_event:#x}>"


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
