"""Tensor.__getitem__ / __setitem__: basic (views) and advanced (copies) indexing, NumPy/PyTorch rules."""
import numpy as np
import pytest

import ember
from helpers import assert_raises_in_child, compare_with_torch

rng = np.random.default_rng(3)
A = rng.standard_normal((4, 5, 6))

BASIC = [
    (1,), (-1,), (slice(1, 3),), (slice(None, None, 2),), (Ellipsis, 1), (None, 0), (1, None, slice(2, 5)),
    (slice(None), slice(-4, -1, 2), 3), (Ellipsis,), (slice(10, 20),), (0, 0, 0), (Ellipsis, None),
    (slice(-100, 100),), (2, Ellipsis, slice(1, None, 3)),
]
ADVANCED = [
    ([0, 2, 2],), (np.array([[0, 1], [3, 3]]),), (slice(None), [1, -1]), ([0, 1], [2, 3]), ([0, 1], slice(None), [2, 3]),
    (slice(None), [0, 1], [2, 3]), ([[0], [1]], [0, 2, 4]), (A[:, 0, 0] > 0,), (A[:, :, 0] > 0,),
    (1, [0, 1], slice(None), ), ([1, 2], Ellipsis, 0), (slice(None), A[0, :, 0] > 0), (True,), (None, [1, 2]),
    (A > 0.5,), ([0, 1], None, [2, 3]), ([],), ([1, 2], slice(None), None, [0, 5]),
]


def _conv(k):
    if isinstance(k, tuple):
        return tuple(_conv(x) for x in k)
    if isinstance(k, np.ndarray):
        return ember.tensor(k)
    return k


@pytest.mark.parametrize("key", BASIC)
def test_basic_indexing_is_a_view(key):
    x = ember.tensor(A)
    y = x[key]
    np.testing.assert_array_equal(y.numpy(), A[key])
    assert y._a.same_storage(x._a)


@pytest.mark.parametrize("key", ADVANCED)
def test_advanced_indexing_matches_numpy(key):
    x = ember.tensor(A)
    np.testing.assert_array_equal(x[_conv(key)].numpy(), A[key])
    np.testing.assert_array_equal(x.transpose(0, 2).transpose(0, 2)[_conv(key)].numpy(), A[key])


def test_index_dtypes_and_noncontiguous():
    x = ember.tensor(A).permute(2, 0, 1)
    B = A.transpose(2, 0, 1)
    for dt in (ember.int32, ember.int64):
        i = ember.tensor([0, -1, 2]).to(dt)
        np.testing.assert_array_equal(x[i].numpy(), B[[0, -1, 2]])
        np.testing.assert_array_equal(x[:, i, 1:].numpy(), B[:, [0, -1, 2], 1:])
    np.testing.assert_array_equal(x[ember.tensor(2)].numpy(), B[2])
    xi = ember.tensor(np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(xi[ember.tensor([[True, False, True, False]] * 3)].numpy(),
                                  np.arange(12).reshape(3, 4)[np.array([[True, False, True, False]] * 3)])


@pytest.mark.parametrize("key", [(1, [0, 2]), ([0, 3], slice(1, 4)), (slice(None), 2), (A[:, :, 0] > 0,),
                                 ([1, 1, 2], [0, 0, 4])])
def test_getitem_grads_vs_torch(key):
    def fn(lib, x):
        k = tuple(lib.tensor(v) if isinstance(v, np.ndarray) else v for v in key)
        return x[k]
    compare_with_torch(fn, A.astype(np.float32))


def test_setitem_basic_and_advanced():
    B = A.copy()
    x = ember.tensor(A)
    v0 = x._version
    x[1] = 0.0
    B[1] = 0.0
    x[:, 1:3] = ember.tensor(np.ones((5 - 3 + 1,) * 0 + (2, 6)))
    B[:, 1:3] = 1.0
    x[..., -1] = ember.tensor(np.arange(5.0))
    B[..., -1] = np.arange(5.0)
    x[[0, 2], [1, 3], [0, 5]] = ember.tensor([7.0, 8.0])
    B[[0, 2], [1, 3], [0, 5]] = [7.0, 8.0]
    x[x > 1.5] = -2.0
    B[B > 1.5] = -2.0
    x[0, :, [0, 1]] = 3
    B[0, :, [0, 1]] = 3
    x[2] = ember.tensor(np.full((1, 5, 6), 4.0))
    B[2] = 4.0
    np.testing.assert_array_equal(x.numpy(), B)
    assert x._version > v0
    v = x[1:3]
    v[...] = 9.0
    assert (x.numpy()[1:3] == 9).all()


def test_setitem_grads_vs_torch():
    def fn(lib, x, v):
        y = x * 1
        y[1:, [0, 2]] = v
        y[0, 0] = 5.0
        return y
    compare_with_torch(fn, (3, 4), (2, 2))

    def fn2(lib, x, v):
        y = x.clone()
        y[..., 1] = v
        return y
    compare_with_torch(fn2, (3, 4), (3,))


@pytest.mark.parametrize("code,exc,msg", [
    ("ember.zeros(3, 4)[::-1]", "ValueError", "step must be greater than zero"),
    ("ember.zeros(3, 4)[5]", "IndexError", "out of bounds"),
    ("ember.zeros(3, 4)[:, -5]", "IndexError", "out of bounds"),
    ("ember.zeros(3, 4)[ember.tensor([3])]", "IndexError", "out of bounds"),
    ("ember.zeros(3, 4)[ember.tensor([1.0])]", "IndexError", "long, int or bool"),
    ("ember.zeros(3, 4)[1.5]", "IndexError", "valid indices"),
    ("ember.zeros(3, 4)[0, 0, 0]", "IndexError", "too many indices"),
    ("ember.zeros(3, 4)[ember.tensor([True, False])]", "IndexError", "mask"),
    ("ember.zeros(3, 4)[[0, 1], [0, 1, 2]]", "IndexError", "shape mismatch"),
    ("x = ember.zeros(3, 4); x[[0, 1]] = ember.ones(3, 4)", "ValueError", "shape mismatch"),
    ("x = ember.zeros(3, 4); x[0] = ember.ones(3)", "ValueError", ""),
    ("x = ember.zeros(3, requires_grad=True); x[0] = 1.0", "RuntimeError", "leaf"),
])
def test_bad_keys_raise_cleanly(code, exc, msg):
    assert_raises_in_child(code, exc, msg)
