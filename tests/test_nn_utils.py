import math

import numpy as np
import pytest

import ember
import ember.nn.utils as U
from helpers import needs_torch, torch


def _pair(shapes, grad_scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    gs = [rng.standard_normal(s).astype(np.float32) * grad_scale for s in shapes]
    ep = [ember.nn.Parameter(ember.tensor(w)) for w in ws]
    tp = [torch.nn.Parameter(torch.tensor(w)) for w in ws]
    for p, g in zip(ep, gs):
        p.grad = ember.tensor(g)
    for p, g in zip(tp, gs):
        p.grad = torch.tensor(g)
    return ep, tp


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ep, tp = _pair([(3, 4), (5,), (2, 2, 2)])
    nt = float(norm_type)
    a = U.clip_grad_norm_(ep, max_norm, norm_type=nt)
    b = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=nt)
    assert isinstance(a, ember.Tensor) and a.shape == ()
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-5)
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
def test_clip_grad_norm_single_tensor_and_missing_grads():
    ep, tp = _pair([(4, 4)], grad_scale=10.0)
    np.testing.assert_allclose(U.clip_grad_norm_(ep[0], 1.0).item(),
                               torch.nn.utils.clip_grad_norm_(tp[0], 1.0).item(), rtol=1e-5)
    np.testing.assert_allclose(ep[0].grad.numpy(), tp[0].grad.numpy(), rtol=1e-5, atol=1e-6)
    p = ember.nn.Parameter(ember.ones(3))
    assert U.clip_grad_norm_([p], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    p = ember.nn.Parameter(ember.ones(3))
    p.grad = ember.tensor([1.0, float("inf"), 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        U.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(U.clip_grad_norm_([p], 1.0).item())


@needs_torch
def test_clip_grad_value():
    ep, tp = _pair([(3, 4), (6,)])
    assert U.clip_grad_value_(ep, 0.3) is None
    torch.nn.utils.clip_grad_value_(tp, 0.3)
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy())
        assert np.abs(e.grad.numpy()).max() <= 0.3 + 1e-7


@needs_torch
def test_parameters_to_vector_roundtrip():
    ep, tp = _pair([(3, 4), (5,)])
    v = U.parameters_to_vector(ep)
    np.testing.assert_array_equal(v.detach().numpy(), torch.nn.utils.parameters_to_vector(tp).detach().numpy())
    assert v.shape == (17,)
    U.vector_to_parameters(ember.arange(17, dtype=ember.float32), ep)
    np.testing.assert_array_equal(ep[0].detach().numpy(), np.arange(12, dtype=np.float32).reshape(3, 4))
    np.testing.assert_array_equal(ep[1].detach().numpy(), np.arange(12, 17, dtype=np.float32))
    assert ep[0].requires_grad
    with pytest.raises(TypeError):
        U.vector_to_parameters([1.0], ep)


def test_penalty_value_and_grad():
    w = np.array([[1.0, -2.0], [3.0, -0.5]], np.float32)
    b = np.array([0.25, -1.0], np.float32)
    ew, eb = ember.tensor(w, requires_grad=True), ember.tensor(b, requires_grad=True)
    pen = U.penalty([ew, eb], l1=0.1, l2=0.01)
    expect = 0.1 * (np.abs(w).sum() + np.abs(b).sum()) + 0.01 * ((w ** 2).sum() + (b ** 2).sum())
    assert pen.shape == ()
    np.testing.assert_allclose(pen.item(), expect, rtol=1e-6)
    pen.backward()
    np.testing.assert_allclose(ew.grad.numpy(), 0.1 * np.sign(w) + 0.02 * w, rtol=1e-6)
    np.testing.assert_allclose(eb.grad.numpy(), 0.1 * np.sign(b) + 0.02 * b, rtol=1e-6)
    assert U.penalty([ew]).item() == 0.0
    m = ember.nn.Linear(3, 2)
    np.testing.assert_allclose(U.penalty(m.parameters(), l2=1.0).item(),
                               sum(float((p.detach().numpy() ** 2).sum()) for p in m.parameters()), rtol=1e-5)


def test_nn_utils_importable():
    import ember.nn
    assert ember.nn.utils.clip_grad_norm_ is U.clip_grad_norm_
