"""CUDA softmax / log_softmax forward and backward (csrc/ops/softmax/softmax_cuda.cu)
against ember's CPU kernels and a composed oracle, and against torch on CUDA when it is
installed with a GPU.

Shapes cover every CUDA schedule: one warp per row with the row in registers (rows of
<= 128 and <= 1024 elements), one block per row (longer rows), and the column kernel
(softmax over a non-innermost dim); views (transposed, sliced) are made contiguous by the
host first. Skips as a whole without a usable GPU (or on a build without CUDA)."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
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
TOL = {
    ember.float32: (1e-5, 1e-6),
    ember.float64: (1e-12, 1e-13),
    ember.float16: (5e-3, 1e-3),
    ember.bfloat16: (3e-2, 1e-2),
}
SHAPES_DIMS = [
    ((7,), [0, -1]),
    ((4, 10), [0, 1]),           # warp rows (MAXE = 4) / columns
    ((3, 5, 128), [-1, 1]),
    ((6, 129), [1]),             # warp rows (MAXE = 32)
    ((5, 1024), [1, 0]),
    ((3, 1025), [1]),            # block per row
    ((2, 20000), [1, 0]),
    ((2, 3, 4, 5), [0, 1, 2, 3]),
    ((1, 1), [0, 1]),
]


def host(t):
    t = t.detach().cpu()
    if t.dtype in (ember.bfloat16, ember.float16):
        t = t.to(ember.float64)
    return t.numpy()


def make(a, dt):
    return ember.tensor(np.asarray(a)).to(dt)


def assert_same(got, want, what):
    assert got.is_cuda, what
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape), what
    rtol, atol = TOL[want.dtype]
    np.testing.assert_allclose(host(got), host(want), rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def views(a, dt):
    base = make(a, dt)
    out = [("contig", base, base.cuda())]
    if a.ndim >= 2:
        tb = make(np.ascontiguousarray(np.swapaxes(a, 0, -1)), dt)
        out.append(("transposed", _wrap(tb._a.transpose(0, a.ndim - 1)),
                    _wrap(tb.cuda()._a.transpose(0, a.ndim - 1))))
    big = make(np.repeat(a, 2, axis=-1), dt)
    n = big.shape[-1]
    out.append(("sliced", _wrap(big._a.slice(a.ndim - 1, 0, n, 2)), _wrap(big.cuda()._a.slice(a.ndim - 1, 0, n, 2))))
    return out


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_forward_matches_cpu(log, dt):
    r = np.random.default_rng(0)
    for shape, dims in SHAPES_DIMS:
        a = r.uniform(-8, 8, shape)
        for name, c, g in views(a, dt):
            for d in dims:
                want = _wrap(_C.softmax(c._a, d, log))
                got = _wrap(_C.softmax(g._a, d, log))
                assert_same(got, want, f"{name} {shape} dim={d}")


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_backward_matches_cpu(log, dt):
    r = np.random.default_rng(1)
    for shape, dims in SHAPES_DIMS:
        for d in dims:
            a = r.uniform(-3, 3, shape)
            gr = r.uniform(-1, 1, shape)
            c = make(a, dt)
            y0 = _wrap(_C.softmax(c._a, d, log))
            g0 = make(gr, dt)
            want = _wrap(_C.softmax_backward(g0._a, y0._a, d, log))
            got = _wrap(_C.softmax_backward(g0.cuda()._a, y0.cuda()._a, d, log))
            assert_same(got, want, f"bwd {shape} dim={d}")


def test_backward_mixed_dtypes_promote():
    a = np.random.default_rng(2).uniform(-2, 2, (4, 50))
    y = _wrap(_C.softmax(make(a, ember.float16)._a, 1, False))
    g = make(np.ones((4, 50)), ember.float32)
    want = _wrap(_C.softmax_backward(g._a, y._a, 1, False))
    got = _wrap(_C.softmax_backward(g.cuda()._a, y.cuda()._a, 1, False))
    assert got.dtype == ember.float32
    assert_same(got, want, "f32 grad, f16 output")


@pytest.mark.parametrize("n", [3, 100, 1000, 5000])
def test_special_values_like_cpu(n):
    # NaN or +inf in a row -> NaN row; all -inf -> NaN; -inf elements -> 0 (log: -inf).
    a = np.random.default_rng(3).uniform(-2, 2, (5, n))
    a[0, n // 2] = np.nan
    a[1, :] = -np.inf
    a[2, 0] = np.inf
    a[3, ::2] = -np.inf
    for dt in (ember.float32, ember.float64):
        for log in (False, True):
            for d in (1, 0):
                c = make(a, dt)
                want = _wrap(_C.softmax(c._a, d, log))
                got = _wrap(_C.softmax(c.cuda()._a, d, log))
                assert_same(got, want, f"special n={n} log={log} dim={d}")


def test_composed_oracle_and_rows_sum_to_one():
    a = np.random.default_rng(4).standard_normal((64, 700)).astype(np.float32)
    g = ember.tensor(a).cuda()
    for d in (0, 1):
        y = F.softmax(g, dim=d)
        ref = np.exp(a - a.max(d, keepdims=True))
        ref /= ref.sum(d, keepdims=True)
        np.testing.assert_allclose(host(y), ref, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(host(y.sum(d)), 1.0, rtol=1e-5)
        ly = F.log_softmax(g, dim=d)
        np.testing.assert_allclose(host(ly), np.log(ref), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((4, 7), 1), ((3, 6, 5), 1), ((2, 2000), 1), ((8, 3), 0)])
def test_autograd_matches_cpu(shape, dim, log):
    a = np.random.default_rng(5).standard_normal(shape)
    w = np.random.default_rng(6).standard_normal(shape)
    res = []
    for dev in ("cpu", "cuda"):
        x = ember.tensor(a).to(ember.float64)
        wt = ember.tensor(w).to(ember.float64)
        if dev == "cuda":
            x, wt = x.cuda(), wt.cuda()
        x.requires_grad_(True)
        y = (F.log_softmax if log else F.softmax)(x, dim=dim)
        (y * wt).sum().backward()
        assert x.grad.is_cuda == (dev == "cuda")
        res.append((y, x.grad))
    assert_same(res[1][0], res[0][0], "forward")
    assert_same(res[1][1], res[0][1], "grad")


def test_empty_and_zero_dim():
    e = make(np.zeros((0, 5)), ember.float32)
    assert tuple(_wrap(_C.softmax(e.cuda()._a, 1, False)).shape) == (0, 5)
    s = make(np.array(1.5), ember.float32)
    assert_same(_wrap(_C.softmax(s.cuda()._a, 0, True)), _wrap(_C.softmax(s._a, 0, True)), "0-d")


def test_mixed_devices_raise_naming_both():
    y = make(np.ones((2, 3)) / 3, ember.float32)
    with pytest.raises(RuntimeError, match="same device.*cpu.*cuda:0|same device.*cuda:0.*cpu"):
        _C.softmax_backward(y._a, y.cuda()._a, 1, False)
    with pytest.raises(RuntimeError, match="same device.*cuda:0.*cpu|same device.*cpu.*cuda:0"):
        _C.softmax_backward(y.cuda()._a, y._a, 1, True)


@needs_torch_cuda
def test_against_torch_cuda():
    r = np.random.default_rng(7)
    for shape, d in [((32, 100), 1), ((8, 4096), 1), ((16, 300, 7), 1), ((5, 1000), 0)]:
        a = r.standard_normal(shape).astype(np.float32)
        gw = r.standard_normal(shape).astype(np.float32)
        for log in (False, True):
            x = ember.tensor(a).cuda()
            x.requires_grad_(True)
            y = (F.log_softmax if log else F.softmax)(x, dim=d)
            (y * ember.tensor(gw).cuda()).sum().backward()
            tx = torch.tensor(a, device="cuda", requires_grad=True)
            ty = (torch.log_softmax if log else torch.softmax)(tx, d)
            (ty * torch.tensor(gw, device="cuda")).sum().backward()
            np.testing.assert_allclose(host(y), ty.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(host(x.grad), tx.grad.cpu().numpy(), rtol=1e-4, atol=1e-6)
