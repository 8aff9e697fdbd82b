"""Index ops: gather/scatter, index_select/index_add, index_put_, masks, nonzero, take, one_hot."""
import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from helpers import assert_raises_in_child, compare_with_torch

rng = np.random.default_rng(0)


def T(a, **kw):
    return ember.tensor(a, **kw)


def np_gather(x, dim, idx):
    return np.take_along_axis(x, idx, axis=dim)


@pytest.mark.parametrize("idt", [np.int64, np.int32])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_matches_numpy(idt, dim):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    idx = rng.integers(0, x.shape[dim], size=(4, 5)).astype(idt)
    np.testing.assert_array_equal(ember.gather(T(x), dim, T(idx)).numpy(), np_gather(x, dim, idx.astype(np.int64)))


def test_gather_smaller_index_and_noncontiguous_and_dtypes():
    x = rng.standard_normal((6, 5))
    xt = T(x).t()  # (5, 6), non-contiguous
    idx = rng.integers(0, 6, size=(3, 4))
    np.testing.assert_array_equal(ember.gather(xt, 1, T(idx)).numpy(), np_gather(x.T[:3, :], 1, idx))
    for dt in (ember.int32, ember.int64, ember.bool, ember.float16, ember.uint8, ember.bfloat16):
        xi = T(np.arange(20).reshape(4, 5) % 3).to(dt)
        ix = T([[0, 4], [1, 1], [2, 3], [0, 0]])
        ref = np_gather(np.arange(20).reshape(4, 5) % 3, 1, ix.numpy())
        np.testing.assert_array_equal(ember.gather(xi, 1, ix).to(ember.float64).numpy(), ref)
    assert ember.gather(T(np.zeros((3, 0))), 1, T(np.zeros((3, 0), np.int64))).shape == (3, 0)


def test_gather_grad_vs_torch():
    idx = rng.integers(0, 5, size=(3, 7))  # duplicates -> scatter_add in backward
    compare_with_torch(lambda lib, x, i: lib.gather(x, 1, i), (3, 5), idx)


def test_scatter_value_src_and_add():
    x = np.zeros((3, 5), np.float32)
    idx = np.array([[0, 1, 2], [4, 3, 2], [1, 1, 1]])
    src = np.arange(15, dtype=np.float32).reshape(3, 5)
    out = ember.scatter(T(x), 1, T(idx), T(src)).numpy()
    ref = x.copy()
    for i in range(3):
        for j in range(3):
            ref[i, idx[i, j]] = src[i, j]
    np.testing.assert_array_equal(out, ref)
    out = ember.scatter(T(x), 1, T(idx), 2.5).numpy()
    assert out[0, 0] == 2.5 and out[2, 1] == 2.5 and out[2, 0] == 0
    # scatter_add with duplicates accumulates
    out = ember.scatter_add(T(x), 1, T(idx), T(src)).numpy()
    ref = x.copy()
    for i in range(3):
        for j in range(3):
            ref[i, idx[i, j]] += src[i, j]
    np.testing.assert_array_equal(out, ref)
    t = T(x)
    v = t._version
    t.scatter_add_(1, T(idx), T(src))
    assert t._version > v
    np.testing.assert_array_equal(t.numpy(), ref)


def test_scatter_add_large_parallel_duplicates():
    n = 200000
    idx = rng.integers(0, 7, size=(4, n))
    src = np.ones((4, n))
    out = ember.zeros(4, 7, dtype=ember.float64).scatter_add(1, T(idx), T(src)).numpy()
    ref = np.stack([np.bincount(r, minlength=7) for r in idx]).astype(np.float64)
    np.testing.assert_array_equal(out, ref)


def test_scatter_grads_vs_torch():
    idx = np.array([[0, 1, 2], [4, 3, 2], [1, 1, 1]])
    compare_with_torch(lambda lib, x, s, i: lib.scatter_add(x, 1, i, s), (3, 5), (3, 3), idx)
    idx_u = np.array([[0, 1, 2], [4, 3, 2], [1, 0, 3]])  # unique per row: scatter is well defined
    compare_with_torch(lambda lib, x, s, i: lib.scatter(x, 1, i, s), (3, 5), (3, 3), idx_u)
    # src larger than index (torch's backward rejects this; ember pads the src gradient with zeros)
    s = ember.ones(3, 5, requires_grad=True)
    ember.scatter_add(ember.zeros(3, 5), 1, ember.tensor(idx), s).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), np.pad(np.ones((3, 3)), ((0, 0), (0, 2))))
    compare_with_torch(lambda lib, x, i: x.scatter(0, i, 3.0), (5, 3), idx_u.T.copy() % 5)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_vs_torch(reduce, include_self):
    idx = np.array([[0, 1, 1, 3], [2, 2, 2, 0]])
    grad = reduce in ("sum", "mean", "amax", "amin")
    compare_with_torch(lambda lib, x, s, i: x.scatter_reduce(1, i, s, reduce, include_self=include_self),
                       (2, 4), (2, 4), idx, grad=grad)


def test_scatter_reduce_int_mean_floor():
    torch = pytest.importorskip("torch")
    x = np.array([[5, -7, 3]])
    s = np.array([[-4, 2, 9, 1]])
    i = np.array([[0, 1, 1, 2]])
    for inc in (True, False):
        e = T(x).scatter_reduce(1, T(i), T(s), "mean", include_self=inc).numpy()
        r = torch.tensor(x).scatter_reduce(1, torch.tensor(i), torch.tensor(s), "mean", include_self=inc).numpy()
        np.testing.assert_array_equal(e, r)


@pytest.mark.parametrize("idt", [np.int64, np.int32])
def test_index_select_and_add(idt):
    x = rng.standard_normal((5, 4, 3))
    idx = np.array([4, 0, 0, 2], idt)
    for dim in (0, 1, -1):
        ix = idx % x.shape[dim]
        np.testing.assert_array_equal(ember.index_select(T(x), dim, T(ix)).numpy(), np.take(x, ix, axis=dim))
    xt = T(x).permute(2, 0, 1)
    np.testing.assert_array_equal(xt.index_select(1, T(idx)).numpy(), np.take(x.transpose(2, 0, 1), idx, axis=1))
    # index_add accumulates duplicates
    src = rng.standard_normal((4, 4, 3))
    out = ember.index_add(T(x), 0, T(idx), T(src), alpha=2.0).numpy()
    ref = x.copy()
    np.add.at(ref, idx, 2.0 * src)
    np.testing.assert_allclose(out, ref)
    assert ember.index_select(T(x), 0, T(np.zeros(0, np.int64))).shape == (0, 4, 3)


def test_index_select_add_grads_vs_torch():
    idx = np.array([3, 0, 0, 2, 3])
    compare_with_torch(lambda lib, x, i: lib.index_select(x, 0, i), (4, 3), idx)
    compare_with_torch(lambda lib, x, s, i: lib.index_add(x, 1, i, s, alpha=0.5), (3, 4), (3, 5), idx)


def test_index_put_accumulate_duplicates():
    x = np.zeros(5)
    idx = np.array([0, 1, 1, 4, 1, -1])
    v = np.arange(6, dtype=np.float64)
    out = ember.index_put(T(x), (T(idx),), T(v), accumulate=True).numpy()
    ref = x.copy()
    np.add.at(ref, idx, v)
    np.testing.assert_array_equal(out, ref)
    out = ember.index_put(T(x), (T(np.array([0, 2])),), T(1.5)).numpy()
    np.testing.assert_array_equal(out, [1.5, 0, 1.5, 0, 0])
    t = T(x)
    t.index_put_((T(np.array([3])),), T(np.array([9.0])))
    assert t.numpy()[3] == 9


def test_index_put_grads_vs_torch():
    i0, i1 = np.array([0, 2, 2]), np.array([1, 0, 1])
    compare_with_torch(lambda lib, x, v, a, b: lib.index_put(x, (a, b), v, accumulate=True), (3, 4), (3,), i0, i1)
    compare_with_torch(lambda lib, x, v, a: lib.index_put(x, (a,), v), (3, 4), (2, 4), np.array([2, 0]))


def test_masked_fill_select_nonzero():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    m = x > 0.2
    np.testing.assert_array_equal(ember.masked_fill(T(x), T(m), -1.0).numpy(), np.where(m, -1, x))
    np.testing.assert_array_equal(ember.masked_select(T(x), T(m)).numpy(), x[m])
    # broadcast mask; non-contiguous input
    mrow = np.array([True, False, True, False])
    np.testing.assert_array_equal(T(x).masked_fill(T(mrow), 0).numpy(), np.where(mrow, 0, x))
    np.testing.assert_array_equal(T(x).t().masked_select(T(m.T)).numpy(), x.T[m.T])
    np.testing.assert_array_equal(T(x).masked_select(T(mrow)).numpy(), x[:, mrow].reshape(-1))
    np.testing.assert_array_equal(ember.nonzero(T(m)).numpy(), np.argwhere(m))
    tup = ember.nonzero(T(m), as_tuple=True)
    for a, b in zip(tup, np.nonzero(m)):
        np.testing.assert_array_equal(a.numpy(), b)
    big = rng.standard_normal((300, 500)) > 1
    np.testing.assert_array_equal(ember.nonzero(T(big).t()).numpy(), np.argwhere(big.T))
    np.testing.assert_array_equal(ember.masked_select(T(big.astype(np.float64)), T(big)).numpy(), np.ones(big.sum()))
    assert ember.nonzero(T(np.zeros((2, 0)))).shape == (0, 2)
    assert ember.nonzero(T(np.array([0.0, np.nan, 2.0]))).numpy().ravel().tolist() == [1, 2]
    t = T(x)
    t.masked_fill_(T(m), 7.0)
    assert (t.numpy()[m] == 7).all()


def test_masked_grads_vs_torch():
    m = rng.standard_normal((3, 4)) > 0
    compare_with_torch(lambda lib, x, mm: lib.masked_fill(x, mm, 2.0), (3, 4), m)
    compare_with_torch(lambda lib, x, mm: lib.masked_select(x, mm), (3, 4), m)
    compare_with_torch(lambda lib, x, mm: lib.masked_select(x, mm), (1, 4), m)


def test_take_and_one_hot():
    x = rng.standard_normal((3, 4))
    idx = np.array([[0, -1], [11, 5]])
    np.testing.assert_array_equal(ember.take(T(x), T(idx)).numpy(), np.take(x, idx))
    np.testing.assert_array_equal(ember.take(T(x).t(), T(idx)).numpy(), np.take(x.T, idx))
    compare_with_torch(lambda lib, a, i: lib.take(a, i), (3, 4), np.array([0, 3, 3, -1]))
    lab = np.array([[0, 2], [1, 2]])
    oh = ember._ops.index.one_hot(T(lab))
    assert oh.dtype == ember.int64
    np.testing.assert_array_equal(oh.numpy(), np.eye(3, dtype=np.int64)[lab])
    assert ember._ops.index.one_hot(T(lab), 5).shape == (2, 2, 5)


def test_gradcheck_float64():
    x = T(rng.standard_normal((3, 4)), dtype=ember.float64).requires_grad_()
    idx = T(np.array([[0, 1, 1, 2], [2, 2, 0, 1]]))
    assert gradcheck(lambda a: ember.gather(a, 0, idx), (x,))
    s = T(rng.standard_normal((2, 4)), dtype=ember.float64).requires_grad_()
    assert gradcheck(lambda a, b: ember.scatter_add(a, 0, idx, b), (x, s))
    assert gradcheck(lambda a: ember.index_select(a, 1, T(np.array([3, 3, 0]))), (x,))


def test_double_backward_through_gather():
    x = T(rng.standard_normal((3, 4)), dtype=ember.float64).requires_grad_()
    idx = T(np.array([[0, 1, 1, 2]]))
    y = (ember.gather(x, 0, idx) ** 2).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    ref = np.zeros((3, 4))
    np.add.at(ref, (idx.numpy()[0], np.arange(4)), 2.0)
    np.testing.assert_allclose(x.grad.numpy(), ref)


@pytest.mark.parametrize("code,exc,msg", [
    ("ember.gather(ember.zeros(3, 5), 1, ember.tensor([[7]]))", "IndexError",
     "[gather] index 7 is out of bounds for dim 1 with size 5"),
    ("ember.gather(ember.zeros(3, 5), 1, ember.tensor([[-1]]))", "IndexError", "out of bounds"),
    ("ember.gather(ember.zeros(3, 5), 1, ember.tensor([[1.0]]))", "TypeError", "[gather]"),
    ("ember.gather(ember.zeros(3, 5), 1, ember.tensor([1]))", "ValueError", "[gather]"),
    ("ember.zeros(3, 5).scatter_(1, ember.tensor([[9]]), ember.ones(1, 1))", "IndexError", "[scatter]"),
    ("ember.scatter_add(ember.zeros(3), 0, ember.tensor([3]), ember.ones(1))", "IndexError", "[scatter"),
    ("ember.zeros(3).scatter_(0, ember.tensor([1]), ember.ones(1, dtype=ember.float64))", "TypeError", "dtype"),
    ("ember.index_select(ember.zeros(5), 0, ember.tensor([7]))", "IndexError",
     "[index_select] index 7 is out of bounds for dim 0 with size 5"),
    ("ember.index_select(ember.zeros(5), 0, ember.tensor([[1]]))", "IndexError", "[index_select]"),
    ("ember.index_add(ember.zeros(5), 0, ember.tensor([1, 2]), ember.ones(3))", "ValueError", "[index_add]"),
    ("ember.index_put(ember.zeros(5), (ember.tensor([5]),), ember.tensor(1.0))", "IndexError", "out of bounds"),
    ("ember.index_put(ember.zeros(5), (ember.tensor([1, 2]),), ember.ones(3))", "ValueError", "shape mismatch"),
    ("ember.masked_fill(ember.zeros(3), ember.tensor([1, 0, 1]), 1.0)", "TypeError", "bool"),
    ("ember.masked_select(ember.zeros(3), ember.tensor([True, False]))", "ValueError", "broadcast"),
    ("ember.take(ember.zeros(2, 3), ember.tensor([6]))", "IndexError", "[take]"),
    ("ember._ops.index.one_hot(ember.tensor([0, 3]), 3)", "ValueError", "[one_hot]"),
    ("ember._ops.index.one_hot(ember.tensor([0.0]))", "TypeError", "[one_hot]"),
    ("ember._C.scatter_reduce_(ember.zeros(3)._a, 0, ember.tensor([0])._a, ember.ones(1)._a, 'max', True)",
     "ValueError", "reduce"),
])
def test_bad_input_raises_cleanly(code, exc, msg):
    assert_raises_in_child(code, exc, msg)


def test_index_out_of_range_does_not_write():
    x = ember.zeros(4)
    with pytest.raises(IndexError):
        x.index_put_((ember.tensor([0, 1, 9]),), ember.tensor(1.0))
    with pytest.raises(IndexError):
        x.scatter_(0, ember.tensor([0, 1, 9]), ember.ones(3))
    assert x.numpy().tolist() == [0, 0, 0, 0]
