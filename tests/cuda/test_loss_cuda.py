"""CUDA cross_entropy / nll_loss (csrc/ops/loss/loss_cuda.cu) against ember's CPU
kernels, and against torch on CUDA when it is installed with a GPU.

Shapes cover each CUDA schedule: a warp per row (C <= 512), a block per row (C > 512),
the spatial kernel (N, C, d1, ...) and 1-D input; with class weights, ignore_index,
label smoothing, every reduction, float16/bfloat16/float32/float64 inputs, int32
targets, non-contiguous inputs, gradients; out-of-range targets (NaN on CUDA), a
fully ignored batch and mixed devices.

Skips as a whole without a usable GPU; EMBER_CUDA_TEST_DEVICE=cpu dry-runs it on the CPU."""
import numpy as np
import pytest

import ember
from cuda_compare import DEV, DRY_RUN, compare, host, make, mixed_device_raises, rng, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

F = ember.nn.functional
FLOATS = [ember.float32, ember.float64, ember.float16, ember.bfloat16]
REDUCTIONS = ["none", "mean", "sum"]


def logits(shape, seed=0, scale=3.0):
    return (rng(seed).standard_normal(shape) * scale).astype(np.float32)


def targets(shape, c, seed=1, ignore=None, frac=0.2):
    t = rng(seed).integers(0, c, size=shape).astype(np.int64)
    if ignore is not None:
        t[rng(seed + 7).uniform(size=shape) < frac] = ignore
    return t


def weights(c, seed=2):
    return rng(seed).uniform(0.2, 2.0, size=(c,)).astype(np.float32)


def tol_for(dt):
    return {ember.float16: (5e-3, 5e-3), ember.bfloat16: (3e-2, 3e-2), ember.float32: (1e-5, 1e-5),
            ember.float64: (1e-10, 1e-10)}[dt]


# shape of the input; C = shape[1] (shape[0] for 1-D)
SHAPES = [(16, 10), (5, 513), (3, 4000), (4, 7, 5), (2, 3, 4, 5), (1, 1), (9,)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_shapes_reductions(shape, reduction):
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    x, t = logits(shape), targets(tshape, c)
    compare(lambda a, b: F.cross_entropy(a, b, reduction=reduction), [(x, None), (t, None)], grad_inputs=(0,),
            check_torch=lambda a, b: __import__("torch").nn.functional.cross_entropy(a, b, reduction=reduction))


@pytest.mark.parametrize("shape", [(32, 10), (6, 1000), (3, 5, 6)], ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
def test_cross_entropy_weight_ignore_smoothing(shape, reduction, smoothing):
    c = shape[1]
    tshape = (shape[0],) + shape[2:]
    x, t, w = logits(shape, 3), targets(tshape, c, 4, ignore=-100), weights(c)
    compare(lambda a, b, ww: F.cross_entropy(a, b, weight=ww, reduction=reduction, label_smoothing=smoothing),
            [(x, None), (t, None), (w, None)], grad_inputs=(0,), rtol=2e-5, atol=2e-5)
    # custom ignore_index, no weight
    t2 = targets(tshape, c, 5, ignore=3, frac=0.3)
    compare(lambda a, b: F.cross_entropy(a, b, ignore_index=3, reduction=reduction, label_smoothing=smoothing),
            [(x, None), (t2, None)], grad_inputs=(0,), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", [(8, 12), (4, 700), (2, 6, 3, 3)], ids=str)
def test_cross_entropy_dtypes(dt, shape):
    c = shape[1]
    x, t, w = logits(shape, 6), targets((shape[0],) + shape[2:], c, 7, ignore=-100), weights(c, 8)
    r, a = tol_for(dt)
    compare(lambda a_, b, ww: F.cross_entropy(a_, b, weight=ww, label_smoothing=0.05),
            [(x, dt), (t, None), (w, ember.float32 if dt != ember.float64 else dt)], grad_inputs=(0,), rtol=r,
            atol=a)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(10, 6), (5, 600), (3, 4, 7)], ids=str)
def test_nll_loss(reduction, shape):
    c = shape[1]
    x = logits(shape, 9)
    t = targets((shape[0],) + shape[2:], c, 10, ignore=-100)
    w = weights(c, 11)
    compare(lambda a, b: F.nll_loss(F.log_softmax(a, 1), b, reduction=reduction), [(x, None), (t, None)],
            grad_inputs=(0,))
    compare(lambda a, b, ww: F.nll_loss(a, b, weight=ww, reduction=reduction), [(x, None), (t, None), (w, None)],
            grad_inputs=(0,),
            check_torch=lambda a, b, ww: __import__("torch").nn.functional.nll_loss(a, b, weight=ww,
                                                                                    reduction=reduction))


def test_int32_and_uint8_targets():
    x = logits((12, 9), 12)
    t = targets((12,), 9, 13)
    compare(lambda a, b: F.cross_entropy(a, b), [(x, None), (t, ember.int32)], grad_inputs=(0,))
    compare(lambda a, b: F.nll_loss(a, b, reduction="sum"), [(x, None), (t, ember.uint8)], grad_inputs=(0,))


def test_non_contiguous_inputs():
    # transposed (class dim strided) and step-sliced logits
    xt = logits((20, 16), 14)  # (C, N): transposed to (N, C)
    t = targets((16,), 20, 15, ignore=-100)
    compare(lambda a, b: F.cross_entropy(a.t(), b, label_smoothing=0.1), [(xt, None), (t, None)], grad_inputs=(0,))
    xs = logits((8, 30), 16)
    t2 = targets((8,), 15, 17)
    compare(lambda a, b: F.cross_entropy(a[:, ::2], b, reduction="sum"), [(xs, None), (t2, None)],
            grad_inputs=(0,))
    # spatial input in channels-last memory order
    xc = logits((2, 5, 6, 4), 18)  # (N, H, W, C) -> permuted to (N, C, H, W)
    t3 = targets((2, 5, 6), 4, 19)
    compare(lambda a, b: F.cross_entropy(a.permute(0, 3, 1, 2), b), [(xc, None), (t3, None)], grad_inputs=(0,))


def test_grad_of_none_reduction_is_per_sample():
    x = logits((6, 5), 20)
    t = targets((6,), 5, 21, ignore=-100, frac=0.3)
    compare(lambda a, b: F.cross_entropy(a, b, reduction="none") * 1.0, [(x, None), (t, None)], grad_inputs=(0,))


def test_all_ignored_mean_is_nan():
    x = logits((4, 3), 22)
    t = np.full((4,), -100, dtype=np.int64)
    out = compare(lambda a, b: F.cross_entropy(a, b), [(x, None), (t, None)])
    assert np.isnan(host(out[0]))


def test_large_logits_stay_finite():
    x = logits((4, 2000), 23, scale=1.0)
    x[:, 5] = 80.0
    x[1, :] = -1e4
    t = targets((4,), 2000, 24)
    compare(lambda a, b: F.cross_entropy(a, b, reduction="none"), [(x, None), (t, None)], grad_inputs=(0,))


@pytest.mark.skipif(DRY_RUN, reason="CUDA-only behaviour")
def test_out_of_range_target_gives_nan_on_cuda():
    x = make(logits((4, 5), 25), device=DEV, grad=True)
    t = make(np.array([0, 7, 1, 2]), device=DEV)
    loss = F.cross_entropy(x, t, reduction="none")
    v = host(loss)
    assert np.isnan(v[1]) and np.isfinite(v[[0, 2, 3]]).all()
    assert np.isnan(host(F.cross_entropy(x, t)))
    F.cross_entropy(x, t, reduction="sum").backward()
    g = host(x.grad)
    assert np.isnan(g[1]).all() and np.isfinite(g[[0, 2, 3]]).all()
    t_neg = make(np.array([0, -3, 1, 2]), device=DEV)
    assert np.isnan(host(F.nll_loss(x, t_neg, reduction="none"))[1])


def test_mixed_devices_raise():
    x = make(logits((4, 5), 26), device=DEV)
    t = make(targets((4,), 5, 27))
    w = make(weights(5))
    mixed_device_raises(lambda: F.cross_entropy(x, t))
    mixed_device_raises(lambda: F.cross_entropy(x, t.to(DEV), weight=w))
    mixed_device_raises(lambda: F.nll_loss(x.cpu(), t.to(DEV)))


# ctc_loss on CUDA: tests/cuda/test_ctc_cuda.py


def test_module_loss_and_grad():
    # nn.CrossEntropyLoss / nn.NLLLoss modules on the device, forward + backward
    r = rng(29)
    x = r.standard_normal((16, 8)).astype(np.float32)
    y = r.integers(0, 8, size=(16,))
    w = weights(8, 30)
    outs = {}
    for dev in ("cpu", DEV):
        xt = make(x, device=dev, grad=True)
        ce = ember.nn.CrossEntropyLoss(weight=make(w, device=dev), label_smoothing=0.1)
        loss = ce(xt, make(y, device=dev)) + ember.nn.NLLLoss(reduction="sum")(xt, make(y, device=dev))
        loss.backward()
        outs[dev] = (host(loss), host(xt.grad))
    np.testing.assert_allclose(outs[DEV][0], outs["cpu"][0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outs[DEV][1], outs["cpu"][1], rtol=1e-5, atol=1e-5)
