"""Conv1D / Conv2D on channels-last input, wrapping ember.nn.Conv1d/Conv2d.

The input (N, [H,] W, C) is permuted to channels-first for ember's kernels and back.
padding='same' pads like Keras/TensorFlow: total = max((ceil(n/s)-1)*s + d*(k-1)+1 - n, 0),
the extra pixel on the right/bottom; symmetric pads go to the conv, asymmetric ones
through ember.nn.functional.pad first.
"""
from ... import nn
from ...nn import functional as F
from .. import activations
from .base import Layer
from .core import _WeightsMixin

__all__ = ["Conv1D", "Conv2D", "same_padding", "normalize_tuple"]


def normalize_tuple(v, n, what, layer):
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v,) * n
    if not isinstance(v, (tuple, list)) or len(v) != n or not all(
            isinstance(e, int) and not isinstance(e, bool) and e > 0 for e in v):
        raise ValueError(f"[{layer}] expected {what} as a positive int or a tuple of {n} positive ints, got {v!r}")
    return tuple(v)


def same_padding(size, k, s, d=1):
    eff = d * (k - 1) + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


class _Conv(_WeightsMixin, Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"[{name}] expected a positive int filters, got {filters!r}")
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", name)
        self.strides = normalize_tuple(strides, self.rank, "strides", name)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", name)
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"[{name}] expected padding 'valid' or 'same', got {padding!r}")
        self.padding = padding.lower()
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"[{name}] expected data_format 'channels_last' or 'channels_first', "
                             f"got {data_format!r}")
        self.data_format = data_format or "channels_last"
        self.groups = groups
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._init_wb(kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer)
        self.conv = None

    def build(self, input_shape):
        name = type(self).__name__
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"[{name}] expected input of {self.rank + 2} dims (N, {'H, W, ' if self.rank == 2 else 'W, '}"
                             f"C), got shape {tuple(input_shape)}")
        c = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        cls = nn.Conv2d if self.rank == 2 else nn.Conv1d
        self.conv = cls(c, self.filters, self.kernel_size, stride=self.strides, padding=0,
                        dilation=self.dilation_rate, groups=self.groups, bias=self.use_bias)
        self._apply_init(self.conv)

    def call(self, inputs):
        name = type(self).__name__
        if inputs.dim() != self.rank + 2:
            raise ValueError(f"[{name}] expected input of {self.rank + 2} dims, got shape {tuple(inputs.shape)}")
        last = self.data_format == "channels_last"
        x = inputs.permute(0, self.rank + 1, *range(1, self.rank + 1)) if last else inputs
        if x.shape[1] != self.conv.in_channels:
            raise ValueError(f"[{name}] expected {self.conv.in_channels} input channels, got shape "
                             f"{tuple(inputs.shape)}")
        pad = 0
        if self.padding == "same":
            per_dim = [same_padding(x.shape[2 + i], self.kernel_size[i], self.strides[i], self.dilation_rate[i])
                       for i in range(self.rank)]
            if all(lo == hi for lo, hi in per_dim):
                pad = tuple(lo for lo, _ in per_dim)  # symmetric: the conv kernel pads
            else:
                x = F.pad(x, [p for lo_hi in reversed(per_dim) for p in lo_hi])
        conv = F.conv2d if self.rank == 2 else F.conv1d
        c = self.conv
        y = self.activation(conv(x, c.weight, c.bias, c.stride, pad, c.dilation, c.groups))
        return y.permute(0, *range(2, self.rank + 2), 1) if last else y

    def _own_losses(self):
        return self._reg_losses(self.conv)


class Conv1D(_Conv):
    rank = 1


class Conv2D(_Conv):
    rank = 2
