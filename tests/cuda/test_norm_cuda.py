"""CUDA batch / layer / RMS / group / instance norm (csrc/ops/norm/norm_*_cuda.cu)
against ember's CPU kernels, and against torch on CUDA when it is installed with a GPU.

Shapes cover each CUDA schedule: batch norm's column path (short channel runs, e.g.
(N, C)) and row path (runs >= 64), eval vs training with running-stat updates; layer
norm rows with a warp per row (D <= 1024), a block per row with the row in registers
(D <= 8192) and without (longer rows); group norm with warp / block teams; local
response norm. Every case
checks outputs, input / weight / bias gradients and running statistics, in float32,
float64, float16 and bfloat16, on contiguous and non-contiguous inputs; mixed devices
raise naming both.

Skips as a whole without a usable GPU; EMBER_CUDA_TEST_DEVICE=cpu dry-runs it on the CPU."""
import numpy as np
import pytest

import ember
from cuda_compare import DEV, DRY_RUN, compare, host, make, mixed_device_raises, rng, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

F = ember.nn.functional
FLOATS = [ember.float32, ember.float64, ember.float16, ember.bfloat16]


def randn(shape, seed=0, scale=1.0, shift=0.0):
    return (rng(seed).standard_normal(shape) * scale + shift).astype(np.float32)


def tol_for(dt):
    return {ember.float16: (1e-2, 1e-2), ember.bfloat16: (5e-2, 5e-2), ember.float32: (1e-4, 1e-4),
            ember.float64: (1e-10, 1e-10)}[dt]


# ---------------------------------------------------------------- batch norm
# column path: (16, 5) (300, 7) (4, 3, 10) (64, 32, 2); row path: the rest, runs split into
# segments when channels x rows are few: (2, 2, 5000) (1, 3, 40000)
BN_SHAPES = [(16, 5), (300, 7), (4, 3, 10), (2, 6, 64), (3, 4, 9, 11), (1, 2, 65), (64, 32, 2), (2, 2, 5000),
             (1, 3, 40000)]


@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training(shape, affine):
    c = shape[1]
    x = randn(shape, 1, scale=2.0, shift=3.0)
    w, b = randn((c,), 2), randn((c,), 3)
    if affine:
        compare(lambda a, ww, bb: F.batch_norm(a, None, None, ww, bb, training=True),
                [(x, None), (w, None), (b, None)], grad_inputs=(0, 1, 2), rtol=1e-4, atol=1e-4,
                check_torch=lambda a, ww, bb: __import__("torch").nn.functional.batch_norm(a, None, None, ww, bb,
                                                                                           training=True))
    else:
        compare(lambda a: F.batch_norm(a, None, None, training=True), [(x, None)], grad_inputs=(0,), rtol=1e-4,
                atol=1e-4)


@pytest.mark.parametrize("shape", [(16, 5), (2, 6, 64), (3, 4, 9, 11)], ids=str)
def test_batch_norm_running_stats_and_eval(shape):
    c = shape[1]
    x = randn(shape, 4, scale=1.5, shift=-2.0)
    w, b = randn((c,), 5), randn((c,), 6)
    stats = {}
    for dev in ("cpu", DEV):
        rm = make(randn((c,), 7), device=dev)
        rv = make(np.abs(randn((c,), 8)) + 0.5, device=dev)
        y = F.batch_norm(make(x, device=dev), rm, rv, make(w, device=dev), make(b, device=dev), training=True,
                         momentum=0.3)
        stats[dev] = (host(y), host(rm), host(rv))
    for k in range(3):
        np.testing.assert_allclose(stats[DEV][k], stats["cpu"][k], rtol=1e-5, atol=1e-5)
    rm0, rv0 = randn((c,), 9), np.abs(randn((c,), 10)) + 0.5
    compare(lambda a, m, v, ww, bb: F.batch_norm(a, m, v, ww, bb, training=False),
            [(x, None), (rm0, None), (rv0, None), (w, None), (b, None)], grad_inputs=(0, 3, 4), rtol=1e-5,
            atol=1e-5)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", [(32, 4), (2, 3, 70)], ids=str)
def test_batch_norm_dtypes(dt, shape):
    c = shape[1]
    x = randn(shape, 11)
    w, b = randn((c,), 12), randn((c,), 13)
    pdt = dt if dt in (ember.float32, ember.float64) else ember.float32
    r, a = tol_for(dt)
    compare(lambda a_, ww, bb: F.batch_norm(a_, None, None, ww, bb, training=True),
            [(x, dt), (w, pdt), (b, pdt)], grad_inputs=(0, 1, 2), rtol=r, atol=a)


def test_batch_norm_non_contiguous_and_module():
    x = randn((5, 8, 6), 14)  # (C?, N, L) -> transposed to (N, C, L)
    compare(lambda a: F.batch_norm(a.transpose(0, 1), None, None, training=True), [(x, None)], grad_inputs=(0,),
            rtol=1e-4, atol=1e-4)
    x2 = randn((4, 10, 7, 7), 15)
    compare(lambda a: F.batch_norm(a[:, ::2], None, None, training=True), [(x2, None)], grad_inputs=(0,),
            rtol=1e-4, atol=1e-4)
    outs = {}
    for dev in ("cpu", DEV):
        m = ember.nn.BatchNorm2d(3).to(dev)
        inp = make(randn((4, 3, 5, 5), 16), device=dev, grad=True)
        m(inp).sum().backward()
        m.eval()
        y = m(make(randn((2, 3, 5, 5), 17), device=dev))
        outs[dev] = [host(m.running_mean), host(m.running_var), host(y), host(inp.grad), host(m.weight.grad)]
        assert int(host(m.num_batches_tracked)) == 1
    for a_, b_ in zip(outs[DEV], outs["cpu"]):
        np.testing.assert_allclose(a_, b_, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- layer norm / rms norm
LN_D = [1, 7, 32, 100, 1024, 1025, 4096, 8192, 9000]


@pytest.mark.parametrize("d", LN_D)
def test_layer_norm_row_schedules(d):
    rows = 6 if d > 1024 else 13
    x = randn((rows, d), 18, scale=2.0, shift=5.0)
    w, b = randn((d,), 19), randn((d,), 20)
    compare(lambda a, ww, bb: F.layer_norm(a, (d,), ww, bb), [(x, None), (w, None), (b, None)],
            grad_inputs=(0, 1, 2), rtol=1e-4, atol=1e-4,
            check_torch=lambda a, ww, bb: __import__("torch").nn.functional.layer_norm(a, (d,), ww, bb))


@pytest.mark.parametrize("d", [5, 256, 2000, 9000])
def test_rms_norm(d):
    x = randn((7, d), 21, scale=1.5)
    w = randn((d,), 22)
    compare(lambda a, ww: F.rms_norm(a, (d,), ww, eps=1e-6), [(x, None), (w, None)], grad_inputs=(0, 1),
            rtol=1e-4, atol=1e-4)
    compare(lambda a: F.rms_norm(a, (d,)), [(x, None)], grad_inputs=(0,), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("d", [64, 1500])
def test_layer_norm_dtypes(dt, d):
    x = randn((9, d), 23)
    w, b = randn((d,), 24), randn((d,), 25)
    pdt = dt if dt in (ember.float32, ember.float64) else ember.float32
    r, a = tol_for(dt)
    compare(lambda a_, ww, bb: F.layer_norm(a_, (d,), ww, bb), [(x, dt), (w, pdt), (b, pdt)],
            grad_inputs=(0, 1, 2), rtol=r, atol=a)


def test_layer_norm_multi_dim_non_contiguous_no_affine():
    x = randn((4, 6, 5, 3), 26)
    compare(lambda a: F.layer_norm(a, (5, 3)), [(x, None)], grad_inputs=(0,), rtol=1e-4, atol=1e-4)
    w, b = randn((5, 3), 27), randn((5, 3), 28)
    compare(lambda a, ww, bb: F.layer_norm(a.transpose(0, 1), (5, 3), ww, bb), [(x, None), (w, None), (b, None)],
            grad_inputs=(0, 1, 2), rtol=1e-4, atol=1e-4)
    xs = randn((8, 40), 29)
    compare(lambda a: F.layer_norm(a[::2, ::2], (20,)), [(xs, None)], grad_inputs=(0,), rtol=1e-4, atol=1e-4)
    # only the weight needs a grad
    compare(lambda a, ww: F.layer_norm(a, (40,), ww), [(xs, None), (randn((40,), 30), None)], grad_inputs=(1,),
            rtol=1e-4, atol=1e-4)


def test_layer_norm_empty_rows():
    x = np.zeros((0, 16), np.float32)
    compare(lambda a, ww: F.layer_norm(a, (16,), ww), [(x, None), (randn((16,), 31), None)], grad_inputs=(0, 1))


# ---------------------------------------------------------------- group / instance norm
GN_CASES = [((4, 6, 5), 3), ((2, 8, 16, 16), 4), ((3, 4, 1), 2), ((2, 64, 3000), 8), ((5, 6), 6), ((1, 2, 4100), 1)]


@pytest.mark.parametrize("shape,groups", GN_CASES, ids=str)
def test_group_norm(shape, groups):
    c = shape[1]
    x = randn(shape, 32, scale=2.0, shift=1.0)
    w, b = randn((c,), 33), randn((c,), 34)
    compare(lambda a, ww, bb: F.group_norm(a, groups, ww, bb), [(x, None), (w, None), (b, None)],
            grad_inputs=(0, 1, 2), rtol=1e-4, atol=1e-4,
            check_torch=lambda a, ww, bb: __import__("torch").nn.functional.group_norm(a, groups, ww, bb))
    compare(lambda a: F.group_norm(a, groups), [(x, None)], grad_inputs=(0,), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
def test_group_norm_dtypes_and_views(dt):
    x = randn((3, 6, 4, 5), 35)
    w, b = randn((6,), 36), randn((6,), 37)
    pdt = dt if dt in (ember.float32, ember.float64) else ember.float32
    r, a = tol_for(dt)
    compare(lambda a_, ww, bb: F.group_norm(a_, 2, ww, bb), [(x, dt), (w, pdt), (b, pdt)], grad_inputs=(0, 1, 2),
            rtol=r, atol=a)
    compare(lambda a_: F.group_norm(a_.transpose(2, 3), 3), [(x, dt)], grad_inputs=(0,), rtol=r, atol=a)


def test_instance_norm_running_stats():
    x = randn((4, 3, 6, 5), 38, shift=2.0)
    compare(lambda a: F.instance_norm(a), [(x, None)], grad_inputs=(0,), rtol=1e-4, atol=1e-4)
    res = {}
    for dev in ("cpu", DEV):
        rm, rv = make(np.zeros(3, np.float32), device=dev), make(np.ones(3, np.float32), device=dev)
        y = F.instance_norm(make(x, device=dev), rm, rv, momentum=0.2)
        res[dev] = (host(y), host(rm), host(rv))
    for a_, b_ in zip(res[DEV], res["cpu"]):
        np.testing.assert_allclose(a_, b_, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- errors
def test_mixed_devices_raise():
    x = make(randn((4, 3, 5), 39), device=DEV)
    w = make(randn((3,), 40))
    mixed_device_raises(lambda: F.batch_norm(x, None, None, w, None, training=True))
    mixed_device_raises(lambda: F.batch_norm(x, make(np.zeros(3, np.float32)), make(np.ones(3, np.float32)),
                                             training=False))
    mixed_device_raises(lambda: F.layer_norm(x, (5,), make(randn((5,), 41))))
    mixed_device_raises(lambda: F.group_norm(x, 3, w))
    mixed_device_raises(lambda: F.batch_norm(x.cpu(), None, None, w.to(DEV), None, training=True))
    mixed_device_raises(lambda: F.instance_norm(x, make(np.zeros(3, np.float32)), make(np.ones(3, np.float32))))


# ---------------------------------------------------------------- local response norm
@pytest.mark.parametrize("shape,size", [((2, 7, 5), 3), ((2, 16, 4, 3), 5), ((1, 3, 9), 8), ((3, 5, 1), 2)],
                         ids=str)
def test_local_response_norm(shape, size):
    x = randn(shape, 43, scale=2.0)
    compare(lambda a: F.local_response_norm(a, size, alpha=1e-2, beta=0.75, k=1.5), [(x, None)],
            grad_inputs=(0,), rtol=1e-5, atol=1e-5,
            check_torch=lambda a: __import__("torch").nn.functional.local_response_norm(a, size, alpha=1e-2,
                                                                                        beta=0.75, k=1.5))
    compare(lambda a: F.local_response_norm(a, size), [(x, ember.float64)], grad_inputs=(0,))


@pytest.mark.parametrize("dt", [ember.float16, ember.bfloat16], ids=lambda d: d.name)
def test_local_response_norm_half(dt):
    r, a = tol_for(dt)
    compare(lambda t: F.local_response_norm(t, 3), [(randn((2, 6, 7), 44), dt)], grad_inputs=(0,), rtol=r, atol=a)
