"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode (context managers and decorators)."""
import functools

# One flag for the process, like PyTorch's thread-local default on the main thread.
# A list so hot paths read it without a function call: _state[0].
_state = [True]


def is_grad_enabled():
    return _state[0]


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
    """Disables gradient recording inside the block or decorated function."""

    _value = False


class enable_grad(_GradMode):
    _value = True


class inference_mode(_GradMode):
    def __init__(self, mode=True):
        self._value = not mode

    def __call__(self, fn):
        value = self._value

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _state[0]
            _state[0] = value
            try:
                return fn(*args, **kwargs)
            finally:
                _state[0] = prev

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
