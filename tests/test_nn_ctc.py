"""ctc_loss / CTCLoss against PyTorch, finite differences and bad input."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from helpers import assert_raises_in_child

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _case(seed, T=12, N=3, C=5, S=4, repeats=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, N, C))
    tg = rng.integers(1, C, (N, S))
    if repeats:
        tg[:, 1] = tg[:, 0]  # a repeated label needs a blank between the two
    il = rng.integers(S * 2 + 1, T + 1, N)
    tl = rng.integers(1, S + 1, N)
    return x, tg, il, tl


def _run(lib, x, tg, il, tl, dtype, concat=False, **kw):
    t = lib.tensor(x.astype(dtype), requires_grad=True)
    targets = lib.tensor(np.concatenate([tg[i, :tl[i]] for i in range(len(tl))]) if concat else tg)
    loss = lib.nn.functional.ctc_loss(t.log_softmax(2), targets, lib.tensor(il), lib.tensor(tl), **kw)
    g = np.random.default_rng(9).standard_normal(tuple(loss.shape)).astype(dtype)
    (loss * lib.tensor(g)).sum().backward()
    return loss.detach().numpy(), t.grad.numpy()


@needs_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("concat", [False, True])
@pytest.mark.parametrize("repeats", [False, True])
def test_ctc_matches_torch(reduction, concat, repeats):
    x, tg, il, tl = _case(0, repeats=repeats)
    e = _run(ember, x, tg, il, tl, np.float32, concat, reduction=reduction)
    t = _run(torch, x, tg, il, tl, np.float32, concat, reduction=reduction)
    np.testing.assert_allclose(e[0], t[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(e[1], t[1], rtol=1e-4, atol=1e-5)


@needs_torch
def test_ctc_zero_infinity_and_blank_matches_torch():
    x, tg, _, _ = _case(1, T=9, N=2, C=6, S=4)
    x = x[:5]
    il, tl = np.array([5, 2]), np.array([2, 3])  # sample 1 cannot be aligned: infinite loss
    tg = np.where(tg == 3, 4, tg)
    for zi in (False, True):
        e = _run(ember, x, tg, il, tl, np.float64, zero_infinity=zi, blank=3, reduction="none")
        t = _run(torch, x, tg, il, tl, np.float64, zero_infinity=zi, blank=3, reduction="none")
        np.testing.assert_allclose(e[0], t[0], rtol=1e-10)
        if zi:
            np.testing.assert_allclose(e[1], t[1], rtol=1e-8, atol=1e-12)


@needs_torch
def test_ctc_unbatched_and_module():
    x, tg, il, tl = _case(2, N=1)
    e = ember.nn.CTCLoss()(ember.tensor(x[:, 0]).log_softmax(1), ember.tensor(tg[0, :tl[0]]), ember.tensor(il[0]),
                           ember.tensor(tl[0]))
    t = torch.nn.CTCLoss()(torch.tensor(x[:, 0]).log_softmax(1), torch.tensor(tg[0, :tl[0]]), torch.tensor(il[0]),
                           torch.tensor(tl[0]))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-10)


def test_ctc_gradcheck_through_log_softmax():
    x, tg, il, tl = _case(3, T=6, N=2, C=4, S=2)
    xt = ember.tensor(x, requires_grad=True)
    f = lambda x: F.ctc_loss(x.log_softmax(2), ember.tensor(tg), ember.tensor(il), ember.tensor(tl),  # noqa: E731
                             reduction="none")
    assert ember.autograd.gradcheck(f, (xt,))


def test_ctc_single_path_value():
    # T=1, target [c]: the only path emits c once, so the loss is -log p(c)
    lp = ember.tensor(np.log(np.array([[[0.2, 0.5, 0.3]]])))
    loss = F.ctc_loss(lp, ember.tensor([[1]]), [1], [1], reduction="sum")
    np.testing.assert_allclose(loss.item(), -np.log(0.5), rtol=1e-12)


def test_ctc_bad_inputs():
    base = "lp = ember.randn(5, 2, 4).log_softmax(2)\n"
    assert_raises_in_child(base + "ember.nn.functional.ctc_loss(lp, ember.tensor([[1, 7], [1, 2]]), [5, 5], [2, 2])",
                           "ValueError", "[ctc_loss]", "7")
    assert_raises_in_child(base + "ember.nn.functional.ctc_loss(lp, ember.tensor([[0, 1], [1, 2]]), [5, 5], [2, 2])",
                           "ValueError", "[ctc_loss]", "blank")
    assert_raises_in_child(base + "ember.nn.functional.ctc_loss(lp, ember.tensor([[1, 2], [1, 2]]), [6, 5], [2, 2])",
                           "ValueError", "[ctc_loss]", "input_lengths")
    assert_raises_in_child(base + "ember.nn.functional.ctc_loss(lp, ember.tensor([[1, 2], [1, 2]]), [5, 5], [3, 2])",
                           "ValueError", "[ctc_loss]", "target_lengths")
    assert_raises_in_child(base + "ember.nn.functional.ctc_loss(lp, ember.tensor([[1, 2], [1, 2]]), [5], [2, 2])",
                           "RuntimeError", "[ctc_loss]", "input_lengths")
    assert_raises_in_child(base + "ember.nn.functional.ctc_loss(lp, ember.tensor([1, 2, 3]), [5, 5], [2, 2])",
                           "ValueError", "[ctc_loss]", "sum to 4")
