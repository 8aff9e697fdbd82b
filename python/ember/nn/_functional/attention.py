"""Attention ops of ember.nn.functional: scaled_dot_product_attention on the fused
flash-style kernels (csrc/ops/attention) and multi_head_attention_forward (torch's
function, composed from ember ops around that kernel).

scaled_dot_product_attention's forward never materialises the L x S score matrix
(the kernel keeps a running max and sum per query row over key tiles) and saves
only the output and the per-row log-sum-exp; backward recomputes the tiles
(FlashAttention-2). ``attention_weights`` / ``_composed_sdpa`` are the same math
from primitive ops (matmul + softmax): what ``need_weights=True`` returns and the
oracle the tests compare the kernel against. A float ``attn_mask`` that requires grad
gets the score gradient (materialised only then, as torch's math path does).
"""
import math

import ember

from ... import _C
from ...autograd.function import Function
from ...tensor import Tensor, _wrap
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_SDPA = "scaled_dot_product_attention"


class _SdpaFunction(Function):
    @staticmethod
    def forward(ctx, q, k, v, mask, is_causal, scale, dropout_p):
        m = None if mask is None else mask._a
        ctx.mask_grad = mask is not None and mask.requires_grad and mask.is_floating_point()
        out, lse, seed, offset = _C.sdpa_forward(q._a, k._a, v._a, m, is_causal, scale, dropout_p)
        out = _wrap(out)
        ctx.save_for_backward(q, k, v, out)
        ctx.lse, ctx.mask = lse, m
        ctx.args = (is_causal, scale, dropout_p, seed, offset)
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v, out = ctx.saved_tensors
        is_causal, scale, p, seed, offset = ctx.args
        dq, dk, dv, dm = _C.sdpa_backward(g._a, q._a, k._a, v._a, ctx.mask, out._a, ctx.lse, is_causal, scale, p,
                                          seed, offset, ctx.mask_grad)
        return _wrap(dq), _wrap(dk), _wrap(dv), None if dm is None else _wrap(dm), None, None, None


def _broadcast_shapes(a, b, op, what):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"[{op}] {what}: shapes {a} and {b} do not broadcast")
        out.append(max(x, y) if min(x, y) != 0 else 0)
    return tuple(out)


def _to_bhle(t, batch, heads):
    """(*batch, heads, L, E) view/expansion of t as 4-D (B, heads, L, E)."""
    L, E = t.shape[-2], t.shape[-1]
    t = t.expand(*batch, heads, L, E) if tuple(t.shape[:-2]) != tuple(batch) + (heads,) else t
    B = 1
    for s in batch:
        B *= s
    return t.reshape(B, heads, L, E)


def _mask_4d(mask, full, op):
    """attn_mask broadcast against full = (*batch, H, L, S) as a 4-D array whose dims are
    1 or full size (leading batch dims merged; expanded only when they are not all 1)."""
    shape = tuple(mask.shape)
    if len(shape) > len(full) or _broadcast_shapes(shape, full, op, "attn_mask does not broadcast") != tuple(full):
        raise RuntimeError(f"[{op}] attn_mask of shape {shape} does not broadcast to the attention shape "
                           f"{tuple(full)}")
    shape = (1,) * (len(full) - len(shape)) + shape
    m = mask.reshape(shape)
    if len(full) <= 4:
        return m.reshape((1,) * (4 - len(full)) + shape)
    lead = shape[:-3]
    if all(s == 1 for s in lead):
        return m.reshape((1,) + shape[-3:])
    m = m.expand(*full[:-3], *shape[-3:])
    B = 1
    for s in full[:-3]:
        B *= s
    return m.reshape((B,) + shape[-3:])


def _check_qkv(op, query, key, value):
    """query/key/value must be floating tensors on one device (SDPA and MHA share these checks)."""
    for t, what in ((query, "query"), (key, "key"), (value, "value")):
        if not isinstance(t, Tensor):
            raise TypeError(f"[{op}] expected {what} to be a Tensor, got {type(t).__name__}")
        if t.device != query.device:
            raise RuntimeError(f"[{op}] expected all tensors on the same device, got {query.device} and {t.device} "
                               f"({what})")
        if not t.is_floating_point():
            raise TypeError(f"[{op}] expected a floating point {what}, got {t.dtype}")


def _check_sdpa_args(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    op = _SDPA
    _check_qkv(op, query, key, value)
    for t, what in ((query, "query"), (key, "key"), (value, "value")):
        if t.dim() < 2:
            raise RuntimeError(f"[{op}] expected {what} of at least 2 dims (..., L, E), got shape {tuple(t.shape)}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"[{op}] expected query, key and value of one dtype, got query.dtype: {query.dtype}, "
                           f"key.dtype: {key.dtype} and value.dtype: {value.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"[{op}] expected key of head dim {query.shape[-1]} like the query, got key shape "
                           f"{tuple(key.shape)} and query shape {tuple(query.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"[{op}] expected key and value of one sequence length, got shapes {tuple(key.shape)} "
                           f"and {tuple(value.shape)}")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"[{op}] expected attn_mask to be a Tensor or None, got {type(attn_mask).__name__}")
        if attn_mask.device != query.device:
            raise RuntimeError(f"[{op}] expected all tensors on the same device, got {query.device} and "
                               f"{attn_mask.device} (attn_mask)")
        if attn_mask.dtype != ember.bool and attn_mask.dtype != query.dtype:
            raise RuntimeError(f"[{op}] expected attn_mask dtype to be bool or to match query dtype, got "
                               f"attn_mask.dtype: {attn_mask.dtype} and query.dtype: {query.dtype}")
        if is_causal:
            raise RuntimeError(f"[{op}] an explicit attn_mask should not be set when is_causal=True")
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, (int, float)) or not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"[{op}] dropout_p must be a float in [0, 1], got {dropout_p!r}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))
                              or not math.isfinite(scale)):
        raise ValueError(f"[{op}] scale must be a finite float or None, got {scale!r}")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value on the fused kernel.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); batch dims
    broadcast. attn_mask: bool (True = take part) or of query's dtype (added), broadcast
    to (..., L, S). is_causal: query i sees keys j <= i. enable_gqa: key/value may have
    fewer heads (dim -3) than query, which must be a multiple of them. Rows that see no
    key give 0 (as torch's CPU kernels).
    """
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("scaled_dot_product_attention", scaled_dot_product_attention, query, key, value, attn_mask,
                        dropout_p, is_causal, scale, enable_gqa)
    _check_sdpa_args(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    op = _SDPA
    L, E = query.shape[-2], query.shape[-1]
    S, Ev = key.shape[-2], value.shape[-1]
    nd = max(query.dim(), key.dim(), value.dim(), 3)
    q = query.reshape((1,) * (nd - query.dim()) + tuple(query.shape))
    k = key.reshape((1,) * (nd - key.dim()) + tuple(key.shape))
    v = value.reshape((1,) * (nd - value.dim()) + tuple(value.shape))
    hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
    if enable_gqa and hk != hq:
        if hk != hv:
            raise RuntimeError(f"[{op}] expected key and value of one head count, got shapes {tuple(key.shape)} "
                               f"and {tuple(value.shape)}")
        if hk == 0 or hq % hk != 0:
            raise RuntimeError(f"[{op}] number of heads in key/value ({hk}) must divide number of heads in query "
                               f"({hq})")
        batch = _broadcast_shapes(q.shape[:-3], _broadcast_shapes(k.shape[:-3], v.shape[:-3], op,
                                                                  "key/value batch dims"), op, "batch dims")
        kh = hk
    else:
        bqkv = _broadcast_shapes(q.shape[:-2], _broadcast_shapes(k.shape[:-2], v.shape[:-2], op,
                                                                 "key/value batch dims"), op,
                                 "query/key/value batch dims")
        batch, hq, kh = bqkv[:-1], bqkv[-1], bqkv[-1]
    sc = 1.0 / math.sqrt(E) if scale is None else float(scale)
    q4, k4, v4 = _to_bhle(q, batch, hq), _to_bhle(k, batch, kh), _to_bhle(v, batch, kh)
    m4 = None
    if attn_mask is not None:
        # a float mask that requires grad gets its gradient (dS, summed over broadcast dims)
        m4 = _mask_4d(attn_mask if attn_mask.is_floating_point() else attn_mask.detach(),
                      tuple(batch) + (hq, L, S), op)
    out = _SdpaFunction.apply(q4, k4, v4, m4, bool(is_causal), sc, float(dropout_p))
    full = tuple(batch) + (hq,)
    out_batch = full[len(full) - (max(query.dim(), key.dim(), value.dim()) - 2):]
    return out.reshape(out_batch + (L, Ev))


def attention_weights(query, key, attn_mask=None, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) composed from ember ops (differentiable):
    the weights need_weights=True returns, and the tests' oracle."""
    L, S = query.shape[-2], key.shape[-2]
    sc = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    s = ember.matmul(query * sc, key.transpose(-2, -1))
    if is_causal:
        keep = ember.ones(L, S, dtype=ember.bool, device=query.device).tril()
        s = s.masked_fill(~keep, float("-inf"))
    if attn_mask is not None:
        s = s.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == ember.bool else s + attn_mask
    return ember.nn.functional.softmax(s, -1)


def _composed_sdpa(query, key, value, attn_mask=None, is_causal=False, scale=None):
    return ember.matmul(attention_weights(query, key, attn_mask, is_causal, scale), value)


# ====================================================================== multi-head attention
_MHA = "multi_head_attention_forward"


def _canonical_mask(mask, mask_name, target_type, op=_MHA):
    """bool masks become float masks (-inf where True), float masks stay (torch's rule)."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"[{op}] expected {mask_name} to be a Tensor or None, got {type(mask).__name__}")
    if mask.dtype == ember.bool:
        return ember.zeros(mask.shape, dtype=target_type, device=mask.device).masked_fill(mask, float("-inf"))
    if not mask.is_floating_point():
        raise AssertionError(f"[{op}] only bool and floating types of {mask_name} are supported, got {mask.dtype}")
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    op = _MHA
    _check_qkv(op, query, key, value)
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(f"[{op}] for batched (3-D) query, expected key and value to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(f"[{op}] for batched (3-D) query, expected key_padding_mask to be None or 2-D "
                                 f"but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f"[{op}] for batched (3-D) query, expected attn_mask to be None, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(f"[{op}] for unbatched (2-D) query, expected key and value to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(f"[{op}] for unbatched (2-D) query, expected key_padding_mask to be None or 1-D "
                                 f"but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(f"[{op}] for unbatched (2-D) query, expected attn_mask to be None, 2-D or "
                                     f"3-D but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"[{op}] expected attn_mask shape to be {expected} but got "
                                         f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError(f"[{op}] query should be unbatched 2-D or batched 3-D tensor but received "
                         f"{query.dim()}-D query tensor")


def _in_projection_packed(q, k, v, w, b):
    F = ember.nn.functional
    E = q.shape[-1]
    if k is v:
        if q is k:
            proj = F.linear(q, w, b)
            return proj.chunk(3, -1)
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        q_p = F.linear(q, w_q, b_q)
        k_p, v_p = F.linear(k, w_kv, b_kv).chunk(2, -1)
        return q_p, k_p, v_p
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return F.linear(q, w_q, b_q), F.linear(k, w_k, b_k), F.linear(v, w_v, b_v)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """torch.nn.functional.multi_head_attention_forward: (L, N, E) inputs (or unbatched
    (L, E)); the attention runs on the fused kernel unless need_weights, where the
    weights are computed by the composed path (as torch's math path)."""
    F = ember.nn.functional
    op = _MHA
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"[{op}] was expecting embedding dimension of {embed_dim_to_check}, but got "
                             f"{embed_dim}")
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(f"[{op}] need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"[{op}] embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"[{op}] key's sequence and batch dims {tuple(key.shape[:2])} do not match "
                                 f"value's {tuple(value.shape[:2])}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"[{op}] key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError(f"[{op}] use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError(f"[{op}] use_separate_proj_weight is True but q/k/v_proj_weight is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = F.linear(query, q_proj_weight, b_q), F.linear(key, k_proj_weight, b_k), \
            F.linear(value, v_proj_weight, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"[{op}] the shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should "
                                   f"be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"[{op}] the shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should "
                                   f"be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"[{op}] attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError(f"[{op}] bias cannot be added to static key/value.")
        k = ember.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ember.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError(f"[{op}] bias_k and bias_v must both be given or both be None")

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if tuple(static_k.shape[:1]) != (bsz * num_heads,) or static_k.shape[2] != head_dim:
            raise AssertionError(f"[{op}] expected static_k of shape ({bsz * num_heads}, S, {head_dim}), got "
                                 f"{tuple(static_k.shape)}")
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if tuple(static_v.shape[:1]) != (bsz * num_heads,) or static_v.shape[2] != head_dim:
            raise AssertionError(f"[{op}] expected static_v of shape ({bsz * num_heads}, S, {head_dim}), got "
                                 f"{tuple(static_v.shape)}")
        v = static_v

    if add_zero_attn:
        zeros = ember.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k = ember.cat([k, zeros], 1)
        v = ember.cat([v, zeros], 1)
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"[{op}] expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm

    if not training:
        dropout_p = 0.0

    if need_weights:
        w = attention_weights(q, k, attn_mask)
        if dropout_p > 0.0:
            w = F.dropout(w, p=dropout_p)
        out = ember.bmm(w, v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = F.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        w = w.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            w = w.mean(1)
        if not is_batched:
            out, w = out.squeeze(1), w.squeeze(0)
        return out, w

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = F.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, out.shape[1])
    if not is_batched:
        out = out.squeeze(1)
    return out, None
