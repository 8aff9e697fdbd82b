"""Rprop, resilient backpropagation (etas, step_sizes, maximize): PyTorch's update rule
(torch/optim/rprop.py), one fused native call per group (_C.rprop_step):

    s = sign(g * prev): step_size *= etaplus (s > 0), etaminus (s < 0), 1 (s == 0)
    step_size = clamp(step_size, step_size_min, step_size_max)
    g = 0 where s < 0;  p -= sign(g) * step_size;  prev = g

state per parameter: step, prev, step_size (starts at lr).
"""
from .. import _C
from ._common import check_lr, filled, new_step, zeros
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    _kernel = "rprop_step"
    _group_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)


    def _state_inits(self, group):
        return {"step": new_step, "prev": zeros, "step_size": filled(group["lr"])}

    def _kernel_args(self, group, s, fresh):
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        return ([s["prev"], s["step_size"], s["step"]],
                (float(etaminus), float(etaplus), float(lo), float(hi), bool(group["maximize"])))
