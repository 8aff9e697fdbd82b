"""CUDA convolutions (csrc/ops/conv/conv_cuda.cu: implicit GEMM on tensor cores) against
float64 CPU references computed from the same dtype-rounded inputs: conv1d/conv2d with
stride, padding (incl. 'same', asymmetric), dilation, groups and depthwise, odd channel
counts (scalar loaders) and multiples of 8 (16-byte loaders), non-contiguous inputs,
transposed convolutions, all three gradients, the cudnn.allow_tf32 switch, torch CUDA
when present, and mixed-device errors.

Skips as a whole without a usable GPU. EMBER_CUDA_TEST_DEVICE=cpu runs it on the CPU (a
dry run of the tests themselves)."""
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F

from cuda_compare import DEV, DRY_RUN as DRY, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

F16, BF16, F32, F64 = ember.float16, ember.bfloat16, ember.float32, ember.float64
FLOATS = [F32, F64, F16, BF16]
# rtol per dtype; atol = rtol * sqrt(reduction length). float32 convs run on TF32 by
# default (ember.backends.cudnn.allow_tf32 = True, as in PyTorch).
RTOL = {F64: 1e-10, F32: 3e-3, F16: 2e-3, BF16: 1.6e-2}
F32_STRICT = 2e-5


def rnd(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def rounded(arr, dtype):
    return ember.tensor(np.ascontiguousarray(arr)).to(dtype).to(F64).numpy()


def host64(t):
    return t.detach().cpu().to(F64).numpy()


def check(got, ref, dtype, K, rtol=None):
    assert got.device.type == ("cpu" if DRY else "cuda")
    assert got.dtype == dtype
    assert tuple(got.shape) == tuple(ref.shape)
    r = RTOL[dtype] if rtol is None else rtol
    np.testing.assert_allclose(host64(got), host64(ref), rtol=r, atol=r * math.sqrt(max(K, 1)))


def run(fn, arrays, dtype, dev, grad_out=None, transform=None):
    """fn(*tensors) on dev in dtype; with grad_out, also the input gradients."""
    ts = []
    for a in arrays:
        if a is None:
            ts.append(None)
            continue
        t = ember.tensor(np.ascontiguousarray(a)).to(dtype).to(dev)
        if grad_out is not None:
            t.requires_grad_(True)
        ts.append(t)
    args = list(ts)
    if transform is not None:
        args[0] = transform(args[0])
    y = fn(*args)
    grads = []
    if grad_out is not None:
        y.backward(ember.tensor(np.ascontiguousarray(grad_out)).to(dtype).to(dev))
        grads = [t.grad if t is not None else None for t in ts]
    return y, grads


def compare(fn, arrays, dtype, K, grad=True, transform=None, rtol=None, seed=50):
    """CUDA (dtype) vs CPU float64 on dtype-rounded inputs: output and input gradients."""
    arrays = [None if a is None else rounded(a, dtype) for a in arrays]
    y64, _ = run(fn, arrays, F64, "cpu", transform=transform)
    gout = rounded(rnd(tuple(y64.shape), seed), dtype) if grad else None
    y, g = run(fn, arrays, dtype, DEV, gout, transform)
    check(y, y64, dtype, K, rtol)
    if grad:
        _, g64 = run(fn, arrays, F64, "cpu", gout, transform)
        # the weight and bias gradients reduce over every output pixel: a longer sum
        k_grad = max(K, int(np.prod(y64.shape)) // max(1, y64.shape[1]))
        for a, b in zip(g, g64):
            if b is not None:
                check(a, b, dtype, k_grad, rtol)


# (N, C, H, W, O, kernel, stride, padding, dilation, groups). Routing on CUDA: fewer than
# 16 channels per group on the GEMM's N side (or weight-gradient rows) take the direct
# kernels, the rest the implicit GEMMs (16-byte loaders when channels per group are a
# multiple of 8, scalar loaders otherwise).
CONV2D = [
    (2, 3, 9, 11, 5, 3, 1, 1, 1, 1),  # few channels: direct kernels
    (2, 19, 7, 9, 21, 3, 1, 1, 1, 1),  # odd channels: GEMM with scalar loaders
    (2, 19, 7, 9, 21, 3, 2, 1, 1, 1),  # ... strided (input gradient skips taps)
    (2, 16, 8, 8, 16, 3, 1, 1, 1, 1),  # 16-byte loaders
    (2, 32, 9, 9, 48, 3, 2, 1, 1, 2),  # groups + stride 2, GEMM everywhere
    (1, 16, 10, 10, 16, 3, 1, 2, 2, 1),  # dilation on the GEMM path
    (2, 8, 10, 7, 16, (3, 2), (2, 1), (1, 0), (1, 2), 1),
    (1, 16, 12, 12, 32, 3, 2, 1, 1, 2),  # groups, stride 2
    (2, 8, 6, 6, 8, 3, 1, 1, 1, 8),  # depthwise
    (3, 32, 5, 5, 64, 1, 1, 0, 1, 1),  # 1x1
    (1, 4, 7, 7, 6, 5, 3, 2, 1, 1),  # k5 stride 3
    (2, 24, 9, 9, 40, 3, 2, 2, 2, 4),  # dilation 2 + stride 2 + groups
    (1, 130, 6, 5, 129, 3, 1, 1, 1, 1),  # more than one 128 tile in N and in K
]


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("cfg", CONV2D, ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d(dtype, cfg, with_bias):
    N, C, H, W, O, k, s, p, d, g = cfg
    kh, kw = (k, k) if isinstance(k, int) else k
    X, Wt, b = rnd((N, C, H, W), 1), rnd((O, C // g, kh, kw), 2), rnd(O, 3)
    fn = lambda x, w, bb: F.conv2d(x, w, bb, stride=s, padding=p, dilation=d, groups=g)  # noqa: E731
    compare(fn, [X, Wt, b if with_bias else None], dtype, C // g * kh * kw)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("cfg", [(2, 8, 33, 16, 3, 2, 1, 1, 1), (3, 5, 20, 7, 4, 1, 0, 2, 1),
                                 (1, 16, 17, 32, 5, 3, 2, 1, 4), (2, 32, 40, 32, 3, 1, 1, 1, 1)], ids=str)
def test_conv1d(dtype, cfg):
    N, C, L, O, k, s, p, d, g = cfg
    X, Wt, b = rnd((N, C, L), 4), rnd((O, C // g, k), 5), rnd(O, 6)
    fn = lambda x, w, bb: F.conv1d(x, w, bb, stride=s, padding=p, dilation=d, groups=g)  # noqa: E731
    compare(fn, [X, Wt, b], dtype, C // g * k)


@pytest.mark.parametrize("dtype", [F32, F16], ids=str)
def test_conv2d_same_padding_asymmetric(dtype):
    X, Wt = rnd((2, 8, 9, 10), 7), rnd((8, 8, 4, 2), 8)
    fn = lambda x, w: F.conv2d(x, w, padding="same")  # noqa: E731
    compare(fn, [X, Wt], dtype, 8 * 8)


@pytest.mark.parametrize("dtype", [F32, BF16], ids=str)
def test_conv2d_noncontiguous_input(dtype):
    X, Wt, b = rnd((2, 16, 11, 9), 9), rnd((24, 16, 3, 3), 10), rnd(24, 11)
    fn = lambda x, w, bb: F.conv2d(x, w, bb, padding=1)  # noqa: E731
    compare(fn, [X, Wt, b], dtype, 16 * 9, transform=lambda t: t.transpose(2, 3))


# (N, C_in, H, W, C_out, k, stride, padding, output_padding, dilation, groups)
TCONV = [
    (2, 8, 5, 5, 6, 3, 2, 1, 1, 1, 2),
    (2, 32, 5, 5, 32, 3, 2, 1, 1, 1, 1),  # GEMM path
    (1, 16, 4, 6, 16, 4, 2, 1, 0, 1, 1),
    (2, 3, 6, 6, 5, 3, 1, 0, 0, 2, 1),
    (1, 32, 3, 3, 16, 2, 2, 0, 0, 1, 1),
]


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("cfg", TCONV, ids=str)
def test_conv_transpose2d(dtype, cfg):
    N, C, H, W, O, k, s, p, op, d, g = cfg
    X, Wt, b = rnd((N, C, H, W), 12), rnd((C, O // g, k, k), 13), rnd(O, 14)
    fn = lambda x, w, bb: F.conv_transpose2d(x, w, bb, stride=s, padding=p, output_padding=op,  # noqa: E731
                                             groups=g, dilation=d)
    compare(fn, [X, Wt, b], dtype, C // g * k * k)


@pytest.mark.parametrize("dtype", [F32, F64, F16], ids=str)
def test_conv_transpose1d(dtype):
    X, Wt, b = rnd((2, 8, 13), 15), rnd((8, 4, 5), 16), rnd(4, 17)
    fn = lambda x, w, bb: F.conv_transpose1d(x, w, bb, stride=3, padding=2, output_padding=1)  # noqa: E731
    compare(fn, [X, Wt, b], dtype, 8 * 5)


@pytest.mark.parametrize("dtype", [F16, BF16, F32], ids=str)
def test_conv2d_resnet_block_shape(dtype):
    # the benchmark's shape, scaled down in N: 64 -> 64 channels, 28x28, k3 (split-K in
    # the weight gradient, 16-byte loaders everywhere)
    X, Wt = rnd((4, 64, 28, 28), 18), rnd((64, 64, 3, 3), 19)
    fn = lambda x, w: F.conv2d(x, w, padding=1)  # noqa: E731
    compare(fn, [X, Wt], dtype, 64 * 9)


def test_cudnn_tf32_flag():
    assert ember.backends.cudnn.allow_tf32 is True
    X, Wt = rnd((2, 32, 10, 10), 20), rnd((48, 32, 3, 3), 21)
    fn = lambda x, w: F.conv2d(x, w, padding=1)  # noqa: E731
    try:
        ember.backends.cudnn.allow_tf32 = False
        assert ember.backends.cudnn.allow_tf32 is False
        compare(fn, [X, Wt], F32, 32 * 9, rtol=F32_STRICT)  # full float32 (FMA path)
        ember.backends.cudnn.allow_tf32 = True
        compare(fn, [X, Wt], F32, 32 * 9)  # TF32 tolerance
    finally:
        ember.backends.cudnn.allow_tf32 = True


def test_module_conv2d_on_cuda():
    ember.manual_seed(0)
    m = ember.nn.Conv2d(6, 10, 3, stride=2, padding=1)
    x = ember.tensor(rnd((2, 6, 9, 9), 22)).float()
    ref = m(x)
    m_gpu = m.to(DEV)
    y = m_gpu(x.to(DEV))
    check(y, ref.to(F64), F32, 6 * 9)


@pytest.mark.parametrize("dtype", [F32, F16, BF16], ids=str)
def test_matches_torch(dtype):
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not installed")
    if DRY or not torch.cuda.is_available():
        pytest.skip("torch has no CUDA")
    tdt = {F32: torch.float32, F16: torch.float16, BF16: torch.bfloat16}[dtype]
    X, Wt, b = rnd((2, 16, 14, 14), 23), rnd((32, 8, 3, 3), 24), rnd(32, 25)
    tx, tw, tb = (torch.as_tensor(v).to(tdt).cuda() for v in (X, Wt, b))
    tref = torch.nn.functional.conv2d(tx, tw, tb, stride=2, padding=1, groups=2).double().cpu().numpy()
    y = F.conv2d(*(ember.tensor(v).to(dtype).to(DEV) for v in (X, Wt, b)), stride=2, padding=1, groups=2)
    check(y, ember.tensor(tref), dtype, 8 * 9)


def test_mixed_device_errors():
    if DRY:
        pytest.skip("needs a GPU")
    x_gpu = ember.tensor(rnd((1, 4, 6, 6))).float().to("cuda")
    w_cpu = ember.tensor(rnd((4, 4, 3, 3))).float()
    for fn in (lambda: F.conv2d(x_gpu, w_cpu), lambda: F.conv_transpose2d(x_gpu, w_cpu),
               lambda: F.conv2d(x_gpu, w_cpu.to("cuda"), ember.zeros(4))):
        with pytest.raises((RuntimeError, ValueError)) as e:
            fn()
        msg = str(e.value)
        assert "cpu" in msg and "cuda" in msg, msg
