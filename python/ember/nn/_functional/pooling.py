"""Pooling (torch.nn.functional's names and arguments): max / average / adaptive / Lp
pooling over 1 or 2 spatial dims, and max_unpool.

The kernels are C++ (csrc/ops/pool), forward and backward. Inputs are (N, C, *spatial)
or unbatched (C, *spatial). Gradients are Functions that call kernels too, so they are
differentiable again: max pooling's backward scatters the grad to the saved argmax
indices (its own gradient is the gather by the same indices), average pooling's
backward is the adjoint of a linear map (its gradient is the forward again).
lp_pool is composed from avg_pool as torch does.
"""
import numbers

import ember

from ... import _C
from ...autograd.function import Function
from ...tensor import _wrap, needs_grad
from ..functional import _c, _check
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "max_unpool1d", "max_unpool2d",
    "lp_pool1d", "lp_pool2d",
]


# ---------------------------------------------------------------- argument helpers
def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _ntuple(value, n, name, op, allow_empty=False):
    """An int or a sequence of 1 or n ints -> a list of n ints (torch's _single/_pair rules)."""
    if _is_int(value):
        return [int(value)] * n
    if isinstance(value, (tuple, list)):
        vals = list(value)
        if allow_empty and not vals:
            return None
        if len(vals) in (1, n) and all(_is_int(v) for v in vals):
            return [int(v) for v in vals] * (n if len(vals) == 1 else 1)
    what = "a single int" if n == 1 else f"a single int, or a tuple of {n} ints"
    raise RuntimeError(f"[{op}] {name} must be {what}, got {value!r}")


def _window(op, n, kernel_size, stride, padding, dilation=1):
    k = _ntuple(kernel_size, n, "kernel_size", op)
    s = None if stride is None else _ntuple(stride, n, "stride", op, allow_empty=True)
    return k, (k if s is None else s), _ntuple(padding, n, "padding", op), _ntuple(dilation, n, "dilation", op)


def _shape(t):
    return tuple(t._a.shape)


# ---------------------------------------------------------------- index scatter / gather
class _PlaneScatterAdd(Function):
    """out (of out_shape) = 0; out[plane][idx] += src: max pooling's backward."""

    @staticmethod
    def forward(ctx, src, idx, out_shape, sd, op):
        ctx.save_for_backward(idx)
        ctx.sd, ctx.op = sd, op
        return _wrap(_C.pool_scatter(src._a, idx._a, list(out_shape), sd, True, op))

    @staticmethod
    def backward(ctx, gg):
        (idx,) = ctx.saved_tensors
        return _PlaneGather.apply(gg, idx, ctx.sd, ctx.op), None, None, None, None


class _PlaneGather(Function):
    """out[plane][k] = src[plane][idx[k]]: max_unpool's backward, the adjoint of _PlaneScatterAdd."""

    @staticmethod
    def forward(ctx, src, idx, sd, op):
        ctx.save_for_backward(idx)
        ctx.sd, ctx.op, ctx.shape = sd, op, _shape(src)
        return _wrap(_C.pool_gather(src._a, idx._a, sd, op))

    @staticmethod
    def backward(ctx, gg):
        (idx,) = ctx.saved_tensors
        return _PlaneScatterAdd.apply(gg, idx, ctx.shape, ctx.sd, ctx.op), None, None, None


# ---------------------------------------------------------------- max pooling
class _MaxPool(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode, return_indices, adaptive):
        need_idx = return_indices or any(ctx.needs_input_grad)
        if adaptive:
            y, idx = _C.adaptive_max_pool(x._a, kernel, need_idx)
        else:
            y, idx = _C.max_pool(x._a, kernel, stride, padding, dilation, ceil_mode, need_idx)
        y = _wrap(y)
        if idx is None:
            return y
        idx = _wrap(idx)
        ctx.save_for_backward(idx)
        ctx.shape, ctx.sd = _shape(x), len(kernel)
        ctx.op = ("adaptive_max_pool" if adaptive else "max_pool") + f"{len(kernel)}d"
        if return_indices:
            ctx.mark_non_differentiable(idx)
            return y, idx
        return y

    @staticmethod
    def backward(ctx, g, *unused):
        (idx,) = ctx.saved_tensors
        return (_PlaneScatterAdd.apply(g, idx, ctx.shape, ctx.sd, ctx.op),) + (None,) * 7


def _max_pool(input, n, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    op = f"max_pool{n}d"
    _check(input, op)
    k, s, p, d = _window(op, n, kernel_size, stride, padding, dilation)
    if not return_indices and not needs_grad(input):
        return _wrap(_C.max_pool(input._a, k, s, p, d, bool(ceil_mode), False)[0])
    return _MaxPool.apply(input, k, s, p, d, bool(ceil_mode), bool(return_indices), False)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of the last dim of (N, C, L) or (C, L); with return_indices, also
    the int64 position of each maximum in L (the first one on ties, as torch)."""
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of (N, C, H, W) or (C, H, W); with return_indices, also the flat
    int64 position h * W + w of each maximum in its plane (the first one on ties)."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------- average pooling
class _AvgPoolBackward(Function):
    """The input grad of avg_pool (the adjoint); its own gradient is avg_pool again."""

    @staticmethod
    def forward(ctx, g, shape, args):
        ctx.args = args
        return _wrap(_C.avg_pool_backward(g._a, list(shape), *args))

    @staticmethod
    def backward(ctx, gg):
        return _AvgPool.apply(gg, ctx.args), None, None


class _AvgPool(Function):
    @staticmethod
    def forward(ctx, x, args):
        ctx.args, ctx.shape = args, _shape(x)
        return _wrap(_C.avg_pool(x._a, *args))

    @staticmethod
    def backward(ctx, g):
        return _AvgPoolBackward.apply(g, ctx.shape, ctx.args), None


def _avg_pool(input, n, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    op = f"avg_pool{n}d"
    _check(input, op)
    k, s, p, _ = _window(op, n, kernel_size, stride, padding)
    div = 0
    if divisor_override is not None:
        if not _is_int(divisor_override):
            raise TypeError(f"[{op}] divisor_override must be an int, got {type(divisor_override).__name__}")
        if divisor_override == 0:
            raise RuntimeError(f"[{op}] divisor must be not zero")
        div = int(divisor_override)
    args = (k, s, p, bool(ceil_mode), bool(count_include_pad), div)
    if not needs_grad(input):
        return _wrap(_C.avg_pool(input._a, *args))
    return _AvgPool.apply(input, args)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of the last dim of (N, C, L) or (C, L); zero padding counts in
    the divisor when count_include_pad."""
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over windows of (N, C, H, W) or (C, H, W); divisor_override replaces the
    window size as the divisor."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


# ---------------------------------------------------------------- adaptive pooling
def _output_size(output_size, input, n, op):
    """output_size as n ints; None entries keep the input's size (torch's _list_with_default)."""
    if _is_int(output_size):
        return [int(output_size)] * n
    if isinstance(output_size, (tuple, list)):
        vals = list(output_size)
        if len(vals) == 1 and n > 1:
            vals = vals * n
        if len(vals) != n:
            raise RuntimeError(f"[{op}] output_size must be a single int or a tuple of {n} ints, got "
                               f"{output_size!r}")
        shape = _shape(input)
        if len(shape) <= n:
            raise ValueError(f"Input dimension should be at least {n + 1}")
        out = []
        for v, d in zip(vals, shape[-n:]):
            if v is None:
                out.append(d)
            elif _is_int(v):
                out.append(int(v))
            else:
                raise TypeError(f"[{op}] output_size entries must be ints or None, got {v!r}")
        return out
    raise TypeError(f"[{op}] output_size must be an int or a tuple of {n} ints, got {output_size!r}")


class _AdaptiveAvg(Function):
    @staticmethod
    def forward(ctx, x, size):
        ctx.shape, ctx.size = _shape(x), size
        return _wrap(_C.adaptive_avg_pool(x._a, size))

    @staticmethod
    def backward(ctx, g):
        return _AdaptiveAvgBackward.apply(g, ctx.shape, ctx.size), None


class _AdaptiveAvgBackward(Function):
    """The input grad of adaptive_avg_pool; its own gradient is adaptive_avg_pool again."""

    @staticmethod
    def forward(ctx, g, shape, size):
        ctx.size = size
        return _wrap(_C.adaptive_avg_pool_backward(g._a, list(shape), len(size)))

    @staticmethod
    def backward(ctx, gg):
        return _AdaptiveAvg.apply(gg, ctx.size), None, None


def _adaptive_avg(input, n, output_size):
    op = f"adaptive_avg_pool{n}d"
    _check(input, op)
    size = _output_size(output_size, input, n, op)
    if not needs_grad(input):
        return _wrap(_C.adaptive_avg_pool(input._a, size))
    return _AdaptiveAvg.apply(input, size)


def adaptive_avg_pool1d(input, output_size):
    """Mean over output_size windows of L: output o pools [floor(o*L/out), ceil((o+1)*L/out))."""
    return _adaptive_avg(input, 1, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Mean over adaptive windows of (H, W); an output_size entry of None keeps that size."""
    return _adaptive_avg(input, 2, output_size)


def _adaptive_max(input, n, output_size, return_indices):
    op = f"adaptive_max_pool{n}d"
    _check(input, op)
    if n == 1 and isinstance(output_size, (tuple, list)) and len(output_size) != 1:
        raise RuntimeError(f"[{op}] argument 'output_size' should contain one int (got {len(output_size)})")
    size = _output_size(output_size, input, n, op)
    if not return_indices and not needs_grad(input):
        return _wrap(_C.adaptive_max_pool(input._a, size, False)[0])
    return _MaxPool.apply(input, size, None, None, None, False, bool(return_indices), True)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max(input, 1, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max(input, 2, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(input, 1, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(input, 2, output_size, True)


# ---------------------------------------------------------------- max_unpool
class _MaxUnpool(Function):
    @staticmethod
    def forward(ctx, x, idx, out_shape, sd, op):
        ctx.save_for_backward(idx)
        ctx.sd, ctx.op = sd, op
        return _wrap(_C.pool_scatter(x._a, idx._a, list(out_shape), sd, False, op))

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        return _PlaneGather.apply(g, idx, ctx.sd, ctx.op), None, None, None, None


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    input_size = _shape(input)
    n = len(kernel_size)
    default_size = [(input_size[-n + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        return default_size
    output_size = list(output_size)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a length "
                         f"of '{len(output_size)}'")
    for d in range(n):
        min_size = default_size[d] - stride[d]
        max_size = default_size[d] + stride[d]
        if not (min_size < output_size[d] < max_size):
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {min_size} and '
                             f'{max_size})')
    return [int(v) for v in output_size]


def _max_unpool(input, indices, n, kernel_size, stride, padding, output_size):
    op = f"max_unpool{n}d"
    _check(input, op)
    _check(indices, op)
    k = _ntuple(kernel_size, n, "kernel_size", op)
    s = k if stride is None else _ntuple(stride, n, "stride", op)
    p = _ntuple(padding, n, "padding", op)
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"[{op}] expected a {n + 1}-D or {n + 2}-D input, got shape {_shape(input)}")
    if indices.dtype != ember.int64:
        raise TypeError(f"[{op}] expected indices of dtype int64, got {indices.dtype}")
    if _shape(indices) != _shape(input):
        raise RuntimeError(f"[{op}] expected indices of the same shape as the input {_shape(input)}, got indices "
                           f"of shape {_shape(indices)}")
    if any(v <= 0 for v in _shape(input)[-n - 1:]):
        raise RuntimeError(f"[{op}] expected an input with non-zero sizes except an optional batch dim, got shape "
                           f"{_shape(input)}")
    size = _unpool_output_size(input, k, s, p, output_size)
    if any(v < 0 for v in size):
        raise RuntimeError(f"[{op}] output_size must contain non-negative spatial dimensions, got {size}")
    out_shape = _shape(input)[:-n] + tuple(size)
    return _MaxUnpool.apply(input, indices, out_shape, n, op)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: input values placed at their indices, zeros elsewhere."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("max_unpool1d", max_unpool1d, input, indices, kernel_size, stride, padding, output_size)
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: input values placed at their flat indices, zeros elsewhere."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("max_unpool2d", max_unpool2d, input, indices, kernel_size, stride, padding, output_size)
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size)


# ---------------------------------------------------------------- power-average pooling
def _lp_pool(input, n, norm_type, kernel_size, stride, ceil_mode):
    op = f"lp_pool{n}d"
    _check(input, op)
    pool_max = max_pool1d if n == 1 else max_pool2d
    pool_avg = avg_pool1d if n == 1 else avg_pool2d
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return pool_max(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -pool_max(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    k = _ntuple(kernel_size, n, "kernel_size", op)
    out = pool_avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    scale = k[0] if n == 1 else k[0] * k[1]
    # torch's sign(out) * relu(|out|): relu's backward is a mask there, so a window of zeros
    # (where pow(., 1/p) has an infinite slope) gets a zero grad, not inf * 0; where() masks too.
    a = out.abs()
    return (ember.sign(out) * ember.where(_c(a) > 0, a, 0.0)).mul(scale).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x ** p) ** (1 / p), from avg_pool1d as torch computes it."""
    return _lp_pool(input, 1, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x ** p) ** (1 / p), from avg_pool2d as torch computes it."""
    return _lp_pool(input, 2, norm_type, kernel_size, stride, ceil_mode)
