"""The Transformer family (encoder/decoder layers and stacks, nn.Transformer) vs
PyTorch with weights copied through state_dict: outputs and every parameter and
input gradient, norm_first and batch_first both ways, masks; positional encodings
(sinusoidal, learned, rotary), the KV cache (greedy decoding with and without it
agree), bad input in a child process."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import assert_raises_in_child, needs_torch

rng = np.random.default_rng(0)


def _pair(torch, expr):
    ember.manual_seed(0)
    e = eval(expr, {"nn": nn, "F": F})
    t = eval(expr, {"nn": torch.nn, "F": torch.nn.functional})
    missing = t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in e.state_dict().items()})
    assert not missing.missing_keys and not missing.unexpected_keys
    return e, t


def _compare(e, t, arrays, call, rtol=1e-4, atol=3e-5):
    """call(module, lib, tensors) -> output; compares the output, float input grads and
    every parameter grad."""
    import torch
    ei = [ember.tensor(a, requires_grad=a.dtype.kind == "f") if a is not None else None for a in arrays]
    ti = [torch.tensor(a, requires_grad=a.dtype.kind == "f") if a is not None else None for a in arrays]
    eo, to = call(e, ember, ei), call(t, torch, ti)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    (eo * ember.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    for i, (a, b) in enumerate(zip(ei, ti)):
        if b is not None and b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-3, atol=2e-4, err_msg=f"input {i}")
    ep = dict(e.named_parameters())
    for name, p in t.named_parameters():
        if p.grad is None:
            assert ep[name].grad is None or np.allclose(ep[name].grad.numpy(), 0), name
            continue
        np.testing.assert_allclose(ep[name].grad.numpy(), p.grad.numpy(), rtol=1e-3, atol=2e-4, err_msg=name)


def _seq(batch_first, n, l, d):
    return rng.standard_normal((n, l, d) if batch_first else (l, n, d)).astype(np.float32)


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["'relu'", "'gelu'", "F.silu"])
def test_encoder_layer_matches_torch(norm_first, batch_first, activation):
    import torch
    e, t = _pair(torch, f"nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, activation={activation}, "
                        f"batch_first={batch_first}, norm_first={norm_first})")
    x = _seq(batch_first, 3, 7, 16)
    kpm = np.zeros((3, 7), dtype=bool)
    kpm[1, -3:] = True
    mask = (rng.standard_normal((7, 7)) * 0.3).astype(np.float32)
    _compare(e, t, [x, mask, kpm], lambda m, lib, a: m(a[0], src_mask=a[1], src_key_padding_mask=a[2]))


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_matches_torch(norm_first, batch_first):
    import torch
    e, t = _pair(torch, f"nn.TransformerDecoderLayer(16, 2, 24, dropout=0.1, batch_first={batch_first}, "
                        f"norm_first={norm_first})")
    e.eval()
    t.eval()
    tgt, mem = _seq(batch_first, 2, 5, 16), _seq(batch_first, 2, 9, 16)
    causal = np.triu(np.full((5, 5), -np.inf, dtype=np.float32), 1)
    mkpm = np.zeros((2, 9), dtype=bool)
    mkpm[0, :2] = True
    _compare(e, t, [tgt, mem, causal, mkpm],
             lambda m, lib, a: m(a[0], a[1], tgt_mask=a[2], memory_key_padding_mask=a[3], tgt_is_causal=True))


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_causal_detection_matches_torch(norm_first):
    import torch
    e, t = _pair(torch, f"nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, "
                        f"norm_first={norm_first}), 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)")
    x = _seq(False, 2, 6, 8)
    mask = np.triu(np.full((6, 6), -np.inf, dtype=np.float32), 1)
    _compare(e, t, [x, mask], lambda m, lib, a: m(a[0], mask=a[1]))


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(norm_first, batch_first):
    import torch
    e, t = _pair(torch, f"nn.Transformer(16, 2, 2, 1, 32, dropout=0.0, batch_first={batch_first}, "
                        f"norm_first={norm_first})")
    src, tgt = _seq(batch_first, 2, 7, 16), _seq(batch_first, 2, 5, 16)
    tmask = nn.Transformer.generate_square_subsequent_mask(5).numpy()
    skpm = np.zeros((2, 7), dtype=bool)
    skpm[1, -2:] = True
    _compare(e, t, [src, tgt, tmask, skpm],
             lambda m, lib, a: m(a[0], a[1], tgt_mask=a[2], src_key_padding_mask=a[3],
                                 memory_key_padding_mask=a[3]))


@needs_torch
def test_generate_square_subsequent_mask_matches_torch():
    import torch
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(6).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(6).numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64).dtype == ember.float64


def test_transformer_train_mode_dropout_runs_and_backprops():
    m = nn.Transformer(8, 2, 1, 1, 16, dropout=0.5)
    out = m(ember.randn(4, 2, 8), ember.randn(3, 2, 8))
    out.sum().backward()
    assert m.encoder.layers[0].self_attn.in_proj_weight.grad is not None


# ---------------------------------------------------------------- positional encodings
def test_sinusoidal_positional_encoding_values():
    pe = nn.SinusoidalPositionalEncoding(6, max_len=20, dropout=0.0)
    x = ember.zeros(2, 5, 6)
    y = pe(x, offset=3).numpy()
    pos = np.arange(3, 8)[:, None]
    div = np.exp(np.arange(0, 6, 2) * (-np.log(10000.0) / 6))
    ref = np.zeros((5, 6))
    ref[:, 0::2], ref[:, 1::2] = np.sin(pos * div), np.cos(pos * div)
    np.testing.assert_allclose(y[0], ref, atol=1e-6)
    np.testing.assert_allclose(y[1], ref, atol=1e-6)
    assert "pe" not in pe.state_dict()


def test_learned_positional_embedding():
    pe = nn.LearnedPositionalEmbedding(10, 4)
    w = pe.weight.detach().numpy()
    np.testing.assert_array_equal(pe(3, offset=2).detach().numpy(), w[2:5])
    np.testing.assert_array_equal(pe(ember.tensor([[1, 7]])).detach().numpy(), w[[[1, 7]]])
    assert abs(w.std() - 0.02) < 0.01
    pe(ember.tensor([0, 1])).sum().backward()
    assert pe.weight.grad is not None


def test_rotary_embedding_half_split_and_relative():
    rope = nn.RotaryEmbedding(8, base=100.0)
    x = rng.standard_normal((1, 2, 5, 8))
    y = rope.rotate(ember.tensor(x), ember.arange(5)).numpy()
    inv = 100.0 ** (-np.arange(4) * 2 / 8)
    ang = np.arange(5)[:, None] * inv
    c, s = np.cos(ang), np.sin(ang)
    ref = np.concatenate([x[..., :4] * c - x[..., 4:] * s, x[..., 4:] * c + x[..., :4] * s], -1)
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
    # <R(m) q, R(n) k> depends on m - n only
    q, k = rng.standard_normal(8), rng.standard_normal(8)
    def dot(m, n):
        a = rope.rotate(ember.tensor(q[None]), ember.tensor([m])).numpy()[0]
        b = rope.rotate(ember.tensor(k[None]), ember.tensor([n])).numpy()[0]
        return a @ b
    assert abs(dot(7, 3) - dot(14, 10)) < 1e-9
    qr, kr = rope(ember.tensor(x), ember.tensor(x), offset=2)
    np.testing.assert_allclose(qr.numpy(), rope.rotate(ember.tensor(x), ember.arange(2, 7)).numpy())


# ---------------------------------------------------------------- KV cache
class _TinyGPT(nn.Module):
    def __init__(self, vocab=11, d=16, heads=2, layers=2):
        super().__init__()
        self.h, self.d = heads, d
        self.emb = nn.Embedding(vocab, d)
        self.rope = nn.RotaryEmbedding(d // heads)
        self.qkv = nn.ModuleList([nn.Linear(d, 3 * d) for _ in range(layers)])
        self.proj = nn.ModuleList([nn.Linear(d, d) for _ in range(layers)])

    def forward(self, idx, cache=None):
        N, L = idx.shape
        past = cache.seq_len(0) if cache is not None else 0
        x = self.emb(idx)
        for i, (qkv, proj) in enumerate(zip(self.qkv, self.proj)):
            q, k, v = qkv(x).reshape(N, L, 3, self.h, self.d // self.h).permute(2, 0, 3, 1, 4).unbind(0)
            q, k = self.rope(q, k, offset=past)
            mask = None
            if cache is not None:
                k, v = cache.update(i, k, v)
                mask = cache.mask(L, i)
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None and L > 1)
            x = x + proj(a.transpose(1, 2).reshape(N, L, self.d))
        return x @ self.emb.weight.t()


def test_kv_cache_greedy_decoding_matches_full_recompute():
    ember.manual_seed(1)
    model = _TinyGPT()
    prompt = ember.tensor([[1, 4, 2], [3, 3, 9]])
    with ember.no_grad():
        full = prompt
        for _ in range(6):
            nxt = model(full)[:, -1].argmax(-1, keepdim=True)
            full = ember.cat([full, nxt], 1)
        cache = nn.KVCache(2)
        logits = model(prompt, cache)
        seq = prompt
        for _ in range(6):
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            seq = ember.cat([seq, nxt], 1)
            logits = model(nxt, cache)
        # several new tokens at once against a non-empty cache use cache.mask
        cache2 = nn.KVCache(2)
        model(seq[:, :4], cache2)
        chunk = model(seq[:, 4:], cache2)
        ref = model(seq)[:, 4:]
    np.testing.assert_array_equal(seq.numpy(), full.numpy())
    np.testing.assert_allclose(chunk.numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)
    assert cache.seq_len(1) == 3 + 6


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("code,exc,msg", [
    ("nn.TransformerEncoderLayer(10, 3)", "AssertionError", "divisible"),
    ("nn.TransformerEncoderLayer(8, 2, activation='tanh')", "RuntimeError", "relu/gelu"),
    ("nn.TransformerEncoderLayer(0, 2)", "ValueError", "d_model"),
    ("nn.Transformer(8, -2)", "ValueError", "nhead"),
    ("m = nn.Transformer(8, 2, 1, 1, 16); m(ember.randn(3, 2, 8), ember.randn(3, 4, 8))", "RuntimeError",
     "batch number"),
    ("m = nn.Transformer(8, 2, 1, 1, 16); m(ember.randn(3, 2, 8), ember.randn(3, 2, 6))", "RuntimeError",
     "feature number"),
    ("m = nn.TransformerEncoderLayer(8, 2, 16); m(ember.randn(3, 2, 8), src_mask=ember.zeros(4, 4))",
     "RuntimeError", "2D attn_mask"),
    ("nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), -1)", "ValueError", "num_layers"),
    ("nn.TransformerEncoder('layer', 2)", "TypeError", "Module"),
    ("m = nn.TransformerEncoderLayer(8, 2, 16); m(ember.randn(3, 2, 8, device='cuda'))", "RuntimeError", ""),
    ("nn.RotaryEmbedding(7)", "ValueError", "even"),
    ("nn.RotaryEmbedding(8).rotate(ember.randn(3, 6), ember.arange(3))", "ValueError", "(..., L, 8)"),
    ("nn.SinusoidalPositionalEncoding(4, max_len=5)(ember.randn(1, 6, 4))", "IndexError", "max_len"),
    ("nn.LearnedPositionalEmbedding(5, 4)(ember.tensor([0.5]))", "TypeError", "integer"),
    ("nn.KVCache(2).update(2, ember.randn(1, 2, 3), ember.randn(1, 2, 3))", "IndexError", "out of range"),
    ("c = nn.KVCache(1); c.update(0, ember.randn(1, 2, 3), ember.randn(1, 2, 3)); "
     "c.update(0, ember.randn(1, 2, 4), ember.randn(1, 2, 4))", "ValueError", "do not extend"),
    ("nn.KVCache(0)", "ValueError", "num_layers"),
])
def test_transformer_bad_input(code, exc, msg):
    assert_raises_in_child("import ember.nn as nn\n" + code, exc, msg)
