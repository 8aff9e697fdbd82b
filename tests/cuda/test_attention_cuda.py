"""CUDA scaled_dot_product_attention (csrc/ops/attention/attention_{fwd,bwd}_cuda.cu)
vs the CPU kernels: forward and every gradient, with/without causal, bool and additive
masks (broadcast, with grad), odd sequence lengths (1, 17, 129), head dims 32/64/80/128,
GQA, non-contiguous (transposed) inputs, float64/float16/bfloat16, dropout (the same
Philox mask on both devices); vs torch CUDA when available; mixed-device errors.

Skips as a whole without a usable GPU (or on a build without CUDA)."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import _C

pytestmark = pytest.mark.cuda
if not ember.cuda.is_available():
    pytest.skip(f"no CUDA GPU: {_C.cuda.unavailable_reason()}", allow_module_level=True)

TOL = {ember.float32: dict(rtol=1e-4, atol=2e-5), ember.float64: dict(rtol=1e-10, atol=1e-12),
       ember.float16: dict(rtol=2e-2, atol=2e-3), ember.bfloat16: dict(rtol=5e-2, atol=2e-2)}


def _host(t):
    t = t.detach().cpu()
    if t.dtype in (ember.float16, ember.bfloat16):
        t = t.float()
    return np.asarray(t.numpy(), dtype=np.float64)


def _leaf(x, dtype, device, transpose=False):
    """A leaf tensor of x; with transpose, x is (B, H, L, E) stored as (B, L, H, E)."""
    if transpose:
        t = ember.tensor(np.ascontiguousarray(x.transpose(0, 2, 1, 3)), device=device).to(dtype)
        t = t.detach().requires_grad_(True)
        return t, t.transpose(1, 2)
    t = ember.tensor(x, device=device).to(dtype).detach().requires_grad_(True)
    return t, t


def _run(device, dtype, q, k, v, go, mask=None, mask_grad=False, transpose=False, seed=None, **kw):
    lq, tq = _leaf(q, dtype, device, transpose)
    lk, tk = _leaf(k, dtype, device, transpose)
    lv, tv = _leaf(v, dtype, device, transpose)
    m = None
    if mask is not None:
        m = ember.tensor(mask, device=device)
        if m.is_floating_point():
            m = m.to(dtype).detach().requires_grad_(mask_grad)
    if seed is not None:
        ember.manual_seed(seed)
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=m, **kw)
    out.backward(ember.tensor(go, device=device).to(dtype))
    grads = [lq.grad, lk.grad, lv.grad] + ([m.grad] if mask_grad else [])
    return out, grads


def _check(q, k, v, dtype=ember.float32, mask=None, mask_grad=False, transpose=False, seed=None, **kw):
    rng = np.random.default_rng(7)
    B, H, L = q.shape[:3]
    go = rng.standard_normal((B, H, L, v.shape[-1]))
    oc, gc = _run("cpu", dtype, q, k, v, go, mask, mask_grad, transpose, seed, **kw)
    og, gg = _run("cuda", dtype, q, k, v, go, mask, mask_grad, transpose, seed, **kw)
    assert og.device.type == "cuda" and og.dtype == dtype
    np.testing.assert_allclose(_host(og), _host(oc), err_msg="out", **TOL[dtype])
    for name, a, b in zip(["dq", "dk", "dv", "dmask"], gc, gg):
        assert b.device.type == "cuda"
        np.testing.assert_allclose(_host(b), _host(a), err_msg=name, **TOL[dtype])


def _qkv(B, H, L, S, E, Ev=None, Hk=None, seed=0):
    rng = np.random.default_rng(seed)
    Ev = E if Ev is None else Ev
    Hk = H if Hk is None else Hk
    return (rng.standard_normal((B, H, L, E)), rng.standard_normal((B, Hk, S, E)),
            rng.standard_normal((B, Hk, S, Ev)))


@pytest.mark.parametrize("L,S", [(1, 1), (17, 17), (129, 129), (17, 129), (129, 1)])
@pytest.mark.parametrize("E", [32, 64, 128])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_cpu(L, S, E, causal):
    _check(*_qkv(2, 3, L, S, E), is_causal=causal)


def test_odd_head_dims_and_ev():
    _check(*_qkv(1, 2, 33, 40, 80, Ev=48))
    _check(*_qkv(1, 2, 33, 40, 7, Ev=100), is_causal=True)


def test_bool_mask_broadcast_and_fully_masked_rows():
    q, k, v = _qkv(2, 2, 17, 33, 64)
    rng = np.random.default_rng(1)
    mask = rng.random((2, 1, 17, 33)) > 0.4
    mask[:, :, 3, :] = False  # a row that sees no key: output 0, no gradient
    _check(q, k, v, mask=mask)


def test_additive_mask_with_grad():
    q, k, v = _qkv(2, 3, 17, 129, 32)
    mask = np.random.default_rng(2).standard_normal((1, 3, 17, 129))
    _check(q, k, v, mask=mask, mask_grad=True)
    _check(q, k, v, mask=mask[:, :, :1, :], mask_grad=True)  # broadcast over query rows


def test_gqa_and_transposed_inputs():
    q, k, v = _qkv(2, 4, 65, 47, 64, Hk=2)
    rng = np.random.default_rng(3)
    go = rng.standard_normal((2, 4, 65, 64))
    for causal in (False, True):
        oc, gc = _run("cpu", ember.float32, q, k, v, go, is_causal=causal, enable_gqa=True)
        og, gg = _run("cuda", ember.float32, q, k, v, go, is_causal=causal, enable_gqa=True)
        np.testing.assert_allclose(_host(og), _host(oc), **TOL[ember.float32])
        for a, b in zip(gc, gg):
            np.testing.assert_allclose(_host(b), _host(a), **TOL[ember.float32])
    _check(*_qkv(2, 3, 40, 50, 64), transpose=True, is_causal=True)


@pytest.mark.parametrize("dtype", [ember.float64, ember.float16, ember.bfloat16])
def test_other_dtypes(dtype):
    _check(*_qkv(1, 2, 37, 29, 64), dtype=dtype, is_causal=True)


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
@pytest.mark.parametrize("L,S", [(1, 1), (17, 129), (129, 17), (130, 130)])
@pytest.mark.parametrize("E", [32, 64, 128])
def test_half_tensor_core_path(dtype, L, S, E):
    # E == Ev in {32, 64, 128}, aligned contiguous inputs: the tensor-core forward
    for causal in (False, True):
        _check(*_qkv(2, 2, L, S, E, seed=E + L), dtype=dtype, is_causal=causal)


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
def test_half_tensor_core_masks_gqa_dropout(dtype):
    q, k, v = _qkv(2, 2, 33, 70, 64)
    rng = np.random.default_rng(9)
    bmask = rng.random((2, 1, 33, 70)) > 0.3
    bmask[:, :, 5, :] = False
    _check(q, k, v, dtype=dtype, mask=bmask)
    _check(q, k, v, dtype=dtype, mask=rng.standard_normal((1, 2, 33, 70)), mask_grad=True)
    _check(q, k, v, dtype=dtype, dropout_p=0.25, seed=99)
    _check(*_qkv(2, 3, 40, 50, 64), dtype=dtype, transpose=True)  # (B, L, H, E) storage: strides of 8
    q, k, v = _qkv(1, 4, 45, 45, 32, Hk=2)
    go = np.random.default_rng(3).standard_normal((1, 4, 45, 32))
    oc, gc = _run("cpu", dtype, q, k, v, go, is_causal=True, enable_gqa=True)
    og, gg = _run("cuda", dtype, q, k, v, go, is_causal=True, enable_gqa=True)
    for a, b in zip([oc] + gc, [og] + gg):
        np.testing.assert_allclose(_host(b), _host(a), **TOL[dtype])


def test_half_unaligned_falls_back():
    # a head-dim slice starting at element 3 (E = 64, data not 16-byte aligned) takes the float32 path
    rng = np.random.default_rng(4)
    base = rng.standard_normal((1, 2, 17, 72))
    for dev in ("cpu", "cuda"):
        t = ember.tensor(base, device=dev).half()
        out = F.scaled_dot_product_attention(t[..., 3:67], t[..., 3:67], t[..., 3:67])
        if dev == "cpu":
            ref = _host(out)
        else:
            np.testing.assert_allclose(_host(out), ref, **TOL[ember.float16])


def test_dropout_same_mask_as_cpu():
    q, k, v = _qkv(2, 2, 33, 40, 32)
    _check(q, k, v, dropout_p=0.3, seed=1234)


def test_long_sequence():
    _check(*_qkv(1, 2, 1000, 1000, 64), is_causal=True)


def test_head_dim_above_128_raises():
    q = ember.randn(1, 1, 4, 160, device="cuda")
    with pytest.raises((ValueError, RuntimeError), match="128"):
        F.scaled_dot_product_attention(q, q, q)


def test_mixed_device_error():
    q = ember.randn(1, 2, 4, 32, device="cuda")
    k = ember.randn(1, 2, 4, 32)
    with pytest.raises(RuntimeError, match=r"same device.*cuda:0.*cpu"):
        F.scaled_dot_product_attention(q, k, k)
    with pytest.raises(RuntimeError, match=r"same device"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(4, 4, dtype=ember.bool))
    # the native entry point checks too
    with pytest.raises(RuntimeError, match=r"same device"):
        _C.sdpa_forward(q._a, k._a, k._a, None, False, 1.0, 0.0)


def test_vs_torch_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch without CUDA")
    q, k, v = _qkv(2, 3, 129, 70, 64)
    go = np.random.default_rng(5).standard_normal((2, 3, 129, 64))
    for causal in (False, True):
        oe, ge = _run("cuda", ember.float32, q, k, v, go, is_causal=causal)
        tq, tk, tv = (torch.tensor(x, dtype=torch.float32, device="cuda", requires_grad=True) for x in (q, k, v))
        ot = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
        ot.backward(torch.tensor(go, dtype=torch.float32, device="cuda"))
        np.testing.assert_allclose(_host(oe), ot.detach().cpu().double().numpy(), rtol=1e-4, atol=2e-5)
        for a, b in zip(ge, (tq.grad, tk.grad, tv.grad)):
            np.testing.assert_allclose(_host(a), b.cpu().double().numpy(), rtol=1e-4, atol=2e-5)
