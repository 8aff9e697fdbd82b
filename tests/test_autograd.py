"""The autograd engine: accumulation, graph freeing, hooks, grad modes, custom
Functions, autograd.grad, double backward, version counters, and training XOR."""
import numpy as np
import pytest

import ember
from ember.autograd import Function, gradcheck
from helpers import compare_with_torch, needs_torch


def test_accumulates_into_leaves():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5, 7, 9])


def test_shared_input_gradients_are_not_aliased():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(5.0)
    np.testing.assert_allclose(b.grad.numpy(), [1, 1, 1])


def test_second_backward_raises_unless_retained():
    x = ember.tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_needs_grad_or_scalar():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2.0).backward()
    (x * 2.0).backward(ember.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 20])


def test_no_grad_and_set_grad_enabled():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        y = x * 2.0
    assert not y.requires_grad and y.grad_fn is None

    @ember.no_grad()
    def f(t):
        return t * 2.0

    assert not f(x).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert ember.is_grad_enabled()
    with ember.no_grad():
        with ember.enable_grad():
            assert (x * 2.0).requires_grad


def test_detach_and_grad_fn_names():
    x = ember.ones(2, requires_grad=True)
    y = x * 2.0
    assert y.grad_fn is not None and "Backward" in y.grad_fn.name()
    assert not y.detach().requires_grad
    assert y.detach()._a.same_storage(y._a)


def test_hooks_and_retain_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 3.0
    y.retain_grad()
    y.register_hook(lambda g: g * 2.0)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [6, 6])
    np.testing.assert_allclose(x.grad.numpy(), [6, 6])
    np.testing.assert_allclose(y.grad.numpy(), [2, 2])


def test_custom_function():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3.0 * x * x

    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 12])
    assert gradcheck(Cube.apply, (ember.tensor([0.5, -1.5], dtype=ember.float64, requires_grad=True),))


def test_autograd_grad_and_double_backward():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = (x * x * x).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3, 12])
    assert x.grad is None
    (gg,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [6, 12])


def test_unused_input_needs_allow_unused():
    x = ember.ones(2, requires_grad=True)
    z = ember.ones(2, requires_grad=True)
    y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="not have been used"):
        ember.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = ember.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None


def test_inplace_change_of_saved_tensor_raises():
    x = ember.ones(3, requires_grad=True)
    y = x * 2.0
    z = y * y  # saves y
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.add_(1.0)


def test_inplace_on_non_leaf_keeps_gradients_right():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y.mul_(3.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6, 6])


def test_broadcast_gradients_are_reduced():
    a = ember.ones(3, 1, requires_grad=True)
    b = ember.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_gradcheck_matmul_and_broadcast():
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    b = ember.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    assert gradcheck(lambda x, y: x @ y, (a, b))
    v = ember.tensor(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, y: x @ y, (a, v))
    assert gradcheck(lambda x, y: y @ x, (b, v))


@needs_torch
def test_views_broadcasting_indexing_match_torch():
    compare_with_torch(lambda x, y: (x.t() * y).sum(0), (4, 3), (4,))
    compare_with_torch(lambda x: x.reshape(2, 6).transpose(0, 1)[1:5:2] * 2.0, (3, 4))
    compare_with_torch(lambda x, y: x @ y.mT, (2, 3, 5), (4, 5))
    compare_with_torch(lambda x: x[[0, 2, 2]][:, 1:] ** 2, (3, 4))


def test_mlp_learns_xor():
    ember.manual_seed(0)
    x = ember.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = ember.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1 = (ember.randn(2, 8) * 1.0).requires_grad_()
    b1 = ember.zeros(8, requires_grad=True)
    w2 = (ember.randn(8, 1) * 1.0).requires_grad_()
    b2 = ember.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    for _ in range(2000):
        h = (x @ w1 + b1).tanh()
        p = (h @ w2 + b2).sigmoid()
        loss = ((p - y) ** 2).mean()
        for q in params:
            q.grad = None
        loss.backward()
        with ember.no_grad():
            for q in params:
                q.sub_(q.grad * 0.5)
    pred = (p.detach().numpy() > 0.5).astype(np.float32)
    assert pred.ravel().tolist() == [0, 1, 1, 0], p.detach().numpy()


def test_gradgradcheck_second_derivatives():
    from ember.autograd import gradgradcheck

    x = ember.tensor([0.3, -0.7, 1.1], dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(lambda t: (t * t).exp(), (x,))
    assert gradgradcheck(lambda t: (t * t * t).sum(), (x,))
