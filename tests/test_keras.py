"""ember.keras: models, layers, compile/fit/evaluate/predict, saving, bad input."""

import numpy as np
import pytest

import ember
from ember import keras
from ember.datasets import Digits

layers = keras.layers


@pytest.fixture(scope="module")
def digits():
    tr, te = Digits(train=True), Digits(train=False)
    return (tr._images.reshape(-1, 64), tr._labels), (te._images.reshape(-1, 64), te._labels)


def _seed(s=0):
    ember.manual_seed(s)
    np.random.seed(s)


# --- the accuracy targets --------------------------------------------------------------------------

def test_mlp_digits_reaches_95_percent(digits):
    (x, y), (xv, yv) = digits
    _seed(0)
    model = keras.Sequential([
        layers.Dense(128, activation="relu", input_shape=(64,)),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=15, batch_size=32, validation_data=(xv, yv), verbose=0)
    for k in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert k in h.history and len(h.history[k]) == 15
    assert h.epoch == list(range(15))
    assert h.history["val_accuracy"][-1] >= 0.95
    assert h.history["loss"][-1] < h.history["loss"][0]
    loss, acc = model.evaluate(xv, yv, verbose=0)
    assert acc == pytest.approx(h.history["val_accuracy"][-1])
    d = model.evaluate(xv, yv, verbose=0, return_dict=True)
    assert set(d) == {"loss", "accuracy"}
    p = model.predict(xv, verbose=0)
    assert isinstance(p, np.ndarray) and p.shape == (len(xv), 10)
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    assert (p.argmax(1) == yv).mean() == pytest.approx(acc)


def test_conv2d_digits_reaches_97_percent(digits):
    (x, y), (xv, yv) = digits
    _seed(0)
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(learning_rate=0.003), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x.reshape(-1, 8, 8, 1), y, epochs=10, batch_size=32,
                  validation_data=(xv.reshape(-1, 8, 8, 1), yv), verbose=0)
    assert max(h.history["val_accuracy"][-3:]) >= 0.97


def test_lstm_digits_reaches_90_percent(digits):
    (x, y), (xv, yv) = digits
    _seed(0)
    model = keras.Sequential([keras.Input((8, 8)), layers.LSTM(32), layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(x.reshape(-1, 8, 8), y, epochs=8, batch_size=32, validation_data=(xv.reshape(-1, 8, 8), yv),
                  verbose=0)
    assert max(h.history["val_accuracy"][-3:]) >= 0.90


# --- models ---------------------------------------------------------------------------------------

def test_sequential_add_and_lazy_build():
    m = keras.Sequential()
    m.add(layers.Dense(4, activation="relu"))
    m.add(layers.Dense(2))
    assert not m.built
    out = m(np.ones((3, 5), np.float32))
    assert tuple(out.shape) == (3, 2) and m.built
    assert m.layers[0].linear.in_features == 5
    assert m.count_params() == 5 * 4 + 4 + 4 * 2 + 2


def test_functional_multi_input_output():
    _seed(1)
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    h = layers.Concatenate()([layers.Dense(5, activation="relu")(a), b])
    o1 = layers.Dense(2, activation="softmax", name="cls")(h)
    o2 = layers.Dense(1, name="reg")(h)
    model = keras.Model(inputs=[a, b], outputs=[o1, o2])
    assert model.output_names == ["cls", "reg"]
    xa, xb = np.random.rand(64, 4).astype(np.float32), np.random.rand(64, 3).astype(np.float32)
    y1, y2 = (xa.sum(1) > 2).astype(np.int64), xb.sum(1, keepdims=True)
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]])
    h = model.fit([xa, xb], [y1, y2], epochs=2, batch_size=16, verbose=0)
    assert {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"} <= set(h.history)
    p1, p2 = model.predict([xa, xb], verbose=0)
    assert p1.shape == (64, 2) and p2.shape == (64, 1)
    # total loss = sum of the outputs' losses
    d = model.evaluate([xa, xb], [y1, y2], verbose=0, return_dict=True)
    assert d["loss"] == pytest.approx(d["cls_loss"] + d["reg_loss"], rel=1e-5)


def test_subclassed_model_trains():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(16, activation="relu")
            self.drop = layers.Dropout(0.5)
            self.d2 = layers.Dense(3)

        def call(self, x, training=False):
            return self.d2(self.drop(self.d1(x), training=training))

    _seed(2)
    m = MLP()
    x = np.random.rand(90, 4).astype(np.float32)
    y = (x[:, 0] * 3).astype(np.int64).clip(0, 2)
    m.compile(keras.optimizers.SGD(0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    h = m.fit(x, y, epochs=3, batch_size=30, verbose=0)
    assert len(h.history["loss"]) == 3
    # inference is deterministic (dropout off)
    np.testing.assert_array_equal(m.predict(x, verbose=0), m.predict(x, verbose=0))


def test_save_and_load_predict_identically(tmp_path, digits):
    (x, y), _ = digits
    _seed(3)
    inp = keras.Input((8, 8, 1))
    t = layers.Conv2D(4, 3, activation="relu")(inp)
    t = layers.BatchNormalization()(t)
    t = layers.GlobalAveragePooling2D()(t)
    out = layers.Dense(10, activation="softmax", kernel_regularizer=keras.regularizers.l2(1e-4))(t)
    model = keras.Model(inp, out)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    xs = x[:128].reshape(-1, 8, 8, 1)
    model.fit(xs, y[:128], epochs=1, verbose=0)
    ref = model.predict(xs, verbose=0)
    for path in (tmp_path / "m.keras", tmp_path / "mdir"):
        model.save(path)
        m2 = keras.models.load_model(path)
        np.testing.assert_array_equal(m2.predict(xs, verbose=0), ref)
        assert m2.compiled
    seq = keras.Sequential([layers.Dense(3, input_shape=(5,)), layers.Dense(2, activation="sigmoid")])
    seq.save(tmp_path / "s.keras")
    s2 = keras.models.load_model(tmp_path / "s.keras")
    xin = np.random.rand(4, 5).astype(np.float32)
    np.testing.assert_array_equal(s2.predict(xin, verbose=0), seq.predict(xin, verbose=0))
    # weights only
    seq.save_weights(tmp_path / "w.safetensors")
    s3 = keras.Sequential([layers.Dense(3, input_shape=(5,)), layers.Dense(2, activation="sigmoid")])
    s3.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(s3.predict(xin, verbose=0), seq.predict(xin, verbose=0))
    with zipfile_open(tmp_path / "s.keras") as names:
        assert set(names) == {"config.json", "model.weights.safetensors"}


class zipfile_open:
    def __init__(self, p):
        import zipfile
        self.z = zipfile.ZipFile(p)

    def __enter__(self):
        return self.z.namelist()

    def __exit__(self, *a):
        self.z.close()


def test_summary_lists_layers_and_params(capsys):
    m = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, name="c"), layers.BatchNormalization(name="bn"),
                          layers.Flatten(name="f"), layers.Dense(3, name="d")])
    m.summary()
    out = capsys.readouterr().out
    assert "c (Conv2D)" in out and "(None, 6, 6, 2)" in out and "d (Dense)" in out
    # conv 3*3*1*2 + 2 = 20; bn 2 gamma + 2 beta + 4 moving stats; dense 72*3 + 3 = 219
    assert "Total params: 247" in out and "Trainable params: 243" in out
    assert "Non-trainable params: 4" in out


# --- layers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("padding,strides,size", [("valid", 1, 7), ("same", 1, 7), ("same", 2, 7), ("same", 2, 8),
                                                  ("valid", 2, 8)])
def test_conv2d_shapes_match_keras(padding, strides, size):
    conv = layers.Conv2D(3, 3, strides=strides, padding=padding)
    y = conv(np.random.rand(2, size, size, 2).astype(np.float32))
    exp = -(-size // strides) if padding == "same" else (size - 3) // strides + 1
    assert tuple(y.shape) == (2, exp, exp, 3)


def test_conv2d_matches_numpy_channels_last():
    conv = layers.Conv2D(2, (2, 3), padding="same", use_bias=True, bias_initializer="ones")
    x = np.random.rand(1, 4, 5, 3).astype(np.float32)
    y = conv(x).detach().numpy()
    w = conv.conv.weight.detach().detach().numpy()  # (out, in, kh, kw)
    # Keras 'same' for kernel (2, 3): pad rows (0, 1), cols (1, 1)
    xp = np.pad(x, ((0, 0), (0, 1), (1, 1), (0, 0)))
    ref = np.zeros((1, 4, 5, 2), np.float64)
    for i in range(4):
        for j in range(5):
            ref[0, i, j] = np.einsum("hwc,ochw->o", xp[0, i:i + 2, j:j + 3], w) + 1
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_pooling_layers():
    x = np.random.rand(2, 5, 5, 3).astype(np.float32)
    assert tuple(layers.MaxPooling2D()(x).shape) == (2, 2, 2, 3)
    y = layers.MaxPooling2D(2, padding="same")(x).detach().numpy()
    assert y.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(y[:, 2, 2], x[:, 4, 4])
    a = layers.AveragePooling2D(2, padding="same")(x).detach().numpy()
    np.testing.assert_allclose(a[:, 2, 2], x[:, 4, 4], rtol=1e-6)  # padded pixels do not count
    np.testing.assert_allclose(a[:, 0, 0], x[:, :2, :2].mean((1, 2)), rtol=1e-5)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(x).detach().numpy(), x.mean((1, 2)), rtol=1e-5)


def test_batchnorm_keras_momentum_and_inference():
    bn = layers.BatchNormalization(momentum=0.9)
    x = np.random.rand(16, 4).astype(np.float32) * 3 + 1
    y = bn(x, training=True).detach().numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(bn.bn.running_mean.detach().numpy(), 0.1 * x.mean(0), rtol=1e-5)
    assert bn.epsilon == 1e-3
    # inference uses the moving statistics
    yi = bn(x).detach().numpy()
    rm, rv = bn.bn.running_mean.detach().numpy(), bn.bn.running_var.detach().numpy()
    np.testing.assert_allclose(yi, (x - rm) / np.sqrt(rv + 1e-3), rtol=1e-4, atol=1e-5)


def test_recurrent_shapes_and_states():
    x = np.random.rand(3, 5, 4).astype(np.float32)
    assert tuple(layers.LSTM(6)(x).shape) == (3, 6)
    seq, h, c = layers.LSTM(6, return_sequences=True, return_state=True)(x)
    assert tuple(seq.shape) == (3, 5, 6) and tuple(h.shape) == (3, 6) and tuple(c.shape) == (3, 6)
    np.testing.assert_allclose(seq.detach().numpy()[:, -1], h.detach().numpy(), rtol=1e-6)
    out, h = layers.GRU(7, return_state=True)(x)
    assert tuple(out.shape) == (3, 7)
    assert tuple(layers.SimpleRNN(2, return_sequences=True)(x).shape) == (3, 5, 2)
    bi = layers.Bidirectional(layers.LSTM(3, return_sequences=True))
    assert tuple(bi(x).shape) == (3, 5, 6)
    lstm = layers.LSTM(3)
    lstm(x)
    # Keras's unit_forget_bias
    np.testing.assert_array_equal(lstm.rnn.bias_ih_l0.detach().numpy()[3:6], 1.0)


def test_embedding_attention_merge_layers():
    ids = np.array([[1, 2, 3], [0, 4, 4]])
    e = layers.Embedding(5, 8)(ids)
    assert tuple(e.shape) == (2, 3, 8)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out = mha(e, e)
    assert tuple(out.shape) == (2, 3, 8)
    out2, scores = mha(e, e, return_attention_scores=True)
    np.testing.assert_allclose(out2.detach().numpy(), out.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert tuple(scores.shape) == (2, 2, 3, 3)
    a, b = np.ones((2, 3), np.float32), np.full((2, 3), 2, np.float32)
    np.testing.assert_array_equal(layers.Add()([a, b]).detach().numpy(), 3)
    assert tuple(layers.Concatenate()([a, b]).shape) == (2, 6)
    ln = layers.LayerNormalization()(np.random.rand(2, 5).astype(np.float32)).detach().numpy()
    np.testing.assert_allclose(ln.mean(1), 0, atol=1e-5)


def test_preprocessing_layers_only_in_training():
    x = np.random.rand(4, 6, 6, 1).astype(np.float32)
    np.testing.assert_allclose(layers.Rescaling(1 / 255.0)(x * 255).detach().numpy(), x, rtol=1e-5)
    for layer in (layers.RandomFlip(), layers.RandomRotation(0.2), layers.RandomZoom(0.3)):
        np.testing.assert_array_equal(layer(x).detach().numpy(), x)  # inference: identity
        y = layer(x, training=True).detach().numpy()
        assert y.shape == x.shape
    _seed(0)
    y = layers.RandomFlip("horizontal")(x, training=True).detach().numpy()
    for i in range(4):
        assert np.array_equal(y[i], x[i]) or np.array_equal(y[i], x[i, :, ::-1])
    # a zero rotation / zoom is the identity
    np.testing.assert_allclose(layers.RandomRotation((0.0, 0.0))(x, training=True).detach().numpy(), x, atol=1e-5)
    np.testing.assert_allclose(layers.RandomZoom((0.0, 0.0))(x, training=True).detach().numpy(), x, atol=1e-5)


def test_initializers_and_regularizers():
    d = layers.Dense(50, kernel_initializer="zeros", bias_initializer="ones")
    d(np.ones((1, 30), np.float32))
    assert not d.linear.weight.detach().numpy().any() and (d.linear.bias.detach().numpy() == 1).all()
    g = layers.Dense(200, input_shape=(100,))
    g(np.ones((1, 100), np.float32))
    lim = np.sqrt(6 / 300)
    w = g.linear.weight.detach().numpy()
    assert np.abs(w).max() <= lim and np.abs(w).max() > 0.9 * lim
    h = layers.Dense(400, kernel_initializer="he_normal")
    h(np.ones((1, 400), np.float32))
    assert h.linear.weight.detach().numpy().std() == pytest.approx(np.sqrt(2 / 400), rel=0.1)
    r = layers.Dense(2, kernel_regularizer=keras.regularizers.l1_l2(l1=0.1, l2=0.2))
    r(np.ones((1, 3), np.float32))
    w = r.linear.weight.detach().detach().numpy()
    assert float(r.losses[0].item()) == pytest.approx(0.1 * np.abs(w).sum() + 0.2 * (w ** 2).sum(), rel=1e-5)


# --- compile / fit options ------------------------------------------------------------------------

def test_compile_strings_and_unknown_names():
    m = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    for opt, lr in (("adam", 0.001), ("sgd", 0.01), ("rmsprop", 0.001), ("adamw", 0.001)):
        m.compile(optimizer=opt, loss="mse")
        assert m.optimizer.learning_rate == pytest.approx(lr)
    for loss in ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mse",
                 "mean_squared_error", "mae", "huber", "binary_focal_crossentropy", "categorical_focal_crossentropy"):
        m.compile("adam", loss)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        m.compile("adam", "nope")
    with pytest.raises(ValueError, match="adam"):
        m.compile("adamm", "mse")


def test_losses_match_reference():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    y = np.array([0, 2])
    v = keras.losses.sparse_categorical_crossentropy(y, p).detach().numpy()
    np.testing.assert_allclose(v, -np.log([0.7, 0.8]), rtol=1e-5)
    oh = np.eye(3, dtype=np.float32)[y]
    np.testing.assert_allclose(keras.losses.categorical_crossentropy(oh, p).detach().numpy(), v, rtol=1e-5)
    logits = np.log(p)
    np.testing.assert_allclose(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits).item(),
                               v.mean(), rtol=1e-5)
    yb, pb = np.array([[1.0], [0.0]], np.float32), np.array([[0.9], [0.3]], np.float32)
    np.testing.assert_allclose(keras.losses.binary_crossentropy(yb, pb).detach().numpy(), -np.log([0.9, 0.7]), rtol=1e-5)
    w = np.array([1.0, 3.0], np.float32)
    assert keras.losses.MeanSquaredError()(yb, pb, sample_weight=w).item() == pytest.approx(
        (0.01 * 1 + 0.09 * 3) / 2, rel=1e-5)
    # probabilities at 0 are clipped, never inf
    assert np.isfinite(keras.losses.sparse_categorical_crossentropy([1], [[1.0, 0.0]]).detach().numpy()).all()


def test_validation_split_class_weight_sample_weight_and_dataloader():
    _seed(4)
    x = np.random.rand(100, 3).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.float32)
    m = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, validation_split=0.2, epochs=2, verbose=0, class_weight={0: 1.0, 1: 2.0})
    assert "val_accuracy" in h.history
    m.fit(x, y, sample_weight=np.ones(100, np.float32), epochs=1, verbose=0, shuffle=False)
    from ember.utils.data import DataLoader, TensorDataset
    dl = DataLoader(TensorDataset(ember.from_numpy(x), ember.from_numpy(y)), batch_size=25)
    h = m.fit(dl, epochs=2, validation_data=dl, verbose=0)
    assert len(h.history["val_loss"]) == 2
    r = m.evaluate(dl, verbose=0)
    assert isinstance(r, list) and len(r) == 2
    assert m.predict(dl, verbose=0).shape == (100, 1)
    loss = m.train_on_batch(x[:10], y[:10])
    assert isinstance(loss, list) and np.isfinite(loss[0])
    d = m.test_on_batch(x[:10], y[:10], return_dict=True)
    assert set(d) == {"loss", "accuracy"}


def test_initial_epoch_and_verbose_lines(capsys):
    x, y = np.random.rand(20, 2).astype(np.float32), np.random.rand(20, 1).astype(np.float32)
    m = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    m.compile("sgd", "mse", metrics=["mae"])
    h = m.fit(x, y, epochs=4, initial_epoch=2, verbose=2)
    assert h.epoch == [2, 3]
    out = capsys.readouterr().out
    assert "Epoch 3/4" in out and "Epoch 4/4" in out and "loss:" in out and "mae:" in out
    assert out.count("\n") == 4  # one header and one line per epoch (stdout is not a terminal)
    m.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_history_plot_writes_png(tmp_path):
    x, y = np.random.rand(20, 2).astype(np.float32), np.random.rand(20, 1).astype(np.float32)
    m = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    m.compile("sgd", "mse", metrics=["mae"])
    h = m.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    p = h.plot(tmp_path / "h.png")
    with open(p, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_ember_optimizer_and_lr_scheduler_in_fit():
    m = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    m.compile(opt, "mse")
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x, y = np.random.rand(8, 2).astype(np.float32), np.random.rand(8, 1).astype(np.float32)
    h = m.fit(x, y, epochs=3, callbacks=[sched], verbose=0)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 / 8)
    assert h.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])


# --- bad input (child processes) -----------------------------------------------------------------

_MODEL = """
from ember import keras
m = keras.Sequential([keras.layers.Dense(3, activation='softmax', input_shape=(4,))])
m.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])
x = np.random.rand(10, 4).astype(np.float32)
"""

# (statement, exception type, substrings); all run in one child process (a crash fails them all)
_BAD = [
    ("m.fit(x, np.zeros(9, np.int64), verbose=0)", "ValueError", ["[fit]", "10", "9"]),
    ("m.fit(x, np.zeros(10, np.int64), validation_split=1.5, verbose=0)", "ValueError", ["validation_split", "(0, 1)"]),
    ("m.fit(x, np.zeros(10, np.int64), validation_split=-0.1, verbose=0)", "ValueError", ["validation_split"]),
    ("m.fit(x, np.full(10, 7), verbose=0)", "ValueError", ["sparse_categorical_crossentropy", "[0, 3)", "7"]),
    ("m.fit(x, np.full(10, -1), verbose=0)", "ValueError", ["labels"]),
    ("m.predict(np.zeros((2, 5), np.float32))", "ValueError", ["(None, 4)", "(2, 5)"]),
    ("m.fit(x, np.zeros(10), batch_size=0)", "ValueError", ["batch_size"]),
    ("m.fit(x, np.zeros(10), batch_size=2**62, epochs=-1)", "ValueError", ["epochs"]),
    ("m.fit(x, np.zeros(10), verbose=3)", "ValueError", ["verbose"]),
    ("m.compile('adam', 'mse', metrics=['nope'])", "ValueError", ["nope"]),
    ("keras.layers.Dense(0)", "ValueError", ["[Dense]", "units"]),
    ("keras.layers.Dense(-5)", "ValueError", ["[Dense]"]),
    ("keras.layers.Dense(2**70)(np.ones((1, 2), np.float32))", "", []),
    ("keras.layers.Conv2D(2, 3, padding='full')", "ValueError", ["padding"]),
    ("keras.layers.Conv2D(2, 3)(np.ones((2, 8, 8), np.float32))", "ValueError", ["[Conv2D]", "(2, 8, 8)"]),
    ("keras.layers.Dropout(1.5)", "ValueError", ["[Dropout]"]),
    ("keras.layers.LSTM(4)(np.ones((2, 3), np.float32))", "ValueError", ["[LSTM]", "3 dims"]),
    ("keras.Sequential([keras.layers.Dense(2)]).fit(np.ones((2, 2)), np.ones(2))", "RuntimeError", ["compile"]),
    ("keras.Input(shape=(0, 3))", "ValueError", ["[Input]"]),
    ("keras.layers.Embedding(5, 2)(np.array([[7]]))", "ValueError", ["[Embedding]", "[0, 5)"]),
    ("m.predict(ember.zeros(2, 4, device='cuda'))", "", []),  # no GPU build: a clean error, not a crash
]


def test_bad_input_messages():
    import json
    from helpers import run_in_subprocess
    code = "import ember, numpy as np, json\n" + _MODEL + "res = []\n"
    for stmt, _, _ in _BAD:
        code += (f"try:\n    {stmt}\n    res.append(['NOEXC', ''])\n"
                 f"except Exception as e:\n    res.append([type(e).__name__, str(e)])\n")
    code += "print('RESULT' + json.dumps(res))\n"
    r = run_in_subprocess(code)
    assert r.returncode == 0, f"child crashed (rc={r.returncode}):\n{r.stderr[-2000:]}"
    res = json.loads(r.stdout.split("RESULT", 1)[1])
    for (stmt, exc, subs), (got, msg) in zip(_BAD, res):
        assert got != "NOEXC", f"no exception from {stmt}"
        if exc:
            assert got == exc, f"{stmt}: expected {exc}, got {got}: {msg}"
        for sub in subs:
            assert sub in msg, f"{stmt}: message lacks {sub!r}: {msg}"


@pytest.mark.parametrize("use_tqdm", [True, False])
def test_live_progress_bar_on_a_terminal(monkeypatch, capsys, use_tqdm):
    import sys
    from ember.keras import progress
    monkeypatch.setattr(progress, "_isatty", lambda: True)
    monkeypatch.setattr(progress, "_MIN_INTERVAL", 0.0)
    if not use_tqdm:
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: the plain printer
    x, y = np.random.rand(64, 2).astype(np.float32), np.random.rand(64, 1).astype(np.float32)
    m = keras.Sequential([layers.Dense(1, input_shape=(2,))])
    m.compile("sgd", "mse", metrics=["mae"])
    m.fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert "4/4" in text and "loss:" in text and "mae:" in text
    if not use_tqdm:
        assert "\r" in text and "ETA" in text
    m.evaluate(x, y, verbose=1)
    m.predict(x, verbose=1)


def test_custom_layer_with_add_weight_and_utils():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.s = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     regularizer=keras.regularizers.l2(0.5))

        def call(self, x):
            return x * self.s

    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), Scale(), layers.Dense(2, activation="softmax")])
    assert m.count_params() == 3 + 8
    assert float(m.losses[0].item()) == pytest.approx(0.5 * 3)
    y = keras.utils.to_categorical([0, 1, 1, 0])
    np.testing.assert_array_equal(y, np.eye(2)[[0, 1, 1, 0]])
    m.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(np.random.rand(4, 3), y, epochs=2, verbose=0)
    assert "accuracy" in h.history
    with pytest.raises(ValueError, match="to_categorical"):
        keras.utils.to_categorical([0, 3], num_classes=2)


def test_functional_save_with_nested_and_multi_input_layers(tmp_path):
    keras.utils.set_random_seed(5)
    inp = keras.Input((6,), dtype="int64")
    e = layers.Embedding(20, 8)(inp)
    a = layers.MultiHeadAttention(num_heads=2, key_dim=4)(e, e)
    h = layers.LayerNormalization()(layers.Add()([e, a]))
    b = layers.Bidirectional(layers.GRU(5, return_sequences=True))(h)
    o = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(b))
    m = keras.Model(inp, o)
    x, y = np.random.randint(0, 20, (16, 6)), np.random.randint(0, 3, 16)
    m.compile(keras.optimizers.Adam(learning_rate=0.01), keras.losses.SparseCategoricalCrossentropy(),
              metrics=["accuracy"])
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "f.keras")
    m2 = keras.models.load_model(tmp_path / "f.keras")
    np.testing.assert_array_equal(m.predict(x, verbose=0), m2.predict(x, verbose=0))
    assert m2.optimizer.learning_rate == pytest.approx(0.01)
    assert [type(l).__name__ for l in m2.layers] == [type(l).__name__ for l in m.layers]

    @keras.saving.register_keras_serializable()
    class Sub(keras.Model):
        def __init__(self, units=4, **kw):
            super().__init__(**kw)
            self.units = units
            self.d = layers.Dense(units)
            self.o = layers.Dense(1)

        def call(self, x):
            return self.o(self.d(x))

        def get_config(self):
            return {"units": self.units}

    s = Sub(6)
    s.compile("sgd", "mse")
    s.fit(np.random.rand(8, 3), np.random.rand(8, 1), verbose=0)
    s.save(tmp_path / "sub")
    s2 = keras.models.load_model(tmp_path / "sub")
    xx = np.random.rand(4, 3).astype(np.float32)
    np.testing.assert_array_equal(s.predict(xx, verbose=0), s2.predict(xx, verbose=0))


def test_sample_and_class_weights_scale_the_loss():
    keras.utils.set_random_seed(7)
    x = np.random.rand(6, 3).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    m = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(3,))])
    m.compile(keras.optimizers.SGD(learning_rate=0.0), "sparse_categorical_crossentropy")
    p = m.predict(x, verbose=0)
    per = -np.log(p[np.arange(6), y])
    w = np.array([1, 2, 3, 4, 5, 6], np.float32)
    assert m.test_on_batch(x, y) == pytest.approx(per.mean(), rel=1e-5)
    assert m.test_on_batch(x, y, sample_weight=w) == pytest.approx((per * w).sum() / 6, rel=1e-5)
    cw = {0: 0.5, 1: 2.0, 2: 1.0}
    loss = m.train_on_batch(x, y, class_weight=cw)
    assert loss == pytest.approx((per * np.array([cw[c] for c in y])).sum() / 6, rel=1e-5)
