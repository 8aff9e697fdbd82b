"""SGD (momentum, dampening, Nesterov, L2 weight decay, maximize): PyTorch's update rule
(torch/optim/sgd.py), run for the whole group by one fused native call (_C.sgd_step):

    g = -grad if maximize else grad;   g += weight_decay * p
    buf = g on the first step, else buf = momentum * buf + (1 - dampening) * g
    g = g + momentum * buf if nesterov else buf;   p -= lr * g

state per parameter: momentum_buffer (only when momentum != 0).
``foreach``/``fused`` are accepted for compatibility; ember always runs its fused kernel.
"""
from .. import _C
from .._ops.creation import zeros_like
from .optimizer import Optimizer, required

__all__ = ["SGD"]


class SGD(Optimizer):
    _kernel = "sgd_step"
    _group_defaults = dict(nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        self._check_fused_args(foreach, fused, differentiable)


    def _state_inits(self, group):
        return {"momentum_buffer": zeros_like} if float(group["momentum"]) != 0 else None

    def _kernel_args(self, group, s, fresh):
        return ([s.get("momentum_buffer", []), fresh],
                (float(group["lr"]), float(group["momentum"]), float(group["dampening"]),
                 float(group["weight_decay"]), bool(group["nesterov"]), bool(group["maximize"])))
