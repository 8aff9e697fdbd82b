"""Reading a checkpoint directory written by ``ember train`` (config.json + model.safetensors)
and preparing --data for it (same normalisation, label range checked)."""
import json
import os

import numpy as np

import ember

from ..models import MODELS, build_model
from . import _data
from ._common import CLIError


def load_checkpoint(cmd, path):
    """(model in eval mode, config) from a run directory or its model.safetensors."""
    path = os.path.expanduser(path)
    run_dir = path if os.path.isdir(path) else os.path.dirname(path) or "."
    weights = path if os.path.isfile(path) else os.path.join(run_dir, "model.safetensors")
    cfg_path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        raise CLIError(f"[{cmd}] checkpoint not found: {path}")
    if not os.path.isfile(cfg_path) or not os.path.isfile(weights):
        raise CLIError(f"[{cmd}] {path} is not a checkpoint written by `ember train`: expected config.json and "
                       "model.safetensors in it")
    try:
        with open(cfg_path) as f:
            cfg = json.load(f)
        name, mcfg = cfg["model"], cfg["model_config"]
    except (ValueError, KeyError, TypeError) as e:
        raise CLIError(f"[{cmd}] {cfg_path} is malformed: {e}") from None
    if name not in MODELS:
        raise CLIError(f"[{cmd}] {cfg_path} names unknown model {name!r}; valid names: {', '.join(MODELS)}")
    model = build_model(name, **mcfg)
    try:
        # the model is built on the CPU (moved to --device later): GPU-trained weights load anywhere
        model.load_state_dict(ember.load(weights, map_location="cpu"))
    except Exception as e:  # noqa: BLE001 - any failure here means a bad file
        raise CLIError(f"[{cmd}] cannot load weights from {weights}: {' '.join(str(e).split())}") from None
    model.eval()
    return model, cfg


def prepare(cmd, spec, cfg, need_labels):
    """(x, y or None) from --data for a checkpoint's model: digits -> its test split;
    a CSV -> every row (labels optional for predict); an IDX dir -> t10k; a folder -> all
    images; a text file -> every block."""
    kind = _data.detect(cmd, spec)
    want = cfg.get("data_kind")
    path = os.path.expanduser(spec)
    if kind == "csv":
        n_feat = int(np.prod(cfg["input_shape"]))
        x, y = _data.read_csv(cmd, path, None if need_labels else n_feat)
        if x.shape[1] != n_feat:
            raise CLIError(f"[{cmd}] {spec}: the model expects {n_feat} feature columns, got {x.shape[1]}")
        norm = cfg.get("normalize") or {}
        if "mean" in norm:
            x = (x - np.asarray(norm["mean"], np.float32)) / np.asarray(norm["std"], np.float32)
        x = x.astype(np.float32)
        data_kind = "tabular"
    elif kind == "text":
        x, y = _data.text_blocks(cmd, path, int(cfg["model_config"].get("block_size", _data.TEXT_BLOCK)))
        data_kind = "text"
    else:
        d = _data.load(cmd, spec, text=False)
        x, y = (d.x_test, d.y_test) if kind in ("digits", "idx") else (
            np.concatenate([d.x_train, d.x_test]), np.concatenate([d.y_train, d.y_test]))
        data_kind = d.kind
    if want and data_kind != want:
        raise CLIError(f"[{cmd}] the checkpoint was trained on {want} data, but --data {spec} is {data_kind} data")
    if list(x.shape[1:]) != list(cfg["input_shape"]) and data_kind != "text":
        raise CLIError(f"[{cmd}] the model expects inputs of shape {tuple(cfg['input_shape'])}, "
                       f"--data {spec} has {tuple(x.shape[1:])}")
    if y is not None and y.max() >= cfg["num_classes"]:
        raise CLIError(f"[{cmd}] {spec}: labels out of range: the model has {cfg['num_classes']} classes "
                       f"(0..{cfg['num_classes'] - 1}), got label {int(y.max())}")
    if need_labels and y is None:
        raise CLIError(f"[{cmd}] {spec} has no label column")
    return x, y
