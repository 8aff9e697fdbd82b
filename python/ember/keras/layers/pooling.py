"""Pooling on channels-last input with ember's pool kernels.

padding='same' pads like Keras: max pooling pads with -inf; average pooling pads with
zeros and divides by the pooled count of real pixels (average of a ones mask), so
padded pixels never count, as in Keras.
"""
from ... import ones
from ...nn import functional as F
from .base import Layer
from .conv import normalize_tuple, same_padding

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D"]


class _Pool(Layer):
    rank, kind = 2, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", name)
        self.strides = normalize_tuple(strides if strides is not None else self.pool_size, self.rank, "strides", name)
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"[{name}] expected padding 'valid' or 'same', got {padding!r}")
        self.padding = padding.lower()
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        name = type(self).__name__
        if inputs.dim() != self.rank + 2:
            raise ValueError(f"[{name}] expected input of {self.rank + 2} dims, got shape {tuple(inputs.shape)}")
        last = self.data_format == "channels_last"
        x = inputs.permute(0, self.rank + 1, *range(1, self.rank + 1)) if last else inputs
        pads = []
        if self.padding == "same":
            for i in reversed(range(self.rank)):
                pads.extend(same_padding(x.shape[2 + i], self.pool_size[i], self.strides[i]))
        else:
            for i in range(self.rank):
                if x.shape[2 + i] < self.pool_size[i]:
                    raise ValueError(f"[{name}] input spatial size {tuple(x.shape[2:])} is smaller than "
                                     f"pool_size {self.pool_size}")
        pool = {(2, "max"): F.max_pool2d, (1, "max"): F.max_pool1d,
                (2, "avg"): F.avg_pool2d, (1, "avg"): F.avg_pool1d}[(self.rank, self.kind)]
        if any(pads):
            if self.kind == "max":
                y = pool(F.pad(x, pads, value=float("-inf")), self.pool_size, self.strides)
            else:
                mask = ones(1, 1, *x.shape[2:], dtype=x.dtype, device=x.device)
                y = pool(F.pad(x, pads), self.pool_size, self.strides) / \
                    pool(F.pad(mask, pads), self.pool_size, self.strides)
        else:
            y = pool(x, self.pool_size, self.strides)
        return y.permute(0, *range(2, self.rank + 2), 1) if last else y


class MaxPooling2D(_Pool):
    rank, kind = 2, "max"


class MaxPooling1D(_Pool):
    rank, kind = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pool):
    rank, kind = 2, "avg"


class AveragePooling1D(MaxPooling1D):
    rank, kind = 1, "avg"


class _GlobalPool(Layer):
    rank, kind = 2, "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.keepdims = bool(keepdims)

    def call(self, inputs):
        if inputs.dim() != self.rank + 2:
            raise ValueError(f"[{type(self).__name__}] expected input of {self.rank + 2} dims, got shape "
                             f"{tuple(inputs.shape)}")
        dims = tuple(range(1, self.rank + 1)) if self.data_format == "channels_last" else \
            tuple(range(2, self.rank + 2))
        if self.kind == "avg":
            return inputs.mean(dim=dims, keepdim=self.keepdims)
        y = inputs
        for d in reversed(dims):
            y = y.amax(dim=d, keepdim=self.keepdims)
        return y


class GlobalAveragePooling2D(_GlobalPool):
    rank, kind = 2, "avg"


class GlobalAveragePooling1D(_GlobalPool):
    rank, kind = 1, "avg"


class GlobalMaxPooling2D(_GlobalPool):
    rank, kind = 2, "max"


class GlobalMaxPooling1D(_GlobalPool):
    rank, kind = 1, "max"
