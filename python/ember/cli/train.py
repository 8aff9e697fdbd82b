"""``ember train``: train a zoo model on --data and write DIR/model.safetensors,
DIR/config.json (what evaluate/predict need to rebuild the model), DIR/history.json and
DIR/curves.png. With no arguments: LeNet-5 on the digits shipped with ember (~99%)."""
import argparse
import inspect
import json
import math
import os
import shutil
import sys
import time

import numpy as np

import ember

from ..models import MODELS, TEXT_MODELS, build_model
from . import _data
from ._common import OPTIMIZERS, SCHEDULERS, CLIError, make_optimizer, make_scheduler, positive, \
    prepare_out_dir, setup_runtime
from ._loop import evaluate_arrays, per_class, train_epoch

DEFAULTS = {"lr": 2e-3, "batch_size": 32, "epochs": 20, "optimizer": "adam", "scheduler": "cosine"}


def add_arguments(p):
    p.add_argument("--model", default="lenet5", choices=list(MODELS), help="model from ember.models (default lenet5)")
    p.add_argument("--data", default="digits",
                   help="'digits' (shipped) or a path: CSV (last column = label), IDX dir, image folder, text file")
    p.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    p.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    p.add_argument("--optimizer", default=DEFAULTS["optimizer"], choices=OPTIMIZERS)
    p.add_argument("--scheduler", default=DEFAULTS["scheduler"], choices=SCHEDULERS)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: ember's)")
    p.add_argument("--out", default="ember-run", help="output directory (default ./ember-run)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch output")


def model_config(model, data):
    if model in TEXT_MODELS:
        return {"block_size": int(data.x_train.shape[1])}
    if model == "mlp":
        return {"in_features": int(np.prod(data.input_shape)), "num_classes": data.num_classes}
    if data.kind != "image":
        raise CLIError(f"[train] model {model} needs image data (digits, IDX dir or image folder), got a "
                       f"{data.kind} file; use --model mlp")
    return {"in_channels": data.input_shape[0], "num_classes": data.num_classes}


class _Progress:
    """tqdm bar per epoch on a terminal when tqdm is installed, else one line per epoch."""

    def __init__(self, quiet, steps):
        self.quiet, self.steps, self.bar = quiet, steps, None
        self.tqdm = None
        if not quiet and sys.stderr.isatty():
            try:
                from tqdm import tqdm
                self.tqdm = tqdm
            except ImportError:
                pass

    def start(self, epoch, epochs):
        if self.tqdm is not None:
            cols = shutil.get_terminal_size((100, 24)).columns or 100  # a pty may report 0 columns
            self.bar = self.tqdm(total=self.steps, desc=f"epoch {epoch}/{epochs}", leave=True, file=sys.stderr,
                                 ncols=min(max(cols, 60), 160))
        return self.bar.update if self.bar is not None else None

    def end(self, row):
        text = (f"loss {row['train_loss']:.4f}  acc {row['train_acc'] * 100:.2f}%  val loss {row['val_loss']:.4f}  "
                f"val acc {row['val_acc'] * 100:.2f}%")
        if self.bar is not None:
            self.bar.set_postfix_str(text)
            self.bar.close()
        elif not self.quiet:
            print(f"epoch {row['epoch']:3d}  {text}  ({row['time']:.1f} s)", flush=True)


def write_curves(path, history):
    """curves.png: loss and accuracy per epoch (train and validation); False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("ember train: warning: matplotlib is not installed, skipping curves.png "
              "(pip install 'ember[plot]')", file=sys.stderr)
        return False
    ep = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    a1.plot(ep, [h["train_loss"] for h in history], "o-", label="train")
    a1.plot(ep, [h["val_loss"] for h in history], "s-", label="validation")
    a1.set(xlabel="epoch", ylabel="loss", title="loss")
    a2.plot(ep, [100 * h["train_acc"] for h in history], "o-", label="train")
    a2.plot(ep, [100 * h["val_acc"] for h in history], "s-", label="validation")
    a2.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for a in (a1, a2):
        a.grid(alpha=0.3)
        a.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def fit(args, data, device, report=None, progress=None):
    """Builds the model and trains it; returns (model, config, history). ``report(epoch,
    val_acc)`` is called after each epoch (ember.tune prunes through it)."""
    cfg = model_config(args.model, data)
    extra = dict(getattr(args, "model_kwargs", None) or {})
    allowed = set(inspect.signature(MODELS[args.model]).parameters) - set(cfg)
    unknown = sorted(set(extra) - allowed)
    if unknown:
        raise CLIError(f"[train] model {args.model} has no option {', '.join(unknown)}; its options: "
                       f"{', '.join(sorted(allowed)) or 'none'}")
    cfg.update(extra)
    model = build_model(args.model, **cfg)
    if device.type != "cpu":
        model = model.to(device)
    opt = make_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    steps = math.ceil(len(data.x_train) / args.batch_size)
    sched, per_batch = make_scheduler(args.scheduler, opt, args.lr, args.epochs, steps)
    rng = np.random.default_rng(args.seed)
    history, t0 = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        on_batch = progress.start(epoch, args.epochs) if progress else None
        lr = opt.param_groups[0]["lr"]
        tl, ta = train_epoch(model, opt, data.x_train, data.y_train, args.batch_size, rng, device,
                             sched if per_batch else None, on_batch)
        if sched is not None and not per_batch:
            sched.step()
        vl, va, _ = evaluate_arrays(model, data.x_test, data.y_test, device=device)
        if not (math.isfinite(tl) and math.isfinite(vl)):
            raise CLIError(f"[train] the loss diverged at epoch {epoch} (train {tl}, validation {vl}); "
                           "try a smaller --lr")
        row = {"epoch": epoch, "train_loss": tl, "train_acc": ta, "val_loss": vl, "val_acc": va, "lr": lr,
               "time": time.perf_counter() - t0}
        history.append(row)
        if progress:
            progress.end(row)
        if report is not None:
            report(epoch, va)
    return model, cfg, history


def check_args(args):
    positive("train", "epochs", args.epochs, int)
    positive("train", "batch-size", args.batch_size, int)
    positive("train", "lr", args.lr)
    if not args.weight_decay >= 0:
        raise CLIError(f"[train] --weight-decay must be >= 0, got {args.weight_decay}")
    if args.epochs > 100000 or args.batch_size > 1 << 24:
        raise CLIError(f"[train] --epochs/--batch-size too large: {args.epochs}, {args.batch_size}")


def print_table(title, rows):
    width = max(len(k) for k, _ in rows)
    print(title)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")


def run(args):
    check_args(args)
    out = prepare_out_dir("train", args.out)
    device = setup_runtime("train", args.device, args.threads, args.seed)
    data = _data.load("train", args.data, text=args.model in TEXT_MODELS, seed=args.seed)
    steps = math.ceil(len(data.x_train) / args.batch_size)
    t0 = time.perf_counter()
    model, cfg, history = fit(args, data, device, progress=_Progress(args.quiet, steps))
    elapsed = time.perf_counter() - t0
    loss, acc, pred = evaluate_arrays(model, data.x_test, data.y_test, device=device)

    ember.save(model.state_dict(), os.path.join(out, "model.safetensors"))
    config = {"model": args.model, "model_config": cfg, "data": args.data, "data_kind": data.kind,
              "input_shape": list(data.input_shape), "num_classes": data.num_classes,
              "normalize": {k: v for k, v in data.extra.items() if k in ("mean", "std")},
              "classes": data.extra.get("classes"),
              "train": {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "optimizer", "scheduler",
                                                      "weight_decay", "seed")},
              "ember_version": ember.__version__}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "history.json"), "w") as f:
        json.dump(history, f, indent=2)
    write_curves(os.path.join(out, "curves.png"), history)

    rows = [("model", args.model), ("data", f"{data.source} ({len(data.x_train)} train / {len(data.x_test)} test)"),
            ("test accuracy", f"{acc * 100:.2f}%"), ("test loss", f"{loss:.4f}"),
            ("epochs", str(args.epochs)), ("time", f"{elapsed:.1f} s"), ("output", out)]
    print_table("final metrics", rows)
    if data.kind != "text" and data.num_classes <= 20:
        print("  class  precision  recall  support")
        for c, p, r, s in per_class(data.y_test.reshape(-1), pred, data.num_classes):
            print(f"  {c:>5}  {p:9.3f}  {r:6.3f}  {s:7d}")
    return 0


def main(argv):
    p = argparse.ArgumentParser(prog="ember train", description=__doc__)
    add_arguments(p)
    return run(p.parse_args(argv))
