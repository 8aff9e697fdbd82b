"""Batch norm, layer norm and RMS norm (csrc/ops/norm, ember.nn.functional,
BatchNorm1d/2d/3d, LayerNorm, RMSNorm): values and gradients vs PyTorch in
training and eval, running statistics over several steps, state_dict and reprs,
the composed oracles, float64 gradcheck and gradgradcheck, every SIMD path, bad
input in a child process. Group/instance/LRN norms: test_nn_norm_group.py."""
import json

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn._functional import normalization as N
from helpers import run_in_subprocess

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def _e(a, grad=False):
    return ember.tensor(a, requires_grad=grad)


def _close(e, t, rtol=1e-5, atol=1e-5, msg=""):
    en = e.detach().numpy() if isinstance(e, ember.Tensor) else np.asarray(e)
    tn = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert en.shape == tn.shape, f"{msg}: shape {en.shape} vs torch {tn.shape}"
    np.testing.assert_allclose(en, tn, rtol=rtol, atol=atol, err_msg=msg)


def raises_all_in_child(pre, cases):
    """Each (code, exc_type, *substrings) of ``cases`` must raise exc_type with those
    substrings; all run in one child process (after ``pre``), so a crash fails the
    test instead of the runner, for one interpreter start-up."""
    lines = ["import json, ember, numpy as np", pre, "res = []"]
    for code, *_ in cases:
        lines += ["try:", f"    exec({code!r})", "    res.append(['NOEXC', ''])",
                  "except Exception as e:", "    res.append([type(e).__name__, str(e)])"]
    lines.append("print('RESULTS' + json.dumps(res))")
    r = run_in_subprocess("\n".join(lines))
    assert r.returncode == 0 and "RESULTS" in r.stdout, f"child crashed (rc={r.returncode}):\n{r.stderr[-2000:]}"
    res = json.loads(r.stdout.split("RESULTS", 1)[1])
    for (code, exc, *subs), (got, msg) in zip(cases, res):
        assert got == exc, f"{code}: expected {exc}, got {got}: {msg}"
        for sub in subs:
            assert sub in msg, f"{code}: message lacks {sub!r}: {msg}"


def _run_both(fe, ft, arrays, grad_w, rtol=1e-5, atol=1e-5, grad_rtol=1e-4, grad_atol=1e-4):
    """fe/ft take the same list of tensors; compares outputs and the gradients of
    sum(out * grad_w) wrt every floating input that requires grad (None entries skip)."""
    es = [None if a is None else _e(a, a.dtype.kind == "f") for a in arrays]
    ts = [None if a is None else _t(a, a.dtype.kind == "f") for a in arrays]
    ye, yt = fe(*es), ft(*ts)
    _close(ye, yt, rtol, atol, "output")
    (ye * _e(grad_w.astype(arrays[0].dtype))).sum().backward()
    (yt * _t(grad_w.astype(arrays[0].dtype))).sum().backward()
    for i, (a, b) in enumerate(zip(es, ts)):
        if a is None:
            continue
        assert (a.grad is None) == (b.grad is None), f"grad of input {i}"
        if b.grad is not None:
            _close(a.grad, b.grad, grad_rtol, grad_atol, f"grad of input {i}")
    return es, ts


# ====================================================================== batch norm
BN_SHAPES = [(8, 5), (4, 3, 40), (2, 3, 6, 7), (1, 4, 9), (3, 2, 2, 3, 4), (16, 6, 3), (4, 3, 50), (2, 64, 40),
             (5, 16, 33)]


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_functional_vs_torch(shape, training, affine):
    c = shape[1]
    x = rng.standard_normal(shape).astype(np.float32) * 2 + 0.5
    w = rng.standard_normal(c).astype(np.float32) if affine else None
    b = rng.standard_normal(c).astype(np.float32) if affine else None
    rm0 = rng.standard_normal(c).astype(np.float32)
    rv0 = rng.uniform(0.5, 2, c).astype(np.float32)
    rme, rve, rmt, rvt = _e(rm0.copy()), _e(rv0.copy()), _t(rm0.copy()), _t(rv0.copy())

    def fe(x, w, b):
        return F.batch_norm(x, rme, rve, w, b, training, 0.3, 1e-5)

    def ft(x, w, b):
        return torch.nn.functional.batch_norm(x, rmt, rvt, w, b, training, 0.3, 1e-5)

    _run_both(fe, ft, [x, w, b], rng.standard_normal(shape).astype(np.float32))
    _close(rme, rmt, 1e-5, 1e-6, "running_mean")
    _close(rve, rvt, 1e-5, 1e-6, "running_var")


def test_batch_norm_matches_composed_oracle():
    x0 = rng.standard_normal((6, 4, 5, 3))
    w0, b0 = rng.standard_normal(4), rng.standard_normal(4)
    g = ember.tensor(rng.standard_normal(x0.shape))
    outs = []
    for fn in (lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
               lambda x, w, b: N._composite_batch_norm(x, w, b)):
        x, w, b = _e(x0, True), _e(w0, True), _e(b0, True)
        y = fn(x, w, b)
        (y * g).sum().backward()
        outs.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for a, r in zip(*outs):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)


def test_batch_norm_statistics_accuracy_large_mean():
    # A large offset over a big reduction: float64-accumulated statistics stay exact.
    x = (rng.standard_normal((16, 4, 48, 48)) * 0.5 + 1000).astype(np.float32)
    y = F.batch_norm(_e(x), None, None, training=True).numpy()
    x64 = x.astype(np.float64)
    m = x64.mean((0, 2, 3), keepdims=True)
    ref = (x64 - m) / np.sqrt(x64.var((0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=2e-4)


def test_batch_norm_noncontiguous_and_float64():
    x = rng.standard_normal((5, 6, 4, 3))
    xe = _e(x).permute(0, 3, 2, 1)  # (5, 3, 4, 6): channels = 3
    xt = _t(x).permute(0, 3, 2, 1)
    ye = F.batch_norm(xe, None, None, training=True)
    yt = torch.nn.functional.batch_norm(xt, None, None, training=True)
    assert ye.dtype == ember.float64
    _close(ye, yt, 1e-12, 1e-12)
    xe2 = _e(x.astype(np.float32))[:, ::2]
    xt2 = _t(x.astype(np.float32))[:, ::2]
    _close(F.batch_norm(xe2, None, None, training=True), torch.nn.functional.batch_norm(xt2, None, None, training=True))


def test_batch_norm_empty_batch():
    rm, rv = ember.zeros(3), ember.ones(3)
    x = ember.zeros((0, 3, 4), requires_grad=True)
    y = F.batch_norm(x, rm, rv, training=True)
    assert tuple(y.shape) == (0, 3, 4)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 4)
    np.testing.assert_array_equal(rm.numpy(), 0)
    np.testing.assert_array_equal(rv.numpy(), 1)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (6, 4)), ("BatchNorm1d", (4, 3, 7)),
                                       ("BatchNorm2d", (3, 4, 5, 6)), ("BatchNorm3d", (2, 3, 2, 3, 4))])
def test_batchnorm_module_running_stats_vs_torch(momentum, cls, shape):
    c = shape[1]
    tm = getattr(torch.nn, cls)(c, momentum=momentum)
    em = getattr(nn, cls)(c, momentum=momentum)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(rng.standard_normal(c).astype(np.float32)))
        tm.bias.copy_(torch.tensor(rng.standard_normal(c).astype(np.float32)))
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    for step in range(4):
        x = rng.standard_normal(shape).astype(np.float32) * (step + 1) + step
        g = rng.standard_normal(shape).astype(np.float32)
        xe, xt = _e(x, True), _t(x, True)
        ye, yt = em(xe), tm(xt)
        _close(ye, yt, 1e-5, 1e-5, f"step {step}")
        (ye * _e(g)).sum().backward()
        (yt * _t(g)).sum().backward()
        _close(xe.grad, xt.grad, 1e-4, 1e-4, "grad x")
    _close(em.weight.grad, tm.weight.grad, 1e-4, 1e-4, "grad weight")
    _close(em.bias.grad, tm.bias.grad, 1e-4, 1e-4, "grad bias")
    _close(em.running_mean, tm.running_mean, 1e-5, 1e-6, "running_mean")
    _close(em.running_var, tm.running_var, 1e-5, 1e-6, "running_var")
    assert em.num_batches_tracked.dtype == ember.int64
    assert int(em.num_batches_tracked) == int(tm.num_batches_tracked) == 4
    em.eval()
    tm.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    _run_both(em, tm, [x], rng.standard_normal(shape).astype(np.float32))
    assert int(em.num_batches_tracked) == 4


def test_batchnorm_track_running_stats_false_and_eval():
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    tm, em = torch.nn.BatchNorm1d(3, track_running_stats=False), nn.BatchNorm1d(3, track_running_stats=False)
    assert em.running_mean is None and em.num_batches_tracked is None
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys()) == ["weight", "bias"]
    em.eval()
    tm.eval()
    _run_both(em, tm, [x], rng.standard_normal(x.shape).astype(np.float32))
    # N=1 in eval mode is allowed
    em2 = nn.BatchNorm1d(3)
    em2.eval()
    assert tuple(em2(ember.randn(1, 3)).shape) == (1, 3)


def test_batchnorm_state_dict_repr_and_init_vs_torch():
    configs = [dict(), dict(eps=1e-3, momentum=None), dict(affine=False), dict(track_running_stats=False),
               dict(affine=False, track_running_stats=False), dict(bias=False)]
    for cls in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"):
        for kw in configs:
            e, t = getattr(nn, cls)(7, **kw), getattr(torch.nn, cls)(7, **kw)
            assert repr(e) == repr(t)
            es, ts = e.state_dict(), t.state_dict()
            assert list(es.keys()) == list(ts.keys())
            for k in ts:
                assert tuple(es[k].shape) == tuple(ts[k].shape), k
                np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy())
            assert sum(p.numel() for p in e.parameters()) == sum(p.numel() for p in t.parameters())
    assert repr(nn.BatchNorm2d(64)) == \
        "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert nn.BatchNorm2d(3).num_batches_tracked.dtype == ember.int64
    e = nn.BatchNorm1d(3, dtype=ember.float64)
    assert e.weight.dtype == e.running_mean.dtype == ember.float64


def test_batchnorm_reset_running_stats_and_old_checkpoint():
    m = nn.BatchNorm1d(3)
    m(ember.randn(4, 3) * 3 + 1)
    assert int(m.num_batches_tracked) == 1 and abs(m.running_mean.numpy()).sum() > 0
    m.reset_running_stats()
    np.testing.assert_array_equal(m.running_mean.numpy(), 0)
    np.testing.assert_array_equal(m.running_var.numpy(), 1)
    assert int(m.num_batches_tracked) == 0
    # A checkpoint without num_batches_tracked (version < 2) still loads strictly.
    sd = {k: v for k, v in nn.BatchNorm1d(3).state_dict().items() if k != "num_batches_tracked"}
    m.load_state_dict(sd)


def test_batch_norm_gradcheck_float64():
    for shape in [(4, 3), (3, 2, 5), (2, 3, 2, 2)]:
        c = shape[1]
        x = _e(rng.standard_normal(shape), True)
        w, b = _e(rng.standard_normal(c), True), _e(rng.standard_normal(c), True)
        assert ember.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
        rm, rv = _e(rng.standard_normal(c)), _e(rng.uniform(0.5, 2, c))
        assert ember.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), (x, w, b))


def test_batch_norm_double_backward():
    x = _e(rng.standard_normal((4, 3, 2)), True)
    w, b = _e(rng.standard_normal(3), True), _e(rng.standard_normal(3), True)
    assert ember.autograd.gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    rm, rv = _e(rng.standard_normal(3)), _e(rng.uniform(0.5, 2, 3))
    assert ember.autograd.gradgradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), (x, w, b))


def test_batch_norm_double_backward_vs_torch():
    x0 = rng.standard_normal((5, 3, 4))
    w0 = rng.standard_normal(3)
    res = []
    for lib, mk in ((ember, _e), (torch, _t)):
        x, w = mk(x0, True), mk(w0, True)
        y = lib.nn.functional.batch_norm(x, None, None, w, None, True)
        (gx,) = (ember.autograd.grad if lib is ember else torch.autograd.grad)((y * y * y).sum(), x, create_graph=True)
        (gw,) = (ember.autograd.grad if lib is ember else torch.autograd.grad)((gx * gx).sum(), w)
        res.append((gx.detach().numpy(), gw.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-9, atol=1e-10)


def test_batchnorm_bad_input():
    raises_all_in_child("import ember.nn.functional as F\nimport ember.nn as nn", [
        ("F.batch_norm(ember.randn(2, 3, 4), ember.zeros(4), ember.ones(4))",
         "RuntimeError", "[batch_norm]", "running_mean should contain 3 elements not 4"),
        ("F.batch_norm(ember.randn(2, 3), ember.zeros(3), ember.ones(3), ember.ones(2))",
         "RuntimeError", "[batch_norm]", "weight should contain 3 elements not 2"),
        ("F.batch_norm(ember.randn(2, 3), None, None)", "RuntimeError",
         "running_mean must be defined in evaluation mode"),
        ("nn.BatchNorm2d(3)(ember.randn(2, 3, 4))", "ValueError", "expected 4D input (got 3D input)"),
        ("nn.BatchNorm1d(3)(ember.randn(2, 3, 4, 5))", "ValueError", "expected 2D or 3D input (got 4D input)"),
        ("nn.BatchNorm3d(3)(ember.randn(2, 3, 4, 5))", "ValueError", "expected 5D input (got 4D input)"),
        ("nn.BatchNorm1d(3)(ember.randn(1, 3))", "ValueError", "Expected more than 1 value per channel when training"),
        ("nn.BatchNorm1d(3)(ember.randn(2, 4))", "RuntimeError", "running_mean should contain 4 elements not 3"),
        ("F.batch_norm(ember.tensor([[1, 2], [3, 4]]), None, None, training=True)", "TypeError", "[batch_norm]",
         "floating point"),
        ("F.batch_norm(ember.randn(4), None, None, training=True)", "ValueError", "[batch_norm]", "at least 2 dims"),
        ("F.batch_norm(ember.randn(4, 3), None, None, training=True, eps=0.0)", "ValueError", "eps must be positive"),
        ("F.batch_norm(ember.randn(4, 3), None, None, training=True, momentum=None)", "TypeError", "momentum"),
        ("F.batch_norm(ember.randn(4, 3), [0, 0, 0], None, training=True)", "TypeError", "running_mean"),
        ("ember._C.batch_norm_backward(ember.randn(2, 3)._a, ember.randn(3, 2)._a, None, "
         "ember.zeros(2, dtype=ember.float64)._a, ember.ones(2, dtype=ember.float64)._a, True, [True, True, True])",
         "ValueError", "[batch_norm_backward]"),
        ("ember._C.batch_norm_backward(ember.randn(2, 3)._a, ember.randn(2, 3)._a, None, "
         "ember.zeros(2, dtype=ember.float64)._a, ember.ones(2, dtype=ember.float64)._a, True, [True, True, True])",
         "RuntimeError", "[batch_norm_backward] mean should contain 3 elements"),
    ])


# ====================================================================== layer norm
LN_CASES = [((4, 10), (10,)), ((2, 3, 4, 5), (4, 5)), ((3, 1024), (1024,)), ((5, 3000), (3000,)),
            ((300, 16), (16,)), ((7,), (7,)), ((2, 3, 1), (1,)), ((6, 2, 8), (2, 8))]


@pytest.mark.parametrize("shape,ns", LN_CASES)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_vs_torch(shape, ns, affine):
    r = np.random.default_rng(LN_CASES.index((shape, ns)))  # the same data whatever the test order
    x = r.standard_normal(shape).astype(np.float32) * 3 + 1
    w = r.standard_normal(ns).astype(np.float32) if affine != "none" else None
    b = r.standard_normal(ns).astype(np.float32) if affine == "both" else None
    # Over one element the variance is 0 and rstd = 1/sqrt(eps) ~ 316 magnifies torch's
    # rounding residue in x - mean (ember's is exactly 0): compare at that scale.
    tol = 1e-3 if ns == (1,) else 1e-4
    _run_both(lambda x, w, b: F.layer_norm(x, ns, w, b, 1e-5),
              lambda x, w, b: torch.nn.functional.layer_norm(x, ns, w, b, 1e-5),
              [x, w, b], r.standard_normal(shape).astype(np.float32), grad_atol=tol)


def test_layer_norm_matches_composed_oracle_and_large_mean():
    x0 = rng.standard_normal((5, 6, 7))
    w0, b0 = rng.standard_normal((6, 7)), rng.standard_normal((6, 7))
    g = ember.tensor(rng.standard_normal(x0.shape))
    outs = []
    for fn in (F.layer_norm, N._composite_layer_norm):
        x, w, b = _e(x0, True), _e(w0, True), _e(b0, True)
        y = fn(x, (6, 7), w, b, 1e-5)
        (y * g).sum().backward()
        outs.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for a, r in zip(*outs):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)
    x = (rng.standard_normal((8, 4096)) * 0.1 + 500).astype(np.float32)
    x64 = x.astype(np.float64)
    ref = (x64 - x64.mean(1, keepdims=True)) / np.sqrt(x64.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(F.layer_norm(_e(x), (4096,)).numpy(), ref, rtol=1e-3, atol=1e-3)


def test_layer_norm_noncontiguous_and_float64():
    x = rng.standard_normal((6, 5, 4))
    xe, xt = _e(x, True), _t(x, True)
    ye = F.layer_norm(xe.transpose(0, 2), (6,))
    yt = torch.nn.functional.layer_norm(xt.transpose(0, 2), (6,))
    assert ye.dtype == ember.float64
    _close(ye, yt, 1e-12, 1e-12)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    _close(xe.grad, xt.grad, 1e-10, 1e-10)


def test_layernorm_module_vs_torch():
    for kw in (dict(), dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-3)):
        tm, em = torch.nn.LayerNorm((3, 5), **kw), nn.LayerNorm((3, 5), **kw)
        assert repr(em) == repr(tm)
        assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
        if tm.weight is not None:
            with torch.no_grad():
                tm.weight.copy_(torch.randn(3, 5))
            if tm.bias is not None:
                with torch.no_grad():
                    tm.bias.copy_(torch.randn(3, 5))
            em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
        x = rng.standard_normal((4, 3, 5)).astype(np.float32)
        _run_both(em, tm, [x], rng.standard_normal(x.shape).astype(np.float32))
        if tm.weight is not None:
            _close(em.weight.grad, tm.weight.grad, 1e-4, 1e-4)
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"


def test_layer_norm_gradcheck_and_double_backward():
    x = _e(rng.standard_normal((3, 2, 4)), True)
    w, b = _e(rng.standard_normal((2, 4)), True), _e(rng.standard_normal((2, 4)), True)
    f = lambda x, w, b: F.layer_norm(x, (2, 4), w, b)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))
    x0 = rng.standard_normal((3, 6))
    res = []
    for lib, mk, grad in ((ember, _e, ember.autograd.grad), (torch, _t, torch.autograd.grad)):
        x, w = mk(x0, True), mk(np.linspace(0.5, 1.5, 6), True)
        y = lib.nn.functional.layer_norm(x, (6,), w)
        (gx,) = grad((y * y * y).sum(), x, create_graph=True)
        gx2 = grad((gx * gx).sum(), [x, w])
        res.append([gx.detach().numpy()] + [t.numpy() for t in gx2])
    for a, r in zip(*res):
        np.testing.assert_allclose(a, r, rtol=1e-8, atol=1e-10)


# ====================================================================== rms norm
@pytest.mark.parametrize("shape,ns", [((4, 10), (10,)), ((2, 3, 4, 5), (4, 5)), ((3, 1024), (1024,))])
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("weight", [True, False])
def test_rms_norm_vs_torch(shape, ns, eps, weight):
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(ns).astype(np.float32) if weight else None
    _run_both(lambda x, w: F.rms_norm(x, ns, w, eps), lambda x, w: torch.nn.functional.rms_norm(x, ns, w, eps),
              [x, w], rng.standard_normal(shape).astype(np.float32))


def test_rmsnorm_module_gradcheck_and_oracle():
    for kw in (dict(), dict(eps=1e-4), dict(elementwise_affine=False)):
        assert repr(nn.RMSNorm([4, 3], **kw)) == repr(torch.nn.RMSNorm([4, 3], **kw))
        assert list(nn.RMSNorm(4, **kw).state_dict().keys()) == list(torch.nn.RMSNorm(4, **kw).state_dict().keys())
    x = _e(rng.standard_normal((3, 5)), True)
    w = _e(rng.standard_normal(5), True)
    assert ember.autograd.gradcheck(lambda x, w: F.rms_norm(x, (5,), w, 1e-6), (x, w))
    assert ember.autograd.gradgradcheck(lambda x, w: F.rms_norm(x, (5,), w, 1e-6), (x, w))
    np.testing.assert_allclose(F.rms_norm(x, (5,), w, 1e-6).detach().numpy(),
                               N._composite_layer_norm(x, (5,), w, None, 1e-6, rms=True).detach().numpy(), rtol=1e-12)


def test_layer_norm_bad_input():
    raises_all_in_child("import ember.nn.functional as F", [
        ("F.layer_norm(ember.randn(2, 3, 4), (5,))", "RuntimeError", "[layer_norm]",
         "Given normalized_shape=[5], expected input with shape [*, 5], but got input of size[2, 3, 4]"),
        ("F.layer_norm(ember.randn(2, 3, 4), (3, 4), ember.ones(4))", "RuntimeError",
         "Expected weight to be of same shape as normalized_shape"),
        ("F.layer_norm(ember.randn(2, 3, 4), (3, 4), None, ember.ones(3))", "RuntimeError",
         "Expected bias to be of same shape as normalized_shape"),
        ("F.layer_norm(ember.randn(2, 3), ())", "RuntimeError", "at least 1-dimensional"),
        ("F.layer_norm(ember.randn(2, 3), (2, 2, 3))", "RuntimeError", "[layer_norm]"),
        ("F.layer_norm(ember.randn(2, 3), 'abc')", "TypeError", "[layer_norm]"),
        ("F.rms_norm(ember.randn(2, 3), (4,))", "RuntimeError", "[rms_norm]"),
        ("F.layer_norm(ember.tensor([1, 2]), (2,))", "TypeError", "[layer_norm]"),
        ("ember._C.layer_norm_backward(ember.randn(2, 3)._a, ember.randn(2, 3)._a, [3], "
         "ember.zeros(5, dtype=ember.float64)._a, ember.ones(2, dtype=ember.float64)._a, None, False, "
         "[True, True, True])", "RuntimeError", "[layer_norm_backward] mean should contain 2 elements"),
    ])


# ====================================================================== SIMD paths
@pytest.mark.parametrize("simd", ["scalar", "avx2", "avx512"])
def test_norms_every_simd_path(simd):
    code = f"""
import os, numpy as np
os.environ['EMBER_SIMD'] = '{simd}'
import ember, ember.nn.functional as F
if '{simd}' == 'scalar':
    ember.set_num_threads(1)  # the single-thread branches (channel split, one chunk)
rng = np.random.default_rng(3)
for dt in (np.float32, np.float64):
    tol = 2e-5 if dt == np.float32 else 1e-10
    x = (rng.standard_normal((6, 5, 70)) * 2 + 1).astype(dt)
    x64 = x.astype(np.float64)
    # batch norm (row path) and its column path (short runs)
    for xx in (x, x[:, :, :3].copy()):
        y = F.batch_norm(ember.tensor(xx), None, None, training=True).numpy()
        m = xx.astype(np.float64).mean((0, 2), keepdims=True); v = xx.astype(np.float64).var((0, 2), keepdims=True)
        ref = (xx - m) / np.sqrt(v + 1e-5)
        assert np.allclose(y, ref, rtol=tol, atol=tol), abs(y - ref).max()
    y = F.layer_norm(ember.tensor(x), (70,)).numpy()
    ref = (x64 - x64.mean(2, keepdims=True)) / np.sqrt(x64.var(2, keepdims=True) + 1e-5)
    assert np.allclose(y, ref, rtol=tol, atol=tol)
    t = ember.tensor(x, requires_grad=True)
    F.layer_norm(t, (70,)).pow(2).sum().backward()
    assert np.abs(t.grad.numpy()).max() < 1e-3  # sum(y^2) is constant: zero gradient
    y = F.group_norm(ember.tensor(x), 5).numpy()
    assert np.allclose(y, ref, rtol=tol, atol=tol)
    y = F.local_response_norm(ember.tensor(x), 3, 0.5, 0.75, 1.0).numpy()
    sq = np.pad(x64 ** 2, ((0, 0), (1, 1), (0, 0)))
    d = 1.0 + 0.5 / 3 * (sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:])
    assert np.allclose(y, x64 / d ** 0.75, rtol=tol, atol=tol)
print('ok')
"""
    r = run_in_subprocess(code)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


def test_mixed_dtypes_raise_like_torch():
    x = ember.randn(2, 3, dtype=ember.float64)
    w, b = ember.ones(3), ember.zeros(3)
    cases = [lambda: F.layer_norm(x, (3,), w, b), lambda: F.group_norm(x.reshape(2, 3, 1), 1, w, b),
             lambda: F.batch_norm(x, ember.zeros(3), ember.ones(3), training=True),
             lambda: F.layer_norm(x.float(), (3,), w.double())]
    for f in cases:
        with pytest.raises(RuntimeError, match="mixed dtype"):
            f()
    assert F.layer_norm(x.to(ember.bfloat16), (3,), w, b).dtype == ember.bfloat16  # float32 params allowed
