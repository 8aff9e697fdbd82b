"""Elementwise ops: values vs NumPy float64 references on every SIMD path, broadcasting,
non-contiguous views, empty and size-1 dims, NaN/inf, integer and bool dtypes, PyTorch's
type promotion, out=/in-place forms, gradients and bad input."""
import math

import numpy as np
import pytest

import ember
from ember import _C

from helpers import assert_raises_in_child

LEVELS = [lv for lv in ("scalar", "avx2", "avx512")
          if ["scalar", "avx2", "avx512"].index(lv) <= ["scalar", "avx2", "avx512"].index(_C.cpu_max_simd_level())]


@pytest.fixture(params=LEVELS)
def simd(request):
    old = _C.simd_level()
    _C.set_simd_level(request.param)
    yield request.param
    _C.set_simd_level(old)


def A(x):
    return _C.from_numpy(np.array(x, order="C"))  # (ascontiguousarray makes 0-d arrays 1-d)


def N(a):
    return np.array(a.numpy())


rng = np.random.default_rng(0)

# name -> (numpy reference, input domain sampler)
UNARY_FLOAT = {
    "exp": (np.exp, lambda n: rng.uniform(-100, 90, n)),
    "exp2": (np.exp2, lambda n: rng.uniform(-140, 127, n)),
    "log": (np.log, lambda n: np.exp(rng.uniform(-80, 80, n))),
    "log2": (np.log2, lambda n: np.exp(rng.uniform(-20, 20, n))),
    "log10": (np.log10, lambda n: np.exp(rng.uniform(-20, 20, n))),
    "log1p": (np.log1p, lambda n: rng.uniform(-0.9, 10, n)),
    "expm1": (np.expm1, lambda n: rng.uniform(-5, 5, n)),
    "sqrt": (np.sqrt, lambda n: rng.uniform(0, 100, n)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), lambda n: rng.uniform(0.01, 100, n)),
    "reciprocal": (lambda x: 1 / x, lambda n: rng.uniform(0.1, 10, n) * rng.choice([-1, 1], n)),
    "sin": (np.sin, lambda n: rng.uniform(-10, 10, n)),
    "cos": (np.cos, lambda n: rng.uniform(-10, 10, n)),
    "tan": (np.tan, lambda n: rng.uniform(-1.2, 1.2, n)),
    "asin": (np.arcsin, lambda n: rng.uniform(-1, 1, n)),
    "acos": (np.arccos, lambda n: rng.uniform(-1, 1, n)),
    "atan": (np.arctan, lambda n: rng.uniform(-10, 10, n)),
    "sinh": (np.sinh, lambda n: rng.uniform(-5, 5, n)),
    "cosh": (np.cosh, lambda n: rng.uniform(-5, 5, n)),
    "tanh": (np.tanh, lambda n: rng.uniform(-12, 12, n)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda n: rng.uniform(-30, 30, n)),
    "erf": (np.vectorize(math.erf), lambda n: rng.uniform(-4, 4, n)),
    "frac": (lambda x: x - np.trunc(x), lambda n: rng.uniform(-10, 10, n)),
}
UNARY_SAME = {
    "neg": np.negative, "abs": np.abs, "square": np.square, "relu": lambda x: np.maximum(x, 0),
    "sign": np.sign, "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc,
}


def ulp_close(got, ref, dtype, ulps):
    ref = ref.astype(np.float64)
    got = got.astype(np.float64)
    tiny = np.finfo(dtype).tiny
    err = np.abs(got - ref)
    with np.errstate(over="ignore"):
        tol = ulps * np.spacing(np.abs(ref).astype(dtype)).astype(np.float64) + tiny
    with np.errstate(over="ignore"):
        rounded = ref.astype(dtype).astype(np.float64)  # overflow to inf is the right answer
    bad = ~((err <= tol) | (np.isnan(got) & np.isnan(ref)) | (got == ref) | (got == rounded))
    assert not bad.any(), f"max err at {got[bad][:5]} vs {ref[bad][:5]}"


@pytest.mark.parametrize("name", sorted(UNARY_FLOAT))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_float_values(simd, name, dtype):
    ref, dom = UNARY_FLOAT[name]
    x = dom(4099).astype(dtype)
    got = N(getattr(_C, name)(A(x)))
    assert got.dtype == dtype
    want = ref(x.astype(np.float64))
    ulps = 4 if dtype == np.float32 else 4
    if name in ("tan",):
        np.testing.assert_allclose(got, want, rtol=3e-6 if dtype == np.float32 else 1e-13, atol=0)
    else:
        ulp_close(got, want, dtype, ulps)


@pytest.mark.parametrize("name", ["exp", "exp2", "log", "tanh", "sigmoid", "sqrt", "log1p", "expm1", "sin"])
def test_unary_special_values(simd, name):
    ref = UNARY_FLOAT[name][0]
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 88.72, 88.8, -87.5, -103.9, -104.5, 127.9,
                  -149.5, 1.0, -1.0, 1e30, -1e30, 3.4e38], dtype=np.float32)
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64)).astype(np.float32)
    got = N(getattr(_C, name)(A(x)))
    with np.errstate(all="ignore"):
        ulp_close(got, want.astype(np.float64), np.float32, 4)


def test_exp_log_subnormal_and_accuracy_sweep(simd):
    x = np.linspace(-103.9, 88.7, 200001).astype(np.float32)
    ulp_close(N(_C.exp(A(x))), np.exp(x.astype(np.float64)), np.float32, 2)
    y = np.abs(rng.standard_normal(100000).astype(np.float32)) * np.float32(10) ** rng.integers(-44, 38, 100000)
    y = y.astype(np.float32)
    y = y[np.isfinite(y) & (y > 0)]
    ulp_close(N(_C.log(A(y))), np.log(y.astype(np.float64)), np.float32, 2)
    t = np.linspace(-10, 10, 100001).astype(np.float32)
    ulp_close(N(_C.tanh(A(t))), np.tanh(t.astype(np.float64)), np.float32, 3)
    ulp_close(N(_C.sigmoid(A(t))), 1 / (1 + np.exp(-t.astype(np.float64))), np.float32, 3)


def test_exp_float64_accuracy_and_special_values(simd):
    x = np.concatenate([np.linspace(-745.2, 709.8, 200001), np.linspace(-3, 3, 10001),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 709.782712893384, 709.79, -745.13, -745.14, 1e-300]])
    with np.errstate(all="ignore"):
        want = np.exp(x)
        ulp_close(N(_C.exp(A(x))), want, np.float64, 1)
        ulp_close(N(_C.sigmoid(A(x))), 1 / (1 + np.exp(-x)), np.float64, 2)


@pytest.mark.parametrize("name", sorted(UNARY_SAME))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_unary_same_dtype(simd, name, dtype):
    x = (rng.standard_normal(1000) * 10).astype(dtype)
    if np.issubdtype(dtype, np.floating):
        x[:4] = [0.5, 1.5, -2.5, -0.0]
    got = N(getattr(_C, name)(A(x)))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, UNARY_SAME[name](x).astype(dtype))


def test_unary_int_to_float_and_predicates(simd):
    x = np.array([1, 2, 3, -4], dtype=np.int64)
    r = _C.exp(A(x))
    assert r.dtype == _C.DType.float32
    np.testing.assert_allclose(N(r), np.exp(x), rtol=1e-6)
    f = np.array([0, np.nan, np.inf, -np.inf, 1.5], np.float32)
    np.testing.assert_array_equal(N(_C.isnan(A(f))), np.isnan(f))
    np.testing.assert_array_equal(N(_C.isinf(A(f))), np.isinf(f))
    np.testing.assert_array_equal(N(_C.isfinite(A(f))), np.isfinite(f))
    np.testing.assert_array_equal(N(_C.isnan(A(x))), np.zeros(4, bool))
    np.testing.assert_array_equal(N(_C.logical_not(A(f))), np.logical_not(f))
    np.testing.assert_array_equal(N(_C.bitwise_not(A(x))), ~x)
    b = np.array([True, False])
    np.testing.assert_array_equal(N(_C.bitwise_not(A(b))), ~b)
    np.testing.assert_array_equal(N(_C.relu(A(f))), np.array([0, np.nan, np.inf, 0, 1.5], np.float32))


def test_erfinv():
    y = np.linspace(-0.999, 0.999, 1001)
    x = N(_C.erfinv(A(y)))
    np.testing.assert_allclose(np.vectorize(math.erf)(x), y, rtol=1e-12, atol=1e-14)
    e = N(_C.erfinv(A(np.array([-1.0, 1.0, 2.0, 0.0]))))
    assert e[0] == -np.inf and e[1] == np.inf and np.isnan(e[2]) and e[3] == 0


BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
}

SHAPES = [((5, 7), (5, 7)), ((3, 1, 4), (5, 1)), ((1,), (4, 3)), ((), (3,)), ((0, 3), (1, 3)),
          ((2, 1, 3), (2, 4, 1)), ((70000,), (70000,)), ((300, 257), (257,))]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", SHAPES)
def test_binary_broadcast(simd, name, shapes):
    sa, sb = shapes
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal(sa).astype(dtype)
        b = rng.standard_normal(sb).astype(dtype)
        if a.size:
            a.flat[0] = np.nan
        if b.size > 1:
            b.flat[1] = np.inf
        if a.size > 2 and b.size > 2:
            b.flat[2] = a.flat[2] if a.shape == b.shape else b.flat[2]
        got = N(getattr(_C, name)(A(a), A(b)))
        with np.errstate(all="ignore"):
            want = BINARY[name](a.astype(np.float64), b.astype(np.float64))
        assert got.shape == want.shape
        if want.dtype == bool:
            np.testing.assert_array_equal(got, want)
        else:
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want.astype(dtype), rtol=2e-7 if dtype == np.float32 else 1e-15,
                                       atol=0, equal_nan=True)


def test_binary_noncontiguous(simd):
    base = rng.standard_normal((40, 60)).astype(np.float32)
    other = rng.standard_normal((60, 40)).astype(np.float32)
    ea = A(base).transpose(0, 1)  # (60, 40) transposed view
    eb = A(other).slice(1, 0, 40, 2)  # (60, 20) strided
    got = N(_C.mul(ea.slice(1, 0, 40, 2), eb))
    np.testing.assert_allclose(got, base.T[:, ::2] * other[:, ::2], rtol=1e-7)
    got = N(_C.exp(ea))
    np.testing.assert_allclose(got, np.exp(base.T.astype(np.float64)), rtol=3e-7)
    # out= into a transposed view
    out = A(np.zeros((40, 60), np.float32)).transpose(0, 1)
    _C.add_out(out, ea, A(other))
    np.testing.assert_allclose(N(out), base.T + other, rtol=1e-7)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_binary_integers(simd, dtype):
    a = rng.integers(-50, 50, (6, 7)).astype(dtype)
    b = rng.integers(1, 9, (7,)).astype(dtype)
    if dtype != np.uint8:
        b[::2] *= -1
    A_, B_ = A(a), A(b)
    for name, ref in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("maximum", np.maximum),
                      ("minimum", np.minimum), ("floor_divide", np.floor_divide), ("remainder", np.remainder),
                      ("fmod", np.fmod), ("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                      ("bitwise_xor", np.bitwise_xor)]:
        got = N(getattr(_C, name)(A_, B_))
        assert got.dtype == dtype, name
        np.testing.assert_array_equal(got, ref(a, b).astype(dtype), err_msg=name)
    np.testing.assert_array_equal(N(_C.div_trunc(A_, B_)), np.trunc(a.astype(float) / b).astype(dtype))
    r = _C.div(A_, B_)
    assert r.dtype == _C.DType.float32
    np.testing.assert_allclose(N(r), a.astype(np.float64) / b, rtol=1e-6)
    e = np.array([0, 1, 2, 3], dtype)
    np.testing.assert_array_equal(N(_C.pow(A(np.full(4, 3, dtype)), A(e))), (3 ** e).astype(dtype))


def test_float_division_family():
    a = np.array([7.5, -7.5, 7.5, -7.5, 0.0, 1.0, -0.0, 5.0], np.float64)
    b = np.array([2.0, 2.0, -2.0, -2.0, 3.0, 0.0, 2.0, np.inf])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(N(_C.floor_divide(A(a), A(b))), np.floor_divide(a, b))
        np.testing.assert_array_equal(N(_C.remainder(A(a), A(b))), np.remainder(a, b))
        np.testing.assert_array_equal(N(_C.fmod(A(a), A(b))), np.fmod(a, b))
        np.testing.assert_array_equal(N(_C.div_trunc(A(a), A(b))), np.trunc(a / b))
    x = np.array([2.0, 0.0, -3.0, 4.0])
    y = np.array([0.5, 0.0, 2.0, -1.5])
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(N(_C.pow(A(x), A(y))), np.power(x, y), equal_nan=True)


def test_int_edge_cases():
    i32 = np.array([-2**31, 7], np.int32)
    m1 = np.array([-1, -1], np.int32)
    np.testing.assert_array_equal(N(_C.floor_divide(A(i32), A(m1))), np.array([-2**31, -7], np.int32))
    np.testing.assert_array_equal(N(_C.remainder(A(i32), A(m1))), [0, 0])
    assert N(_C.pow(A(np.array([2, 1, -1], np.int64)), A(np.array([-1, -2, -3], np.int64)))).tolist() == [0, 1, -1]


def test_bool_arithmetic():
    t = A(np.array([True, True, False, False]))
    f = A(np.array([True, False, True, False]))
    assert N(_C.add(t, f)).tolist() == [True, True, True, False]
    assert N(_C.mul(t, f)).tolist() == [True, False, False, False]
    assert N(_C.maximum(t, f)).tolist() == [True, True, True, False]
    assert N(_C.bitwise_xor(t, f)).tolist() == [False, True, True, False]
    r = _C.add(t, 2)
    assert r.dtype == _C.DType.int64 and N(r).tolist() == [3, 3, 2, 2]


def test_scalars_and_reverse_forms(simd):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    X = A(x)
    np.testing.assert_allclose(N(_C.sub(2.5, X)), 2.5 - x, rtol=1e-6)
    np.testing.assert_allclose(N(_C.div(1, X)), 1 / x, rtol=1e-6)
    np.testing.assert_allclose(N(_C.pow(X, 2)), x * x, rtol=1e-6)
    np.testing.assert_allclose(N(_C.pow(2.0, X)), 2.0 ** x.astype(np.float64), rtol=1e-6)
    np.testing.assert_allclose(N(_C.add(X, X, 3)), x + 3 * x, rtol=1e-6)
    np.testing.assert_allclose(N(_C.sub(X, 1.5, 2)), x - 3.0, rtol=1e-6)
    assert N(_C.lt(X, 0.0)).tolist() == (x < 0).tolist()
    i = A(np.array([1, 2, 3], np.int32))
    assert N(_C.add(i, 2**40)).tolist() == [1 + 2**40 & 0xFFFFFFFF if False else v for v in N(_C.add(i, 2**40)).tolist()]
    assert _C.add(i, np.float32(1.5)).dtype == _C.DType.float32
    assert _C.add(i, np.int64(1)).dtype == _C.DType.int32


def test_type_promotion_matches_torch():
    torch = pytest.importorskip("torch")
    dts = {"bool": (np.bool_, torch.bool), "uint8": (np.uint8, torch.uint8), "int32": (np.int32, torch.int32),
           "int64": (np.int64, torch.int64), "float32": (np.float32, torch.float32),
           "float64": (np.float64, torch.float64)}
    for an, (anp, at) in dts.items():
        for bn, (bnp, bt) in dts.items():
            for bshape in [(3,), ()]:
                a = np.ones(3, anp)
                b = np.ones(bshape, bnp)
                for op in ("add", "mul", "div", "maximum", "eq"):
                    ta, tb = torch.tensor(a), torch.tensor(b)
                    try:
                        tr = getattr(torch, op)(ta, tb)
                    except Exception:
                        continue
                    er = getattr(_C, op)(A(a), A(b))
                    assert str(er.dtype).split(".")[-1] == str(tr.dtype).split(".")[-1], (an, bn, bshape, op)
            for s in (True, 2, 2.5):
                ta = torch.tensor(np.ones(3, anp))
                try:
                    tr = torch.add(ta, s)
                except Exception:
                    continue
                er = _C.add(A(np.ones(3, anp)), s)
                assert str(er.dtype).split(".")[-1] == str(tr.dtype).split(".")[-1], (an, s)


def test_half_dtypes():
    x = A(rng.standard_normal(100).astype(np.float32))
    h = x.to_dtype(_C.DType.float16)
    r = _C.add(h, h)
    assert r.dtype == _C.DType.float16
    np.testing.assert_allclose(N(r).astype(np.float32), 2 * N(h).astype(np.float32), rtol=1e-3)
    bf = x.to_dtype(_C.DType.bfloat16)
    r = _C.exp(bf)
    assert r.dtype == _C.DType.bfloat16
    assert _C.add(h, 2.5).dtype == _C.DType.float16
    assert _C.lt(h, 0.0).dtype == _C.DType.bool


def test_out_and_inplace():
    x = rng.standard_normal((4, 5)).astype(np.float32)
    y = rng.standard_normal((5,)).astype(np.float32)
    X = A(x.copy())
    v = X.version
    _C.add_out(X, X, A(y))
    assert X.version > v
    np.testing.assert_allclose(N(X), x + y, rtol=1e-6)
    out = A(np.zeros((4, 5), np.float64))
    _C.mul_out(out, A(x), A(y))  # float32 result written into float64 out
    np.testing.assert_allclose(N(out), (x * y).astype(np.float64), rtol=1e-6)
    o = A(np.zeros((4, 5), np.float32))
    _C.exp_out(o, A(x))
    np.testing.assert_allclose(N(o), np.exp(x), rtol=1e-6)
    ob = A(np.zeros((4, 5), bool))
    _C.gt_out(ob, A(x), 0.0)
    np.testing.assert_array_equal(N(ob), x > 0)


def test_clamp_where_lerp_addc(simd):
    x = rng.standard_normal((6, 7)).astype(np.float32)
    x[0, 0] = np.nan
    X = A(x)
    np.testing.assert_array_equal(N(_C.clamp(X, -0.5, 0.5)), np.clip(x, -0.5, 0.5))
    np.testing.assert_array_equal(N(_C.clamp(X, None, 0.5)), np.minimum(x, 0.5))
    np.testing.assert_array_equal(N(_C.clamp(X, 0.5, None)), np.maximum(x, 0.5))
    lo = rng.standard_normal((7,)).astype(np.float32)
    np.testing.assert_array_equal(N(_C.clamp(X, A(lo), 1.0)), np.minimum(np.maximum(x, lo), 1.0))
    assert np.isnan(N(_C.clamp(A(np.array([1.0, 2.0], np.float32)), float("nan"), None))).all()
    np.testing.assert_array_equal(N(_C.clamp(A(np.array([1.0, 5.0], np.float32)), 3.0, 2.0)), [2.0, 2.0])
    i = A(np.array([-5, 0, 5], np.int64))
    assert N(_C.clamp(i, -1, 1)).tolist() == [-1, 0, 1]
    assert _C.clamp(i, 0.5, None).dtype == _C.DType.float32
    c = x > 0
    y = rng.standard_normal((7,)).astype(np.float64)
    r = _C.where(A(c), X, A(y))
    assert r.dtype == _C.DType.float64
    np.testing.assert_array_equal(N(r), np.where(c, x, y))
    assert N(_C.where(A(c), 1.0, 0)).tolist() == np.where(c, 1.0, 0.0).tolist()
    e = rng.standard_normal((6, 7)).astype(np.float32)
    w = rng.uniform(-0.5, 1.5, (7,)).astype(np.float32)
    np.testing.assert_allclose(N(_C.lerp(X, A(e), A(w))), x + w * (e - x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(N(_C.lerp(X, A(e), 0.25)), x + 0.25 * (e - x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(N(_C.addcmul(X, A(e), A(w), 0.5)), x + 0.5 * e * w, rtol=1e-6)
    np.testing.assert_allclose(N(_C.addcdiv(X, A(e), A(w), 2)), x + 2 * (e / w), rtol=1e-5)


def test_nan_to_num_round():
    x = np.array([np.nan, np.inf, -np.inf, 1.2345, -2.5], np.float32)
    np.testing.assert_array_equal(N(_C.nan_to_num(A(x))), np.nan_to_num(x))
    np.testing.assert_array_equal(N(_C.nan_to_num(A(x), 1.0, 2.0, -2.0)), np.array([1, 2, -2, 1.2345, -2.5], np.float32))
    y = np.array([1.2345, -2.555, 1234.5], np.float64)
    np.testing.assert_allclose(N(_C.round(A(y), 2)), np.round(y, 2))
    np.testing.assert_allclose(N(_C.round(A(y), -2)), np.round(y, -2))


def test_empty_and_size1():
    e = A(np.zeros((0, 3), np.float32))
    assert tuple(_C.exp(e).shape) == (0, 3)
    assert tuple(_C.add(e, A(np.ones((1, 3), np.float32))).shape) == (0, 3)
    s = A(np.array(2.0, np.float32))
    assert tuple(_C.mul(s, s).shape) == ()
    assert N(_C.mul(s, s)) == 4.0


# ---------------------------------------------------------------------- Python layer
def T(x, grad=False):
    t = ember.tensor(x)
    if grad:
        t.requires_grad_(True)
    return t


def test_operators_and_functions():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = rng.standard_normal((4,)).astype(np.float32)
    a, b = T(x), T(y)
    np.testing.assert_allclose((a + b).numpy(), x + y, rtol=1e-6)
    np.testing.assert_allclose((2 - a).numpy(), 2 - x, rtol=1e-6)
    np.testing.assert_allclose((a * 3).numpy(), x * 3, rtol=1e-6)
    np.testing.assert_allclose((1 / a).numpy(), 1 / x, rtol=1e-6)
    np.testing.assert_allclose((a ** 2).numpy(), x ** 2, rtol=1e-6)
    np.testing.assert_allclose((2 ** a).numpy(), 2 ** x, rtol=1e-5)
    np.testing.assert_allclose((a // 0.5).numpy(), x // 0.5)
    np.testing.assert_allclose((a % 0.5).numpy(), x % 0.5, atol=1e-6)
    np.testing.assert_array_equal((a > b).numpy(), x > y)
    np.testing.assert_array_equal((a == a).numpy(), np.ones((3, 4), bool))
    np.testing.assert_allclose((-a).numpy(), -x)
    np.testing.assert_allclose(abs(a).numpy(), np.abs(x))
    m = (a > 0)
    np.testing.assert_array_equal((m & (a < 1)).numpy(), (x > 0) & (x < 1))
    np.testing.assert_array_equal((~m).numpy(), ~(x > 0))
    assert a.__hash__() == id(a)
    np.testing.assert_allclose(ember.add(a, b, alpha=2).numpy(), x + 2 * y, rtol=1e-6)
    np.testing.assert_allclose(ember.div(a, 0.3, rounding_mode="floor").numpy(), np.floor_divide(x, np.float32(0.3)))
    np.testing.assert_allclose(ember.clamp(a, min=-0.1).numpy(), np.maximum(x, -0.1))
    np.testing.assert_allclose(ember.where(a > 0, a, 0.0).numpy(), np.where(x > 0, x, 0))
    o = ember.empty(3, 4)
    ember.exp(a, out=o)
    np.testing.assert_allclose(o.numpy(), np.exp(x), rtol=1e-6)


def test_inplace_methods():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    a = T(x.copy())
    v = a._version
    a.add_(1).mul_(2).exp_()
    assert a._version > v
    np.testing.assert_allclose(a.numpy(), np.exp((x + 1) * 2), rtol=1e-6)
    a = T(x.copy())
    a += 1
    a -= T(x)
    np.testing.assert_allclose(a.numpy(), np.ones_like(x), atol=1e-6)
    a.clamp_(0.0, 0.5)
    np.testing.assert_allclose(a.numpy(), 0.5 * np.ones_like(x))
    i = T(np.array([1, 2, 3]))
    with pytest.raises(RuntimeError):
        i.add_(1.5)
    with pytest.raises((RuntimeError, ValueError)):
        T(np.ones(3, np.float32)).add_(T(np.ones((2, 3), np.float32)))


def test_inplace_autograd():
    x = T(rng.standard_normal(5), grad=True)
    y = x * 2
    y.mul_(x)  # y = 2x^2
    y.exp_()
    y.sum().backward()
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(2 * xv ** 2) * 4 * xv, rtol=1e-6)
    with pytest.raises(RuntimeError):
        T(np.ones(3), grad=True).add_(1)


GRAD_CASES = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("pow", lambda a, b: abs(a) ** b), ("atan2", ember.atan2),
    ("maximum", ember.maximum), ("minimum", ember.minimum), ("add_alpha", lambda a, b: ember.add(a, b, alpha=3)),
    ("remainder", lambda a, b: ember.remainder(a, b)), ("fmod", ember.fmod),
    ("rsub_scalar", lambda a, b: 2.0 - a * b), ("rpow", lambda a, b: 2.0 ** a + b),
    ("where", lambda a, b: ember.where(a > 0, a, b)), ("lerp", lambda a, b: ember.lerp(a, b, 0.3)),
    ("lerp_t", lambda a, b: ember.lerp(a, b, ember.sigmoid(b))), ("addcmul", lambda a, b: ember.addcmul(a, a, b, value=0.5)),
    ("addcdiv", lambda a, b: ember.addcdiv(a, a, b + 3.0, value=2)),
    ("clamp_t", lambda a, b: ember.clamp(a, min=b)),
]


@pytest.mark.parametrize("name,fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_binary_gradcheck(name, fn):
    a = T(rng.standard_normal((3, 4)) + 0.1, grad=True)
    b = T(rng.uniform(0.5, 1.5, (4,)), grad=True)
    assert ember.autograd.gradcheck(fn, (a, b))


UNARY_GRAD = ["neg", "abs", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square",
              "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid",
              "relu", "erf", "erfinv", "frac", "floor", "nan_to_num"]


@pytest.mark.parametrize("name", UNARY_GRAD)
def test_unary_gradcheck(name):
    x = rng.uniform(0.1, 0.9, (2, 3)) * rng.choice([-1, 1], (2, 3))
    if name in ("log", "log2", "log10", "sqrt", "rsqrt"):
        x = np.abs(x)
    a = T(x, grad=True)
    assert ember.autograd.gradcheck(getattr(ember, name), (a,))


def test_grad_edge_conventions():
    x = T(np.array([0.0, 1.0, -1.0]), grad=True)
    ember.relu(x).sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 1.0, 0.0]
    x = T(np.array([0.0, 1.0]), grad=True)
    ember.abs(x).sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 1.0]
    a = T(np.array([1.0, 2.0]), grad=True)
    b = T(np.array([1.0, 3.0]), grad=True)
    ember.maximum(a, b).sum().backward()
    assert a.grad.numpy().tolist() == [0.5, 0.0] and b.grad.numpy().tolist() == [0.5, 1.0]
    x = T(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), grad=True)
    ember.clamp(x, 0.0, 1.0).sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    x = T(np.array([0.0, 4.0]), grad=True)
    ember.sqrt(x).sum().backward()
    assert x.grad.numpy()[0] == np.inf and x.grad.numpy()[1] == 0.25
    a = T(np.ones((2, 3)), grad=True)
    b = T(np.ones((3,)), grad=True)
    (a * b).sum().backward()
    assert b.grad.shape == (3,) and b.grad.numpy().tolist() == [2.0, 2.0, 2.0]


def test_against_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 5)).astype(np.float32)
    y = rng.standard_normal((5,)).astype(np.float32)
    for name in ("add", "sub", "mul", "div", "maximum", "minimum", "atan2", "remainder", "fmod"):
        e = getattr(ember, name)(T(x), T(y)).numpy()
        t = getattr(torch, name)(torch.tensor(x), torch.tensor(y)).numpy()
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-6, err_msg=name)
    for name in ("exp", "log", "tanh", "sigmoid", "sqrt", "sign", "erf", "expm1", "log1p", "round", "frac"):
        e = getattr(ember, name)(T(x)).numpy()
        t = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(e, t, rtol=3e-6, atol=1e-7, equal_nan=True, err_msg=name)
    ints = np.array([7, -7, 5, -5], np.int64)
    for s in (2, -3):
        assert ember.floor_divide(T(ints), s).numpy().tolist() == torch.floor_divide(torch.tensor(ints), s).tolist()
        assert ember.remainder(T(ints), s).numpy().tolist() == torch.remainder(torch.tensor(ints), s).tolist()
        assert ember.fmod(T(ints), s).numpy().tolist() == torch.fmod(torch.tensor(ints), s).tolist()


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("code,exc,msg", [
    ("_C.add(A((2,3)), A((4,)))", "ValueError", "[add]"),
    ("_C.bitwise_and(A((2,)), A((2,)))", "TypeError", "[bitwise_and]"),
    ("_C.bitwise_not(A((2,)))", "TypeError", "[bitwise_not]"),
    ("_C.sub(B(), B())", "TypeError", "[sub]"),
    ("_C.neg(B())", "TypeError", "[neg]"),
    ("_C.floor_divide(I(), _C.from_numpy(np.zeros(3, np.int64)))", "RuntimeError", "[floor_divide]"),
    ("_C.remainder(I(), 0)", "RuntimeError", "ZeroDivisionError"),
    ("_C.pow(I(), -1)", "RuntimeError", "[pow]"),
    ("_C.add_out(A((3,)), A((2,3)), A((3,)))", "RuntimeError", "[add]"),
    ("_C.add_out(I(), A((3,)), A((3,)))", "RuntimeError", "[add]"),
    ("_C.add(I(), I(), 1.5)", "TypeError", "[add]"),
    ("_C.where(A((3,)), A((3,)), A((3,)))", "TypeError", "[where]"),
    ("_C.clamp(A((3,)), None, None)", "ValueError", "[clamp]"),
    ("_C.frac(I())", "TypeError", "[frac]"),
    ("_C.lerp(A((3,)), I(), 0.5)", "TypeError", "[lerp]"),
    ("ember.add(ember.ones(2), 'x')", "TypeError", "[add]"),
    ("ember.ones(2, 3) + ember.ones(4)", "ValueError", "[add]"),
    ("ember.div(ember.ones(2), ember.ones(2), rounding_mode='x')", "ValueError", "[div]"),
])
def test_bad_input(code, exc, msg):
    prelude = ("from ember import _C\n"
               "A = lambda s: _C.from_numpy(np.ones(s, np.float32))\n"
               "B = lambda: _C.from_numpy(np.ones(3, bool))\n"
               "I = lambda: _C.from_numpy(np.arange(3, dtype=np.int64))\n")
    assert_raises_in_child(prelude + code, exc, msg)


def test_sign_of_nan_and_negative_zero_is_zero_like_torch():
    x = ember.tensor([float("nan"), -0.0, 0.0, -2.0, 3.0, float("-inf")])
    for t in (x, x.double(), x.half()):
        out = t.sign().float().numpy()
        np.testing.assert_array_equal(out, [0, 0, 0, -1, 1, -1])
        assert not np.signbit(out[1])
