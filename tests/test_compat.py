"""PyTorch-compatibility ops (ember/_ops/compat.py) against torch: values, gradients, errors."""

import numpy as np
import pytest

import ember
from helpers import assert_raises_in_child, compare_with_torch, to_numpy

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _both(arr, dtype=None):
    return ember.tensor(arr) if dtype is None else ember.tensor(arr, dtype=getattr(ember, dtype)), \
        torch.tensor(arr) if dtype is None else torch.tensor(arr, dtype=getattr(torch, dtype))


def _same(e, t, **kw):
    en, tn = to_numpy(e), to_numpy(t)
    assert en.shape == tn.shape, (en.shape, tn.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (e.dtype, t.dtype)
    np.testing.assert_allclose(en, tn, equal_nan=True, **kw)


# ---------------------------------------------------------------------- tensor utilities
def test_no_shadowing_and_methods():
    for n in ["logaddexp", "quantile", "kron", "cdist", "diag", "isclose", "index_fill"]:
        assert hasattr(ember, n)
    for n in ["type_as", "ravel", "sum_to_size", "index_fill_", "index_copy_", "outer", "diag", "quantile"]:
        assert hasattr(ember.Tensor, n)


def test_type_as_ravel_flags():
    e, t = _both([[1.5, -2.0], [3.0, 0.0]])
    ei, ti = _both([1, 2], "int32")
    _same(e.type_as(ei), t.type_as(ti))
    _same(ei.type_as(e), ti.type_as(t))
    _same(ember.ravel(e.t()), torch.ravel(t.t()))
    _same(e.t().ravel(), t.t().ravel())
    assert e.is_signed() and ei.is_signed()
    assert not ember.tensor([1], dtype=ember.uint8).is_signed()
    assert not ember.tensor([True]).is_signed()
    assert ember.is_nonzero(ember.tensor([2.0])) and not ember.tensor(0.0).is_nonzero()
    assert ember.is_same_size(e, e.t()) and not e.is_same_size(ei)
    assert ember.positive(e) is e
    with pytest.raises(RuntimeError):
        ember.tensor([1.0, 2.0]).is_nonzero()
    with pytest.raises(RuntimeError):
        ember.tensor([]).is_nonzero()
    with pytest.raises(TypeError):
        ember.positive(ember.tensor([True]))


def test_sum_to_size():
    compare_with_torch(lambda x: x.sum_to_size(3, 1), (2, 3, 4))
    compare_with_torch(lambda x: x.sum_to_size((1, 4)), (2, 3, 4))
    compare_with_torch(lambda x: x.sum_to_size(2, 3, 4), (2, 3, 4))
    with pytest.raises(RuntimeError):
        ember.zeros(2, 3).sum_to_size(2)


# ---------------------------------------------------------------------- products
def test_outer_addmv_addr():
    compare_with_torch(lambda lib, a, b: lib.outer(a, b), (3,), (4,))
    compare_with_torch(lambda a, b: a.ger(b), (3,), (4,))
    compare_with_torch(lambda lib, i, m, v: lib.addmv(i, m, v), (3,), (3, 4), (4,))
    compare_with_torch(lambda lib, i, m, v: lib.addmv(i, m, v, beta=0.5, alpha=2), (1,), (3, 4), (4,))
    compare_with_torch(lambda lib, i, a, b: lib.addr(i, a, b, beta=2, alpha=-1), (3, 1), (3,), (4,))
    compare_with_torch(lambda i, a, b: i.addr(a, b), (3, 4), (3,), (4,))
    # beta=0 ignores NaN in input
    nan_in = np.full((3,), np.nan, np.float32)
    m = np.ones((3, 2), np.float32)
    v = np.ones(2, np.float32)
    compare_with_torch(lambda lib, i, m, v: lib.addmv(i, m, v, beta=0), nan_in, m, v)


def test_baddbmm_addbmm():
    compare_with_torch(lambda lib, i, a, b: lib.baddbmm(i, a, b), (2, 3, 5), (2, 3, 4), (2, 4, 5))
    compare_with_torch(lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=0.5, alpha=3), (5,), (2, 3, 4), (2, 4, 5))
    compare_with_torch(lambda lib, i, a, b: lib.addbmm(i, a, b), (3, 5), (2, 3, 4), (2, 4, 5), rtol=1e-4)
    compare_with_torch(lambda i, a, b: i.addbmm(a, b, beta=2, alpha=0.5), (3, 5), (4, 3, 2), (4, 2, 5), rtol=1e-4)
    with pytest.raises(RuntimeError):
        ember.addbmm(ember.zeros(3, 5), ember.zeros(2, 3, 4), ember.zeros(3, 4, 5))


def test_vdot_trace_dist():
    compare_with_torch(lambda lib, a, b: lib.vdot(a, b), (5,), (5,))
    compare_with_torch(lambda lib, a: lib.trace(a), (4, 3))
    compare_with_torch(lambda a: a.trace(), (3, 3))
    ei, ti = _both([[1, 2], [3, 4]], "int32")
    _same(ember.trace(ei), torch.trace(ti))
    for p in (2, 1, 3, INF, 0):
        compare_with_torch(lambda lib, a, b, p=p: lib.dist(a, b, p), (3, 4), (4,), grad=p != 0, rtol=1e-4)
    with pytest.raises(RuntimeError):
        ember.trace(ember.zeros(2, 2, 2))


def test_kron():
    compare_with_torch(lambda lib, a, b: lib.kron(a, b), (2, 3), (4, 2))
    compare_with_torch(lambda lib, a, b: lib.kron(a, b), (3,), (2, 2))
    compare_with_torch(lambda lib, a, b: lib.kron(a, b), (2, 1, 3), (2,))
    ea, ta = _both([[1, 2], [3, 4]], "int64")
    _same(ember.kron(ea, ea), torch.kron(ta, ta))


def test_cross():
    compare_with_torch(lambda lib, a, b: lib.cross(a, b, dim=1), (4, 3), (4, 3))
    compare_with_torch(lambda lib, a, b: lib.cross(a, b, dim=0), (3, 2), (3, 1))
    compare_with_torch(lambda a, b: a.cross(b, dim=-1), (2, 5, 3), (1, 5, 3))
    with pytest.warns(UserWarning):  # torch warns when dim is omitted
        tr = torch.cross(torch.ones(2, 3, 3), torch.arange(18.0).reshape(2, 3, 3))
    _same(ember.cross(ember.ones(2, 3, 3), ember.arange(18.0).reshape(2, 3, 3)), tr)
    with pytest.raises(RuntimeError):
        ember.cross(ember.zeros(4, 2), ember.zeros(4, 2), dim=1)


def test_cdist():
    compare_with_torch(lambda lib, a, b: lib.cdist(a, b), (5, 3), (4, 3), rtol=1e-4, atol=1e-5)
    compare_with_torch(lambda lib, a, b: lib.cdist(a, b), (2, 5, 3), (2, 4, 3), rtol=1e-4, atol=1e-5)
    compare_with_torch(lambda lib, a, b: lib.cdist(a, b, p=1), (2, 5, 3), (1, 4, 3), rtol=1e-4)
    compare_with_torch(lambda lib, a, b: lib.cdist(a, b, p=3.0), (5, 3), (4, 3), rtol=1e-4)
    compare_with_torch(lambda lib, a, b: lib.cdist(a, b, p=float("inf")), (5, 3), (4, 3), rtol=1e-4)
    compare_with_torch(lambda lib, a, b: lib.cdist(a, b, p=0), (5, 3), (4, 3), grad=False)
    # larger inputs: torch switches to the matmul expansion; values agree to float32 rounding
    compare_with_torch(lambda lib, a, b: lib.cdist(a, b), (30, 8), (27, 8), rtol=1e-3, atol=1e-4)
    with pytest.raises(RuntimeError):
        ember.cdist(ember.zeros(3, 2), ember.zeros(3, 4))
    with pytest.raises(RuntimeError):
        ember.cdist(ember.zeros(3), ember.zeros(3, 3))
    with pytest.raises(RuntimeError):
        ember.cdist(ember.zeros(3, 2), ember.zeros(3, 2), p=-1)


def test_diag_family():
    compare_with_torch(lambda lib, a: lib.diag(a), (4,))
    for k in (-2, 0, 1, 3):
        compare_with_torch(lambda lib, a, k=k: lib.diag(a, k), (3,))
        compare_with_torch(lambda lib, a, k=k: lib.diag(a, k), (3, 4))
    compare_with_torch(lambda lib, a: lib.diag_embed(a), (2, 3))
    compare_with_torch(lambda lib, a: lib.diag_embed(a, 1, 0, 2), (2, 3))
    compare_with_torch(lambda lib, a: lib.diag_embed(a, -1, dim1=-1, dim2=0), (2, 3))
    compare_with_torch(lambda lib, a: lib.diagflat(a), (2, 2))
    compare_with_torch(lambda a: a.diagflat(-2), (2, 2))
    # inf/nan on the diagonal stay there (no 0 * inf off it)
    _same(ember.diag(ember.tensor([INF, NAN])), torch.diag(torch.tensor([INF, NAN])))
    ei, ti = _both([1, 2, 3], "int64")
    _same(ember.diag(ei, 1), torch.diag(ti, 1))
    eb, tb = _both([True, False])
    _same(ember.diag(eb), torch.diag(tb))
    with pytest.raises(RuntimeError):
        ember.diag(ember.zeros(2, 2, 2))


def test_rot90():
    for k in (-1, 0, 1, 2, 3, 5):
        compare_with_torch(lambda lib, a, k=k: lib.rot90(a, k), (3, 4))
        compare_with_torch(lambda a, k=k: a.rot90(k, [2, 0]), (2, 3, 4))
    with pytest.raises(RuntimeError):
        ember.rot90(ember.zeros(3, 3), 1, (0, 0))
    with pytest.raises(RuntimeError):
        ember.rot90(ember.zeros(3), 1, (0, 1))


def test_diff():
    compare_with_torch(lambda lib, a: lib.diff(a), (3, 5))
    compare_with_torch(lambda lib, a: lib.diff(a, n=2, dim=0), (4, 3))
    compare_with_torch(lambda lib, a, p, q: lib.diff(a, 1, 1, p, q), (3, 5), (3, 2), (3, 1))
    compare_with_torch(lambda a: a.diff(n=7), (2, 4))  # order past the length -> empty
    eb, tb = _both([True, False, False, True])
    _same(ember.diff(eb), torch.diff(tb))
    ei, ti = _both([1, 4, 9, 16], "int32")
    _same(ember.diff(ei, 2), torch.diff(ti, 2))


# ---------------------------------------------------------------------- elementwise
_SPECIAL = np.array([0.0, -0.0, 1.5, -2.5, INF, -INF, NAN, 1e30, -1e-30], np.float32)


def test_logaddexp():
    for name in ("logaddexp", "logaddexp2"):
        compare_with_torch(lambda lib, a, b, n=name: getattr(lib, n)(a, b), (3, 4), (4,))
        compare_with_torch(lambda a, b, n=name: getattr(a, n)(b), (5,), (5,))
        a = np.array([INF, -INF, INF, -INF, 1000.0, -1000.0, 0.5, NAN, 2.0], np.float32)
        b = np.array([INF, -INF, -INF, 3.0, 1000.0, -999.0, 0.5, 1.0, NAN], np.float32)
        compare_with_torch(lambda lib, a, b, n=name: getattr(lib, n)(a, b), a, b, grad=False)
        # ties split the gradient evenly
        compare_with_torch(lambda lib, a, b, n=name: getattr(lib, n)(a, b), np.ones(3, np.float32),
                           np.ones(3, np.float32))


def test_xlogy():
    compare_with_torch(lambda lib, a, b: lib.xlogy(a, b), np.abs(np.random.randn(3, 4)).astype(np.float32) + 0.1,
                       np.abs(np.random.randn(4)).astype(np.float32) + 0.1)
    x = np.array([0.0, 0.0, 0.0, 2.0, 1.0, 0.0, NAN], np.float32)
    y = np.array([0.0, NAN, INF, 0.0, 3.0, -1.0, 2.0], np.float32)
    compare_with_torch(lambda lib, a, b: lib.xlogy(a, b), x, y, grad=False)
    compare_with_torch(lambda lib, a: lib.xlogy(a, 3.0), np.array([0.0, 2.0], np.float32))
    compare_with_torch(lambda lib, a: lib.xlogy(2, a), np.array([0.5, 2.0], np.float32))
    ei, ti = _both([0, 1, 2], "int64")
    _same(ember.xlogy(ei, ei), torch.xlogy(ti, ti))
    # gradient at x == 0 with y > 0 is log(y) (finite)
    compare_with_torch(lambda lib, a, b: lib.xlogy(a, b), np.array([0.0, 1.0], np.float32),
                       np.array([2.0, 3.0], np.float32))


def test_hypot_copysign():
    compare_with_torch(lambda lib, a, b: lib.hypot(a, b), (3, 4), (4,))
    compare_with_torch(lambda a, b: a.hypot(b), (5,), (5,))
    s = _SPECIAL
    compare_with_torch(lambda lib, a, b: lib.hypot(a, b), s, s[::-1].copy(), grad=False)
    compare_with_torch(lambda lib, a, b: lib.copysign(a, b), (3, 4), (4,))
    compare_with_torch(lambda lib, a: lib.copysign(a, -1.0), (5,))
    a = np.array([1.0, 2.0, 0.0, -3.0, 4.0], np.float32)
    b = np.array([-0.0, 0.0, -1.0, INF, -INF], np.float32)
    compare_with_torch(lambda lib, a, b: lib.copysign(a, b), a, b)
    ei, ti = _both([1, -2, 3], "int64")
    _same(ember.copysign(ei, -1), torch.copysign(ti, -1))


def test_unary_float():
    x = np.random.default_rng(1).uniform(-3, 3, (3, 4)).astype(np.float32)
    for name in ("deg2rad", "rad2deg", "sinc", "sgn"):
        grad = name != "sgn"  # torch's sgn gradient is a ZeroTensor (checked below)
        compare_with_torch(lambda lib, a, n=name: getattr(lib, n)(a), x, grad=grad)
        compare_with_torch(lambda a, n=name: getattr(a, n)(), x, grad=grad)
        compare_with_torch(lambda lib, a, n=name: getattr(lib, n)(a), _SPECIAL, grad=False)
        ei, ti = _both([0, 1, -2], "int64")
        _same(getattr(ember, name)(ei), getattr(torch, name)(ti), rtol=1e-6)
    e = ember.tensor(x, requires_grad=True)
    ember.sgn(e).sum().backward()
    assert e.grad is None or not e.grad.abs().sum().item()
    # sinc(0) = 1 with gradient 0
    compare_with_torch(lambda lib, a: lib.sinc(a), np.array([0.0, 1.0, 0.5], np.float32))


def test_logit():
    p = np.array([0.1, 0.5, 0.9, 0.001, 0.999], np.float32)
    compare_with_torch(lambda lib, a: lib.logit(a), p, rtol=1e-4)
    compare_with_torch(lambda lib, a: lib.logit(a, eps=0.05), p, rtol=1e-4)
    compare_with_torch(lambda a: a.logit(0.2), p, rtol=1e-4)
    compare_with_torch(lambda lib, a: lib.logit(a), np.array([0.0, 1.0, -1.0, NAN], np.float32), grad=False)


def test_heaviside_signbit():
    x = np.array([-1.5, 0.0, -0.0, 2.0, NAN, INF], np.float32)
    v = np.array([0.5], np.float32)
    compare_with_torch(lambda lib, a, b: lib.heaviside(a, b), x, v, grad=False)
    compare_with_torch(lambda a, b: a.heaviside(b), x, np.full(6, 7.0, np.float32), grad=False)
    ei, ti = _both([-2, 0, 3], "int64")
    _same(ember.heaviside(ei, ember.tensor([9])), torch.heaviside(ti, torch.tensor([9])))
    with pytest.raises(TypeError):
        ember.heaviside(ember.tensor([1.0]), ember.tensor([1]))
    compare_with_torch(lambda lib, a: lib.signbit(a), _SPECIAL[:6].copy(), grad=False)
    compare_with_torch(lambda a: a.signbit(), np.array([-1, 0, 2], np.int64), grad=False)
    compare_with_torch(lambda lib, a: lib.signbit(a), np.array([0, 2], np.uint8), grad=False)


def test_isclose_allclose_equal():
    a = np.array([1.0, 1.0 + 1e-6, 1.0 + 1e-3, NAN, INF, -INF, INF, 0.0], np.float32)
    b = np.array([1.0, 1.0, 1.0, NAN, INF, -INF, -INF, 1e-9], np.float32)
    for kw in ({}, {"equal_nan": True}, {"rtol": 0, "atol": 0}, {"rtol": 1e-2, "atol": 0}, {"atol": 0.1}):
        compare_with_torch(lambda lib, x, y, kw=kw: lib.isclose(x, y, **kw), a, b, grad=False)
    compare_with_torch(lambda x, y: x.isclose(y), a[:3].copy(), np.float32(1.0), grad=False)
    ei, ti = _both([1, 2, 100], "int64")
    ej, tj = _both([1, 3, 101], "int64")
    _same(ember.isclose(ei, ej, rtol=0.01), torch.isclose(ti, tj, rtol=0.01))
    ea, ta = _both(a)
    eb, tb = _both(b)
    assert ember.allclose(ea[:3], eb[:3], rtol=1e-2) == torch.allclose(ta[:3], tb[:3], rtol=1e-2) is True
    assert ea.allclose(eb) == torch.allclose(ta, tb)
    assert ember.allclose(ea[3:6], eb[3:6], equal_nan=True) is True
    assert ember.equal(ea[:1], eb[:1]) is True and ea.equal(eb) is False
    assert ember.equal(ember.zeros(2), ember.zeros(3)) is False
    assert ember.equal(ea[3:4], ea[3:4]) == torch.equal(ta[3:4], ta[3:4])
    with pytest.raises(TypeError):
        ember.isclose(ember.zeros(2), ember.zeros(2, dtype=ember.float64))
    with pytest.raises(ValueError):
        ember.isclose(ember.zeros(2), ember.zeros(2), rtol=-1)


# ---------------------------------------------------------------------- index_fill / index_copy_
def test_index_fill():
    idx = np.array([0, 2], np.int64)
    compare_with_torch(lambda lib, a, i: lib.index_fill(a, 1, i, -1.5), (3, 4), idx)
    compare_with_torch(lambda a, i: a.index_fill(0, i, 2.0), (3, 4), idx)
    compare_with_torch(lambda a, i, v: a.index_fill(-1, i, v), (2, 3, 4), idx, np.array(3.0, np.float32))
    ei, ti = _both([[1, 2], [3, 4]], "int64")
    _same(ei.index_fill(0, ember.tensor([1]), 7), ti.index_fill(0, torch.tensor([1]), 7))

    def inplace(lib, a, i):
        b = a * 1
        r = b.index_fill_(1, i, 5.0)
        assert r is b
        return b

    compare_with_torch(inplace, (3, 4), idx)
    with pytest.raises(IndexError):
        ember.zeros(3).index_fill(1, ember.tensor([0]), 1.0)


def test_index_copy_():
    idx = np.array([2, 0], np.int64)

    def inplace(lib, a, i, s):
        b = a * 1
        r = b.index_copy_(1, i, s)
        assert r is b
        return b

    compare_with_torch(inplace, (3, 4), idx, (3, 2))
    e, t = _both(np.zeros((3, 2), np.float32))
    e.index_copy_(0, ember.tensor([1]), ember.ones(1, 2))
    t.index_copy_(0, torch.tensor([1]), torch.ones(1, 2))
    _same(e, t)


# ---------------------------------------------------------------------- quantile
@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(interp):
    q = np.array([0.0, 0.25, 0.5, 0.625, 1.0], np.float32)
    compare_with_torch(lambda lib, a: lib.quantile(a, 0.3, interpolation=interp), (4, 5))
    compare_with_torch(lambda lib, a, q: lib.quantile(a, q, dim=1, interpolation=interp), (3, 5), q)
    compare_with_torch(lambda a, q: a.quantile(q, 0, keepdim=True, interpolation=interp), (4, 3), q)
    compare_with_torch(lambda a: a.quantile(0.5, None, True, interpolation=interp), (2, 3))
    compare_with_torch(lambda a, q: a.quantile(q, -1, interpolation=interp), (2, 3, 4), np.array(0.4, np.float32))
    # half-way ranks: nearest rounds half to even like torch
    compare_with_torch(lambda lib, a: lib.quantile(a, 0.5, interpolation=interp), (4,))
    compare_with_torch(lambda lib, a: lib.quantile(a, 1 / 6, interpolation=interp), (7,))


def test_nanquantile_nan():
    x = np.array([[1.0, NAN, 3.0, 2.0], [NAN, NAN, NAN, NAN], [4.0, 1.0, 0.0, 2.0]], np.float32)
    q = np.array([0.1, 0.5, 0.9], np.float32)
    for name in ("quantile", "nanquantile"):
        for interp in ("linear", "nearest", "midpoint"):
            compare_with_torch(lambda lib, a, q, n=name, i=interp: getattr(lib, n)(a, q, dim=1, interpolation=i),
                               x, q, grad=False)
        compare_with_torch(lambda lib, a, n=name: getattr(lib, n)(a, 0.5), x, grad=False)
    compare_with_torch(lambda lib, a: lib.nanquantile(a, 0.4, dim=1), x[[0, 2]].copy())
    compare_with_torch(lambda lib, a: lib.quantile(a, 0.5, dim=0), np.arange(6, dtype=np.float64).reshape(3, 2))


def test_quantile_errors():
    x = ember.zeros(3)
    with pytest.raises(RuntimeError):
        ember.quantile(x, 1.5)
    with pytest.raises(RuntimeError):
        ember.quantile(x, ember.tensor([0.5, -0.1]))
    with pytest.raises(TypeError):
        ember.quantile(x, ember.tensor([0.5], dtype=ember.float64))
    with pytest.raises(TypeError):
        ember.quantile(ember.tensor([1, 2]), 0.5)
    with pytest.raises(ValueError):
        ember.quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError):
        ember.quantile(ember.zeros(0), 0.5)


# ---------------------------------------------------------------------- gradcheck and bad input
def test_gradcheck_float64():
    rng = np.random.default_rng(3)

    def t(*shape, lo=-1.0, hi=1.0):
        return ember.tensor(rng.uniform(lo, hi, shape)).requires_grad_()

    gc = ember.autograd.gradcheck
    assert gc(lambda a, b: ember.logaddexp(a, b), (t(3), t(3)))
    assert gc(lambda a, b: ember.hypot(a, b), (t(3, lo=0.5), t(3, lo=0.5)))
    assert gc(lambda a, b: ember.cdist(a, b), (t(3, 2), t(4, 2)))
    assert gc(lambda a: ember.sinc(a), (t(4),))
    assert gc(lambda a, b: ember.cross(a, b, dim=0), (t(3, 2), t(3, 2)))
    assert gc(lambda a: ember.quantile(a, 0.3, dim=1), (t(2, 5),))


def test_bad_input():
    with pytest.raises(ValueError, match=r"\[outer\]"):
        ember.outer(ember.zeros(2, 2), ember.zeros(3))
    with pytest.raises(TypeError, match=r"\[kron\]"):
        ember.kron(ember.zeros(2), 3)
    with pytest.raises(RuntimeError, match=r"\[diag_embed\]"):
        ember.diag_embed(ember.zeros(3), 0, 0, 0)
    with pytest.raises(RuntimeError, match=r"\[diff\]"):
        ember.diff(ember.zeros(3, 2), prepend=ember.zeros(3))
    with pytest.raises(RuntimeError, match=r"\[cross\]"):
        ember.cross(ember.zeros(2, 3), ember.zeros(3))
    with pytest.raises(IndexError, match=r"\[index_fill\]"):
        ember.zeros(3, 2).index_fill(0, ember.tensor([0.5]), 1.0)
    with pytest.raises(RuntimeError, match=r"\[index_fill\]"):
        ember.zeros(3, 2).index_fill(0, ember.tensor([0]), ember.zeros(2))
    with pytest.raises(RuntimeError, match="leaf Variable"):
        ember.zeros(3, requires_grad=True).index_fill_(0, ember.tensor([0]), 1.0)


def test_bad_input_in_child():
    # these reach the C++ kernels: they must raise, not crash
    assert_raises_in_child("ember.addmv(ember.zeros(3), ember.zeros(3, 4), ember.zeros(5))", "RuntimeError",
                           "size mismatch")  # torch's type and message
    assert_raises_in_child("ember.zeros(3, 2).index_fill(0, ember.tensor([7]), 1.0)", "IndexError", "out of bounds")


def test_non_contiguous_and_edge_cases():
    # torch.kron itself rejects a transposed input, so torch gets a contiguous copy
    compare_with_torch(lambda lib, a, b: lib.kron(a.t().contiguous() if lib is torch else a.t(), b), (3, 2), (2, 2))
    compare_with_torch(lambda lib, a, b: lib.cdist(a.transpose(0, 1), b), (3, 4), (5, 3), rtol=1e-4)
    compare_with_torch(lambda lib, a: lib.quantile(a.t(), 0.7, dim=0), (3, 4))
    compare_with_torch(lambda lib, a, b: lib.logaddexp(a.t(), b), (3, 4), (3,))
    # zero distances: gradient 0 like torch
    x = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)
    compare_with_torch(lambda lib, a: lib.cdist(a, a), x)
    # negative indices wrap
    compare_with_torch(lambda a, i: a.index_fill(0, i, 1.0), (3, 2), np.array([-1], np.int64))
    # size-1 and empty
    compare_with_torch(lambda lib, a: lib.diff(a, dim=0), (1, 3))
    compare_with_torch(lambda lib, a, b: lib.outer(a, b), (0,), (3,))
    compare_with_torch(lambda lib, a, b: lib.cdist(a, b), (0, 3), (2, 3))
