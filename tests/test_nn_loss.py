"""Losses (ember.nn.functional, ember.nn loss layers): values and gradients vs
PyTorch for every loss and option, float64 gradcheck of the fused cross_entropy /
nll_loss kernels, a composed log_softmax + gather oracle, and bad input."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import assert_raises_in_child, compare_with_torch

rng = np.random.default_rng(0)
RED = ["none", "mean", "sum"]


def labels(shape, c, ignore=None, frac=0.3):
    t = rng.integers(0, c, size=shape).astype(np.int64)
    if ignore is not None:
        t[rng.random(shape) < frac] = ignore
    return t


def composed_ce(x, t, weight=None, ignore_index=-100, reduction="mean"):
    """Oracle: log_softmax + gather, class dim 1."""
    logp = F.log_softmax(x, 1)
    keep = t != ignore_index
    safe = ember.where(keep, t, 0)
    lp = logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = ember.ones(lp.shape, dtype=x.dtype) if weight is None else weight.gather(0, safe.reshape(-1)).reshape(
        safe.shape)
    w = ember.where(keep, w, 0.0)
    loss = -lp * w
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / w.sum()


# ---------------------------------------------------------------- cross_entropy / nll_loss
@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("ignore", [None, 2])
@pytest.mark.parametrize("ls", [0.0, 0.15])
def test_cross_entropy_vs_torch(reduction, use_weight, ignore, ls):
    c = 6
    t = labels((8,), c, ignore)
    w = rng.random(c).astype(np.float32) + 0.5
    kw = dict(reduction=reduction, label_smoothing=ls, ignore_index=ignore if ignore is not None else -100)

    def fn(lib, x):
        return lib.nn.functional.cross_entropy(x, lib.tensor(t), weight=lib.tensor(w) if use_weight else None, **kw)

    compare_with_torch(fn, (8, c), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shape", [(2, 5, 3, 4), (3, 4, 7), (2, 3, 1, 1)])
@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_spatial_vs_torch(shape, reduction, ls):
    t = labels((shape[0],) + shape[2:], shape[1], ignore=-100)
    w = rng.random(shape[1]).astype(np.float32) + 0.5
    compare_with_torch(lambda lib, x: lib.nn.functional.cross_entropy(
        x, lib.tensor(t), weight=lib.tensor(w), reduction=reduction, label_smoothing=ls), shape)


def test_cross_entropy_unbatched_and_probabilities():
    compare_with_torch(lambda lib, x: lib.nn.functional.cross_entropy(x, lib.tensor(3)), (7,))
    p = rng.random((5, 4)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    w = rng.random(4).astype(np.float32) + 0.5
    for red in RED:
        compare_with_torch(lambda lib, x, pt: lib.nn.functional.cross_entropy(
            x, pt, weight=lib.tensor(w), reduction=red, label_smoothing=0.1), (5, 4), p)
    p4 = rng.random((2, 3, 4, 4)).astype(np.float32)
    compare_with_torch(lambda lib, x, pt: lib.nn.functional.cross_entropy(x, pt), (2, 3, 4, 4), p4)


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3)])
def test_nll_loss_vs_torch(reduction, shape):
    t = labels((shape[0],) + shape[2:], shape[1], ignore=1)
    w = rng.random(shape[1]).astype(np.float32) + 0.5
    compare_with_torch(lambda lib, x: lib.nn.functional.nll_loss(
        lib.nn.functional.log_softmax(x, 1), lib.tensor(t), weight=lib.tensor(w), ignore_index=1,
        reduction=reduction), shape)


@pytest.mark.parametrize("reduction", RED)
def test_cross_entropy_vs_composed_oracle(reduction):
    x0 = rng.standard_normal((9, 13)).astype(np.float32) * 4
    t = ember.tensor(labels((9,), 13, ignore=-100))
    w = ember.tensor(rng.random(13).astype(np.float32) + 0.1)
    xa, xb = ember.tensor(x0, requires_grad=True), ember.tensor(x0, requires_grad=True)
    a = F.cross_entropy(xa, t, weight=w, reduction=reduction)
    b = composed_ce(xb, t, w, reduction=reduction)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xb.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_cross_entropy_gradcheck_float64():
    for shape in [(4, 5), (2, 3, 2, 2)]:
        t = ember.tensor(labels((shape[0],) + shape[2:], shape[1], ignore=0, frac=0.2))
        w = ember.tensor(rng.random(shape[1]) + 0.5)
        for red in RED:
            for ls in (0.0, 0.3):
                x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
                assert ember.autograd.gradcheck(
                    lambda v: F.cross_entropy(v, t, weight=w, ignore_index=0, reduction=red, label_smoothing=ls), (x,))
            x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
            assert ember.autograd.gradcheck(lambda v: F.nll_loss(v, t, weight=w, ignore_index=0, reduction=red), (x,))


def test_cross_entropy_dtypes_and_edge_cases():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((5, 4))
    l = F.cross_entropy(ember.tensor(x), ember.tensor(np.array([0, 1, 2, 3, 0])))
    assert l.dtype == ember.float64
    l32 = F.cross_entropy(ember.tensor(x.astype(np.float32)), ember.tensor(np.array([0, 1, 2, 3, 0], np.int32)))
    assert l32.dtype == ember.float32
    # every target ignored: mean is NaN like PyTorch, sum is 0
    t = np.full(5, -100)
    assert np.isnan(F.cross_entropy(ember.tensor(x), ember.tensor(t)).item())
    assert np.isnan(torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t)).item())
    assert F.cross_entropy(ember.tensor(x), ember.tensor(t), reduction="sum").item() == 0.0
    # large logits stay finite
    big = np.array([[1e4, 0.0, -1e4]], np.float32)
    e = F.cross_entropy(ember.tensor(big), ember.tensor(np.array([1]))).item()
    r = torch.nn.functional.cross_entropy(torch.tensor(big), torch.tensor([1])).item()
    assert e == pytest.approx(r)
    # non-contiguous logits
    xt = rng.standard_normal((4, 6)).astype(np.float32)
    tt = labels((6,), 4)
    e = F.cross_entropy(ember.tensor(xt).t(), ember.tensor(tt)).item()
    r = torch.nn.functional.cross_entropy(torch.tensor(xt).t(), torch.tensor(tt)).item()
    assert e == pytest.approx(r, rel=1e-5)


def test_cross_entropy_bad_input():
    pre = "import ember.nn.functional as F\n"
    assert_raises_in_child(pre + "F.cross_entropy(ember.randn(4, 10), ember.tensor([1, 12, 3, 4]))",
                           "IndexError", "[cross_entropy] target 12 is out of bounds for 10 classes")
    assert_raises_in_child(pre + "F.cross_entropy(ember.randn(4, 10), ember.tensor([1, -3, 3, 4]))",
                           "IndexError", "[cross_entropy] target -3 is out of bounds")
    assert_raises_in_child(pre + "F.nll_loss(ember.randn(2, 3), ember.tensor([0, 3]))", "IndexError",
                           "[nll_loss] target 3 is out of bounds for 3 classes")
    assert_raises_in_child(pre + "F.cross_entropy(ember.randn(4, 10), ember.tensor([1, 2, 3]))", "ValueError",
                           "[cross_entropy] expected target of shape (4,)")
    assert_raises_in_child(pre + "F.cross_entropy(ember.randn(2, 3, 4), ember.tensor([1, 2]))", "ValueError",
                           "[cross_entropy]")
    assert_raises_in_child(pre + "F.cross_entropy(ember.randn(4, 3), ember.tensor([0, 1, 2, 0]), weight=ember.ones(5))",
                           "ValueError", "[cross_entropy] expected weight")
    assert_raises_in_child(pre + "F.cross_entropy(ember.randn(4, 3), ember.tensor([0, 1, 2, 0]), reduction='avg')",
                           "ValueError", "[cross_entropy]")
    assert_raises_in_child(pre + "F.cross_entropy(ember.tensor([[1, 2]]), ember.tensor([0]))", "TypeError",
                           "[cross_entropy]")
    assert_raises_in_child(pre + "F.cross_entropy(ember.randn(4, 3), ember.tensor([0, 1, 2, 0]), label_smoothing=2.0)",
                           "ValueError", "[cross_entropy]")
    assert_raises_in_child(pre + "F.cross_entropy(ember.randn(4, 3), ember.randn(4, 2))", "ValueError",
                           "[cross_entropy]")
    assert_raises_in_child(pre + "F.nll_loss(ember.randn(4, 3), ember.randn(4))", "TypeError", "[nll_loss]")


# ---------------------------------------------------------------- the other losses vs torch
def _bin_target(shape):
    return (rng.random(shape) > 0.5).astype(np.float32)


def _pm1(shape):
    return np.where(rng.random(shape) > 0.5, 1.0, -1.0).astype(np.float32)


prob = (rng.random((4, 5)).astype(np.float32) * 0.9 + 0.05)
pos = (rng.random((4, 5)).astype(np.float32) * 3)

LOSSES = [
    ("mse", lambda F, x, t, r: F.mse_loss(x, t, reduction=r), [(4, 5), (4, 5)]),
    ("l1", lambda F, x, t, r: F.l1_loss(x, t, reduction=r), [(4, 5), (4, 5)]),
    ("huber", lambda F, x, t, r: F.huber_loss(x, t, reduction=r, delta=0.7), [(4, 5), (4, 5)]),
    ("smooth_l1", lambda F, x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.5), [(4, 5), (4, 5)]),
    ("smooth_l1_b0", lambda F, x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.0), [(4, 5), (4, 5)]),
    ("bce", lambda F, x, t, r: F.binary_cross_entropy(x, t, reduction=r), [prob, _bin_target((4, 5))]),
    ("bce_soft", lambda F, x, t, r: F.binary_cross_entropy(x, t, reduction=r), [prob, prob[::-1].copy()]),
    ("bce_logits", lambda F, x, t, r: F.binary_cross_entropy_with_logits(x * 5, t, reduction=r),
     [(4, 5), _bin_target((4, 5))]),
    ("kl_div", lambda F, x, t, r: F.kl_div(x, t, reduction=r), [(4, 5), prob]),
    ("kl_div_log", lambda F, x, t, r: F.kl_div(x, t, reduction=r, log_target=True), [(4, 5), (4, 5)]),
    ("poisson", lambda F, x, t, r: F.poisson_nll_loss(x, t, reduction=r), [(4, 5), pos]),
    ("poisson_full", lambda F, x, t, r: F.poisson_nll_loss(x, t, log_input=False, full=True, reduction=r),
     [prob, pos]),
    ("soft_margin", lambda F, x, t, r: F.soft_margin_loss(x * 5, t.detach(), reduction=r), [(4, 5), _pm1((4, 5))]),
    ("multilabel_sm", lambda F, x, t, r: F.multilabel_soft_margin_loss(x, t, reduction=r),
     [(4, 5), _bin_target((4, 5))]),
    ("hinge_emb", lambda F, x, t, r: F.hinge_embedding_loss(x, t, margin=0.5, reduction=r),
     [(4, 5), _pm1((4, 5))]),
]


@pytest.mark.parametrize("name,fn,inputs", LOSSES, ids=[l[0] for l in LOSSES])
@pytest.mark.parametrize("reduction", RED)
def test_loss_vs_torch(name, fn, inputs, reduction):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare_with_torch(lambda lib, x, t: fn(lib.nn.functional, x, t, reduction), *inputs, atol=1e-5, rtol=1e-4)


def test_kl_div_batchmean_and_weighted_bce():
    compare_with_torch(lambda lib, x, t: lib.nn.functional.kl_div(x, t, reduction="batchmean"), (4, 5), prob)
    w = rng.random((4, 5)).astype(np.float32)
    compare_with_torch(lambda lib, x, t: lib.nn.functional.binary_cross_entropy(x, t, weight=lib.tensor(w)), prob,
                       _bin_target((4, 5)))
    pw = rng.random(5).astype(np.float32) * 3
    compare_with_torch(lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x, t, weight=lib.tensor(w), pos_weight=lib.tensor(pw)), (4, 5), _bin_target((4, 5)))
    compare_with_torch(lambda lib, x, t, wt: lib.nn.functional.multilabel_soft_margin_loss(x, t, weight=wt),
                       (4, 5), _bin_target((4, 5)), w[0])


@pytest.mark.parametrize("reduction", RED)
def test_gaussian_nll_vs_torch(reduction):
    var = rng.random((4, 5)).astype(np.float32) + 0.1
    compare_with_torch(lambda lib, x, t, v: lib.nn.functional.gaussian_nll_loss(x, t, v, reduction=reduction),
                       (4, 5), (4, 5), var)
    compare_with_torch(lambda lib, x, t, v: lib.nn.functional.gaussian_nll_loss(x, t, v, full=True,
                                                                                reduction=reduction),
                       (4, 5), (4, 5), var[:, :1].copy())
    compare_with_torch(lambda lib, x, t, v: lib.nn.functional.gaussian_nll_loss(x, t, v, reduction=reduction),
                       (4, 5), (4, 5), var[:, 0].copy())


@pytest.mark.parametrize("reduction", RED)
def test_pair_losses_vs_torch(reduction):
    y = _pm1((6,))
    compare_with_torch(lambda lib, a, b, t: lib.nn.functional.cosine_embedding_loss(a, b, t, margin=0.2,
                                                                                   reduction=reduction),
                       (6, 4), (6, 4), y)
    compare_with_torch(lambda lib, a, b, t: lib.nn.functional.margin_ranking_loss(a, b, t, margin=0.1,
                                                                                 reduction=reduction),
                       (6,), (6,), y)
    for swap in (False, True):
        for p in (1, 2):
            compare_with_torch(lambda lib, a, b, c: lib.nn.functional.triplet_margin_loss(
                a, b, c, margin=0.5, p=p, swap=swap, reduction=reduction), (6, 4), (6, 4), (6, 4), atol=1e-5,
                rtol=1e-4)


def sigmoid_focal_np(x, t, alpha=0.25, gamma=2.0):
    p = 1 / (1 + np.exp(-x))
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    return (alpha * t + (1 - alpha) * (1 - t)) * loss


def test_sigmoid_focal_loss():
    x = rng.standard_normal((4, 5)) * 3
    t = _bin_target((4, 5)).astype(np.float64)
    ref = sigmoid_focal_np(x, t)
    e = F.sigmoid_focal_loss(ember.tensor(x), ember.tensor(t))
    np.testing.assert_allclose(e.numpy(), ref, rtol=1e-10)
    np.testing.assert_allclose(F.sigmoid_focal_loss(ember.tensor(x), ember.tensor(t), reduction="mean").item(),
                               ref.mean(), rtol=1e-10)
    xg = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradcheck(lambda v: F.sigmoid_focal_loss(v, ember.tensor(t), alpha=0.3, gamma=1.5), (xg,))


def test_focal_loss():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((6, 4))
    t = np.array([0, 1, 2, 3, -100, 1])
    # gamma=0 and no alpha is cross_entropy
    e = F.focal_loss(ember.tensor(x), ember.tensor(t), gamma=0.0).item()
    r = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t)).item()
    assert e == pytest.approx(r, rel=1e-10)
    alpha = rng.random(4) + 0.5
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    keep = t != -100
    lp = logp[np.arange(6), np.where(keep, t, 0)]
    ref = np.where(keep, -alpha[np.where(keep, t, 0)] * (1 - np.exp(lp)) ** 2 * lp, 0.0)
    e = F.focal_loss(ember.tensor(x), ember.tensor(t), alpha=ember.tensor(alpha), reduction="none").numpy()
    np.testing.assert_allclose(e, ref, rtol=1e-10)
    m = nn.FocalLoss(gamma=2.0, alpha=ember.tensor(alpha))
    assert m(ember.tensor(x), ember.tensor(t)).item() == pytest.approx(ref.sum() / keep.sum(), rel=1e-10)
    xg = ember.tensor(x, requires_grad=True)
    assert ember.autograd.gradcheck(lambda v: F.focal_loss(v, ember.tensor(t), alpha=0.5), (xg,))
    assert_raises_in_child("import ember.nn.functional as F\nF.focal_loss(ember.randn(2, 3), ember.tensor([0, 5]))",
                           "IndexError", "[focal_loss] target 5 is out of bounds for 3 classes")


@pytest.mark.parametrize("name,fn,inputs", LOSSES[:8], ids=[l[0] for l in LOSSES[:8]])
def test_loss_gradcheck(name, fn, inputs):
    arrs = [rng.standard_normal(i) if isinstance(i, tuple) else i.astype(np.float64) for i in inputs]
    x = ember.tensor(arrs[0], requires_grad=True)
    t = ember.tensor(arrs[1])
    assert ember.autograd.gradcheck(lambda v: fn(F, v, t, "mean"), (x,))


# ---------------------------------------------------------------- modules
def test_loss_modules_match_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((6, 4)).astype(np.float32)
    t = labels((6,), 4)
    w = rng.random(4).astype(np.float32) + 0.5
    pairs = [
        (nn.CrossEntropyLoss(weight=ember.tensor(w), label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1), t),
        (nn.NLLLoss(reduction="sum"), torch.nn.NLLLoss(reduction="sum"), t),
        (nn.MSELoss(), torch.nn.MSELoss(), x[::-1].copy()),
        (nn.L1Loss(reduction="none"), torch.nn.L1Loss(reduction="none"), x[::-1].copy()),
        (nn.HuberLoss(delta=0.5), torch.nn.HuberLoss(delta=0.5), x[::-1].copy()),
        (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), x[::-1].copy()),
        (nn.BCEWithLogitsLoss(pos_weight=ember.tensor(w)), torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w)),
         _bin_target((6, 4))),
        (nn.KLDivLoss(reduction="batchmean", log_target=True),
         torch.nn.KLDivLoss(reduction="batchmean", log_target=True), x[::-1].copy()),
        (nn.SoftMarginLoss(), torch.nn.SoftMarginLoss(), _pm1((6, 4))),
        (nn.MultiLabelSoftMarginLoss(), torch.nn.MultiLabelSoftMarginLoss(), _bin_target((6, 4))),
        (nn.HingeEmbeddingLoss(), torch.nn.HingeEmbeddingLoss(), _pm1((6, 4))),
        (nn.PoissonNLLLoss(), torch.nn.PoissonNLLLoss(), np.abs(x)),
    ]
    for em, tm, tgt in pairs:
        e = em(ember.tensor(x), ember.tensor(tgt)).numpy()
        r = tm(torch.tensor(x), torch.tensor(tgt)).numpy()
        np.testing.assert_allclose(e, r, rtol=1e-5, atol=1e-6, err_msg=type(em).__name__)
        assert repr(em) == repr(tm), (repr(em), repr(tm))
    sd = nn.CrossEntropyLoss(weight=ember.tensor(w)).state_dict()
    assert list(sd) == list(torch.nn.CrossEntropyLoss(weight=torch.tensor(w)).state_dict())
    probs = np.abs(x) / np.abs(x).sum()
    e = nn.BCELoss()(ember.tensor(probs), ember.tensor(_bin_target((6, 4))))
    assert np.isfinite(e.item())
    a, b, c = (rng.standard_normal((5, 3)).astype(np.float32) for _ in range(3))
    y = _pm1((5,))
    for em, tm in [(nn.CosineEmbeddingLoss(0.1), torch.nn.CosineEmbeddingLoss(0.1))]:
        np.testing.assert_allclose(em(ember.tensor(a), ember.tensor(b), ember.tensor(y)).item(),
                                   tm(torch.tensor(a), torch.tensor(b), torch.tensor(y)).item(), rtol=1e-5)
    np.testing.assert_allclose(nn.MarginRankingLoss(0.2)(ember.tensor(a[:, 0]), ember.tensor(b[:, 0]),
                                                         ember.tensor(y)).item(),
                               torch.nn.MarginRankingLoss(0.2)(torch.tensor(a[:, 0]), torch.tensor(b[:, 0]),
                                                               torch.tensor(y)).item(), rtol=1e-5)
    np.testing.assert_allclose(nn.TripletMarginLoss(swap=True)(*map(ember.tensor, (a, b, c))).item(),
                               torch.nn.TripletMarginLoss(swap=True)(*map(torch.tensor, (a, b, c))).item(), rtol=1e-5)
    var = np.abs(c) + 0.1
    np.testing.assert_allclose(nn.GaussianNLLLoss()(*map(ember.tensor, (a, b, var))).item(),
                               torch.nn.GaussianNLLLoss()(*map(torch.tensor, (a, b, var))).item(), rtol=1e-5)


def test_loss_bad_input():
    pre = "import ember.nn.functional as F\n"
    assert_raises_in_child(pre + "F.mse_loss(ember.randn(3, 4), ember.randn(5))", "ValueError", "[mse_loss]")
    assert_raises_in_child(pre + "F.l1_loss(ember.randn(3), ember.randn(3), reduction='x')", "ValueError",
                           "[l1_loss]")
    assert_raises_in_child(pre + "F.binary_cross_entropy(ember.rand(3), ember.rand(4))", "ValueError",
                           "[binary_cross_entropy]")
    assert_raises_in_child(pre + "F.binary_cross_entropy(ember.randn(3) + 5, ember.rand(3))", "RuntimeError",
                           "[binary_cross_entropy]")
    assert_raises_in_child(pre + "F.binary_cross_entropy_with_logits(ember.randn(3), ember.rand(2, 3))",
                           "ValueError", "[binary_cross_entropy_with_logits]")
    assert_raises_in_child(pre + "F.gaussian_nll_loss(ember.randn(3, 4), ember.randn(3, 4), ember.rand(2))",
                           "ValueError", "[gaussian_nll_loss]")
    assert_raises_in_child(pre + "F.gaussian_nll_loss(ember.randn(3), ember.randn(3), -ember.rand(3))",
                           "ValueError", "[gaussian_nll_loss] var has negative")
    assert_raises_in_child(pre + "F.triplet_margin_loss(ember.randn(3, 4), ember.randn(3, 4), ember.randn(3))",
                           "ValueError", "[triplet_margin_loss]")
    assert_raises_in_child(pre + "F.cosine_embedding_loss(ember.randn(3, 4), ember.randn(3, 5), ember.ones(3))",
                           "ValueError", "[cosine_embedding_loss]")
    assert_raises_in_child(pre + "F.margin_ranking_loss(ember.randn(3), ember.randn(3), ember.ones(3, 1))",
                           "ValueError", "[margin_ranking_loss]")
