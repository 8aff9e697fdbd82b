"""ember.nn.functional: activations, softmax family and losses (torch.nn.functional API).

softmax / log_softmax run the fused C++ kernels (csrc/ops/softmax) forward and
backward; cross_entropy (class-index targets) and nll_loss run the fused
log-softmax + NLL kernel (csrc/ops/loss). The other activations and losses are
compositions of ember Tensor ops, so their gradients come from those ops'
backward formulas. Branches that would overflow (exp of a large input in the
unused side of a ``where``) are fed clamped inputs, so no 0 * inf NaN reaches a
gradient.
"""
import math
import numbers
import warnings

import ember

from .. import _C
from .._ops.elementwise import _inplace
from ..autograd.function import Function
from ..tensor import Tensor, _wrap, register_methods
from ..amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

try:
    from .._ops.index import one_hot  # noqa: F401
except ImportError:  # pragma: no cover
    pass

__all__ = [
    "softmax", "log_softmax", "softmin", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_",
    "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign", "hardtanh", "hardtanh_", "hardsigmoid",
    "hardswish", "logsigmoid", "tanhshrink", "threshold", "glu", "sigmoid", "tanh", "prelu", "rrelu",
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "soft_margin_loss", "multilabel_soft_margin_loss", "triplet_margin_loss", "sigmoid_focal_loss", "focal_loss",
    "one_hot", "pairwise_distance",
]


def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected a Tensor, got {type(x).__name__}")
    return x


def _c(x):
    """A non-differentiable alias (masks and conditions)."""
    return _wrap(x._a) if isinstance(x, Tensor) else x


# ====================================================================== softmax family
class _SoftmaxBackward(Function):
    """The fused backward kernel as a Function, so softmax is twice differentiable."""

    @staticmethod
    def forward(ctx, g, y, dim, log):
        ctx.save_for_backward(g, y)
        ctx.dim, ctx.log = dim, log
        return _wrap(_C.softmax_backward(g._a, y._a, dim, log))

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        d = ctx.dim
        if ctx.log:
            ey = y.exp()
            dg = gg - (gg * ey).sum(d, keepdim=True)
            dy = -gg * ey * g.sum(d, keepdim=True)
        else:
            dg = _SoftmaxBackward.apply(gg, y, d, False)
            dy = gg * (g - (g * y).sum(d, keepdim=True)) - g * (gg * y).sum(d, keepdim=True)
        return dg, dy, None, None


class _Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim, log):
        y = _wrap(_C.softmax(x._a, dim, log))
        ctx.save_for_backward(y)
        ctx.dim, ctx.log = dim, log
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return _SoftmaxBackward.apply(g, y, ctx.dim, ctx.log), None, None


def _get_softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_impl(input, dim, dtype, log, name):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp); name: softmax, log_softmax or softmin
        return _amp_run(name, _softmax_impl, input, dim, dtype, log, name)
    _check(input, name)
    if dim is None:
        dim = _get_softmax_dim(name, input.dim())
    if dtype is not None:
        input = input.to(dtype)
    elif not input.is_floating_point():
        raise TypeError(f"[{name}] expected a floating point input, got {input.dtype}")
    return _Softmax.apply(input, int(dim), log)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax_impl(input, dim, dtype, False, "softmax")


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax_impl(input, dim, dtype, True, "log_softmax")


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    _check(input, "softmin")
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim())
    return _softmax_impl(-input, dim, None, False, "softmin")


def _tensor_softmax(self, dim, dtype=None):
    return _softmax_impl(self, dim, dtype, False, "softmax")


def _tensor_log_softmax(self, dim, dtype=None):
    return _softmax_impl(self, dim, dtype, True, "log_softmax")


register_methods({"softmax": _tensor_softmax, "log_softmax": _tensor_log_softmax})


# ====================================================================== activations
def _maybe_inplace(input, inplace, name, compute):
    if inplace:
        return _inplace(input, name + "_", compute)
    return compute(input)


def relu(input, inplace=False):
    _check(input, "relu")
    return _maybe_inplace(input, inplace, "relu", ember.relu)


def relu_(input):
    return relu(input, inplace=True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    _check(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"[hardtanh] min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _maybe_inplace(input, inplace, "hardtanh", lambda x: x.clamp(min_val, max_val))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _check(input, "leaky_relu")
    return _maybe_inplace(input, inplace, "leaky_relu",
                          lambda x: ember.where(_c(x) > 0, x, x * negative_slope))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("elu", elu, input, alpha, inplace)
    _check(input, "elu")
    return _maybe_inplace(input, inplace, "elu",
                          lambda x: ember.where(_c(x) > 0, x, ember.expm1(x.clamp(max=0.0)) * alpha))


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("selu", selu, input, inplace)
    _check(input, "selu")
    return _maybe_inplace(input, inplace, "selu", lambda x: elu(x, _SELU_ALPHA) * _SELU_SCALE)


def celu(input, alpha=1.0, inplace=False):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("celu", celu, input, alpha, inplace)
    _check(input, "celu")
    if alpha == 0:
        raise ValueError("[celu] ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(input, inplace, "celu",
                          lambda x: ember.where(_c(x) > 0, x, ember.expm1(x.clamp(max=0.0) / alpha) * alpha))


def gelu(input, approximate="none"):
    _check(input, "gelu")
    if approximate == "none":
        return input * 0.5 * (1.0 + ember.erf(input * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (1.0 + ember.tanh(inner))
    raise ValueError(f"[gelu] approximate argument must be either none or tanh, got {approximate!r}")


def sigmoid(input):
    return ember.sigmoid(_check(input, "sigmoid"))


def tanh(input):
    return ember.tanh(_check(input, "tanh"))


def silu(input, inplace=False):
    _check(input, "silu")
    return _maybe_inplace(input, inplace, "silu", lambda x: x * ember.sigmoid(x))


def softplus(input, beta=1.0, threshold=20.0):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("softplus", softplus, input, beta, threshold)
    _check(input, "softplus")
    bx = input * beta
    # log1p(exp(.)) of the clamped value: the unused branch never overflows.
    soft = ember.log1p(ember.exp(bx.clamp(max=threshold))) / beta
    return ember.where(_c(bx) > threshold, input, soft)


def mish(input, inplace=False):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("mish", mish, input, inplace)
    _check(input, "mish")
    return _maybe_inplace(input, inplace, "mish", lambda x: x * ember.tanh(softplus(x)))


def softsign(input):
    _check(input, "softsign")
    return input / (1.0 + input.abs())


def hardsigmoid(input, inplace=False):
    _check(input, "hardsigmoid")
    return _maybe_inplace(input, inplace, "hardsigmoid", lambda x: (x / 6.0 + 0.5).clamp(0.0, 1.0))


def hardswish(input, inplace=False):
    _check(input, "hardswish")
    return _maybe_inplace(input, inplace, "hardswish", lambda x: x * (x / 6.0 + 0.5).clamp(0.0, 1.0))


def logsigmoid(input):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("logsigmoid", logsigmoid, input)
    _check(input, "logsigmoid")
    # min(x, 0) - log1p(exp(-|x|)): exact for large |x| of either sign.
    return input.clamp(max=0.0) - ember.log1p(ember.exp(-input.abs()))


def tanhshrink(input):
    _check(input, "tanhshrink")
    return input - ember.tanh(input)


def threshold(input, threshold, value, inplace=False):
    _check(input, "threshold")
    return _maybe_inplace(input, inplace, "threshold", lambda x: ember.where(_c(x) > threshold, x, value))


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, inplace=True)


def glu(input, dim=-1):
    _check(input, "glu")
    if input.dim() == 0:
        raise RuntimeError("[glu] glu does not support scalars because halving size must be even")
    d = dim + input.dim() if dim < 0 else dim
    if not 0 <= d < input.dim():
        raise IndexError(f"[glu] Dimension out of range (expected to be in range of [{-input.dim()}, {input.dim() - 1}], "
                         f"but got {dim})")
    if input.shape[d] % 2:
        raise RuntimeError(f"[glu] Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * ember.sigmoid(b)


def prelu(input, weight):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("prelu", prelu, input, weight)
    _check(input, "prelu")
    _check(weight, "prelu")
    w = weight
    n = weight.numel()
    if n != 1:
        if input.dim() < 2 or input.shape[1] != n:
            raise RuntimeError(f"[prelu] weight of {n} parameters does not match the channel size of input shape "
                               f"{tuple(input.shape)}")
        w = weight.reshape([n] + [1] * (input.dim() - 2))
    elif weight.dim() > 0:
        w = weight.reshape([])
    return ember.where(_c(input) > 0, input, w * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    _check(input, "rrelu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)

    def compute(x):
        slope = ember.rand(tuple(x.shape), dtype=x.dtype, device=x.device) * (upper - lower) + lower
        return ember.where(_c(x) >= 0, x, x * slope)

    return _maybe_inplace(input, inplace, "rrelu", compute)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


# ====================================================================== losses: helpers
_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduction_code(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"[{op}] {reduction} is not a valid value for reduction")
    return _REDUCTIONS[reduction]


def _reduce(loss, reduction, op):
    code = _reduction_code(reduction, op)
    if code == 0:
        return loss
    return loss.mean() if code == 1 else loss.sum()


def _pair(input, target, op, same=False):
    _check(input, op)
    _check(target, op)
    if tuple(input.shape) != tuple(target.shape):
        if same:
            raise ValueError(f"[{op}] Using a target size ({tuple(target.shape)}) that is different to the input "
                             f"size ({tuple(input.shape)}) is deprecated. Please ensure they have the same size.")
        try:
            ember.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        except Exception:
            raise ValueError(f"[{op}] input shape {tuple(input.shape)} and target shape {tuple(target.shape)} "
                             "cannot be broadcast together") from None
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


# ====================================================================== regression losses
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("mse_loss", mse_loss, input, target, size_average, reduce, reduction, weight)
    _pair(input, target, "mse_loss")
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("l1_loss", l1_loss, input, target, size_average, reduce, reduction, weight)
    _pair(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("huber_loss", huber_loss, input, target, reduction, delta, weight)
    _pair(input, target, "huber_loss")
    if delta <= 0:
        raise ValueError(f"[huber_loss] delta must be positive, got {delta}")
    d = (input - target).abs()
    loss = ember.where(_c(d) < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("smooth_l1_loss", smooth_l1_loss, input, target, size_average, reduce, reduction, beta)
    _pair(input, target, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"[smooth_l1_loss] beta must be non-negative, got {beta}")
    d = (input - target).abs()
    if beta == 0:
        loss = d
    else:
        loss = ember.where(_c(d) < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "smooth_l1_loss")


# ====================================================================== binary losses
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("binary_cross_entropy", binary_cross_entropy, input, target, weight, size_average, reduce,
                        reduction)
    _pair(input, target, "binary_cross_entropy", same=True)
    xc = _c(input)
    if input.numel() and bool(((xc < 0) | (xc > 1)).any()):
        raise RuntimeError("[binary_cross_entropy] all elements of input should be between 0 and 1")
    # PyTorch clamps each log at -100 so a 0/1 input gives a finite loss.
    loss = -(target * ember.log(input).clamp(min=-100.0) + (1.0 - target) * ember.log(1.0 - input).clamp(min=-100.0))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("binary_cross_entropy_with_logits", binary_cross_entropy_with_logits, input, target, weight,
                        size_average, reduce, reduction, pos_weight)
    _pair(input, target, "binary_cross_entropy_with_logits", same=True)
    # log(1 + e^-|x|) + max(-x, 0) = -log(sigmoid(x)), stable on both sides.
    neg_log_sig = ember.log1p(ember.exp(-input.abs())) + (-input).clamp(min=0.0)
    if pos_weight is not None:
        log_weight = (pos_weight - 1.0) * target + 1.0
        loss = (1.0 - target) * input + log_weight * neg_log_sig
    else:
        loss = (1.0 - target) * input + neg_log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "binary_cross_entropy_with_logits")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("soft_margin_loss", soft_margin_loss, input, target, size_average, reduce, reduction)
    _pair(input, target, "soft_margin_loss")
    z = -target * input
    loss = ember.log1p(ember.exp(-z.abs())) + z.clamp(min=0.0)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    _pair(input, target, "multilabel_soft_margin_loss")
    loss = -(target * logsigmoid(input) + (1.0 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.shape[1] if input.dim() > 1 else input.shape[0]
    loss = loss.sum(dim=1 if input.dim() > 1 else 0) / c
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "multilabel_soft_margin_loss")


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss."""
    _pair(inputs, targets, "sigmoid_focal_loss")
    p = ember.sigmoid(inputs)
    ce = binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1.0 - p) * (1.0 - targets)
    loss = ce * ((1.0 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1.0 - alpha) * (1.0 - targets)) * loss
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"[sigmoid_focal_loss] Invalid Value for arg 'reduction': '{reduction}' \n "
                         "Supported reduction modes: 'none', 'mean', 'sum'")
    return _reduce(loss, reduction, "sigmoid_focal_loss")


# ====================================================================== classification losses
class _FusedNLL(Function):
    """cross_entropy (log_softmax=True) or nll_loss on the fused C++ kernel."""

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, label_smoothing, reduction, log_sm):
        loss, lse, tw = _C.cross_entropy_forward(input._a, target._a, None if weight is None else weight._a,
                                                 ignore_index, label_smoothing, reduction, log_sm)
        ctx.save_for_backward(input, target, weight)
        ctx.lse, ctx.tw = lse, tw
        ctx.args = (ignore_index, label_smoothing, reduction, log_sm)
        ctx.mark_non_differentiable()
        return _wrap(loss)

    @staticmethod
    def backward(ctx, g):
        input, target, weight = ctx.saved_tensors
        gx = _C.cross_entropy_backward(g._a, input._a, target._a, None if weight is None else weight._a, ctx.lse,
                                       ctx.tw, *ctx.args)
        return _wrap(gx), None, None, None, None, None, None


def _class_target(target, op):
    _check(target, op)
    if target.is_floating_point():
        raise TypeError(f"[{op}] expected target of class indices (int64), got {target.dtype}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("nll_loss", nll_loss, input, target, weight, size_average, ignore_index, reduce, reduction)
    _check(input, "nll_loss")
    _class_target(target, "nll_loss")
    code = _reduction_code(_legacy_reduction(size_average, reduce, reduction), "nll_loss")
    return _FusedNLL.apply(input, target, weight, int(ignore_index), 0.0, code, False)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("cross_entropy", cross_entropy, input, target, weight, size_average, ignore_index, reduce,
                        reduction, label_smoothing)
    _check(input, "cross_entropy")
    _check(target, "cross_entropy")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    code = _reduction_code(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"[cross_entropy] label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not target.is_floating_point():
        loss = _FusedNLL.apply(input, target, weight, int(ignore_index), float(label_smoothing), code, True)
        if label_smoothing > 0 and input.dim() >= 1 and input.shape[0 if input.dim() == 1 else 1] == 0:
            # Zero classes: torch's smoothing term is 0 / C = nan in every element.
            loss = loss + math.nan
        return loss
    # Class probabilities: -sum_c w_c t_c log p_c per sample; mean divides by the sample count.
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"[cross_entropy] expected probability target of the input's shape {tuple(input.shape)}, "
                         f"got {tuple(target.shape)}")
    cdim = 0 if input.dim() == 1 else 1
    c = input.shape[cdim]
    if label_smoothing > 0:
        target = target * (1.0 - label_smoothing) + label_smoothing / c
    logp = log_softmax(input, cdim)
    prod = logp * target
    if weight is not None:
        prod = prod * weight.reshape([c] + [1] * (input.dim() - cdim - 1))
    loss = -prod.sum(cdim)
    if code == 0:
        return loss
    if code == 2:
        return loss.sum()
    return loss.sum() / (input.numel() // c if c else 0)


def focal_loss(input, target, gamma=2.0, alpha=None, reduction="mean", ignore_index=-100):
    """Multi-class focal loss (Lin et al.): -alpha_t (1 - p_t)^gamma log p_t on logits (N, C, ...).

    alpha: None, a float (every class), or a per-class tensor (C,). mean averages over the
    non-ignored targets."""
    _check(input, "focal_loss")
    _class_target(target, "focal_loss")
    code = _reduction_code(reduction, "focal_loss")
    cdim = 0 if input.dim() == 1 else 1
    c = input.shape[cdim]
    keep = _c(target) != ignore_index
    safe_t = ember.where(keep, target, 0).long() if hasattr(target, "long") else target
    tmax = int(_c(safe_t).max().item()) if safe_t.numel() else 0
    tmin = int(_c(safe_t).min().item()) if safe_t.numel() else 0
    if tmax >= c or tmin < 0:
        bad = tmax if tmax >= c else tmin
        raise IndexError(f"[focal_loss] target {bad} is out of bounds for {c} classes")
    logp = log_softmax(input, cdim)
    logp_t = logp.gather(cdim, safe_t.unsqueeze(cdim)).squeeze(cdim)
    p_t = logp_t.exp()
    loss = -((1.0 - p_t) ** gamma) * logp_t
    if alpha is not None:
        if isinstance(alpha, Tensor):
            loss = loss * alpha.gather(0, safe_t.reshape(-1)).reshape(safe_t.shape)
        else:
            loss = loss * float(alpha)
    loss = ember.where(keep, loss, 0.0)
    if code == 0:
        return loss
    if code == 2:
        return loss.sum()
    return loss.sum() / keep.sum().to(loss.dtype)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("kl_div", kl_div, input, target, size_average, reduce, reduction, log_target)
    _pair(input, target, "kl_div")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = ember.exp(target) * (target - input)
    else:
        tc = _c(target)
        loss = target * ember.log(ember.where(tc > 0, target, 1.0)) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    return _reduce(loss, reduction, "kl_div")


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("poisson_nll_loss", poisson_nll_loss, input, target, log_input, full, size_average, eps, reduce,
                        reduction)
    _pair(input, target, "poisson_nll_loss")
    if log_input:
        loss = ember.exp(input) - target * input
    else:
        loss = input - target * ember.log(input + eps)
    if full:
        tc = _c(target)
        safe = ember.where(tc > 1, target, 1.0)
        stirling = safe * ember.log(safe) - safe + 0.5 * ember.log(2 * math.pi * safe)
        loss = loss + ember.where(tc > 1, stirling, 0.0)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    _check(input, "gaussian_nll_loss")
    _check(target, "gaussian_nll_loss")
    if isinstance(var, numbers.Real):
        var = ember.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    _check(var, "gaussian_nll_loss")
    ishape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif not (ishape[:-1] == vshape[:-1] and vshape[-1:] == (1,)):
            raise ValueError(f"[gaussian_nll_loss] var is of incorrect size: {vshape} for input of shape {ishape}")
    _reduction_code(reduction, "gaussian_nll_loss")
    if bool((_c(var) < 0).any()):
        raise ValueError("[gaussian_nll_loss] var has negative entry/entries")
    # PyTorch clamps var without recording the clamp: the gradient flows as if unclamped.
    vd = _c(var)
    var = var + (vd.clamp(min=eps) - vd)
    d = input - target
    loss = 0.5 * (ember.log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


# ====================================================================== embedding / ranking losses
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("cosine_embedding_loss", cosine_embedding_loss, input1, input2, target, margin, size_average,
                        reduce, reduction)
    _check(input1, "cosine_embedding_loss")
    _check(input2, "cosine_embedding_loss")
    _check(target, "cosine_embedding_loss")
    if tuple(input1.shape) != tuple(input2.shape):
        raise ValueError(f"[cosine_embedding_loss] input1 shape {tuple(input1.shape)} does not match input2 shape "
                         f"{tuple(input2.shape)}")
    if input1.dim() not in (1, 2) or target.dim() != input1.dim() - 1:
        raise ValueError(f"[cosine_embedding_loss] expected 1D/2D inputs with 0D/1D target, got inputs of shape "
                         f"{tuple(input1.shape)} and target of shape {tuple(target.shape)}")
    eps = 1e-12
    prod = (input1 * input2).sum(-1)
    m1 = (input1 * input1).sum(-1) + eps
    m2 = (input2 * input2).sum(-1) + eps
    cos = prod / ember.sqrt(m1 * m2)
    tc = _c(target)
    loss = ember.where(tc == 1, 1.0 - cos, 0.0) + ember.where(tc == -1, (cos - margin).clamp(min=0.0), 0.0)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "cosine_embedding_loss")


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("margin_ranking_loss", margin_ranking_loss, input1, input2, target, margin, size_average,
                        reduce, reduction)
    for t in (input1, input2, target):
        _check(t, "margin_ranking_loss")
    if not (input1.dim() == input2.dim() == target.dim()):
        raise ValueError(f"[margin_ranking_loss] All input tensors should have same dimension but got sizes: "
                         f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, target: {tuple(target.shape)}")
    loss = (-target * (input1 - input2) + margin).clamp(min=0.0)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("hinge_embedding_loss", hinge_embedding_loss, input, target, margin, size_average, reduce,
                        reduction)
    _pair(input, target, "hinge_embedding_loss")
    tc = _c(target)
    loss = ember.where(tc != 1, (margin - input).clamp(min=0.0), 0.0) + ember.where(tc != -1, input, 0.0)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "hinge_embedding_loss")


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim (torch.nn.functional.pairwise_distance)."""
    _check(x1, "pairwise_distance")
    _check(x2, "pairwise_distance")
    d = x1 - x2 + eps
    if p == 2:
        return ember.sqrt((d * d).sum(-1, keepdim=keepdim))
    if p == 1:
        return d.abs().sum(-1, keepdim=keepdim)
    if p == math.inf:
        return d.abs().amax(-1, keepdim=keepdim)
    if p == 0:
        return (d != 0).to(d.dtype).sum(-1, keepdim=keepdim)
    return (d.abs() ** p).sum(-1, keepdim=keepdim) ** (1.0 / p)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("triplet_margin_loss", triplet_margin_loss, anchor, positive, negative, margin, p, eps, swap,
                        size_average, reduce, reduction)
    for t in (anchor, positive, negative):
        _check(t, "triplet_margin_loss")
    a, pdim, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == pdim == n) or a not in (1, 2):
        raise ValueError(f"[triplet_margin_loss] The anchor, positive, and negative tensors are expected to have the "
                         f"same number of dimensions (1 or 2), but got: anchor {a}D, positive {pdim}D, and negative "
                         f"{n}D inputs")
    if margin <= 0:
        raise ValueError(f"[triplet_margin_loss] margin must be greater than 0, got {margin}")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_pn = pairwise_distance(positive, negative, p, eps)
        d_an = ember.minimum(d_an, d_pn)
    loss = (margin + d_ap - d_an).clamp(min=0.0)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "triplet_margin_loss")


# ====================================================================== dropout family
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input, mask, scale, inplace):
    """input * mask * scale (mask broadcasts); in place when asked."""
    m = mask * scale if scale != 1.0 else mask
    if inplace:
        return input.mul_(m)
    return input * m


def _keep_mask(shape, p, like):
    # Philox-drawn Bernoulli(1 - p) keep mask, seeded by ember.manual_seed
    return ember.bernoulli(ember.full(shape, 1.0 - p, dtype=like.dtype, device=like.device))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p and scales the rest by 1 / (1 - p) (training only)."""
    _check(input, "dropout")
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    return _apply_mask(input, _keep_mask(tuple(input.shape), p, input), 1.0 / (1.0 - p), inplace)


def _feature_dropout(input, p, training, inplace, name, batched_ndim):
    _check(input, name)
    _check_p(p)
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise RuntimeError(f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but received a "
                           f"{input.ndim}D input.")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    nfeat = 2 if input.ndim == batched_ndim else 1  # (N, C) or (C,) leading dims
    shape = tuple(input.shape[:nfeat]) + (1,) * (input.ndim - nfeat)
    return _apply_mask(input, _keep_mask(shape, p, input), 1.0 / (1.0 - p), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or (C, L) input with probability p."""
    return _feature_dropout(input, p, training, inplace, "dropout1d", 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) or (C, H, W) input with probability p."""
    return _feature_dropout(input, p, training, inplace, "dropout2d", 4)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p."""
    return _feature_dropout(input, p, training, inplace, "dropout3d", 5)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _alpha_dropout(input, p, training, inplace, name, feature):
    """Dropout that keeps SELU's self-normalising mean and variance (ATen's formula);
    ``feature`` drops whole channels of (N, C, *) input."""
    _check(input, name)
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    if feature and input.ndim < 2:
        raise RuntimeError(f"[{name}] expected an input of at least 2 dims, got {input.ndim}")
    alpha = _SELU_ALPHA * _SELU_SCALE  # 1.7580993408473766
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    keep = _keep_mask(shape, p, input)
    b = (keep - 1.0) * (alpha * a) + alpha * a * p
    if inplace:
        return input.mul_(keep * a).add_(b)
    return input * (keep * a) + b


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, "alpha_dropout", False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, "feature_alpha_dropout", True)


__all__ += ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


# ====================================================================== embedding
class _Embedding(Function):
    """weight rows gathered by flat indices; backward index_adds grads into the rows."""

    @staticmethod
    def forward(ctx, weight, flat, padding_idx, scale_grad_by_freq):
        ctx.meta = (tuple(weight.shape), padding_idx, scale_grad_by_freq)
        ctx.save_for_backward(flat)
        return ember.index_select(weight, 0, flat)

    @staticmethod
    def backward(ctx, g):
        shape, padding_idx, scale = ctx.meta
        (flat,) = ctx.saved_tensors
        if scale:
            counts = ember.zeros(shape[0], dtype=g.dtype, device=g.device).index_add(
                0, flat, ember.ones(flat.shape[0], dtype=g.dtype, device=g.device))
            g = g / ember.index_select(counts, 0, flat).reshape(-1, 1)
        if padding_idx is not None:
            keep = (_c(flat) != padding_idx).to(g.dtype).reshape(-1, 1)
            g = g * keep
        z = ember.zeros(shape, dtype=g.dtype, device=g.device)
        return ember.index_add(z, 0, flat, g), None, None, None


def _embedding_renorm_(weight, flat, max_norm, norm_type):
    with ember.no_grad():
        rows = ember.unique(flat) if hasattr(ember, "unique") else flat
        sel = ember.index_select(_c(weight), 0, rows)
        norms = ember.norm(sel, norm_type, dim=1, keepdim=True) if sel.numel() else sel
        scale = ember.where(norms > max_norm, max_norm / (norms + 1e-7), ember.ones_like(norms))
        new = sel * scale
        weight.index_put_((rows,), new)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Looks up rows of ``weight`` (num_embeddings, dim) for the integer indices ``input``."""
    _check(input, "embedding")
    _check(weight, "embedding")
    if input.dtype not in (ember.int64, ember.int32):
        raise RuntimeError(f"[embedding] Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.dtype} instead")
    if weight.ndim != 2:
        raise RuntimeError(f"[embedding] 'weight' must be 2-D, got {weight.ndim}-D")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= n:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = n + padding_idx
    flat = _c(input).reshape(-1).to(ember.int64)
    # On CUDA the index_select kernel checks the indices itself (no host sync here).
    if flat.numel() and not flat.is_cuda:
        lo, hi = int(flat.min()), int(flat.max())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise IndexError(f"[embedding] index {bad} is out of range for an embedding with {n} rows")
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    out_shape = tuple(input.shape) + (weight.shape[1],)
    if weight.requires_grad and ember.is_grad_enabled():
        out = _Embedding.apply(weight, flat, padding_idx, scale_grad_by_freq)
    else:
        out = ember.index_select(weight, 0, flat)
    return out.reshape(out_shape)


__all__ += ["embedding"]


class _EmbeddingBag(Function):
    """Bags reduced by the fused kernel; backward scatters grads into weight rows in C++."""

    @staticmethod
    def forward(ctx, weight, per_sample_weights, indices, offsets, mode, padding_idx):
        psw = None if per_sample_weights is None else per_sample_weights._a
        out, bag_size, argmax = _C.embedding_bag(weight._a, indices._a, offsets._a, mode, psw, padding_idx)
        ctx.save_for_backward(weight, per_sample_weights)
        ctx.meta = (indices, offsets, _wrap(bag_size), _wrap(argmax), mode, padding_idx)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        weight, psw = ctx.saved_tensors
        indices, offsets, bag_size, argmax, mode, pad = ctx.meta
        gw = gpsw = None
        if ctx.needs_input_grad[0]:
            gw = _wrap(_C.embedding_bag_backward(g._a, indices._a, offsets._a, bag_size._a, argmax._a,
                                                 weight.shape[0], mode, None if psw is None else psw._a, pad))
        if psw is not None and ctx.needs_input_grad[1]:
            # d out[bag(i)] / d psw[i] = weight[indices[i]]; bag(i) from the offsets by a cumulative count
            n = indices.shape[0]
            starts = ember.zeros(n + 1, dtype=ember.int64, device=offsets.device).index_add(
                0, offsets, ember.ones(offsets.shape[0], dtype=ember.int64, device=offsets.device))
            bag_of = starts.cumsum(0)[:n] - 1
            gpsw = (ember.index_select(g, 0, bag_of) * ember.index_select(weight, 0, indices)).sum(1)
            if pad >= 0:
                gpsw = gpsw * (indices != pad).to(gpsw.dtype)
        return gw, gpsw, None, None, None, None


_BAG_MODES = {"sum": 0, "mean": 1, "max": 2}


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums / averages / maxes bags of embeddings (torch.nn.functional.embedding_bag).

    2-D ``input`` (B, N) is B bags of N indices; 1-D ``input`` needs ``offsets`` (bag starts).
    Entries equal to ``padding_idx`` are left out of their bag; an empty bag gives zeros.
    """
    _check(input, "embedding_bag")
    _check(weight, "embedding_bag")
    if mode not in _BAG_MODES:
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode!r}")
    if scale_grad_by_freq:
        raise ValueError("[embedding_bag] scale_grad_by_freq is not supported by embedding_bag (as in torch)")
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"[embedding_bag] per_sample_weights is only supported for mode='sum' (got mode="
                             f"'{mode}')")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"[embedding_bag] per_sample_weights of shape {tuple(per_sample_weights.shape)} must "
                             f"have the shape of input {tuple(input.shape)}")
    if weight.ndim != 2:
        raise ValueError(f"[embedding_bag] weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences.")
        nbags, length = input.shape
        offsets = ember.arange(0, nbags * length, max(length, 1), dtype=ember.int64, device=input.device)[:nbags]
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError(f"offsets has to be a 1D Tensor, but got Tensor of dimension {offsets.ndim}")
        if include_last_offset:
            if offsets.shape[0] < 1:
                raise ValueError("[embedding_bag] include_last_offset needs at least one offset")
            end = int(offsets[-1])
            offsets = offsets[:-1]
            input = input[:end]
            if per_sample_weights is not None:
                per_sample_weights = per_sample_weights[:end]
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("padding_idx must be within num_embeddings")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    pad = -1 if padding_idx is None else padding_idx
    indices = _c(input).to(ember.int64)
    offsets = _c(offsets).to(ember.int64)
    if max_norm is not None:
        _embedding_renorm_(weight, indices, max_norm, norm_type)
    return _EmbeddingBag.apply(weight, per_sample_weights, indices, offsets, _BAG_MODES[mode], pad)


__all__ += ["embedding_bag"]


# ====================================================================== families in _functional/
def _import_families():
    import importlib
    import pkgutil

    from . import _functional
    for info in sorted(pkgutil.iter_modules(_functional.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{_functional.__name__}.{info.name}")
        for k in getattr(mod, "__all__", ()):
            globals()[k] = getattr(mod, k)
            __all__.append(k)


_import_families()
