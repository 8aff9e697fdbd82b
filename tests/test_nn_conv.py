"""Convolutions (ember.nn.functional.conv1d/conv2d/conv_transpose1d/conv_transpose2d and the
Conv* layers, csrc/ops/conv): values and input/weight/bias gradients vs PyTorch over many
geometries (both the GEMM and the direct kernels), float64 gradcheck and gradgradcheck,
every SIMD path, both threading strategies, state_dict / init / repr parity, bad input."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from helpers import assert_raises_in_child, compare_with_torch, needs_torch, run_in_subprocess, torch

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")
rng = np.random.default_rng(0)
TOL = dict(atol=1e-4, rtol=1e-4)

# (input shape, weight shape, kwargs); channels >= 8 per group take the GEMM kernels,
# fewer (and depthwise) the direct ones.
CONV2D = [
    ((2, 3, 8, 8), (16, 3, 3, 3), dict(padding=1)),
    ((2, 16, 9, 9), (32, 16, 3, 3), dict(stride=2, padding=1)),
    ((2, 16, 9, 9), (16, 16, 1, 1), {}),
    ((3, 8, 10, 7), (16, 4, 3, 2), dict(groups=2, dilation=(2, 1), padding=(1, 0))),
    ((2, 12, 9, 9), (12, 12, 4, 4), dict(padding="same")),
    ((2, 12, 9, 11), (12, 12, 3, 3), dict(padding="same", dilation=2)),
    ((2, 12, 9, 9), (10, 12, 3, 3), dict(padding="valid")),
    ((2, 4, 9, 9), (4, 4, 3, 3), dict(padding=2, stride=3)),
    ((2, 16, 9, 9), (16, 1, 3, 3), dict(groups=16, padding=1)),           # depthwise
    ((2, 16, 9, 9), (16, 1, 3, 3), dict(groups=16, stride=2)),            # strided depthwise
    ((2, 8, 9, 9), (16, 1, 3, 3), dict(groups=8, padding=1)),             # channel multiplier 2
    ((2, 1, 12, 12), (6, 1, 5, 5), {}),                                   # LeNet's first layer
    ((2, 6, 12, 12), (16, 6, 5, 5), dict(stride=(1, 2))),
    ((1, 3, 20, 19), (8, 3, 7, 7), dict(stride=2, padding=3)),            # ResNet stem shape
    ((2, 20, 6, 40), (24, 20, 3, 3), dict(padding=(0, 2), dilation=(1, 3))),
    ((2, 9, 5, 5), (9, 3, 2, 2), dict(groups=3, stride=2, padding=1)),
    ((2, 4, 9, 9), (4, 2, 3, 3), dict(groups=2, stride=(2, 1), padding=(0, 1))),  # direct, row stride only
    ((2, 8, 9, 9), (8, 8, 3, 3), dict(stride=(2, 1), padding=1)),                 # GEMM, row stride only
]


@needs_torch
@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d_matches_torch(xs, ws, kw):
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, **kw), xs, ws, (ws[0],), **TOL)


@needs_torch
@pytest.mark.parametrize("xs,ws,kw", [((2, 16, 9, 9), (32, 16, 3, 3), dict(padding=1)),
                                      ((2, 3, 9, 9), (4, 3, 3, 3), dict(stride=2))])
def test_conv2d_without_bias_and_weight_only_grads(xs, ws, kw):
    compare_with_torch(lambda lib, x, w: lib.nn.functional.conv2d(x, w, None, **kw), xs, ws, **TOL)
    x = ember.tensor(rng.standard_normal(xs).astype(np.float32))
    w = ember.tensor(rng.standard_normal(ws).astype(np.float32), requires_grad=True)
    b = ember.tensor(rng.standard_normal(ws[0]).astype(np.float32), requires_grad=True)
    F.conv2d(x, w, b, **kw).sum().backward()
    tx, tw, tb = torch.tensor(x.numpy()), torch.tensor(w.detach().numpy(), requires_grad=True), \
        torch.tensor(b.detach().numpy(), requires_grad=True)
    torch.nn.functional.conv2d(tx, tw, tb, **kw).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), **TOL)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), **TOL)
    # Only the bias needs a gradient.
    w2 = ember.tensor(w.detach().numpy())
    b2 = ember.tensor(b.detach().numpy(), requires_grad=True)
    F.conv2d(x, w2, b2, **kw).sum().backward()
    np.testing.assert_allclose(b2.grad.numpy(), tb.grad.numpy(), **TOL)


@needs_torch
@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 20), (16, 3, 3), dict(padding=1)),
    ((2, 16, 21), (8, 16, 5), dict(stride=2, padding=2)),
    ((2, 8, 21), (8, 1, 3), dict(groups=8, padding="same")),
    ((2, 12, 21), (12, 12, 4), dict(padding="same")),
    ((2, 3, 21), (8, 3, 4), dict(dilation=2)),
    ((4, 10, 33), (20, 5, 3), dict(groups=2, stride=3, padding=4)),
])
def test_conv1d_matches_torch(xs, ws, kw):
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, **kw), xs, ws, (ws[0],), **TOL)


CONV_T2D = [
    ((2, 16, 5, 5), (16, 8, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 16, 5, 5), (16, 8, 3, 3), dict(padding=1)),
    ((2, 4, 5, 5), (4, 2, 4, 4), dict(stride=2, groups=2)),
    ((2, 16, 5, 6), (16, 12, 3, 3), dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2))),
    ((2, 16, 5, 5), (16, 12, 3, 3), dict(dilation=2, output_padding=1)),
    ((2, 16, 4, 4), (16, 12, 3, 3), dict(padding=2)),
    ((2, 3, 6, 6), (3, 1, 3, 3), dict(stride=2, padding=1, output_padding=1, groups=3)),
    ((2, 24, 4, 4), (24, 16, 4, 4), dict(stride=2, padding=1)),  # DCGAN-style upsampling
]


@needs_torch
@pytest.mark.parametrize("xs,ws,kw", CONV_T2D)
def test_conv_transpose2d_matches_torch(xs, ws, kw):
    cout = ws[1] * kw.get("groups", 1)
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, **kw), xs, ws, (cout,),
                       **TOL)


@needs_torch
@pytest.mark.parametrize("xs,ws,kw", [((2, 16, 7), (16, 8, 3), dict(stride=2, padding=1, output_padding=1)),
                                      ((2, 3, 7), (3, 4, 3), {}),
                                      ((2, 4, 9), (4, 3, 5), dict(stride=3, groups=2, dilation=2, padding=2))])
def test_conv_transpose1d_matches_torch(xs, ws, kw):
    cout = ws[1] * kw.get("groups", 1)
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv_transpose1d(x, w, b, **kw), xs, ws, (cout,),
                       **TOL)


@needs_torch
def test_unbatched_inputs():
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), (12, 9, 9),
                       (12, 12, 3, 3), (12,), **TOL)
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b), (3, 9), (5, 3, 3), (5,), **TOL)
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, stride=2), (16, 5, 5),
                       (16, 12, 3, 3), (12,), **TOL)
    compare_with_torch(lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w, stride=2), (4, 5), (4, 2, 3),
                       **TOL)


@needs_torch
def test_noncontiguous_inputs():
    # Transposed, sliced and permuted views of input and weight.
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv2d(x.transpose(2, 3), w, b, padding=1), (2, 8, 7, 9),
                       (16, 8, 3, 3), (16,), **TOL)
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.conv2d(x[:, ::2, 1:, ::2], w.permute(1, 0, 2, 3), b),
                       (2, 4, 9, 12), (2, 3, 3, 3), (3,), **TOL)
    compare_with_torch(lambda lib, x, w: lib.nn.functional.conv_transpose2d(x[..., ::2], w, stride=2), (2, 16, 5, 10),
                       (16, 8, 3, 3), **TOL)


@needs_torch
def test_batch_sizes_take_both_thread_strategies():
    """Batches that divide across the threads run whole images per thread; others run the
    images in turn with the GEMM parallel inside. Both must agree with torch (GEMM and
    direct kernels, forward and all three gradients), at 2 threads."""
    code = """
import numpy as np, torch, ember, ember.nn.functional as F
ember.set_num_threads(2)
r = np.random.default_rng(0)
for n in (1, 3, 4, 9):
    for cin, cout, groups in ((16, 16, 1), (4, 6, 1), (8, 8, 8)):
        x = r.standard_normal((n, cin, 12, 12)).astype(np.float32)
        w = r.standard_normal((cout, cin // groups, 3, 3)).astype(np.float32)
        b = r.standard_normal(cout).astype(np.float32)
        g = r.standard_normal((n, cout, 12, 12)).astype(np.float32)
        ex, ew, eb = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        ey = F.conv2d(ex, ew, eb, padding=1, groups=groups)
        ty = torch.nn.functional.conv2d(tx, tw, tb, padding=1, groups=groups)
        (ey * ember.tensor(g)).sum().backward(); (ty * torch.tensor(g)).sum().backward()
        for e, t in ((ey, ty), (ex.grad, tx.grad), (ew.grad, tw.grad), (eb.grad, tb.grad)):
            np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-4)
print('ok')
"""
    r = run_in_subprocess(code)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


@pytest.mark.parametrize("simd", ["scalar", "avx2", "avx512"])
def test_every_simd_path(simd):
    """Direct kernels are built per ISA; the GEMM path uses the ISA's micro-kernel."""
    code = f"""
import os
os.environ['EMBER_SIMD'] = '{simd}'
import numpy as np, ember, ember.nn.functional as F

def ref_conv2d(x, w, b, stride, pad, groups):
    n, c, h, wd = x.shape; o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - kh) // stride + 1; wo = (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, o, ho, wo)) + b[None, :, None, None]
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, i:i + stride * ho:stride, j:j + stride * wo:stride]
                y[:, oc] += np.einsum('nchw,c->nhw', patch, w[oc, :, i, j])
    return y

r = np.random.default_rng(0)
for dt in (np.float32, np.float64):
    for (c, o, k, s, p, g) in [(16, 16, 3, 1, 1, 1), (3, 5, 3, 1, 1, 1), (8, 8, 3, 2, 1, 8), (4, 6, 5, 1, 0, 1),
                               (16, 24, 3, 2, 0, 1)]:
        x = r.standard_normal((3, c, 11, 13)).astype(dt)
        w = r.standard_normal((o, c // g, k, k)).astype(dt)
        b = r.standard_normal(o).astype(dt)
        ex, ew, eb = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
        y = F.conv2d(ex, ew, eb, stride=s, padding=p, groups=g)
        ref = ref_conv2d(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), s, p, g)
        tol = 1e-4 if dt == np.float32 else 1e-10
        assert np.allclose(y.detach().numpy(), ref, rtol=tol, atol=tol), (c, o, k, s, p, g)
        # <grad, y> is linear: the gradient wrt b is the per-channel sum of the upstream grad.
        gy = r.standard_normal(y.shape).astype(dt)
        (y * ember.tensor(gy)).sum().backward()
        assert np.allclose(eb.grad.numpy(), gy.sum((0, 2, 3)), rtol=tol, atol=tol)
        # Adjoint identities: <conv(x), gy> = <x, gx> = <w, gw> (bias removed).
        lin = float((ref - b[None, :, None, None]).ravel() @ gy.ravel())
        assert abs(lin - float(x.ravel() @ ex.grad.numpy().ravel())) < tol * 100 * max(1, abs(lin))
        assert abs(lin - float(w.ravel() @ ew.grad.numpy().ravel())) < tol * 100 * max(1, abs(lin))
print('ok')
"""
    r = run_in_subprocess(code)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


# ---------------------------------------------------------------- float64 gradcheck
def _d(shape, requires_grad=True):
    return ember.tensor(rng.standard_normal(shape), requires_grad=requires_grad)


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 4, 5, 5), (8, 2, 3, 3), dict(padding=1, stride=2, groups=2)),
    ((1, 12, 5, 4), (12, 12, 2, 3), dict(padding="same", dilation=(2, 1))),  # GEMM kernels
    ((2, 3, 6, 6), (3, 1, 3, 3), dict(groups=3)),
])
def test_gradcheck_conv2d(xs, ws, kw):
    x, w, b = _d(xs), _d(ws), _d(ws[0])
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_gradcheck_conv1d_and_transposed():
    x, w, b = _d((2, 3, 7)), _d((4, 3, 3)), _d(4)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), (x, w, b))
    x, w, b = _d((2, 4, 3, 3)), _d((4, 3, 3, 3)), _d(3)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), (x, w, b))
    x, w, b = _d((2, 4, 5)), _d((4, 9, 2)), _d(18)
    assert gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, groups=2, dilation=2), (x, w, b))


@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, groups=2)])
def test_gradgradcheck_conv2d(kw):
    x, w, b = _d((2, 4, 4, 4)), _d((4, 2 if kw.get("groups") else 4, 3, 3)), _d(4)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_gradgradcheck_conv2d_gemm_path():
    x, w, b = _d((1, 12, 2, 3)), _d((12, 12, 1, 2)), _d(12)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=(0, 1)), (x, w, b))


def test_gradgradcheck_conv_transpose2d():
    x, w, b = _d((1, 4, 3, 3)), _d((4, 2, 3, 3)), _d(2)
    assert gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                         (x, w, b))


@needs_torch
def test_double_backward_gradient_penalty_matches_torch():
    """|d loss / d x|^2 backpropagated into the weights (WGAN-GP style)."""
    x = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    res = []
    for lib in (ember, torch):
        tx, tw, tb = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = lib.nn.functional.conv2d(tx, tw, tb, stride=2, padding=1)
        (gx,) = lib.autograd.grad((y * y).sum(), tx, create_graph=True)
        (gx * gx).sum().backward()
        res.append((tw.grad.detach().numpy(), tx.grad.detach().numpy()))
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-3)


# ---------------------------------------------------------------- sizes and dtypes
def test_empty_batch_and_zero_channels():
    x = ember.zeros((0, 3, 8, 8), requires_grad=True)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert tuple(y.shape) == (0, 4, 8, 8)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 8, 8)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 3, 3, 3), np.float32))
    b = ember.tensor([1.0, 2.0])
    y = F.conv2d(ember.zeros((1, 0, 5, 5)), ember.zeros((2, 0, 3, 3)), b)
    np.testing.assert_array_equal(y.numpy(), np.broadcast_to(np.array([1.0, 2.0])[:, None, None], (1, 2, 3, 3)))
    y = F.conv_transpose2d(ember.zeros((0, 4, 3, 3)), ember.randn(4, 2, 3, 3), stride=2)
    assert tuple(y.shape) == (0, 2, 7, 7)
    # A transposed conv may have an empty output, as in PyTorch; nothing flows back.
    x = ember.randn(2, 6, 7, 1, requires_grad=True)
    w = ember.randn(6, 2, 4, 4, requires_grad=True)
    y = F.conv_transpose2d(x, w, stride=(2, 3), padding=(1, 3), output_padding=(0, 2), groups=3)
    assert tuple(y.shape) == (2, 6, 14, 0)
    y.sum().backward()
    assert float(x.grad.abs().sum()) == 0 and float(w.grad.abs().sum()) == 0


def test_dtypes():
    x64, w64 = _d((2, 3, 6, 6), False), _d((4, 3, 3, 3), False)
    assert F.conv2d(x64, w64).dtype == ember.float64
    ref = F.conv2d(x64, w64).numpy()
    y16 = F.conv2d(x64.to(ember.float16), w64.to(ember.float16))
    assert y16.dtype == ember.float16
    np.testing.assert_allclose(y16.float().numpy(), ref, rtol=2e-2, atol=5e-2)
    yb = F.conv_transpose2d(x64.to(ember.bfloat16), w64.permute(1, 0, 2, 3).to(ember.bfloat16))
    assert yb.dtype == ember.bfloat16


# ---------------------------------------------------------------- modules
MODULES = [
    ("Conv1d", (3, 8, 3), {}),
    ("Conv1d", (4, 8, 5), dict(stride=2, padding=2, dilation=2, groups=2, bias=False)),
    ("Conv1d", (4, 6, 4), dict(padding="same", padding_mode="reflect")),
    ("Conv2d", (3, 8, 3), dict(padding=1)),
    ("Conv2d", (3, 8, (3, 5)), dict(stride=(2, 1), padding=(1, 2))),
    ("Conv2d", (4, 8, 3), dict(groups=4, bias=False, dilation=2)),
    ("Conv2d", (4, 8, 3), dict(padding="same")),
    ("Conv2d", (4, 8, 3), dict(padding="valid")),
    ("Conv2d", (3, 5, 3), dict(padding=1, padding_mode="reflect")),
    ("Conv2d", (3, 5, 3), dict(padding=(2, 1), padding_mode="replicate")),
    ("Conv2d", (3, 5, 3), dict(padding=1, padding_mode="circular", stride=2)),
    ("Conv2d", (3, 5, 4), dict(padding="same", padding_mode="circular")),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose2d", (4, 6, 3), {}),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=1)),
    ("ConvTranspose2d", (4, 6, (3, 2)), dict(stride=(2, 3), dilation=(2, 1))),
]


def _pair(name, args, kw):
    ember.manual_seed(0)
    torch.manual_seed(0)
    return getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)


@needs_torch
@pytest.mark.parametrize("name,args,kw", MODULES)
def test_module_repr_state_dict_and_forward(name, args, kw):
    em, tm = _pair(name, args, kw)
    assert repr(em) == repr(tm)
    es, ts = em.state_dict(), tm.state_dict()
    assert list(es) == list(ts)
    assert all(tuple(es[k].shape) == tuple(ts[k].shape) for k in ts)
    assert sum(p.numel() for p in em.parameters()) == sum(p.numel() for p in tm.parameters())
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ts.items()})
    nsp = 1 if name.endswith("1d") else 2
    cin = args[0]
    shape = (2, cin) + (9,) * nsp
    x = rng.standard_normal(shape).astype(np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ey, ty = em(ex), tm(tx)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), **TOL)
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    (ey * ember.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(em.weight.grad.numpy(), tm.weight.grad.numpy(), **TOL)
    if tm.bias is not None:
        np.testing.assert_allclose(em.bias.grad.numpy(), tm.bias.grad.numpy(), **TOL)


@needs_torch
def test_module_attributes_match_torch():
    for name, args, kw in MODULES:
        em, tm = _pair(name, args, kw)
        for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
                     "output_padding", "groups", "padding_mode"):
            assert getattr(em, attr) == getattr(tm, attr), (name, attr)
        assert list(em._reversed_padding_repeated_twice) == list(tm._reversed_padding_repeated_twice)


@needs_torch
@pytest.mark.parametrize("name,args", [("Conv2d", (16, 32, 3)), ("Conv1d", (7, 5, 4)), ("ConvTranspose2d", (16, 8, 4)),
                                       ("Conv2d", (12, 12, 3, 1, 0, 1, 3))])
def test_default_init_bounds_match_torch(name, args):
    em, tm = _pair(name, args, {})
    fan_in = tm.weight.shape[1] * math.prod(tm.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias share this bound
    ew, eb = em.weight.detach().numpy(), em.bias.detach().numpy()
    assert np.abs(ew).max() <= bound + 1e-7 and np.abs(eb).max() <= bound + 1e-7
    assert np.abs(ew).max() > 0.9 * bound
    tw = tm.weight.detach().numpy()
    assert abs(ew.std() - tw.std()) < 0.1 * tw.std()
    assert abs(ew.std() - bound / math.sqrt(3)) < 0.1 * bound


@needs_torch
def test_conv_transpose_output_size():
    em, tm = _pair("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1))
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = rng.standard_normal((2, 4, 5, 5)).astype(np.float32)
    for size in [(9, 9), (10, 10), (9, 10), (2, 6, 10, 9)]:
        ey = em(ember.tensor(x), output_size=size)
        ty = tm(torch.tensor(x), output_size=size)
        assert tuple(ey.shape) == tuple(ty.shape)
        np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), **TOL)
    with pytest.raises(ValueError, match="requested an output size"):
        em(ember.tensor(x), output_size=(12, 12))
    with pytest.raises(ValueError, match="output_size must have"):
        em(ember.tensor(x), output_size=(9,))


def test_module_constructor_errors():
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid padding string"):
        nn.Conv2d(4, 3, 3, padding="full")
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        nn.Conv1d(4, 3, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 3, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv2d(4, 3, (3, 0))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("code,exc,subs", [
    ("F.conv2d(ember.zeros((2, 4, 8, 8)), ember.zeros((8, 3, 3, 3)))", "RuntimeError",
     ["[conv2d]", "expected input with 3 channels", "(2, 4, 8, 8)", "(8, 3, 3, 3)"]),
    ("F.conv2d(ember.zeros((4, 8, 8)), ember.zeros((8, 3, 3, 3)))", "RuntimeError",
     ["[conv2d]", "3 channels", "(1, 4, 8, 8)"]),
    ("F.conv2d(ember.zeros((3, 8)), ember.zeros((8, 3, 3, 3)))", "RuntimeError",
     ["[conv2d]", "3-D (unbatched) or 4-D (batched)", "(3, 8)"]),
    ("F.conv2d(ember.zeros((1, 2, 3, 8, 8)), ember.zeros((8, 3, 3, 3)))", "RuntimeError",
     ["[conv2d]", "(1, 2, 3, 8, 8)"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((8, 3, 3)))", "RuntimeError",
     ["[conv2d]", "weight of 4 dims", "(8, 3, 3)"]),
    ("F.conv1d(ember.zeros((2, 3, 8)), ember.zeros((8, 3, 3, 3)))", "RuntimeError", ["[conv1d]", "(8, 3, 3, 3)"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((8, 3, 9, 9)))", "RuntimeError",
     ["[conv2d]", "larger than the padded input size 8", "(8, 3, 9, 9)"]),
    ("F.conv2d(ember.zeros((2, 3, 0, 8)), ember.zeros((8, 3, 3, 3)))", "RuntimeError", ["[conv2d]", "(2, 3, 0, 8)"]),
    ("F.conv2d(ember.zeros((2, 4, 8, 8)), ember.zeros((6, 1, 3, 3)), groups=3)", "RuntimeError",
     ["[conv2d]", "groups=3", "(2, 4, 8, 8)"]),
    ("F.conv2d(ember.zeros((2, 4, 8, 8)), ember.zeros((3, 2, 3, 3)), groups=2)", "RuntimeError",
     ["[conv2d]", "divisible by groups=2", "(3, 2, 3, 3)"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)), groups=0)", "RuntimeError",
     ["[conv2d]", "groups"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((0, 3, 3, 3)))", "RuntimeError", ["[conv2d]", "(0, 3, 3, 3)"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)), stride=0)", "RuntimeError",
     ["[conv2d]", "stride"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)), dilation=(1, 0))", "RuntimeError",
     ["[conv2d]", "dilation"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)), padding=-1)", "RuntimeError",
     ["[conv2d]", "negative padding"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)), stride=(1, 1, 1))", "RuntimeError",
     ["[conv2d]", "stride"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)), padding='same', stride=2)", "RuntimeError",
     ["[conv2d]", "padding='same'", "strided"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)), padding='full')", "RuntimeError",
     ["[conv2d]", "'full'"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)), ember.zeros(3))", "RuntimeError",
     ["[conv2d]", "bias of shape (4,)", "(3,)"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8), dtype=ember.float64), ember.zeros((4, 3, 3, 3)))", "RuntimeError",
     ["[conv2d]", "float64", "float32"]),
    ("F.conv2d(ember.zeros((2, 3, 8, 8), dtype=ember.int64), ember.zeros((4, 3, 3, 3), dtype=ember.int64))",
     "TypeError", ["[conv2d]", "floating point", "int64"]),
    ("F.conv2d(np.zeros((2, 3, 8, 8)), ember.zeros((4, 3, 3, 3)))", "TypeError", ["[conv2d]", "Tensor"]),
    ("F.conv_transpose2d(ember.zeros((2, 5, 8, 8)), ember.zeros((4, 3, 3, 3)))", "RuntimeError",
     ["[conv_transpose2d]", "4 channels", "(2, 5, 8, 8)"]),
    ("F.conv_transpose2d(ember.zeros((2, 4, 8, 8)), ember.zeros((4, 3, 3, 3)), output_padding=1)", "RuntimeError",
     ["[conv_transpose2d]", "output_padding"]),
    ("F.conv_transpose2d(ember.zeros((2, 4, 1, 1)), ember.zeros((4, 3, 1, 1)), padding=2)", "RuntimeError",
     ["[conv_transpose2d]", "negative output size"]),
    ("F.conv_transpose2d(ember.zeros((2, 4, 8, 8)), ember.zeros((4, 3, 3, 3)), groups=3)", "RuntimeError",
     ["[conv_transpose2d]", "groups=3"]),
    ("F.conv_transpose2d(ember.zeros((2, 4, 8, 8)), ember.zeros((4, 3, 3, 3)), padding='same')", "TypeError",
     ["[conv_transpose2d]", "padding"]),
    ("F.conv_transpose1d(ember.zeros((2, 4, 8, 8)), ember.zeros((4, 3, 3)))", "RuntimeError",
     ["[conv_transpose1d]", "(2, 4, 8, 8)"]),
    ("nn.Conv2d(3, 8, 3)(ember.zeros((2, 4, 8, 8)))", "RuntimeError", ["[conv2d]", "3 channels", "(2, 4, 8, 8)"]),
    ("ember._C.conv_backward_weight(ember.zeros((2, 4, 6, 6))._a, ember.zeros((2, 3, 8, 8))._a, [4, 3, 3], [1, 1],"
     " [0, 0, 0, 0], [1, 1], 1, False, 'conv2d')", "RuntimeError", ["weight shape"]),
    ("ember._C.conv_backward_input(ember.zeros((2, 4, 5, 6))._a, ember.zeros((4, 3, 3, 3))._a, [2, 3, 8, 8], [1, 1],"
     " [0, 0, 0, 0], [1, 1], 1, 'conv2d')", "RuntimeError", ["grad_output of shape (2, 4, 6, 6)"]),
])
def test_bad_input_raises(code, exc, subs):
    assert_raises_in_child("import ember.nn as nn, ember.nn.functional as F\n" + code, exc, *subs)
