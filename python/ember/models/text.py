"""Byte-level language models for text files (vocabulary 256, one token per byte).

- ``CharLSTM``: embedding, LSTM, linear head (as examples/char_lstm.py).
- ``GPTMini``: a pre-norm causal transformer with learned positions and tied
  embeddings (as examples/gpt_mini.py, without the KV cache).
Both map token ids (N, L) to logits (N, L, 256).
"""
import ember
import ember.nn as nn
import ember.nn.functional as F

__all__ = ["CharLSTM", "GPTMini", "VOCAB"]

VOCAB = 256


def _check_pos(op, **kw):
    for name, v in kw.items():
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"[{op}] {name} must be a positive int, got {v!r}")


class CharLSTM(nn.Module):
    def __init__(self, embed=64, hidden=256, num_layers=1, block_size=64):
        super().__init__()
        _check_pos("CharLSTM", embed=embed, hidden=hidden, num_layers=num_layers, block_size=block_size)
        self.block_size = block_size
        self.embed = nn.Embedding(VOCAB, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden, VOCAB)

    def forward(self, idx):
        out, _ = self.lstm(self.embed(idx))
        return self.head(out)


class _Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)

    def forward(self, x):
        N, L, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(N, L, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=L > 1)
        x = x + self.proj(a.transpose(1, 2).reshape(N, L, D))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPTMini(nn.Module):
    def __init__(self, d_model=128, heads=4, num_layers=3, block_size=64):
        super().__init__()
        _check_pos("GPTMini", d_model=d_model, heads=heads, num_layers=num_layers, block_size=block_size)
        if d_model % heads:
            raise ValueError(f"[GPTMini] d_model ({d_model}) must be divisible by heads ({heads})")
        self.block_size = block_size
        self.tok = nn.Embedding(VOCAB, d_model)
        self.pos = nn.LearnedPositionalEmbedding(block_size, d_model)
        self.blocks = nn.ModuleList([_Block(d_model, heads) for _ in range(num_layers)])
        self.ln_f = nn.LayerNorm(d_model)
        with ember.no_grad():
            self.tok.weight.normal_(0.0, 0.02)

    def forward(self, idx):
        if idx.shape[1] > self.block_size:
            raise ValueError(f"[GPTMini] expected at most block_size={self.block_size} tokens, got {idx.shape[1]}")
        x = self.tok(idx) + self.pos(idx.shape[1])
        for b in self.blocks:
            x = b(x)
        return self.ln_f(x) @ self.tok.weight.t()
