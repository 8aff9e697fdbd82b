"""CUDA matmul / mm / bmm / addmm / linear (csrc/ops/gemm/gemm_cuda.cu) against float64
references computed from the same (dtype-rounded) inputs: odd M/N/K, transposed and
sliced operands (16-byte and scalar loader paths), batched with broadcast, fused bias,
split-K, integer dtypes, gradients, the TF32 switch, and mixed-device errors.

Skips as a whole without a usable GPU. EMBER_CUDA_TEST_DEVICE=cpu runs it on the CPU (a
dry run of the tests themselves)."""
import math

import numpy as np
import pytest

import ember

from cuda_compare import DEV, DRY_RUN as DRY, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

F16, BF16, F32, F64 = ember.float16, ember.bfloat16, ember.float32, ember.float64
FLOATS = [F32, F64, F16, BF16]
# Relative tolerance per dtype; the absolute one is rtol * sqrt(K) (inputs in [-1, 1]).
RTOL = {F64: 1e-10, F32: 2e-5, F16: 2e-3, BF16: 1.6e-2}
TF32_RTOL = 3e-3


def rnd(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def on_dev(arr, dtype, grad=False):
    t = ember.tensor(np.ascontiguousarray(arr)).to(dtype).to(DEV)
    if grad:
        t.requires_grad_(True)
    return t


def rounded(arr, dtype):
    """arr after rounding to dtype, as float64 (the reference's inputs)."""
    return ember.tensor(np.ascontiguousarray(arr)).to(dtype).to(F64).numpy()


def host64(t):
    return t.detach().cpu().to(F64).numpy()


def check(got, ref, dtype, K, tf32=False):
    assert got.device.type == ("cpu" if DRY else "cuda")
    assert got.dtype == dtype
    r = TF32_RTOL if (tf32 and dtype == F32) else RTOL[dtype]
    np.testing.assert_allclose(host64(got), ref, rtol=r, atol=r * math.sqrt(max(K, 1)))


SHAPES = [(1, 1, 1), (7, 33, 129), (129, 7, 33), (64, 64, 64), (257, 129, 65), (33, 1, 7), (128, 256, 128),
          (1, 300, 5), (5, 300, 1), (130, 72, 136)]


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("mkn", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matmul_2d(dtype, mkn):
    M, K, N = mkn
    A, B = rnd((M, K), 1), rnd((K, N), 2)
    got = on_dev(A, dtype) @ on_dev(B, dtype)
    check(got, rounded(A, dtype) @ rounded(B, dtype), dtype, K)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("mkn", [(67, 45, 71), (128, 64, 96), (16, 256, 8)], ids=str)
def test_matmul_transposed(dtype, ta, tb, mkn):
    M, K, N = mkn
    A, B = rnd((M, K), 3), rnd((K, N), 4)
    a = on_dev(A.T, dtype).mT if ta else on_dev(A, dtype)
    b = on_dev(B.T, dtype).mT if tb else on_dev(B, dtype)
    check(ember.matmul(a, b), rounded(A, dtype) @ rounded(B, dtype), dtype, K)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_matmul_sliced_views(dtype):
    # no unit stride (copied on the host), a pointer one element off 16 bytes (scalar
    # loaders), a leading dim that is not a multiple of 16 bytes
    M, K, N = 40, 48, 24
    Abig, Bbig = rnd((M, 2 * K + 1), 5), rnd((K + 1, N + 3), 6)
    a_full, b_full = on_dev(Abig, dtype), on_dev(Bbig, dtype)
    a = a_full[:, 1:2 * K + 1:2]  # strides (2K+1, 2)
    b = b_full[1:, 3:]  # offset, ld N+3
    ref = rounded(Abig, dtype)[:, 1:2 * K + 1:2] @ rounded(Bbig, dtype)[1:, 3:]
    check(a @ b, ref, dtype, K)
    a2 = a_full[:, 1:K + 1]  # unit stride, misaligned start
    ref2 = rounded(Abig, dtype)[:, 1:K + 1] @ rounded(Bbig, dtype)[1:, 3:]
    check(a2 @ b, ref2, dtype, K)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("sa,sb", [((3, 1, 17, 24), (4, 24, 9)), ((5, 33, 40), (40, 7)), ((12, 31), (6, 31, 8)),
                                   ((2, 3, 64, 32), (2, 3, 32, 64)), ((1, 8, 16), (6, 16, 8))], ids=str)
def test_matmul_batched_broadcast(dtype, sa, sb):
    A, B = rnd(sa, 7), rnd(sb, 8)
    got = on_dev(A, dtype) @ on_dev(B, dtype)
    check(got, np.matmul(rounded(A, dtype), rounded(B, dtype)), dtype, sa[-1])


@pytest.mark.parametrize("dtype", [F32, F16], ids=str)
def test_bmm_expanded_and_transposed(dtype):
    A, B = rnd((1, 20, 36), 9), rnd((5, 20, 36), 10)
    a = on_dev(A, dtype).expand(5, 20, 36)  # batch stride 0
    b = on_dev(B, dtype).transpose(1, 2)  # (5, 36, 20), unit stride along k
    ref = np.matmul(np.broadcast_to(rounded(A, dtype), (5, 20, 36)), rounded(B, dtype).transpose(0, 2, 1))
    check(ember.bmm(a, b), ref, dtype, 36)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_vector_products(dtype):
    A, v, w = rnd((37, 53), 11), rnd(53, 12), rnd(37, 13)
    a, vv, ww = on_dev(A, dtype), on_dev(v, dtype), on_dev(w, dtype)
    Ar, vr, wr = rounded(A, dtype), rounded(v, dtype), rounded(w, dtype)
    check(ember.mv(a, vv), Ar @ vr, dtype, 53)
    check(ww @ a, wr @ Ar, dtype, 37)
    check(ember.dot(vv, vv), np.array(vr @ vr), dtype, 53)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("shape", [(2, 5, 40), (1, 7), (129, 33)], ids=str)
def test_linear(dtype, with_bias, shape):
    K, N = shape[-1], 19
    X, W, b = rnd(shape, 14), rnd((N, K), 15), rnd(N, 16)
    bias = on_dev(b, dtype) if with_bias else None
    got = ember.nn.functional.linear(on_dev(X, dtype), on_dev(W, dtype), bias)
    ref = rounded(X, dtype) @ rounded(W, dtype).T + (rounded(b, dtype) if with_bias else 0)
    check(got, ref, dtype, K)


@pytest.mark.parametrize("dtype", [F32, BF16], ids=str)
def test_linear_strided_bias_and_weight(dtype):
    X, Wbig, bbig = rnd((9, 24), 17), rnd((24, 30), 18), rnd(60, 19)
    w = on_dev(Wbig, dtype).mT[:, :24]  # (30, 24) transposed view: unit stride along out_features
    bias = on_dev(bbig, dtype)[::2][:30]  # stride 2
    got = ember.nn.functional.linear(on_dev(X, dtype), w, bias)
    ref = rounded(X, dtype) @ rounded(Wbig, dtype)[:24, :30] + rounded(bbig, dtype)[::2][:30]
    check(got, ref, dtype, 24)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_addmm(dtype):
    I1, I2, A, B = rnd(23, 20), rnd((31, 23), 21), rnd((31, 45), 22), rnd((45, 23), 23)
    Ar, Br = rounded(A, dtype), rounded(B, dtype)
    for inp, ref_in in ((I1, rounded(I1, dtype)), (I2, rounded(I2, dtype))):
        got = ember.addmm(on_dev(inp, dtype), on_dev(A, dtype), on_dev(B, dtype), beta=0.5, alpha=2.0)
        check(got, 0.5 * ref_in + 2.0 * (Ar @ Br), dtype, 45)


@pytest.mark.parametrize("dtype", [F32, F64, BF16], ids=str)
def test_batched_compat_products(dtype):
    # baddbmm / addbmm / addmv / addr are built on bmm, matmul, mv (Python side)
    I3, B1, B2 = rnd((4, 9, 11), 50), rnd((4, 9, 13), 51), rnd((4, 13, 11), 52)
    I2, M, v = rnd((9, 11), 53), rnd((9, 13), 54), rnd(13, 55)
    r = {k: rounded(a, dtype) for k, a in dict(I3=I3, B1=B1, B2=B2, I2=I2, M=M, v=v).items()}
    check(ember.baddbmm(on_dev(I3, dtype), on_dev(B1, dtype), on_dev(B2, dtype), beta=0.5, alpha=2.0),
          0.5 * r["I3"] + 2.0 * np.matmul(r["B1"], r["B2"]), dtype, 13)
    check(ember.addbmm(on_dev(I2, dtype), on_dev(B1, dtype), on_dev(B2, dtype)),
          r["I2"] + np.matmul(r["B1"], r["B2"]).sum(0), dtype, 52)
    check(ember.addmv(on_dev(I2[:, 0], dtype), on_dev(M, dtype), on_dev(v, dtype)),
          r["I2"][:, 0] + r["M"] @ r["v"], dtype, 13)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("mkn", [(40, 8192, 40), (3, 5000, 130), (64, 4096, 8)], ids=str)
def test_split_k(dtype, mkn):
    # few output tiles and a long K: the reduction is split across blocks
    M, K, N = mkn
    A, B = rnd((M, K), 24), rnd((K, N), 25)
    got = on_dev(A, dtype) @ on_dev(B, dtype)
    check(got, rounded(A, dtype) @ rounded(B, dtype), dtype, K)
    b_in = rnd(N, 26)
    got = ember.nn.functional.linear(on_dev(A, dtype), on_dev(B.T, dtype), on_dev(b_in, dtype))
    check(got, rounded(A, dtype) @ rounded(B, dtype) + rounded(b_in, dtype), dtype, K)


@pytest.mark.parametrize("dtype", [ember.int32, ember.int64, ember.uint8], ids=str)
def test_integer_matmul(dtype):
    rng = np.random.default_rng(27)
    hi = 4 if dtype == ember.uint8 else 50
    A, B = rng.integers(0, hi, size=(2, 19, 37)), rng.integers(0, hi, size=(37, 21))
    got = ember.tensor(A).to(dtype).to(DEV) @ ember.tensor(B).to(dtype).to(DEV)
    ref = ember.tensor(A).to(dtype) @ ember.tensor(B).to(dtype)  # CPU, same wrapping
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.cpu().numpy(), ref.numpy())


@pytest.mark.parametrize("dtype", [F32, F16], ids=str)
def test_empty_and_k0(dtype):
    z = on_dev(np.zeros((5, 0)), dtype) @ on_dev(np.zeros((0, 7)), dtype)
    assert tuple(z.shape) == (5, 7)
    np.testing.assert_array_equal(host64(z), np.zeros((5, 7)))
    e = on_dev(np.zeros((0, 4)), dtype) @ on_dev(rnd((4, 3)), dtype)
    assert tuple(e.shape) == (0, 3)


def test_many_batches():
    # more batches than one grid's z dimension holds (65535)
    A, B = rnd((70000, 2, 3), 28), rnd((70000, 3, 2), 29)
    got = on_dev(A, F32) @ on_dev(B, F32)
    check(got, np.matmul(rounded(A, F32), rounded(B, F32)), F32, 3)


@pytest.mark.parametrize("dtype", [F16, BF16, F32], ids=str)
def test_large_square(dtype):
    n = 1024
    A, B = rnd((n, n), 30), rnd((n, n), 31)
    got = on_dev(A, dtype) @ on_dev(B, dtype)
    check(got, rounded(A, dtype) @ rounded(B, dtype), dtype, n)


def _grads(dtype, dev, A, B, G, fn):
    a = ember.tensor(np.ascontiguousarray(A)).to(dtype).to(dev).requires_grad_(True)
    b = ember.tensor(np.ascontiguousarray(B)).to(dtype).to(dev).requires_grad_(True)
    y = fn(a, b)
    y.backward(ember.tensor(np.ascontiguousarray(G)).to(dtype).to(dev))
    return y, a.grad, b.grad


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("sa,sb", [((33, 20), (20, 17)), ((3, 9, 40), (40, 12)), ((2, 1, 5, 8), (3, 8, 6))],
                         ids=str)
def test_matmul_grad(dtype, sa, sb):
    A, B = rounded(rnd(sa, 32), dtype), rounded(rnd(sb, 33), dtype)
    out_shape = np.matmul(A, B).shape
    G = rounded(rnd(out_shape, 34), dtype)
    y, ga, gb = _grads(dtype, DEV, A, B, G, ember.matmul)
    y64, ga64, gb64 = _grads(F64, "cpu", A, B, G, ember.matmul)
    K = max(sa[-1], int(np.prod(out_shape)) // out_shape[-1])
    check(y, host64(y64), dtype, sa[-1])
    check(ga, host64(ga64), dtype, K)
    check(gb, host64(gb64), dtype, K)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_linear_grad(dtype):
    X, W, b, G = (rounded(rnd(s, i), dtype) for i, s in enumerate([(4, 6, 24), (10, 24), (10,), (4, 6, 10)]))
    res = {}
    for key, dt, dev in (("got", dtype, DEV), ("ref", F64, "cpu")):
        x, w, bb = (ember.tensor(np.ascontiguousarray(v)).to(dt).to(dev).requires_grad_(True) for v in (X, W, b))
        y = ember.nn.functional.linear(x, w, bb)
        y.backward(ember.tensor(G).to(dt).to(dev))
        res[key] = (y, x.grad, w.grad, bb.grad)
    got, ref = res["got"], res["ref"]
    for g, r in zip(got, ref):
        check(g, host64(r), dtype, 24)


def test_tf32_flag():
    assert ember.backends.cuda.matmul.allow_tf32 is False
    M, K, N = 96, 512, 80
    A, B = rnd((M, K), 40), rnd((K, N), 41)
    ref = rounded(A, F32) @ rounded(B, F32)
    try:
        ember.backends.cuda.matmul.allow_tf32 = True
        assert ember.backends.cuda.matmul.allow_tf32 is True
        check(on_dev(A, F32) @ on_dev(B, F32), ref, F32, K, tf32=True)
        ember.backends.cuda.matmul.allow_tf32 = False
        check(on_dev(A, F32) @ on_dev(B, F32), ref, F32, K)  # full float32 again
    finally:
        ember.backends.cuda.matmul.allow_tf32 = False


@pytest.mark.parametrize("dtype", [F32, F16, BF16], ids=str)
def test_matches_torch(dtype):
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not installed")
    if DRY or not torch.cuda.is_available():
        pytest.skip("torch has no CUDA")
    tdt = {F32: torch.float32, F16: torch.float16, BF16: torch.bfloat16}[dtype]
    A, B, b = rnd((3, 77, 96), 42), rnd((96, 65), 43), rnd(65, 44)
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        ta, tb, tbias = (torch.as_tensor(v).to(tdt).cuda() for v in (A, B, b))
        tref = (ta @ tb).double().cpu().numpy()
        tlin = torch.nn.functional.linear(ta, tb.T, tbias).double().cpu().numpy()
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old
    check(on_dev(A, dtype) @ on_dev(B, dtype), tref, dtype, 96)
    check(ember.nn.functional.linear(on_dev(A, dtype), on_dev(B.T, dtype), on_dev(b, dtype)), tlin, dtype, 96)


def test_mixed_device_errors():
    if DRY:
        pytest.skip("needs a GPU")
    a_cpu, b_gpu = ember.tensor(rnd((4, 5))).float(), on_dev(rnd((5, 3)), F32)
    for fn in (lambda: a_cpu @ b_gpu, lambda: ember.mm(a_cpu, b_gpu),
               lambda: ember.nn.functional.linear(on_dev(rnd((2, 5)), F32), a_cpu),
               lambda: ember.addmm(ember.tensor(rnd(3)).float(), on_dev(rnd((4, 5)), F32), b_gpu)):
        with pytest.raises((RuntimeError, ValueError)) as e:
            fn()
        msg = str(e.value)
        assert "cpu" in msg and "cuda" in msg, msg


# ---------------------------------------------------------------- Hopper wgmma path
# float16/bfloat16 on an sm_90 GPU may run gemm_wgmma_cuda.cu (TMA + wgmma) instead of the
# mma.sync tile GEMM. EMBER_CUDA_GEMM picks the path per call: "mma", "wgmma" (falls
# back silently when a call does not qualify), "wgmma_strict" (raises instead: proves the
# wgmma kernel ran). Each case runs both paths and compares them with a float64 reference.

HALVES = [F16, BF16]
_WGMMA = {}


def _on_path(monkeypatch, path, fn):
    monkeypatch.setenv("EMBER_CUDA_GEMM", path)
    try:
        return fn()
    finally:
        monkeypatch.delenv("EMBER_CUDA_GEMM", raising=False)


def _need_wgmma(monkeypatch):
    """Skips unless the GPU is compute capability 9.0; fails when it is and the wgmma
    path still cannot run (sm_90a kernels missing from the build, probe failed...)."""
    if DRY:
        return
    if "why" not in _WGMMA:
        x = on_dev(rnd((64, 64), 60), BF16)
        try:
            _on_path(monkeypatch, "wgmma_strict", lambda: (x @ x).cpu())
            _WGMMA["why"] = None
        except RuntimeError as e:
            _WGMMA["why"] = str(e)
    why = _WGMMA["why"]
    if why is not None:
        if "compute capability" in why:
            pytest.skip(f"no Hopper GPU: {why}")
        pytest.fail(f"the wgmma GEMM path cannot run on this GPU: {why}")


def _both_paths(monkeypatch, fn, dtype, ref, K, strict=True):
    """fn() on the wgmma path and on the mma path: each against ref, and against each other."""
    _need_wgmma(monkeypatch)
    wg = _on_path(monkeypatch, "wgmma_strict" if strict else "wgmma", fn)
    mm = _on_path(monkeypatch, "mma", fn)
    check(wg, ref, dtype, K)
    check(mm, ref, dtype, K)
    r = RTOL[dtype]
    np.testing.assert_allclose(host64(wg), host64(mm), rtol=r, atol=r * math.sqrt(max(K, 1)))
    return wg


def _operand(arr, dtype, transposed):
    """arr on the device, row-major, or as the transpose of a row-major array (unit stride
    along the other dim)."""
    return on_dev(arr.T, dtype).mT if transposed else on_dev(arr, dtype)


@pytest.mark.parametrize("dtype", HALVES, ids=str)
@pytest.mark.parametrize("ta", [False, True], ids=["a_row", "a_col"])
@pytest.mark.parametrize("tb", [False, True], ids=["b_nmajor", "b_kmajor"])
@pytest.mark.parametrize("mkn", [(128, 64, 256), (300, 200, 520), (129, 72, 257), (1, 8, 8), (70, 1032, 1000),
                                 (257, 8, 129), (64, 136, 24)], ids=lambda s: "x".join(map(str, s)))
def test_wgmma_matmul(monkeypatch, dtype, ta, tb, mkn):
    # M, N, K off the 128 x 256 x 64 tile; K = 1032 runs the 4-stage ring several rounds;
    # N = 129 / 257 take the epilogue's scalar stores (rows not 16-byte aligned)
    M, K, N = mkn
    if (ta and M % 8) or (not ta and K % 8) or (tb and K % 8) or (not tb and N % 8):
        pytest.skip("rows not 16-byte aligned: not a wgmma layout")
    A, B = rnd((M, K), 61), rnd((K, N), 62)
    a, b = _operand(A, dtype, ta), _operand(B, dtype, tb)
    _both_paths(monkeypatch, lambda: a @ b, dtype, rounded(A, dtype) @ rounded(B, dtype), K)


@pytest.mark.parametrize("dtype", HALVES, ids=str)
def test_wgmma_falls_back(monkeypatch, dtype):
    # K = 100: 200-byte rows, no TMA; "wgmma" falls back silently, "wgmma_strict" raises
    _need_wgmma(monkeypatch)
    A, B = rnd((40, 100), 63), rnd((100, 56), 64)
    a, b = on_dev(A, dtype), on_dev(B, dtype)
    check(_on_path(monkeypatch, "wgmma", lambda: a @ b), rounded(A, dtype) @ rounded(B, dtype), dtype, 100)
    if not DRY:
        with pytest.raises(RuntimeError, match="wgmma_strict"):
            _on_path(monkeypatch, "wgmma_strict", lambda: a @ b)
        with pytest.raises(ValueError, match="EMBER_CUDA_GEMM"):
            _on_path(monkeypatch, "fast", lambda: a @ b)


@pytest.mark.parametrize("dtype", HALVES, ids=str)
@pytest.mark.parametrize("sa,sb", [((3, 130, 72), (72, 264)), ((4, 65, 136), (4, 136, 296)),
                                   ((2, 1, 96, 40), (3, 40, 16)), ((200, 64), (5, 64, 48))], ids=str)
def test_wgmma_batched(monkeypatch, dtype, sa, sb):
    # batched, and one operand broadcast over the batch (batch stride 0)
    A, B = rnd(sa, 65), rnd(sb, 66)
    a, b = on_dev(A, dtype), on_dev(B, dtype)
    _both_paths(monkeypatch, lambda: a @ b, dtype, np.matmul(rounded(A, dtype), rounded(B, dtype)), sa[-1])


@pytest.mark.parametrize("dtype", HALVES, ids=str)
def test_wgmma_bmm_expanded(monkeypatch, dtype):
    A, B = rnd((1, 72, 48), 67), rnd((6, 48, 264), 68)
    a = on_dev(A, dtype).expand(6, 72, 48)
    b = on_dev(B, dtype)
    ref = np.matmul(np.broadcast_to(rounded(A, dtype), (6, 72, 48)), rounded(B, dtype))
    _both_paths(monkeypatch, lambda: ember.bmm(a, b), dtype, ref, 48)


@pytest.mark.parametrize("dtype", HALVES, ids=str)
@pytest.mark.parametrize("with_bias", [False, True])
def test_wgmma_linear(monkeypatch, dtype, with_bias):
    # the linear layout: weight (N, K) row-major, i.e. B K-major
    X, W, bb = rnd((2, 150, 200), 69), rnd((300, 200), 70), rnd(300, 71)
    x, w = on_dev(X, dtype), on_dev(W, dtype)
    bias = on_dev(bb, dtype) if with_bias else None
    ref = rounded(X, dtype) @ rounded(W, dtype).T + (rounded(bb, dtype) if with_bias else 0)
    _both_paths(monkeypatch, lambda: ember.nn.functional.linear(x, w, bias), dtype, ref, 200)


@pytest.mark.parametrize("dtype", HALVES, ids=str)
def test_wgmma_addmm(monkeypatch, dtype):
    I1, I2, A, B = rnd(264, 72), rnd((136, 264), 73), rnd((136, 88), 74), rnd((88, 264), 75)
    a, b = on_dev(A, dtype), on_dev(B, dtype)
    Ar, Br = rounded(A, dtype), rounded(B, dtype)
    for inp in (I1, I2):
        i = on_dev(inp, dtype)
        _both_paths(monkeypatch, lambda: ember.addmm(i, a, b, beta=0.5, alpha=2.0), dtype,
                    0.5 * rounded(inp, dtype) + 2.0 * (Ar @ Br), 88)


@pytest.mark.parametrize("dtype", HALVES, ids=str)
def test_wgmma_grads(monkeypatch, dtype):
    # backward runs matmuls on transposed views: "wgmma" (non-strict) takes what qualifies
    X, W, b, G = (rounded(rnd(s, 80 + i), dtype) for i, s in enumerate([(3, 40, 64), (96, 64), (96,), (3, 40, 96)]))
    _need_wgmma(monkeypatch)
    res = {}
    for key, dt, dev, path in (("wg", dtype, DEV, "wgmma"), ("mma", dtype, DEV, "mma"), ("ref", F64, "cpu", "mma")):
        x, w, bb = (ember.tensor(np.ascontiguousarray(v)).to(dt).to(dev).requires_grad_(True) for v in (X, W, b))

        def step():
            y = ember.nn.functional.linear(x, w, bb)
            y.backward(ember.tensor(G).to(dt).to(dev))
            return y

        y = _on_path(monkeypatch, path, step)
        res[key] = (y, x.grad, w.grad, bb.grad)
    for g_wg, g_mma, g_ref, K in zip(res["wg"], res["mma"], res["ref"], (64, 96, 120, 120)):
        check(g_wg, host64(g_ref), dtype, K)
        check(g_mma, host64(g_ref), dtype, K)


def test_wgmma_large_bf16(monkeypatch):
    # 4096^3 bfloat16 (the benchmark case): wgmma vs mma everywhere, vs float64 on 64 rows
    if DRY:
        pytest.skip("too slow on the CPU")
    n = 4096
    A, B = rnd((n, n), 90), rnd((n, n), 91)
    a, b = on_dev(A, BF16), on_dev(B, BF16)
    _need_wgmma(monkeypatch)
    wg = _on_path(monkeypatch, "wgmma_strict", lambda: a @ b)
    mm = _on_path(monkeypatch, "mma", lambda: a @ b)
    r = RTOL[BF16]
    w64 = host64(wg)
    np.testing.assert_allclose(w64, host64(mm), rtol=r, atol=r * math.sqrt(n))
    np.testing.assert_allclose(w64[:64], rounded(A[:64], BF16) @ rounded(B, BF16), rtol=r, atol=r * math.sqrt(n))


def test_wgmma_matches_torch(monkeypatch):
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not installed")
    if DRY or not torch.cuda.is_available():
        pytest.skip("torch has no CUDA")
    A, B, b = rnd((3, 77, 96), 92), rnd((96, 72), 93), rnd(72, 94)
    ta, tb, tbias = (torch.as_tensor(v).to(torch.bfloat16).cuda() for v in (A, B, b))
    tref = (ta @ tb).double().cpu().numpy()
    tlin = torch.nn.functional.linear(ta, tb.T.contiguous(), tbias).double().cpu().numpy()
    ea, eb, ebias = on_dev(A, BF16), on_dev(B, BF16), on_dev(b, BF16)
    ew = on_dev(B.T, BF16)
    _both_paths(monkeypatch, lambda: ea @ eb, BF16, tref, 96)
    _both_paths(monkeypatch, lambda: ember.nn.functional.linear(ea, ew, ebias), BF16, tlin, 96)
