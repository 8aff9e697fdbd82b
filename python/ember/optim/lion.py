"""Lion, EvoLved Sign Momentum (Chen et al. 2023, "Symbolic Discovery of Optimization
Algorithms"; the update of lucidrains/lion-pytorch), not in torch.optim. One fused
native call per group (_C.lion_step):

    p *= 1 - lr * weight_decay                      (decoupled decay)
    p -= lr * sign(beta1 * m + (1 - beta1) * g)
    m = beta2 * m + (1 - beta2) * g

state per parameter: exp_avg. Use a 3-10x smaller lr and a 3-10x larger weight decay
than for AdamW.
"""
from .. import _C
from ._common import check_betas, check_lr, check_weight_decay, zeros
from .optimizer import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    _kernel = "lion_step"
    _group_defaults = dict(maximize=False, foreach=None, differentiable=False)

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False, foreach=None,
                 differentiable=False):
        check_lr(lr)
        check_betas(betas)
        check_weight_decay(weight_decay)
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        differentiable=differentiable)
        super().__init__(params, defaults)


    def _state_inits(self, group):
        return {"exp_avg": zeros}

    def _kernel_args(self, group, s, fresh):
        beta1, beta2 = group["betas"]
        return ([s["exp_avg"]],
                (float(group["lr"]), float(beta1), float(beta2), float(group["weight_decay"]), bool(group["maximize"])))
