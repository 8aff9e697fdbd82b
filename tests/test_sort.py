"""Sorting: sort (stable, NaN last), argsort, topk, kthvalue, median, unique."""
import numpy as np
import pytest

import ember
from helpers import assert_raises_in_child, compare_with_torch

rng = np.random.default_rng(2)


def T(a, **kw):
    return ember.tensor(a, **kw)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_matches_numpy_stable(dim):
    a = rng.integers(0, 4, size=(5, 6)).astype(np.float32)  # many ties
    v, i = ember.sort(T(a), dim)
    np.testing.assert_array_equal(i.numpy(), np.argsort(a, axis=dim, kind="stable"))
    np.testing.assert_array_equal(v.numpy(), np.sort(a, axis=dim))
    r = ember.sort(T(a), dim, descending=True)
    ref_i = np.flip(np.argsort(np.flip(-a, axis=dim), axis=dim, kind="stable"), axis=dim)
    np.testing.assert_array_equal(r.values.numpy(), -np.sort(-a, axis=dim))
    # stable descending: equal values keep input order
    ref_i = np.argsort(-a, axis=dim, kind="stable")
    np.testing.assert_array_equal(r.indices.numpy(), ref_i)
    assert i.dtype == ember.int64


def test_sort_nan_dtypes_noncontiguous_empty():
    a = np.array([3.0, np.nan, -1.0, np.inf, 0.0])
    v, i = T(a).sort()
    np.testing.assert_array_equal(v.numpy(), [-1, 0, 3, np.inf, np.nan])
    v, i = T(a).sort(descending=True)
    np.testing.assert_array_equal(v.numpy(), [np.nan, np.inf, 3, 0, -1])
    for dt in (ember.int32, ember.int64, ember.uint8, ember.float16, ember.bfloat16, ember.bool):
        x = T(np.array([3, 1, 2, 0, 1])).to(dt)
        assert x.sort().values.to(ember.float64).numpy().tolist() == sorted(x.to(ember.float64).numpy().tolist())
    b = rng.standard_normal((4, 7))
    np.testing.assert_array_equal(T(b).t().argsort(1).numpy(), np.argsort(b.T, 1, kind="stable"))
    assert T(np.zeros((0, 3))).sort(0).values.shape == (0, 3)
    assert T(np.zeros((3, 0))).sort(1).indices.shape == (3, 0)


def test_topk_kthvalue_median():
    a = rng.standard_normal((4, 9))
    v, i = T(a).topk(3)
    ref = np.sort(a, 1)[:, ::-1][:, :3]
    np.testing.assert_array_equal(v.numpy(), ref)
    np.testing.assert_array_equal(np.take_along_axis(a, i.numpy(), 1), ref)
    v, i = T(a).topk(2, dim=0, largest=False)
    np.testing.assert_array_equal(v.numpy(), np.sort(a, 0)[:2])
    v, i = ember.kthvalue(T(a), 4, 1)
    np.testing.assert_array_equal(v.numpy(), np.sort(a, 1)[:, 3])
    assert ember.kthvalue(T(a), 2, 0, keepdim=True).values.shape == (1, 9)
    m = ember.median(T(a), 1)
    np.testing.assert_array_equal(m.values.numpy(), np.sort(a, 1)[:, 4])
    np.testing.assert_array_equal(np.take_along_axis(a, m.indices.numpy()[:, None], 1)[:, 0], m.values.numpy())
    e = rng.standard_normal(6)
    assert ember.median(T(e)).item() == np.sort(e)[2]  # lower median
    assert np.isnan(ember.median(T(np.array([1.0, np.nan, 0.0]))).item())


def test_sort_family_vs_torch_with_grads():
    a = rng.permutation(24).reshape(4, 6).astype(np.float32)  # distinct values
    compare_with_torch(lambda lib, x: lib.sort(x, 1, descending=True), a)
    compare_with_torch(lambda lib, x: lib.sort(x, 0), a)
    compare_with_torch(lambda lib, x: lib.topk(x, 2, 1), a)
    compare_with_torch(lambda lib, x: lib.topk(x, 3, 0, largest=False), a)
    compare_with_torch(lambda lib, x: lib.kthvalue(x, 2, 1), a)
    compare_with_torch(lambda lib, x: lib.median(x, 0), a)
    compare_with_torch(lambda lib, x: lib.median(x), a)
    compare_with_torch(lambda lib, x: lib.argsort(x, 1), a, grad=False)


def test_unique():
    a = np.array([[3, 1, 2], [1, 3, 3]])
    u, inv, cnt = ember.unique(T(a), return_inverse=True, return_counts=True)
    ru, rinv, rcnt = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(u.numpy(), ru)
    np.testing.assert_array_equal(inv.numpy(), rinv.reshape(a.shape))
    np.testing.assert_array_equal(cnt.numpy(), rcnt)
    assert T(a).unique().numpy().tolist() == [1, 2, 3]


@pytest.mark.parametrize("code,exc,msg", [
    ("ember.zeros(3, 4).topk(5)", "RuntimeError", "[topk]"),
    ("ember.kthvalue(ember.zeros(3), 0)", "RuntimeError", "[kthvalue]"),
    ("ember.zeros(3).sort(dim=2)", "IndexError", "Dimension out of range"),
    ("ember.median(ember.zeros(0))", "ValueError", "[median]"),
])
def test_bad_input_raises_cleanly(code, exc, msg):
    assert_raises_in_child(code, exc, msg)
