"""CUDA pooling (csrc/ops/pool/pool_cuda.cu) against ember's CPU kernels, and against
torch on CUDA when it is installed with a GPU: max_pool1d/2d (indices, ceil_mode,
dilation, padding), avg_pool1d/2d (count_include_pad, divisor_override), adaptive
avg / max pooling (overlapping windows), max_unpool, and every backward (max-pool
backward scatters through the saved indices, average backward is a gather), on odd
spatial sizes, unbatched and non-contiguous inputs; float16/bfloat16 (CUDA only: the
CPU reference runs on the same values in float32); mixed devices; interpolate in every
mode (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area, antialiased),
forward, backward and double backward.

Skips as a whole without a usable GPU; EMBER_CUDA_TEST_DEVICE=cpu dry-runs it on the CPU."""
import numpy as np
import pytest

import ember
from cuda_compare import DEV, DRY_RUN, compare, host, make, mixed_device_raises, rng, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

F = ember.nn.functional


def randn(shape, seed=0):
    return rng(seed).standard_normal(shape).astype(np.float32)


def torch_f(name, **kw):
    def f(*ts):
        import torch

        return getattr(torch.nn.functional, name)(*ts, **kw)
    return f


MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
    dict(kernel_size=3, stride=1, padding=1, dilation=2),
    dict(kernel_size=(3, 2), stride=(3, 1), ceil_mode=True),
]


@pytest.mark.parametrize("kw", MAX2D, ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9, 11), (3, 7, 8), (1, 1, 5, 5)], ids=str)
def test_max_pool2d(kw, shape):
    x = randn(shape, 1)
    compare(lambda a: F.max_pool2d(a, **kw), [(x, None)], grad_inputs=(0,), check_torch=torch_f("max_pool2d", **kw))
    y, i = compare(lambda a: F.max_pool2d(a, return_indices=True, **kw), [(x, None)], grad_inputs=(0,))
    assert i.dtype == ember.int64


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=4, stride=1, dilation=3, padding=2)], ids=str)
def test_max_pool1d(kw):
    x = randn((3, 4, 23), 2)
    compare(lambda a: F.max_pool1d(a, return_indices=True, **kw), [(x, None)], grad_inputs=(0,),
            check_torch=torch_f("max_pool1d", return_indices=True, **kw))
    compare(lambda a: F.max_pool1d(a, **kw), [(randn((5, 17), 3), None)], grad_inputs=(0,))


def test_max_pool_nan_ties_and_inf():
    x = randn((1, 2, 6, 6), 4)
    x[0, 0, 1, 1] = np.nan
    x[0, 1, :2, :2] = 5.0  # tie: the first maximum wins
    x[0, 1, 4:, 4:] = -np.inf
    compare(lambda a: F.max_pool2d(a, 2, return_indices=True), [(x, None)])
    compare(lambda a: F.max_pool2d(a, 3, stride=1, padding=1, return_indices=True), [(x, None)])


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 4), stride=(1, 3), padding=(1, 2), divisor_override=5),
    dict(kernel_size=5, stride=1, padding=2),
]


@pytest.mark.parametrize("kw", AVG2D, ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9, 10), (4, 7, 7)], ids=str)
def test_avg_pool2d(kw, shape):
    x = randn(shape, 5)
    compare(lambda a: F.avg_pool2d(a, **kw), [(x, None)], grad_inputs=(0,), check_torch=torch_f("avg_pool2d", **kw))


@pytest.mark.parametrize("kw", [dict(kernel_size=3), dict(kernel_size=4, stride=2, padding=2, ceil_mode=True),
                                dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)], ids=str)
def test_avg_pool1d(kw):
    x = randn((2, 5, 19), 6)
    compare(lambda a: F.avg_pool1d(a, **kw), [(x, None)], grad_inputs=(0,), check_torch=torch_f("avg_pool1d", **kw))


@pytest.mark.parametrize("out", [(1, 1), (3, 3), (4, 5), (7, 2), (9, 10), (2, 1), (11, 17)], ids=str)
def test_adaptive_pool2d(out):
    x = randn((2, 3, 9, 10), 7)
    compare(lambda a: F.adaptive_avg_pool2d(a, out), [(x, None)], grad_inputs=(0,),
            check_torch=torch_f("adaptive_avg_pool2d", output_size=out))
    compare(lambda a: F.adaptive_max_pool2d(a, out, return_indices=True), [(x, None)], grad_inputs=(0,),
            check_torch=torch_f("adaptive_max_pool2d", output_size=out, return_indices=True))


@pytest.mark.parametrize("out", [1, 4, 6, 13, 20])
def test_adaptive_pool1d(out):
    x = randn((3, 2, 13), 8)
    compare(lambda a: F.adaptive_avg_pool1d(a, out), [(x, None)], grad_inputs=(0,))
    compare(lambda a: F.adaptive_max_pool1d(a, out), [(x, None)], grad_inputs=(0,))


def test_float64_and_non_contiguous():
    x = randn((3, 2, 10, 12), 9)
    compare(lambda a: F.max_pool2d(a.transpose(2, 3), 3, stride=2), [(x, ember.float64)], grad_inputs=(0,))
    compare(lambda a: F.avg_pool2d(a[:, :, ::2], 2), [(x, ember.float64)], grad_inputs=(0,))
    compare(lambda a: F.adaptive_avg_pool2d(a.permute(1, 0, 2, 3), (3, 4)), [(x, None)], grad_inputs=(0,))


def test_max_unpool():
    x = randn((2, 3, 8, 9), 10)
    outs = {}
    for dev in ("cpu", DEV):
        xt = make(x, device=dev, grad=True)
        y, idx = F.max_pool2d(xt, 2, return_indices=True)
        y2 = make(randn(tuple(y.shape), 11), device=dev, grad=True)
        u = F.max_unpool2d(y2, idx, 2, output_size=(8, 9))
        (u * make(randn(tuple(u.shape), 12), device=dev)).sum().backward()
        outs[dev] = (host(u), host(y2.grad), host(idx))
    for a_, b_ in zip(outs[DEV], outs["cpu"]):
        np.testing.assert_allclose(a_, b_, rtol=1e-6, atol=1e-6)
    x1 = randn((2, 11), 13)
    for dev in ("cpu", DEV):
        y, idx = F.max_pool1d(make(x1, device=dev), 3, stride=3, return_indices=True)
        outs[dev] = host(F.max_unpool1d(y, idx, 3, stride=3, output_size=(11,)))
    np.testing.assert_allclose(outs[DEV], outs["cpu"])


def test_double_backward_of_max_pool():
    # the gradient of max-pool backward is the gather by the same indices
    x = randn((1, 2, 6, 7), 14)
    res = {}
    for dev in ("cpu", DEV):
        xt = make(x, device=dev, grad=True)
        y = F.max_pool2d(xt, 3, stride=2, padding=1)
        g = make(randn(tuple(y.shape), 15), device=dev, grad=True)
        (gx,) = ember.autograd.grad(y, xt, g, create_graph=True)
        (gx * make(randn(x.shape, 16), device=dev)).sum().backward()
        res[dev] = (host(gx), host(g.grad))
    for a_, b_ in zip(res[DEV], res["cpu"]):
        np.testing.assert_allclose(a_, b_, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(DRY_RUN, reason="float16 / bfloat16 pooling is CUDA-only")
@pytest.mark.parametrize("dt", [ember.float16, ember.bfloat16], ids=lambda d: d.name)
def test_half_precision_against_float32(dt):
    x = randn((2, 3, 9, 10), 17)
    ops = [lambda a: F.max_pool2d(a, 3, stride=2, padding=1), lambda a: F.avg_pool2d(a, 3, stride=2, padding=1),
           lambda a: F.adaptive_avg_pool2d(a, (4, 3)), lambda a: F.adaptive_max_pool2d(a, (4, 3))]
    tol = 1e-2 if dt == ember.float16 else 5e-2
    for fn in ops:
        xh = make(x, dt, device=DEV, grad=True)
        xr = make(host(xh.detach()), device="cpu", grad=True)  # the same rounded values in float32
        yh, yr = fn(xh), fn(xr)
        assert yh.dtype == dt
        np.testing.assert_allclose(host(yh), host(yr), rtol=tol, atol=tol)
        w = randn(tuple(yr.shape), 18)
        (yh * make(w, dt, device=DEV)).sum().backward()
        (yr * make(host(make(w, dt)), device="cpu")).sum().backward()
        np.testing.assert_allclose(host(xh.grad), host(xr.grad), rtol=tol, atol=tol)


def test_mixed_devices():
    x = make(randn((1, 2, 6, 6), 19), device=DEV)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    mixed_device_raises(lambda: F.max_unpool2d(y, idx.cpu(), 2))
    mixed_device_raises(lambda: F.max_unpool2d(y.cpu(), idx, 2))


# ---------------------------------------------------------------- interpolate
INTERP = [
    ((2, 3, 7), dict(size=12, mode="nearest")),
    ((2, 3, 7), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 9), dict(size=4, mode="nearest-exact")),
    ((2, 3, 7), dict(size=12, mode="linear")),
    ((2, 3, 7), dict(size=5, mode="linear", align_corners=True)),
    ((2, 3, 5, 6), dict(size=(9, 4), mode="nearest")),
    ((2, 3, 5, 6), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 5, 6), dict(size=(8, 11), mode="bilinear")),
    ((2, 3, 5, 6), dict(size=(3, 13), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 6), dict(scale_factor=1.7, mode="bilinear")),
    ((2, 3, 5, 6), dict(size=(7, 9), mode="bicubic")),
    ((2, 3, 5, 6), dict(size=(4, 3), mode="bicubic", align_corners=True)),
    ((1, 2, 12, 14), dict(size=(5, 6), mode="bilinear", antialias=True)),
    ((1, 2, 12, 14), dict(size=(5, 9), mode="bicubic", antialias=True)),
    ((2, 3, 9, 10), dict(size=(4, 3), mode="area")),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 7), mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(6, 8, 2), mode="nearest")),
    ((1, 2, 6, 4, 5), dict(size=(3, 2, 2), mode="area")),
    ((2, 3, 5, 6), dict(size=(5, 6), mode="bilinear")),  # identity
]


@pytest.mark.parametrize("shape,kw", INTERP, ids=lambda v: str(v))
def test_interpolate(shape, kw):
    x = randn(shape, 20)
    # torch's CUDA nearest / area / antialias kernels compute indices and weights their own
    # way (ember follows torch's CPU kernels): compare with torch for the smooth modes only.
    smooth = kw["mode"] in ("linear", "bilinear", "bicubic", "trilinear") and not kw.get("antialias")
    compare(lambda a: F.interpolate(a, **kw), [(x, None)], grad_inputs=(0,),
            check_torch=torch_f("interpolate", **kw) if smooth else None)


def test_interpolate_float64_views_and_double_backward():
    x = randn((2, 3, 6, 5), 21)
    compare(lambda a: F.interpolate(a.transpose(2, 3), size=(9, 7), mode="bilinear"), [(x, ember.float64)],
            grad_inputs=(0,))
    compare(lambda a: F.interpolate(a[:, :, ::2], scale_factor=3, mode="nearest"), [(x, None)], grad_inputs=(0,))
    res = {}
    for dev in ("cpu", DEV):
        xt = make(x, device=dev, grad=True)
        y = F.interpolate(xt, size=(8, 8), mode="bicubic")
        g = make(randn(tuple(y.shape), 22), device=dev, grad=True)
        (gx,) = ember.autograd.grad(y, xt, g, create_graph=True)
        (gx * make(randn(x.shape, 23), device=dev)).sum().backward()
        res[dev] = (host(y), host(gx), host(g.grad))
    for a_, b_ in zip(res[DEV], res["cpu"]):
        np.testing.assert_allclose(a_, b_, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(DRY_RUN, reason="float16 / bfloat16 interpolation is CUDA-only")
@pytest.mark.parametrize("dt", [ember.float16, ember.bfloat16], ids=lambda d: d.name)
def test_interpolate_half(dt):
    x = randn((2, 3, 5, 6), 24)
    xh = make(x, dt, device=DEV, grad=True)
    xr = make(host(xh.detach()), device="cpu", grad=True)
    yh = F.interpolate(xh, size=(8, 9), mode="bilinear")
    yr = F.interpolate(xr, size=(8, 9), mode="bilinear")
    assert yh.dtype == dt
    tol = 1e-2 if dt == ember.float16 else 5e-2
    np.testing.assert_allclose(host(yh), host(yr), rtol=tol, atol=tol)
    yh.sum().backward()
    yr.sum().backward()
    np.testing.assert_allclose(host(xh.grad), host(xr.grad), rtol=tol, atol=tol)
