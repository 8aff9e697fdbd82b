"""Position information for Transformers (ember extras; torch has no such layers):

- SinusoidalPositionalEncoding(d_model, max_len, dropout): adds the fixed sin/cos table
  of "Attention Is All You Need" to (N, L, d_model) input, then dropout.
- LearnedPositionalEmbedding(max_len, d_model): a trained (max_len, d_model) table
  looked up by position (GPT-2's wpe).
- RotaryEmbedding(dim, base=10000): rotary position embedding (RoPE) applied to
  queries and keys, in the half-split layout of GPT-NeoX / LLaMA (HF
  ``rotate_half``): feature i in [0, dim/2) is paired with feature i + dim/2, and the
  pair is rotated by angle position * base^(-2i/dim). (The interleaved layout of the
  original RoFormer pairs 2i with 2i+1 instead; weights do not move between the two
  without a permutation.)
"""
import math

import ember

from .. import functional as F
from ..parameter import Parameter
from .dropout import Dropout
from .module import Module

__all__ = ["SinusoidalPositionalEncoding", "LearnedPositionalEmbedding", "RotaryEmbedding"]


def _pos_int(v, op, what):
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise ValueError(f"[{op}] expected {what} to be a positive int, got {v!r}")
    return v


def _offset_arg(offset, op):
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"[{op}] expected offset to be a non-negative int, got {offset!r}")
    return offset


class SinusoidalPositionalEncoding(Module):
    """x + PE[offset:offset+L] for batch-first x of shape (N, L, d_model) or (L, d_model);
    PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...). The table is a
    non-persistent buffer (not in state_dict)."""

    def __init__(self, d_model, max_len=5000, dropout=0.1):
        op = "SinusoidalPositionalEncoding"
        super().__init__()
        _pos_int(d_model, op, "d_model")
        _pos_int(max_len, op, "max_len")
        self.d_model, self.max_len = d_model, max_len
        pos = ember.arange(max_len, dtype=ember.float64).reshape(max_len, 1)
        div = (ember.arange(0, d_model, 2, dtype=ember.float64) * (-math.log(10000.0) / d_model)).exp()
        ang = pos * div
        pe = ember.zeros((max_len, d_model), dtype=ember.float64)
        pe[:, 0::2] = ang.sin()
        pe[:, 1::2] = ang.cos()[:, : d_model // 2]
        self.register_buffer("pe", pe.to(ember.float32), persistent=False)
        self.dropout = Dropout(dropout)

    def forward(self, x, offset=0):
        op = "SinusoidalPositionalEncoding"
        offset = _offset_arg(offset, op)
        if not isinstance(x, ember.Tensor) or x.dim() not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"[{op}] expected input of shape (N, L, {self.d_model}) or (L, {self.d_model}), got "
                             f"{tuple(x.shape) if isinstance(x, ember.Tensor) else type(x).__name__}")
        L = x.shape[-2]
        if offset + L > self.max_len:
            raise IndexError(f"[{op}] positions up to {offset + L - 1} exceed max_len {self.max_len}")
        return self.dropout(x + self.pe[offset:offset + L].to(device=x.device, dtype=x.dtype))

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEmbedding(Module):
    """A (max_len, d_model) table of trained position vectors (init N(0, 0.02) as GPT-2).
    forward(positions) looks up an int tensor of positions; forward(L, offset=0) with an
    int returns the (L, d_model) rows offset .. offset+L-1."""

    def __init__(self, max_len, d_model, device=None, dtype=None):
        op = "LearnedPositionalEmbedding"
        super().__init__()
        self.max_len, self.d_model = _pos_int(max_len, op, "max_len"), _pos_int(d_model, op, "d_model")
        self.weight = Parameter(ember.empty((max_len, d_model), device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        with ember.no_grad():
            self.weight.normal_(0.0, 0.02)

    def forward(self, positions, offset=0):
        op = "LearnedPositionalEmbedding"
        offset = _offset_arg(offset, op)
        if isinstance(positions, int) and not isinstance(positions, bool):
            if positions < 0 or offset + positions > self.max_len:
                raise IndexError(f"[{op}] positions {offset}..{offset + positions - 1} out of range for max_len "
                                 f"{self.max_len}")
            return self.weight[offset:offset + positions]
        if not isinstance(positions, ember.Tensor) or positions.is_floating_point():
            raise TypeError(f"[{op}] expected an int or an integer Tensor of positions, got "
                            f"{getattr(positions, 'dtype', type(positions).__name__)}")
        return F.embedding(positions + offset if offset else positions, self.weight)

    def extra_repr(self):
        return f"{self.max_len}, {self.d_model}"


class RotaryEmbedding(Module):
    """Rotary position embedding. forward(q, k, positions=None, offset=0) rotates the
    last dim (head dim = ``dim``) of q (..., L, dim) and k (..., S, dim): by
    ``positions`` (an int tensor, used for both) or by offset + arange(L) / offset +
    arange(S). With a KV cache, pass the new queries and keys with offset = the number
    of cached positions, then append the rotated keys to the cache. Half-split layout
    (see the module doc)."""

    def __init__(self, dim, base=10000.0):
        op = "RotaryEmbedding"
        super().__init__()
        _pos_int(dim, op, "dim")
        if dim % 2:
            raise ValueError(f"[{op}] expected an even dim, got {dim}")
        if not isinstance(base, (int, float)) or isinstance(base, bool) or base <= 0:
            raise ValueError(f"[{op}] expected a positive base, got {base!r}")
        self.dim, self.base = dim, float(base)
        inv = ember.tensor([self.base ** (-2.0 * i / dim) for i in range(dim // 2)], dtype=ember.float64)
        self.register_buffer("inv_freq", inv, persistent=False)

    def _cos_sin(self, pos, dtype, device=None):
        # On the input's device (the table follows the module, but a rotary module has
        # no parameters and is easily left behind; positions may come from the CPU).
        inv = self.inv_freq if device is None else self.inv_freq.to(device)
        ang = pos.to(device=inv.device, dtype=ember.float64).reshape(-1, 1) * inv.reshape(1, -1)  # (L, dim/2)
        return ang.cos().to(dtype), ang.sin().to(dtype)

    def rotate(self, x, positions):
        """x (..., L, dim) rotated by positions (int tensor of length L)."""
        op = "RotaryEmbedding"
        if not isinstance(x, ember.Tensor) or x.dim() < 2 or x.shape[-1] != self.dim:
            raise ValueError(f"[{op}] expected input of shape (..., L, {self.dim}), got "
                             f"{tuple(x.shape) if isinstance(x, ember.Tensor) else type(x).__name__}")
        if positions.numel() != x.shape[-2]:
            raise ValueError(f"[{op}] expected {x.shape[-2]} positions, got {positions.numel()}")
        cos, sin = self._cos_sin(positions, x.dtype, x.device)
        h = self.dim // 2
        x1, x2 = x[..., :h], x[..., h:]
        return ember.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)

    def forward(self, q, k, positions=None, offset=0):
        op = "RotaryEmbedding"
        offset = _offset_arg(offset, op)
        if positions is None:
            pq = ember.arange(offset, offset + q.shape[-2], device=q.device)
            pk = ember.arange(offset, offset + k.shape[-2], device=k.device)
        else:
            if not isinstance(positions, ember.Tensor) or positions.is_floating_point():
                raise TypeError(f"[{op}] expected an integer Tensor of positions")
            pq = pk = positions
        return self.rotate(q, pq), self.rotate(k, pk)

    def extra_repr(self):
        return f"dim={self.dim}, base={self.base:g}"
