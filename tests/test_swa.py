"""ember.optim.swa_utils: AveragedModel (SWA/EMA), SWALR and update_bn against PyTorch."""
import warnings

import numpy as np
import pytest

import ember
from ember.optim import swa_utils
from helpers import assert_raises_in_child, needs_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _pair(seed=0):
    """The same small net (Linear, BatchNorm1d, Linear) in ember and torch."""
    e = ember.nn.Sequential(ember.nn.Linear(4, 5), ember.nn.BatchNorm1d(5), ember.nn.Linear(5, 3))
    t = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 3))
    rng = np.random.default_rng(seed)
    sd = {k: rng.standard_normal(v.shape).astype(np.float32) if v.dtype == torch.float32 else v.numpy()
          for k, v in t.state_dict().items()}
    t.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})
    e.load_state_dict({k: ember.tensor(v) for k, v in sd.items()})
    return e, t


def _perturb(e, t, rng):
    """Same random walk on both models' parameters, and a training forward (moves BN stats)."""
    x = rng.standard_normal((6, 4)).astype(np.float32)
    with torch.no_grad():
        for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
            d = rng.standard_normal(tuple(pt.shape)).astype(np.float32) * 0.1
            pt.add_(torch.tensor(d))
            with ember.no_grad():
                pe.add_(ember.tensor(d))
    t(torch.tensor(x))
    e(ember.tensor(x))


def _assert_sd_close(e_sd, t_sd, atol=1e-6):
    assert list(e_sd.keys()) == list(t_sd.keys())
    for k in t_sd:
        np.testing.assert_allclose(e_sd[k].numpy(), t_sd[k].numpy(), rtol=1e-5, atol=atol, err_msg=k)


@needs_torch
@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema_fn", "swa_fn", "swa_multi", "ema_buffers",
                                  "swa_buffers"])
def test_averaged_model_matches_torch(kind):
    e, t = _pair()
    use_buffers = kind.endswith("buffers")
    kw_e, kw_t = {}, {}
    if kind.startswith("ema"):
        if kind == "ema_fn":
            kw_e["avg_fn"], kw_t["avg_fn"] = swa_utils.get_ema_avg_fn(0.9), torch.optim.swa_utils.get_ema_avg_fn(0.9)
        else:
            kw_e["multi_avg_fn"] = swa_utils.get_ema_multi_avg_fn(0.9)
            kw_t["multi_avg_fn"] = torch.optim.swa_utils.get_ema_multi_avg_fn(0.9)
    elif kind == "swa_fn":
        kw_e["avg_fn"], kw_t["avg_fn"] = swa_utils.get_swa_avg_fn(), torch.optim.swa_utils.get_swa_avg_fn()
    elif kind == "swa_multi":
        kw_e["multi_avg_fn"] = swa_utils.get_swa_multi_avg_fn()
        kw_t["multi_avg_fn"] = torch.optim.swa_utils.get_swa_multi_avg_fn()
    ae = swa_utils.AveragedModel(e, use_buffers=use_buffers, **kw_e)
    at = torch.optim.swa_utils.AveragedModel(t, use_buffers=use_buffers, **kw_t)
    rng = np.random.default_rng(1)
    for _ in range(6):
        _perturb(e, t, rng)
        ae.update_parameters(e)
        at.update_parameters(t)
    assert int(ae.n_averaged) == 6
    _assert_sd_close(ae.state_dict(), at.state_dict())
    x = rng.standard_normal((3, 4)).astype(np.float32)
    ae.eval()
    at.eval()
    np.testing.assert_allclose(ae(ember.tensor(x)).detach().numpy(), at(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_swa_is_the_running_mean_and_model_untouched():
    m = ember.nn.Linear(3, 2)
    avg = swa_utils.AveragedModel(m)
    assert avg.module is not m and avg.module.weight is not m.weight
    snaps = []
    for i in range(5):
        with ember.no_grad():
            m.weight.fill_(float(i))
        snaps.append(m.weight.detach().numpy().copy())
        avg.update_parameters(m)
    np.testing.assert_allclose(avg.module.weight.detach().numpy(), np.mean(snaps, axis=0), atol=1e-6)
    assert m.weight.detach().numpy()[0, 0] == 4.0
    assert list(avg.state_dict().keys())[0] == "n_averaged"
    assert "module.weight" in avg.state_dict()
    assert not avg.module.weight.grad_fn


@needs_torch
def test_swalr_matches_torch():
    for strategy, epochs in [("cos", 5), ("linear", 3), ("cos", 0)]:
        pe, pt = ember.nn.Parameter(ember.zeros(1)), torch.nn.Parameter(torch.zeros(1))
        oe, ot = ember.optim.SGD([pe], lr=0.5), torch.optim.SGD([pt], lr=0.5)
        se = swa_utils.SWALR(oe, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
        st = torch.optim.swa_utils.SWALR(ot, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
        for _ in range(12):
            oe.step()
            ot.step()
            se.step()
            st.step()
            assert se.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12, abs=1e-15)
        assert set(se.state_dict()) == set(st.state_dict())


@needs_torch
def test_update_bn_matches_torch():
    e, t = _pair()
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((8, 4)).astype(np.float32) * 2 + 1 for _ in range(4)]
    e_loader = [(ember.tensor(b), ember.zeros(8)) for b in batches]
    t_loader = [(torch.tensor(b), torch.zeros(8)) for b in batches]
    e.eval()
    t.eval()
    momentum_before = e[1].momentum
    swa_utils.update_bn(e_loader, e)
    torch.optim.swa_utils.update_bn(t_loader, t)
    assert e.training is False and e[1].momentum == momentum_before
    _assert_sd_close(e.state_dict(), t.state_dict(), atol=1e-5)
    swa_utils.update_bn([ember.zeros(2, 3)], ember.nn.Linear(3, 3))  # no BatchNorm: nothing to do


def test_bad_arguments():
    with pytest.raises(ValueError, match="Invalid decay value"):
        swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(ValueError, match="Invalid decay value"):
        swa_utils.get_ema_avg_fn(-0.1)
    with pytest.raises(AssertionError, match="Only one of avg_fn"):
        swa_utils.AveragedModel(ember.nn.Linear(2, 2), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa_utils.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs"):
        swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=2)
    s2 = swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=2)
    s2.load_state_dict(s.state_dict())
    assert s2.anneal_func is s2._cosine_anneal or s2.anneal_func == s2._cosine_anneal


def test_bad_input_in_child():
    assert_raises_in_child("ember.optim.swa_utils.AveragedModel('not a model')", "TypeError", "[AveragedModel]")
    assert_raises_in_child(
        "a = ember.optim.swa_utils.AveragedModel(ember.nn.Linear(2, 2))\n"
        "a.update_parameters(ember.nn.Linear(3, 2))", "RuntimeError", "[AveragedModel.update_parameters]")
    assert_raises_in_child("ember.optim.swa_utils.update_bn([], 42)", "TypeError", "[update_bn]")
    assert_raises_in_child("ember.optim.swa_utils.AveragedModel(ember.nn.Linear(2, 2), device='cuda')",
                           "RuntimeError", "CUDA")
