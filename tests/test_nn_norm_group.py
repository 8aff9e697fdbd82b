"""Group norm, instance norm and local response norm (csrc/ops/norm,
ember.nn.functional, GroupNorm, InstanceNorm1d/2d/3d, LocalResponseNorm): values
and gradients vs PyTorch, running statistics, unbatched input, state_dict and
reprs, composed oracles, gradcheck / gradgradcheck, bad input in a child process."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn._functional import normalization as N
from test_nn_norm import _close, _e, _run_both, _t, raises_all_in_child

torch = pytest.importorskip("torch")
rng = np.random.default_rng(1)


# ====================================================================== group norm
GN_CASES = [((2, 6, 5), 3), ((3, 4, 2, 3), 2), ((2, 6), 3), ((1, 8, 4, 4), 8), ((2, 8, 40), 1),
            ((4, 32, 7, 7), 8), ((2, 4, 1, 3), 4)]


@pytest.mark.parametrize("shape,groups", GN_CASES)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_vs_torch(shape, groups, affine):
    c = shape[1]
    x = rng.standard_normal(shape).astype(np.float32) * 2 - 1
    w = rng.standard_normal(c).astype(np.float32) if affine else None
    b = rng.standard_normal(c).astype(np.float32) if affine else None
    _run_both(lambda x, w, b: F.group_norm(x, groups, w, b, 1e-5),
              lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b, 1e-5),
              [x, w, b], rng.standard_normal(shape).astype(np.float32))


def test_group_norm_oracle_noncontiguous_float64():
    x0 = rng.standard_normal((3, 6, 4, 2))
    w0, b0 = rng.standard_normal(6), rng.standard_normal(6)
    g = ember.tensor(rng.standard_normal(x0.shape))
    outs = []
    for fn in (F.group_norm, N._composite_group_norm):
        x, w, b = _e(x0, True), _e(w0, True), _e(b0, True)
        y = fn(x, 3, w, b, 1e-5)
        (y * g).sum().backward()
        outs.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for a, r in zip(*outs):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)
    xe = _e(x0).permute(0, 1, 3, 2)
    xt = _t(x0).permute(0, 1, 3, 2)
    _close(F.group_norm(xe, 2), torch.nn.functional.group_norm(xt, 2), 1e-12, 1e-12)


def test_groupnorm_module_vs_torch():
    for kw in (dict(), dict(affine=False), dict(bias=False), dict(eps=1e-3)):
        tm, em = torch.nn.GroupNorm(2, 6, **kw), nn.GroupNorm(2, 6, **kw)
        assert repr(em) == repr(tm)
        assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
        if tm.weight is not None:
            with torch.no_grad():
                tm.weight.copy_(torch.randn(6))
            em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
        x = rng.standard_normal((3, 6, 5)).astype(np.float32)
        _run_both(em, tm, [x], rng.standard_normal(x.shape).astype(np.float32))
        if tm.weight is not None:
            _close(em.weight.grad, tm.weight.grad, 1e-4, 1e-4)


def test_group_norm_gradcheck_and_double_backward():
    x = _e(rng.standard_normal((2, 4, 3)), True)
    w, b = _e(rng.standard_normal(4), True), _e(rng.standard_normal(4), True)
    f = lambda x, w, b: F.group_norm(x, 2, w, b)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))


def test_group_norm_empty_batch():
    x = ember.zeros((0, 4, 3), requires_grad=True)
    y = F.group_norm(x, 2)
    y.sum().backward()
    assert tuple(y.shape) == (0, 4, 3) and tuple(x.grad.shape) == (0, 4, 3)


def test_group_norm_bad_input():
    raises_all_in_child("import ember.nn.functional as F\nimport ember.nn as nn", [
        ("F.group_norm(ember.randn(2, 6, 4), 4)", "RuntimeError", "[group_norm]",
         "Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 6, 4] and "
         "num_groups=4"),
        ("F.group_norm(ember.randn(2, 6, 4), 3, ember.ones(5))", "RuntimeError",
         "Expected weight to be a vector of size equal to the number of channels"),
        ("F.group_norm(ember.randn(2, 6, 4), 3, None, ember.ones(2, 3))", "RuntimeError", "bias"),
        ("F.group_norm(ember.randn(6), 3)", "RuntimeError", "at least 2 dimensions"),
        ("F.group_norm(ember.randn(2, 6), 0)", "ValueError", "num_groups"),
        ("nn.GroupNorm(4, 6)", "ValueError", "num_channels (6) must be divisible by num_groups (4)"),
        ("F.group_norm(ember.randn(1, 2, 1), 2)", "ValueError", "Expected more than 1 value per channel"),
        ("ember._C.group_norm(ember.randn(2, 6, 4)._a, 0, None, None, 1e-5)", "ValueError", "[group_norm]"),
        ("ember._C.group_norm_backward(ember.randn(2, 6)._a, ember.randn(2, 6)._a, "
         "ember.zeros(3, dtype=ember.float64)._a, ember.ones(3, dtype=ember.float64)._a, 2, None, [True] * 3)",
         "RuntimeError", "[group_norm_backward] mean should contain 4 elements"),
    ])


# ====================================================================== instance norm
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 4, 2, 3), (1, 2, 7), (2, 3, 40)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("stats", [True, False])
def test_instance_norm_functional_vs_torch(shape, affine, stats):
    c = shape[1]
    x = rng.standard_normal(shape).astype(np.float32) + 0.3
    w = rng.standard_normal(c).astype(np.float32) if affine else None
    b = rng.standard_normal(c).astype(np.float32) if affine else None
    rm0, rv0 = rng.standard_normal(c).astype(np.float32), rng.uniform(0.5, 2, c).astype(np.float32)
    rme, rve, rmt, rvt = _e(rm0.copy()), _e(rv0.copy()), _t(rm0.copy()), _t(rv0.copy())
    for use_input_stats in (True, False):
        r_e = (rme, rve) if stats else (None, None)
        r_t = (rmt, rvt) if stats else (None, None)
        if not use_input_stats and not stats:
            continue
        _run_both(lambda x, w, b: F.instance_norm(x, *r_e, w, b, use_input_stats, 0.4, 1e-5),
                  lambda x, w, b: torch.nn.functional.instance_norm(x, *r_t, w, b, use_input_stats, 0.4, 1e-5),
                  [x, w, b], rng.standard_normal(shape).astype(np.float32))
    _close(rme, rmt, 1e-5, 1e-6, "running_mean")
    _close(rve, rvt, 1e-5, 1e-6, "running_var")


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm1d", (4, 6)),
                                       ("InstanceNorm2d", (2, 4, 3, 5)), ("InstanceNorm2d", (4, 3, 5)),
                                       ("InstanceNorm3d", (2, 4, 2, 3, 2))])
@pytest.mark.parametrize("kw", [dict(), dict(affine=True), dict(track_running_stats=True),
                                dict(affine=True, track_running_stats=True, momentum=None)])
def test_instancenorm_modules_vs_torch(cls, shape, kw):
    tm, em = getattr(torch.nn, cls)(4, **kw), getattr(nn, cls)(4, **kw)
    assert repr(em) == repr(tm)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    if tm.weight is not None:
        with torch.no_grad():
            tm.weight.copy_(torch.randn(4))
            tm.bias.copy_(torch.randn(4))
        em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    for _ in range(2):
        x = rng.standard_normal(shape).astype(np.float32) * 2
        _run_both(em, tm, [x], rng.standard_normal(shape).astype(np.float32))
    if tm.running_mean is not None:
        _close(em.running_mean, tm.running_mean, 1e-5, 1e-6)
        _close(em.running_var, tm.running_var, 1e-5, 1e-6)
    em.eval()
    tm.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    _run_both(em, tm, [x], rng.standard_normal(shape).astype(np.float32))


def test_instancenorm_feature_mismatch():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        y = nn.InstanceNorm1d(3)(ember.randn(2, 4, 5))
    assert tuple(y.shape) == (2, 4, 5) and any("does not match num_features" in str(w.message) for w in rec)
    raises_all_in_child("import ember.nn as nn\nimport ember.nn.functional as F", [
        ("nn.InstanceNorm1d(3, affine=True)(ember.randn(2, 4, 5))", "ValueError",
         "expected input's size at dim=1 to match num_features (3), but got: 4."),
        ("nn.InstanceNorm2d(3)(ember.randn(2, 3))", "ValueError", "expected 3D or 4D input (got 2D input)"),
        ("F.instance_norm(ember.randn(2, 3, 1))", "ValueError", "Expected more than 1 spatial element when training"),
        ("F.instance_norm(ember.randn(2, 3, 4), ember.zeros(4), ember.ones(4))", "RuntimeError",
         "[instance_norm] running_mean should contain 3 elements not 4"),
        ("F.instance_norm(ember.randn(2, 3, 4), use_input_stats=False)", "RuntimeError", "[instance_norm]"),
    ])


def test_instance_norm_gradcheck():
    x = _e(rng.standard_normal((2, 3, 4)), True)
    w, b = _e(rng.standard_normal(3), True), _e(rng.standard_normal(3), True)
    f = lambda x, w, b: F.instance_norm(x, weight=w, bias=b)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))


# ====================================================================== local response norm
@pytest.mark.parametrize("shape", [(2, 7, 5), (2, 6, 3, 4), (1, 3, 2, 2, 3), (2, 5, 130)])
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_local_response_norm_vs_torch(shape, size):
    x = rng.standard_normal(shape).astype(np.float32) * 2
    _run_both(lambda x: F.local_response_norm(x, size, 0.3, 0.75, 1.5),
              lambda x: torch.nn.functional.local_response_norm(x, size, 0.3, 0.75, 1.5),
              [x], rng.standard_normal(shape).astype(np.float32))


def test_local_response_norm_defaults_oracle_and_module():
    x0 = rng.standard_normal((2, 6, 4)) * 3
    g = ember.tensor(rng.standard_normal(x0.shape))
    outs = []
    for fn in (lambda x: F.local_response_norm(x, 3, 0.5, 0.6, 2.0),
               lambda x: N._composite_local_response_norm(x, 3, 0.5, 0.6, 2.0)):
        x = _e(x0, True)
        y = fn(x)
        (y * g).sum().backward()
        outs.append([y.detach().numpy(), x.grad.numpy()])
    for a, r in zip(*outs):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)
    em, tm = nn.LocalResponseNorm(2), torch.nn.LocalResponseNorm(2)
    assert repr(em) == repr(tm) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"
    x = rng.standard_normal((2, 5, 3, 3)).astype(np.float32) * 30
    _run_both(em, tm, [x], rng.standard_normal(x.shape).astype(np.float32))
    empty = ember.zeros((2, 0, 4))
    assert F.local_response_norm(empty, 2) is empty


def test_local_response_norm_gradcheck_and_double_backward():
    x = _e(rng.standard_normal((2, 5, 3)), True)
    f = lambda x: F.local_response_norm(x, 3, 0.5, 0.75, 1.0)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))
    x = _e(rng.standard_normal((1, 4, 2)), True)
    assert ember.autograd.gradcheck(lambda x: F.local_response_norm(x, 6, 0.2, 1.0, 0.5), (x,))


def test_local_response_norm_bad_input():
    raises_all_in_child("import ember.nn.functional as F", [
        ("F.local_response_norm(ember.randn(2, 3), 2)", "ValueError",
         "[local_response_norm] Expected 3D or higher dimensionality input (got 2 dimensions)"),
        ("F.local_response_norm(ember.randn(2, 3, 4), 0)", "ValueError", "size"),
        ("F.local_response_norm(ember.tensor([[[1, 2]]]), 2)", "TypeError", "[local_response_norm]"),
        ("ember._C.local_response_norm_backward(ember.randn(2, 3, 4)._a, ember.randn(2, 3, 5)._a, "
         "ember.randn(2, 3, 4)._a, ember.randn(2, 3, 4)._a, 2, 1e-4, 0.75, 1.0)", "ValueError",
         "[local_response_norm_backward]"),
    ])
