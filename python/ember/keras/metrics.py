"""Keras metrics (also ``ember.metrics`` for PyTorch-style loops): stateful objects with
``update_state(y_true, y_pred, sample_weight=None)``, ``result()``, ``reset_state()``.

Each batch's statistic (matches, confusion counts, errors) is computed with ember ops;
the running totals are Python floats (or small ember tensors for per-threshold / per-class
counts).

AUC follows Keras: ``num_thresholds`` evenly spaced thresholds in [0, 1] (plus -eps and
1+eps at the ends), a prediction counts as positive when ``> threshold``, and the curve is
integrated with the trapezoidal rule ('interpolation') or left/right Riemann sums
('minoring' / 'majoring'). With enough thresholds it converges to the exact ROC AUC
(scikit-learn's roc_auc_score).
"""
import numpy as np

from .. import arange, float64, linspace, zeros
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from . import losses as _losses
from .layers.base import to_tensor

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "SparseCategoricalAccuracy",
           "CategoricalAccuracy", "BinaryAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "Precision", "Recall", "F1Score", "AUC", "MeanAbsoluteError", "MeanSquaredError",
           "RootMeanSquaredError", "get"]


def _t(x):
    return x if isinstance(x, Tensor) else to_tensor(x)


def _pair(y_true, y_pred):
    """(y_true, y_pred) as tensors, y_true on y_pred's device: labels often come from a
    CPU loader (or NumPy) while the model's predictions are on a GPU."""
    y_true, y_pred = _t(y_true), _t(y_pred)
    return y_true.to(y_pred.device), y_pred


def _on(w, like, dtype=None):
    """A sample-weight (or other side input) as a tensor on ``like``'s device."""
    return _t(w).to(device=like.device, dtype=dtype)


class Metric:
    def __init__(self, name=None, dtype=None):
        import re
        n = type(self).__name__
        self.name = name or re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", n)).lower()
        self.reset_state()

    def reset_state(self):
        raise TypeError(f"[{type(self).__name__}] subclasses must define reset_state")

    def update_state(self, *args, **kwargs):
        raise TypeError(f"[{type(self).__name__}] subclasses must define update_state")

    def result(self):
        raise TypeError(f"[{type(self).__name__}] subclasses must define result")

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def reset_states(self):
        self.reset_state()

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of every value passed to update_state."""

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        with no_grad():
            v = _t(values)
            if not v.is_floating_point():
                v = v.to(float64)
            if sample_weight is None:
                self.total += float(v.sum().item())
                self.count += v.numel()
            else:
                w = _on(sample_weight, v, v.dtype)
                if v.dim() and w.numel() == v.shape[0]:
                    w = w.reshape((v.shape[0],) + (1,) * (v.dim() - 1))
                w = w.expand(v.shape) if v.dim() else w
                self.total += float((v * w).sum().item())
                self.count += float(w.sum().item())

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        with no_grad():
            v = _t(values)
            self.total += float((v if sample_weight is None else v * _on(sample_weight, v)).sum().item())

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """Averages ``fn(y_true, y_pred)`` (one value per sample) over every sample seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name=name or fn.__name__)

    def update_state(self, y_true, y_pred, sample_weight=None):
        with no_grad():
            super().update_state(self._fn(*_pair(y_true, y_pred), **self._fn_kwargs), sample_weight)


def _squeeze_labels(y_true, y_pred):
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    y_true = _squeeze_labels(y_true, y_pred)
    return (y_pred.argmax(-1) == y_true.long()).float()


def categorical_accuracy(y_true, y_pred):
    return (y_pred.argmax(-1) == y_true.argmax(-1)).float()


def binary_accuracy(y_true, y_pred, threshold=0.5):
    if y_true.numel() == y_pred.numel() and tuple(y_true.shape) != tuple(y_pred.shape):
        y_true = y_true.reshape(y_pred.shape)
    v = ((y_pred > threshold).float() == y_true.float()).float()
    return v.mean(dim=-1) if v.dim() > 1 else v


def accuracy(y_true, y_pred):
    if y_true.numel() == y_pred.numel() and tuple(y_true.shape) != tuple(y_pred.shape):
        y_true = y_true.reshape(y_pred.shape)
    return (y_true.float() == y_pred.float()).float()


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return sparse_top_k_categorical_accuracy(y_true.argmax(-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true = _squeeze_labels(y_true, y_pred).long()
    k = min(k, y_pred.shape[-1])
    idx = y_pred.topk(k, dim=-1)[1]
    return (idx == y_true.unsqueeze(-1)).float().sum(dim=-1)


class Accuracy(MeanMetricWrapper):
    """Exact equality of y_true and y_pred (Keras's ``Accuracy`` class; 'accuracy' strings
    resolve by the loss instead, see ``get``)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, threshold=threshold)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name, k=k)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name)


class RootMeanSquaredError(MeanSquaredError):
    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name)

    def result(self):
        return super().result() ** 0.5


def _binary_inputs(y_true, y_pred, op):
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.numel() != y_pred.numel():
        raise ValueError(f"[{op}] expected y_true and y_pred with the same number of values, got shapes "
                         f"{tuple(y_true.shape)} and {tuple(y_pred.shape)}")
    return y_true.reshape(-1).to(float64), y_pred.reshape(-1).to(float64)


def _weights(sample_weight, y_true_flat, n_orig, op):
    if sample_weight is None:
        return None
    w = _on(sample_weight, y_true_flat, float64).reshape(-1)
    if w.numel() != y_true_flat.numel():
        if w.numel() == 0 or y_true_flat.numel() % w.numel():
            raise ValueError(f"[{op}] sample_weight of {w.numel()} values does not match {n_orig} predictions")
        w = w.reshape(-1, 1).expand(w.numel(), y_true_flat.numel() // w.numel()).reshape(-1)
    return w


class _Confusion(Metric):
    """True/false positive and false negative counts at one threshold."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        t = 0.5 if thresholds is None else thresholds
        if not isinstance(t, (int, float)) or not 0 <= t <= 1:
            raise ValueError(f"[{type(self).__name__}] expected a threshold in [0, 1], got {thresholds!r}")
        self.threshold, self.class_id = float(t), class_id
        super().__init__(name=name)

    def reset_state(self):
        self.tp = self.fp = self.fn = self.tn = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        op = type(self).__name__
        with no_grad():
            y_true, y_pred = _pair(y_true, y_pred)
            if self.class_id is not None:
                y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
            n = y_pred.numel()
            t, p = _binary_inputs(y_true, y_pred, op)
            pos = (p > self.threshold).to(float64)
            w = _weights(sample_weight, t, n, op)
            if w is not None:
                t_w, f_w = t * w, (1.0 - t) * w
            else:
                t_w, f_w = t, 1.0 - t
            self.tp += float((pos * t_w).sum().item())
            self.fp += float((pos * f_w).sum().item())
            self.fn += float(((1.0 - pos) * t_w).sum().item())
            self.tn += float(((1.0 - pos) * f_w).sum().item())


class Precision(_Confusion):
    def result(self):
        d = self.tp + self.fp
        return self.tp / d if d else 0.0


class Recall(_Confusion):
    def result(self):
        d = self.tp + self.fn
        return self.tp / d if d else 0.0


class F1Score(Metric):
    """F1 per class of one-hot / multi-label y_true (N, C). threshold None: the row's max is
    the prediction; average None (per class), 'micro', 'macro' or 'weighted'."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"[F1Score] expected average None/'micro'/'macro'/'weighted', got {average!r}")
        if threshold is not None and (not isinstance(threshold, (int, float)) or not 0 < threshold <= 1):
            raise ValueError(f"[F1Score] expected threshold in (0, 1], got {threshold!r}")
        self.average, self.threshold = average, threshold
        super().__init__(name=name)

    def reset_state(self):
        self.tp = self.fp = self.fn = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        with no_grad():
            y_true, y_pred = (y.to(float64) for y in _pair(y_true, y_pred))
            if y_pred.dim() != 2 or tuple(y_true.shape) != tuple(y_pred.shape):
                raise ValueError(f"[F1Score] expected y_true and y_pred of one shape (N, C), got "
                                 f"{tuple(y_true.shape)} and {tuple(y_pred.shape)}")
            if self.threshold is None:
                pred = (y_pred == y_pred.amax(dim=-1, keepdim=True)).to(float64)
            else:
                pred = (y_pred > self.threshold).to(float64)
            if sample_weight is not None:
                w = _on(sample_weight, y_true, float64).reshape(-1, 1)
                y_w, n_w = y_true * w, (1.0 - y_true) * w
            else:
                y_w, n_w = y_true, 1.0 - y_true
            tp, fp, fn = (pred * y_w).sum(0), (pred * n_w).sum(0), ((1.0 - pred) * y_w).sum(0)
            if self.tp is None:
                self.tp, self.fp, self.fn = tp, fp, fn
            else:
                self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    def result(self):
        if self.tp is None:
            return 0.0
        tp, fp, fn = self.tp, self.fp, self.fn
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        p = tp / (tp + fp).clamp(min=1e-300)
        r = tp / (tp + fn).clamp(min=1e-300)
        f1 = 2 * p * r / (p + r).clamp(min=1e-300)
        if self.average == "micro":
            return float(f1.item())
        if self.average == "macro":
            return float(f1.mean().item())
        if self.average == "weighted":
            support = self.tp + self.fn
            return float(((f1 * support).sum() / support.sum().clamp(min=1e-300)).item())
        return f1.cpu().numpy().astype(np.float32)  # per-class values, on the host


class AUC(Metric):
    """Area under the ROC (or PR) curve from confusion counts at ``num_thresholds`` thresholds."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        if not isinstance(num_thresholds, int) or isinstance(num_thresholds, bool) or num_thresholds < 2:
            raise ValueError(f"[AUC] expected num_thresholds an int > 1, got {num_thresholds!r}")
        if curve not in ("ROC", "PR"):
            raise ValueError(f"[AUC] expected curve 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"[AUC] expected summation_method interpolation/minoring/majoring, got "
                             f"{summation_method!r}")
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve, summation_method
        self.from_logits = bool(from_logits)
        eps = 1e-7
        if thresholds is not None:
            th = [0.0 - eps] + sorted(float(t) for t in thresholds) + [1.0 + eps]
            self.num_thresholds = len(th)
            self._thr = to_tensor(np.asarray(th, dtype=np.float64))
        else:
            th = linspace(0.0, 1.0, num_thresholds, dtype=float64)
            self._thr = th
            self._thr[0] = -eps
            self._thr[-1] = 1.0 + eps
        super().__init__(name=name or "auc")

    def reset_state(self):
        n = self.num_thresholds
        self.tp, self.fp, self.tn, self.fn = (zeros(n, dtype=float64) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        with no_grad():
            n0 = _t(y_pred).numel()
            t, p = _binary_inputs(y_true, y_pred, "AUC")
            if self.from_logits:
                p = p.sigmoid()
            w = _weights(sample_weight, t, n0, "AUC")
            # thresholds and counts live on the predictions' device (moved on the first use there)
            if self._thr.device != p.device:
                self._thr = self._thr.to(p.device)
            if self.tp.device != p.device:
                self.tp, self.fp, self.tn, self.fn = (c.to(p.device) for c in (self.tp, self.fp, self.tn, self.fn))
            pos_w = t if w is None else t * w
            neg_w = (1.0 - t) if w is None else (1.0 - t) * w
            # (chunk, T) comparisons, chunked to bound memory
            step = max(1, (1 << 22) // self.num_thresholds)
            for s in range(0, t.numel(), step):
                above = (p[s:s + step].unsqueeze(1) > self._thr.unsqueeze(0)).to(float64)
                pw, nw = pos_w[s:s + step].unsqueeze(1), neg_w[s:s + step].unsqueeze(1)
                tp, fp = (above * pw).sum(0), (above * nw).sum(0)
                self.tp, self.fp = self.tp + tp, self.fp + fp
                self.fn = self.fn + (pw.sum() - tp)
                self.tn = self.tn + (nw.sum() - fp)

    def result(self):
        tp, fp, tn, fn = self.tp, self.fp, self.tn, self.fn
        if self.curve == "ROC":
            x = fp / (fp + tn).clamp(min=1e-300)
            y = tp / (tp + fn).clamp(min=1e-300)
        else:
            x = tp / (tp + fn).clamp(min=1e-300)
            y = tp / (tp + fp).clamp(min=1e-300)
        dx = x[:-1] - x[1:]
        if self.summation_method == "interpolation":
            h = (y[:-1] + y[1:]) * 0.5
        elif self.summation_method == "minoring":
            h = y[:-1].minimum(y[1:])
        else:
            h = y[:-1].maximum(y[1:])
        return float((dx * h).sum().item())


def _accuracy_for(loss_name, output_shape=None):
    if loss_name in ("sparse_categorical_crossentropy",):
        return SparseCategoricalAccuracy(name="accuracy")
    if loss_name in ("categorical_crossentropy", "categorical_focal_crossentropy"):
        return CategoricalAccuracy(name="accuracy")
    if loss_name in ("binary_crossentropy", "binary_focal_crossentropy"):
        return BinaryAccuracy(name="accuracy")
    if output_shape is not None and output_shape[-1] == 1:
        return BinaryAccuracy(name="accuracy")
    return SparseCategoricalAccuracy(name="accuracy")


_BY_NAME = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy, "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy, "precision": Precision,
    "recall": Recall, "auc": AUC, "f1_score": F1Score, "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError, "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
}


def get(identifier, loss_name=None):
    """A metric name / Metric / callable -> a Metric; 'accuracy' and 'acc' resolve by the loss."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            m = _accuracy_for(loss_name)
            m.name = identifier
            return m
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"[compile] unknown metric {identifier!r}; expected 'accuracy' or one of "
                             f"{sorted(_BY_NAME)}, a keras.metrics.Metric or a callable")
        m = cls()
        m.name = identifier
        return m
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    raise TypeError(f"[compile] expected a metric name, Metric or callable, got {type(identifier).__name__}")


del arange
