"""CUDA ctc_loss (csrc/ops/loss/ctc_cuda.cu) against ember's CPU kernel, and against
torch on CUDA when it is installed with a GPU.

Covers random (T, N, C, S), padded (N, S) and concatenated 1-D targets, reductions
none/mean/sum, blank != 0, repeated labels, zero-length targets and inputs, infinite
losses with and without zero_infinity, lengths as CUDA tensors / CPU tensors / lists /
int32, non-contiguous log_probs and targets, long sequences (more extended positions
than one block's threads, more classes than the gradient block's threads), float32
and float64, gradients through log_softmax; on CUDA only: bad targets or lengths that
stay on the device give NaN, and mixed devices raise naming both.

Skips as a whole without a usable GPU; EMBER_CUDA_TEST_DEVICE=cpu dry-runs it on the CPU."""
import numpy as np
import pytest

import ember
from cuda_compare import DEV, DRY_RUN, compare, host, make, mixed_device_raises, rng, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

F = ember.nn.functional
REDUCTIONS = ["none", "mean", "sum"]


def torch_ctc(**kw):
    """The same call in torch (for compare's check_torch): x (T, N, C) logits."""
    def f(x, tg, il, tl):
        import torch
        return torch.nn.functional.ctc_loss(x.log_softmax(2), tg, il, tl, **kw)
    return f


def case(seed, T, N, C, S, blank=0, repeats=False, il=None, tl=None):
    """Logits (T, N, C), padded targets (N, S) (never blank), lengths (N,)."""
    r = rng(seed)
    x = (r.standard_normal((T, N, C)) * 2).astype(np.float32)
    classes = np.array([c for c in range(C) if c != blank])
    tg = classes[r.integers(0, len(classes), size=(N, S))].astype(np.int64)
    if repeats and S >= 2:
        tg[:, 1] = tg[:, 0]  # a repeated label needs a blank between the two
    if repeats and S >= 4:
        tg[:, 3] = tg[:, 0]
    il = np.asarray(il if il is not None else r.integers(max(1, T // 2), T + 1, N), dtype=np.int64)
    tl = np.asarray(tl if tl is not None else r.integers(0, S + 1, N), dtype=np.int64)
    return x, tg, il, tl


def concat(tg, tl):
    return np.concatenate([tg[i, :tl[i]] for i in range(len(tl))] + [np.zeros(0, np.int64)]).astype(np.int64)


def tols(dt):
    return {ember.float32: (2e-5, 2e-5), ember.float64: (1e-10, 1e-10)}[dt]


def run(x, tg, il, tl, dt=ember.float32, rtol=None, atol=None, torch_check=True, **kw):
    """CUDA vs CPU of ctc_loss(log_softmax(x)) and its gradient wrt x; lengths as tensors."""
    r, a = tols(dt)
    return compare(lambda x_, t_, i_, l_: F.ctc_loss(x_.log_softmax(2), t_, i_, l_, **kw),
                   [(x, dt), (tg, None), (il, None), (tl, None)], grad_inputs=(0,),
                   rtol=rtol or r, atol=atol or a, check_torch=torch_ctc(**kw) if torch_check else None)


# (T, N, C, S)
SHAPES = [(12, 3, 5, 4), (30, 8, 20, 10), (7, 1, 3, 3), (50, 4, 40, 20), (16, 16, 6, 5)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["padded", "concat"])
def test_random_shapes(shape, reduction, layout):
    T, N, C, S = shape
    x, tg, il, tl = case(sum(shape), T, N, C, S, repeats=True)
    targets = tg if layout == "padded" else concat(tg, tl)
    run(x, targets, il, tl, reduction=reduction)


@pytest.mark.parametrize("layout", ["padded", "concat"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float64(layout, reduction):
    x, tg, il, tl = case(1, 20, 5, 7, 6, repeats=True)
    run(x, tg if layout == "padded" else concat(tg, tl), il, tl, dt=ember.float64, reduction=reduction)


@pytest.mark.parametrize("blank", [2, 5])
@pytest.mark.parametrize("layout", ["padded", "concat"])
def test_blank_not_zero(blank, layout):
    x, tg, il, tl = case(2, 18, 4, 6, 5, blank=blank, repeats=True)
    run(x, tg if layout == "padded" else concat(tg, tl), il, tl, blank=blank, reduction="none")


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_impossible_alignment(zero_infinity, reduction):
    # sample 1: 3 labels in 2 steps; sample 2: a repeated label needs 3 steps, gets 2
    x, tg, _, _ = case(3, 8, 4, 6, 3)
    tg[2, :2] = 4
    il = np.array([8, 2, 2, 0])
    tl = np.array([2, 3, 2, 0])
    out = run(x, tg, il, tl, dt=ember.float64, reduction=reduction, zero_infinity=zero_infinity)
    if reduction == "none":
        v = host(out[0])
        assert np.isfinite(v[[0, 3]]).all()
        assert (v[1:3] == 0).all() if zero_infinity else np.isinf(v[1:3]).all()


def test_zero_lengths():
    # empty targets, empty inputs (loss 0 when the target is empty too, else inf)
    x, tg, _, _ = case(4, 6, 5, 4, 3)
    il = np.array([6, 0, 0, 4, 6])
    tl = np.array([0, 0, 2, 0, 3])
    run(x, tg, il, tl, reduction="none", zero_infinity=True)
    run(x, concat(tg, tl), il, tl, reduction="sum", zero_infinity=True)


def test_long_sequences():
    # L' = 2 * 300 + 1 > 512 threads per sample block; C = 300 > 256 threads per gradient row
    x, tg, _, _ = case(5, 700, 2, 300, 300, repeats=True)
    il = np.array([700, 650])
    tl = np.array([300, 257])
    run(x, tg, il, tl, rtol=2e-4, atol=2e-4, torch_check=False, reduction="sum")  # torch at float32's 1e-5: too tight
    run(x, concat(tg, tl), il, tl, dt=ember.float64, reduction="none")


def test_many_samples_small():
    x, tg, il, tl = case(6, 10, 300, 5, 3)
    run(x, tg, il, tl, reduction="mean")


@pytest.mark.parametrize("layout", ["padded", "concat"])
def test_lengths_as_lists_and_int32(layout):
    x, tg, il, tl = case(7, 14, 4, 6, 5, repeats=True)
    targets = tg if layout == "padded" else concat(tg, tl)
    ill, tll = [int(v) for v in il], [int(v) for v in tl]
    for reduction in REDUCTIONS:
        compare(lambda x_, t_: F.ctc_loss(x_.log_softmax(2), t_, ill, tll, reduction=reduction),
                [(x, None), (targets, None)], grad_inputs=(0,), rtol=2e-5, atol=2e-5)
    # int32 targets and lengths, lengths on the CPU with log_probs on the device
    compare(lambda x_, t_: F.ctc_loss(x_.log_softmax(2), t_, ember.tensor(il).int(), ember.tensor(tl).int()),
            [(x, None), (targets, ember.int32)], grad_inputs=(0,), rtol=2e-5, atol=2e-5)
    run(x, targets.astype(np.int32), il.astype(np.int32), tl.astype(np.int32), reduction="sum")


def test_non_contiguous():
    x, tg, il, tl = case(8, 16, 3, 7, 4, repeats=True)
    xn = np.ascontiguousarray(x.transpose(1, 0, 2))  # (N, T, C): log_probs a transposed view
    compare(lambda x_, t_, i_, l_: F.ctc_loss(x_.log_softmax(2).transpose(0, 1), t_, i_, l_, reduction="none"),
            [(xn, None), (tg, None), (il, None), (tl, None)], grad_inputs=(0,), rtol=2e-5, atol=2e-5)
    x2 = np.concatenate([x, x], 0)  # every other step: a step-sliced view
    tgt = np.ascontiguousarray(tg.T)  # (S, N): targets a transposed view
    compare(lambda x_, t_, i_, l_: F.ctc_loss(x_.log_softmax(2)[::2], t_.t(), i_, l_, reduction="sum"),
            [(x2, None), (tgt, None), (il, None), (tl, None)], grad_inputs=(0,), rtol=2e-5, atol=2e-5)


def test_unbatched_and_module():
    x, tg, il, tl = case(9, 11, 1, 5, 4, il=[11], tl=[3])
    compare(lambda x_, t_: ember.nn.CTCLoss()(x_[:, 0].log_softmax(1), t_[0, :3], 11, 3),
            [(x, None), (tg, None)], grad_inputs=(0,), rtol=2e-5, atol=2e-5)
    compare(lambda x_, t_, i_, l_: ember.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)(
        x_.log_softmax(2), t_, i_, l_), [(x, None), (tg, None), (il, None), (tl, None)], grad_inputs=(0,),
            rtol=2e-5, atol=2e-5)


def test_forward_is_deterministic():
    x, tg, il, tl = case(10, 25, 6, 9, 7, repeats=True)
    outs = []
    for _ in range(2):
        xt = make(x, device=DEV, grad=True)
        loss = F.ctc_loss(xt.log_softmax(2), make(tg, device=DEV), make(il, device=DEV), make(tl, device=DEV))
        loss.backward()
        outs.append((host(loss), host(xt.grad)))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


@pytest.mark.skipif(DRY_RUN, reason="CUDA-only behaviour")
def test_bad_values_on_device_give_nan():
    x, tg, il, tl = case(11, 8, 3, 5, 3, il=[8, 8, 8], tl=[3, 3, 3])
    xt = make(x, device=DEV, grad=True)
    lp = xt.log_softmax(2)
    # a target out of range (the values stay on the device): that sample's loss and grad are NaN
    bad = tg.copy()
    bad[1, 2] = 9
    loss = F.ctc_loss(lp, make(bad, device=DEV), [8, 8, 8], [3, 3, 3], reduction="none")
    v = host(loss)
    assert np.isnan(v[1]) and np.isfinite(v[[0, 2]]).all(), v
    loss.sum().backward()
    g = host(xt.grad)
    assert np.isnan(g[:, 1]).all() and np.isfinite(g[:, [0, 2]]).all()
    # the blank as a target
    bad2 = tg.copy()
    bad2[0, 0] = 0
    v = host(F.ctc_loss(lp, make(bad2, device=DEV), [8, 8, 8], [3, 3, 3], reduction="none"))
    assert np.isnan(v[0]) and np.isfinite(v[1:]).all(), v
    # CUDA-tensor lengths with padded targets are checked on the device too
    v = host(F.ctc_loss(lp, make(tg, device=DEV), make(np.array([9, 8, -1]), device=DEV),
                        make(np.array([3, 4, 3]), device=DEV), reduction="none"))
    assert np.isnan(v).all(), v
    # lengths the host holds are still checked there
    with pytest.raises(ValueError, match="input_lengths"):
        F.ctc_loss(lp, make(tg, device=DEV), [9, 8, 8], [3, 3, 3])
    with pytest.raises(ValueError, match="target_lengths"):
        F.ctc_loss(lp, make(concat(tg, tl), device=DEV), make(il, device=DEV), make(np.array([3, 3, 4]), device=DEV))


@pytest.mark.skipif(DRY_RUN, reason="CUDA-only behaviour")
def test_float16_rejected_outside_autocast():
    x, tg, il, tl = case(12, 6, 2, 4, 2)
    lp = make(x, device=DEV).log_softmax(2).half()
    with pytest.raises(TypeError, match="ctc_loss"):
        F.ctc_loss(lp, make(tg, device=DEV), make(il, device=DEV), make(tl, device=DEV))


def test_mixed_devices_raise():
    x, tg, il, tl = case(13, 6, 2, 4, 2, il=[6, 6], tl=[2, 2])
    lp = make(x, device=DEV).log_softmax(2)
    mixed_device_raises(lambda: F.ctc_loss(lp, make(tg), make(il, device=DEV), make(tl, device=DEV)))
    mixed_device_raises(lambda: F.ctc_loss(lp.cpu(), make(tg, device=DEV), make(il), make(tl)))
    mixed_device_raises(lambda: F.ctc_loss(lp.cpu(), make(tg), make(il, device=DEV), make(tl)))
