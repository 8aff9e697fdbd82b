"""Pieces shared by the subcommands: the user-error type, --out checks, devices, threads,
optimizer and scheduler construction."""
import os

import ember

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "onecycle")


class CLIError(Exception):
    """A mistake in the command line or its inputs: reported as one line, exit code 2."""


def prepare_out_dir(cmd, path):
    """Creates ``path`` if needed and checks it is a writable directory, before any work."""
    path = os.path.abspath(os.path.expanduser(path))
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise CLIError(f"[{cmd}] cannot create output directory {path}: {e.strerror or e}") from None
    if not os.path.isdir(path):
        raise CLIError(f"[{cmd}] output path {path} exists and is not a directory")
    probe = os.path.join(path, ".ember-write-test")
    try:
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as e:
        raise CLIError(f"[{cmd}] output directory {path} is not writable: {e.strerror or e}") from None
    return path


def check_writable_file(cmd, path):
    path = os.path.abspath(os.path.expanduser(path))
    parent = os.path.dirname(path)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise CLIError(f"[{cmd}] cannot write {path}: {parent} is not a writable directory")
    return path


def setup_runtime(cmd, device, threads, seed=None):
    """Applies --threads and --seed and returns the checked ember.device for --device."""
    if threads is not None:
        if threads <= 0:
            raise CLIError(f"[{cmd}] --threads must be a positive int, got {threads}")
        ember.set_num_threads(threads)
    if seed is not None:
        ember.manual_seed(seed)
    try:
        dev = ember.device(device)
    except Exception:
        raise CLIError(f"[{cmd}] --device must be cpu, cuda or cuda:N, got {device!r}") from None
    if dev.type == "cuda" and not ember.cuda.is_available():
        raise CLIError(f"[{cmd}] --device {device}: CUDA is not available on this machine (use --device cpu)")
    return dev


def positive(cmd, name, value, kind=float):
    if value is None or not value > 0:
        raise CLIError(f"[{cmd}] --{name} must be positive, got {value}")
    return kind(value)


def make_optimizer(name, params, lr, weight_decay):
    opt = ember.optim
    if name == "sgd":
        return opt.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "adam":
        return opt.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return opt.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return opt.RMSprop(params, lr=lr, weight_decay=weight_decay)
    raise CLIError(f"[train] unknown optimizer {name!r}; valid names: {', '.join(OPTIMIZERS)}")


def make_scheduler(name, optimizer, lr, epochs, steps_per_epoch):
    """Returns (scheduler or None, per_batch): onecycle steps each batch, the others each epoch."""
    sched = ember.optim.lr_scheduler
    if name == "none":
        return None, False
    if name == "step":
        return sched.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.3), False
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=max(1, epochs)), False
    if name == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=lr, total_steps=max(1, epochs * steps_per_epoch)), True
    raise CLIError(f"[train] unknown scheduler {name!r}; valid names: {', '.join(SCHEDULERS)}")
