"""Keras activations by name: each maps to an ember op (the math runs in ember's kernels)."""
from .. import nn as _nn
from ..nn import functional as F

__all__ = ["get", "serialize", "relu", "sigmoid", "tanh", "softmax", "linear", "gelu", "elu", "selu",
           "softplus", "softsign", "swish", "silu", "leaky_relu", "relu6", "log_softmax", "mish",
           "hard_sigmoid", "exponential"]


def relu(x):
    return F.relu(x)


def sigmoid(x):
    return F.sigmoid(x)


def tanh(x):
    return F.tanh(x)


def softmax(x, axis=-1):
    return F.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    return F.log_softmax(x, dim=axis)


def linear(x):
    return x


def gelu(x, approximate=False):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def silu(x):
    return F.silu(x)


swish = silu


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def relu6(x):
    return F.relu6(x)


def mish(x):
    return F.mish(x)


def hard_sigmoid(x):
    return F.hardsigmoid(x)


def exponential(x):
    return x.exp()


_BY_NAME = {f.__name__: f for f in (relu, sigmoid, tanh, softmax, log_softmax, linear, gelu, elu, selu, softplus,
                                     softsign, silu, leaky_relu, relu6, mish, hard_sigmoid, exponential)}
_BY_NAME["swish"] = silu


def get(identifier):
    """None -> linear; a name -> the activation; a callable is returned as is."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"[keras.activations] unknown activation {identifier!r}; expected one of "
                             f"{sorted(_BY_NAME)}")
        return _BY_NAME[identifier]
    if callable(identifier):
        return identifier
    raise TypeError(f"[keras.activations] expected a name or a callable, got {type(identifier).__name__}")


def serialize(fn):
    for k, v in _BY_NAME.items():
        if v is fn:
            return k
    return getattr(fn, "__name__", None)


del _nn
