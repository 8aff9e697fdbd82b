"""Keras losses: ``fn(y_true, y_pred)`` per-sample functions and Loss classes, on ember ops.

Probabilities are the default input (``from_logits=False``), as in Keras: the
cross-entropies renormalise and clip the probabilities to [1e-7, 1 - 1e-7] before the
log, so a softmax/sigmoid-output model trains with them; with ``from_logits=True`` they
use ember's fused log-softmax / logits kernels. Per-sample values average over the last
axis (Keras's convention); the class reduction 'sum_over_batch_size' divides the
weighted sum by the number of values.
"""
from ..nn import functional as F
from ..tensor import Tensor
from .layers.base import to_tensor

__all__ = ["Loss", "LossFunctionWrapper", "SparseCategoricalCrossentropy", "CategoricalCrossentropy",
           "BinaryCrossentropy", "MeanSquaredError", "MeanAbsoluteError", "Huber", "BinaryFocalCrossentropy",
           "CategoricalFocalCrossentropy", "sparse_categorical_crossentropy", "categorical_crossentropy",
           "binary_crossentropy", "mean_squared_error", "mean_absolute_error", "huber",
           "binary_focal_crossentropy", "categorical_focal_crossentropy", "get", "mse", "mae"]

EPSILON = 1e-7


def _prep(y_true, y_pred, name):
    if not isinstance(y_pred, Tensor):
        y_pred = to_tensor(y_pred)
    if not isinstance(y_true, Tensor):
        y_true = to_tensor(y_true)
    if y_true.device != y_pred.device:
        y_true = y_true.to(y_pred.device)  # labels follow the predictions (e.g. NumPy labels, GPU model)
    if y_true.shape[0] != y_pred.shape[0] if y_true.dim() and y_pred.dim() else False:
        raise ValueError(f"[{name}] expected y_true and y_pred with one batch size, got shapes "
                         f"{tuple(y_true.shape)} and {tuple(y_pred.shape)}")
    return y_true, y_pred


def _match(y_true, y_pred, name):
    """y_true reshaped to y_pred's shape when they hold the same number of values ((N,) vs (N, 1))."""
    if tuple(y_true.shape) != tuple(y_pred.shape):
        if y_true.numel() != y_pred.numel():
            raise ValueError(f"[{name}] expected y_true of shape {tuple(y_pred.shape)} (as y_pred), got "
                             f"{tuple(y_true.shape)}")
        y_true = y_true.reshape(y_pred.shape)
    return y_true if y_true.dtype == y_pred.dtype else y_true.to(y_pred.dtype)


def _log_probs(y_pred, from_logits, axis=-1):
    if from_logits:
        return F.log_softmax(y_pred, dim=axis)
    p = y_pred / y_pred.sum(dim=axis, keepdim=True)
    return p.clamp(EPSILON, 1.0 - EPSILON).log()


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    name = "sparse_categorical_crossentropy"
    y_true, y_pred = _prep(y_true, y_pred, name)
    if y_pred.dim() < 2:
        raise ValueError(f"[{name}] expected y_pred of at least 2 dims (N, classes), got shape {tuple(y_pred.shape)}")
    c = y_pred.shape[axis]
    lead = tuple(y_pred.shape[:-1])
    if tuple(y_true.shape) != lead:
        if y_true.numel() != y_pred.numel() // c:
            raise ValueError(f"[{name}] expected integer labels of shape {lead}, got shape {tuple(y_true.shape)}")
        y_true = y_true.reshape(lead)
    if y_true.is_floating_point():
        y_true = y_true.long()
    if y_true.numel():
        lo, hi = int(y_true.min().item()), int(y_true.max().item())
        if (lo < 0 and (ignore_class is None or lo != ignore_class)) or hi >= c:
            raise ValueError(f"[{name}] labels must be in [0, {c}) for y_pred with {c} classes, got labels in "
                             f"[{lo}, {hi}]")
    logp = _log_probs(y_pred, from_logits, axis).reshape(-1, c)
    out = F.nll_loss(logp, y_true.reshape(-1), reduction="none",
                     ignore_index=ignore_class if ignore_class is not None else -100)
    return out.reshape(lead)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    name = "categorical_crossentropy"
    y_true, y_pred = _prep(y_true, y_pred, name)
    y_true = _match(y_true, y_pred, name)
    if label_smoothing:
        c = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / c
    return -(y_true * _log_probs(y_pred, from_logits, axis)).sum(dim=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    name = "binary_crossentropy"
    y_true, y_pred = _prep(y_true, y_pred, name)
    y_true = _match(y_true, y_pred, name)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        v = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
        v = -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log())
    return v.mean(dim=axis) if v.dim() > 1 else v


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    name = "binary_focal_crossentropy"
    y_true, y_pred = _prep(y_true, y_pred, name)
    y_true = _match(y_true, y_pred, name)
    p = F.sigmoid(y_pred) if from_logits else y_pred
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    pc = p.clamp(EPSILON, 1.0 - EPSILON)
    bce = -(y_true * pc.log() + (1.0 - y_true) * (1.0 - pc).log())
    p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
    v = (1.0 - p_t).pow(gamma) * bce
    if apply_class_balancing:
        v = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * v
    return v.mean(dim=axis) if v.dim() > 1 else v


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    name = "categorical_focal_crossentropy"
    y_true, y_pred = _prep(y_true, y_pred, name)
    y_true = _match(y_true, y_pred, name)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    logp = _log_probs(y_pred, from_logits, axis)
    p = logp.exp()
    return -(alpha * (1.0 - p).pow(gamma) * y_true * logp).sum(dim=axis)


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred, "mean_squared_error")
    y_true = _match(y_true, y_pred, "mean_squared_error")
    d = y_pred - y_true
    v = d * d
    return v.mean(dim=-1) if v.dim() > 1 else v


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _prep(y_true, y_pred, "mean_absolute_error")
    y_true = _match(y_true, y_pred, "mean_absolute_error")
    v = (y_pred - y_true).abs()
    return v.mean(dim=-1) if v.dim() > 1 else v


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _prep(y_true, y_pred, "huber")
    y_true = _match(y_true, y_pred, "huber")
    v = F.huber_loss(y_pred, y_true, reduction="none", delta=delta)
    return v.mean(dim=-1) if v.dim() > 1 else v


mse, mae = mean_squared_error, mean_absolute_error

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None)


class Loss:
    """A loss object: ``loss(y_true, y_pred, sample_weight=None)`` -> the reduced scalar."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"[{type(self).__name__}] expected reduction in {list(_REDUCTIONS)}, got {reduction!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):
        raise TypeError(f"[{type(self).__name__}] subclasses of keras.losses.Loss must define call()")

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        return reduce_values(values, sample_weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


def reduce_values(values, sample_weight, reduction):
    if sample_weight is not None:
        w = sample_weight if isinstance(sample_weight, Tensor) else to_tensor(sample_weight)
        w = w.to(device=values.device, dtype=values.dtype)
        if w.numel() != values.shape[0] if values.dim() else False:
            raise ValueError(f"[loss] expected sample_weight of {values.shape[0]} values, got shape {tuple(w.shape)}")
        w = w.reshape((values.shape[0],) + (1,) * (values.dim() - 1)) if values.dim() else w.reshape(())
        values = values * w
    if reduction in ("none", None):
        return values
    s = values.sum()
    if reduction == "sum":
        return s
    return s / max(values.numel(), 1)


def _snake(name):
    import re
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class LossFunctionWrapper(Loss):
    def __init__(self, fn, name=None, reduction="sum_over_batch_size", **kwargs):
        super().__init__(name=name or fn.__name__, reduction=reduction)
        self.fn, self.fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


def _wrapper(fn, defaults):
    class _L(LossFunctionWrapper):
        def __init__(self, *args, name=None, reduction="sum_over_batch_size", **kwargs):
            names = list(defaults)
            kw = dict(defaults)
            for k, v in zip(names, args):
                kw[k] = v
            for k, v in kwargs.items():
                if k not in defaults:
                    raise TypeError(f"[{type(self).__name__}] unexpected keyword argument {k!r}")
                kw[k] = v
            super().__init__(fn, name=name or fn.__name__, reduction=reduction, **kw)
    return _L


class SparseCategoricalCrossentropy(_wrapper(sparse_categorical_crossentropy,
                                             {"from_logits": False, "ignore_class": None})):
    pass


class CategoricalCrossentropy(_wrapper(categorical_crossentropy, {"from_logits": False, "label_smoothing": 0.0})):
    pass


class BinaryCrossentropy(_wrapper(binary_crossentropy, {"from_logits": False, "label_smoothing": 0.0})):
    pass


class BinaryFocalCrossentropy(_wrapper(binary_focal_crossentropy, {
        "apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0, "from_logits": False, "label_smoothing": 0.0})):
    pass


class CategoricalFocalCrossentropy(_wrapper(categorical_focal_crossentropy, {
        "alpha": 0.25, "gamma": 2.0, "from_logits": False, "label_smoothing": 0.0})):
    pass


class MeanSquaredError(_wrapper(mean_squared_error, {})):
    pass


class MeanAbsoluteError(_wrapper(mean_absolute_error, {})):
    pass


class Huber(_wrapper(huber, {"delta": 1.0})):
    pass


_BY_NAME = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy,
}


def get(identifier):
    """A loss name, Loss instance or callable(y_true, y_pred) -> a Loss object."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"[compile] unknown loss {identifier!r}; expected one of {sorted(_BY_NAME)}, "
                             f"a keras.losses.Loss or a callable(y_true, y_pred)")
        obj = cls()
        obj.name = identifier
        return obj
    if callable(identifier):
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", "loss"))
    raise TypeError(f"[compile] expected loss as a name, a keras.losses.Loss or a callable, got "
                    f"{type(identifier).__name__}")
