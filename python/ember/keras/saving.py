"""Saving: ``model.save(path)`` / ``load_model(path)``, ``save_weights`` / ``load_weights``,
the functional graph's JSON config, and ``summary()``'s table.

A saved model is a directory, or a zip when the path ends in ``.keras``, holding
``config.json`` (architecture + compile arguments, JSON) and ``model.weights.safetensors``
(the state_dict through ember.save). No pickle anywhere. A subclassed model is rebuilt
from its class (found in custom_objects or keras' registry) and ``get_config()``, then
called once on zeros of the recorded input shape to create its weights.
"""
import io
import json
import os
import shutil
import tempfile
import zipfile

from .. import load, save, zeros
from ..autograd.grad_mode import no_grad
from .layers.base import InputLayer, KerasTensor, _flatten, _map, _ops_dtype, deserialize_value, serialize_value

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "functional_config",
           "functional_from_config", "summary_text", "clone_model", "register_keras_serializable"]

_CONFIG, _WEIGHTS = "config.json", "model.weights.safetensors"
_REGISTRY = {}


def register_keras_serializable(package="Custom", name=None):
    """Decorator: makes a custom Layer/Model class loadable by load_model without custom_objects."""
    def deco(cls):
        _REGISTRY[name or cls.__name__] = cls
        return cls
    return deco


def functional_config(model):
    node_ids = {id(n): i for i, n in enumerate(model._nodes_order)}

    def ref(t):
        if isinstance(t, KerasTensor):
            if id(t.node) not in node_ids:
                raise ValueError(f"[save] tensor {t} is not part of the model graph")
            return {"__kt__": [node_ids[id(t.node)], t.index]}
        return serialize_value(t)

    layers = []
    for layer in model._graph_layers:
        if isinstance(layer, InputLayer):
            cfg = {"shape": list(layer.shape), "dtype": layer.dtype_name, "name": layer.name}
        else:
            cfg = layer.get_config()
        layers.append({"class_name": type(layer).__name__, "name": layer.name, "config": cfg})
    nodes = []
    for node in model._nodes_order:
        nodes.append({"layer": node.layer.name, "args": [_map(ref, a) for a in node.inputs],
                      "kwargs": {k: _map(ref, v) for k, v in node.kwargs.items()}})
    return {"name": model.name, "layers": layers, "nodes": nodes,
            "inputs": _map(ref, model._inputs_struct), "outputs": _map(ref, model._outputs_struct)}


def _unref(v, kts):
    if isinstance(v, dict) and "__kt__" in v:
        return kts[tuple(v["__kt__"])]
    if isinstance(v, list):
        return [_unref(e, kts) for e in v]
    if isinstance(v, dict):
        return {k: _unref(e, kts) for k, e in v.items()}
    return v


def functional_from_config(config, custom_objects=None):
    from .layers import get_layer_class
    from .models import Model
    layers = {}
    for lc in config["layers"]:
        if lc["class_name"] == "InputLayer":
            c = lc["config"]
            layers[lc["name"]] = InputLayer(shape=tuple(c["shape"]), dtype=c["dtype"], name=c["name"])
        else:
            cls = get_layer_class(lc["class_name"], {**_REGISTRY, **(custom_objects or {})})
            layers[lc["name"]] = cls.from_config(deserialize_value(lc["config"], custom_objects))
    kts = {}
    for i, nd in enumerate(config["nodes"]):
        layer = layers[nd["layer"]]
        if isinstance(layer, InputLayer):
            kts[(i, 0)] = layer.output
            continue
        args = [_unref(a, kts) for a in nd["args"]]
        kwargs = {k: _unref(v, kts) for k, v in nd["kwargs"].items()}
        out = layer(*args, **kwargs)
        for j, t in enumerate(_flatten(out)):
            kts[(i, j)] = t
    inputs = _unref(config["inputs"], kts)
    outputs = _unref(config["outputs"], kts)
    return Model(inputs, outputs, name=config.get("name"))


def _model_config(model):
    from .models import Sequential
    if isinstance(model, Sequential):
        kind = "Sequential"
    elif getattr(model, "_functional", False) and type(model).__name__ == "Model":
        kind = "Functional"
    else:
        kind = type(model).__name__
    cfg = {"class_name": kind, "config": model.get_config(), "format": "ember.keras", "version": 1,
           "build_input_shape": getattr(model, "_build_shape", None)}
    cc = getattr(model, "_compiled_config", None)
    if getattr(model, "compiled", False) and cc and cc.get("optimizer") and cc.get("loss"):
        cfg["compile_config"] = cc
    return cfg


def _write_dir(model, d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, _CONFIG), "w") as f:
        json.dump(_model_config(model), f, indent=1)
    save(model.state_dict(), os.path.join(d, _WEIGHTS))


def save_model(model, filepath, overwrite=True):
    filepath = os.fspath(filepath)
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"[save] {filepath} exists and overwrite=False")
    if filepath.endswith(".keras"):
        with tempfile.TemporaryDirectory() as tmp:
            _write_dir(model, tmp)
            part = filepath + ".tmp"
            with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
                z.write(os.path.join(tmp, _CONFIG), _CONFIG)
                z.write(os.path.join(tmp, _WEIGHTS), _WEIGHTS)
            os.replace(part, filepath)
    else:
        if os.path.isfile(filepath):
            raise ValueError(f"[save] {filepath} is a file; use a directory path or a name ending in .keras")
        _write_dir(model, filepath)


def _read(filepath):
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"[load_model] no such file or directory: {filepath}")
    if os.path.isdir(filepath):
        with open(os.path.join(filepath, _CONFIG)) as f:
            cfg = json.load(f)
        return cfg, load(os.path.join(filepath, _WEIGHTS), map_location="cpu")  # copied to the weights' device
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"[load_model] {filepath} is not a saved ember.keras model (a .keras zip or a directory)")
    with zipfile.ZipFile(filepath) as z:
        names = z.namelist()
        if _CONFIG not in names or _WEIGHTS not in names:
            raise ValueError(f"[load_model] {filepath} lacks {_CONFIG} or {_WEIGHTS}")
        cfg = json.loads(z.read(_CONFIG).decode())
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, _WEIGHTS)
            with open(p, "wb") as f:
                f.write(z.read(_WEIGHTS))
            weights = load(p, map_location="cpu")  # copied to the weights' device by load_state_dict
    return cfg, weights


def _materialize(model, shape):
    if shape is None:
        return
    shapes = shape if isinstance(shape, list) and shape and isinstance(shape[0], list) else [shape]
    xs = [zeros(*([2] + [1 if s is None else s for s in sh[1:]])) for sh in shapes]
    with no_grad():
        model(xs if len(xs) > 1 else xs[0], training=False)


def load_model(filepath, custom_objects=None, compile=True):
    from .layers import get_layer_class
    from .models import Sequential
    cfg, weights = _read(filepath)
    if cfg.get("format") != "ember.keras":
        raise ValueError(f"[load_model] {filepath} was not written by ember.keras")
    kind, mc = cfg["class_name"], cfg["config"]
    objs = {**_REGISTRY, **(custom_objects or {})}
    if kind == "Sequential":
        model = Sequential.from_config(mc, objs)
    elif kind == "Functional":
        model = functional_from_config(mc, objs)
    else:
        cls = objs.get(kind)
        if cls is None:
            raise ValueError(f"[load_model] the model class {kind!r} is not known; pass custom_objects={{'{kind}': "
                             f"{kind}}} or decorate it with keras.saving.register_keras_serializable()")
        model = cls.from_config(mc) if hasattr(cls, "from_config") else cls(**mc)
    if cfg.get("build_input_shape") is not None and not any(True for _ in model.parameters()):
        _materialize(model, cfg["build_input_shape"])
    _load_state(model, weights, filepath)
    cc = cfg.get("compile_config")
    if compile and cc:
        from .trainer import deserialize_compile
        opt, loss = deserialize_compile(cc)
        model.compile(optimizer=opt, loss=loss, metrics=cc.get("metrics"))
    model.eval()
    return model


def _load_state(model, sd, path):
    own = model.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    if (missing or unexpected) and len(own) == len(sd) and all(
            tuple(a.shape) == tuple(b.shape) for a, b in zip(own.values(), sd.values())):
        # Keras matches weights by the layers' order, not their (auto-numbered) names
        sd = type(sd)(zip(own.keys(), sd.values()))
        missing = unexpected = []
    if missing or unexpected:
        raise ValueError(f"[load_weights] the weights in {path} do not match the model: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    for k, v in own.items():
        if tuple(v.shape) != tuple(sd[k].shape):
            raise ValueError(f"[load_weights] {k}: the model has shape {tuple(v.shape)}, the file "
                             f"{tuple(sd[k].shape)}")
    model.load_state_dict(sd)


def save_weights(model, filepath, overwrite=True):
    filepath = os.fspath(filepath)
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(f"[save_weights] {filepath} exists and overwrite=False")
    save(model.state_dict(), filepath)


def load_weights(model, filepath):
    filepath = os.fspath(filepath)
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"[load_weights] no such file: {filepath}")
    _load_state(model, load(filepath, map_location="cpu"), filepath)  # copied to the weights' device


def clone_model(model):
    """A new model of the same architecture with freshly initialised weights."""
    from .models import Sequential
    cfg = _model_config(model)
    if cfg["class_name"] == "Sequential":
        return Sequential.from_config(cfg["config"])
    if cfg["class_name"] == "Functional":
        return functional_from_config(cfg["config"])
    return type(model).from_config(model.get_config())


def _fmt_shape(s):
    if s is None:
        return "?"
    if isinstance(s, list):
        return ", ".join(_fmt_shape(e) for e in s)
    return "(" + ", ".join("None" if d is None else str(d) for d in s) + ("," if len(s) == 1 else "") + ")"


def summary_text(model):
    rows = []
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            continue
        rows.append((f"{layer.name} ({type(layer).__name__})", _fmt_shape(layer.output_shape),
                     str(layer.count_params())))
    head = ("Layer (type)", "Output Shape", "Param #")
    w = [max(len(r[i]) for r in rows + [head]) + 2 for i in range(3)]
    line = "+" + "+".join("-" * x for x in w) + "+"
    out = [f'Model: "{model.name}"', line, "|" + "|".join(h.ljust(x) for h, x in zip(head, w)) + "|", line]
    for r in rows:
        out.append("|" + "|".join(c.ljust(x) for c, x in zip(r, w)) + "|")
    out.append(line)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad) if model.trainable else 0
    total = model.count_params()
    out.append(f" Total params: {total:,}")
    out.append(f" Trainable params: {trainable:,}")
    out.append(f" Non-trainable params: {total - trainable:,}")
    return "\n".join(out)


del io, shutil, _ops_dtype
