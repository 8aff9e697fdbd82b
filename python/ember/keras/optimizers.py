"""Keras optimizers (names and defaults of Keras 3) driving ember.optim underneath.

A keras optimizer is created before the model's weights exist; ``build(params)`` (called
by ``compile``) makes the ember optimizer. ``learning_rate`` reads and writes its
param groups' lr, so callbacks and schedulers see one value. An ember.optim optimizer
may also be passed to compile directly. Note: Keras applies Adam's epsilon to the
bias-corrected denominator in a slightly different place than PyTorch; ember uses
PyTorch's formula (the difference is of the order of epsilon).
"""
from .. import optim
from ..nn.utils import clip_grad_norm_, clip_grad_value_

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Nadam", "get"]


class Optimizer:
    _ember_cls = None

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        name_ = type(self).__name__
        if not isinstance(learning_rate, (int, float)) or isinstance(learning_rate, bool) or not learning_rate >= 0:
            raise ValueError(f"[{name_}] expected a non-negative learning_rate, got {learning_rate!r}")
        for n, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm)):
            if v is not None and (not isinstance(v, (int, float)) or v <= 0):
                raise ValueError(f"[{name_}] expected a positive {n}, got {v!r}")
        self._lr = float(learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or name_.lower()
        self._extra = kwargs
        self.optimizer = None
        self.iterations = 0

    def _ember_kwargs(self):
        return {}

    def build(self, params):
        params = [p for p in params if p.requires_grad]
        kw = self._ember_kwargs()
        if self.weight_decay is not None:
            kw["weight_decay"] = float(self.weight_decay)
        self.optimizer = self._ember_cls(params, lr=self._lr, **kw)
        self._params = params

    @property
    def learning_rate(self):
        if self.optimizer is not None:
            return self.optimizer.param_groups[0]["lr"]
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = float(value)
        if self.optimizer is not None:
            for g in self.optimizer.param_groups:
                g["lr"] = float(value)

    lr = learning_rate

    def zero_grad(self):
        self.optimizer.zero_grad(set_to_none=True)

    def step(self):
        if self.clipvalue is not None:
            clip_grad_value_(self._params, self.clipvalue)
        if self.global_clipnorm is not None:
            clip_grad_norm_(self._params, self.global_clipnorm)
        if self.clipnorm is not None:
            for p in self._params:
                if p.grad is not None:
                    clip_grad_norm_([p], self.clipnorm)
        self.optimizer.step()
        self.iterations += 1

    def state_dict(self):
        return self.optimizer.state_dict()

    def load_state_dict(self, sd):
        self.optimizer.load_state_dict(sd)

    def get_config(self):
        return {"learning_rate": self._lr, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm, **self._cfg()}

    def _cfg(self):
        return {}


class SGD(Optimizer):
    _ember_cls = optim.SGD

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"[SGD] expected momentum in [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _ember_kwargs(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def _cfg(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    _ember_cls = optim.Adam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), amsgrad

    def _ember_kwargs(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, "amsgrad": bool(self.amsgrad)}

    def _cfg(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    _ember_cls = optim.AdamW

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)


class Adamax(Adam):
    _ember_cls = optim.Adamax

    def _ember_kwargs(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}


class Nadam(Adamax):
    _ember_cls = optim.NAdam


class RMSprop(Optimizer):
    _ember_cls = optim.RMSprop

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), centered

    def _ember_kwargs(self):
        return {"alpha": self.rho, "momentum": self.momentum, "eps": self.epsilon, "centered": bool(self.centered)}

    def _cfg(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    _ember_cls = optim.Adagrad

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def _ember_kwargs(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "eps": self.epsilon}


class _Wrapped(Optimizer):
    """An ember.optim optimizer given to compile directly."""

    def __init__(self, opt):
        self.optimizer = opt
        self._params = [p for g in opt.param_groups for p in g["params"]]
        self.clipnorm = self.clipvalue = self.global_clipnorm = None
        self.name = type(opt).__name__.lower()
        self._lr = opt.param_groups[0]["lr"]
        self.iterations = 0
        self.weight_decay = None

    def build(self, params):
        pass


_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad, "adamax": Adamax,
            "nadam": Nadam}


def get(identifier):
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, optim.Optimizer):
        return _Wrapped(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"[compile] unknown optimizer {identifier!r}; expected one of {sorted(_BY_NAME)}, "
                             f"a keras.optimizers.Optimizer or an ember.optim optimizer")
        return cls()
    raise TypeError(f"[compile] expected optimizer as a name, a keras optimizer or an ember.optim optimizer, got "
                    f"{type(identifier).__name__}")
