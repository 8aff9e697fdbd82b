"""Adam (amsgrad, L2 or decoupled weight decay, maximize): PyTorch's update rule
(torch/optim/adam.py, single-tensor order of operations), run for the whole group by
one fused native call (_C.adam_step):

    t += 1;  g = -grad if maximize else grad
    g += weight_decay * p            (or p *= 1 - lr * weight_decay when decoupled)
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    vmax = max(vmax, v)              (amsgrad: the denominator uses vmax)
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

state per parameter: step (a 0-d tensor), exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad).
``foreach``/``fused``/``capturable`` are accepted for compatibility; ember always runs
its fused CPU kernel, and ``differentiable`` steps are not recorded by autograd.
"""
from .. import _C
from ._common import check_betas, check_eps, check_lr, check_weight_decay, new_step, zeros
from .optimizer import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    _kernel = "adam_step"
    _group_defaults = dict(amsgrad=False, maximize=False, foreach=None, capturable=False, differentiable=False,
                           fused=None, decoupled_weight_decay=False)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        self._check_fused_args(foreach, fused, differentiable)


    def _state_inits(self, group):
        inits = {"step": new_step, "exp_avg": zeros, "exp_avg_sq": zeros}
        if group["amsgrad"]:
            inits["max_exp_avg_sq"] = zeros
        return inits

    def _kernel_args(self, group, s, fresh):
        beta1, beta2 = group["betas"]
        return ([s["exp_avg"], s["exp_avg_sq"], s.get("max_exp_avg_sq", []), s["step"]],
                (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]), float(group["weight_decay"]),
                 bool(group["amsgrad"]), bool(group["maximize"]), bool(group["decoupled_weight_decay"])))
