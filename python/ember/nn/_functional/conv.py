"""F.conv1d / conv2d / conv_transpose1d / conv_transpose2d on ember's conv kernels (csrc/ops/conv).

A convolution geometry ``geo = (stride, padding, dilation, groups, op)`` (padding as
(begin, end) pairs per spatial dim, so 'same' may be asymmetric) has three C++
products: forward, input gradient and weight (+ bias) gradient. Each is an autograd
Function whose backward is written with the other two, because all three are linear
in each argument:

    y  = conv(x, w)         dx = conv_bwd_input(gy, w)    dw = conv_bwd_weight(gy, x)
    gx = conv_bwd_input(gy, w):   d/dgy = conv(ggx, w),  d/dw = conv_bwd_weight(gy, ggx)
    gw = conv_bwd_weight(gy, x):  d/dgy = conv(x, ggw),  d/dx = conv_bwd_input(gy, ggw)

so gradients of any order stay on the fused kernels. A transposed convolution is the
input-gradient product of the matching convolution (padding (p, p - output_padding)),
and its gradients are the other two.
"""
import numbers

from ... import _C
from ...autograd.function import Function
from ...tensor import Tensor, _wrap, needs_grad
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _a(t):
    return None if t is None else t._a


def _bias_dims(nsp):
    return (0, 2) if nsp == 1 else (0, 2, 3)


class _ConvForward(Function):
    """y = conv(x, w) + b."""

    @staticmethod
    def forward(ctx, x, w, b, geo):
        ctx.save_for_backward(x, w)
        ctx.geo = geo
        ctx.has_bias = b is not None
        stride, padding, dilation, groups, op = geo
        return _wrap(_C.conv_forward(x._a, w._a, _a(b), stride, padding, dilation, groups, op))

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        geo = ctx.geo
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_b = ctx.has_bias and ctx.needs_input_grad[2]
        gx = gw = gb = None
        if need_x:
            gx = _ConvBackwardInput.apply(gy, w, tuple(x.shape), geo)
        if need_w:
            r = _ConvBackwardWeight.apply(gy, x, tuple(w.shape), geo, need_b)
            if need_b:
                gw, gb = r
            else:
                gw = r
        elif need_b:
            gb = gy.sum(_bias_dims(len(geo[0])))
        return gx, gw, gb, None


class _ConvBackwardInput(Function):
    """gx = the adjoint of conv(., w) applied to gy."""

    @staticmethod
    def forward(ctx, gy, w, x_shape, geo):
        ctx.save_for_backward(gy, w)
        ctx.geo = geo
        stride, padding, dilation, groups, op = geo
        return _wrap(_C.conv_backward_input(gy._a, w._a, list(x_shape), stride, padding, dilation, groups, op))

    @staticmethod
    def backward(ctx, ggx):
        gy, w = ctx.saved_tensors
        geo = ctx.geo
        dgy = dw = None
        if ctx.needs_input_grad[0]:
            dgy = _ConvForward.apply(ggx, w, None, geo)
        if ctx.needs_input_grad[1]:
            dw = _ConvBackwardWeight.apply(gy, ggx, tuple(w.shape), geo, False)
        return dgy, dw, None, None


class _ConvBackwardWeight(Function):
    """gw = sum over images of gy (x) im2col(x); with bias_grad also gb = sum of gy."""

    @staticmethod
    def forward(ctx, gy, x, w_shape, geo, bias_grad):
        ctx.save_for_backward(gy, x)
        ctx.geo = geo
        ctx.bias_grad = bias_grad
        stride, padding, dilation, groups, op = geo
        r = _C.conv_backward_weight(gy._a, x._a, list(w_shape), stride, padding, dilation, groups, bias_grad, op)
        if bias_grad:
            return _wrap(r[0]), _wrap(r[1])
        return _wrap(r[0])

    @staticmethod
    def backward(ctx, ggw, ggb=None):
        gy, x = ctx.saved_tensors
        geo = ctx.geo
        dgy = dx = None
        if ctx.needs_input_grad[0]:
            dgy = _ConvForward.apply(x, ggw, ggb if ctx.bias_grad else None, geo)
        if ctx.needs_input_grad[1]:
            dx = _ConvBackwardInput.apply(gy, ggw, tuple(x.shape), geo)
        return dgy, dx, None, None, None


class _ConvTranspose(Function):
    """y = conv_transpose(x, w) + b, i.e. the adjoint of the convolution ``geo`` (from y to x)."""

    @staticmethod
    def forward(ctx, x, w, b, geo, padding, output_padding):
        ctx.save_for_backward(x, w)
        ctx.geo = geo
        ctx.has_bias = b is not None
        stride, _, dilation, groups, op = geo
        return _wrap(_C.conv_transpose_forward(x._a, w._a, _a(b), stride, list(padding), list(output_padding),
                                               dilation, groups, op))

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        geo = ctx.geo
        gx = gw = gb = None
        if gy.numel() == 0:  # an empty output (PyTorch allows size 0): nothing flows back
            return (x.new_zeros(x.shape) if ctx.needs_input_grad[0] else None,
                    w.new_zeros(w.shape) if ctx.needs_input_grad[1] else None,
                    gy.sum(_bias_dims(len(geo[0]))) if ctx.has_bias and ctx.needs_input_grad[2] else None,
                    None, None, None)
        if ctx.needs_input_grad[0]:
            gx = _ConvForward.apply(gy, w, None, geo)
        if ctx.needs_input_grad[1]:
            gw = _ConvBackwardWeight.apply(x, gy, tuple(w.shape), geo, False)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = gy.sum(_bias_dims(len(geo[0])))
        return gx, gw, gb, None, None, None


# ---------------------------------------------------------------- argument handling
def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _tuple(v, n, name, op):
    """int or sequence of n ints (or of 1, repeated) -> tuple of n ints."""
    if _is_int(v):
        return (int(v),) * n
    if isinstance(v, (tuple, list)) and all(_is_int(e) for e in v):
        if len(v) == n:
            return tuple(int(e) for e in v)
        if len(v) == 1:
            return (int(v[0]),) * n
    raise RuntimeError(f"[{op}] expected {name} to be a single int or a list of {n} ints to match the "
                       f"convolution dims, got {name}={v!r}")


def _check_tensors(op, input, weight, bias):
    if not isinstance(input, Tensor):
        raise TypeError(f"[{op}] expected a Tensor input, got {type(input).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"[{op}] expected a Tensor weight, got {type(weight).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"[{op}] expected a Tensor bias or None, got {type(bias).__name__}")


def _batched(input, nsp, op):
    """(input with a batch dim, whether one was added)."""
    nd = input.dim()
    if nd == nsp + 2:
        return input, False
    if nd == nsp + 1:
        return input.unsqueeze(0), True
    dims = "(N, C, H, W)" if nsp == 2 else "(N, C, L)"
    raise RuntimeError(f"[{op}] expected {nsp + 1}-D (unbatched) or {nsp + 2}-D (batched) input {dims}, got "
                       f"input of shape {tuple(input.shape)}")


def _conv_padding(padding, weight, stride, dilation, nsp, op):
    """padding (int, tuple, 'same', 'valid') -> (begin, end) pairs per spatial dim."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * nsp)
        if padding != "same":
            raise RuntimeError(f"[{op}] invalid padding string {padding!r}, expected 'same' or 'valid'")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"[{op}] padding='same' is not supported for strided convolutions, got "
                               f"stride={stride}")
        if weight.dim() != nsp + 2:
            return (0,) * (2 * nsp)  # the kernel reports the weight's rank
        out = []
        for d in range(nsp):
            total = dilation[d] * (weight.shape[2 + d] - 1)
            out += [total // 2, total - total // 2]
        return tuple(out)
    p = _tuple(padding, nsp, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError(f"[{op}] negative padding is not supported, got padding={p}")
    return tuple(v for v in p for _ in range(2))


def _conv(nsp, op, input, weight, bias, stride, padding, dilation, groups):
    _check_tensors(op, input, weight, bias)
    stride = _tuple(stride, nsp, "stride", op)
    dilation = _tuple(dilation, nsp, "dilation", op)
    if not _is_int(groups):
        raise TypeError(f"[{op}] expected an int groups, got {groups!r}")
    pad = _conv_padding(padding, weight, stride, dilation, nsp, op)
    x, added = _batched(input, nsp, op)
    geo = (stride, pad, dilation, int(groups), op)
    if needs_grad(x, weight, bias):
        y = _ConvForward.apply(x, weight, bias, geo)
    else:
        y = _wrap(_C.conv_forward(x._a, weight._a, _a(bias), stride, pad, dilation, int(groups), op))
    return y.squeeze(0) if added else y


def _conv_transpose(nsp, op, input, weight, bias, stride, padding, output_padding, groups, dilation):
    _check_tensors(op, input, weight, bias)
    if isinstance(padding, str):
        raise TypeError(f"[{op}] expected padding to be an int or a tuple of ints, got {padding!r}")
    stride = _tuple(stride, nsp, "stride", op)
    dilation = _tuple(dilation, nsp, "dilation", op)
    padding = _tuple(padding, nsp, "padding", op)
    output_padding = _tuple(output_padding, nsp, "output_padding", op)
    if not _is_int(groups):
        raise TypeError(f"[{op}] expected an int groups, got {groups!r}")
    if any(v < 0 for v in padding):
        raise RuntimeError(f"[{op}] negative padding is not supported, got padding={padding}")
    x, added = _batched(input, nsp, op)
    # The convolution this one is the adjoint of: it maps the output back to x.
    conv_pad = tuple(v for p, q in zip(padding, output_padding) for v in (p, p - q))
    geo = (stride, conv_pad, dilation, int(groups), op)
    if needs_grad(x, weight, bias):
        y = _ConvTranspose.apply(x, weight, bias, geo, padding, output_padding)
    else:
        y = _wrap(_C.conv_transpose_forward(x._a, weight._a, _a(bias), stride, list(padding), list(output_padding),
                                            dilation, int(groups), op))
    return y.squeeze(0) if added else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of input (N, C_in, L) or (C_in, L) with weight (C_out, C_in/groups, kW)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("conv1d", conv1d, input, weight, bias, stride, padding, dilation, groups)
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of input (N, C_in, H, W) or (C_in, H, W) with weight (C_out, C_in/groups, kH, kW)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("conv2d", conv2d, input, weight, bias, stride, padding, dilation, groups)
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution; weight (C_in, C_out/groups, kW)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("conv_transpose1d", conv_transpose1d, input, weight, bias, stride, padding, output_padding,
                        groups, dilation)
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution; weight (C_in, C_out/groups, kH, kW)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("conv_transpose2d", conv_transpose2d, input, weight, bias, stride, padding, output_padding,
                        groups, dilation)
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups,
                           dilation)
