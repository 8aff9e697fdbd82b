"""compile / fit / evaluate / predict / train_on_batch for keras.Model.

One training step: forward with training=True, the compiled loss (+ the layers'
regularization losses), backward, optimizer step, then the metrics on the detached
predictions. Arrays are converted to ember tensors once; each epoch draws a permutation
(NumPy, data-loading edge) and gathers batches with ember's index_select. An ember
DataLoader can be passed as x (yielding (x, y) or (x, y, sample_weight)).
"""

import numpy as np

from .. import from_numpy, index_select
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ..utils.data import DataLoader
from . import callbacks as cbks
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as opt_mod
from .layers.base import _flatten, to_tensor
from .progress import ProgbarLogger, resolve_verbose

__all__ = ["Trainer"]


def _as_tensors(x, what, op):
    if x is None:
        return None
    if isinstance(x, dict):
        raise TypeError(f"[{op}] dict inputs are not supported; pass a list in the model's input order")
    if isinstance(x, (list, tuple)) and x and (isinstance(x[0], (Tensor, np.ndarray)) and len(x) > 0
                                               and not np.isscalar(x[0])):
        return [_as_tensors(e, what, op) for e in x]
    try:
        return x if isinstance(x, Tensor) else to_tensor(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"[{op}] could not convert {what} to a tensor: {e}") from None


def _length(x):
    return x[0].shape[0] if isinstance(x, list) else x.shape[0]


def _take(x, idx):
    if isinstance(x, list):
        return [_take(e, idx) for e in x]
    if isinstance(idx, slice):
        return x[idx]
    return index_select(x, 0, idx if idx.device == x.device else idx.to(x.device))


class _ArrayData:
    """Batches of (x, y, w) from whole tensors."""

    def __init__(self, x, y, w, batch_size, shuffle, op):
        self.x, self.y, self.w = x, y, w
        self.n = _length(x)
        self.batch_size, self.shuffle = batch_size, shuffle
        for name, t in (("y", y), ("sample_weight", w)):
            if t is not None:
                for e in (t if isinstance(t, list) else [t]):
                    if e.dim() == 0 or e.shape[0] != self.n:
                        raise ValueError(f"[{op}] x and {name} have different lengths: x has {self.n} samples, "
                                         f"{name} has {e.shape[0] if e.dim() else 0}")
        for e in (x if isinstance(x, list) else [x]):
            if e.dim() == 0 or e.shape[0] != self.n:
                raise ValueError(f"[{op}] all inputs must have the same number of samples, got "
                                 f"{[t.shape[0] if t.dim() else 0 for t in x]}")

    def __len__(self):
        return -(-self.n // self.batch_size) if self.n else 0

    def __iter__(self):
        bs = self.batch_size
        if self.shuffle:
            perm = np.random.permutation(self.n).astype(np.int64)
            for i in range(0, self.n, bs):
                idx = from_numpy(perm[i:i + bs])
                yield _take(self.x, idx), _take(self.y, idx) if self.y is not None else None, \
                    _take(self.w, idx) if self.w is not None else None
        else:
            for i in range(0, self.n, bs):
                s = slice(i, i + bs)
                yield _take(self.x, s), _take(self.y, s) if self.y is not None else None, \
                    _take(self.w, s) if self.w is not None else None


class _LoaderData:
    def __init__(self, loader, op, with_targets=True):
        self.loader, self.op, self.with_targets = loader, op, with_targets

    def __len__(self):
        try:
            return len(self.loader)
        except TypeError:
            return None

    def __iter__(self):
        for batch in self.loader:
            if isinstance(batch, (list, tuple)):
                if len(batch) == 1:
                    x, y, w = batch[0], None, None
                elif len(batch) == 2:
                    (x, y), w = batch, None
                elif len(batch) == 3:
                    x, y, w = batch
                else:
                    raise ValueError(f"[{self.op}] expected the DataLoader to yield (x, y) or (x, y, sample_weight), "
                                     f"got {len(batch)} items")
            else:
                x, y, w = batch, None, None
            yield _as_tensors(x, "x", self.op), _as_tensors(y, "y", self.op), _as_tensors(w, "sample_weight", self.op)


def _check_batch_size(bs, op):
    if bs is None:
        return 32
    if not isinstance(bs, int) or isinstance(bs, bool) or bs <= 0:
        raise ValueError(f"[{op}] expected a positive int batch_size, got {bs!r}")
    return bs


def _ser_opt(o):
    if isinstance(o, str):
        return o
    if isinstance(o, opt_mod.Optimizer) and type(o) in opt_mod._BY_NAME.values():
        return {"class_name": type(o).__name__, "config": o.get_config()}
    return None


def _ser_loss(l):
    if isinstance(l, str):
        return l
    if isinstance(l, (list, tuple)):
        out = [_ser_loss(e) for e in l]
        return None if any(e is None for e in out) else out
    if isinstance(l, losses_mod.LossFunctionWrapper) and type(l) in losses_mod._BY_NAME.values():
        return {"class_name": type(l).__name__, "config": dict(l.fn_kwargs)}
    return None


def deserialize_compile(cc):
    o = cc["optimizer"]
    if isinstance(o, dict):
        o = getattr(opt_mod, o["class_name"])(**o["config"])

    def dl(l):
        if isinstance(l, dict):
            return getattr(losses_mod, l["class_name"])(**l["config"])
        if isinstance(l, list):
            return [dl(e) for e in l]
        return l
    return o, dl(cc["loss"])


class Trainer:
    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self._initial_epoch = 0
        self.history = None

    # --- compile ----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        self.optimizer = opt_mod.get(optimizer)
        n_out = len(self.outputs) if getattr(self, "_functional", False) else 1
        self._out_names = self.output_names if n_out > 1 else None
        self._losses = self._per_output(loss, n_out, "loss", lambda l: None if l is None else losses_mod.get(l))
        if loss_weights is None:
            self._loss_weights = [1.0] * n_out
        else:
            lw = self._per_output(loss_weights, n_out, "loss_weights", float)
            self._loss_weights = lw
        for spec in (metrics, weighted_metrics):  # unknown names fail at compile, as in Keras
            flat = spec.values() if isinstance(spec, dict) else (spec or [])
            for m in _flatten(list(flat)) if not isinstance(spec, str) else [spec]:
                if isinstance(m, str):
                    metrics_mod.get(m, loss_name=None)
        self._metric_specs = (metrics, weighted_metrics)
        self._metrics_built = False
        self.compiled = True
        self._compiled_config = {"optimizer": _ser_opt(optimizer), "loss": _ser_loss(loss),
                                 "metrics": metrics if isinstance(metrics, list) and all(
                                     isinstance(m, str) for m in metrics) else None}
        if self.built and any(True for _ in self.parameters()):
            self._ensure_optimizer()

    def _per_output(self, spec, n, what, conv):
        if isinstance(spec, dict):
            names = self._out_names or (self.output_names or [])
            bad = [k for k in spec if k not in names]
            if bad:
                raise ValueError(f"[compile] {what} names {bad} are not outputs of the model; outputs: {names}")
            return [conv(spec[k]) if k in spec else None for k in names]
        if isinstance(spec, (list, tuple)) and what != "metrics":
            if len(spec) != n:
                raise ValueError(f"[compile] expected {n} {what} (one per output), got {len(spec)}")
            return [conv(s) for s in spec]
        return [conv(spec)] * n if not isinstance(spec, (list, tuple)) else [conv(s) for s in spec]

    def _build_metrics(self, outputs):
        metrics, weighted = self._metric_specs
        outs = _flatten(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        n = len(outs)
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._out_loss_trackers = [metrics_mod.Mean(name=f"{nm}_loss") for nm in self._out_names] if n > 1 else []
        self._metrics = []  # (output index, metric, weighted)
        for spec, weighted_flag in ((metrics, False), (weighted, True)):
            if spec is None:
                continue
            if isinstance(spec, dict):
                per = [spec.get(nm, []) for nm in self._out_names or []]
            elif n > 1 and isinstance(spec, (list, tuple)) and spec and all(isinstance(s, (list, tuple)) for s in spec):
                per = list(spec)
            elif isinstance(spec, (list, tuple)):
                per = [list(spec)] * n
            else:
                raise TypeError(f"[compile] expected metrics as a list (or a dict per output), got "
                                f"{type(spec).__name__}")
            for i, ms in enumerate(per):
                ms = ms if isinstance(ms, (list, tuple)) else [ms]
                loss = self._losses[i]
                lname = getattr(loss, "name", None)
                if isinstance(loss, losses_mod.LossFunctionWrapper):
                    lname = loss.fn.__name__
                for m in ms:
                    if isinstance(m, metrics_mod.Metric) and n > 1:
                        import copy
                        m = copy.deepcopy(m)
                    metric = metrics_mod.get(m, loss_name=lname)
                    if isinstance(m, str) and m in ("accuracy", "acc") and lname not in (
                            "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"):
                        metric = metrics_mod._accuracy_for(lname, tuple(outs[i].shape))
                        metric.name = m
                    if weighted_flag:
                        metric.name = "weighted_" + metric.name
                    if n > 1:
                        metric.name = f"{self._out_names[i]}_{metric.name}"
                    self._metrics.append((i, metric, weighted_flag))
        self._metrics_built = True

    @property
    def metrics(self):
        if not getattr(self, "_metrics_built", False):
            return []
        return [self._loss_tracker] + self._out_loss_trackers + [m for _, m, _ in self._metrics]

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _ensure_optimizer(self):
        if self.optimizer is not None and self.optimizer.optimizer is None:
            params = [p for p in self.parameters() if p.requires_grad]
            if not params:
                raise ValueError(f"[fit] the model {self.name!r} has no trainable weights")
            self.optimizer.build(params)

    def _require_compiled(self, op):
        if not self.compiled:
            raise RuntimeError(f"[{op}] you must call compile() on the model before {op}()")

    # --- one step -----------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        outs = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
        ys = y if isinstance(y, (list, tuple)) else [y]
        if len(ys) != len(outs):
            raise ValueError(f"[fit] the model has {len(outs)} outputs but y has {len(ys)} targets")
        total, per = None, []
        for i, (yt, yp) in enumerate(zip(ys, outs)):
            loss = self._losses[i]
            if loss is None:
                per.append(None)
                continue
            v = loss(yt, yp, sample_weight)
            per.append(v)
            v = v * self._loss_weights[i] if self._loss_weights[i] != 1.0 else v
            total = v if total is None else total + v
        if total is None:
            raise ValueError("[fit] compile() was given no loss")
        reg = self.losses
        for r in reg:
            total = total + r
        return total, per

    def _update_metrics(self, y, y_pred, w, loss, per, n):
        with no_grad():
            self._loss_tracker.update_state(loss.detach(), sample_weight=n)
            outs = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
            ys = y if isinstance(y, (list, tuple)) else [y]
            for t, v in zip(self._out_loss_trackers, per):
                if v is not None:
                    t.update_state(v.detach(), sample_weight=n)
            for i, m, weighted in self._metrics:
                m.update_state(ys[i], outs[i].detach(), sample_weight=w if weighted else None)

    def _logs(self):
        return {m.name: m.result() for m in self.metrics}

    def _model_device(self):
        """The device of the model's weights (None before they exist)."""
        p = next(iter(self.parameters()), None)
        return None if p is None else p.device

    def _to_model_device(self, *batch):
        """x, y, sample_weight moved to the weights' device (a model moved with .to('cuda')
        trains on NumPy / CPU data without the caller moving each batch)."""
        dev = self._model_device()
        if dev is None:
            return batch

        def move(t):
            if isinstance(t, list):
                return [move(e) for e in t]
            return t.to(dev) if isinstance(t, Tensor) else t

        return tuple(move(t) for t in batch)

    def train_step(self, x, y, w):
        x, y, w = self._to_model_device(x, y, w)
        out = self(x, training=True)
        if not self._metrics_built:
            self._build_metrics(out)
        self._ensure_optimizer()
        loss, per = self.compute_loss(x, y, out, w)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self._update_metrics(y, out, w, loss, per, _length(x))

    def test_step(self, x, y, w):
        x, y, w = self._to_model_device(x, y, w)
        with no_grad():
            out = self(x, training=False)
            if not self._metrics_built:
                self._build_metrics(out)
            loss, per = self.compute_loss(x, y, out, w)
            self._update_metrics(y, out, w, loss, per, _length(x))

    # --- data -----------------------------------------------------------------------------------
    def _data(self, x, y, sample_weight, batch_size, shuffle, op, class_weight=None, need_y=True):
        if isinstance(x, DataLoader) or (hasattr(x, "__iter__") and not isinstance(x, (np.ndarray, Tensor, list, tuple))):
            if y is not None:
                raise ValueError(f"[{op}] y must be None when x is a DataLoader (it yields (x, y) batches)")
            if sample_weight is not None or class_weight is not None:
                raise ValueError(f"[{op}] sample_weight/class_weight are not supported with a DataLoader; yield "
                                 f"(x, y, sample_weight) batches instead")
            return _LoaderData(x, op)
        if x is None:
            raise ValueError(f"[{op}] expected input data x, got None")
        x = _as_tensors(x, "x", op)
        if need_y and y is None:
            raise ValueError(f"[{op}] expected targets y with array inputs, got None")
        y = _as_tensors(y, "y", op)
        w = _as_tensors(sample_weight, "sample_weight", op)
        if class_weight is not None:
            w = self._class_weights(y, class_weight, w, op)
        return _ArrayData(x, y, w, batch_size, shuffle, op)

    @staticmethod
    def _class_weights(y, class_weight, w, op):
        if not isinstance(class_weight, dict):
            raise TypeError(f"[{op}] expected class_weight as a dict {{class: weight}}, got "
                            f"{type(class_weight).__name__}")
        if isinstance(y, list):
            raise ValueError(f"[{op}] class_weight is only supported for models with one output")
        yn = y.cpu().numpy()
        labels = yn.argmax(-1) if yn.ndim > 1 and yn.shape[-1] > 1 else yn.reshape(yn.shape[0], -1)[:, 0]
        labels = np.rint(labels).astype(np.int64)
        missing = sorted(set(np.unique(labels).tolist()) - set(class_weight))
        if missing:
            raise ValueError(f"[{op}] class_weight has no entry for classes {missing}")
        table = np.zeros(max(max(class_weight) + 1, labels.max() + 1 if labels.size else 1), np.float32)
        for k, v in class_weight.items():
            table[k] = v
        cw = from_numpy(table[labels])
        return cw if w is None else w * cw.to(w.device)

    # --- fit --------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        op = "fit"
        self._require_compiled(op)
        batch_size = _check_batch_size(batch_size, op)
        verbose = resolve_verbose(verbose, op)
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"[fit] expected a non-negative int epochs, got {epochs!r}")
        if not isinstance(initial_epoch, int) or initial_epoch < 0:
            raise ValueError(f"[fit] expected a non-negative int initial_epoch, got {initial_epoch!r}")
        if not isinstance(validation_split, (int, float)) or isinstance(validation_split, bool) or \
                not (validation_split == 0 or 0 < validation_split < 1):
            raise ValueError(f"[fit] validation_split must be in (0, 1) (or 0 for none), got {validation_split!r}")
        if validation_split and validation_data is not None:
            validation_split = 0.0  # Keras: validation_data wins
        if validation_split:
            if isinstance(x, DataLoader):
                raise ValueError("[fit] validation_split is not supported with a DataLoader; pass validation_data")
            xt, yt = _as_tensors(x, "x", op), _as_tensors(y, "y", op)
            if yt is None:
                raise ValueError("[fit] expected targets y with array inputs, got None")
            n = _length(xt)
            if _length(yt) != n:
                raise ValueError(f"[fit] x and y have different lengths: x has {n} samples, y has {_length(yt)}")
            split = int(n * (1.0 - validation_split))
            if split <= 0 or split >= n:
                raise ValueError(f"[fit] validation_split={validation_split} leaves no training or validation "
                                 f"samples out of {n}")
            sw = _as_tensors(sample_weight, "sample_weight", op)
            cut = lambda t, s: None if t is None else ([e[s] for e in t] if isinstance(t, list) else t[s])  # noqa
            validation_data = (cut(xt, slice(split, None)), cut(yt, slice(split, None)))
            x, y, sample_weight = cut(xt, slice(0, split)), cut(yt, slice(0, split)), cut(sw, slice(0, split))
        data = self._data(x, y, sample_weight, batch_size, shuffle, op, class_weight)
        val = None
        if validation_data is not None:
            if isinstance(validation_data, DataLoader):
                val = self._data(validation_data, None, None, batch_size, False, op)
            elif isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
                vx, vy = validation_data[0], validation_data[1]
                vw = validation_data[2] if len(validation_data) == 3 else None
                val = self._data(vx, vy, vw, _check_batch_size(validation_batch_size, op) if validation_batch_size
                                 else batch_size, False, op)
            else:
                raise ValueError("[fit] expected validation_data as (x, y), (x, y, sample_weight) or a DataLoader")

        history = cbks.History()
        cb_list = [c if isinstance(c, cbks.Callback) else self._wrap_callback(c) for c in (callbacks or [])]
        if verbose:
            cb_list.append(ProgbarLogger(verbose))
        cb_list.append(history)
        steps = len(data)
        if steps_per_epoch is not None:
            steps = min(steps, steps_per_epoch) if steps is not None else steps_per_epoch
        params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size, "_in_fit": True}
        cl = cbks.CallbackList(cb_list, self, params)
        self.history = history
        self.stop_training = False
        self._initial_epoch = initial_epoch
        has_bb, has_be = cl.has("on_train_batch_begin"), cl.has("on_train_batch_end")
        self.train()
        cl.call("on_train_begin", None)
        epoch_logs = {}
        for epoch in range(self._initial_epoch, epochs):
            self.reset_metrics()
            self.train()
            cl.call("on_epoch_begin", epoch, None)
            for step, (bx, by, bw) in enumerate(data):
                if steps_per_epoch is not None and step >= steps_per_epoch:
                    break
                if has_bb:
                    cl.call("on_train_batch_begin", step, None)
                self.train_step(bx, by, bw)
                if has_be:
                    cl.call("on_train_batch_end", step, self._logs())
                if self.stop_training:
                    break
            epoch_logs = self._logs()
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_eval(val, None, validation_steps)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cl.call("on_epoch_end", epoch, epoch_logs)
            if self.stop_training:
                break
        cl.call("on_train_end", epoch_logs)
        self.eval()
        return history

    def _wrap_callback(self, c):
        from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
        if isinstance(c, (LRScheduler, ReduceLROnPlateau)):
            return cbks.LRSchedulerCallback(c)
        raise TypeError(f"[fit] expected callbacks to be keras.callbacks.Callback or ember.optim.lr_scheduler "
                        f"schedulers, got {type(c).__name__}")

    def _run_eval(self, data, cl, steps=None):
        self.reset_metrics()
        self.eval()
        try:
            if cl is not None:
                cl.call("on_test_begin", None)
            has_be = cl is not None and cl.has("on_test_batch_end")
            has_bb = cl is not None and cl.has("on_test_batch_begin")
            for step, (bx, by, bw) in enumerate(data):
                if steps is not None and step >= steps:
                    break
                if has_bb:
                    cl.call("on_test_batch_begin", step, None)
                self.test_step(bx, by, bw)
                if has_be:
                    cl.call("on_test_batch_end", step, self._logs())
            logs = self._logs()
            if cl is not None:
                cl.call("on_test_end", logs)
            return logs
        finally:
            self.train()

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        op = "evaluate"
        self._require_compiled(op)
        batch_size = _check_batch_size(batch_size, op)
        verbose = resolve_verbose(verbose, op)
        data = self._data(x, y, sample_weight, batch_size, False, op)
        cb_list = list(callbacks or [])
        if verbose:
            cb_list.append(ProgbarLogger(verbose))
        cl = cbks.CallbackList(cb_list, self, {"steps": len(data), "verbose": verbose})
        logs = self._run_eval(data, cl, steps)
        self.eval()
        if return_dict:
            return logs
        vals = list(logs.values())
        return vals[0] if len(vals) == 1 else vals

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        op = "predict"
        batch_size = _check_batch_size(batch_size, op)
        verbose = resolve_verbose(verbose, op)
        data = self._data(x, None, None, batch_size, False, op, need_y=False)
        cb_list = list(callbacks or [])
        if verbose:
            cb_list.append(ProgbarLogger(verbose))
        cl = cbks.CallbackList(cb_list, self, {"steps": len(data), "verbose": verbose})
        outs = []
        was = self.training
        self.eval()
        cl.call("on_predict_begin", None)
        with no_grad():
            for step, (bx, _, _) in enumerate(data):
                if steps is not None and step >= steps:
                    break
                cl.call("on_predict_batch_begin", step, None)
                (bx,) = self._to_model_device(bx)
                o = self(bx, training=False)
                # NumPy results: copied to the host (numpy() of a CUDA tensor raises, as in torch)
                outs.append([t.cpu().numpy() for t in o] if isinstance(o, (list, tuple)) else o.cpu().numpy())
                cl.call("on_predict_batch_end", step, {"outputs": o})
        cl.call("on_predict_end", None)
        self.train(was)
        if not outs:
            raise ValueError("[predict] got no input samples")
        if isinstance(outs[0], list):
            return [np.concatenate([o[i] for o in outs]) for i in range(len(outs[0]))]
        return np.concatenate(outs)

    def _one_batch(self, x, y, sample_weight, class_weight, op):
        data = self._data(x, y, sample_weight, 1 << 62, False, op, class_weight)
        return next(iter(data))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._require_compiled("train_on_batch")
        bx, by, bw = self._one_batch(x, y, sample_weight, class_weight, "train_on_batch")
        self.reset_metrics()
        self.train()
        self.train_step(bx, by, bw)
        logs = self._logs()
        return logs if return_dict else (list(logs.values()) if len(logs) > 1 else next(iter(logs.values())))

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        bx, by, bw = self._one_batch(x, y, sample_weight, None, "test_on_batch")
        self.reset_metrics()
        self.eval()
        self.test_step(bx, by, bw)
        logs = self._logs()
        return logs if return_dict else (list(logs.values()) if len(logs) > 1 else next(iter(logs.values())))

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=1 << 30, verbose=0)

    # --- saving (saving.py) ----------------------------------------------------------------------
    def save(self, filepath, overwrite=True):
        from .saving import save_model
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        from .saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        from .saving import load_weights
        load_weights(self, filepath)
