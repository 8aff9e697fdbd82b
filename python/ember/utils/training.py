"""Training helpers: EarlyStopping, ensemble_predict, uniform model soups.

- ``EarlyStopping``: call ``step(value)`` (or the object) once per epoch with the
  monitored value; it returns True when training should stop, and can keep and restore
  a deep copy of the best model's state_dict.
- ``ensemble_predict``: the mean of several models' outputs, or their majority vote.
- ``uniform_soup`` / ``average_state_dicts``: the element-wise mean of state dicts
  (Wortsman et al. 2022, "model soups"); computed with ember tensor ops.
"""
import math

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["EarlyStopping", "ensemble_predict", "uniform_soup", "average_state_dicts"]


def _clone_state(sd):
    return type(sd)((k, v.detach().clone() if isinstance(v, Tensor) else v) for k, v in sd.items())


class EarlyStopping:
    """Stops training when a monitored value has not improved for ``patience`` calls.

    mode: 'min' (a loss) or 'max' (an accuracy); an improvement must beat the best by
    more than ``min_delta``. With ``restore_best_weights``, each call given a ``model``
    keeps a copy of its state_dict at the best value, and loads it back when stopping.
    """

    def __init__(self, patience=5, mode="min", min_delta=0.0, restore_best_weights=False):
        if mode not in ("min", "max"):
            raise ValueError(f"[EarlyStopping] expected mode 'min' or 'max', got {mode!r}")
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ValueError(f"[EarlyStopping] expected a non-negative int patience, got {patience!r}")
        if not isinstance(min_delta, (int, float)) or isinstance(min_delta, bool) or not min_delta >= 0 \
                or math.isinf(min_delta):
            raise ValueError(f"[EarlyStopping] expected a finite min_delta >= 0, got {min_delta!r}")
        self.patience = patience
        self.mode = mode
        self.min_delta = float(min_delta)
        self.restore_best_weights = restore_best_weights
        self.reset()

    def reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1
        self.epoch = -1
        self.num_bad_epochs = 0
        self.should_stop = False
        self.best_state = None

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value, model=None):
        """Records this epoch's value; returns True when training should stop."""
        if isinstance(value, Tensor):
            if value.numel() != 1:
                raise ValueError(f"[EarlyStopping] expected a single value, got a tensor of shape "
                                 f"{tuple(value.shape)}")
            value = value.item()
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"[EarlyStopping] expected a number, got {type(value).__name__}") from None
        if model is not None and not hasattr(model, "state_dict"):
            raise TypeError(f"[EarlyStopping] expected an ember.nn.Module for model, got {type(model).__name__}")
        self.epoch += 1
        if math.isnan(value):
            self.num_bad_epochs += 1  # NaN never improves
        elif self._improved(value):
            self.best = value
            self.best_epoch = self.epoch
            self.num_bad_epochs = 0
            if self.restore_best_weights and model is not None:
                self.best_state = _clone_state(model.state_dict())
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            self.should_stop = True
            if self.restore_best_weights and model is not None and self.best_state is not None:
                model.load_state_dict(self.best_state)
        return self.should_stop

    __call__ = step

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items()}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


def ensemble_predict(models, x, method="mean"):
    """Runs every model on ``x`` (in eval mode, without grad) and combines the outputs:
    'mean' averages them; 'vote' takes each model's argmax over the last dimension and
    returns the most common class (ties go to the smallest class index)."""
    models = list(models)
    if not models:
        raise ValueError("[ensemble_predict] expected at least one model, got none")
    if method not in ("mean", "vote"):
        raise ValueError(f"[ensemble_predict] expected method 'mean' or 'vote', got {method!r}")
    outs = []
    with no_grad():
        for m in models:
            if not callable(m):
                raise TypeError(f"[ensemble_predict] expected callable models, got {type(m).__name__}")
            was_training = getattr(m, "training", False)
            if hasattr(m, "eval"):
                m.eval()
            try:
                out = m(x)
            finally:
                if was_training:
                    m.train()
            if not isinstance(out, Tensor):
                raise TypeError(f"[ensemble_predict] expected each model to return a Tensor, got "
                                f"{type(out).__name__}")
            outs.append(out)
    shapes = {tuple(o.shape) for o in outs}
    if len(shapes) != 1:
        raise ValueError(f"[ensemble_predict] expected every model's output to have one shape, got "
                         f"{sorted(shapes)}")
    from .._ops.shape import stack

    stacked = stack(outs, 0)
    if method == "mean":
        return stacked.float().mean(0) if not stacked.is_floating_point() else stacked.mean(0)
    if stacked.dim() < 2:
        raise ValueError(f"[ensemble_predict] 'vote' expects outputs of shape (..., classes), got "
                         f"{tuple(outs[0].shape)}")
    n_classes = stacked.shape[-1]
    from .._ops.index import one_hot

    votes = one_hot(stacked.argmax(-1), n_classes).sum(0)  # (..., classes) vote counts
    return votes.argmax(-1)


def uniform_soup(state_dicts):
    """The element-wise mean of several state dicts with the same keys and shapes.
    Floating tensors are averaged (in float64, cast back); other entries (e.g.
    num_batches_tracked) are taken from the first state dict."""
    sds = list(state_dicts)
    if not sds:
        raise ValueError("[uniform_soup] expected at least one state_dict, got none")
    keys = list(sds[0].keys())
    for i, sd in enumerate(sds[1:], 1):
        if list(sd.keys()) != keys:
            missing = set(keys) ^ set(sd.keys())
            raise KeyError(f"[uniform_soup] state_dict {i} has different keys than state_dict 0: "
                           f"{sorted(missing)[:5] or 'same keys in another order'}")
    out = type(sds[0])()
    meta = getattr(sds[0], "_metadata", None)
    if meta is not None:
        out._metadata = meta
    with no_grad():
        for k in keys:
            first = sds[0][k]
            if not isinstance(first, Tensor) or not first.is_floating_point():
                out[k] = first.detach().clone() if isinstance(first, Tensor) else first
                continue
            acc = None
            for i, sd in enumerate(sds):
                v = sd[k]
                if not isinstance(v, Tensor) or tuple(v.shape) != tuple(first.shape):
                    got = tuple(v.shape) if isinstance(v, Tensor) else type(v).__name__
                    raise ValueError(f"[uniform_soup] expected {k!r} of shape {tuple(first.shape)} in every "
                                     f"state_dict, got {got} in state_dict {i}")
                v = v.detach().to(device=first.device).double()
                acc = v.clone() if acc is None else acc.add_(v)
            out[k] = acc.div_(len(sds)).to(first.dtype)
    return out


average_state_dicts = uniform_soup
