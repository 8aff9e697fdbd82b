"""CUDA reductions and scans (csrc/ops/reduce/reduce_*_cuda.cu) against ember's CPU kernels,
and against torch on CUDA when it is installed with a GPU.

Every case builds the same input on the CPU and on the GPU (contiguous, transposed and
step-sliced views), runs the op on both and compares: dtypes and shapes equal, values
within a tolerance suited to the dtype (indices exactly). Shapes exercise each CUDA
schedule: warp-per-row and block-per-row rows, the column kernel (reduction over outer
dims), split reductions with a finalize pass (few outputs, long rows), the strided
fallback and full reductions to a scalar.

Skips as a whole without a usable GPU (or on a build without CUDA)."""
import math

import numpy as np
import pytest

import ember
from ember import _C
from ember.tensor import _wrap

pytestmark = pytest.mark.cuda
if not ember.cuda.is_available():
    pytest.skip(f"no CUDA GPU: {_C.cuda.unavailable_reason()}", allow_module_level=True)

try:
    import torch

    HAVE_TORCH_CUDA = torch.cuda.is_available()
except Exception:  # noqa: BLE001 - torch missing or broken: the torch checks skip
    torch = None
    HAVE_TORCH_CUDA = False
needs_torch_cuda = pytest.mark.skipif(not HAVE_TORCH_CUDA, reason="torch with CUDA not available")

FLOATS = [ember.float32, ember.float64, ember.float16, ember.bfloat16]
ALL = [ember.bool, ember.uint8, ember.int32, ember.int64] + FLOATS
TOL = {  # (rtol, atol) of CUDA vs CPU
    ember.float32: (1e-5, 1e-4),
    ember.float64: (1e-11, 1e-10),
    ember.float16: (1e-2, 1e-2),
    ember.bfloat16: (2e-2, 2e-2),
}


def host(t):
    """NumPy copy of a tensor on any device (bfloat16/float16 widened to float64)."""
    t = t.detach().cpu()
    if t.dtype in (ember.bfloat16, ember.float16):
        t = t.to(ember.float64)
    return t.numpy()


def rand(shape, dt, seed=0, lo=-2.0, hi=2.0):
    r = np.random.default_rng(seed)
    if dt == ember.bool:
        return r.random(shape) > 0.5
    if dt == ember.uint8:
        return r.integers(0, 6, shape).astype(np.uint8)
    if dt in (ember.int32, ember.int64):
        return r.integers(-4, 5, shape).astype(np.int64)
    return r.uniform(lo, hi, shape)


def make(a, dt):
    return ember.tensor(np.asarray(a)).to(dt)


def views(a, dt):
    """(name, cpu tensor, cuda tensor): contiguous, transposed and step-sliced views of a."""
    base = make(a, dt)
    out = [("contig", base, base.cuda())]
    if a.ndim >= 2:
        tb = make(np.ascontiguousarray(np.swapaxes(a, 0, -1)), dt)
        out.append(("transposed", _wrap(tb._a.transpose(0, a.ndim - 1)),
                    _wrap(tb.cuda()._a.transpose(0, a.ndim - 1))))
    if a.ndim >= 1:
        big = make(np.repeat(a, 2, axis=-1), dt)
        n = big.shape[-1]
        out.append(("sliced", _wrap(big._a.slice(a.ndim - 1, 0, n, 2)),
                    _wrap(big.cuda()._a.slice(a.ndim - 1, 0, n, 2))))
    return out


def assert_same(got, want, what="", exact=False, scale=1.0):
    """got: a CUDA result, want: the CPU result (tolerances of TOL times scale)."""
    assert got.is_cuda, what
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape), f"{what}: shape {tuple(got.shape)} != {tuple(want.shape)}"
    g, w = host(got), host(want)
    if exact or want.dtype not in TOL:
        np.testing.assert_array_equal(g, w, err_msg=what)
    else:
        rtol, atol = TOL[want.dtype]
        np.testing.assert_allclose(g, w, rtol=rtol * scale, atol=atol * scale, equal_nan=True, err_msg=what)


SHAPES_DIMS = [
    ((7,), [None, 0, -1]),
    ((3, 4, 5), [None, 0, 1, 2, -1, (0, 2), (-1, -2), (0, 1, 2)]),
    ((2, 3, 4, 5), [(1, 3), (0, 2), 3, (0, 1, 2, 3)]),
    ((1, 5, 1), [0, 1, (0, 2)]),
    ((33, 70), [0, 1]),
    ((5, 3000), [1, 0, None]),       # block-per-row rows / column kernel
    ((4000, 9), [0, 1]),             # column kernel with splits / short rows (sub-warp groups)
]


# ---------------------------------------------------------------- sum family


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
@pytest.mark.parametrize("op", ["sum", "prod", "nansum"])
def test_sum_prod_all_dtypes(op, dt):
    for shape, dims in SHAPES_DIMS:
        if op == "prod" and math.prod(shape) > 200:
            continue  # keeps products finite and integer products exact
        a = rand(shape, dt, seed=len(shape)) if op != "prod" else rand(shape, dt, lo=0.7, hi=1.3)
        for name, c, g in views(a, dt):
            for d in dims:
                for keep in (False, True):
                    want = getattr(ember, op)(c, d, keepdim=keep)
                    got = getattr(ember, op)(g, d, keepdim=keep)
                    # products accumulate in float on the GPU, in double on the CPU
                    assert_same(got, want, f"{op} {name} {shape} dim={d} keepdim={keep}",
                                scale=10.0 if op == "prod" else 1.0)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("op", ["mean", "nanmean"])
def test_mean(op, dt):
    for shape, dims in SHAPES_DIMS:
        a = rand(shape, dt, seed=3)
        for name, c, g in views(a, dt):
            for d in dims:
                assert_same(getattr(ember, op)(g, d, keepdim=True), getattr(ember, op)(c, d, keepdim=True),
                            f"{op} {name} {shape} {d}")


def test_sum_dtype_argument_and_int_overflow_wraps():
    a = np.array([[2**62, 2**62, 2**62], [1, 2, 3]], dtype=np.int64)
    c, g = make(a, ember.int64), make(a, ember.int64).cuda()
    assert_same(ember.sum(g, 1), ember.sum(c, 1), "int64 wrap")
    b = rand((6, 7), ember.int32)
    assert_same(ember.sum(make(b, ember.int32).cuda(), 0, dtype=ember.float64),
                ember.sum(make(b, ember.int32), 0, dtype=ember.float64), "dtype=float64")
    assert ember.sum(make(b, ember.int32).cuda()).dtype == ember.int64
    assert ember.sum(make(b > 0, ember.bool).cuda()).dtype == ember.int64


def test_nansum_nanmean_with_nans():
    a = rand((6, 40), ember.float32)
    a[1, 3] = np.nan
    a[4, :] = np.nan
    for dt in (ember.float32, ember.float64):
        c, g = make(a, dt), make(a, dt).cuda()
        for d in (None, 0, 1):
            assert_same(ember.nansum(g, d), ember.nansum(c, d), f"nansum {d}")
            assert_same(ember.nanmean(g, d), ember.nanmean(c, d), f"nanmean {d}")


@pytest.mark.parametrize("n", [1, 31, 32, 33, 1023, 1025, 4096 + 3, 1 << 20, 3_000_001])
def test_full_sum_long_vectors(n):
    # Long rows split across blocks (partials + finalize); odd sizes and unaligned starts.
    a = np.random.default_rng(n).uniform(-1, 1, n + 1)
    for dt in (ember.float32, ember.float64):
        base = make(a, dt)
        c = _wrap(base._a.slice(0, 1, n + 1, 1))  # offset by one element: unaligned vector loads
        g = _wrap(base.cuda()._a.slice(0, 1, n + 1, 1))
        rtol = 1e-5 if dt == ember.float32 else 1e-12
        np.testing.assert_allclose(host(ember.sum(g)), host(ember.sum(c)), rtol=rtol, atol=rtol * math.sqrt(n))
        np.testing.assert_allclose(host(ember.mean(g)), host(ember.mean(c)), rtol=rtol, atol=rtol)
        assert_same(ember.amax(g), ember.amax(c), f"amax n={n}", exact=True)


def test_long_rows_and_columns_split():
    r = np.random.default_rng(7)
    cases = [((3, 700_000), 1), ((700_000, 3), 0), ((2, 300_000, 2), 1), ((64, 50_000), 1), ((50_000, 40), 0)]
    for shape, d in cases:
        a = r.uniform(-1, 1, shape)
        c = make(a, ember.float32)
        g = c.cuda()
        np.testing.assert_allclose(host(ember.sum(g, d)), host(ember.sum(c, d)), rtol=1e-4, atol=1e-3)
        assert_same(ember.amax(g, d), ember.amax(c, d), f"amax {shape}", exact=True)
        v1, i1 = ember.max(g, d)
        v0, i0 = ember.max(c, d)
        assert_same(i1, i0, f"argmax {shape}", exact=True)
        assert_same(ember.var(g, d), ember.var(c, d), f"var {shape}")


def test_integer_sums_exact_on_large_inputs():
    a = np.random.default_rng(1).integers(-1000, 1000, (5, 200_001)).astype(np.int64)
    for dt in (ember.int32, ember.int64):
        c, g = make(a, dt), make(a, dt).cuda()
        for d in (None, 0, 1):
            assert_same(ember.sum(g, d), ember.sum(c, d), f"sum {dt} {d}", exact=True)


def test_empty_reductions():
    a = np.zeros((3, 0, 4), np.float32)
    c, g = make(a, ember.float32), make(a, ember.float32).cuda()
    for d in (1, (0, 1), None):
        assert_same(ember.sum(g, d), ember.sum(c, d), f"sum {d}")
        assert_same(ember.prod(g, d), ember.prod(c, d), f"prod {d}")
        assert_same(ember.mean(g, d), ember.mean(c, d), f"mean {d}")
        assert_same(ember.count_nonzero(g, d), ember.count_nonzero(c, d), f"count {d}")
        assert_same(ember.all(g, d), ember.all(c, d), f"all {d}")
    # a kept dim of size 0: empty output
    assert_same(ember.sum(g, 2), ember.sum(c, 2), "sum over non-empty dim of an empty tensor")
    for fn in (lambda t: ember.amax(t, 1), lambda t: ember.argmax(t), lambda t: ember.max(t, 1)):
        with pytest.raises((RuntimeError, IndexError)) as e_cpu:
            fn(c)
        with pytest.raises(type(e_cpu.value)):
            fn(g)


def test_zero_dim_inputs():
    for dt in (ember.float32, ember.int64):
        c = make(np.array(3.0), dt)
        g = c.cuda()
        for op in ("sum", "prod", "amax"):
            assert_same(getattr(ember, op)(g), getattr(ember, op)(c), op)
        assert_same(ember.argmax(g), ember.argmax(c), "argmax", exact=True)
        v1, i1 = ember.max(g, 0)
        v0, i0 = ember.max(c, 0)
        assert_same(v1, v0, "max 0-d")
        assert_same(i1, i0, "max 0-d idx", exact=True)


# ---------------------------------------------------------------- extrema


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_amax_amin_max_min_argmax(dt):
    for shape, dims in SHAPES_DIMS:
        a = rand(shape, dt, seed=5)
        if dt in FLOATS:
            a = np.round(a * 2) / 2  # many ties: first index must win
        for name, c, g in views(a, dt):
            for d in dims:
                assert_same(ember.amax(g, d if d is not None else ()), ember.amax(c, d if d is not None else ()),
                            f"amax {name} {shape} {d}", exact=True)
                assert_same(ember.amin(g, d if d is not None else (), keepdim=True),
                            ember.amin(c, d if d is not None else (), keepdim=True), f"amin {name} {d}", exact=True)
                if d is None or isinstance(d, tuple):
                    continue
                if dt != ember.bool:
                    assert_same(ember.argmax(g, d), ember.argmax(c, d), f"argmax {name} {d}", exact=True)
                    assert_same(ember.argmin(g, d, keepdim=True), ember.argmin(c, d, keepdim=True),
                                f"argmin {name} {d}", exact=True)
                for fn in (ember.max, ember.min):
                    v1, i1 = fn(g, d)
                    v0, i0 = fn(c, d)
                    assert_same(v1, v0, f"{fn.__name__} values {name} {d}", exact=True)
                    assert_same(i1, i0, f"{fn.__name__} indices {name} {d}", exact=True)
            if dt != ember.bool:
                assert_same(ember.argmax(g), ember.argmax(c), f"argmax flat {name}", exact=True)
                assert_same(ember.argmin(g), ember.argmin(c), f"argmin flat {name}", exact=True)


def test_first_index_on_ties_in_long_rows():
    # The max occurs many times, in different blocks/splits: the first index must win.
    n = 2_000_003
    a = np.zeros(n, np.float32)
    for p in (123_457, 500_000, 1_999_999):
        a[p] = 5.0
    c, g = make(a, ember.float32), make(a, ember.float32).cuda()
    assert int(ember.argmax(g).item()) == 123_457
    assert_same(ember.argmax(g), ember.argmax(c), exact=True)
    assert int(ember.argmin(g).item()) == 0
    m = np.zeros((3, 70_001), np.int32)
    m[:, 100] = m[:, 69_000] = 1
    cm, gm = make(m, ember.int32), make(m, ember.int32).cuda()
    assert_same(ember.argmax(gm, 1), ember.argmax(cm, 1), exact=True)
    assert_same(ember.argmax(gm.t().contiguous(), 0), ember.argmax(cm.t().contiguous(), 0), exact=True)


def test_nan_propagation_like_cpu():
    a = np.random.default_rng(2).uniform(-1, 1, (6, 300)).astype(np.float32)
    a[1, 7] = np.nan
    a[1, 200] = np.nan
    a[3, 299] = np.nan
    a[5, 0] = np.nan
    for dt in (ember.float32, ember.float64, ember.float16, ember.bfloat16):
        for name, c, g in views(a, dt):
            for d in (0, 1):
                assert_same(ember.amax(g, d), ember.amax(c, d), f"amax {name} {d}", exact=True)
                assert_same(ember.amin(g, d), ember.amin(c, d), f"amin {name} {d}", exact=True)
                v1, i1 = ember.max(g, d)
                v0, i0 = ember.max(c, d)
                assert_same(v1, v0, f"max {name}", exact=True)
                assert_same(i1, i0, f"max idx {name}", exact=True)
                assert_same(ember.argmin(g, d), ember.argmin(c, d), f"argmin {name}", exact=True)
                assert_same(ember.sum(g, d), ember.sum(c, d), f"sum {name}")
                assert_same(ember.logsumexp(g, d), ember.logsumexp(c, d), f"lse {name}")
                assert_same(ember.linalg.vector_norm(g, math.inf, d), ember.linalg.vector_norm(c, math.inf, d),
                            f"inf-norm {name}")
            assert_same(ember.argmax(g), ember.argmax(c), f"argmax flat {name}", exact=True)


# ---------------------------------------------------------------- statistics


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
def test_var_std(dt):
    for shape, dims in SHAPES_DIMS:
        a = rand(shape, dt, seed=9) + 3.0
        for name, c, g in views(a, dt):
            for d in dims:
                for corr in (0, 1):
                    assert_same(ember.var(g, d, correction=corr), ember.var(c, d, correction=corr),
                                f"var {name} {shape} {d} {corr}")
                    assert_same(ember.std(g, d, correction=corr, keepdim=True),
                                ember.std(c, d, correction=corr, keepdim=True), f"std {name} {d} {corr}")
                v1, m1 = ember.var_mean(g, d)
                v0, m0 = ember.var_mean(c, d)
                assert_same(v1, v0, f"var_mean var {name} {d}")
                assert_same(m1, m0, f"var_mean mean {name} {d}")
                s1, m1 = ember.std_mean(g, d)
                s0, m0 = ember.std_mean(c, d)
                assert_same(s1, s0, f"std_mean {name} {d}")


def test_var_large_mean_and_tiny_counts():
    a = 1e4 + np.random.default_rng(4).standard_normal((8, 5000))
    for dt in (ember.float32, ember.float64):
        c, g = make(a, dt), make(a, dt).cuda()
        for d in (None, 0, 1):
            np.testing.assert_allclose(host(ember.var(g, d)), host(ember.var(c, d)), rtol=2e-3 if dt == ember.float32
                                       else 1e-9)
    one = make(np.array([[1.5], [2.5]]), ember.float32)
    assert_same(ember.var(one.cuda(), 1), ember.var(one, 1), "var of one element (correction 1 -> nan)")
    assert_same(ember.std(one.cuda(), 1, correction=0), ember.std(one, 1, correction=0), "std of one element")


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("ord", [0, 1, 2, math.inf, -math.inf, 3, 0.5])
def test_vector_norm(ord, dt):
    for shape, dims in SHAPES_DIMS[:6]:
        a = rand(shape, dt, seed=11)
        a[..., 0] = 0.0
        for name, c, g in views(a, dt):
            for d in dims:
                assert_same(ember.linalg.vector_norm(g, ord, d), ember.linalg.vector_norm(c, ord, d),
                            f"norm {ord} {name} {shape} {d}")


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
def test_logsumexp(dt):
    for shape, dims in SHAPES_DIMS:
        a = rand(shape, dt, seed=13, lo=-30, hi=30)
        for name, c, g in views(a, dt):
            for d in dims:
                assert_same(ember.logsumexp(g, d if d is not None else list(range(len(shape)))),
                            ember.logsumexp(c, d if d is not None else list(range(len(shape)))),
                            f"lse {name} {shape} {d}")


def test_logsumexp_infinities_and_ints():
    a = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0], [-np.inf, 0.0, 1.0], [np.inf, np.inf, 0.0]])
    for dt in (ember.float32, ember.float64):
        c, g = make(a, dt), make(a, dt).cuda()
        assert_same(ember.logsumexp(g, 1), ember.logsumexp(c, 1), "lse inf")
        assert_same(ember.logsumexp(g, 0), ember.logsumexp(c, 0), "lse inf cols")
    i = make(np.arange(12).reshape(3, 4), ember.int64)
    assert_same(ember.logsumexp(i.cuda(), 1), ember.logsumexp(i, 1), "lse int -> float32")


# ---------------------------------------------------------------- logical


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_all_any_count_nonzero(dt):
    for shape, dims in SHAPES_DIMS:
        a = rand(shape, dt, seed=17)
        if dt in FLOATS:
            a = np.where(np.abs(a) < 0.5, 0.0, a)
            a.flat[0] = -0.0
        for name, c, g in views(a, dt):
            for d in dims:
                dd = d if d is not None else list(range(len(shape)))
                assert_same(ember.all(g, dd), ember.all(c, dd), f"all {name} {d}", exact=True)
                assert_same(ember.any(g, dd, keepdim=True), ember.any(c, dd, keepdim=True), f"any {name} {d}",
                            exact=True)
                assert_same(ember.count_nonzero(g, d), ember.count_nonzero(c, d), f"count {name} {d}", exact=True)


# ---------------------------------------------------------------- scans


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scans(op, dt):
    shapes = [(7,), (3, 4, 5), (2, 33), (5, 3000), (3000, 5), (1, 1)]
    for shape in shapes:
        if op == "cumprod" and dt in FLOATS:
            a = rand(shape, dt, seed=19, lo=0.9, hi=1.1)
        elif op == "cumprod" and dt != ember.bool:
            a = np.random.default_rng(19).integers(0 if dt == ember.uint8 else -1, 3, shape)  # int64 wraps alike
        else:
            a = rand(shape, dt, seed=19)
        for name, c, g in views(a, dt):
            for d in range(-len(shape), len(shape)):
                assert_same(getattr(ember, op)(g, d), getattr(ember, op)(c, d), f"{op} {name} {shape} {d}")


def test_cumsum_long_rows_and_dtype():
    a = np.random.default_rng(3).uniform(-1, 1, (3, 100_003))
    for dt in (ember.float32, ember.float64):
        c, g = make(a, dt), make(a, dt).cuda()
        np.testing.assert_allclose(host(ember.cumsum(g, 1)), host(ember.cumsum(c, 1)), rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(host(ember.cumsum(g, 0)), host(ember.cumsum(c, 0)), rtol=1e-5, atol=1e-4)
    # few long rows take the chunked reduce-then-scan path
    s = np.where(np.random.default_rng(8).random((2, 300_001)) < 0.001, -1, 1)
    for dt in (ember.int64, ember.int32):
        c = make(s, dt)
        assert_same(ember.cumprod(c.cuda(), 1), ember.cumprod(c, 1), f"long cumprod {dt}", exact=True)
        assert_same(ember.cumsum(c.cuda(), -1), ember.cumsum(c, -1), f"long cumsum {dt}", exact=True)
    p = make(np.random.default_rng(9).uniform(0.9999, 1.0001, 200_000), ember.float64)
    np.testing.assert_allclose(host(ember.cumprod(p.cuda(), 0)), host(ember.cumprod(p, 0)), rtol=1e-10)
    b = make(np.random.default_rng(0).random((4, 5000)) > 0.3, ember.bool)
    assert_same(ember.cumsum(b.cuda(), 1), ember.cumsum(b, 1), "bool cumsum -> int64", exact=True)
    i = make(rand((4, 5000), ember.int32), ember.int32)
    assert_same(ember.cumsum(i.cuda(), 1, dtype=ember.float64), ember.cumsum(i, 1, dtype=ember.float64), "dtype=")


def test_scan_0d_and_empty():
    c = make(np.array(2.5), ember.float32)
    assert_same(ember.cumsum(c.cuda(), 0), ember.cumsum(c, 0), "0-d")
    e = make(np.zeros((3, 0)), ember.float32)
    assert_same(ember.cumsum(e.cuda(), 1), ember.cumsum(e, 1), "empty")


# ---------------------------------------------------------------- gradients


def _grad_pair(fn, a, dt=ember.float32):
    out = []
    for dev in ("cpu", "cuda"):
        x = make(a, dt)
        if dev == "cuda":
            x = x.cuda()
        x.requires_grad_(True)
        y = fn(x)
        w = make(np.random.default_rng(1).uniform(-1, 1, tuple(y.shape)), y.dtype)
        if dev == "cuda":
            w = w.cuda()
        (y * w).sum().backward()
        assert x.grad is not None and x.grad.is_cuda == (dev == "cuda")
        out.append((y, x.grad))
    return out


@pytest.mark.parametrize("name,fn", [
    ("sum", lambda x: x.sum(1)),
    ("sum_all", lambda x: x.sum().reshape(1)),
    ("mean", lambda x: x.mean((0, 2), keepdim=True)),
    ("prod", lambda x: x.prod(1)),
    ("amax", lambda x: ember.amax(x, 1)),
    ("max_dim", lambda x: ember.max(x, 2)[0]),
    ("var", lambda x: x.var(1)),
    ("std", lambda x: x.std((0, 1))),
    ("norm2", lambda x: ember.linalg.vector_norm(x, 2, 1)),
    ("norm3", lambda x: ember.linalg.vector_norm(x, 3, (1, 2))),
    ("logsumexp", lambda x: ember.logsumexp(x, 2)),
    ("cumsum", lambda x: x.cumsum(1)),
    ("cumprod", lambda x: x.cumprod(2)),
])
def test_gradients_match_cpu(name, fn):
    a = np.random.default_rng(5).uniform(0.5, 1.5, (3, 4, 5))
    (y0, g0), (y1, g1) = _grad_pair(fn, a)
    assert_same(y1, y0, f"{name} forward")
    assert_same(g1, g0, f"{name} grad")


# ---------------------------------------------------------------- vs torch


@needs_torch_cuda
def test_against_torch_cuda():
    a = np.random.default_rng(6).standard_normal((17, 300, 9)).astype(np.float32)
    g = ember.tensor(a).cuda()
    t = torch.tensor(a, device="cuda")
    for d in (0, 1, 2, (0, 2), None):
        dd = d if d is not None else (0, 1, 2)
        np.testing.assert_allclose(host(g.sum(dd)), t.sum(dd).cpu().numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(host(g.var(dd)), t.var(dd).cpu().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(host(ember.logsumexp(g, dd)), torch.logsumexp(t, dd).cpu().numpy(), rtol=1e-5,
                                   atol=1e-5)
        np.testing.assert_allclose(host(ember.amax(g, dd)), torch.amax(t, dd).cpu().numpy())
    for d in (0, 1, 2):
        np.testing.assert_array_equal(host(g.argmax(d)), t.argmax(d).cpu().numpy())
        np.testing.assert_allclose(host(g.cumsum(d)), t.cumsum(d).cpu().numpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(host(ember.linalg.vector_norm(g, 3, 1)),
                               torch.linalg.vector_norm(t, 3, 1).cpu().numpy(), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- devices


def test_results_stay_on_the_input_device_and_mixed_devices_raise():
    g = ember.tensor(np.ones((3, 4), np.float32)).cuda()
    for r in (g.sum(), g.mean(0), ember.amax(g, 1), g.argmax(), g.var(1), g.cumsum(0), ember.all(g, 0)):
        assert r.is_cuda
    v, i = ember.max(g, 1)
    assert v.is_cuda and i.is_cuda and i.dtype == ember.int64
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        _ = g.sum(0) + ember.ones(4)
