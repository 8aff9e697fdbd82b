"""Fused scaled dot-product attention (csrc/ops/attention) and nn.MultiheadAttention:
values and every gradient vs PyTorch and the composed matmul+softmax oracle, masks
(bool, float, broadcast, causal), GQA, odd and tiny sequence lengths, float64
gradcheck, dropout statistics and forward/backward consistency, every SIMD path,
bad input in a child process."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn._functional.attention import _composed_sdpa
from helpers import assert_raises_in_child, compare_with_torch, needs_torch, run_in_subprocess

rng = np.random.default_rng(0)


def _sdpa(lib, q, k, v, **kw):
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


# ---------------------------------------------------------------- SDPA vs torch
@needs_torch
@pytest.mark.parametrize("qs,ks,vs", [
    ((2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 4)),       # L != S, Ev != E
    ((1, 2, 1, 16), (1, 2, 1, 16), (1, 2, 1, 16)),    # seq 1
    ((2, 2, 201, 8), (2, 2, 263, 8), (2, 2, 263, 8)),  # not multiples of the 192 x 256 tiles
    ((3, 9, 16), (3, 9, 16), (3, 9, 16)),             # 3-D
    ((6, 4), (5, 4), (5, 3)),                          # 2-D
    ((2, 3, 5, 8), (1, 3, 7, 8), (1, 3, 7, 8)),       # broadcast batch
])
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_matches_torch(qs, ks, vs, causal):
    compare_with_torch(lambda lib, q, k, v: _sdpa(lib, q, k, v, is_causal=causal), qs, ks, vs, atol=2e-5, rtol=1e-4)


@needs_torch
@pytest.mark.parametrize("mshape", [(70, 90), (2, 1, 70, 90), (1, 3, 1, 90), (2, 3, 70, 90), (1, 90)])
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_masks_match_torch(mshape, kind):
    if kind == "bool":
        mask = rng.random(mshape) > 0.3
    else:
        mask = (rng.standard_normal(mshape) * 2).astype(np.float32)
        mask[rng.random(mshape) < 0.2] = -np.inf
    compare_with_torch(lambda lib, q, k, v, m: _sdpa(lib, q, k, v, attn_mask=m), (2, 3, 70, 16), (2, 3, 90, 16),
                       (2, 3, 90, 8), mask, atol=2e-5, rtol=1e-4)


@needs_torch
def test_sdpa_fully_masked_rows_match_torch():
    mask = rng.random((6, 9)) > 0.4
    mask[2] = False
    mask[5] = False
    out = compare_with_torch(lambda lib, q, k, v, m: _sdpa(lib, q, k, v, attn_mask=m), (2, 6, 8), (2, 9, 8),
                             (2, 9, 8), mask)
    assert np.all(out[0].detach().numpy()[:, 2] == 0)


@needs_torch
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_gqa_matches_torch(causal):
    compare_with_torch(lambda lib, q, k, v: _sdpa(lib, q, k, v, is_causal=causal, enable_gqa=True),
                       (2, 8, 33, 16), (2, 2, 33, 16), (2, 2, 33, 16), atol=2e-5, rtol=1e-4)


@needs_torch
def test_sdpa_scale_and_strided_inputs():
    def fn(lib, q, k, v):
        # (N, L, H, E) -> (N, H, L, E) views: non-contiguous rows
        return _sdpa(lib, q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), scale=0.3)
    compare_with_torch(fn, (2, 21, 4, 8), (2, 17, 4, 8), (2, 17, 4, 8))


def test_sdpa_matches_composed_oracle_long():
    q, k, v = (ember.tensor(rng.standard_normal((1, 2, 400, 32)).astype(np.float32), requires_grad=True)
               for _ in range(3))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    q2, k2, v2 = (ember.tensor(t.detach().numpy(), requires_grad=True) for t in (q, k, v))
    ref = _composed_sdpa(q2, k2, v2, is_causal=True)
    np.testing.assert_allclose(y.detach().numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = ember.tensor(rng.standard_normal((1, 2, 400, 32)).astype(np.float32))
    (y * g).sum().backward()
    (ref * g).sum().backward()
    for a, b in ((q, q2), (k, k2), (v, v2)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"mask": True}])
def test_sdpa_gradcheck_float64(kw):
    shape_q, shape_k = (1, 2, 5, 3), (1, 2, 7, 3)
    q = ember.tensor(rng.standard_normal(shape_q), requires_grad=True)
    k = ember.tensor(rng.standard_normal(shape_k), requires_grad=True)
    v = ember.tensor(rng.standard_normal((1, 2, 7, 4)), requires_grad=True)
    mask = ember.tensor(rng.random((5, 7)) > 0.3) if kw.get("mask") else None
    causal = kw.get("is_causal", False)
    assert ember.autograd.gradcheck(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask, is_causal=causal), (q, k, v))


def test_sdpa_gradcheck_float64_gqa_odd_tiles():
    # more than one 192-row query tile and one 256-key tile
    q = ember.tensor(rng.standard_normal((1, 2, 200, 1)), requires_grad=True)
    k = ember.tensor(rng.standard_normal((1, 1, 261, 1)), requires_grad=True)
    v = ember.tensor(rng.standard_normal((1, 1, 261, 1)), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True, enable_gqa=True), (q, k, v),
        fast_mode=True)


def test_sdpa_dtypes():
    for dt in (ember.float32, ember.float64):
        q = ember.randn(2, 3, 4, dtype=dt)
        assert F.scaled_dot_product_attention(q, q, q).dtype == dt


# ---------------------------------------------------------------- dropout
def test_sdpa_dropout_statistics_and_determinism():
    # v = identity rows: out row i = the dropped/scaled attention row i
    L = S = 64
    q = ember.zeros(1, 4, L, 8)  # uniform attention: each weight 1/S
    k = ember.zeros(1, 4, S, 8)
    v = ember.tensor(np.tile(np.eye(S, dtype=np.float32), (1, 4, 1, 1)))
    ember.manual_seed(3)
    y = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    scaled = y * S
    assert np.all(np.isclose(scaled, 0) | np.isclose(scaled, 1 / 0.75, rtol=1e-5))
    kept = (y > 0).mean()
    assert abs(kept - 0.75) < 0.02
    ember.manual_seed(3)
    y2 = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    np.testing.assert_array_equal(y, y2)
    y3 = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    assert not np.array_equal(y, y3)


def test_sdpa_dropout_backward_consistent_with_forward():
    """With the RNG replayed, the fused backward equals the gradient of the composed path
    that applies the forward's own dropout mask (recovered from an identity value)."""
    L, S, E = 9, 270, 4
    qn = rng.standard_normal((1, 2, L, E))
    kn = rng.standard_normal((1, 2, S, E))
    vn = rng.standard_normal((1, 2, S, 3))
    p = 0.3
    ember.manual_seed(11)
    eye = ember.tensor(np.tile(np.eye(S), (1, 2, 1, 1)))
    # (P * Z) recovered through v = I (same seed -> same mask)
    pz = F.scaled_dot_product_attention(ember.tensor(qn), ember.tensor(kn), eye, dropout_p=p)
    z = (pz.numpy() != 0) / (1 - p)
    ember.manual_seed(11)
    q, k, v = (ember.tensor(a, requires_grad=True) for a in (qn, kn, vn))
    y = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
    q2, k2, v2 = (ember.tensor(a, requires_grad=True) for a in (qn, kn, vn))
    from ember.nn._functional.attention import attention_weights
    ref = ember.matmul(attention_weights(q2, k2) * ember.tensor(z), v2)
    np.testing.assert_allclose(y.detach().numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-10)
    g = ember.tensor(rng.standard_normal(y.shape))
    (y * g).sum().backward()
    (ref * g).sum().backward()
    for a, b in ((q, q2), (k, k2), (v, v2)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("simd", ["scalar", "avx2", "avx512"])
def test_sdpa_every_simd_path(simd):
    code = f"""
import os, numpy as np
os.environ['EMBER_SIMD'] = '{simd}'
import ember, ember.nn.functional as F
from ember.nn._functional.attention import _composed_sdpa
r = np.random.default_rng(1)
q, k, v = (ember.tensor(r.standard_normal((2, 2, 300, 16)).astype(np.float32), requires_grad=True) for _ in range(3))
y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
ref = _composed_sdpa(q.detach(), k.detach(), v.detach(), is_causal=True)
assert np.allclose(y.detach().numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)
y.sum().backward()
assert np.isfinite(q.grad.numpy()).all() and np.abs(q.grad.numpy()).sum() > 0
print('OK')
"""
    r = run_in_subprocess(code)
    assert r.returncode == 0 and "OK" in r.stdout, r.stderr[-2000:]


# ---------------------------------------------------------------- MultiheadAttention
def _mha_pair(torch, **kw):
    ember.manual_seed(0)
    e = nn.MultiheadAttention(**kw)
    t = torch.nn.MultiheadAttention(**kw)
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in e.state_dict().items()})
    return e, t


def _run_mha_pair(e, t, inputs, grad_idx=(0, 1, 2), **fw):
    import torch
    ei = [ember.tensor(a, requires_grad=(i in grad_idx and a.dtype.kind == "f")) if a is not None else None
          for i, a in enumerate(inputs)]
    ti = [torch.tensor(a, requires_grad=(i in grad_idx and a.dtype.kind == "f")) if a is not None else None
          for i, a in enumerate(inputs)]
    eo, ew = e(ei[0], ei[1], ei[2], key_padding_mask=ei[3], attn_mask=ei[4], **fw)
    to, tw = t(ti[0], ti[1], ti[2], key_padding_mask=ti[3], attn_mask=ti[4], **fw)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=2e-5)
    if tw is None:
        assert ew is None
    else:
        np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = rng.standard_normal(to.shape).astype(np.float32)
    loss_e = (eo * ember.tensor(g)).sum()
    loss_t = (to * torch.tensor(g)).sum()
    if tw is not None:
        gw = rng.standard_normal(tw.shape).astype(np.float32)
        loss_e = loss_e + (ew * ember.tensor(gw)).sum()
        loss_t = loss_t + (tw * torch.tensor(gw)).sum()
    loss_e.backward()
    loss_t.backward()
    for i in grad_idx:
        if ti[i] is not None and ti[i].grad is not None:
            np.testing.assert_allclose(ei[i].grad.numpy(), ti[i].grad.numpy(), rtol=1e-3, atol=1e-4,
                                       err_msg=f"input {i}")
    ep, tp = dict(e.named_parameters()), dict(t.named_parameters())
    for name, tparam in tp.items():
        np.testing.assert_allclose(ep[name].grad.numpy(), tparam.grad.numpy(), rtol=1e-3, atol=1e-4, err_msg=name)


@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights,average", [(False, True), (True, True), (True, False)])
def test_mha_masks_match_torch(batch_first, need_weights, average):
    import torch
    e, t = _mha_pair(torch, embed_dim=16, num_heads=4, batch_first=batch_first)
    N, L, S = 3, 5, 7
    shp = (lambda n, l: (n, l, 16)) if batch_first else (lambda n, l: (l, n, 16))
    q = rng.standard_normal(shp(N, L)).astype(np.float32)
    k = rng.standard_normal(shp(N, S)).astype(np.float32)
    v = rng.standard_normal(shp(N, S)).astype(np.float32)
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, -2:] = True
    kpm[2, 0] = True
    am = (rng.standard_normal((L, S)) * 0.5).astype(np.float32)
    _run_mha_pair(e, t, [q, k, v, kpm, am], need_weights=need_weights, average_attn_weights=average)


@needs_torch
def test_mha_self_attention_causal_bool_mask():
    import torch
    e, t = _mha_pair(torch, embed_dim=16, num_heads=2)
    x = rng.standard_normal((6, 2, 16)).astype(np.float32)
    causal = np.triu(np.ones((6, 6), dtype=bool), 1)
    _run_mha_pair(e, t, [x, x, x, None, causal], need_weights=False, grad_idx=(0,))
    e2, t2 = _mha_pair(torch, embed_dim=16, num_heads=2)
    fmask = np.triu(np.full((6, 6), -np.inf, dtype=np.float32), 1)
    _run_mha_pair(e2, t2, [x, x, x, None, fmask], need_weights=False, is_causal=True, grad_idx=(0,))


@needs_torch
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_kdim_vdim_bias_kv_zero_attn(need_weights):
    import torch
    e, t = _mha_pair(torch, embed_dim=12, num_heads=3, kdim=5, vdim=7, add_bias_kv=True, add_zero_attn=True,
                     bias=True)
    q = rng.standard_normal((4, 2, 12)).astype(np.float32)
    k = rng.standard_normal((6, 2, 5)).astype(np.float32)
    v = rng.standard_normal((6, 2, 7)).astype(np.float32)
    kpm = np.zeros((2, 6), dtype=bool)
    kpm[1, 2] = True
    am = rng.random((2 * 3, 4, 6)) > 0.8
    _run_mha_pair(e, t, [q, k, v, kpm, am], need_weights=need_weights)


@needs_torch
def test_mha_unbatched_and_no_bias():
    import torch
    e, t = _mha_pair(torch, embed_dim=8, num_heads=2, bias=False)
    x = rng.standard_normal((5, 8)).astype(np.float32)
    _run_mha_pair(e, t, [x, x, x, None, None], need_weights=True, grad_idx=(0,))


@needs_torch
def test_mha_functional_matches_torch():
    import torch
    e, _ = _mha_pair(torch, embed_dim=8, num_heads=2)
    q = rng.standard_normal((3, 2, 8)).astype(np.float32)
    sd = {k: v.detach().numpy() for k, v in e.state_dict().items()}

    def run(lib, x):
        T = lambda a: lib.tensor(a)  # noqa: E731
        return lib.nn.functional.multi_head_attention_forward(
            x, x, x, 8, 2, T(sd["in_proj_weight"]), T(sd["in_proj_bias"]), None, None, False, 0.0,
            T(sd["out_proj.weight"]), T(sd["out_proj.bias"]), need_weights=False)[0]
    compare_with_torch(run, q, atol=2e-5, rtol=1e-4)


def test_mha_dropout_train_vs_eval():
    m = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = ember.randn(4, 2, 8)
    m.eval()
    a, _ = m(x, x, x, need_weights=False)
    b, _ = m(x, x, x, need_weights=False)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    m.train()
    c, _ = m(x, x, x, need_weights=False)
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("code,exc,msg", [
    ("F.scaled_dot_product_attention(ember.randn(2,3,4), ember.randn(2,5,4), ember.randn(2,5,4), "
     "attn_mask=ember.ones(3,6,dtype=ember.bool))", "RuntimeError", "does not broadcast"),
    ("F.scaled_dot_product_attention(ember.randn(2,3,4), ember.randn(2,5,3), ember.randn(2,5,4))",
     "RuntimeError", "head dim"),
    ("F.scaled_dot_product_attention(ember.randn(2,3,4), ember.randn(2,5,4), ember.randn(2,6,4))",
     "RuntimeError", "sequence length"),
    ("F.scaled_dot_product_attention(ember.randn(4), ember.randn(4), ember.randn(4))", "RuntimeError",
     "at least 2 dims"),
    ("F.scaled_dot_product_attention(ember.randn(2,3,4), ember.randn(2,5,4), ember.randn(2,5,4), "
     "attn_mask=ember.ones(3,5,dtype=ember.int64))", "RuntimeError", "attn_mask dtype"),
    ("F.scaled_dot_product_attention(ember.randn(2,3,4), ember.randn(2,5,4), ember.randn(2,5,4).double())",
     "RuntimeError", "one dtype"),
    ("F.scaled_dot_product_attention(ember.ones(2,3,4,dtype=ember.int64), ember.randn(2,5,4), ember.randn(2,5,4))",
     "TypeError", "floating point"),
    ("F.scaled_dot_product_attention(ember.randn(1,6,3,4), ember.randn(1,4,5,4), ember.randn(1,4,5,4), "
     "enable_gqa=True)", "RuntimeError", "must divide"),
    ("F.scaled_dot_product_attention(ember.randn(2,3,4), ember.randn(2,5,4), ember.randn(2,5,4), dropout_p=1.5)",
     "ValueError", "dropout_p"),
    ("F.scaled_dot_product_attention(ember.randn(2,3,4), ember.randn(2,3,4), ember.randn(2,3,4), "
     "attn_mask=ember.ones(3,3,dtype=ember.bool), is_causal=True)", "RuntimeError", "is_causal"),
    ("F.scaled_dot_product_attention(ember.randn(2,3,4, device='cuda'), ember.randn(2,5,4), ember.randn(2,5,4))",
     "RuntimeError", ""),
    ("F.scaled_dot_product_attention(ember.randn(0,3,4), ember.randn(0,5,4), ember.randn(0,5,4)); "
     "raise ValueError('ok-empty')", "ValueError", "ok-empty"),
    ("F.scaled_dot_product_attention(ember.randn(1,1,4), ember.randn(1,1,4), ember.randn(1,1,4), scale=float('inf'))",
     "ValueError", "scale"),
    ("nn.MultiheadAttention(10, 3)", "AssertionError", "divisible"),
    ("nn.MultiheadAttention(0, 1)", "ValueError", "greater than 0"),
    ("nn.MultiheadAttention(-8, 2)", "ValueError", "greater than 0"),
    ("m = nn.MultiheadAttention(8, 2); x = ember.randn(2, 3, 4, 8); m(x, x, x)", "AssertionError", "query should be"),
    ("m = nn.MultiheadAttention(8, 2); x = ember.randn(3, 2, 8); m(x, x, x, attn_mask=ember.zeros(4, 4))",
     "RuntimeError", "2D attn_mask"),
    ("m = nn.MultiheadAttention(8, 2); x = ember.randn(3, 2, 8); m(x, x, x, key_padding_mask=ember.zeros(2, 5))",
     "AssertionError", "key_padding_mask"),
    ("m = nn.MultiheadAttention(8, 2); x = ember.randn(3, 2, 6); m(x, x, x)", "AssertionError", "embedding dimension"),
    ("m = nn.MultiheadAttention(8, 2); x = ember.randn(3, 2, 8); "
     "m(x, x, x, attn_mask=ember.zeros(3, 3, dtype=ember.int64))", "AssertionError", "only bool and floating"),
    ("m = nn.MultiheadAttention(8, 2); x = ember.randn(3, 2, 8); m(x, x, x, is_causal=True)", "RuntimeError",
     "is_causal"),
])
def test_attention_bad_input(code, exc, msg):
    assert_raises_in_child("import ember.nn as nn, ember.nn.functional as F\n" + code, exc, msg)


def test_sdpa_huge_size_raises_not_crashes():
    assert_raises_in_child(
        "import ember.nn.functional as F\n"
        "q = ember.randn(1, 1, 4).expand(2**31, 2**31, 4)\n"
        "F.scaled_dot_product_attention(q, q, q)", "RuntimeError", "overflow")


def test_sdpa_memory_is_linear_in_sequence_length():
    """The forward never holds the L x S score matrix: the arrays it allocates are the
    output and one logsumexp per row (the tile scratch lives per thread)."""
    L = 4096
    q = ember.randn(1, 1, L, 8)
    y = F.scaled_dot_product_attention(q, q, q, is_causal=True)  # warm the allocator cache
    del y
    before = ember._C.cpu_allocated_bytes()
    y = F.scaled_dot_product_attention(q, q, q, is_causal=True)
    grew = ember._C.cpu_allocated_bytes() - before
    assert grew <= (L * 8 + L) * 4 + 4096, grew
    assert grew < L * L * 4 // 100


def test_sdpa_float16_computed_in_float32():
    x = rng.standard_normal((2, 5, 8)).astype(np.float16)
    y = F.scaled_dot_product_attention(ember.tensor(x), ember.tensor(x), ember.tensor(x))
    assert y.dtype == ember.float16
    ref = _composed_sdpa(*(ember.tensor(x.astype(np.float32)) for _ in range(3)))
    np.testing.assert_allclose(y.numpy().astype(np.float32), ref.numpy(), rtol=2e-3, atol=2e-3)
