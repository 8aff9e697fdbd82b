"""ember.metrics / keras.metrics: stateful metrics equal scikit-learn's values."""
import numpy as np
import pytest

import ember
from ember import keras

sk = pytest.importorskip("sklearn.metrics")
M = ember.metrics


@pytest.fixture(scope="module")
def preds():
    rng = np.random.default_rng(0)
    n, c = 400, 5
    y = rng.integers(0, c, n)
    logits = rng.normal(size=(n, c)) + 2.0 * np.eye(c)[y]
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return y, p.astype(np.float32)


def _batches(n, bs=64):
    return [slice(i, i + bs) for i in range(0, n, bs)]


def test_exported_as_ember_metrics():
    assert ember.metrics.AUC is keras.metrics.AUC


def test_accuracies(preds):
    y, p = preds
    m = M.SparseCategoricalAccuracy()
    for s in _batches(len(y)):  # stateful across batches
        m.update_state(y[s], p[s])
    assert m.result() == pytest.approx(sk.accuracy_score(y, p.argmax(1)))
    oh = np.eye(5, dtype=np.float32)[y]
    assert M.CategoricalAccuracy()(oh, p) == pytest.approx(sk.accuracy_score(y, p.argmax(1)))
    k = M.TopKCategoricalAccuracy(k=2)
    k.update_state(oh, p)
    assert k.result() == pytest.approx(sk.top_k_accuracy_score(y, p, k=2))
    sk2 = M.SparseTopKCategoricalAccuracy(k=3)
    assert sk2(y, p) == pytest.approx(sk.top_k_accuracy_score(y, p, k=3))
    m.reset_state()
    assert m.result() == 0.0
    w = np.linspace(0.1, 2, len(y)).astype(np.float32)
    m.update_state(y, p, sample_weight=w)
    assert m.result() == pytest.approx(sk.accuracy_score(y, p.argmax(1), sample_weight=w), rel=1e-6)


def test_binary_precision_recall_auc(preds):
    y, p = preds
    yb = (y == 0).astype(np.float32)
    pb = p[:, 0]
    acc = M.BinaryAccuracy()
    acc.update_state(yb, pb)
    assert acc.result() == pytest.approx(sk.accuracy_score(yb, pb > 0.5))
    pr, rc = M.Precision(), M.Recall()
    for s in _batches(len(y), 100):
        pr.update_state(yb[s], pb[s])
        rc.update_state(yb[s], pb[s])
    assert pr.result() == pytest.approx(sk.precision_score(yb, pb > 0.5))
    assert rc.result() == pytest.approx(sk.recall_score(yb, pb > 0.5))
    auc = M.AUC(num_thresholds=2000)
    for s in _batches(len(y), 100):
        auc.update_state(yb[s], pb[s])
    assert auc.result() == pytest.approx(sk.roc_auc_score(yb, pb), abs=2e-3)
    # Keras's default 200 thresholds: close, not exact
    assert M.AUC()(yb, pb) == pytest.approx(sk.roc_auc_score(yb, pb), abs=1e-2)
    pr_auc = M.AUC(num_thresholds=2000, curve="PR")(yb, pb)
    assert pr_auc == pytest.approx(sk.average_precision_score(yb, pb), abs=3e-2)
    w = np.linspace(0.5, 1.5, len(y)).astype(np.float32)
    a = M.AUC(num_thresholds=4000)
    a.update_state(yb, pb, sample_weight=w)
    assert a.result() == pytest.approx(sk.roc_auc_score(yb, pb, sample_weight=w), abs=2e-3)
    assert M.AUC(num_thresholds=2000, from_logits=True)(yb, np.log(pb / (1 - pb))) == pytest.approx(
        sk.roc_auc_score(yb, pb), abs=2e-3)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_f1_score(preds, average):
    y, p = preds
    oh = np.eye(5, dtype=np.float32)[y]
    f = M.F1Score(average=average)
    for s in _batches(len(y)):
        f.update_state(oh[s], p[s])
    ref = sk.f1_score(y, p.argmax(1), average=average)
    np.testing.assert_allclose(f.result(), ref, rtol=1e-5)


def test_regression_metrics():
    rng = np.random.default_rng(1)
    yt, yp = rng.normal(size=(50, 3)).astype(np.float32), rng.normal(size=(50, 3)).astype(np.float32)
    assert M.MeanAbsoluteError()(yt, yp) == pytest.approx(sk.mean_absolute_error(yt, yp), rel=1e-5)
    assert M.MeanSquaredError()(yt, yp) == pytest.approx(sk.mean_squared_error(yt, yp), rel=1e-5)
    assert M.RootMeanSquaredError()(yt, yp) == pytest.approx(np.sqrt(sk.mean_squared_error(yt, yp)), rel=1e-5)
    m = M.Mean()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state([4.0], sample_weight=[3.0])
    assert m.result() == pytest.approx((6 + 12) / 6)


def test_metric_in_a_pytorch_style_loop(preds):
    y, p = preds
    acc = M.SparseCategoricalAccuracy()
    for s in _batches(len(y), 50):
        acc.update_state(ember.from_numpy(y[s]), ember.from_numpy(p[s]))
    assert acc.result() == pytest.approx((p.argmax(1) == y).mean())


def test_metric_bad_input():
    with pytest.raises(ValueError, match=r"\[AUC\]"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"\[AUC\]"):
        M.AUC(curve="XY")
    with pytest.raises(ValueError, match=r"\[F1Score\]"):
        M.F1Score(average="mean")
    with pytest.raises(ValueError, match=r"\[F1Score\]"):
        M.F1Score()(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"\[Precision\]"):
        M.Precision(thresholds=2.0)
    with pytest.raises(ValueError, match=r"\[Precision\]"):
        M.Precision()(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="unknown metric"):
        M.get("f2")
