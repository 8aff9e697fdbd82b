"""Shrinkage activations, in-place celu_/selu_, normalize, gumbel_softmax and
channel_shuffle: compositions of ember's elementwise, reduction and view kernels."""
import ember

from ..functional import _c, _check, celu, selu, softmax

__all__ = ["hardshrink", "softshrink", "celu_", "selu_", "normalize", "gumbel_softmax", "channel_shuffle",
           "native_channel_shuffle"]


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    _check(input, "hardshrink")
    return ember.where(_c(input).abs() > lambd, input, 0.0)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    _check(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"[softshrink] lambda must be greater or equal to 0, but found to be {lambd}.")
    x = _c(input)
    return ember.where(x > lambd, input - lambd, ember.where(x < -lambd, input + lambd, 0.0))


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


def selu_(input):
    return selu(input, inplace=True)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    _check(input, "normalize")
    denom = ember.linalg.vector_norm(input, p, dim=dim, keepdim=True).clamp(min=eps)
    r = input / denom
    if out is not None:
        out._a = r._a
        return out
    return r


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution; hard=True gives one-hot samples
    with the soft sample's gradient (straight-through)."""
    _check(logits, "gumbel_softmax")
    u = ember.rand(tuple(logits.shape), dtype=logits.dtype, device=logits.device)
    gumbels = -ember.log(-ember.log(u.clamp(min=1e-20)))  # Gumbel(0, 1) noise
    y = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    index = _c(y).argmax(dim, keepdim=True)
    y_hard = ember.zeros_like(_c(y)).scatter(dim, index, 1.0)
    return y_hard - _c(y) + y


def channel_shuffle(input, groups):
    """Rearranges (N, g*k, *) channels as (N, k*g, *): the ShuffleNet shuffle."""
    _check(input, "channel_shuffle")
    if input.ndim < 3:
        raise RuntimeError(f"[channel_shuffle] expected an input of at least 3 dims, got {input.ndim}")
    if groups <= 0:
        raise RuntimeError(f"[channel_shuffle] Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"[channel_shuffle] Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle
