"""Progress display for fit / evaluate / predict (Keras's ``verbose``).

verbose=1 on a terminal: a live bar with ETA and the running loss/metrics (tqdm when it is
installed, else a plain carriage-return printer). verbose=1 when stdout is not a terminal,
and verbose=2: one line per epoch. verbose=0: silent. Display updates are throttled to
~10 per second so a fast loop is not slowed by printing.
"""
import sys
import time

from .callbacks import Callback

__all__ = ["ProgbarLogger", "Progbar", "format_logs", "resolve_verbose"]

_MIN_INTERVAL = 0.1


def resolve_verbose(verbose, op):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"[{op}] expected verbose 'auto', 0, 1 or 2, got {verbose!r}")
    return verbose


def _fmt(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"


def format_logs(logs):
    return " - ".join(f"{k}: {_fmt(v)}" for k, v in (logs or {}).items())


def _isatty():
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


class Progbar:
    """One progress line for ``target`` steps."""

    def __init__(self, target, verbose=1, unit="step"):
        self.target, self.verbose, self.unit = target, verbose, unit
        self.live = verbose == 1 and _isatty()
        self.start = time.perf_counter()
        self._last = 0.0
        self._bar = None
        if self.live:
            try:
                from tqdm.auto import tqdm
                self._bar = tqdm(total=target, unit=unit, leave=True, dynamic_ncols=True, file=sys.stdout,
                                 mininterval=_MIN_INTERVAL)
            except ImportError:
                self._bar = None

    def update(self, current, logs=None, finalize=False):
        if not self.live:
            return
        now = time.perf_counter()
        if not finalize and now - self._last < _MIN_INTERVAL:
            return
        self._last = now
        if self._bar is not None:
            self._bar.n = current
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.refresh()
            return
        elapsed = now - self.start
        if self.target:
            eta = elapsed / max(current, 1) * (self.target - current)
            head = f"{current}/{self.target} [{'=' * int(30 * current / self.target):<30}] ETA {eta:.0f}s"
        else:
            head = f"{current} {self.unit}s"
        sys.stdout.write("\r" + head + (" - " + format_logs(logs) if logs else ""))
        sys.stdout.flush()

    def close(self, logs=None, current=None):
        elapsed = time.perf_counter() - self.start
        if self.live:
            if current is not None:
                self.update(current, logs, finalize=True)
            if self._bar is not None:
                self._bar.close()
            else:
                sys.stdout.write("\n")
        if self.verbose == 2 or (self.verbose == 1 and not self.live):
            n = current or self.target or 1
            line = f"{n}/{self.target or n} - {elapsed:.0f}s - {1000 * elapsed / max(n, 1):.0f}ms/{self.unit}"
            if logs:
                line += " - " + format_logs(logs)
            print(line, flush=True)


class ProgbarLogger(Callback):
    """Added by fit/evaluate/predict when verbose > 0."""

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose
        self._bar = None
        self._seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs")
        if epochs and self.verbose:
            print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        self._bar = Progbar(self.params.get("steps"), self.verbose)
        self._seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._bar.update(self._seen, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.close(logs, self._seen)

    def on_test_begin(self, logs=None):
        if not self.params.get("_in_fit"):
            self._bar = Progbar(self.params.get("steps"), self.verbose)
            self._seen = 0

    def on_test_batch_end(self, batch, logs=None):
        if not self.params.get("_in_fit"):
            self._seen = batch + 1
            self._bar.update(self._seen, logs)

    def on_test_end(self, logs=None):
        if not self.params.get("_in_fit"):
            self._bar.close(logs, self._seen)

    def on_predict_begin(self, logs=None):
        self._bar = Progbar(self.params.get("steps"), self.verbose)
        self._seen = 0

    def on_predict_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._bar.update(self._seen, None)

    def on_predict_end(self, logs=None):
        self._bar.close(None, self._seen)
