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

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        inits = {"step": new_step, "square_avg": zeros, "acc_delta": zeros}
        params, grads, s, _, unique = self._gather(group, inits)
        if not params:
            return
        self._launch(_C.adadelta_step, unique, [params, grads, s["square_avg"], s["acc_delta"], s["step"]],
                     float(group["lr"]), float(group["rho"]), float(group["eps"]), float(group["weight_decay"]),
                     bool(group["maximize"]))
