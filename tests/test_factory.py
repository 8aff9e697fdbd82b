"""Factories: arange (torch dtype inference), linspace, logspace, eye."""
import numpy as np
import pytest

import ember
from helpers import assert_raises_in_child


def test_arange_dtypes_and_values():
    x = ember.arange(5)
    assert x.dtype == ember.int64 and x.numpy().tolist() == [0, 1, 2, 3, 4]
    assert ember.arange(2, 11, 3).numpy().tolist() == [2, 5, 8]
    assert ember.arange(5, 0, -2).numpy().tolist() == [5, 3, 1]
    y = ember.arange(0, 1, 0.25)
    assert y.dtype == ember.float32
    np.testing.assert_allclose(y.numpy(), [0, 0.25, 0.5, 0.75])
    assert ember.arange(0.0, 3).dtype == ember.float32
    assert ember.arange(3, dtype=ember.float64).dtype == ember.float64
    assert ember.arange(0).shape == (0,)
    np.testing.assert_allclose(ember.arange(-1, 1, 0.1, dtype=ember.float64).numpy(), np.arange(-1, 1, 0.1), atol=1e-12)
    assert ember.arange(10**15, 10**15 + 3).numpy().tolist() == [10**15, 10**15 + 1, 10**15 + 2]


def test_arange_vs_torch():
    torch = pytest.importorskip("torch")
    for args in [(10,), (1, 10, 3), (0, 1, 0.1), (-3.5, 2.25, 0.5), (5, -5, -1.5)]:
        e, t = ember.arange(*args), torch.arange(*args)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(ember.arange(0.5, 5, 1.5, dtype=ember.int64).numpy(),
                                  torch.arange(0.5, 5, 1.5, dtype=torch.int64).numpy())


def test_linspace_logspace_eye():
    torch = pytest.importorskip("torch")
    for s, e, n in [(0, 1, 5), (-2, 3, 1), (1, 0, 7), (0, 10, 0), (0.1, 0.7, 13)]:
        np.testing.assert_allclose(ember.linspace(s, e, n).numpy(), torch.linspace(s, e, n).numpy(), rtol=1e-6)
        np.testing.assert_allclose(ember.logspace(s, e, n).numpy(), torch.logspace(s, e, n).numpy(), rtol=1e-5)
    np.testing.assert_array_equal(ember.linspace(0, 10, 4, dtype=ember.int64).numpy(),
                                  torch.linspace(0, 10, 4, dtype=torch.int64).numpy())
    np.testing.assert_allclose(ember.logspace(0, 3, 4, base=2).numpy(), [1, 2, 4, 8])
    np.testing.assert_array_equal(ember.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(ember.eye(2, 4, dtype=ember.int32).numpy(), np.eye(2, 4))
    assert ember.eye(3, dtype=ember.bool).dtype == ember.bool
    assert ember.eye(0).shape == (0, 0)
    x = ember.linspace(0, 1, 3, requires_grad=True)
    assert x.requires_grad


@pytest.mark.parametrize("code,exc,msg", [
    ("ember.arange(0, 5, 0)", "RuntimeError", "[arange]"),
    ("ember.arange(5, 0, 1)", "RuntimeError", "[arange]"),
    ("ember.arange(0, float('inf'))", "RuntimeError", "[arange]"),
    ("ember.linspace(0, 1, -1)", "RuntimeError", "[linspace]"),
    ("ember.eye(-1)", "RuntimeError", "[eye]"),
    ("ember.arange('a')", "TypeError", "[arange]"),
])
def test_bad_input_raises_cleanly(code, exc, msg):
    assert_raises_in_child(code, exc, msg)
