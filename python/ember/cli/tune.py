"""``ember tune CONFIG.toml``: hyperparameter search over ``ember train`` options with
ember.tune (Optuna; ``pip install 'ember[tune]'``). The config:

    [tune]
    strategy = "hyperband"        # grid | random | bayesian | hyperband
    n_trials = 12
    direction = "maximize"        # of the validation accuracy
    storage = "sqlite:///tune.db" # optional: resumable study (relative to the config file)
    study_name = "digits-mlp"
    seed = 0
    include_default = true        # try the [train] defaults first (new studies only)

    [train]                       # fixed options, as for `ember train`
    model = "mlp"
    data = "digits"
    epochs = 10

    [space]                       # train options or model options (hidden, num_layers, dropout)
    lr = { loguniform = [1e-4, 1e-1] }
    batch_size = { choice = [16, 32, 64] }
    optimizer = { choice = ["adam", "adamw", "sgd", "rmsprop"] }
    hidden = { randint = [32, 257] }          # high exclusive
    dropout = { uniform = [0.0, 0.5] }

Each trial trains on 80% of the training split and reports the accuracy on the other 20%
after every epoch (the test split stays untouched); the best parameters, the table of
trials and the number pruned are printed.
"""
import argparse
import inspect
import os
import sys

import numpy as np

from ..models import MODELS, TEXT_MODELS
from . import _data
from ._common import OPTIMIZERS, SCHEDULERS, CLIError, setup_runtime
from .train import add_arguments, check_args, fit

TRAIN_KEYS = ("lr", "batch_size", "epochs", "optimizer", "scheduler", "weight_decay", "seed")
KINDS = ("loguniform", "uniform", "randint", "choice")


def _load_toml(path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise CLIError("[tune] reading TOML on Python 3.10 needs tomli: pip install tomli") from None
    if not os.path.isfile(path):
        raise CLIError(f"[tune] config file not found: {path}")
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise CLIError(f"[tune] {path} is not valid TOML: {e}") from None


def _space(tune, spec, model):
    if not isinstance(spec, dict) or not spec:
        raise CLIError("[tune] the config needs a [space] table with at least one parameter")
    model_opts = set(inspect.signature(MODELS[model]).parameters)
    space = {}
    for name, d in spec.items():
        if name not in TRAIN_KEYS and name not in model_opts:
            raise CLIError(f"[tune] [space] {name!r} is neither a train option ({', '.join(TRAIN_KEYS)}) nor an "
                           f"option of model {model} ({', '.join(sorted(model_opts))})")
        if not isinstance(d, dict) or len(d) != 1 or next(iter(d)) not in KINDS:
            raise CLIError(f"[tune] [space] {name} must be one of {{ loguniform = [lo, hi] }}, {{ uniform = [lo, hi] }}"
                           f", {{ randint = [lo, hi] }}, {{ choice = [...] }}; got {d!r}")
        kind, vals = next(iter(d.items()))
        try:
            space[name] = getattr(tune, kind)(vals) if kind == "choice" else getattr(tune, kind)(*vals)
        except (TypeError, ValueError) as e:
            raise CLIError(f"[tune] [space] {name}: {e}") from None
    for key, valid in (("optimizer", OPTIMIZERS), ("scheduler", SCHEDULERS)):
        if key in space:
            bad = [v for v in getattr(space[key], "values", []) if v not in valid]
            if bad:
                raise CLIError(f"[tune] [space] {key}: unknown {bad}; valid names: {', '.join(valid)}")
    return space


def main(argv):
    p = argparse.ArgumentParser(prog="ember tune", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="TOML file with [tune], [train] and [space] tables")
    p.add_argument("--n-trials", type=int, default=None, help="override [tune] n_trials")
    args = p.parse_args(argv)
    cfg = _load_toml(args.config)
    try:
        from .. import tune
        from ..tune.run import _optuna
        _optuna()
    except ImportError as e:
        raise CLIError(str(e)) from None
    tcfg, train_cfg = cfg.get("tune", {}), cfg.get("train", {})
    unknown = set(cfg) - {"tune", "train", "space"}
    if unknown:
        raise CLIError(f"[tune] unknown tables {sorted(unknown)} in {args.config}; expected [tune], [train], [space]")

    base = argparse.ArgumentParser(add_help=False)
    add_arguments(base)
    defaults = base.parse_args([])
    defaults.out, defaults.quiet = None, True
    for k, v in train_cfg.items():
        key = k.replace("-", "_")
        if not hasattr(defaults, key) or key in ("out", "quiet"):
            raise CLIError(f"[tune] unknown [train] option {k!r}")
        setattr(defaults, key, v)
    if defaults.model not in MODELS:
        raise CLIError(f"[tune] unknown model {defaults.model!r}; valid names: {', '.join(MODELS)}")
    space = _space(tune, cfg.get("space"), defaults.model)
    check_args(defaults)
    device = setup_runtime("tune", defaults.device, defaults.threads, defaults.seed)
    data = _data.load("tune", defaults.data, text=defaults.model in TEXT_MODELS, seed=defaults.seed)
    # a validation split carved from the training data: the test split is not used to choose
    perm = np.random.default_rng(defaults.seed).permutation(len(data.x_train))
    k = max(1, len(perm) // 5)
    val = _data.Data(data.kind, data.x_train[perm[k:]], data.y_train[perm[k:]], data.x_train[perm[:k]],
                     data.y_train[perm[:k]], data.num_classes, data.source, data.extra)

    def objective(params, report):
        a = argparse.Namespace(**vars(defaults))
        a.model_kwargs = {}
        for name, v in params.items():
            if name in TRAIN_KEYS:
                setattr(a, name, v)
            else:
                a.model_kwargs[name] = v
        check_args(a)
        _, _, history = fit(a, val, device, report=report)
        return history[-1]["val_acc"]

    storage = tcfg.get("storage")
    if isinstance(storage, str) and storage.startswith("sqlite:///") and not os.path.isabs(storage[10:]):
        storage = "sqlite:///" + os.path.join(os.path.dirname(os.path.abspath(args.config)), storage[10:])
    initial = None
    if tcfg.get("include_default", True):
        dflt = {"hidden": 128, "num_layers": 2, "dropout": 0.1}
        first = {n: getattr(defaults, n) if n in TRAIN_KEYS else dflt.get(n) for n in space}
        if all(v is not None for v in first.values()):
            initial = [first]
    try:
        result = tune.run(objective, space, strategy=tcfg.get("strategy", "bayesian"),
                          n_trials=args.n_trials or tcfg.get("n_trials"), direction=tcfg.get("direction", "maximize"),
                          storage=storage, study_name=tcfg.get("study_name"), seed=tcfg.get("seed", 0),
                          max_epochs=defaults.epochs, initial_params=initial)
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None
    print(result.table())
    print(f"pruned trials: {result.n_pruned}")
    print(f"best validation accuracy: {result.best_value}")
    print(f"best parameters: {result.best_params}")
    sys.stdout.flush()
    return 0 if result.n_complete else 1
