"""ember.keras.callbacks: hooks, EarlyStopping, ModelCheckpoint, schedulers, CSVLogger, BackupAndRestore."""
import math
import os

import numpy as np
import pytest

import ember
from ember import keras

layers, callbacks = keras.layers, keras.callbacks


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.random((n, 3), dtype=np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    return x, y


def _model(lr=0.05):
    ember.manual_seed(0)
    m = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(1)])
    m.compile(keras.optimizers.SGD(lr), "mse", metrics=["mae"])
    return m


def test_hooks_called_in_order():
    x, y = _data()
    events = []

    class Rec(callbacks.Callback):
        def on_train_begin(self, logs=None): events.append("train_begin")
        def on_epoch_begin(self, epoch, logs=None): events.append(f"epoch_begin{epoch}")
        def on_train_batch_end(self, batch, logs=None): events.append(f"batch{batch}:{sorted(logs)}")
        def on_epoch_end(self, epoch, logs=None): events.append(f"epoch_end{epoch}:{sorted(logs)}")
        def on_test_begin(self, logs=None): events.append("test_begin")
        def on_train_end(self, logs=None): events.append("train_end")

    m = _model()
    m.fit(x, y, batch_size=20, epochs=2, validation_data=(x, y), callbacks=[Rec()], verbose=0)
    assert events[0] == "train_begin" and events[-1] == "train_end"
    assert events[1:5] == ["epoch_begin0", "batch0:['loss', 'mae']", "batch1:['loss', 'mae']",
                           "epoch_end0:['loss', 'mae', 'val_loss', 'val_mae']"]
    assert "test_begin" not in events  # fit's validation does not fire evaluate's hooks without callbacks
    pe = []
    m.predict(x, batch_size=10, verbose=0, callbacks=[callbacks.LambdaCallback(
        on_predict_batch_end=lambda b, logs: pe.append(b))])
    assert pe == [0, 1, 2, 3]


def test_early_stopping_stops_plateau_and_restores_best():
    x, y = _data()
    m = _model(lr=0.05)
    seen = []

    class Spoil(callbacks.Callback):
        # after epoch 2, the weights get worse each epoch: val_loss plateaus above its best
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs["val_loss"])

    class Break(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch >= 3:
                self.model.optimizer.learning_rate = 0.0
                with ember.no_grad():
                    self.model.layers[-1].linear.bias.add_(1.0)

    es = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    h = m.fit(x, y, batch_size=40, epochs=50, validation_data=(x, y), callbacks=[Break(), es, Spoil()], verbose=0)
    assert len(h.epoch) < 50
    assert es.stopped_epoch == h.epoch[-1] == es.best_epoch + 2
    best = min(h.history["val_loss"])
    assert es.best_epoch == int(np.argmin(h.history["val_loss"]))
    assert m.evaluate(x, y, verbose=0)[0] == pytest.approx(best, rel=1e-5)


def test_early_stopping_modes_and_baseline():
    es = callbacks.EarlyStopping(monitor="val_accuracy")
    assert es.mode == "max"
    assert callbacks.EarlyStopping(monitor="loss").mode == "min"
    with pytest.raises(ValueError, match="mode"):
        callbacks.EarlyStopping(mode="up")
    x, y = _data()
    m = _model()

    class Flat(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["loss"] = 1.0

    # a baseline never beaten keeps the patience counter running from the first epoch
    h = m.fit(x, y, epochs=10, callbacks=[Flat(), callbacks.EarlyStopping(monitor="loss", patience=2)], verbose=0)
    assert len(h.epoch) == 3
    es = callbacks.EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    h = m.fit(x, y, epochs=10, callbacks=[Flat(), es], verbose=0)
    assert len(h.epoch) == 2


def test_model_checkpoint(tmp_path):
    x, y = _data()
    m = _model()
    path = str(tmp_path / "ck_{epoch:02d}_{val_loss:.2f}.weights.safetensors")
    m.fit(x, y, epochs=3, validation_data=(x, y), verbose=0,
          callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True)])
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 3 and files[0].startswith("ck_01_")
    best = str(tmp_path / "best.keras")
    cb = callbacks.ModelCheckpoint(best, monitor="val_loss", save_best_only=True)
    h = m.fit(x, y, epochs=3, validation_data=(x, y), verbose=0, callbacks=[cb])
    m2 = keras.models.load_model(best)
    assert m2.evaluate(x, y, verbose=0)[0] == pytest.approx(min(h.history["val_loss"]), rel=1e-5)


def test_learning_rate_scheduler_and_reduce_on_plateau(tmp_path):
    x, y = _data()
    m = _model(lr=0.1)
    h = m.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: 0.1 / (e + 1))])
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    m = _model(lr=0.1)

    class Flat(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = 1.0  # a plateau

    rl = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.02)
    h = m.fit(x, y, epochs=5, verbose=0, callbacks=[Flat(), rl])
    # logged at each epoch's end before the reduction, as Keras
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025, 0.02])
    assert m.optimizer.learning_rate == pytest.approx(0.02)


def test_ember_reduce_lr_on_plateau_adapter():
    x, y = _data()
    m = keras.Sequential([layers.Dense(1, input_shape=(3,))])
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    m.compile(opt, "mse")
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)

    class Flat(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = 1.0

    m.fit(x, y, epochs=3, verbose=0, callbacks=[Flat(), sched])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)


def test_csv_logger_and_terminate_on_nan(tmp_path):
    x, y = _data()
    m = _model()
    f = tmp_path / "log.csv"
    m.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(str(f))])
    lines = f.read_text().strip().splitlines()
    assert lines[0] == "epoch,loss,mae" and len(lines) == 3
    y_bad = y.copy()
    y_bad[0] = np.nan
    h = m.fit(x, y_bad, epochs=5, batch_size=40, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert len(h.epoch) == 1 and math.isnan(h.history["loss"][0])


def test_backup_and_restore_resumes_interrupted_fit(tmp_path):
    x, y = _data()
    backup = str(tmp_path / "backup")

    class Crash(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                raise RuntimeError("interrupted")

    m = _model()
    with pytest.raises(RuntimeError, match="interrupted"):
        m.fit(x, y, epochs=6, verbose=0, callbacks=[callbacks.BackupAndRestore(backup), Crash()])
    assert os.path.exists(backup)
    m2 = _model()  # a fresh process would rebuild the model like this
    m2.optimizer.learning_rate = 0.05
    starts = []
    h = m2.fit(x, y, epochs=6, verbose=0, callbacks=[
        callbacks.BackupAndRestore(backup),
        callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: starts.append(e))])
    assert starts == [3, 4, 5] and h.epoch == [3, 4, 5]
    assert not os.path.exists(backup)  # deleted when fit completes


def test_callback_bad_arguments():
    with pytest.raises(ValueError, match="patience"):
        callbacks.EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match="schedule"):
        callbacks.LearningRateScheduler(3)
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=2.0)
    with pytest.raises(TypeError, match="callbacks"):
        _model().fit(*_data(), callbacks=[object()], verbose=0)
