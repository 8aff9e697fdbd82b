"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode (context managers and decorators).

Like PyTorch, the modes are per thread: ``with no_grad():`` in one thread leaves every
other thread recording, and a new thread starts with grad enabled and inference mode
off. The flags live in C++ thread-locals behind ``_state`` (ember._C._grad_state):
``_state[0]`` is this thread's grad mode, ``_state[1]`` its inference mode. Indexing it
costs about as much as indexing a list, so hot paths read ``_state[0]`` directly (and
test ``requires_grad`` first, so ops on plain tensors never read it).
"""
import functools
import threading

from .. import _C

_state = _C._grad_state

# How many threads are inside inference_mode(True) right now. Only while this is
# non-zero does tensor creation mark inference tensors (ember.tensor swaps in a marking
# _wrap through _on_inference_active), so the common path pays nothing. ``_inf_ever``
# turns on the (rare) inference-tensor checks.
_inf_active = [0]
_inf_ever = [False]
_inf_lock = threading.Lock()
_on_inference_active = None  # set by ember.tensor: fn(bool)


def is_grad_enabled():
    return _state[0]


def is_inference_mode_enabled():
    return _state[1]


def _set_inference(on):
    """Sets this thread's inference flag; returns the previous one."""
    prev = _state[1]
    if on != prev:
        with _inf_lock:
            before = _inf_active[0]
            _inf_active[0] = now = before + (1 if on else -1)
            if on:
                _inf_ever[0] = True
            if (before == 0) != (now == 0):
                _on_inference_active(now > 0)
        _state[1] = on
    return prev


class _GradMode:
    _value = True

    def __enter__(self):
        self._prev = _state[0]
        _state[0] = self._value
        return self

    def __exit__(self, *exc):
        _state[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disables gradient recording inside the block or decorated function (this thread only)."""

    _value = False


class enable_grad(_GradMode):
    _value = True


class inference_mode:
    """Like no_grad, and tensors made inside are inference tensors (``is_inference()``)."""

    def __init__(self, mode=True):
        self._mode = bool(mode)

    def __enter__(self):
        self._prev = _state[0]
        self._prev_inf = _set_inference(self._mode)
        _state[0] = not self._mode
        return self

    def __exit__(self, *exc):
        _state[0] = self._prev
        _set_inference(self._prev_inf)
        return False

    def clone(self):
        return self.__class__(self._mode)

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled:
    """``set_grad_enabled(False)`` as a function call, context manager or decorator."""

    def __init__(self, mode):
        self._prev = _state[0]
        self._mode = bool(mode)
        _state[0] = self._mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state[0] = self._prev
        return False

    def __call__(self, fn):
        mode = self._mode
        _state[0] = self._prev

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _state[0]
            _state[0] = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state[0] = prev

        return wrapper
