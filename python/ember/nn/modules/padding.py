"""Padding layers (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad; 1-3 d)
on F.pad, with PyTorch's padding normalisation and reprs."""
from .._functional.padding import pad as _F_pad
from .module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d",
    "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _ntuple(v, n):
    """PyTorch's _ntuple: an iterable is kept as a tuple, a scalar repeated n times."""
    if isinstance(v, (tuple, list)):
        return tuple(v)
    return (v,) * n


class _ConstantPadNd(Module):
    __constants__ = ["padding", "value"]
    _n = 2

    def __init__(self, padding, value):
        super().__init__()
        self.padding = _ntuple(padding, self._n)
        self.value = value

    def forward(self, input):
        return _F_pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with a constant; padding is an int or (left, right)."""
    _n = 2


class ConstantPad2d(_ConstantPadNd):
    """Pads the last 2 dims with a constant; padding is an int or (left, right, top, bottom)."""
    _n = 4


class ConstantPad3d(_ConstantPadNd):
    """Pads the last 3 dims with a constant; padding is an int or a 6-tuple."""
    _n = 6


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ModePadNd(Module):
    __constants__ = ["padding"]
    _n = 2
    _mode = "reflect"

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, self._n)

    def forward(self, input):
        return _F_pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_ModePadNd):
    _n, _mode = 2, "reflect"


class ReflectionPad2d(_ModePadNd):
    _n, _mode = 4, "reflect"


class ReflectionPad3d(_ModePadNd):
    _n, _mode = 6, "reflect"


class ReplicationPad1d(_ModePadNd):
    _n, _mode = 2, "replicate"


class ReplicationPad2d(_ModePadNd):
    _n, _mode = 4, "replicate"


class ReplicationPad3d(_ModePadNd):
    _n, _mode = 6, "replicate"


class _CircularPadNd(_ModePadNd):
    _mode = "circular"

    def forward(self, input):
        lo = self._n // 2 + 1
        if input.dim() not in (lo, lo + 1):
            raise ValueError(f"[{type(self).__name__}] expected {lo}D or {lo + 1}D input (got {input.dim()}D input)")
        return _F_pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    _n = 2


class CircularPad2d(_CircularPadNd):
    _n = 4


class CircularPad3d(_CircularPadNd):
    _n = 6
