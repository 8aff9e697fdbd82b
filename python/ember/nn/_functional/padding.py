"""F.pad on ember's pad kernels (csrc/ops/pad): constant, reflect, replicate, circular.

The backward of a pad is a C++ kernel too (constant: crop, and zeros where the forward
cropped; the other modes: scatter-add into each source position), written as its own
Function whose backward is the pad again, so gradients of any order work.
"""
import numbers

from ... import _C
from ...autograd.function import Function
from ...tensor import Tensor, _wrap, needs_grad
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


class _Pad(Function):
    @staticmethod
    def forward(ctx, x, pad, mode, value):
        ctx.shape = tuple(x.shape)
        ctx.pad, ctx.mode = pad, mode
        return _wrap(_C.pad(x._a, pad, mode, value))

    @staticmethod
    def backward(ctx, g):
        return _PadBackward.apply(g, ctx.shape, ctx.pad, ctx.mode), None, None, None


class _PadBackward(Function):
    @staticmethod
    def forward(ctx, g, shape, pad, mode):
        ctx.pad, ctx.mode = pad, mode
        return _wrap(_C.pad_backward(g._a, list(shape), pad, mode))

    @staticmethod
    def backward(ctx, gg):
        return _Pad.apply(gg, ctx.pad, ctx.mode, 0.0), None, None, None


def pad(input, pad, mode="constant", value=None):
    """Pads the last len(pad) // 2 dims of input; pad lists (begin, end) from the last dim backwards."""
    if _amp_active[0] and _amp_tls.on and mode in ("reflect", "replicate"):  # autocast (ember.amp)
        return _amp_run("pad_" + mode, _pad, input, pad, mode, value)
    if not isinstance(input, Tensor):
        raise TypeError(f"[pad] expected a Tensor input, got {type(input).__name__}")
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"[pad] expected pad to be a tuple of ints, got {type(pad).__name__}")
    for i, p in enumerate(pad):
        if not isinstance(p, numbers.Integral) or isinstance(p, bool):
            raise TypeError(f"[pad] expected pad to be a tuple of ints, got element {p!r} of type "
                            f"{type(p).__name__} at position {i}")
    pad = [int(p) for p in pad]
    if not isinstance(mode, str):
        raise TypeError(f"[pad] expected a string mode, got {type(mode).__name__}")
    if mode != "constant" and mode in _MODES and value is not None and value != 0:
        raise RuntimeError(f'[pad] padding mode "{mode}" doesn\'t take in value argument, got value={value!r}')
    value = 0.0 if value is None else value
    if not isinstance(value, numbers.Number) or isinstance(value, complex):
        raise TypeError(f"[pad] expected a real number value, got {value!r}")
    if needs_grad(input):
        return _Pad.apply(input, pad, mode, float(value))
    return _wrap(_C.pad(input._a, pad, mode, float(value)))


_pad = pad  # the function itself (its parameter `pad` hides the name inside it)
