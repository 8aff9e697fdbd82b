"""Activations and the fused softmax / log_softmax kernels (ember.nn.functional,
ember.nn activation layers): values and gradients vs PyTorch, the composed
exp/sum oracle, float64 gradcheck, stability, every SIMD path, bad input."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import assert_raises_in_child, compare_with_torch

rng = np.random.default_rng(0)


def composed_softmax(x, dim, log=False):
    """The oracle: softmax from primitive ember ops."""
    m = x.detach().amax(dim, keepdim=True)
    e = (x - m).exp()
    s = e.sum(dim, keepdim=True)
    return (x - m) - s.log() if log else e / s


def np_softmax(x, dim):
    e = np.exp(x - x.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


# ---------------------------------------------------------------- softmax kernels
@pytest.mark.parametrize("shape,dim", [((4, 7), -1), ((4, 7), 0), ((3, 5, 6), 1), ((2, 3, 300), 1), ((2, 300, 3), 2),
                                       ((37,), 0), ((2, 3, 4, 5), 2), ((1, 1), 1), ((0, 5), 1), ((5, 1029), -1)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_vs_composed_oracle(shape, dim, log):
    x = rng.standard_normal(shape).astype(np.float32) * 3
    t = ember.tensor(x, requires_grad=True)
    y = (F.log_softmax if log else F.softmax)(t, dim)
    t2 = ember.tensor(x, requires_grad=True)
    ref = composed_softmax(t2, dim, log)
    np.testing.assert_allclose(y.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    ref_np = np_softmax(x.astype(np.float64), dim)
    np.testing.assert_allclose(y.detach().numpy(), np.log(ref_np) if log else ref_np, rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(shape).astype(np.float32)
    (y * ember.tensor(g)).sum().backward()
    (ref * ember.tensor(g)).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), t2.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("simd", ["scalar", "avx2", "avx512"])
def test_softmax_every_simd_path(simd):
    code = f"""
import os, numpy as np
os.environ['EMBER_SIMD'] = '{simd}'
import ember, ember.nn.functional as F
x = np.random.default_rng(1).standard_normal((9, 1000)).astype(np.float32) * 10
e = np.exp(x - x.max(1, keepdims=True)); ref = e / e.sum(1, keepdims=True)
y = F.softmax(ember.tensor(x), 1).numpy()
assert np.allclose(y, ref, rtol=1e-5, atol=1e-7), abs(y - ref).max()
ls = F.log_softmax(ember.tensor(x), 1).numpy()
assert np.allclose(ls, np.log(ref), rtol=1e-5, atol=1e-5)
l = F.cross_entropy(ember.tensor(x), ember.tensor(np.arange(9) * 7)).item()
assert abs(l + np.log(ref[np.arange(9), np.arange(9) * 7]).mean()) < 1e-4
print('ok')
"""
    from helpers import run_in_subprocess

    r = run_in_subprocess(code)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


def test_softmax_noncontiguous_and_float64():
    x = rng.standard_normal((6, 8))
    t = ember.tensor(x).t()  # transposed view
    np.testing.assert_allclose(F.softmax(t, 1).numpy(), np_softmax(x.T, 1), rtol=1e-12)
    assert F.softmax(t, 1).dtype == ember.float64
    y = F.log_softmax(ember.tensor(x)[:, ::2], 0)
    np.testing.assert_allclose(y.numpy(), np.log(np_softmax(x[:, ::2], 0)), rtol=1e-12)


def test_softmax_stability_large_and_inf():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [0.0, -np.inf, 1.0],
                  [-np.inf, -np.inf, -np.inf]], dtype=np.float32)
    torch = pytest.importorskip("torch")
    for fn in ("softmax", "log_softmax"):
        e = getattr(F, fn)(ember.tensor(x), 1).numpy()
        r = getattr(torch.nn.functional, fn)(torch.tensor(x), 1).numpy()
        np.testing.assert_allclose(e, r, rtol=1e-6, atol=1e-6, equal_nan=True)
    assert np.isnan(F.softmax(ember.tensor(x), 1).numpy()[3]).all()
    assert np.isfinite(F.softmax(ember.tensor(x), 1).numpy()[:3]).all()


def test_softmax_gradcheck_float64():
    for shape, dim in [((3, 5), 1), ((2, 4, 3), 1), ((4, 2), 0)]:
        for fn in (F.softmax, F.log_softmax, F.softmin):
            x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
            assert ember.autograd.gradcheck(lambda t: fn(t, dim), (x,))


def test_softmax_double_backward_vs_oracle():
    # Second derivatives through the fused backward match the composed oracle's.
    x0 = rng.standard_normal((3, 4))
    v = ember.tensor(rng.standard_normal((3, 4)))
    for log in (False, True):
        res = []
        for f in ((F.log_softmax if log else F.softmax), lambda t, d: composed_softmax(t, d, log)):
            x = ember.tensor(x0, requires_grad=True)
            y = f(x, 1)
            (g,) = ember.autograd.grad((y * y * v).sum(), x, create_graph=True)
            (gg,) = ember.autograd.grad((g * g).sum(), x)
            res.append((g.detach().numpy(), gg.numpy()))
        np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape,dim", [((4, 10), 1), ((2, 3, 5), 0), ((2, 3, 5), 2)])
def test_softmax_vs_torch(fn, shape, dim):
    compare_with_torch(lambda lib, x: getattr(lib.nn.functional, fn)(x, dim), shape)


def test_softmax_dtype_arg_and_implicit_dim():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = F.softmax(ember.tensor(x), 1, dtype=ember.float64)
    assert y.dtype == ember.float64
    with pytest.warns(UserWarning):
        y = F.softmax(ember.tensor(x))
    np.testing.assert_allclose(y.numpy(), torch.softmax(torch.tensor(x), 1).numpy(), rtol=1e-6)


def test_softmax_bad_input():
    assert_raises_in_child("F = __import__('ember.nn.functional').nn.functional\n"
                           "F.softmax(ember.tensor([1, 2, 3]), 0)", "TypeError", "[softmax]")
    assert_raises_in_child("F = __import__('ember.nn.functional').nn.functional\n"
                           "F.softmax(ember.randn(2, 3), 2)", "IndexError", "softmax")
    assert_raises_in_child("ember._C.softmax_backward(ember.randn(2, 3)._a, ember.randn(3, 2)._a, 1, False)",
                           "ValueError", "[softmax_backward]")


# ---------------------------------------------------------------- activations vs torch
ACTS = [
    ("relu", lambda F, x: F.relu(x)),
    ("relu6", lambda F, x: F.relu6(x * 4)),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2)),
    ("elu", lambda F, x: F.elu(x, 1.3)),
    ("selu", lambda F, x: F.selu(x)),
    ("celu", lambda F, x: F.celu(x, 0.7)),
    ("gelu", lambda F, x: F.gelu(x)),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh")),
    ("silu", lambda F, x: F.silu(x)),
    ("mish", lambda F, x: F.mish(x)),
    ("softplus", lambda F, x: F.softplus(x)),
    ("softplus_beta", lambda F, x: F.softplus(x * 10, beta=2.0, threshold=5.0)),
    ("softsign", lambda F, x: F.softsign(x)),
    ("hardtanh", lambda F, x: F.hardtanh(x, -0.5, 0.7)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x * 4)),
    ("hardswish", lambda F, x: F.hardswish(x * 4)),
    ("logsigmoid", lambda F, x: F.logsigmoid(x * 30)),
    ("tanhshrink", lambda F, x: F.tanhshrink(x)),
    ("threshold", lambda F, x: F.threshold(x, 0.1, -2.0)),
    ("glu", lambda F, x: F.glu(x, 1)),
    ("glu_last", lambda F, x: F.glu(x)),
    ("sigmoid", lambda F, x: F.sigmoid(x)),
    ("tanh", lambda F, x: F.tanh(x)),
    ("rrelu_eval", lambda F, x: F.rrelu(x)),
    ("elu_large", lambda F, x: F.elu(x * 200)),
]


@pytest.mark.parametrize("name,fn", ACTS, ids=[a[0] for a in ACTS])
def test_activation_vs_torch(name, fn):
    compare_with_torch(lambda lib, x: fn(lib.nn.functional, x), (6, 8), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name,fn", ACTS[:20], ids=[a[0] for a in ACTS[:20]])
def test_activation_gradcheck(name, fn):
    x = ember.tensor(rng.standard_normal((3, 4)) + 0.05, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: fn(F, t), (x,))


def test_prelu_vs_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    for n in (1, 3):
        e, t = nn.PReLU(n), torch.nn.PReLU(n)
        ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ey, ty = e(ex), t(tx)
        np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
        ey.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5)
        assert repr(e) == repr(t)


def test_rrelu_training_slopes_in_range():
    x = ember.tensor(-np.ones((100,), np.float32))
    y = F.rrelu(x, 0.1, 0.3, training=True).numpy()
    assert ((y <= -0.1 + 1e-6) & (y >= -0.3 - 1e-6)).all() and len(np.unique(y)) > 1
    m = nn.RReLU(0.1, 0.3)
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2, rtol=1e-6)


def test_inplace_variants():
    x = rng.standard_normal((4, 5)).astype(np.float32)
    for fn, ref in [(F.relu_, np.maximum(x, 0)), (lambda t: F.elu_(t), np.where(x > 0, x, np.expm1(x))),
                    (lambda t: F.leaky_relu_(t, 0.1), np.where(x > 0, x, 0.1 * x)),
                    (lambda t: F.hardtanh_(t), np.clip(x, -1, 1)),
                    (lambda t: F.relu(t, inplace=True), np.maximum(x, 0))]:
        t = ember.tensor(x.copy())
        out = fn(t)
        assert out is t
        np.testing.assert_allclose(t.numpy(), ref, rtol=1e-6, atol=1e-7)
    # in-place on a non-leaf keeps autograd working
    a = ember.tensor(x, requires_grad=True)
    b = a * 2
    F.relu_(b)
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2.0 * (x > 0), rtol=1e-6)


def test_module_reprs_match_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    pairs = [
        (nn.ReLU(), tnn.ReLU()), (nn.ReLU(inplace=True), tnn.ReLU(inplace=True)), (nn.ReLU6(), tnn.ReLU6()),
        (nn.LeakyReLU(0.2), tnn.LeakyReLU(0.2)), (nn.ELU(), tnn.ELU()), (nn.CELU(0.5), tnn.CELU(0.5)),
        (nn.SELU(), tnn.SELU()), (nn.GELU(), tnn.GELU()), (nn.GELU("tanh"), tnn.GELU("tanh")),
        (nn.SiLU(), tnn.SiLU()), (nn.Mish(), tnn.Mish()), (nn.Softplus(2, 10), tnn.Softplus(2, 10)),
        (nn.Softsign(), tnn.Softsign()), (nn.Hardtanh(-2, 2), tnn.Hardtanh(-2, 2)),
        (nn.Hardsigmoid(), tnn.Hardsigmoid()), (nn.Hardswish(), tnn.Hardswish()), (nn.LogSigmoid(), tnn.LogSigmoid()),
        (nn.Tanhshrink(), tnn.Tanhshrink()), (nn.Threshold(0.1, 20), tnn.Threshold(0.1, 20)), (nn.GLU(), tnn.GLU()),
        (nn.Sigmoid(), tnn.Sigmoid()), (nn.Tanh(), tnn.Tanh()), (nn.Softmax(dim=1), tnn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=-1), tnn.LogSoftmax(dim=-1)), (nn.Softmin(0), tnn.Softmin(0)), (nn.RReLU(), tnn.RReLU()),
        (nn.PReLU(), tnn.PReLU()),
    ]
    for e, t in pairs:
        assert repr(e) == repr(t)


def test_modules_forward_match_functional():
    x = ember.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    for m, f in [(nn.ReLU(), F.relu), (nn.Softmax(1), lambda t: F.softmax(t, 1)), (nn.GELU(), F.gelu),
                 (nn.Tanh(), F.tanh), (nn.LogSoftmax(1), lambda t: F.log_softmax(t, 1))]:
        np.testing.assert_allclose(m(x).numpy(), f(x).numpy())
    assert isinstance(nn.Sequential(nn.Linear(4, 3), nn.ReLU())(x), ember.Tensor)
    assert ember.nn.functional is F


def test_activation_bad_input():
    assert_raises_in_child("import ember.nn.functional as F\nF.glu(ember.randn(3, 5), 1)", "RuntimeError", "[glu]")
    assert_raises_in_child("import ember.nn.functional as F\nF.gelu(ember.randn(3), approximate='x')",
                           "ValueError", "[gelu]")
    assert_raises_in_child("import ember.nn.functional as F\nF.relu([1.0])", "TypeError", "[relu]")
    assert_raises_in_child("import ember.nn.functional as F\nF.prelu(ember.randn(2, 3), ember.randn(4))",
                           "RuntimeError", "[prelu]")


def test_softmax_zero_dim_and_half():
    torch = pytest.importorskip("torch")
    x = np.array(2.0, np.float32)
    assert F.softmax(ember.tensor(x), 0).item() == 1.0
    assert F.log_softmax(ember.tensor(x), -1).item() == 0.0
    h = rng.standard_normal((4, 6)).astype(np.float16)
    y = F.softmax(ember.tensor(h), 1)
    assert y.dtype == ember.float16
    np.testing.assert_allclose(y.numpy().astype(np.float32),
                               torch.softmax(torch.tensor(h).float(), 1).half().float().numpy(), atol=1e-3)
