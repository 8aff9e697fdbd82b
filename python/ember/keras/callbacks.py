"""Keras callbacks: the Callback hooks, History, EarlyStopping, ModelCheckpoint,
LearningRateScheduler, ReduceLROnPlateau, CSVLogger, TerminateOnNaN, BackupAndRestore,
LambdaCallback, and LRSchedulerCallback (any ember.optim.lr_scheduler scheduler in fit's
callbacks, stepped once per epoch; ReduceLROnPlateau is fed val_loss, else loss).
"""
import csv
import math
import os
import shutil
import warnings

import numpy as np

from ..tensor import Tensor

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
           "ReduceLROnPlateau", "CSVLogger", "TerminateOnNaN", "BackupAndRestore", "LambdaCallback",
           "LRSchedulerCallback", "ProgbarLogger"]


class Callback:
    """Base class; override any of the hooks. ``self.model`` and ``self.params`` are set by fit."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass

    # Keras 2 aliases
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass


_HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
          "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"]


def _overrides(cb, hook):
    return hook in vars(cb) or getattr(type(cb), hook, None) is not getattr(Callback, hook)


class CallbackList:
    """Calls a hook on every callback that overrides it (so per-batch hooks cost nothing
    when no callback uses them); Keras 2's on_batch_begin/end fire with the training ones."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self._active = {h: [getattr(cb, h) for cb in self.callbacks if _overrides(cb, h)] for h in _HOOKS}
        for h in ("on_train_batch_begin", "on_train_batch_end"):
            legacy = h.replace("train_", "")
            self._active[h] += [getattr(cb, legacy) for cb in self.callbacks if _overrides(cb, legacy)]

    def has(self, hook):
        return bool(self._active[hook])

    def call(self, hook, *args):
        for fn in self._active[hook]:
            fn(*args)


class History(Callback):
    """Records each epoch's logs: ``history.history[name]`` lists, ``history.epoch``."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, path, metrics=None, title=None):
        """Writes a PNG of the loss and metric curves (train and val_ on one axis per name)."""
        try:
            import matplotlib
            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError("[History.plot] needs matplotlib: pip install 'ember[plot]'") from None
        names = [k for k in self.history if not k.startswith("val_")] if metrics is None else list(metrics)
        if not names:
            raise ValueError("[History.plot] the history is empty: call fit first")
        for n in names:
            if n not in self.history:
                raise ValueError(f"[History.plot] unknown metric {n!r}; recorded: {sorted(self.history)}")
        fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
        for ax, n in zip(axes[0], names):
            ep = [e + 1 for e in self.epoch]
            ax.plot(ep, self.history[n], label=n)
            if "val_" + n in self.history:
                ax.plot(ep, self.history["val_" + n], label="val_" + n)
            ax.set_xlabel("epoch")
            ax.set_title(n)
            ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
        return path


def _auto_mode(mode, monitor, cls):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"[{cls}] expected mode 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    m = monitor[4:] if monitor.startswith("val_") else monitor
    return "max" if any(s in m for s in ("acc", "auc", "precision", "recall", "f1")) else "min"


def _scalar(v):
    if isinstance(v, Tensor):
        return float(v.item())
    if isinstance(v, (np.ndarray, np.generic)):
        return float(np.asarray(v).mean())
    return float(v)


def _copy_state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stops fit when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ValueError(f"[EarlyStopping] expected a non-negative int patience, got {patience!r}")
        if not isinstance(min_delta, (int, float)) or isinstance(min_delta, bool):
            raise ValueError(f"[EarlyStopping] expected a number min_delta, got {min_delta!r}")
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.min_delta = abs(float(min_delta))
        self.mode = _auto_mode(mode, monitor, "EarlyStopping")
        self.baseline, self.restore_best_weights = baseline, bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)

    def _better(self, value, ref):
        if ref is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < ref
        return value - self.min_delta > ref

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            warnings.warn(f"[EarlyStopping] monitor {self.monitor!r} is not in the logs (available: "
                          f"{sorted(logs)}); skipping", stacklevel=2)
            return
        current = _scalar(logs[self.monitor])
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _copy_state(self.model)
            self.best_epoch = epoch
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if not math.isnan(current) and self._better(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _copy_state(self.model)
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None and self.stopped_epoch > 0:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) after epochs; ``filepath`` may hold {epoch} and log names."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"[ModelCheckpoint] expected a str filepath, got {type(filepath).__name__}")
        if save_freq != "epoch":
            raise ValueError(f"[ModelCheckpoint] only save_freq='epoch' is supported, got {save_freq!r}")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        self.mode = _auto_mode(mode, monitor, "ModelCheckpoint")
        self.best = initial_value_threshold

    def _path(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise KeyError(f"[ModelCheckpoint] filepath {self.filepath!r} names {e} which is not in the logs "
                           f"{sorted(logs)}") from None

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        path = self._path(epoch, logs)
        if self.save_best_only:
            if self.monitor not in logs:
                warnings.warn(f"[ModelCheckpoint] monitor {self.monitor!r} is not in the logs; skipping",
                              stacklevel=2)
                return
            cur = _scalar(logs[self.monitor])
            better = self.best is None or (cur < self.best if self.mode == "min" else cur > self.best)
            if not better or math.isnan(cur):
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to {cur:.5f}, saving to {path}")
            self.best = cur
        d = os.path.dirname(path)
        if d:
            os.makedirs(d, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class LearningRateScheduler(Callback):
    """Sets the learning rate at each epoch's start to ``schedule(epoch, lr)`` (or ``schedule(epoch)``)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"[LearningRateScheduler] expected a callable schedule, got {type(schedule).__name__}")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        new = _scalar(new)
        if not math.isfinite(new):
            raise ValueError(f"[LearningRateScheduler] the schedule returned a non-finite learning rate {new}")
        self.model.optimizer.learning_rate = new
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


class ReduceLROnPlateau(Callback):
    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if not isinstance(factor, (int, float)) or not 0 <= factor < 1:
            raise ValueError(f"[ReduceLROnPlateau] expected factor in [0, 1), got {factor!r}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), patience, verbose
        self.mode = _auto_mode(mode, monitor, "ReduceLROnPlateau")
        self.min_delta, self.cooldown, self.min_lr = float(min_delta), cooldown, float(min_lr)

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = self.model.optimizer.learning_rate
        if self.monitor not in logs:
            warnings.warn(f"[ReduceLROnPlateau] monitor {self.monitor!r} is not in the logs; skipping",
                          stacklevel=2)
            return
        cur = _scalar(logs[self.monitor])
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        better = cur < self.best - self.min_delta if self.mode == "min" else cur > self.best + self.min_delta
        if better:
            self.best = cur
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = self.model.optimizer.learning_rate
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class CSVLogger(Callback):
    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, bool(append)
        self.keys = None

    def on_train_begin(self, logs=None):
        self._has_header = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._fh = open(self.filename, "a" if self.append else "w", newline="")
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._fh, fieldnames=["epoch"] + self.keys, delimiter=self.sep)
            if not self._has_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}})
        self._fh.flush()

    def on_train_end(self, logs=None):
        self._fh.close()


class TerminateOnNaN(Callback):
    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(_scalar(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class BackupAndRestore(Callback):
    """Backs up weights, optimizer state and the epoch to ``backup_dir`` after each epoch; a
    later fit of the same model with the same callback resumes after the last backed-up epoch.
    The backup is deleted when fit completes (``delete_checkpoint=True``)."""

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise ValueError(f"[BackupAndRestore] expected a backup_dir path, got {backup_dir!r}")
        if save_freq != "epoch":
            raise ValueError(f"[BackupAndRestore] only save_freq='epoch' is supported, got {save_freq!r}")
        self.backup_dir, self.delete_checkpoint = os.fspath(backup_dir), bool(delete_checkpoint)
        self._file = os.path.join(self.backup_dir, "backup.safetensors")

    def on_train_begin(self, logs=None):
        from .. import load
        if os.path.exists(self._file):
            ckpt = load(self._file, map_location="cpu")  # copied / cast to the model's device on load
            from .saving import _load_state
            _load_state(self.model, ckpt["model"], self._file)
            opt = self.model.optimizer
            if ckpt.get("optimizer") is not None and opt is not None:
                self.model._ensure_optimizer()
                opt.load_state_dict(ckpt["optimizer"])
            self.model._initial_epoch = int(ckpt["epoch"]) + 1

    def on_epoch_end(self, epoch, logs=None):
        from .. import save
        os.makedirs(self.backup_dir, exist_ok=True)
        opt = self.model.optimizer
        save({"model": self.model.state_dict(), "epoch": int(epoch),
              "optimizer": opt.state_dict() if opt is not None and opt.optimizer is not None else None}, self._file)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir, ignore_errors=True)


class LambdaCallback(Callback):
    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        fns = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                   on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                   on_train_batch_end=on_train_batch_end, **kwargs)
        for k, fn in fns.items():
            if k not in _HOOKS:
                raise TypeError(f"[LambdaCallback] unknown hook {k!r}")
            if fn is not None:
                setattr(self, k, fn)


class LRSchedulerCallback(Callback):
    """Steps an ember.optim.lr_scheduler scheduler at each epoch's end (fit wraps them in this)."""

    def __init__(self, scheduler, monitor="val_loss"):
        super().__init__()
        self.scheduler, self.monitor = scheduler, monitor

    def on_epoch_end(self, epoch, logs=None):
        from ..optim.lr_scheduler import ReduceLROnPlateau as _Plateau
        logs = logs if logs is not None else {}
        if isinstance(self.scheduler, _Plateau):
            key = self.monitor if self.monitor in logs else "loss"
            self.scheduler.step(_scalar(logs[key]))
        else:
            self.scheduler.step()
        logs["learning_rate"] = self.scheduler.optimizer.param_groups[0]["lr"]


from .progress import ProgbarLogger  # noqa: E402,F401  (re-exported: keras.callbacks.ProgbarLogger)
