"""Adagrad (lr_decay, initial_accumulator_value, L2 weight decay, maximize): PyTorch's
update rule (torch/optim/adagrad.py), one fused native call per group
(_C.adagrad_step):

    t += 1;  clr = lr / (1 + (t - 1) * lr_decay)
    sum += g * g;  p -= clr * g / (sqrt(sum) + eps)

state per parameter (created at construction, as torch does): step, sum.
"""
from .. import _C
from ._common import check_eps, check_lr, check_weight_decay, filled, new_step
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    _kernel = "adagrad_step"
    _group_defaults = dict(foreach=None, maximize=False, differentiable=False, fused=None)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        check_weight_decay(weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        check_eps(eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        self._check_fused_args(foreach, fused, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = new_step(p)
                state["sum"] = filled(initial_accumulator_value)(p)


    def _state_inits(self, group):
        return {"step": new_step, "sum": filled(self.defaults["initial_accumulator_value"])}

    def _kernel_args(self, group, s, fresh):
        return ([s["sum"], s["step"]],
                (float(group["lr"]), float(group["lr_decay"]), float(group["weight_decay"]), float(group["eps"]),
                 bool(group["maximize"])))
