import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_raises_in_child, needs_torch, torch

W = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
IDX = np.array([[0, 2, 2, 7], [5, 0, 9, 2]], np.int64)


def _run(kwargs, idx=IDX):
    ew = ember.tensor(W.copy(), requires_grad=True)
    tw = torch.tensor(W.copy(), requires_grad=True)
    eo = F.embedding(ember.tensor(idx), ew, **kwargs)
    to = torch.nn.functional.embedding(torch.tensor(idx), tw, **kwargs)
    g = np.random.default_rng(1).standard_normal(tuple(to.shape)).astype(np.float32)
    (eo * ember.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    return ew, tw, eo, to


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 2, "scale_grad_by_freq": True}, {"max_norm": 1.0},
                                    {"max_norm": 1.5, "norm_type": 1.0}])
def test_embedding_matches_torch(kwargs):
    ew, tw, eo, to = _run(kwargs)
    assert tuple(eo.shape) == tuple(to.shape) == (2, 4, 4)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)  # renorm in place


@needs_torch
def test_embedding_1d_and_scalar_indices():
    for idx in (np.array([3, 3, 1]), np.array(4)):
        ew, tw, eo, to = _run({}, idx)
        assert tuple(eo.shape) == tuple(to.shape)
        np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-5)


def test_padding_idx_gets_zero_grad_module():
    ember.manual_seed(0)
    m = nn.Embedding(6, 3, padding_idx=1)
    np.testing.assert_array_equal(m.weight.detach().numpy()[1], np.zeros(3, np.float32))
    out = m(ember.tensor([[1, 2], [1, 1]]))
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], np.zeros(3, np.float32))
    out.sum().backward()
    g = m.weight.grad.numpy()
    np.testing.assert_array_equal(g[1], np.zeros(3, np.float32))
    np.testing.assert_array_equal(g[2], np.ones(3, np.float32))
    np.testing.assert_array_equal(g[0], np.zeros(3, np.float32))


def test_embedding_init_is_standard_normal():
    ember.manual_seed(0)
    w = nn.Embedding(2000, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1.0) < 0.01


@needs_torch
def test_embedding_repr_and_from_pretrained():
    for args, kw in [((10, 3), {}), ((10, 3), {"padding_idx": 2, "max_norm": 1.0}),
                     ((5, 2), {"scale_grad_by_freq": True, "norm_type": 1.0})]:
        assert repr(nn.Embedding(*args, **kw)) == repr(torch.nn.Embedding(*args, **kw))
    e = nn.Embedding.from_pretrained(ember.tensor(W))
    assert not e.weight.requires_grad and e.num_embeddings == 10 and e.embedding_dim == 4
    np.testing.assert_array_equal(e(ember.tensor([3])).numpy()[0], W[3])
    e2 = nn.Embedding.from_pretrained(ember.tensor(W), freeze=False, padding_idx=0)
    assert e2.weight.requires_grad and e2.padding_idx == 0
    e3 = nn.Embedding(10, 4, _weight=ember.tensor(W))
    np.testing.assert_array_equal(e3.weight.detach().numpy(), W)


def test_embedding_bad_inputs():
    with pytest.raises(AssertionError):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(RuntimeError):
        F.embedding(ember.tensor([0.5]), ember.ones(3, 2))
    assert_raises_in_child("ember.nn.functional.embedding(ember.tensor([0, 12]), ember.ones(10, 3))",
                           "IndexError", "embedding", "12")
    assert_raises_in_child("ember.nn.Embedding(4, 2)(ember.tensor([-1]))", "IndexError", "embedding")


@needs_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", ["2d", "offsets", "offsets_last", "padding"])
def test_embedding_bag_matches_torch(mode, case):
    idx1 = np.array([1, 2, 4, 5, 4, 3, 2, 9], np.int64)
    kw = {"mode": mode}
    if case == "2d":
        ei, ti = ember.tensor(IDX), torch.tensor(IDX)
    else:
        ei, ti = ember.tensor(idx1), torch.tensor(idx1)
        offs = np.array([0, 3, 3, 6] + ([8] if case == "offsets_last" else []), np.int64)  # bag 1 empty
        kw["offsets"] = offs
        if case == "offsets_last":
            kw["include_last_offset"] = True
        if case == "padding":
            kw["padding_idx"] = 2
    ew = ember.tensor(W.copy(), requires_grad=True)
    tw = torch.tensor(W.copy(), requires_grad=True)
    ekw = dict(kw, offsets=ember.tensor(kw["offsets"])) if "offsets" in kw else kw
    tkw = dict(kw, offsets=torch.tensor(kw["offsets"])) if "offsets" in kw else kw
    eo = F.embedding_bag(ei, ew, **ekw)
    to = torch.nn.functional.embedding_bag(ti, tw, **tkw)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(2).standard_normal(tuple(to.shape)).astype(np.float32)
    (eo * ember.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
def test_embedding_bag_module_per_sample_weights_and_repr():
    eb = nn.EmbeddingBag.from_pretrained(ember.tensor(W), mode="sum", freeze=False)
    tb = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(W), mode="sum", freeze=False)
    idx, offs = np.array([1, 2, 4, 5]), np.array([0, 2])
    psw = np.array([0.5, 2.0, -1.0, 3.0], np.float32)
    eo = eb(ember.tensor(idx), ember.tensor(offs), per_sample_weights=ember.tensor(psw))
    to = tb(torch.tensor(idx), torch.tensor(offs), per_sample_weights=torch.tensor(psw))
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert repr(nn.EmbeddingBag(5, 3, mode="max", padding_idx=1)) == repr(
        torch.nn.EmbeddingBag(5, 3, mode="max", padding_idx=1))
    assert repr(eb) == repr(tb)


@needs_torch
def test_embedding_bag_per_sample_weights_grad_matches_torch():
    idx, offs = np.array([1, 2, 4, 5, 2]), np.array([0, 2, 2])
    psw = np.array([0.5, 2.0, -1.0, 3.0, 1.5], np.float32)
    ew, tw = ember.tensor(W.copy(), requires_grad=True), torch.tensor(W.copy(), requires_grad=True)
    ep, tp = ember.tensor(psw, requires_grad=True), torch.tensor(psw, requires_grad=True)
    eo = F.embedding_bag(ember.tensor(idx), ew, ember.tensor(offs), mode="sum", per_sample_weights=ep, padding_idx=4)
    to = torch.nn.functional.embedding_bag(torch.tensor(idx), tw, torch.tensor(offs), mode="sum",
                                           per_sample_weights=tp, padding_idx=4)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(3).standard_normal(tuple(to.shape)).astype(np.float32)
    (eo * ember.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradcheck_float64(mode):
    w = ember.randn(6, 3, dtype=ember.float64, requires_grad=True)
    idx, offs = ember.tensor([0, 2, 5, 2, 1]), ember.tensor([0, 3, 3])
    assert ember.autograd.gradcheck(lambda w: F.embedding_bag(idx, w, offs, mode=mode), (w,))
    p = ember.randn(5, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda w, p: F.embedding_bag(idx, w, offs, mode="sum", per_sample_weights=p), (w, p))


def test_embedding_bag_bad_inputs():
    assert_raises_in_child("ember.nn.functional.embedding_bag(ember.tensor([0, 7]), ember.ones(5, 2), "
                           "ember.tensor([0]))", "RuntimeError", "embedding_bag", "7")
    assert_raises_in_child("ember.nn.functional.embedding_bag(ember.tensor([0, 1]), ember.ones(5, 2), "
                           "ember.tensor([0, 3]))", "RuntimeError", "embedding_bag", "offsets")
    assert_raises_in_child("ember.nn.functional.embedding_bag(ember.tensor([0, 1]), ember.ones(5, 2), "
                           "ember.tensor([1]))", "RuntimeError", "offsets[0]")
    assert_raises_in_child("ember.nn.functional.embedding_bag(ember.tensor([0, 1]), ember.ones(5, 2), "
                           "ember.tensor([0]), mode='max', per_sample_weights=ember.ones(2))", "ValueError",
                           "per_sample_weights")
