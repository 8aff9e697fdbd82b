"""MultiHeadAttention (Keras 3 semantics) from ember.nn.Linear projections and ember's
fused scaled_dot_product_attention kernel.

query (N, T, dq), value (N, S, dv), key (N, S, dk) (default value). Each is projected to
num_heads x key_dim (value: value_dim), attended per head, and the heads' concatenation is
projected back to dq (or ``output_shape``).
"""
from ... import nn
from ...nn import functional as F
from .base import Layer

__all__ = ["MultiHeadAttention"]


class MultiHeadAttention(Layer):
    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        for n, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"[MultiHeadAttention] expected a positive int {n}, got {v!r}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError(f"[MultiHeadAttention] expected a positive int value_dim, got {value_dim!r}")
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"[MultiHeadAttention] expected dropout in [0, 1), got {dropout!r}")
        if attention_axes is not None:
            raise ValueError("[MultiHeadAttention] attention over axes other than the sequence axis "
                             f"is not supported, got attention_axes={attention_axes!r}")
        from .. import initializers
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = value_dim or key_dim
        self.dropout, self.use_bias = float(dropout), bool(use_bias)
        self._out_dim = output_shape
        self._kinit = initializers.get(kernel_initializer)
        self._binit = initializers.get(bias_initializer)

    def build(self, input_shape):
        pass  # projections are made on the first call, when query/key/value sizes are known

    def _make(self, dq, dk, dv):
        h = self.num_heads
        out = self._out_dim if isinstance(self._out_dim, int) else dq
        self.query_dense = nn.Linear(dq, h * self.key_dim, bias=self.use_bias)
        self.key_dense = nn.Linear(dk, h * self.key_dim, bias=self.use_bias)
        self.value_dense = nn.Linear(dv, h * self.value_dim, bias=self.use_bias)
        self.output_dense = nn.Linear(h * self.value_dim, out, bias=self.use_bias)
        for m in (self.query_dense, self.key_dense, self.value_dense, self.output_dense):
            self._kinit(m.weight)
            if m.bias is not None:
                self._binit(m.bias)

    def _heads(self, x, d):
        n, t = x.shape[0], x.shape[1]
        return x.reshape(n, t, self.num_heads, d).transpose(1, 2)

    def call(self, query, value, key=None, attention_mask=None, return_attention_scores=False, training=False,
             use_causal_mask=False):
        key = value if key is None else key
        for n, t in (("query", query), ("value", value), ("key", key)):
            if t.dim() != 3:
                raise ValueError(f"[MultiHeadAttention] expected {n} of 3 dims (N, T, dim), got shape "
                                 f"{tuple(t.shape)}")
        if "query_dense" not in self._modules:
            self._make(query.shape[-1], key.shape[-1], value.shape[-1])
        q = self._heads(self.query_dense(query), self.key_dim)
        k = self._heads(self.key_dense(key), self.key_dim)
        v = self._heads(self.value_dense(value), self.value_dim)
        mask = None
        if attention_mask is not None:
            mask = attention_mask.bool() if hasattr(attention_mask, "bool") else attention_mask
            if mask.dim() == 3:
                mask = mask.unsqueeze(1)
        if return_attention_scores:
            s = (q @ k.transpose(-2, -1)) * (self.key_dim ** -0.5)
            if mask is not None:
                s = s.masked_fill(~mask, float("-inf"))
            if use_causal_mask:
                from ... import ones
                L, S = s.shape[-2], s.shape[-1]
                s = s.masked_fill(ones(L, S, device=s.device).triu(1).bool(), float("-inf"))
            a = F.softmax(s, dim=-1)
            a_d = F.dropout(a, self.dropout, training=training) if self.dropout else a
            o = a_d @ v
        else:
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                               dropout_p=self.dropout if training else 0.0,
                                               is_causal=bool(use_causal_mask) and mask is None)
        n, t = o.shape[0], o.shape[2]
        y = self.output_dense(o.transpose(1, 2).reshape(n, t, self.num_heads * self.value_dim))
        return (y, a) if return_attention_scores else y
