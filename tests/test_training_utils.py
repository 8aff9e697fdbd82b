"""ember.utils.training: EarlyStopping, ensemble_predict, uniform model soups."""
import numpy as np
import pytest

import ember
from ember.utils import training
from helpers import assert_raises_in_child


def test_exports():
    assert ember.utils.EarlyStopping is training.EarlyStopping
    assert training.average_state_dicts is training.uniform_soup


def test_early_stopping_min_with_patience_and_delta():
    es = training.EarlyStopping(patience=2, min_delta=0.1)
    losses = [1.0, 0.8, 0.75, 0.72, 0.71, 0.5]
    stops = [es(v) for v in losses[:5]]
    # 0.75 is not 0.1 better than 0.8, nor 0.72; the third non-improvement stops.
    assert stops == [False, False, False, False, True]
    assert es.best == 0.8 and es.best_epoch == 1 and es.should_stop
    es.reset()
    assert not es.should_stop and es.best == float("inf")


def test_early_stopping_max_mode_and_tensor_values():
    es = training.EarlyStopping(patience=0, mode="max")
    assert es.step(ember.tensor(0.5)) is False
    assert es.step(ember.tensor([0.75])) is False
    assert es.step(0.75) is True  # equal is not better
    assert es.best == 0.75 and es.best_epoch == 1


def test_early_stopping_nan_never_improves():
    es = training.EarlyStopping(patience=1)
    es(1.0)
    assert es(float("nan")) is False
    assert es(float("nan")) is True


def test_restore_best_weights():
    m = ember.nn.Linear(2, 2)
    es = training.EarlyStopping(patience=1, restore_best_weights=True)
    best_w = None
    for epoch, loss in enumerate([3.0, 1.0, 2.0, 2.5]):
        with ember.no_grad():
            m.weight.fill_(float(epoch))
        if loss == 1.0:
            best_w = m.weight.detach().numpy().copy()
        if es(loss, model=m):
            break
    assert es.should_stop and es.best_epoch == 1
    np.testing.assert_array_equal(m.weight.detach().numpy(), best_w)
    # The kept copy is independent of the model.
    with ember.no_grad():
        m.weight.fill_(9.0)
    assert es.best_state["weight"].numpy()[0, 0] == 1.0


def test_ensemble_mean_and_vote():
    ms = [ember.nn.Linear(3, 4) for _ in range(3)]
    x = ember.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    ms[0].train()
    out = training.ensemble_predict(ms, x)
    want = np.mean([m(x).detach().numpy() for m in ms], axis=0)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=1e-6)
    assert ms[0].training and not out.requires_grad
    vote = training.ensemble_predict(ms, x, method="vote")
    preds = np.stack([m(x).detach().numpy().argmax(-1) for m in ms])
    want_vote = [np.bincount(preds[:, i], minlength=4).argmax() for i in range(5)]
    np.testing.assert_array_equal(vote.numpy(), want_vote)
    assert vote.dtype == ember.int64


def test_uniform_soup():
    nets = [ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2)) for _ in range(3)]
    for i, n in enumerate(nets):
        n(ember.randn(4, 3))
        for _ in range(i):
            n(ember.randn(4, 3))
    sds = [n.state_dict() for n in nets]
    soup = training.uniform_soup(sds)
    assert list(soup.keys()) == list(sds[0].keys())
    for k in soup:
        if sds[0][k].is_floating_point():
            want = np.mean([sd[k].numpy().astype(np.float64) for sd in sds], axis=0).astype(np.float32)
            np.testing.assert_allclose(soup[k].numpy(), want, rtol=1e-6, atol=1e-7)
            assert soup[k].dtype == ember.float32
        else:
            assert soup[k].dtype == ember.int64 and int(soup[k]) == int(sds[0][k])
    assert soup["0.weight"] is not sds[0]["0.weight"]
    fresh = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2))
    fresh.load_state_dict(soup)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"\[EarlyStopping\] expected mode"):
        training.EarlyStopping(mode="avg")
    with pytest.raises(ValueError, match=r"\[EarlyStopping\] expected a non-negative int patience"):
        training.EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="min_delta"):
        training.EarlyStopping(min_delta=-0.5)
    with pytest.raises(TypeError, match=r"\[EarlyStopping\] expected a number"):
        training.EarlyStopping()("loss")
    with pytest.raises(ValueError, match=r"\[EarlyStopping\] expected a single value"):
        training.EarlyStopping()(ember.ones(3))
    with pytest.raises(ValueError, match=r"\[ensemble_predict\] expected at least one model"):
        training.ensemble_predict([], ember.ones(2))
    with pytest.raises(ValueError, match="method"):
        training.ensemble_predict([ember.nn.Linear(2, 2)], ember.ones(1, 2), method="median")
    with pytest.raises(ValueError, match="one shape"):
        training.ensemble_predict([ember.nn.Linear(2, 2), ember.nn.Linear(2, 3)], ember.ones(1, 2))
    with pytest.raises(ValueError, match=r"\[uniform_soup\] expected at least one"):
        training.uniform_soup([])
    with pytest.raises(KeyError, match=r"\[uniform_soup\]"):
        training.uniform_soup([ember.nn.Linear(2, 2).state_dict(), ember.nn.Linear(2, 2, bias=False).state_dict()])
    with pytest.raises(ValueError, match=r"\[uniform_soup\] expected 'weight' of shape"):
        training.uniform_soup([ember.nn.Linear(2, 2).state_dict(), ember.nn.Linear(2, 3).state_dict()])


def test_bad_input_in_child():
    assert_raises_in_child("ember.utils.training.EarlyStopping(patience=10**30 * -1)", "ValueError",
                           "[EarlyStopping]")
    assert_raises_in_child("ember.utils.training.ensemble_predict([ember.nn.Linear(2, 2)], "
                           "ember.ones(1, 3))", "RuntimeError")
    assert_raises_in_child("ember.utils.training.ensemble_predict([ember.nn.Linear(2, 2)], "
                           "ember.ones(1, 2, device='cuda'))", "RuntimeError", "CUDA")
    assert_raises_in_child("ember.utils.training.uniform_soup([{'w': ember.ones(2)}, {'w': ember.ones(10**4)}])",
                           "ValueError", "[uniform_soup]")
