"""keras.Model (functional graph or subclassed ``call``) and keras.Sequential.

Functional: ``Model(inputs, outputs)`` walks back from the output KerasTensors through
the recorded Nodes, keeps them in topological order and replays them on real tensors.
Layers become child modules under their names, so ``state_dict`` keys read
``dense.linear.weight``. Training methods (compile/fit/evaluate/predict) come from
``Trainer`` (trainer.py); saving from saving.py.
"""
from ..tensor import Tensor
from .layers.base import Input, InputLayer, KerasTensor, Layer, _flatten, _map
from .trainer import Trainer

__all__ = ["Model", "Sequential", "load_model", "clone_model"]


class Model(Trainer, Layer):
    """Keras's Model: ``Model(inputs, outputs)`` or a subclass defining ``call``."""

    def __init__(self, *args, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if args:
            if len(args) > 2:
                raise TypeError(f"[Model] expected (inputs, outputs), got {len(args)} positional arguments")
            inputs = args[0]
            outputs = args[1] if len(args) > 1 else outputs
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._functional = False
        if inputs is not None or outputs is not None:
            self._init_graph(inputs, outputs)

    # --- functional graph ------------------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        if inputs is None or outputs is None:
            raise ValueError("[Model] a functional model needs both inputs and outputs")
        flat_in, flat_out = _flatten(inputs), _flatten(outputs)
        for t in flat_in + flat_out:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"[Model] inputs and outputs must be symbolic tensors from keras.Input / layer "
                                f"calls, got {type(t).__name__}")
        for t in flat_in:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(f"[Model] every input must come from keras.Input, got {t}")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs, self.outputs = flat_in, flat_out
        order, seen = [], set()

        def visit(kt, stack):
            node = kt.node
            if id(node) in seen:
                return
            if id(node) in stack:
                raise ValueError("[Model] the layer graph has a cycle")
            deps = [t for t in _flatten(list(node.inputs) + list(node.kwargs.values())) if isinstance(t, KerasTensor)]
            if isinstance(node.layer, InputLayer) and kt not in flat_in:
                raise ValueError(f"[Model] output depends on input {node.layer.name!r} which is not in inputs")
            for d in deps:
                visit(d, stack | {id(node)})
            seen.add(id(node))
            order.append(node)

        for t in flat_out:
            visit(t, frozenset())
        self._nodes_order = order
        self._graph_layers = []
        names = set()
        for node in order:
            layer = node.layer
            if layer in self._graph_layers:
                continue
            if layer.name in names:
                raise ValueError(f"[Model] two layers share the name {layer.name!r}; layer names must be unique")
            names.add(layer.name)
            self._graph_layers.append(layer)
            if not isinstance(layer, InputLayer):
                self.add_module(layer.name, layer)
        self._functional = True
        self.built = True
        self.output_shape = [t.shape for t in flat_out] if len(flat_out) > 1 else flat_out[0].shape

    @property
    def layers(self):
        if self._functional:
            return list(self._graph_layers)
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"[get_layer] index {index} out of range for {len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"[get_layer] no layer named {name!r}; layers: {[l.name for l in layers]}")

    @property
    def output_names(self):
        if self._functional:
            return [t.node.layer.name for t in self.outputs]
        return None

    def call(self, inputs, training=False):
        if not self._functional:
            raise TypeError(f"[{type(self).__name__}] a subclassed keras.Model must define call(), or build it "
                            f"functionally with Model(inputs, outputs)")
        flat = _flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(f"[{self.name}] expected {len(self.inputs)} inputs, got {len(flat)}")
        values = {}
        for kt, v in zip(self.inputs, flat):
            if v.dim() != len(kt.shape) or any(s is not None and s != g for s, g in zip(kt.shape[1:], v.shape[1:])):
                raise ValueError(f"[{self.name}] expected input {kt.node.layer.name!r} of shape {kt.shape}, got "
                                 f"{tuple(v.shape)}")
            values[id(kt)] = v
        get = lambda t: values[id(t)] if isinstance(t, KerasTensor) else t  # noqa: E731
        for node in self._nodes_order:
            if isinstance(node.layer, InputLayer):
                continue
            args = [_map(get, a) for a in node.inputs]
            kw = {k: _map(get, v) for k, v in node.kwargs.items()}
            out = node.layer(*args, training=training, **kw)
            for kt, o in zip(node.outputs, _flatten(out)):
                values[id(kt)] = o
        return _map(get, self._outputs_struct)

    def build(self, input_shape):
        pass

    def get_config(self):
        if not self._functional:
            return {"name": self.name}
        from .saving import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "nodes" in config:
            from .saving import functional_from_config
            return functional_from_config(config, custom_objects)
        return cls(**config)

    def summary(self, print_fn=None, line_length=None):
        from .saving import summary_text
        (print_fn or print)(summary_text(self))


class Sequential(Model):
    """A linear stack of layers: ``Sequential([...])`` or ``.add(layer)``."""

    def __init__(self, layers=None, trainable=True, name=None):
        Model.__init__(self, name=name, trainable=trainable)
        self._stack = []
        self._input_kt = None
        self._sym = None
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                raise TypeError(f"[Sequential] expected a list of layers, got {type(layers).__name__}")
            for layer in layers:
                self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer):
        if isinstance(layer, KerasTensor):
            if not isinstance(layer.node.layer, InputLayer) or self._stack or self._input_kt is not None:
                raise ValueError("[Sequential] a keras.Input may only be the first element")
            self._input_kt = self._sym = layer
            return
        if isinstance(layer, InputLayer):
            return self.add(layer.output)
        if not isinstance(layer, Layer):
            raise TypeError(f"[Sequential] expected a keras layer, got {type(layer).__name__}")
        if any(l.name == layer.name for l in self._stack):
            raise ValueError(f"[Sequential] two layers share the name {layer.name!r}; layer names must be unique")
        if self._input_kt is None and not self._stack and layer._input_shape_arg is not None:
            self._input_kt = self._sym = Input(shape=layer._input_shape_arg)
        self._stack.append(layer)
        self.add_module(layer.name, layer)
        if self._sym is not None:
            self._sym = layer(self._sym)
            self.built = True
            self.output_shape = self._sym.shape

    def pop(self):
        if not self._stack:
            raise TypeError("[Sequential.pop] there are no layers to remove")
        layer = self._stack.pop()
        del self._modules[layer.name]
        if self._input_kt is not None:
            self._sym = self._input_kt
            for l in self._stack:
                self._sym = l(self._sym)
        return layer

    def build(self, input_shape=None):
        if self._input_kt is None:
            if input_shape is None:
                raise ValueError("[Sequential.build] expected an input_shape (with the batch dimension)")
            shape = tuple(input_shape)[1:]
            self._input_kt = self._sym = Input(shape=shape)
            for layer in self._stack:
                self._sym = layer(self._sym)
            self.output_shape = self._sym.shape
        self.built = True

    def _maybe_build(self, inputs):
        if not self.built or self._input_kt is None:
            if isinstance(inputs, Tensor):
                self.build((None,) + tuple(inputs.shape[1:]))
            else:
                self.built = True

    @property
    def inputs(self):
        return [self._input_kt] if self._input_kt is not None else None

    @property
    def input_shape(self):
        return self._input_kt.shape if self._input_kt is not None else None

    def call(self, inputs, training=False):
        if self._input_kt is not None and isinstance(inputs, Tensor):
            exp = self._input_kt.shape[1:]
            got = tuple(inputs.shape[1:])
            if len(exp) != len(got) or any(e is not None and e != g for e, g in zip(exp, got)):
                raise ValueError(f"[{self.name}] expected input of shape {(None,) + tuple(exp)}, got "
                                 f"{tuple(inputs.shape)}")
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def get_config(self):
        from .layers.base import serialize_value
        return {"name": self.name, "layers": [serialize_value(l) for l in self._stack],
                "input_shape": list(self._input_kt.shape[1:]) if self._input_kt is not None else None,
                "input_dtype": self._input_kt.dtype if self._input_kt is not None else None}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .layers.base import deserialize_value
        m = cls(name=config.get("name"))
        if config.get("input_shape") is not None:
            m.add(Input(shape=tuple(config["input_shape"]), dtype=config.get("input_dtype")))
        for lc in config["layers"]:
            m.add(deserialize_value(lc, custom_objects))
        return m


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    from .saving import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile)


def clone_model(model):
    from .saving import clone_model as _clone
    return _clone(model)
