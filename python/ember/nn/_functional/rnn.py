"""Recurrent layers on the fused C++ kernels (csrc/ops/rnn): the autograd Function of
one layer in one direction over a whole (packed) sequence, and the multi-layer,
bidirectional driver the modules in ``ember.nn.modules.rnn`` call.

Each ``_RnnLayer`` call is one native forward (input projection GEMM, then the time
loop with one recurrent GEMM and one fused pointwise pass per step) and its backward
one native backward (reverse time loop, then one GEMM per weight gradient). Layers,
directions and inter-layer dropout are glue composed here from ember ops.

Sequences are passed as (N, I) rows plus ``batch_sizes`` (see csrc/ops/rnn/rnn.h):
a padded (T, B, I) input is the special case batch_sizes = [B] * T.
"""
from ... import _C
from ...autograd.function import Function
from ...tensor import _wrap
from .. import functional as _F

__all__ = []

MODES = {"RNN_TANH": 0, "RNN_RELU": 1, "LSTM": 2, "GRU": 3}
_LSTM = 2


def _opt(t):
    return None if t is None else t._a


class _RnnLayer(Function):
    """(x (N, I), h0 (B, Hout), c0 (B, H) | None, w_ih, w_hh, b_ih, b_hh, w_hr) ->
    (y (N, Hout), h_n (B, Hout)[, c_n (B, H) for LSTM])."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, batch_sizes, reverse):
        y, hn, cn, saved = _C.rnn_layer_forward(mode, x._a, h0._a, _opt(c0), w_ih._a, w_hh._a, _opt(b_ih),
                                                _opt(b_hh), _opt(w_hr), batch_sizes, reverse)
        ctx.save_for_backward(x, w_ih, w_hh, w_hr)
        ctx.ws = saved
        ctx.mode, ctx.batch_sizes, ctx.reverse, ctx.has_bias = mode, batch_sizes, reverse, b_ih is not None
        if mode == _LSTM:
            return _wrap(y), _wrap(hn), _wrap(cn)
        return _wrap(y), _wrap(hn)

    @staticmethod
    def backward(ctx, gy, ghn, gcn=None):
        x, w_ih, w_hh, w_hr = ctx.saved_tensors
        need_dx = bool(ctx.needs_input_grad[0]) if ctx.needs_input_grad else True
        res = _C.rnn_layer_backward(ctx.mode, gy._a, ghn._a, _opt(gcn), x._a, w_ih._a, w_hh._a, ctx.has_bias,
                                    _opt(w_hr), ctx.batch_sizes, ctx.reverse, ctx.ws, need_dx)
        dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr = (None if a is None else _wrap(a) for a in res)
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr, None, None, None


def rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse=False):
    """One layer, one direction (see _RnnLayer); ``mode`` a name of MODES."""
    return _RnnLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, MODES[mode], list(batch_sizes), bool(reverse))


def rnn_stack(mode, x, batch_sizes, hx, cx, weights, num_layers, bidirectional, dropout, training):
    """Runs ``num_layers`` layers (two directions each when bidirectional) over the
    sequence rows x (N, I). ``weights[l * D + d]`` is (w_ih, w_hh, b_ih, b_hh, w_hr);
    hx (L*D, B, Hout), cx (L*D, B, H) for LSTM. Returns y (N, D*Hout), h_n, c_n."""
    import ember

    D = 2 if bidirectional else 1
    bs = [int(b) for b in batch_sizes]
    layer_in = x
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            res = rnn_layer(mode, layer_in, hx[k], None if cx is None else cx[k], w_ih, w_hh, b_ih, b_hh, w_hr, bs,
                            reverse=d == 1)
            outs.append(res[0])
            hs.append(res[1])
            if cx is not None:
                cs.append(res[2])
        layer_in = outs[0] if D == 1 else ember.cat(outs, 1)
        if dropout > 0 and training and layer < num_layers - 1:
            layer_in = _F.dropout(layer_in, dropout, True)
    hn = ember.stack(hs, 0)
    cn = ember.stack(cs, 0) if cx is not None else None
    return layer_in, hn, cn
