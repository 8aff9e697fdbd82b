"""Normalisation layers of ember.nn.functional on the fused C++ kernels (csrc/ops/norm):
batch_norm, instance_norm, layer_norm, rms_norm, group_norm, local_response_norm.

Each op is an autograd Function whose forward runs the fused kernel (statistics
in float64, saved for backward) and whose backward runs the fused backward
kernel. When the backward itself is recorded (``create_graph=True``), the
gradient is instead composed from ember Tensor ops that recompute the statistics
from the input, so every op here is twice differentiable. The ``_composite_*``
forwards below are the same math from primitive ops: the oracles of the tests.
"""
import numbers

import ember

from ... import _C
from ...autograd.function import Function
from ...autograd.grad_mode import _state
from ...tensor import Tensor, _wrap
from ..functional import _check
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["batch_norm", "instance_norm", "layer_norm", "rms_norm", "group_norm", "local_response_norm"]

# torch.finfo(dtype).eps: rms_norm's default eps.
_FINFO_EPS = {"float32": 1.1920928955078125e-07, "float64": 2.220446049250313e-16,
              "float16": 0.0009765625, "bfloat16": 0.0078125}


def _opt(t):
    return None if t is None else t._a


_REDUCED = ("float16", "bfloat16")


def _opt_tensor(t, op, what, input=None):
    """t is None or a Tensor; with ``input``, torch's mixed-dtype rule: parameters and
    statistics share a float32/float64 input's dtype (float32 is also allowed for a
    float16/bfloat16 input)."""
    if t is None:
        return t
    if not isinstance(t, Tensor):
        raise TypeError(f"[{op}] expected {what} to be a Tensor or None, got {type(t).__name__}")
    if input is not None and t.dtype != input.dtype:
        ok = input.dtype.name in _REDUCED and t.dtype.name == "float32"
        if not ok and t.is_floating_point() and input.is_floating_point():
            raise RuntimeError(f"[{op}] mixed dtype (CPU): expected {what} of dtype {input.dtype} like the input, "
                               f"got {t.dtype}")
    return t


def _grad_mask(ctx, n=3):
    needs = tuple(ctx.needs_input_grad[:n]) + (False,) * (n - len(ctx.needs_input_grad[:n]))
    return [bool(b) for b in needs]


def _sum_except(t, keep, keepdim=False):
    """Sum over every dim of t except those in ``keep``."""
    dims = tuple(d for d in range(t.dim()) if d not in keep)
    return t.sum(dims, keepdim=keepdim) if dims else t


def _unsqueeze_shape(c, nd):
    return [1, c] + [1] * (nd - 2)


def _normalized_grad(g_hat, xhat, rstd, dims, center=True):
    """rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) over ``dims``: the input
    gradient of every normalisation here, composed from Tensor ops (differentiable)."""
    proj = (g_hat * xhat).mean(dims, keepdim=True)
    inner = g_hat - xhat * proj
    if center:
        inner = inner - g_hat.mean(dims, keepdim=True)
    return rstd * inner


# ====================================================================== batch norm
class _BatchNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        y, mean, invstd = _C.batch_norm(x._a, _opt(weight), _opt(bias), _opt(running_mean), _opt(running_var),
                                        training, momentum, eps)
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, invstd)
        ctx.training, ctx.eps = training, eps
        return _wrap(y)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        mean, invstd = ctx.stats
        mask = _grad_mask(ctx)
        if _state[0]:
            gx, gw, gb = _batch_norm_backward_composite(g, x, w, _wrap(mean), _wrap(invstd), ctx.training, ctx.eps)
        else:
            gx, gw, gb = (None if a is None else _wrap(a) for a in
                          _C.batch_norm_backward(g._a, x._a, _opt(w), mean, invstd, ctx.training, mask))
        return (gx if mask[0] else None, gw if mask[1] else None, gb if mask[2] else None,
                None, None, None, None, None)


def _batch_norm_backward_composite(g, x, w, mean, invstd, training, eps):
    c, nd = x.shape[1], x.dim()
    dims = (0,) + tuple(range(2, nd))
    shp = _unsqueeze_shape(c, nd)
    if training:
        mu = x.mean(dims, keepdim=True)
        xmu = x - mu
        rstd = ((xmu * xmu).mean(dims, keepdim=True) + eps).rsqrt()
    else:
        xmu = x - mean.to(x.dtype).reshape(shp)
        rstd = invstd.to(x.dtype).reshape(shp)
    xhat = xmu * rstd
    g_hat = g if w is None else g * w.reshape(shp)
    if training:
        gx = _normalized_grad(g_hat, xhat, rstd, dims)
    else:
        gx = g_hat * rstd
    return gx, _sum_except(g * xhat, (1,)), _sum_except(g, (1,))


def _composite_batch_norm(x, weight=None, bias=None, eps=1e-5):
    """Training-mode batch norm from primitive ember ops (the tests' oracle)."""
    c, nd = x.shape[1], x.dim()
    dims = (0,) + tuple(range(2, nd))
    shp = _unsqueeze_shape(c, nd)
    xmu = x - x.mean(dims, keepdim=True)
    y = xmu * ((xmu * xmu).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shp)
    if bias is not None:
        y = y + bias.reshape(shp)
    return y


def _verify_batch_size(size, op):
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(f"[{op}] Expected more than 1 value per channel when training, got input size {size}")


def _check_eps(eps, training, op):
    if training and eps <= 0.0:
        raise ValueError(f"[{op}] eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"[{op}] eps must be non-negative, but got {eps}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation over dim 1 of (N, C, *) input (torch.nn.functional.batch_norm).

    training: batch statistics normalise and update ``running_mean`` / ``running_var`` in
    place (unbiased variance); otherwise the running statistics normalise.
    """
    _check(input, "batch_norm")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _opt_tensor(t, "batch_norm", name, input)
    if momentum is None or not isinstance(momentum, numbers.Real):
        raise TypeError(f"[batch_norm] momentum must be a float, got {type(momentum).__name__}")
    if training:
        _verify_batch_size(input.size(), "batch_norm")
    _check_eps(eps, training, "batch_norm")
    return _BatchNorm.apply(input, weight, bias, running_mean, running_var, bool(training), float(momentum),
                            float(eps))


# ====================================================================== layer norm / rms norm
class _LayerNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, normalized_shape, eps, rms):
        y, mean, rstd = _C.layer_norm(x._a, normalized_shape, _opt(weight), _opt(bias), eps, rms)
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, rstd)
        ctx.shape, ctx.eps, ctx.rms = normalized_shape, eps, rms
        return _wrap(y)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        mean, rstd = ctx.stats
        mask = _grad_mask(ctx)
        if _state[0]:
            gx, gw, gb = _layer_norm_backward_composite(g, x, w, len(ctx.shape), ctx.eps, ctx.rms)
        else:
            gx, gw, gb = (None if a is None else _wrap(a) for a in
                          _C.layer_norm_backward(g._a, x._a, ctx.shape, mean, rstd, _opt(w), ctx.rms, mask))
        return (gx if mask[0] else None, gw if mask[1] else None, gb if mask[2] else None, None, None, None)


def _layer_norm_backward_composite(g, x, w, k, eps, rms):
    nd = x.dim()
    dims = tuple(range(nd - k, nd))
    if rms:
        xmu = x
    else:
        xmu = x - x.mean(dims, keepdim=True)
    rstd = ((xmu * xmu).mean(dims, keepdim=True) + eps).rsqrt()
    xhat = xmu * rstd
    g_hat = g if w is None else g * w
    gx = _normalized_grad(g_hat, xhat, rstd, dims, center=not rms)
    keep = tuple(range(nd - k, nd))
    return gx, _sum_except(g * xhat, keep), _sum_except(g, keep)


def _composite_layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5, rms=False):
    """Layer norm (or RMS norm) from primitive ember ops (the tests' oracle)."""
    dims = tuple(range(x.dim() - len(normalized_shape), x.dim()))
    xmu = x if rms else x - x.mean(dims, keepdim=True)
    y = xmu * ((xmu * xmu).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _shape_arg(normalized_shape, op):
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
        return [int(normalized_shape)]
    try:
        if isinstance(normalized_shape, str):
            raise TypeError
        return [int(s) for s in normalized_shape]
    except (TypeError, ValueError):
        raise TypeError(f"[{op}] normalized_shape must be an int or a sequence of ints, got "
                        f"{type(normalized_shape).__name__}") from None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` dims (torch.nn.functional.layer_norm)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("layer_norm", layer_norm, input, normalized_shape, weight, bias, eps)
    _check(input, "layer_norm")
    _opt_tensor(weight, "layer_norm", "weight", input)
    _opt_tensor(bias, "layer_norm", "bias", input)
    return _LayerNorm.apply(input, weight, bias, _shape_arg(normalized_shape, "layer_norm"), float(eps), False)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing dims (torch.nn.functional.rms_norm);
    eps=None is the dtype's machine epsilon."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("rms_norm", rms_norm, input, normalized_shape, weight, eps)
    _check(input, "rms_norm")
    _opt_tensor(weight, "rms_norm", "weight", input)
    if eps is None:
        eps = _FINFO_EPS.get(input.dtype.name, _FINFO_EPS["float32"])
    return _LayerNorm.apply(input, weight, None, _shape_arg(normalized_shape, "rms_norm"), float(eps), True)


# ====================================================================== group norm / instance norm
class _GroupNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, num_groups, eps):
        y, mean, rstd = _C.group_norm(x._a, num_groups, _opt(weight), _opt(bias), eps)
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, rstd)
        ctx.groups, ctx.eps = num_groups, eps
        return _wrap(y)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        mean, rstd = ctx.stats
        mask = _grad_mask(ctx)
        if _state[0]:
            gx, gw, gb = _group_norm_backward_composite(g, x, w, ctx.groups, ctx.eps)
        else:
            gx, gw, gb = (None if a is None else _wrap(a) for a in
                          _C.group_norm_backward(g._a, x._a, mean, rstd, ctx.groups, _opt(w), mask))
        return (gx if mask[0] else None, gw if mask[1] else None, gb if mask[2] else None) + \
            (None,) * (len(ctx.needs_input_grad) - 3)


class _InstanceNorm(_GroupNorm):
    """Instance norm with input statistics: group norm with one channel per group,
    plus the running-stat update inside the kernel; backward is group norm's."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        y, mean, rstd = _C.instance_norm(x._a, _opt(weight), _opt(bias), _opt(running_mean), _opt(running_var),
                                         momentum, eps)
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, rstd)
        ctx.groups, ctx.eps = x.shape[1], eps
        return _wrap(y)


def _group_norm_backward_composite(g, x, w, groups, eps):
    n, c, nd = x.shape[0], x.shape[1], x.dim()
    xg = x.reshape(n, groups, -1)
    xmu = xg - xg.mean(2, keepdim=True)
    rstd = ((xmu * xmu).mean(2, keepdim=True) + eps).rsqrt()
    xhat_g = xmu * rstd
    g_hat = g if w is None else g * w.reshape(_unsqueeze_shape(c, nd))
    gx = _normalized_grad(g_hat.reshape(n, groups, -1), xhat_g, rstd, (2,)).reshape(x.shape)
    xhat = xhat_g.reshape(x.shape)
    return gx, _sum_except(g * xhat, (1,)), _sum_except(g, (1,))


def _composite_group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group norm from primitive ember ops (the tests' oracle)."""
    n, c, nd = x.shape[0], x.shape[1], x.dim()
    xg = x.reshape(n, num_groups, -1)
    xmu = xg - xg.mean(2, keepdim=True)
    y = (xmu * ((xmu * xmu).mean(2, keepdim=True) + eps).rsqrt()).reshape(x.shape)
    shp = _unsqueeze_shape(c, nd)
    if weight is not None:
        y = y * weight.reshape(shp)
    if bias is not None:
        y = y + bias.reshape(shp)
    return y


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation of (N, C, *) input over C/num_groups channels and the spatial dims."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("group_norm", group_norm, input, num_groups, weight, bias, eps)
    _check(input, "group_norm")
    _opt_tensor(weight, "group_norm", "weight", input)
    _opt_tensor(bias, "group_norm", "bias", input)
    if input.dim() < 2:
        raise RuntimeError(f"[group_norm] Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    num_groups = int(num_groups)
    if num_groups <= 0:
        raise ValueError(f"[group_norm] num_groups must be positive, got {num_groups}")
    size = input.size()
    _verify_batch_size([size[0] * size[1] // num_groups, num_groups] + list(size[2:]), "group_norm")
    return _GroupNorm.apply(input, weight, bias, num_groups, float(eps))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Instance normalisation: each (sample, channel) over its spatial dims
    (torch.nn.functional.instance_norm). With ``use_input_stats=False`` the running
    statistics normalise (batch norm's eval path)."""
    _check(input, "instance_norm")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _opt_tensor(t, "instance_norm", name, input)
    if use_input_stats:
        size = input.size()
        prod = 1
        for s in size[2:]:
            prod *= s
        if prod == 1:
            raise ValueError(f"[instance_norm] Expected more than 1 spatial element when training, got input size "
                             f"{size}")
        return _InstanceNorm.apply(input, weight, bias, running_mean, running_var, float(momentum), float(eps))
    if running_mean is None or running_var is None:
        raise RuntimeError("[instance_norm] Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    return _BatchNorm.apply(input, weight, bias, running_mean, running_var, False, float(momentum), float(eps))


# ====================================================================== local response norm
class _LocalResponseNorm(Function):
    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        y, scale = _C.local_response_norm(x._a, size, alpha, beta, k)
        y = _wrap(y)
        ctx.save_for_backward(x, y)
        ctx.scale = scale
        ctx.args = (size, alpha, beta, k)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        size, alpha, beta, k = ctx.args
        if _state[0]:
            gx = _lrn_backward_composite(g, x, size, alpha, beta, k)
        else:
            gx = _wrap(_C.local_response_norm_backward(g._a, x._a, y._a, ctx.scale, size, alpha, beta, k))
        return gx, None, None, None, None


def _window_sum(t, before, after):
    """s[:, c] = sum_{j = c - before}^{c + after} t[:, j] with zero padding (Tensor ops)."""
    c = t.shape[1]
    parts = []
    if before:
        parts.append(ember.zeros((t.shape[0], before) + tuple(t.shape[2:]), dtype=t.dtype, device=t.device))
    parts.append(t)
    if after:
        parts.append(ember.zeros((t.shape[0], after) + tuple(t.shape[2:]), dtype=t.dtype, device=t.device))
    p = ember.cat(parts, 1) if len(parts) > 1 else t
    s = p.narrow(1, 0, c)
    for o in range(1, before + after + 1):
        s = s + p.narrow(1, o, c)
    return s


def _lrn_scale(x, size, alpha, k):
    return k + (alpha / size) * _window_sum(x * x, size // 2, (size - 1) // 2)


def _lrn_backward_composite(g, x, size, alpha, beta, k):
    d = _lrn_scale(x, size, alpha, k)
    p = d ** (-beta)
    t = g * x * p / d
    return g * p - (2.0 * alpha * beta / size) * x * _window_sum(t, (size - 1) // 2, size // 2)


def _composite_local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response norm from primitive ember ops (the tests' oracle)."""
    return x * _lrn_scale(x, size, alpha, k) ** (-beta)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation across channels of (N, C, *) input, the window
    [c - size//2, c + (size-1)//2] zero padded (torch.nn.functional.local_response_norm)."""
    _check(input, "local_response_norm")
    if input.dim() < 3:
        raise ValueError(f"[local_response_norm] Expected 3D or higher dimensionality input (got {input.dim()} "
                         "dimensions)")
    size = int(size)
    if size <= 0:
        raise ValueError(f"[local_response_norm] size must be positive, got {size}")
    if input.numel() == 0:
        return input
    return _LocalResponseNorm.apply(input, size, float(alpha), float(beta), float(k))
