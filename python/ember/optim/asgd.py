"""ASGD, averaged SGD (lambd, alpha, t0, L2 weight decay, maximize): PyTorch's update
rule (torch/optim/asgd.py), one fused native call per group (_C.asgd_step):

    p *= 1 - lambd * eta;  p -= eta * g
    ax += (p - ax) * mu   (ax = p while mu == 1)
    eta = lr / (1 + lambd * lr * t)^alpha;  mu = 1 / max(1, t - t0)

state per parameter: step, eta, mu (0-d tensors), ax.
"""
from .. import _C
from .._dtype import float32, get_default_dtype
from ._common import check_lr, check_weight_decay, new_step, scalar_state, zeros
from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    _kernel = "asgd_step"
    _group_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_weight_decay(weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)


    def _state_inits(self, group):
        return {"step": new_step, "eta": scalar_state(group["lr"]), "mu": scalar_state(1.0), "ax": zeros}

    def _kernel_args(self, group, s, fresh):
        return ([s["ax"], s["mu"], s["eta"], s["step"]],
                (float(group["lr"]), float(group["lambd"]), float(group["alpha"]), float(group["t0"]),
                 float(group["weight_decay"]), bool(group["maximize"]), get_default_dtype() == float32))
