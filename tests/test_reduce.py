"""Reductions (ember/_ops/reduce.py, csrc/ops/reduce) against NumPy float64 and PyTorch."""
import itertools

import numpy as np
import pytest

import ember
from ember import _C
from ember.tensor import _wrap

from helpers import assert_raises_in_child, compare_with_torch, needs_torch

rng = np.random.default_rng(0)

LEVELS = [lv for lv in ("scalar", "avx2", "avx512")
          if ("scalar", "avx2", "avx512").index(lv) <= ("scalar", "avx2", "avx512").index(_C.cpu_max_simd_level())]
HAVE_TENSOR_OPS = all(hasattr(ember.Tensor, m) for m in ("__mul__", "__truediv__", "reshape", "expand", "exp",
                                                         "sign", "abs", "pow", "flip", "__eq__"))
needs_ops = pytest.mark.skipif(not HAVE_TENSOR_OPS, reason="elementwise/shape Tensor ops not available yet")


@pytest.fixture(params=LEVELS)
def simd(request):
    _C.set_simd_level(request.param)
    yield request.param
    _C.set_simd_level(_C.cpu_max_simd_level())


def E(a):
    return _wrap(_C.from_numpy(np.array(a, order="C")).clone())  # ascontiguousarray makes 0-d 1-d


def views(a):
    """(name, ember tensor, numpy array) for contiguous, transposed and step-sliced views of a."""
    out = [("contig", E(a), a)]
    if a.ndim >= 2:
        base = np.ascontiguousarray(np.swapaxes(a, 0, -1))
        t = _wrap(E(base)._a.transpose(0, a.ndim - 1))
        out.append(("transposed", t, a))
    big = np.repeat(a, 2, axis=-1) if a.ndim else a
    if a.ndim:
        s = _wrap(E(big)._a.slice(a.ndim - 1, 0, big.shape[-1], 2))
        out.append(("sliced", s, big[..., ::2]))
    return out


def rand(shape, dtype=np.float32):
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 5 if dtype == np.uint8 else 7, shape).astype(dtype) - (0 if dtype == np.uint8 else 3)
    return rng.standard_normal(shape).astype(dtype)


SHAPES_DIMS = [
    ((7,), [None, 0, -1]),
    ((3, 4, 5), [None, 0, 1, 2, -1, (0, 2), (-1, -2), (0, 1, 2)]),
    ((2, 3, 4, 5), [(1, 3), (0, 2), 3, (0, 1, 2, 3)]),
    ((1, 5, 1), [0, 1, (0, 2)]),
    ((33, 70), [0, 1]),   # the column schedule (outer-dim reduction, >= 16 kept columns)
    ((0, 3), [0, 1, None]),
    ((4, 0), [0, 1]),
]


def npdims(d, ndim):
    if d is None:
        return None
    return (d,) if isinstance(d, int) else tuple(d)


def check(e, ref, rtol=1e-5, atol=1e-6, dtype=None):
    en = e.numpy()
    ref = np.asarray(ref)
    assert en.shape == ref.shape, (en.shape, ref.shape)
    if dtype is not None:
        assert e.dtype == dtype, (e.dtype, dtype)
    np.testing.assert_allclose(en.astype(np.float64), ref.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)


# ---------------------------------------------------------------------- values vs NumPy
@pytest.mark.parametrize("shape,dims", SHAPES_DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean_prod_vs_numpy(shape, dims, keepdim, simd):
    a = rand(shape)
    for name, t, x in views(a):
        x64 = x.astype(np.float64)
        for d in dims:
            nd = npdims(d, x.ndim)
            check(ember.sum(t, d, keepdim), x64.sum(nd, keepdims=keepdim), dtype=ember.float32)
            if x.size:
                check(ember.mean(t, d, keepdim), x64.mean(nd, keepdims=keepdim))
            check(ember.prod(t, d, keepdim) if d is None or isinstance(d, int) else ember.prod(t, d, keepdim),
                  x64.prod(nd, keepdims=keepdim), rtol=1e-4)
            check(ember.nansum(t, d, keepdim), np.nansum(x64, nd, keepdims=keepdim))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_, np.float64])
def test_sum_dtypes(dtype):
    a = rand((4, 6), dtype)
    t = E(a)
    expect = ember.float64 if dtype == np.float64 else ember.int64
    for d in [None, 0, 1, (0, 1)]:
        nd = npdims(d, 2)
        check(ember.sum(t, d), a.astype(np.float64).sum(nd), dtype=expect)
        check(ember.prod(t, d), a.astype(np.float64).prod(nd), dtype=expect)
        check(ember.cumsum(t, 1), np.cumsum(a.astype(np.float64), 1), dtype=expect)
    check(ember.sum(t, 1, dtype=ember.float32), a.astype(np.float64).sum(1), dtype=ember.float32)
    check(ember.mean(t, 0, dtype=ember.float64), a.astype(np.float64).mean(0), dtype=ember.float64)


def test_int_sum_wraps_like_int64():
    a = np.array([2 ** 62, 2 ** 62, 2 ** 62], dtype=np.int64)
    assert ember.sum(E(a)).item() == int(np.sum(a))


@pytest.mark.parametrize("shape,dims", SHAPES_DIMS[:5])
def test_amax_amin_argmax_vs_numpy(shape, dims, simd):
    a = rand(shape)
    for name, t, x in views(a):
        for d in dims:
            nd = npdims(d, x.ndim)
            for kd in (False, True):
                check(ember.amax(t, () if d is None else d, kd), x.max(nd, keepdims=kd), rtol=0, atol=0)
                check(ember.amin(t, () if d is None else d, kd), x.min(nd, keepdims=kd), rtol=0, atol=0)
        check(ember.max(t), x.max(), rtol=0, atol=0)
        check(ember.argmax(t), x.argmax(), rtol=0, atol=0, dtype=ember.int64)
        check(ember.argmin(t), x.argmin(), rtol=0, atol=0)
        for d in range(-x.ndim, x.ndim):
            r = ember.max(t, d)
            assert isinstance(r, tuple) and r.values is r[0] and r.indices is r[1]
            check(r.values, x.max(d), rtol=0, atol=0)
            check(r.indices, x.argmax(d), rtol=0, atol=0, dtype=ember.int64)
            r = t.min(d, keepdim=True)
            check(r.indices, np.expand_dims(x.argmin(d), d), rtol=0, atol=0)
            check(ember.argmax(t, d, keepdim=True), np.expand_dims(x.argmax(d), d), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_wins_and_ties(dtype, simd):
    a = rng.standard_normal((5, 37)).astype(dtype)
    a[1, 20] = np.nan
    a[3, 3] = np.nan
    a[3, 30] = np.nan
    a[4, :] = 2.0  # all ties: first index
    t = E(a)
    check(ember.amax(t, 1), a.max(1), rtol=0, atol=0)
    check(ember.amin(t, 1), a.min(1), rtol=0, atol=0)
    r = ember.max(t, 1)
    np.testing.assert_array_equal(r.indices.numpy(), np.argmax(a, 1))
    np.testing.assert_array_equal(ember.argmin(t, 1).numpy(), np.argmin(a, 1))
    assert np.isnan(ember.max(t).item()) and ember.argmax(t).item() == np.argmax(a)
    # Column schedule (reduction over dim 0) with NaN too.
    check(ember.amax(t, 0), a.max(0), rtol=0, atol=0)
    np.testing.assert_array_equal(ember.argmax(t, 0).numpy(), np.argmax(a, 0))
    # Long contiguous runs through the SIMD kernel, NaN at the tail.
    b = rng.standard_normal(1001).astype(dtype)
    assert ember.max(E(b)).item() == b.max() and ember.min(E(b)).item() == b.min()
    b[-1] = np.nan
    assert np.isnan(ember.max(E(b)).item()) and ember.argmax(E(b)).item() == 1000


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_])
def test_extrema_int_bool(dtype):
    a = rand((6, 9), dtype)
    t = E(a)
    for d in (0, 1):
        assert ember.amax(t, d).dtype == t.dtype
        np.testing.assert_array_equal(ember.amax(t, d).numpy(), a.max(d))
        np.testing.assert_array_equal(ember.max(t, d).indices.numpy(), a.argmax(d))
        if dtype != np.bool_:  # torch's argmax/argmin reject bool
            np.testing.assert_array_equal(ember.argmin(t, d).numpy(), a.argmin(d))
    assert ember.max(t).item() == a.max()


@pytest.mark.parametrize("shape,dims", SHAPES_DIMS[:5])
def test_var_std_vs_numpy(shape, dims, simd):
    a = rand(shape, np.float64) * 3 + 100.0  # |mean| >> std: a naive formula loses digits
    for name, t, x in views(a):
        for d in dims:
            nd = npdims(d, x.ndim)
            n = x.size if nd is None else int(np.prod([x.shape[i] for i in nd]))
            for corr in (0, 1):
                if n - corr <= 0:
                    continue
                check(ember.var(t, d, correction=corr), x.var(nd, ddof=corr), rtol=1e-9)
                check(ember.std(t, d, keepdim=True, correction=corr), x.std(nd, ddof=corr, keepdims=True), rtol=1e-9)
            if n > 1:
                v, m = ember.var_mean(t, d)
                check(v, x.var(nd, ddof=1), rtol=1e-9)
                check(m, x.mean(nd), rtol=1e-12)
                s, m = ember.std_mean(t, d, unbiased=False)
                check(s, x.std(nd), rtol=1e-9)
    t = E(a.astype(np.float32))
    check(ember.var(t, 1, False), a.astype(np.float32).astype(np.float64).var(1) if a.ndim > 1 else 0, rtol=1e-4) \
        if a.ndim > 1 else None
    check(ember.var(t), a.astype(np.float32).astype(np.float64).var(ddof=1), rtol=1e-4)


def test_var_single_element_is_nan():
    assert np.isnan(ember.var(E(np.array([3.0]))).item())
    assert ember.var(E(np.array([3.0])), correction=0).item() == 0.0


@pytest.mark.parametrize("p", [2, 1, float("inf"), float("-inf"), 0, 3, 0.5, "fro"])
def test_norm_vs_numpy(p):
    a = rand((4, 6), np.float64)
    a[0, 0] = 0.0
    t = E(a)
    pn = 2 if p == "fro" else p
    for d in [None, 0, 1, (0, 1)]:
        nd = npdims(d, 2)
        flat = a if nd is not None else a.reshape(-1)
        ax = nd if nd is not None else 0
        if pn == 0:
            ref = (flat != 0).sum(ax)
        elif np.isinf(pn):
            ref = np.abs(flat).max(ax) if pn > 0 else np.abs(flat).min(ax)
        else:
            ref = (np.abs(flat) ** pn).sum(ax) ** (1 / pn)
        check(ember.norm(t, p, d), ref, rtol=1e-10)
        if p != "fro":
            check(ember.vector_norm(t, p, d, keepdim=True), np.reshape(ref, ember.sum(t, d, True).shape), rtol=1e-10)
    check(ember.norm(E(a.astype(np.float32))), np.sqrt((a ** 2).sum()), rtol=1e-5)


def test_logsumexp_vs_numpy():
    a = rand((5, 7), np.float64) * 30
    t = E(a)
    for d in [0, 1, (0, 1), -1]:
        nd = npdims(d, 2)
        m = a.max(nd, keepdims=True)
        ref = np.log(np.exp(a - m).sum(nd, keepdims=True)) + m
        check(ember.logsumexp(t, d, keepdim=True), ref, rtol=1e-12)
    big = np.array([1000.0, 1000.0])
    assert ember.logsumexp(E(big), 0).item() == pytest.approx(1000 + np.log(2))
    inf, nan = np.inf, np.nan
    cases = {(-inf, -inf): -inf, (inf, 1.0): inf, (inf, -inf): inf, (inf, inf): inf, (nan, 1.0): nan,
             (1.0, nan): nan, (-inf, 0.0): 0.0}
    for vals, want in cases.items():
        got = ember.logsumexp(E(np.array(vals)), 0).item()
        assert (np.isnan(got) and np.isnan(want)) or got == want, (vals, got, want)


@pytest.mark.parametrize("shape", [(10,), (3, 4, 5), (600, 3), (2, 700)])
def test_cumsum_cumprod_vs_numpy(shape):
    a = rand(shape, np.float64) * 0.5 + 1
    for name, t, x in views(a):
        for d in range(-x.ndim, x.ndim):
            check(ember.cumsum(t, d), np.cumsum(x, d), rtol=1e-12)
            check(ember.cumprod(t, d), np.cumprod(x, d), rtol=1e-10)
    check(ember.cumsum(E(a.astype(np.float32)), 0, dtype=ember.float64), np.cumsum(a.astype(np.float32).astype(np.float64), 0),
          dtype=ember.float64, rtol=1e-12)
    assert ember.cumsum(E(np.ones((0, 3), np.float32)), 0).shape == (0, 3)


def test_all_any_count_nonzero():
    a = rand((4, 5), np.int64)
    a[0] = 1
    f = np.array([[0.0, -0.0, np.nan], [1.0, 0.0, 2.0]])
    for arr in (a, a > 0, f, a.astype(np.uint8)):
        t = E(arr)
        for d in [None, 0, 1, (0, 1)]:
            nd = npdims(d, 2)
            r = ember.all(t, d)
            assert r.dtype == (ember.uint8 if arr.dtype == np.uint8 else ember.bool)
            np.testing.assert_array_equal(r.numpy(), np.all(arr, nd))
            np.testing.assert_array_equal(ember.any(t, d, keepdim=d is not None).numpy(),
                                          np.any(arr, nd, keepdims=d is not None))
            np.testing.assert_array_equal(ember.count_nonzero(t, d).numpy(), np.count_nonzero(arr, nd))
    assert ember.all(E(np.zeros((0,), np.float32))).item() is True
    assert ember.any(E(np.zeros((0,), np.float32))).item() is False


def test_nan_reductions():
    a = rand((4, 6), np.float64)
    a[1, 2] = a[3, 0] = np.nan
    a[2, :] = np.nan
    t = E(a)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for d in [None, 0, 1]:
                check(ember.nansum(t, d), np.nansum(a, d), rtol=1e-12)
                check(ember.nanmean(t, d), np.nanmean(a, d), rtol=1e-12)
    assert np.isnan(ember.sum(t).item())


def test_empty_reductions():
    z = E(np.zeros((0, 3), np.float32))
    assert ember.sum(z).item() == 0 and ember.prod(z).item() == 1
    check(ember.sum(z, 0), np.zeros(3))
    check(ember.prod(z, 0), np.ones(3))
    assert np.isnan(ember.mean(z).item())
    assert ember.amax(z, 1).shape == (0,)   # empty output, non-empty reduction: fine
    assert ember.max(z, 1).indices.shape == (0,)
    assert ember.norm(z).item() == 0


def test_size_one_and_scalar():
    s = E(np.array(2.5))
    assert s.shape == ()
    assert ember.sum(s).item() == 2.5 and ember.sum(s, 0).item() == 2.5 and ember.sum(s, -1, True).shape == ()
    assert ember.max(s).item() == 2.5 and ember.argmax(s).item() == 0
    r = ember.max(s, 0)
    assert r.values.item() == 2.5 and r.indices.item() == 0
    a = rand((1, 1, 4))
    check(ember.sum(E(a), (0, 1)), a.astype(np.float64).sum((0, 1)))
    assert ember.argmax(E(a), keepdim=True).shape == (1, 1, 1)


def test_large_float32_sum_is_accurate():
    x = np.random.default_rng(1).random(1 << 24, dtype=np.float32)
    t = E(x)
    ref = x.astype(np.float64).sum()
    for lv in LEVELS:
        _C.set_simd_level(lv)
        try:
            assert abs(ember.sum(t).item() - ref) / ref < 1e-6
            assert abs(ember.mean(t).item() - ref / x.size) / (ref / x.size) < 1e-6
        finally:
            _C.set_simd_level(_C.cpu_max_simd_level())


def test_simd_levels_agree(simd):
    a = rng.standard_normal((37, 129)).astype(np.float32)
    t = E(a)
    # float32 accumulation (like PyTorch): allow float32 rounding of the partial sums.
    check(ember.sum(t, 1), a.astype(np.float64).sum(1), rtol=1e-6, atol=1e-5)
    check(ember.sum(t, 0), a.astype(np.float64).sum(0), rtol=1e-6, atol=1e-5)
    check(ember.amax(t, 1), a.max(1), rtol=0, atol=0)
    check(ember.amin(t, 0), a.min(0), rtol=0, atol=0)
    np.testing.assert_array_equal(ember.argmax(t, 1).numpy(), a.argmax(1))
    d = a.astype(np.float64)
    check(ember.sum(E(d), 1), d.sum(1), rtol=1e-12)
    check(ember.amax(E(d), 0), d.max(0), rtol=0, atol=0)


@pytest.fixture(params=[1, 2])
def threads(request):
    old = ember.get_num_threads()
    ember.set_num_threads(request.param)
    yield request.param
    ember.set_num_threads(old)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arg_extreme_chunks(dtype, simd, threads):
    # Runs longer than the SIMD kernel's 2048-element chunk: the extreme, ties
    # and NaNs in later chunks; several long rows through the per-output schedule.
    n = 3 * 2048 + 37
    a = rng.standard_normal(n).astype(dtype)
    for pos in (0, 5, 2047, 2048, 4100, n - 1):
        b = a.copy()
        b[pos] = 10.0
        assert ember.argmax(E(b)).item() == pos
        b[pos] = -10.0
        assert ember.argmin(E(b)).item() == pos
    b = a.copy()
    b[[100, 3000, 5000]] = 10.0  # ties across chunks: the first wins
    assert ember.argmax(E(b)).item() == 100
    b[4500] = np.nan  # NaN after the extreme: the first NaN wins
    b[6000] = np.nan
    assert ember.argmax(E(b)).item() == 4500 and ember.argmin(E(b)).item() == 4500
    rows = rng.standard_normal((6, n)).astype(dtype)
    rows[2, 4097] = np.nan
    rows[4, :] = 1.0
    r = ember.max(E(rows), 1)
    np.testing.assert_array_equal(r.indices.numpy(), np.argmax(rows, 1))
    check(r.values, rows.max(1), rtol=0, atol=0)
    np.testing.assert_array_equal(ember.argmin(E(rows), -1).numpy(), np.argmin(rows, 1))


@pytest.mark.parametrize("shape", [(300, 5000), (1000, 70), (13, 4100), (2, 3, 600, 40)])
def test_column_schedules(shape, simd, threads):
    # Reductions over outer dims: row groups of 8 plus a remainder, column
    # blocks split in equal widths, and rows split between threads.
    a = rng.standard_normal(shape).astype(np.float32)
    if shape == (13, 4100):
        a.flat[::997] = np.nan  # NaNs through the row-extreme kernels
    t = E(a)
    d = a.astype(np.float64)
    dims = (0,) if len(shape) == 2 else (0, 2)
    check(ember.sum(t, dims), d.sum(dims), rtol=1e-5, atol=1e-4)
    check(ember.mean(t, dims), d.mean(dims), rtol=1e-5, atol=1e-6)
    check(ember.amax(t, dims), a.max(dims), rtol=0, atol=0)
    check(ember.amin(t, dims), a.min(dims), rtol=0, atol=0)
    check(ember.sum(E(d), dims), d.sum(dims), rtol=1e-12)
    check(ember.amax(E(d), dims), d.max(dims), rtol=0, atol=0)
    if len(shape) == 2:
        np.testing.assert_array_equal(ember.argmax(t, 0).numpy(), np.argmax(a, 0))


def test_float32_block_sums(simd, threads):
    # Lengths around the 4096-element float32 blocks; mixed magnitudes.
    for n in (1, 7, 4095, 4096, 4097, 3 * 4096 + 129):
        x = (rng.standard_normal(n) * np.exp(rng.uniform(-8, 8, n))).astype(np.float32)
        ref = x.astype(np.float64).sum()
        assert abs(ember.sum(E(x)).item() - ref) <= 1e-6 * np.abs(x.astype(np.float64)).sum()


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("code,exc,msg", [
    ("ember.sum(ember.ones(2, 3), 2)", "IndexError", "[sum] Dimension out of range"),
    ("ember.mean(ember.tensor([1, 2, 3]))", "TypeError", "[mean]"),
    ("ember.var(ember.tensor([1, 2, 3]))", "TypeError", "[var]"),
    ("ember.max(ember.zeros(0, 3), 0)", "IndexError", "[max]"),
    ("ember.max(ember.zeros(0))", "RuntimeError", "empty"),
    ("ember.amax(ember.zeros(0, 3), 0)", "IndexError", "[amax]"),
    ("ember.argmax(ember.zeros(0))", "RuntimeError", "[argmax]"),
    ("ember.sum(ember.ones(2, 3), (1, -1))", "ValueError", "multiple times"),
    ("ember.vector_norm(ember.tensor([1, 2]))", "TypeError", "[linalg.vector_norm]"),
    ("ember.norm(ember.zeros(0), float('inf'))", "RuntimeError", "[linalg.vector_norm]"),
    ("ember.cumsum(ember.ones(2, 3), 5)", "IndexError", "[cumsum]"),
    ("ember.max(ember.ones(2, 3), 1.5)", "TypeError", "[max]"),
])
def test_bad_input_raises(code, exc, msg):
    assert_raises_in_child(code, exc, msg)


# ---------------------------------------------------------------------- PyTorch parity
@needs_torch
def test_torch_values_and_dtypes():
    torch = pytest.importorskip("torch")
    a = rand((3, 4, 5))
    i = rand((3, 4), np.int32)
    b = rand((3, 4), np.bool_)
    et, tt = E(a), torch.tensor(a)
    cases = [
        lambda m, x: m.sum(x, (0, 2)), lambda m, x: m.mean(x, -1, keepdim=True), lambda m, x: m.prod(x, 1),
        lambda m, x: m.amax(x, (1, 2)), lambda m, x: m.max(x, 1).values, lambda m, x: m.max(x, 1).indices,
        lambda m, x: m.argmin(x), lambda m, x: m.var(x, 1), lambda m, x: m.std(x, (0, 1), unbiased=False),
        lambda m, x: m.var(x, 2, correction=0, keepdim=True), lambda m, x: m.norm(x), lambda m, x: m.norm(x, 1, 2),
        lambda m, x: m.logsumexp(x, 1), lambda m, x: m.cumsum(x, 1), lambda m, x: m.cumprod(x, -1),
        lambda m, x: m.std_mean(x, 0)[0], lambda m, x: m.var_mean(x, 0)[1], lambda m, x: m.count_nonzero(x, 1),
    ]
    for f in cases:
        e, t = f(ember, et), f(torch, tt)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
    for arr in (i, b):
        e, t = E(arr), torch.tensor(arr)
        for f in (lambda m, x: m.sum(x), lambda m, x: m.sum(x, 0), lambda m, x: m.prod(x, 1),
                  lambda m, x: m.cumsum(x, 0), lambda m, x: m.all(x, 1), lambda m, x: m.any(x),
                  lambda m, x: m.amax(x, 0), lambda m, x: m.max(x, 1).indices):
            er, tr = f(ember, e), f(torch, t)
            assert str(er.dtype).split(".")[-1] == str(tr.dtype).split(".")[-1], (er.dtype, tr.dtype)
            np.testing.assert_array_equal(er.numpy(), tr.numpy())
    assert str(ember.sum(E(i), dtype=ember.float64).dtype) == "ember.float64"


@needs_torch
@needs_ops
@pytest.mark.parametrize("fn", [
    lambda lib, x: lib.sum(x, (0, 2)),
    lambda lib, x: x.sum(),
    lambda lib, x: lib.mean(x, 1, keepdim=True),
    lambda lib, x: lib.prod(x, 1),
    lambda lib, x: lib.amax(x, (1, 2)),
    lambda lib, x: lib.max(x),
    lambda lib, x: lib.max(x, 1).values,
    lambda lib, x: x.min(-1, keepdim=True)[0],
    lambda lib, x: lib.var(x, 1),
    lambda lib, x: lib.std(x, (0, 2), keepdim=True),
    lambda lib, x: lib.var_mean(x, 1),
    lambda lib, x: lib.std_mean(x, 2, correction=0),
    lambda lib, x: lib.norm(x),
    lambda lib, x: lib.norm(x, 1, 2),
    lambda lib, x: lib.norm(x, 3, (0, 1)),
    lambda lib, x: lib.norm(x, float("inf"), 1),
    lambda lib, x: lib.logsumexp(x, 1),
    lambda lib, x: lib.cumsum(x, 1),
    lambda lib, x: lib.cumprod(x, 2),
])
def test_torch_gradients(fn):
    compare_with_torch(fn, (3, 4, 5), atol=1e-5, rtol=1e-4)


@needs_torch
@needs_ops
def test_torch_gradient_special_cases():
    # prod with zeros, amax ties, norm of the zero vector, max over ties.
    a = np.array([[1.0, 0.0, 3.0], [0.0, 2.0, 0.0], [2.0, 2.0, 1.0]], np.float32)
    compare_with_torch(lambda lib, x: lib.prod(x, 1), a)
    compare_with_torch(lambda lib, x: lib.prod(x), np.array([1.0, 0.0, 3.0], np.float32))
    compare_with_torch(lambda lib, x: lib.amax(x, 1), a)
    compare_with_torch(lambda lib, x: lib.max(x), a)
    compare_with_torch(lambda lib, x: lib.norm(x, dim=1), np.zeros((2, 3), np.float32))


@needs_ops
def test_gradcheck():
    gradcheck = getattr(ember.autograd, "gradcheck", None)
    if gradcheck is None:
        pytest.skip("ember.autograd.gradcheck not available")
    x = ember.tensor(rng.standard_normal((3, 4))).requires_grad_()
    for f in [lambda t: t.sum(1), lambda t: t.mean(), lambda t: t.prod(0), lambda t: t.var(1),
              lambda t: t.std(), lambda t: t.norm(dim=1), lambda t: t.norm(3), lambda t: t.logsumexp(1),
              lambda t: t.cumsum(0), lambda t: t.cumprod(1), lambda t: t.max(1).values, lambda t: t.amin(0)]:
        assert gradcheck(f, (x,))
