"""Adamax (Adam with an infinity norm; L2 weight decay, maximize): PyTorch's update rule
(torch/optim/adamax.py), one fused native call per group (_C.adamax_step):

    m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
    p -= lr / (1 - beta1^t) * m / u

state per parameter: step, exp_avg, exp_inf.
"""
from .. import _C
from ._common import check_betas, check_eps, check_lr, check_weight_decay, new_step, zeros
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    _kernel = "adamax_step"
    _group_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)


    def _state_inits(self, group):
        return {"step": new_step, "exp_avg": zeros, "exp_inf": zeros}

    def _kernel_args(self, group, s, fresh):
        beta1, beta2 = group["betas"]
        return ([s["exp_avg"], s["exp_inf"], s["step"]],
                (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]), float(group["weight_decay"]),
                 bool(group["maximize"])))
