"""SimpleRNN, LSTM, GRU (batch-major (N, T, F) input) and Bidirectional, on ember.nn.RNN/LSTM/GRU.

Keras's initial weights: kernels glorot_uniform, recurrent kernels orthogonal, biases zero
with the forget gate's bias at 1 (unit_forget_bias). ember keeps PyTorch's two bias
vectors; the forget-gate 1 goes into bias_ih. Keras's GRU default (reset_after=True) is
PyTorch's GRU formula.
"""
from ... import cat, flip
from ... import nn
from ...autograd.grad_mode import no_grad
from .. import activations, initializers, regularizers
from .base import Layer

__all__ = ["SimpleRNN", "LSTM", "GRU", "Bidirectional"]


class _RNN(Layer):
    mode = "RNN_TANH"

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        for k in ("recurrent_activation", "reset_after", "seed", "activity_regularizer", "kernel_constraint",
                  "recurrent_constraint", "bias_constraint"):
            kwargs.pop(k, None)
        super().__init__(**kwargs)
        name = type(self).__name__
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"[{name}] expected a positive int units, got {units!r}")
        self.units = units
        if self.mode.startswith("RNN"):
            if activation not in ("tanh", "relu"):
                raise ValueError(f"[{name}] ember's RNN kernel supports activation 'tanh' or 'relu', got {activation!r}")
            self.mode = "RNN_TANH" if activation == "tanh" else "RNN_RELU"
        elif activation != "tanh":
            raise ValueError(f"[{name}] ember's {name} kernel supports activation 'tanh' only, got {activation!r}")
        if recurrent_dropout:
            raise ValueError(f"[{name}] recurrent_dropout is not supported by ember's fused kernel (got "
                             f"{recurrent_dropout!r}); use dropout")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = float(dropout)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.rnn = None

    def build(self, input_shape):
        name = type(self).__name__
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"[{name}] expected input of 3 dims (N, T, F), got shape {tuple(input_shape)}")
        cls = {"LSTM": nn.LSTM, "GRU": nn.GRU}.get(self.mode)
        if cls is None:
            self.rnn = nn.RNN(input_shape[-1], self.units, nonlinearity="tanh" if self.mode == "RNN_TANH" else "relu",
                              bias=self.use_bias, batch_first=True)
        else:
            self.rnn = cls(input_shape[-1], self.units, bias=self.use_bias, batch_first=True)
        g = self.units
        k = self.rnn.weight_ih_l0.shape[0] // g
        with no_grad():
            for i in range(k):  # Keras initialises each gate's block separately
                self.kernel_initializer(self.rnn.weight_ih_l0[i * g:(i + 1) * g])
            # orthogonal over the whole (units, k*units) recurrent kernel, as Keras
            w = self.rnn.weight_hh_l0
            tmp = w.detach().new_zeros((g, k * g))
            self.recurrent_initializer(tmp)
            w.copy_(tmp.transpose(0, 1).contiguous())
            if self.use_bias:
                self.bias_initializer(self.rnn.bias_ih_l0)
                self.rnn.bias_hh_l0.zero_()
                if self.mode == "LSTM" and self.unit_forget_bias:
                    self.rnn.bias_ih_l0[g:2 * g].fill_(1.0)

    def call(self, inputs, training=False, initial_state=None):
        name = type(self).__name__
        if inputs.dim() != 3:
            raise ValueError(f"[{name}] expected input of 3 dims (N, T, F), got shape {tuple(inputs.shape)}")
        if inputs.shape[-1] != self.rnn.input_size:
            raise ValueError(f"[{name}] expected {self.rnn.input_size} features, got shape {tuple(inputs.shape)}")
        x = inputs
        if self.dropout and training:
            from ...nn import functional as F
            x = F.dropout(x, self.dropout, training=True)
        if self.go_backwards:
            x = flip(x, [1])
        hx = None
        if initial_state is not None:
            st = [s.unsqueeze(0) for s in initial_state] if isinstance(initial_state, (list, tuple)) else \
                [initial_state.unsqueeze(0)]
            hx = tuple(st) if self.mode == "LSTM" else st[0]
        out, state = self.rnn(x, hx)
        y = out if self.return_sequences else out[:, -1]
        if not self.return_state:
            return y
        if self.mode == "LSTM":
            return [y, state[0][0], state[1][0]]
        return [y, state[0]]

    def _own_losses(self):
        out = []
        if self.rnn is None:
            return out
        if self.kernel_regularizer is not None:
            out.append(self.kernel_regularizer(self.rnn.weight_ih_l0))
        if self.recurrent_regularizer is not None:
            out.append(self.recurrent_regularizer(self.rnn.weight_hh_l0))
        if self.bias_regularizer is not None and self.use_bias:
            out.append(self.bias_regularizer(self.rnn.bias_ih_l0))
        return out


class SimpleRNN(_RNN):
    mode = "RNN_TANH"


class LSTM(_RNN):
    mode = "LSTM"


class GRU(_RNN):
    mode = "GRU"


class Bidirectional(Layer):
    """Runs ``layer`` forwards and a copy backwards in time; merge_mode concat/sum/mul/ave/None."""

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, _RNN):
            raise TypeError(f"[Bidirectional] expected a SimpleRNN/LSTM/GRU layer, got {type(layer).__name__}")
        if merge_mode not in ("concat", "sum", "mul", "ave", None):
            raise ValueError(f"[Bidirectional] expected merge_mode in concat/sum/mul/ave/None, got {merge_mode!r}")
        self.merge_mode = merge_mode
        self.forward_layer = layer
        if backward_layer is None:
            cfg = layer.get_config()
            cfg["name"] = "backward_" + layer.name
            cfg["go_backwards"] = not layer.go_backwards
            backward_layer = type(layer).from_config(cfg)
        self.backward_layer = backward_layer

    def call(self, inputs, training=False):
        f = self.forward_layer(inputs, training=training)
        b = self.backward_layer(inputs, training=training)
        fs, bs = (f[1:], b[1:]) if self.forward_layer.return_state else ([], [])
        if self.forward_layer.return_state:
            f, b = f[0], b[0]
        if self.forward_layer.return_sequences:
            b = flip(b, [1])
        if self.merge_mode == "concat":
            y = cat([f, b], -1)
        elif self.merge_mode == "sum":
            y = f + b
        elif self.merge_mode == "mul":
            y = f * b
        elif self.merge_mode == "ave":
            y = (f + b) * 0.5
        else:
            y = [f, b]
        if fs:
            return ([y] if not isinstance(y, list) else y) + list(fs) + list(bs)
        return y

    def get_config(self):
        from .base import serialize_value
        return {"layer": serialize_value(self.forward_layer), "merge_mode": self.merge_mode, "name": self.name}


del activations
