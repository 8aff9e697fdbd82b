"""F.linear and ember.addmm: the bias / additive term is fused into the GEMM's output."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck
from helpers import assert_raises_in_child, compare_with_torch


@pytest.mark.parametrize("xshape", [(5, 4), (2, 3, 4), (4,), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(xshape, bias):
    def fn(lib, x, w, b):
        f = ember.nn.functional if lib is ember else lib.nn.functional
        return f.linear(x, w, b if bias else None)
    compare_with_torch(fn, xshape, (6, 4), (6,))


def test_linear_transposed_input_and_weight():
    x = np.random.default_rng(0).standard_normal((4, 7)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    out = F.linear(ember.tensor(x).t(), ember.tensor(w).t(), ember.ones(3))
    np.testing.assert_allclose(out.numpy(), x.T @ w + 1, rtol=1e-5, atol=1e-5)


def test_linear_gradcheck_float64():
    x = ember.randn(3, 2, 4, dtype=ember.float64, requires_grad=True)
    w = ember.randn(5, 4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(5, dtype=ember.float64, requires_grad=True)
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (x, w))


@pytest.mark.parametrize("ishape", [(3, 5), (5,), (1, 5), ()])
def test_addmm_matches_torch(ishape):
    def fn(lib, i, a, b):
        return lib.addmm(i, a, b, beta=0.5, alpha=2.0)
    compare_with_torch(fn, ishape, (3, 4), (4, 5))


def test_addmm_beta_zero_ignores_nan_input():
    i = ember.full((2, 2), float("nan"))
    out = ember.addmm(i, ember.ones(2, 3), ember.ones(3, 2), beta=0)
    np.testing.assert_array_equal(out.numpy(), np.full((2, 2), 3.0, np.float32))


def test_addmm_gradcheck_float64():
    i = ember.randn(1, 4, dtype=ember.float64, requires_grad=True)
    a = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    b = ember.randn(2, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda i, a, b: ember.addmm(i, a, b, beta=0.5, alpha=-1.5), (i, a, b))


def test_linear_bad_input():
    assert_raises_in_child("ember.nn.functional.linear(ember.zeros(2, 5), ember.zeros(3, 4))", "RuntimeError",
                           "[linear]", "(2, 5)", "(3, 4)")
    assert_raises_in_child("ember.nn.functional.linear(ember.zeros(2, 4), ember.zeros(3, 4), ember.zeros(2))",
                           "RuntimeError", "[linear]", "bias")
    assert_raises_in_child("ember.nn.functional.linear(ember.zeros(2, 4), ember.zeros(3, 4, dtype=ember.float64))",
                           "RuntimeError", "[linear]", "dtype")
    assert_raises_in_child("ember.addmm(ember.zeros(4), ember.zeros(2, 3), ember.zeros(3, 5))", "RuntimeError",
                           "[addmm]", "Tensor sizes: [4]")  # torch's type and message
