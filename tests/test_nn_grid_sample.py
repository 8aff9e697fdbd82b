"""F.grid_sample (C++ kernels, csrc/ops/grid_sample) and F.affine_grid against PyTorch:
values and gradients (input and grid) for every mode x padding mode x align_corners,
float64 gradcheck, edge cases (empty sizes, NaN / huge grids) and bad input."""
import itertools
import json
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck

from helpers import compare_with_torch, needs_torch, run_in_subprocess

MODES = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]
CASES = list(itertools.product(MODES, PADDINGS, [False, True]))


def _inputs(seed, n=2, c=3, h=5, w=6, ho=4, wo=7, spread=1.25):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    grid = rng.uniform(-spread, spread, (n, ho, wo, 2)).astype(np.float32)
    return x, grid


@needs_torch
@pytest.mark.parametrize("mode,padding_mode,align_corners", CASES)
def test_grid_sample_matches_torch(mode, padding_mode, align_corners):
    x, grid = _inputs(hash((mode, padding_mode, align_corners)) % 1000)
    compare_with_torch(lambda lib, a, g: lib.nn.functional.grid_sample(
        a, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners), x, grid,
        atol=1e-5, rtol=1e-5, grad_atol=2e-4, grad_rtol=1e-4)


@needs_torch
@pytest.mark.parametrize("mode,padding_mode,align_corners",
                         list(itertools.product(["bilinear", "nearest"], PADDINGS, [False, True])))
def test_grid_sample_5d_matches_torch(mode, padding_mode, align_corners):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 3, 4, 5)).astype(np.float32)
    grid = rng.uniform(-1.25, 1.25, (2, 2, 3, 4, 3)).astype(np.float32)
    compare_with_torch(lambda lib, a, g: lib.nn.functional.grid_sample(
        a, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners), x, grid,
        atol=1e-5, rtol=1e-5, grad_atol=2e-4, grad_rtol=1e-4)


def test_grid_sample_5d_gradcheck():
    rng = np.random.default_rng(6)
    xe = ember.tensor(rng.standard_normal((1, 2, 3, 3, 4)), requires_grad=True)
    ge = ember.tensor(rng.uniform(-1.1, 1.1, (1, 2, 2, 2, 3)), requires_grad=True)
    for pad in PADDINGS:
        assert gradcheck(lambda a, g: F.grid_sample(a, g, padding_mode=pad, align_corners=False), (xe, ge),
                         eps=1e-6, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_float64_and_grid_only_grad(mode):
    import torch
    x, grid = _inputs(7)
    x, grid = x.astype(np.float64), grid.astype(np.float64)
    eg = ember.tensor(grid, requires_grad=True)
    tg = torch.tensor(grid, requires_grad=True)
    ey = F.grid_sample(ember.tensor(x), eg, mode=mode, padding_mode="reflection", align_corners=False)
    ty = torch.nn.functional.grid_sample(torch.tensor(x), tg, mode=mode, padding_mode="reflection",
                                         align_corners=False)
    assert ey.dtype == ember.float64
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), atol=1e-12)
    (ey * ey).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(eg.grad.numpy(), tg.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("mode,padding_mode", [(m, p) for m in ("bilinear", "bicubic") for p in PADDINGS])
def test_grid_sample_gradcheck(mode, padding_mode):
    x, grid = _inputs(3, n=1, c=2, h=4, w=5, ho=3, wo=3, spread=1.1)
    xe = ember.tensor(x.astype(np.float64), requires_grad=True)
    ge = ember.tensor(grid.astype(np.float64), requires_grad=True)
    for ac in (False, True):
        assert gradcheck(lambda a, g: F.grid_sample(a, g, mode=mode, padding_mode=padding_mode, align_corners=ac),
                         (xe, ge), eps=1e-6, atol=1e-6)


def test_grid_sample_nearest_gradcheck_input():
    x, grid = _inputs(4, n=1, c=2, h=4, w=5, ho=3, wo=3)
    xe = ember.tensor(x.astype(np.float64), requires_grad=True)
    g = ember.tensor(grid.astype(np.float64))
    assert gradcheck(lambda a: F.grid_sample(a, g, mode="nearest", align_corners=False), (xe,))


def test_grid_sample_identity_grid_reproduces_input():
    x = ember.randn(2, 3, 6, 5)
    theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]).expand(2, 2, 3)
    for ac in (False, True):
        grid = F.affine_grid(theta, [2, 3, 6, 5], align_corners=ac)
        for mode in MODES:
            y = F.grid_sample(x, grid, mode=mode, align_corners=ac)
            np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-5)


def test_grid_sample_non_contiguous_and_half_inputs():
    x, grid = _inputs(11)
    xe = ember.tensor(x.transpose(0, 1, 3, 2).copy()).transpose(2, 3)  # a non-contiguous view of x
    assert not xe.is_contiguous()
    y = F.grid_sample(xe, ember.tensor(grid), align_corners=False)
    ref = F.grid_sample(ember.tensor(x), ember.tensor(grid), align_corners=False)
    np.testing.assert_allclose(y.numpy(), ref.numpy(), atol=1e-6)
    yh = F.grid_sample(ember.tensor(x).to(ember.float16), ember.tensor(grid).to(ember.float16), align_corners=False)
    assert yh.dtype == ember.float16 and tuple(yh.shape) == tuple(ref.shape)


def test_grid_sample_empty_sizes():
    x = ember.randn(0, 3, 4, 4, requires_grad=True)
    g = ember.zeros(0, 2, 2, 2, requires_grad=True)
    y = F.grid_sample(x, g, align_corners=False)
    assert tuple(y.shape) == (0, 3, 2, 2)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 4, 4)
    y = F.grid_sample(ember.randn(1, 2, 4, 4), ember.zeros(1, 0, 3, 2), align_corners=True)
    assert tuple(y.shape) == (1, 2, 0, 3)
    y = F.grid_sample(ember.randn(1, 0, 4, 4), ember.zeros(1, 2, 3, 2), align_corners=True)
    assert tuple(y.shape) == (1, 0, 2, 3)


def test_grid_sample_nan_and_huge_grid_values_do_not_crash():
    code = """
import ember, math
import ember.nn.functional as F
x = ember.randn(1, 2, 4, 4, requires_grad=True)
vals = [float('nan'), float('inf'), -float('inf'), 1e30, -1e30, 1e18]
g = ember.tensor([[[[v, 0.3] for v in vals]]], requires_grad=True)
for mode in ('bilinear', 'nearest', 'bicubic'):
    for pad in ('zeros', 'border', 'reflection'):
        y = F.grid_sample(x, g, mode=mode, padding_mode=pad, align_corners=False)
        y.sum().backward()
print('OK')
"""
    r = run_in_subprocess(code)
    assert r.returncode == 0 and "OK" in r.stdout, r.stderr[-2000:]


def test_grid_sample_double_backward_raises():
    x = ember.randn(1, 1, 3, 3, requires_grad=True)
    g = ember.zeros(1, 2, 2, 2, requires_grad=True)
    y = F.grid_sample(x, g, align_corners=False)
    (gx,) = ember.autograd.grad((y * y).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        gx.sum().backward()


def test_grid_sample_default_align_corners_warns():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        F.grid_sample(ember.randn(1, 1, 2, 2), ember.zeros(1, 1, 1, 2))
    assert any("align_corners" in str(m.message) for m in w)


@needs_torch
@pytest.mark.filterwarnings("ignore:Since version 1.3.0")  # unit-size grids warn in both libraries
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(align_corners):
    rng = np.random.default_rng(1)
    theta = rng.standard_normal((2, 2, 3)).astype(np.float32)
    compare_with_torch(lambda lib, t: lib.nn.functional.affine_grid(t, [2, 3, 4, 5], align_corners=align_corners),
                       theta)
    compare_with_torch(lambda lib, t: lib.nn.functional.affine_grid(t, [2, 1, 1, 3], align_corners=align_corners),
                       theta)
    theta3 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    compare_with_torch(lambda lib, t: lib.nn.functional.affine_grid(t, [2, 1, 3, 4, 2], align_corners=align_corners),
                       theta3)


@needs_torch
def test_affine_grid_then_grid_sample_grad_to_theta():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    theta = (np.eye(2, 3)[None] + 0.2 * rng.standard_normal((2, 2, 3))).astype(np.float32)
    compare_with_torch(lambda lib, a, t: lib.nn.functional.grid_sample(
        a, lib.nn.functional.affine_grid(t, [2, 3, 5, 4], align_corners=False), align_corners=False), x, theta,
        grad_atol=2e-4)


def test_grid_sample_bad_input():
    pre = "import ember.nn.functional as F\nx = ember.randn(1, 2, 4, 4)\ng = ember.zeros(1, 3, 3, 2)\n"
    cases = [
        ("F.grid_sample(x.to(ember.uint8), g, align_corners=False)", "TypeError", "[grid_sample]", "floating"),
        ("F.grid_sample(x, g.to(ember.int64), align_corners=False)", "TypeError", "[grid_sample]", "grid"),
        ("F.grid_sample(x.double(), g, align_corners=False)", "RuntimeError", "[grid_sample]", "same dtype"),
        ("F.grid_sample(x[0], g, align_corners=False)", "RuntimeError", "[grid_sample]", "(2, 4, 4)"),
        ("F.grid_sample(x, g[0], align_corners=False)", "RuntimeError", "[grid_sample]", "4-D grid"),
        ("F.grid_sample(x[None], ember.zeros(2, 1, 3, 3, 3), align_corners=False)", "RuntimeError", "batch size"),
        ("F.grid_sample(x[None], ember.zeros(1, 1, 3, 3, 2), align_corners=False)", "RuntimeError", "size 3"),
        ("F.grid_sample(x[None], ember.zeros(1, 1, 3, 3, 3), mode='bicubic', align_corners=False)",
         "RuntimeError", "[grid_sample]", "bicubic"),
        ("F.grid_sample(x[None, None], ember.zeros(1, 1, 1, 1, 1, 4), align_corners=False)", "RuntimeError",
         "[grid_sample]", "5-D"),
        ("F.grid_sample(x, ember.zeros(1, 3, 3, 3), align_corners=False)", "RuntimeError", "[grid_sample]",
         "size 2"),
        ("F.grid_sample(x, ember.zeros(2, 3, 3, 2), align_corners=False)", "RuntimeError", "[grid_sample]",
         "batch size"),
        ("F.grid_sample(ember.zeros(1, 2, 0, 4), g, align_corners=False)", "RuntimeError", "[grid_sample]",
         "non-empty spatial"),
        ("F.grid_sample(x, g, mode='area', align_corners=False)", "ValueError", "[grid_sample]", "'area'"),
        ("F.grid_sample(x, g, padding_mode='wrap', align_corners=False)", "ValueError", "[grid_sample]", "'wrap'"),
        ("F.grid_sample(x.numpy(), g, align_corners=False)", "TypeError", "[grid_sample]", "Tensor"),
        ("F.grid_sample(ember.randn(1, 2, 4, 4, device='cuda'), g, align_corners=False)", "RuntimeError", "CUDA"),
        ("ember._C.grid_sample(x._a, g._a, 7, 0, False)", "ValueError", "[grid_sample]", "mode"),
        ("ember._C.grid_sample(x._a, g._a, 0, -1, False)", "ValueError", "[grid_sample]", "padding_mode"),
        ("ember._C.grid_sample_backward(ember.zeros(1, 2, 3, 4)._a, x._a, g._a, 0, 0, False, True, True)",
         "RuntimeError", "[grid_sample_backward]", "grad of shape"),
        ("F.grid_sample(ember.zeros(1, 1, 1, 1).expand(1, 2**30, 1, 1), "
         "ember.zeros(1, 1, 1, 2).expand(1, 2**17, 2**17, 2), align_corners=False)",
         "RuntimeError", "[grid_sample]", "overflows"),
        ("F.affine_grid(ember.zeros(1, 2, 3, dtype=ember.int64), [1, 1, 2, 2], align_corners=False)",
         "ValueError", "[affine_grid]", "floating"),
        ("F.affine_grid(ember.zeros(1, 3, 3), [1, 1, 2, 2], align_corners=False)", "ValueError", "Nx2x3"),
        ("F.affine_grid(ember.zeros(1, 2, 3), [1, 1, 2], align_corners=False)", "NotImplementedError", "4D and 5D"),
        ("F.affine_grid(ember.zeros(1, 2, 3), [1, 1, 0, 2], align_corners=False)", "ValueError", "positive"),
        ("F.affine_grid(ember.zeros(1, 2, 3), [1, 1, -3, 2], align_corners=False)", "ValueError", "positive"),
        ("F.affine_grid(ember.zeros(1, 2, 3), [2, 1, 3, 2], align_corners=False)", "RuntimeError", "batch"),
        ("F.affine_grid(ember.zeros(1, 2, 3), [1, 1, 2.5, 2], align_corners=False)", "TypeError", "ints"),
    ]
    # all cases in one child process (a crash in any of them fails the test)
    lines = ["import ember, json", pre, "res = []"]
    for code, *_ in cases:
        lines += ["try:", f"    {code}", "    res.append(('NOEXC', ''))",
                  "except Exception as e:", "    res.append((type(e).__name__, str(e)))"]
    lines.append("print(json.dumps(res))")
    r = run_in_subprocess("\n".join(lines))
    assert r.returncode == 0, f"child crashed (rc={r.returncode}):\n{r.stderr[-2000:]}"
    res = json.loads(r.stdout.strip().splitlines()[-1])
    bad = [f"{code}: expected {exc} {subs}, got {got}: {msg}" for (code, exc, *subs), (got, msg) in zip(cases, res)
           if got != exc or not all(t in msg for t in subs)]
    assert not bad, "\n".join(bad)
