"""Adadelta (rho, eps, L2 weight decay, maximize): PyTorch's update rule
(torch/optim/adadelta.py), one fused native call per group (_C.adadelta_step):

    v = rho * v + (1 - rho) * g * g
    delta = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta * delta;  p -= lr * delta

state per parameter: step, square_avg (v), acc_delta (u).
"""
from .. import _C
from ._common import check_eps, check_lr, check_weight_decay, new_step, zeros
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    _kernel = "adadelta_step"
    _group_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_eps(eps)
        check_weight_decay(weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)


    def _state_inits(self, group):
        return {"step": new_step, "square_avg": zeros, "acc_delta": zeros}

    def _kernel_args(self, group, s, fresh):
        return ([s["square_avg"], s["acc_delta"], s["step"]],
                (float(group["lr"]), float(group["rho"]), float(group["eps"]), float(group["weight_decay"]),
                 bool(group["maximize"])))
