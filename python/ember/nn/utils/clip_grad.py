"""clip_grad_norm_ / clip_grad_value_ (torch.nn.utils.clip_grad semantics)."""
import math
import warnings

import ember

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients of ``parameters`` in place so their joint norm is at most max_norm.

    Returns the total norm of the gradients (viewed as a single vector) before clipping.
    """
    grads = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    with no_grad():
        if len(grads) == 0:
            return ember.tensor(0.0)
        # Per-gradient norms are computed where each gradient lives, then gathered on the
        # first gradient's device (torch's rule: the result is on that device).
        dev = grads[0].device
        if math.isinf(norm_type):
            norms = [g.detach().abs().max().to(dev) for g in grads]
            total = norms[0] if len(norms) == 1 else ember.stack(norms).max()
        else:
            norms = [ember.norm(g.detach().reshape(-1), norm_type).to(dev) for g in grads]
            total = ember.norm(ember.stack(norms), norm_type)
        if error_if_nonfinite and not bool(ember.isfinite(total)):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
                "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                "`error_if_nonfinite=False`")
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(device=g.device, dtype=g.dtype))
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient of ``parameters`` in place to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(min=-clip_value, max=clip_value)
