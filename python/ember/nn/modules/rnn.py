"""Recurrent layers with PyTorch's API, parameters and initialisation: RNN (tanh/relu),
LSTM (with proj_size), GRU and the single-step RNNCell, LSTMCell, GRUCell.

Every layer runs on the fused C++ kernels through ``ember.nn._functional.rnn``: one
native call per layer and direction for the whole sequence (forward and backward);
a cell is one native call. Padded input and ``PackedSequence`` input share one path
(rows plus per-step batch sizes), so packed variable-length batches compute no padding.
"""
import math
import numbers
import warnings

import ember

from ..._ops.creation import empty
from ...amp import autocast_mode as _am
from ...tensor import Tensor
from .. import init
from .._functional.rnn import rnn_layer, rnn_stack
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_OPS = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn", "RNN_RELU": "rnn"}


def _pos_int(v, op, what, allow_zero=False):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"[{op}] {what} should be of type int, got: {type(v).__name__}")
    if v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"[{op}] {what} must be greater than zero, got {v}")
    return int(v)


def _check_device(t, op, what, device):
    """t (when a Tensor) must be on the weights' device."""
    if isinstance(t, Tensor) and t.device != device:
        raise RuntimeError(f"[{op}] expected all tensors on the same device, got {device} and {t.device} ({what})")


class RNNBase(Module):
    """Base of RNN, LSTM and GRU: parameters ``weight_ih_l{k}{_reverse}``,
    ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and ``weight_hr_l{k}`` for
    an LSTM with ``proj_size > 0``), each initialised uniform(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"[rnn] Unrecognized RNN mode: {mode}")
        op = _OPS[mode]
        self.mode = mode
        self.input_size = _pos_int(input_size, op, "input_size", allow_zero=True)
        self.hidden_size = _pos_int(hidden_size, op, "hidden_size")
        self.num_layers = _pos_int(num_layers, op, "num_layers")
        self.bias = bias
        self.batch_first = batch_first
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError(f"[{op}] dropout should be a number in range [0, 1] representing the probability of an "
                             f"element being zeroed, got {dropout!r}")
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        if isinstance(proj_size, bool) or not isinstance(proj_size, numbers.Integral) or proj_size < 0:
            raise ValueError(f"[{op}] proj_size should be a positive integer or zero to disable projections, got "
                             f"{proj_size!r}")
        if proj_size >= hidden_size:
            raise ValueError(f"[{op}] proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
                             f"hidden_size={hidden_size}")
        self.proj_size = int(proj_size)
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                          f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        gate_size = _GATES[mode] * hidden_size
        D = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(D):
                layer_in = input_size if layer == 0 else real_hidden * D
                suffix = "_reverse" if direction == 1 else ""
                params = [(f"weight_ih_l{layer}{suffix}", (gate_size, layer_in)),
                          (f"weight_hh_l{layer}{suffix}", (gate_size, real_hidden))]
                if bias:
                    params += [(f"bias_ih_l{layer}{suffix}", (gate_size,)), (f"bias_hh_l{layer}{suffix}", (gate_size,))]
                if proj_size > 0:
                    params.append((f"weight_hr_l{layer}{suffix}", (proj_size, hidden_size)))
                for name, shape in params:
                    setattr(self, name, Parameter(empty(shape, **kw)))
                names = [n for n, _ in params]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """No-op (the fused kernels read the parameters where they are)."""

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- forward
    def _layer_weights(self):
        out = []
        for names in self._all_weights:
            p = {n.split("_l")[0]: getattr(self, n) for n in names}
            out.append((p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh"), p.get("weight_hr")))
        return out

    def _check_hidden(self, h, expected, what, op, amp=None):
        if not isinstance(h, Tensor):
            raise TypeError(f"[{op}] expected {what} to be a Tensor, got {type(h).__name__}")
        _check_device(h, op, what, getattr(self, self._flat_weights_names[0]).device)
        if tuple(h.shape) != tuple(expected):
            label = "hidden" if what == "hx" else what
            raise RuntimeError(f"[{op}] Expected {label} size {tuple(expected)}, got {list(h.shape)}")
        if h.dtype != self._dtype() and amp is None:  # autocast casts every input to its dtype
            raise ValueError(f"[{op}] expected {what} of dtype {self._dtype()} like the weights, got {h.dtype}")

    def _dtype(self):
        return getattr(self, self._flat_weights_names[0]).dtype

    def forward(self, input, hx=None):
        mode, op = self.mode, _OPS[self.mode]
        name = type(self).__name__
        lstm = mode == "LSTM"
        D = 2 if self.bidirectional else 1
        Hout = self.proj_size if self.proj_size > 0 else self.hidden_size
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            bs = [int(b) for b in batch_sizes.tolist()]
            x = data
            is_batched = True
            expect_dim = 2
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"[{op}] expected input to be a Tensor or PackedSequence, got {type(input).__name__}")
            if input.dim() not in (2, 3):
                raise ValueError(f"[{op}] {name}: Expected input to be 2D or 3D, got {input.dim()}D instead "
                                 f"(shape {tuple(input.shape)})")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            x = input if is_batched else input.unsqueeze(batch_dim)
            sorted_indices = unsorted_indices = None
            expect_dim = 3
        _check_device(x, op, "input", getattr(self, self._flat_weights_names[0]).device)
        wdt = self._dtype()
        amp = _am._rnn_autocast_dtype(x)  # CPU autocast: torch's output dtypes (amp/autocast_mode.py)
        if x.dtype != wdt and amp is None:
            raise ValueError(f"[{op}] RNN input dtype ({x.dtype}) does not match weight dtype ({wdt}). Convert input: "
                             f"input.to({wdt}), or convert model: model.to({x.dtype})")
        if x.dim() != expect_dim:
            raise RuntimeError(f"[{op}] input must have {expect_dim} dimensions, got {x.dim()}")
        if int(x.shape[-1]) != self.input_size:
            raise RuntimeError(f"[{op}] input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{int(x.shape[-1])} (input shape {tuple(x.shape)})")
        if not packed:
            if self.batch_first:
                x = x.transpose(0, 1)
            T, B = int(x.shape[0]), int(x.shape[1])
            if T == 0 or B == 0:
                raise RuntimeError(f"[{op}] expected a non-empty sequence and batch, got input shape "
                                   f"{tuple(input.shape)}")
            x = x.reshape(T * B, self.input_size)
            bs = [B] * T
        else:
            B = bs[0] if bs else 0
        h_shape = (self.num_layers * D, B, Hout)
        c_shape = (self.num_layers * D, B, self.hidden_size)
        if hx is None:
            sdt = wdt if amp is None else x.dtype  # torch's zeros of the input's dtype
            h0 = ember.zeros(h_shape, dtype=sdt, device=x.device)
            c0 = ember.zeros(c_shape, dtype=sdt, device=x.device) if lstm else None
        else:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"[{op}] expected hx to be a tuple (h_0, c_0), got {type(hx).__name__}")
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            for t, w in ((h0, "h_0"), (c0, "c_0")):
                if t is not None and not isinstance(t, Tensor):
                    raise TypeError(f"[{op}] expected {w} to be a Tensor, got {type(t).__name__}")
            want = 3 if is_batched else 2
            hs = [h0] + ([c0] if lstm else [])
            if any(t.dim() != want for t in hs):
                dims = ", ".join(f"{t.dim()}-D" for t in hs)
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                what = "hx and cx" if lstm else "hx"
                raise RuntimeError(f"[{op}] For {kind} input, {what} should also be {want}-D but got ({dims}) "
                                   f"tensor(s)")
            if not is_batched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if lstm else None
            if lstm:
                self._check_hidden(h0, h_shape, "hidden[0]", op, amp)
                self._check_hidden(c0, c_shape, "hidden[1]", op, amp)
            else:
                self._check_hidden(h0, h_shape, "hx", op, amp)
            if sorted_indices is not None:
                h0 = h0.index_select(1, sorted_indices)
                c0 = c0.index_select(1, sorted_indices) if lstm else None
        def stack(x, h0, c0, weights):
            return rnn_stack(mode, x, bs, h0, c0, weights, self.num_layers, self.bidirectional, self.dropout,
                             self.training)

        if amp is None:
            y, hn, cn = stack(x, h0, c0, self._layer_weights())
        else:
            dts = _am._rnn_out_dtypes(mode, amp, x.dtype, h0.dtype, None if c0 is None else c0.dtype,
                                      self.proj_size > 0, packed)
            y, hn, cn = _am._rnn_run(amp, stack, x, h0, c0, self._layer_weights(), dts)
        if unsorted_indices is not None:
            hn = hn.index_select(1, unsorted_indices)
            cn = cn.index_select(1, unsorted_indices) if lstm else None
        hidden = (hn, cn) if lstm else hn
        if packed:
            return PackedSequence(y, batch_sizes, sorted_indices, unsorted_indices), hidden
        out = y.reshape(len(bs), B, D * Hout)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out = out.squeeze(0 if self.batch_first else 1)
            hidden = (hn.squeeze(1), cn.squeeze(1)) if lstm else hn.squeeze(1)
        return out, hidden


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("[rnn] proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"[rnn] Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """LSTM with gates (i, f, g, o); with proj_size > 0, h_t = W_hr (o * tanh(c_t))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """GRU with gates (r, z, n), n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("[gru] proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ====================================================================== cells
class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        op = type(self).__name__
        self.input_size = _pos_int(input_size, op, "input_size", allow_zero=True)
        self.hidden_size = _pos_int(hidden_size, op, "hidden_size")
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _run(self, mode, input, hx, n_states):
        name = type(self).__name__
        op = name.lower()
        if not isinstance(input, Tensor):
            raise TypeError(f"[{op}] expected input to be a Tensor, got {type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(f"[{op}] {name}: Expected input to be 1D or 2D, got {input.dim()}D instead "
                             f"(shape {tuple(input.shape)})")
        _check_device(input, op, "input", self.weight_ih.device)
        states = [] if hx is None else (list(hx) if n_states == 2 else [hx])
        for s in states:
            if not isinstance(s, Tensor):
                raise TypeError(f"[{op}] expected the hidden state to be a Tensor, got {type(s).__name__}")
            _check_device(s, op, "hidden state", self.weight_ih.device)
            if s.dim() not in (1, 2):
                raise ValueError(f"[{op}] {name}: Expected hidden to be 1D or 2D, got {s.dim()}D instead")
        if len(states) not in (0, n_states):
            raise TypeError(f"[{op}] expected hx to be a tuple (h_0, c_0), got {len(states)} tensors")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        wdt = self.weight_ih.dtype
        amp = _am._rnn_autocast_dtype(x)  # CPU autocast: torch's output dtypes (amp/autocast_mode.py)
        if x.dtype != wdt and amp is None:
            raise RuntimeError(f"[{op}] expected input of dtype {wdt} like the weights, got {x.dtype}")
        if int(x.shape[1]) != self.input_size:
            raise RuntimeError(f"[{op}] input has inconsistent input_size: got {int(x.shape[1])} expected "
                               f"{self.input_size} (input shape {tuple(input.shape)})")
        B = int(x.shape[0])
        if B == 0:
            raise RuntimeError(f"[{op}] expected a non-empty batch, got input shape {tuple(input.shape)}")
        if not states:
            sdt = wdt if amp is None else x.dtype  # torch's zeros of the input's dtype
            states = [ember.zeros((B, self.hidden_size), dtype=sdt, device=x.device) for _ in range(n_states)]
        else:
            states = [s if batched else s.unsqueeze(0) for s in states]
            for i, s in enumerate(states):
                if s.dim() != 2 or int(s.shape[0]) != B:
                    raise RuntimeError(f"[{op}] Input batch size {B} doesn't match hidden{i} batch size "
                                       f"{int(s.shape[0])} (hidden shape {tuple(s.shape)})")
                if int(s.shape[1]) != self.hidden_size:
                    raise RuntimeError(f"[{op}] hidden{i} has inconsistent hidden_size: got {int(s.shape[1])}, "
                                       f"expected {self.hidden_size}")
                if s.dtype != wdt and amp is None:
                    raise RuntimeError(f"[{op}] expected hidden{i} of dtype {wdt} like the weights, got {s.dtype}")
        h0, c0 = states[0], states[1] if n_states == 2 else None

        def step(x, h0, c0, weights):  # -> (None, h_1, c_1 or None): no separate output
            w_ih, w_hh, b_ih, b_hh = weights[0]
            res = rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, None, [B])
            return None, res[1], res[2] if n_states == 2 else None

        weights = [(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)]
        if amp is None:
            res = step(x, h0, c0, weights)
        else:
            kind = "LSTMCell" if n_states == 2 else "GRUCell" if mode == "GRU" else "RNNCell"
            dts = _am._rnn_out_dtypes(kind, amp, x.dtype, h0.dtype, None if c0 is None else c0.dtype)
            res = _am._rnn_run(amp, step, x, h0, c0, weights, dts)
        outs = list(res[1:n_states + 1])
        if not batched:
            outs = [o.squeeze(0) for o in outs]
        return outs


class RNNCell(RNNCellBase):
    """One step of an Elman RNN (tanh or relu)."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[rnncell] Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._run(mode, input, hx, 1)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h_1, c_1)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        h, c = self._run("LSTM", input, hx, 2)
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._run("GRU", input, hx, 1)[0]
