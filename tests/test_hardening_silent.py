"""Paths that used to accept bad input silently (issue 7 item 6): NumPy byte order,
Python numbers out of a dtype's range, out-of-range dims, and the shape pairings of
addr/addmv/addmm/baddbmm/addbmm. Each is compared with PyTorch."""
import json

import numpy as np
import pytest

import ember
from helpers import compare_with_torch, needs_torch, run_in_subprocess, to_numpy

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return type(e).__name__, str(e)
    return "ok", r


def _same_outcome(e, t):
    """ember and torch raised the same type with torch's message inside ember's, or both
    returned equal values."""
    assert e[0] == t[0], (e, t)
    if t[0] == "ok":
        np.testing.assert_array_equal(to_numpy(e[1]), to_numpy(t[1]))
        assert str(e[1].dtype).split(".")[-1] == str(t[1].dtype).split(".")[-1]
    else:
        assert t[1] in e[1], (e[1], t[1])


# ---------------------------------------------------------------- byte order
_BIG = [np.arange(6, dtype=">i4").reshape(2, 3), np.arange(4, dtype=">f8"), np.arange(3, dtype=">f4")]


@needs_torch
@pytest.mark.parametrize("arr", _BIG, ids=lambda a: a.dtype.str)
@pytest.mark.parametrize("fn", ["from_numpy", "tensor", "as_tensor", "as_tensor_dtype"])
def test_big_endian_arrays_raise_like_torch(arr, fn):
    def call(lib):
        if fn == "as_tensor_dtype":
            return lib.as_tensor(arr, dtype=lib.float32)
        return getattr(lib, fn)(arr)

    e, t = _outcome(lambda: call(ember)), _outcome(lambda: call(torch))
    assert e[0] == t[0] == "ValueError"
    assert "given numpy array has byte order different from the native byte order" in e[1]


def test_native_and_swapped_copies_convert():
    a = np.arange(6, dtype=">i4").reshape(2, 3)
    native = a.astype(a.dtype.newbyteorder("="))
    for fn in (ember.from_numpy, ember.tensor, ember.as_tensor):
        np.testing.assert_array_equal(to_numpy(fn(native)), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(to_numpy(ember.from_numpy(np.arange(3, dtype="<f4"))), [0, 1, 2])


# ---------------------------------------------------------------- number ranges
_NUMBER_CASES = [
    "tensor([2**63])", "tensor(2**63)", "tensor([-2**63-1])", "tensor([-2**63])", "tensor([2**63-1])",
    "tensor([[1], [2**64]])", "tensor([True, 2**63])", "tensor([2**63], dtype=L.int64)",
    "tensor([2**70], dtype=L.uint8)", "as_tensor([2**63])",
    "tensor([1.0, 2**70])", "tensor([2**63, 1.5])", "tensor([2**63], dtype=L.float32)",
    "tensor([2**64], dtype=L.float64)", "tensor([[1, 2], [3, 2**63]], dtype=L.float64)",
    "tensor([300], dtype=L.uint8)", "tensor([-1], dtype=L.uint8)", "tensor([-255], dtype=L.uint8)",
    "tensor([-256], dtype=L.uint8)", "tensor([255], dtype=L.uint8)", "tensor([2**31], dtype=L.int32)",
    "tensor([-2**31], dtype=L.int32)", "tensor([1.5], dtype=L.uint8)", "tensor([300.0], dtype=L.uint8)",
    "tensor([float('inf')], dtype=L.int64)", "tensor([float('nan')], dtype=L.int32)",
    "tensor(2.0**70, dtype=L.int64)", "tensor([1e10], dtype=L.int64)", "tensor([1e40], dtype=L.float32)",
    "tensor([70000.0], dtype=L.float16)", "tensor([256], dtype=L.bool)", "tensor(np.int64(300), dtype=L.uint8)",
    "tensor(np.array([300]), dtype=L.uint8)",
    "full((2,), 2**70, dtype=L.int64)", "full((2,), 2**63)", "full((2,), 2**63, dtype=L.int64)",
    "full((2,), 2**70)", "full((2,), 2**64)", "full((2,), -2**63-1)", "full((2,), 300, dtype=L.uint8)",
    "full((2,), -1, dtype=L.uint8)", "full((2,), -255, dtype=L.uint8)", "full((2,), -256, dtype=L.uint8)",
    "full((2,), 2**40, dtype=L.int32)", "full((2,), 1e40, dtype=L.float32)", "full((2,), 1e300, dtype=L.float64)",
    "full((2,), 70000.0, dtype=L.float16)", "full((2,), float('inf'), dtype=L.float32)",
    "full((2,), float('nan'), dtype=L.int64)", "full((2,), 300, dtype=L.bool)", "full((2,), 2.5, dtype=L.int64)",
    "full((2,), 2**62 + 1, dtype=L.int64)", "full((2,), -2**63)", "full((2,), 2**70, dtype=L.float32)",
]


@needs_torch
@pytest.mark.parametrize("expr", _NUMBER_CASES)
def test_python_numbers_out_of_range_match_torch(expr):
    e = _outcome(lambda: eval("L." + expr, {"L": ember, "np": np}))
    t = _outcome(lambda: eval("L." + expr, {"L": torch, "np": np}))
    assert e[0] == t[0], (expr, e, t)
    if t[0] == "ok":
        np.testing.assert_array_equal(to_numpy(e[1]), to_numpy(t[1]))
        assert str(e[1].dtype).split(".")[-1] == str(t[1].dtype).split(".")[-1]
    elif t[0] == "RuntimeError":
        assert "without overflow" in e[1] and "without overflow" in t[1]
    elif t[0] == "ValueError":
        assert "Overflow when unpacking long long" in e[1]


def test_full_int64_beyond_double_precision_is_exact():
    for v in (2**62 + 1, -(2**63), 2**63 - 1, 2**53 + 1):
        t = ember.full((3,), v, dtype=ember.int64)
        assert t.tolist() == [v, v, v]


def test_number_overflow_in_child():
    code = """
    import json
    res = {}
    for expr in ("ember.tensor([2**63])", "ember.tensor([2**200])", "ember.tensor([300], dtype=ember.uint8)",
                 "ember.full((2,), 2**70, dtype=ember.int64)", "ember.full((2,), 2**300)",
                 "ember.from_numpy(np.arange(3, dtype='>i4'))", "ember.tensor([float('nan')], dtype=ember.int64)",
                 "ember.tensor([2**63], device='cuda')"):
        try:
            eval(expr)
            res[expr] = "NOEXC"
        except Exception as e:
            res[expr] = type(e).__name__
    print(json.dumps(res))
    """
    r = run_in_subprocess("import ember, numpy as np\n" + code.replace("\n    ", "\n"))
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res == {
        "ember.tensor([2**63])": "ValueError", "ember.tensor([2**200])": "ValueError",
        "ember.tensor([300], dtype=ember.uint8)": "RuntimeError",
        "ember.full((2,), 2**70, dtype=ember.int64)": "OverflowError", "ember.full((2,), 2**300)": "OverflowError",
        "ember.from_numpy(np.arange(3, dtype='>i4'))": "ValueError",
        "ember.tensor([float('nan')], dtype=ember.int64)": "RuntimeError",
        "ember.tensor([2**63], device='cuda')": "ValueError",
    }


# ---------------------------------------------------------------- dims out of range
def _idx(L):
    return L.zeros(2, 3, dtype=L.int64)


_DIM_OPS = {
    "sum": lambda L, x, d: L.sum(x, d), "sum_list": lambda L, x, d: x.sum(dim=[0, d]),
    "mean": lambda L, x, d: L.mean(x, d), "prod": lambda L, x, d: L.prod(x, d),
    "nansum": lambda L, x, d: L.nansum(x, d), "nanmean": lambda L, x, d: L.nanmean(x, d),
    "max": lambda L, x, d: L.max(x, d), "min": lambda L, x, d: L.min(x, d), "t_max": lambda L, x, d: x.max(d),
    "amax": lambda L, x, d: L.amax(x, d), "amin": lambda L, x, d: L.amin(x, d),
    "aminmax": lambda L, x, d: L.aminmax(x, dim=d), "argmax": lambda L, x, d: L.argmax(x, d),
    "argmin": lambda L, x, d: L.argmin(x, d), "var": lambda L, x, d: L.var(x, d), "std": lambda L, x, d: L.std(x, d),
    "var_mean": lambda L, x, d: L.var_mean(x, d), "std_mean": lambda L, x, d: L.std_mean(x, d),
    "norm": lambda L, x, d: L.norm(x, dim=d), "t_norm": lambda L, x, d: x.norm(dim=d),
    "vector_norm": lambda L, x, d: L.linalg.vector_norm(x, dim=d), "linalg_norm": lambda L, x, d: L.linalg.norm(x, dim=d),
    "logsumexp": lambda L, x, d: L.logsumexp(x, d), "cumsum": lambda L, x, d: L.cumsum(x, d),
    "cumprod": lambda L, x, d: L.cumprod(x, d), "all": lambda L, x, d: L.all(x > 0, d),
    "any": lambda L, x, d: L.any(x > 0, d), "count_nonzero": lambda L, x, d: L.count_nonzero(x, d),
    "softmax": lambda L, x, d: L.nn.functional.softmax(x, d), "t_softmax": lambda L, x, d: x.softmax(d),
    "log_softmax": lambda L, x, d: L.nn.functional.log_softmax(x, d),
    "softmin": lambda L, x, d: L.nn.functional.softmin(x, d),
    "glu": lambda L, x, d: L.nn.functional.glu(L.ones(2, 4), d),
    "cosine_similarity": lambda L, x, d: L.nn.functional.cosine_similarity(x, x, d),
    "normalize": lambda L, x, d: L.nn.functional.normalize(x, dim=d),
    "gumbel_softmax": lambda L, x, d: L.nn.functional.gumbel_softmax(x, dim=d),
    "cat": lambda L, x, d: L.cat([x, x], d), "split": lambda L, x, d: L.split(x, 1, d),
    "t_split": lambda L, x, d: x.split(1, d), "chunk": lambda L, x, d: L.chunk(x, 2, d),
    "tensor_split": lambda L, x, d: L.tensor_split(x, 2, d), "unbind": lambda L, x, d: L.unbind(x, d),
    "narrow": lambda L, x, d: L.narrow(x, d, 0, 1), "select": lambda L, x, d: L.select(x, d, 0),
    "squeeze": lambda L, x, d: L.squeeze(x, d), "squeeze_": lambda L, x, d: x.clone().squeeze_(d),
    "unflatten": lambda L, x, d: L.unflatten(x, d, (1, -1)),
    "transpose": lambda L, x, d: L.transpose(x, 0, d), "transpose_b": lambda L, x, d: L.transpose(x, d, 0),
    "flip": lambda L, x, d: L.flip(x, (d,)), "roll": lambda L, x, d: L.roll(x, 1, d),
    "movedim": lambda L, x, d: L.movedim(x, d, 0), "permute": lambda L, x, d: x.permute(0, d),
    "flatten": lambda L, x, d: L.flatten(x, d), "flatten_end": lambda L, x, d: L.flatten(x, 0, d),
    "diagonal": lambda L, x, d: L.diagonal(x, 0, 0, d), "repeat_interleave": lambda L, x, d: L.repeat_interleave(x, 2, d),
    "gather": lambda L, x, d: L.gather(x, d, _idx(L)), "scatter": lambda L, x, d: L.scatter(x, d, _idx(L), x),
    "scatter_add": lambda L, x, d: L.scatter_add(x, d, _idx(L), x),
    "scatter_reduce": lambda L, x, d: L.scatter_reduce(x, d, _idx(L), x, "sum"),
    "index_select": lambda L, x, d: L.index_select(x, d, L.zeros(1, dtype=L.int64)),
    "index_add": lambda L, x, d: L.index_add(x, d, L.zeros(1, dtype=L.int64), x[:1]),
    "index_copy": lambda L, x, d: L.index_copy(x, d, L.zeros(1, dtype=L.int64), x[:1]),
    "index_fill": lambda L, x, d: L.index_fill(x, d, L.zeros(1, dtype=L.int64), 1.0),
    "take_along_dim": lambda L, x, d: L.take_along_dim(x, _idx(L), d),
    "sort": lambda L, x, d: L.sort(x, d), "t_sort": lambda L, x, d: x.sort(d), "argsort": lambda L, x, d: L.argsort(x, d),
    "topk": lambda L, x, d: L.topk(x, 1, d), "kthvalue": lambda L, x, d: L.kthvalue(x, 1, d),
    "median": lambda L, x, d: L.median(x, d), "cross": lambda L, x, d: L.cross(L.ones(3, 3), L.ones(3, 3), d),
    "diff": lambda L, x, d: L.diff(x, dim=d), "quantile": lambda L, x, d: L.quantile(x, 0.5, d),
    "nanquantile": lambda L, x, d: L.nanquantile(x, 0.5, d), "size": lambda L, x, d: x.size(d),
    "stride": lambda L, x, d: x.stride(d),
}
# Ops whose dim may also name the new axis: valid range [-ndim-1, ndim].
_DIM_OPS_NEW_AXIS = {
    "stack": lambda L, x, d: L.stack([x, x], d), "unsqueeze": lambda L, x, d: L.unsqueeze(x, d),
    "unsqueeze_": lambda L, x, d: x.clone().unsqueeze_(d),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(_DIM_OPS) + sorted(_DIM_OPS_NEW_AXIS))
def test_out_of_range_dims_raise_index_error_like_torch(name):
    fn = _DIM_OPS.get(name)
    extra = 0
    if fn is None:
        fn, extra = _DIM_OPS_NEW_AXIS[name], 1
    ndim = 2 + extra
    for d in (ndim, -ndim - 1):
        t = _outcome(lambda: fn(torch, torch.ones(2, 3), d))
        e = _outcome(lambda: fn(ember, ember.ones(2, 3), d))
        assert t[0] == "IndexError", t
        assert e[0] == "IndexError", (name, d, e)
        want = f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})"
        assert t[1] == want
        assert want in e[1], (name, e[1])


@needs_torch
@pytest.mark.parametrize("name", ["sum", "softmax", "cumsum", "flip", "transpose", "select", "sort", "gather"])
def test_in_range_dims_still_work(name):
    fn = _DIM_OPS[name]
    for d in (1, -2):
        t = fn(torch, torch.arange(6.0).reshape(2, 3), d)
        e = fn(ember, ember.arange(6.0).reshape(2, 3), d)
        for a, b in zip(e if isinstance(e, tuple) else (e,), t if isinstance(t, tuple) else (t,)):
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6)


def test_bad_dims_in_child():
    code = """
    import json
    x = ember.ones(2, 3)
    res = []
    for expr in ("x.sum(2**62)", "x.sum(-2**62)", "ember.index_copy(x, 7, ember.zeros(1, dtype=ember.int64), x[:1])",
                 "ember.take_along_dim(x, ember.zeros(2, 3, dtype=ember.int64), -9)", "x.softmax(5)",
                 "ember.nn.functional.glu(ember.ones(2, 4), 9)", "ember.ones(()).sum(1)"):
        try:
            eval(expr)
            res.append("NOEXC")
        except Exception as e:
            res.append(type(e).__name__)
    print(json.dumps(res))
    """
    r = run_in_subprocess("import ember\n" + code.replace("\n    ", "\n"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout.strip().splitlines()[-1]) == ["IndexError"] * 7


# ---------------------------------------------------------------- BLAS-style shapes
T = "ones"
_BLAS_CASES = [
    ("addr", (3,), (3,), (4,)), ("addr", (4,), (3,), (4,)), ("addr", (3, 1), (3,), (4,)), ("addr", (), (3,), (4,)),
    ("addr", (2, 3, 4), (3,), (4,)), ("addr", (5, 4), (3,), (4,)), ("addr", (3, 4), (3, 1), (4,)),
    ("addr", (3, 4), (3,), (4, 1)),
    ("addmv", (3,), (3, 4), (5,)), ("addmv", (1,), (3, 4), (4,)), ("addmv", (4,), (3, 4), (4,)),
    ("addmv", (2, 3), (3, 4), (4,)), ("addmv", (3,), (3, 4, 1), (4,)), ("addmv", (3,), (3, 4), (4, 1)),
    ("addmv", (), (3, 4), (4,)), ("addmv", (3,), (3, 4), (4,)),
    ("addmm", (3,), (2, 3), (3, 3)), ("addmm", (2, 1), (2, 3), (3, 4)), ("addmm", (3, 4), (2, 3), (3, 4)),
    ("addmm", (2, 3, 4), (2, 3), (3, 4)), ("addmm", (2, 4), (2, 3), (4, 4)), ("addmm", (2, 4), (2, 3, 1), (3, 4)),
    ("addmm", (2, 4), (2, 3), (3,)), ("addmm", (7,), (2, 3), (3, 4)), ("addmm", (2, 4), (2, 3), (3, 4)),
    ("baddbmm", (2, 3, 5), (2, 3, 4), (2, 4, 5)), ("baddbmm", (3, 5), (2, 3, 4), (2, 4, 5)),
    ("baddbmm", (5, 3, 5), (2, 3, 4), (2, 4, 5)), ("baddbmm", (2, 3, 6), (2, 3, 4), (2, 4, 5)),
    ("baddbmm", (2, 3, 5), (2, 3, 4), (3, 4, 5)), ("baddbmm", (2, 3, 5), (2, 3, 4), (2, 5, 5)),
    ("baddbmm", (1, 2, 3, 5), (2, 3, 4), (2, 4, 5)), ("baddbmm", (2, 3, 5), (2, 3), (2, 4, 5)),
    ("addbmm", (3, 5), (2, 3, 4), (2, 4, 5)), ("addbmm", (5,), (2, 3, 4), (2, 4, 5)),
    ("addbmm", (4, 5), (2, 3, 4), (2, 4, 5)), ("addbmm", (2, 3, 5), (2, 3, 4), (2, 4, 5)),
    ("addbmm", (3, 5), (2, 3, 4), (3, 4, 5)), ("addbmm", (3, 5), (2, 3, 4), (2, 5, 5)),
    ("addbmm", (3, 5), (2, 3), (2, 4, 5)),
]


@needs_torch
@pytest.mark.parametrize("op,si,s1,s2", _BLAS_CASES, ids=lambda v: str(v))
@pytest.mark.parametrize("beta", [1, 0])
def test_blas_shape_pairings_match_torch(op, si, s1, s2, beta):
    def call(L):
        return getattr(L, op)(L.ones(si), L.ones(s1) * 0.5, L.ones(s2) * 2, beta=beta, alpha=3)

    e, t = _outcome(lambda: call(ember)), _outcome(lambda: call(torch))
    assert e[0] == t[0], (e, t)
    if t[0] == "ok":
        np.testing.assert_allclose(to_numpy(e[1]), to_numpy(t[1]), rtol=1e-6)
    else:
        # torch's messages, after ember's "[op] " (torch names the dtype in expand's message)
        tm = t[1].replace("torch.FloatTensor{", "").replace("]}", "]").replace("addr: ", "")
        assert tm in e[1], (e[1], t[1])
        assert e[1].startswith(f"[{op}] ")


@needs_torch
def test_blas_values_and_gradients_match_torch():
    compare_with_torch(lambda lib, i, a, b: lib.addr(i, a, b, beta=0.5, alpha=2), (3, 1), (3,), (4,))
    compare_with_torch(lambda lib, i, a, b: lib.addmv(i, a, b, alpha=2), (1,), (3, 4), (4,))
    compare_with_torch(lambda lib, i, a, b: lib.addmm(i, a, b, beta=2), (4,), (2, 3), (3, 4))
    compare_with_torch(lambda lib, i, a, b: lib.baddbmm(i, a, b), (3, 5), (2, 3, 4), (2, 4, 5), rtol=1e-4)
    compare_with_torch(lambda lib, i, a, b: lib.addbmm(i, a, b), (5,), (2, 3, 4), (2, 4, 5), rtol=1e-4)


def test_blas_bad_input_in_child():
    code = """
    import json
    o = ember.ones
    res = []
    for expr in ("ember.addmv(o(3), o(3, 4), o(5))", "ember.addr(o(3), o(3), o(4))",
                 "ember.addmm(o(3, 4), o(2, 3), o(3, 4))", "ember.baddbmm(o(5, 3, 5), o(2, 3, 4), o(2, 4, 5))",
                 "ember.addbmm(o(3, 5), o(2, 3, 4), o(3, 4, 5))", "ember.addmm(o(2, 4), o(2, 0), o(0, 4))",
                 "ember.addmm('x', o(2, 3), o(3, 4))", "ember.addmv(o(3), o(3, 4), [1, 2, 3, 4])",
                 "ember.addmm(o(2, 4), o(2, 3), o(3, 4, dtype=ember.int64))",
                 "ember.addbmm(o(1, 1), o(2**20, 1, 0), o(2**20, 0, 1))"):
        try:
            r = eval(expr)
            res.append("OK" if isinstance(r, ember.Tensor) else "NOEXC")
        except Exception as e:
            res.append(type(e).__name__)
    print(json.dumps(res))
    """
    r = run_in_subprocess("import ember\n" + code.replace("\n    ", "\n"))
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res[:5] == ["RuntimeError"] * 5
    assert res[5] == "OK"  # empty inner dimension: beta * input, like torch
    assert res[6] == "TypeError" and res[7] == "TypeError"
    assert res[8] in ("RuntimeError", "TypeError")
    assert res[9] == "OK"
