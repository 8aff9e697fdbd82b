"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, Embedding, Lambda, Identity."""
from ... import nn
from ...nn import functional as F
from .. import activations, initializers, regularizers
from .base import Layer

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "Embedding", "Identity"]


def _pos_int(v, what, layer):
    if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
        raise ValueError(f"[{layer}] expected a positive int {what}, got {v!r}")
    return v


class _WeightsMixin:
    """Kernel/bias initializers and regularizers shared by Dense, Conv and the RNNs."""

    def _init_wb(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 activity_regularizer=None):
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _apply_init(self, module):
        self.kernel_initializer(module.weight)
        if getattr(module, "bias", None) is not None:
            self.bias_initializer(module.bias)

    def _reg_losses(self, module):
        out = []
        if module is None:
            return out
        if self.kernel_regularizer is not None:
            out.append(self.kernel_regularizer(module.weight))
        if self.bias_regularizer is not None and getattr(module, "bias", None) is not None:
            out.append(self.bias_regularizer(module.bias))
        return out


class Dense(_WeightsMixin, Layer):
    """``activation(x @ kernel + bias)`` over the last axis (wraps ember.nn.Linear)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _pos_int(units, "units", "Dense")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._init_wb(kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer)
        self.linear = None

    def build(self, input_shape):
        d = input_shape[-1]
        if d is None:
            raise ValueError(f"[Dense] the last dimension of the input must be known, got shape {input_shape}")
        self.linear = nn.Linear(d, self.units, bias=self.use_bias)
        self._apply_init(self.linear)

    def call(self, inputs):
        if inputs.shape[-1] != self.linear.in_features:
            raise ValueError(f"[Dense] expected input with last dimension {self.linear.in_features}, "
                             f"got shape {tuple(inputs.shape)}")
        return self.activation(self.linear(inputs))

    def _own_losses(self):
        return self._reg_losses(self.linear)


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of the inputs in training (scaled by 1/(1-rate))."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
            raise ValueError(f"[Dropout] expected rate in [0, 1), got {rate!r}")
        self.rate = float(rate)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return F.dropout(inputs, self.rate, training=True)


class Flatten(Layer):
    def call(self, inputs):
        return inputs.reshape(inputs.shape[0], -1)


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(target_shape, (tuple, list)) or not all(
                isinstance(s, int) and (s > 0 or s == -1) for s in target_shape):
            raise ValueError(f"[Reshape] expected target_shape as a tuple of positive ints (or one -1), "
                             f"got {target_shape!r}")
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        n = 1
        for s in inputs.shape[1:]:
            n *= s
        m = 1
        for s in self.target_shape:
            m *= s
        if -1 not in self.target_shape and n != m:
            raise ValueError(f"[Reshape] cannot reshape a sample of shape {tuple(inputs.shape[1:])} "
                             f"({n} values) to {self.target_shape}")
        return inputs.reshape((inputs.shape[0],) + self.target_shape)


class Permute(Layer):
    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"[Permute] dims must be a permutation of 1..{len(self.dims)}, got {dims!r}")

    def call(self, inputs):
        return inputs.permute(0, *self.dims)


class Identity(Layer):
    def call(self, inputs):
        return inputs


class Embedding(Layer):
    """Integer indices (N, ...) -> vectors (N, ..., output_dim) (wraps ember.nn.Embedding)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = _pos_int(input_dim, "input_dim", "Embedding")
        self.output_dim = _pos_int(output_dim, "output_dim", "Embedding")
        self.embeddings_initializer = initializers.get(
            "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embedding = None

    def build(self, input_shape):
        self.embedding = nn.Embedding(self.input_dim, self.output_dim)
        self.embeddings_initializer(self.embedding.weight)

    def call(self, inputs):
        if inputs.is_floating_point():
            inputs = inputs.long()
        if inputs.numel() and (int(inputs.min().item()) < 0 or int(inputs.max().item()) >= self.input_dim):
            raise ValueError(f"[Embedding] expected indices in [0, {self.input_dim}), got values in "
                             f"[{int(inputs.min().item())}, {int(inputs.max().item())}]")
        return self.embedding(inputs)

    def _own_losses(self):
        if self.embeddings_regularizer is None or self.embedding is None:
            return []
        return [self.embeddings_regularizer(self.embedding.weight)]
