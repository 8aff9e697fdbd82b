"""Keras's Layer on top of ember.nn.Module, and the symbolic KerasTensor of the functional API.

A Layer is built on its first call from the input's shape (``build(input_shape)``
creates the wrapped ember modules), then ``call(inputs, training=...)`` runs them.
Called on a KerasTensor, a layer builds itself, infers the output shape by running
once on a zero batch of 2 in inference mode, and records a Node (layer, inputs,
outputs) so keras.Model can replay the graph.
Constructor arguments are captured in ``__new__`` so ``get_config`` needs no per-layer code.
"""
import inspect
import itertools
import re
import threading
from collections import defaultdict

import numpy as np

from ... import _ops
from ...autograd.grad_mode import no_grad
from ...nn.modules.module import Module
from ...tensor import Tensor

__all__ = ["Layer", "KerasTensor", "Input", "InputLayer", "Node", "to_tensor", "serialize_value"]

_name_counters = defaultdict(itertools.count)
_CTX = threading.local()


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(prefix):
    n = next(_name_counters[prefix])
    return prefix if n == 0 else f"{prefix}_{n}"


_DTYPES = {"float32": "float32", "float64": "float64", "int32": "int64", "int64": "int64", "bool": "bool"}


def to_tensor(x, dtype=None):
    """NumPy / lists / scalars -> ember tensor (float arrays become float32, ints int64)."""
    from ... import from_numpy
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype == np.float64 or a.dtype == np.float16:
        a = a.astype(np.float32)
    elif a.dtype.kind in "iu":
        a = a.astype(np.int64)
    if a.dtype == object:
        raise TypeError(f"[keras] cannot convert an object array of shape {a.shape} to a tensor")
    return from_numpy(np.ascontiguousarray(a))


class Node:
    """One call of a layer in a functional graph."""

    def __init__(self, layer, inputs, outputs, kwargs):
        self.layer, self.inputs, self.outputs, self.kwargs = layer, inputs, outputs, kwargs


class KerasTensor:
    """A symbolic tensor: shape (None for the batch), dtype, and the node that made it."""

    def __init__(self, shape, dtype="float32", node=None, index=0, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def _flatten(x):
    if isinstance(x, (list, tuple)):
        return [y for e in x for y in _flatten(e)]
    return [x]


def _map(fn, x):
    if isinstance(x, (list, tuple)):
        return type(x)(_map(fn, e) for e in x)
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    return fn(x)


def _shape_of(x):
    if isinstance(x, (list, tuple)):
        return [_shape_of(e) for e in x]
    return tuple(x.shape)


def _json_shape(shape):
    if isinstance(shape, list):
        return [_json_shape(s) for s in shape]
    return [None] + list(shape[1:]) if shape else []


def serialize_value(v):
    """Constructor arguments -> JSON (layers and initializers become {class_name, config})."""
    from .. import initializers, regularizers, activations
    if isinstance(v, Layer):
        return {"__layer__": True, "class_name": type(v).__name__, "config": v.get_config()}
    if isinstance(v, initializers.Initializer):
        return {"__initializer__": True, **initializers.serialize(v)}
    if isinstance(v, regularizers.Regularizer):
        return {"__regularizer__": True, **regularizers.serialize(v)}
    if isinstance(v, tuple):
        return {"__tuple__": [serialize_value(e) for e in v]}
    if isinstance(v, list):
        return [serialize_value(e) for e in v]
    if isinstance(v, dict):
        return {k: serialize_value(e) for k, e in v.items()}
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    if callable(v):
        name = activations.serialize(v)
        if name in activations._BY_NAME:
            return name
        raise ValueError(f"[keras.saving] cannot serialize the callable {v!r}; pass activations by name")
    return v


def deserialize_value(v, custom_objects=None):
    from .. import initializers, regularizers
    if isinstance(v, dict):
        if v.get("__layer__"):
            from . import get_layer_class
            return get_layer_class(v["class_name"], custom_objects).from_config(
                deserialize_value(v["config"], custom_objects))
        if v.get("__initializer__"):
            return initializers.get({"class_name": v["class_name"], "config": v["config"]})
        if v.get("__regularizer__"):
            return regularizers.get({"class_name": v["class_name"], "config": v["config"]})
        if "__tuple__" in v:
            return tuple(deserialize_value(e, custom_objects) for e in v["__tuple__"])
        return {k: deserialize_value(e, custom_objects) for k, e in v.items()}
    if isinstance(v, list):
        return [deserialize_value(e, custom_objects) for e in v]
    return v


class Layer(Module):
    """Base of every Keras layer (Keras 3's ``keras.layers.Layer``)."""

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        try:
            bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
            cfg = dict(bound.arguments)
            cfg.pop("self", None)
            for k, p in inspect.signature(cls.__init__).parameters.items():
                if p.kind == p.VAR_KEYWORD and k in cfg:
                    cfg.update(cfg.pop(k))
                elif p.kind == p.VAR_POSITIONAL and k in cfg:
                    cfg.pop(k)
        except TypeError:
            cfg = dict(kwargs)
        object.__setattr__(self, "_init_config", cfg)
        return self

    def __init__(self, *, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None, **kwargs):
        Module.__init__(self)
        if kwargs:
            bad = sorted(kwargs)
            raise TypeError(f"[{type(self).__name__}] unexpected keyword arguments {bad}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"[{type(self).__name__}] name must be a str, got {type(name).__name__}")
        self.name = name or unique_name(_snake(type(self).__name__))
        self._trainable = bool(trainable)
        self.built = False
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if input_shape is not None:
            if not isinstance(input_shape, (tuple, list)) or not all(
                    isinstance(s, int) and s > 0 or s is None for s in input_shape):
                raise ValueError(f"[{type(self).__name__}] input_shape must be a tuple of positive ints, "
                                 f"got {input_shape!r}")
            input_shape = tuple(input_shape)
        self._input_shape_arg = input_shape
        self._nodes = []
        self._call_has_training = "training" in inspect.signature(self.call).parameters
        self.output_shape = None

    # --- Keras API -------------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return None

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def add_weight(self, shape=None, initializer="glorot_uniform", dtype=None, trainable=True, regularizer=None,
                   constraint=None, name=None):
        """Creates a weight (an ember Parameter registered on this layer), as Keras's add_weight."""
        from ... import empty
        from ...nn.parameter import Parameter
        from .. import initializers, regularizers
        shape = () if shape is None else tuple(shape)
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise ValueError(f"[{type(self).__name__}.add_weight] expected a shape of non-negative ints, got {shape!r}")
        if name is None or name in self._parameters or name in self._modules:
            name = f"{name or 'weight'}_{len(self._parameters)}"
        w = Parameter(empty(*shape), requires_grad=bool(trainable))
        initializers.get(initializer)(w)
        self.register_parameter(name, w)
        reg = regularizers.get(regularizer)
        if reg is not None:
            self._weight_regs = getattr(self, "_weight_regs", []) + [(reg, w)]
        return w

    def _own_losses(self):
        return [r(w) for r, w in getattr(self, "_weight_regs", [])]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for p in self.parameters():
            p.requires_grad_(bool(value))

    @property
    def weights(self):
        return list(self.parameters()) + [b for b in self.buffers() if b.is_floating_point()]

    @property
    def trainable_weights(self):
        return [p for p in self.parameters() if p.requires_grad] if self._trainable else []

    @property
    def non_trainable_weights(self):
        ids = {id(p) for p in self.trainable_weights}
        return [w for w in self.weights if id(w) not in ids]

    def get_weights(self):
        return [w.detach().numpy().copy() for w in self.weights]

    def set_weights(self, weights):
        ws = self.weights
        if len(ws) != len(weights):
            raise ValueError(f"[{type(self).__name__}.set_weights] expected {len(ws)} arrays, got {len(weights)}")
        with no_grad():
            for w, v in zip(ws, weights):
                v = np.asarray(v)
                if tuple(v.shape) != tuple(w.shape):
                    raise ValueError(f"[{type(self).__name__}.set_weights] expected shape {tuple(w.shape)}, "
                                     f"got {v.shape}")
                w.copy_(to_tensor(v.astype(np.float32) if v.dtype.kind == "f" else v))

    def count_params(self):
        return sum(p.numel() for p in self.weights)

    @property
    def losses(self):
        out = []
        for m in self.modules():
            if isinstance(m, Layer):
                out.extend(m._own_losses())
        return out

    def get_config(self):
        cfg = {k: serialize_value(v) for k, v in self._init_config.items()}
        cfg["name"] = self.name
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # --- calling ----------------------------------------------------------------------------
    def _maybe_build(self, inputs):
        if not self.built:
            shape = _shape_of(inputs)
            self._build_shape = _json_shape(shape)
            self.build(shape)
            self.built = True
            dev = next((t.device for t in _flatten(inputs) if isinstance(t, Tensor)), None)
            if dev is not None and dev.type != "cpu":
                self.to(dev)  # weights built on the first call follow the input's device
            if not self._trainable:
                for p in self.parameters():
                    p.requires_grad_(False)

    def __call__(self, *args, **kwargs):
        if not args:
            raise TypeError(f"[{type(self).__name__}] expected at least one input")
        inputs = args[0]
        if any(isinstance(t, KerasTensor) for t in _flatten(inputs)):
            return self._symbolic_call(inputs, args[1:], kwargs)
        inputs = _map(lambda t: t if isinstance(t, Tensor) or t is None else to_tensor(t), inputs)
        self._maybe_build(inputs)
        # training=None inherits the enclosing call's flag (fit passes True at the top);
        # a bare call outside fit runs in inference mode, as Keras.
        training = kwargs.pop("training", None)
        outer = getattr(_CTX, "training", None)
        if training is None:
            training = bool(outer)
        if self._call_has_training:
            kwargs["training"] = bool(training)
        _CTX.training = bool(training)
        try:
            out = self.call(inputs, *args[1:], **kwargs)
        finally:
            _CTX.training = outer
        if self.output_shape is None and isinstance(out, Tensor):
            self.output_shape = (None,) + tuple(out.shape[1:])
        return out

    def _symbolic_call(self, inputs, rest, kwargs):
        self._maybe_build(inputs)
        from ... import zeros

        def dummy(kt):
            shape = (2,) + tuple(1 if s is None else s for s in kt.shape[1:])
            return zeros(*shape, dtype=_ops_dtype(kt.dtype))

        concrete = _map(lambda t: dummy(t) if isinstance(t, KerasTensor) else t, inputs)
        rest_c = tuple(_map(lambda t: dummy(t) if isinstance(t, KerasTensor) else t, r) for r in rest)
        kw_c = {k: _map(lambda t: dummy(t) if isinstance(t, KerasTensor) else t, v) for k, v in kwargs.items()}
        if self._call_has_training:
            kw_c["training"] = False
        was = self.training
        self.train(False)
        try:
            with no_grad():
                out = self.call(concrete, *rest_c, **kw_c)
        finally:
            self.train(was)
        node = Node(self, (inputs,) + tuple(rest), None, kwargs)

        def make(i_t):
            i, t = i_t
            dt = "float32" if t.is_floating_point() else "int64"
            return KerasTensor((None,) + tuple(t.shape[1:]), dt, node, i)

        flat = _flatten(out)
        kts = [make((i, t)) for i, t in enumerate(flat)]
        node.outputs = kts
        self._nodes.append(node)
        result = kts[0] if not isinstance(out, (list, tuple)) else type(out)(kts)
        self.output_shape = _shape_of(result) if isinstance(result, KerasTensor) else [k.shape for k in kts]
        return result

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _ops_dtype(name):
    from ... import float32, float64, int64, bool as bool_
    return {"float32": float32, "float64": float64, "int64": int64, "int32": int64, "bool": bool_}[name]


class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if shape is None or not isinstance(shape, (tuple, list)) or not all(
                (isinstance(s, int) and not isinstance(s, bool) and s > 0) or s is None for s in shape):
            raise ValueError(f"[Input] expected shape as a tuple of positive ints (None for any), got {shape!r}")
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(f"[Input] expected dtype in {sorted(_DTYPES)}, got {dtype!r}")
        self.shape = tuple(shape)
        self.dtype_name = _DTYPES.get(dtype or "float32")
        self.built = True
        node = Node(self, (), None, {})
        self.output = KerasTensor((None,) + self.shape, self.dtype_name, node, 0, name=self.name)
        node.outputs = [self.output]
        self._nodes.append(node)
        self.output_shape = self.output.shape


def Input(shape=None, batch_size=None, dtype=None, name=None):
    """A symbolic input of the given per-sample shape (keras.Input)."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output


del _ops
