"""Keras initializers (by name or instance), applied in place with ember.nn.init.

The fan computations of Keras (kernel (in, out) / conv (kh, kw, cin, cout)) equal
PyTorch's on the transposed layouts ember's modules store, so xavier/kaiming give
Keras's limits.
"""
import math

from ..autograd.grad_mode import no_grad
from ..nn import init as _init

__all__ = ["Initializer", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
           "LecunUniform", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "Orthogonal", "get", "serialize"]


def _fans(t):
    if t.dim() < 2:
        return t.shape[0], t.shape[0]
    receptive = 1
    for s in t.shape[2:]:
        receptive *= s
    return t.shape[1] * receptive, t.shape[0] * receptive


class Initializer:
    def __call__(self, tensor):
        with no_grad():
            self._fill(tensor)
        return tensor

    def get_config(self):
        return {}


class Zeros(Initializer):
    def _fill(self, t):
        _init.zeros_(t)


class Ones(Initializer):
    def _fill(self, t):
        _init.ones_(t)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = float(value)

    def _fill(self, t):
        _init.constant_(t, self.value)

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = float(minval), float(maxval)

    def _fill(self, t):
        _init.uniform_(t, self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = float(mean), float(stddev)

    def _fill(self, t):
        _init.normal_(t, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = float(mean), float(stddev)

    def _fill(self, t):
        _init.trunc_normal_(t, self.mean, self.stddev, self.mean - 2 * self.stddev, self.mean + 2 * self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev}


class _VarianceScaling(Initializer):
    # Keras's VarianceScaling: scale / fan; truncated normal's std is divided by .87962566
    # (the std of a unit normal truncated at +-2), as Keras does.
    scale, mode, distribution = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None):
        pass

    def _fill(self, t):
        fan_in, fan_out = _fans(t)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            lim = math.sqrt(3.0 * var)
            _init.uniform_(t, -lim, lim)
        else:
            std = math.sqrt(var) / 0.87962566103423978
            _init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std)


class GlorotUniform(_VarianceScaling):
    mode, distribution = "fan_avg", "uniform"


class GlorotNormal(_VarianceScaling):
    mode = "fan_avg"


class HeNormal(_VarianceScaling):
    scale = 2.0


class HeUniform(_VarianceScaling):
    scale, distribution = 2.0, "uniform"


class LecunNormal(_VarianceScaling):
    pass


class LecunUniform(_VarianceScaling):
    distribution = "uniform"


class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain = float(gain)

    def _fill(self, t):
        _init.orthogonal_(t, self.gain)

    def get_config(self):
        return {"gain": self.gain}


_ALIASES = {
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
    "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "zeros": Zeros,
    "ones": Ones, "constant": Constant, "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "orthogonal": Orthogonal,
}
_CLASSES = {c.__name__: c for c in set(_ALIASES.values())}


def get(identifier):
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"[keras.initializers] unknown initializer {identifier!r}; expected one of "
                             f"{sorted(_ALIASES)}")
        return cls()
    if isinstance(identifier, dict):
        return _CLASSES[identifier["class_name"]](**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"[keras.initializers] expected a name or an Initializer, got {type(identifier).__name__}")


def serialize(init):
    if isinstance(init, Initializer):
        return {"class_name": type(init).__name__, "config": init.get_config()}
    return init
