"""nn.MultiheadAttention with torch's parameters (in_proj_weight or q/k/v_proj_weight,
in_proj_bias, out_proj, bias_k, bias_v), init and forward; the math is
ember.nn.functional.multi_head_attention_forward (fused attention kernel)."""
import ember

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear", "KVCache"]


class NonDynamicallyQuantizableLinear(Linear):
    """torch's name for MultiheadAttention.out_proj: a plain Linear."""


class MultiheadAttention(Module):
    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        op = "MultiheadAttention"
        for v, what in ((embed_dim, "embed_dim"), (num_heads, "num_heads")):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"[{op}] embed_dim and num_heads must be greater than 0, got {what}={v!r}")
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"[{op}] embed_dim must be divisible by num_heads, got embed_dim={embed_dim} and "
                                 f"num_heads={num_heads}")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(ember.empty((embed_dim, embed_dim), **fk))
            self.k_proj_weight = Parameter(ember.empty((embed_dim, self.kdim), **fk))
            self.v_proj_weight = Parameter(ember.empty((embed_dim, self.vdim), **fk))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(ember.empty((3 * embed_dim, embed_dim), **fk))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(ember.empty(3 * embed_dim, **fk))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **fk)
        if add_bias_kv:
            self.bias_k = Parameter(ember.empty((1, 1, embed_dim), **fk))
            self.bias_v = Parameter(ember.empty((1, 1, embed_dim), **fk))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        is_batched = isinstance(query, ember.Tensor) and query.dim() == 3
        if self.batch_first and is_batched:
            query, key, value = (x.transpose(1, 0) if isinstance(x, ember.Tensor) else x
                                 for x in (query, key, value))
        kw = dict(training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
                  attn_mask=attn_mask, average_attn_weights=average_attn_weights, is_causal=is_causal)
        if not self._qkv_same_embed_dim:
            out, w = F.multi_head_attention_forward(
                query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
                self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight,
                self.out_proj.bias, use_separate_proj_weight=True, q_proj_weight=self.q_proj_weight,
                k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight, **kw)
        else:
            out, w = F.multi_head_attention_forward(
                query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
                self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight,
                self.out_proj.bias, **kw)
        if self.batch_first and is_batched:
            return out.transpose(1, 0), w
        return out, w


class KVCache:
    """Keys and values of past positions for incremental (token by token) decoding.

    One slot per layer; ``update(layer, k, v)`` appends the new keys/values (..., L_new, E)
    along the sequence dim (-2) and returns everything cached so far, which the layer
    then attends to. ``mask(new_len)`` gives the attention mask the new queries need:
    None for the first call on an empty cache or a single new token (use is_causal on
    the first call), else a bool (L_new, S_total) mask where query i (at absolute
    position past + i) sees keys j <= past + i. Greedy decoding with the cache gives the
    same tokens as recomputing the whole prefix each step (tests/test_nn_transformer.py).
    """

    def __init__(self, num_layers):
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"[KVCache] expected num_layers to be a positive int, got {num_layers!r}")
        self.num_layers = num_layers
        self.reset()

    def reset(self):
        self.keys = [None] * self.num_layers
        self.values = [None] * self.num_layers

    def _slot(self, layer):
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.num_layers:
            raise IndexError(f"[KVCache] layer {layer!r} out of range for a cache of {self.num_layers} layers")
        return layer

    def seq_len(self, layer=0):
        """Positions cached in ``layer``."""
        k = self.keys[self._slot(layer)]
        return 0 if k is None else k.shape[-2]

    def update(self, layer, k, v):
        layer = self._slot(layer)
        if not isinstance(k, ember.Tensor) or not isinstance(v, ember.Tensor):
            raise TypeError("[KVCache] expected k and v to be Tensors")
        if k.shape[-2] != v.shape[-2]:
            raise ValueError(f"[KVCache] k and v must have one sequence length, got shapes {tuple(k.shape)} and "
                             f"{tuple(v.shape)}")
        pk, pv = self.keys[layer], self.values[layer]
        if pk is not None:
            if tuple(pk.shape[:-2]) != tuple(k.shape[:-2]) or pk.shape[-1] != k.shape[-1]:
                raise ValueError(f"[KVCache] new keys of shape {tuple(k.shape)} do not extend cached keys of shape "
                                 f"{tuple(pk.shape)}")
            k = ember.cat([pk, k], -2)
            v = ember.cat([pv, v], -2)
        self.keys[layer], self.values[layer] = k, v
        return k, v

    def mask(self, new_len, layer=0):
        """Causal mask for ``new_len`` queries against the cache after update (see class doc)."""
        total = self.seq_len(layer)
        past = total - new_len
        if new_len == 1 or past == 0:
            return None
        dev = self.keys[self._slot(layer)].device  # on the cached keys' (the queries') device
        j = ember.arange(total, device=dev).reshape(1, total)
        i = ember.arange(new_len, device=dev).reshape(new_len, 1) + past
        return j <= i
