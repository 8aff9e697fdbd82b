"""RMSprop (alpha, eps, momentum, centered, L2 weight decay, maximize): PyTorch's update
rule (torch/optim/rmsprop.py), one fused native call per group (_C.rmsprop_step):

    v = alpha * v + (1 - alpha) * g * g
    avg = sqrt(v - ga * ga) + eps, ga = lerp(ga, g, 1 - alpha)   (centered)
    avg = sqrt(v) + eps                                         (otherwise)
    buf = momentum * buf + g / avg;  p -= lr * buf              (momentum > 0)
    p -= lr * g / avg                                           (otherwise)

state per parameter: step, square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
"""
from .. import _C
from ._common import check_eps, check_lr, check_weight_decay, new_step, zeros
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    _kernel = "rmsprop_step"
    _group_defaults = dict(momentum=0, centered=False, foreach=None, maximize=False, differentiable=False,
                           capturable=False)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        check_eps(eps)
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        check_weight_decay(weight_decay)
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)


    def _state_inits(self, group):
        inits = {"step": new_step, "square_avg": zeros}
        if float(group["momentum"]) > 0:
            inits["momentum_buffer"] = zeros
        if bool(group["centered"]):
            inits["grad_avg"] = zeros
        return inits

    def _kernel_args(self, group, s, fresh):
        return ([s["square_avg"], s.get("grad_avg", []), s.get("momentum_buffer", []), s["step"]],
                (float(group["lr"]), float(group["alpha"]), float(group["eps"]), float(group["weight_decay"]),
                 float(group["momentum"]), bool(group["centered"]), bool(group["maximize"])))
