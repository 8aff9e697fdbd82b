"""Weight averaging (PyTorch's torch.optim.swa_utils): AveragedModel for SWA and EMA,
SWALR, and update_bn.

The averages are updated in place with ember tensor ops under no_grad (``lerp_`` for
EMA, ``add_`` of the scaled difference for SWA), one call per tensor: the element
loops run in ember's kernels. Integer tensors (e.g. ``num_batches_tracked`` with
``use_buffers=True``) are averaged in float64 and truncated on the copy back, as
PyTorch's ``copy_`` does.
"""
import itertools
import math
import warnings
from copy import deepcopy

from .._dtype import float64, int64
from .._ops.creation import tensor as _tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if not isinstance(decay, (int, float)) or isinstance(decay, bool) or not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _n_plus_one(num_averaged):
    return float(num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged) + 1.0


def get_ema_multi_avg_fn(decay=0.999):
    """ema <- decay * ema + (1 - decay) * current, on lists of tensors in place."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _num_averaged):
        with no_grad():
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                if p_ema.is_floating_point():
                    p_ema.lerp_(p_model, 1 - decay)
                else:
                    p_ema.copy_(p_ema.to(float64) * decay + p_model.to(float64) * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """avg <- avg + (current - avg) / (n + 1), on lists of tensors in place."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n1 = _n_plus_one(num_averaged)
        with no_grad():
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                if p_avg.is_floating_point():
                    p_avg.lerp_(p_model, 1.0 / n1)
                else:
                    p_avg.copy_(p_avg.to(float64) + (p_model.to(float64) - p_avg.to(float64)) / n1)

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """A per-tensor EMA: returns decay * ema + (1 - decay) * current."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """A per-tensor running mean: returns avg + (current - avg) / (n + 1)."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / _n_plus_one(num_averaged)

    return swa_update


def _swa_in_place(p_avg, p_model, n1):
    # PyTorch's CPU path: avg.copy_(avg + (cur - avg) / (n + 1)).
    if p_avg.is_floating_point():
        d = p_model - p_avg
        d.div_(n1)
        p_avg.add_(d)
    else:
        p_avg.copy_(p_avg.to(float64) + (p_model.to(float64) - p_avg.to(float64)) / n1)


class AveragedModel(Module):
    """Keeps a running average of ``model``'s parameters (SWA by default, EMA through
    ``multi_avg_fn=get_ema_multi_avg_fn(decay)``). state_dict keys: ``n_averaged`` and the
    copy's keys under ``module.``."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"[AveragedModel] expected an ember.nn.Module, got {type(model).__name__}")
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _tensor(0, dtype=int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Folds ``model``'s current parameters (and buffers with use_buffers) into the average."""
        if not isinstance(model, Module):
            raise TypeError(f"[AveragedModel.update_parameters] expected an ember.nn.Module, got "
                            f"{type(model).__name__}")
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine = list(self.module.parameters())
            theirs = list(model.parameters())
        for a, b in zip(mine, theirs):
            if tuple(a.shape) != tuple(b.shape):
                raise RuntimeError(f"[AveragedModel.update_parameters] expected the model's tensors to match the "
                                   f"average's shapes, got {tuple(b.shape)} for one of shape {tuple(a.shape)}")
        with no_grad():
            avg = [p.detach() for p in mine]
            cur = [p.detach().to(a.device) for p, a in zip(theirs, avg)]
            n = int(self.n_averaged.item())
            if n == 0:
                for a, c in zip(avg, cur):
                    a.copy_(c)
            else:
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn(avg, cur, self.n_averaged)
                elif self.avg_fn is None:
                    for a, c in zip(avg, cur):
                        _swa_in_place(a, c, n + 1.0)
                else:
                    for a, c in zip(avg, cur):
                        a.copy_(self.avg_fn(a, c, self.n_averaged))
            if not self.use_buffers:
                # Buffers (BatchNorm statistics) follow the model; update_bn recomputes them.
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.detach().copy_(b_model.detach().to(b_avg.device))
            self.n_averaged.add_(1)


def update_bn(loader, model, device=None):
    """Recomputes every BatchNorm's running statistics with one pass over ``loader``
    (a cumulative average: momentum None), as after SWA."""
    if not isinstance(model, Module):
        raise TypeError(f"[update_bn] expected an ember.nn.Module, got {type(model).__name__}")
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for inp in loader:
                if isinstance(inp, (list, tuple)):
                    inp = inp[0]
                if device is not None:
                    inp = inp.to(device)
                model(inp)
    finally:
        for module, m in momenta.items():
            module.momentum = m
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to ``swa_lr`` over ``anneal_epochs`` (cos or linear), then holds it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or isinstance(anneal_epochs, bool) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        # Recover the lr before annealing from the current one, so the schedule chains.
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
