"""NAdam (momentum_decay, L2 or decoupled weight decay, maximize): PyTorch's update rule
(torch/optim/nadam.py), one fused native call per group (_C.nadam_step):

    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));  mu_product *= mu_t
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v / (1 - beta2^t)) + eps
    p -= lr * (1 - mu_t) / (1 - mu_product) * g / denom
    p -= lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom

state per parameter: step, mu_product (0-d tensors), exp_avg, exp_avg_sq.
"""
from .. import _C
from ._common import check_betas, check_eps, check_lr, check_weight_decay, new_step, scalar_state, zeros
from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    _kernel = "nadam_step"
    _group_defaults = dict(maximize=False, foreach=None, capturable=False, differentiable=False,
                           decoupled_weight_decay=False)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)


    def _state_inits(self, group):
        return {"step": new_step, "mu_product": scalar_state(1.0), "exp_avg": zeros, "exp_avg_sq": zeros}

    def _kernel_args(self, group, s, fresh):
        beta1, beta2 = group["betas"]
        return ([s["exp_avg"], s["exp_avg_sq"], s["mu_product"], s["step"]],
                (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]), float(group["weight_decay"]),
                 float(group["momentum_decay"]), bool(group["decoupled_weight_decay"]), bool(group["maximize"])))
