"""RAdam (L2 or decoupled weight decay, maximize): PyTorch's update rule
(torch/optim/radam.py), one fused native call per group (_C.radam_step):

    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    rho_t > 5:  p -= m / (1 - beta1^t) * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t
    otherwise:  p -= m / (1 - beta1^t) * lr

state per parameter: step, exp_avg, exp_avg_sq.
"""
from .. import _C
from ._common import check_betas, check_eps, check_lr, check_weight_decay, new_step, zeros
from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    _kernel = "radam_step"
    _group_defaults = dict(foreach=None, maximize=False, differentiable=False, decoupled_weight_decay=False,
                           capturable=False)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)


    def _state_inits(self, group):
        return {"step": new_step, "exp_avg": zeros, "exp_avg_sq": zeros}

    def _kernel_args(self, group, s, fresh):
        beta1, beta2 = group["betas"]
        return ([s["exp_avg"], s["exp_avg_sq"], s["step"]],
                (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]), float(group["weight_decay"]),
                 bool(group["decoupled_weight_decay"]), bool(group["maximize"])))
