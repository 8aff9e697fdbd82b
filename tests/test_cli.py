"""The `ember` command line: train / evaluate / predict / bench / info, and clean errors.

Each test runs `python -m ember ...` in a child process (the console script calls the
same main). The full default run (`ember train`: LeNet-5, 20 epochs on the shipped
digits) was measured at ~7 s on 2 cores with 99.7% test accuracy; CI runs 3 epochs.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest


def ember_cli(*args, env=None, timeout=120, cwd=None):
    e = dict(os.environ)
    e.setdefault("EMBER_NUM_THREADS", "2")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=e, cwd=cwd)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    r = ember_cli("train", "--epochs", 3, "--out", out)
    assert r.returncode == 0, r.stderr
    return out, r


def test_train_defaults_writes_checkpoint_history_and_curves(run_dir):
    out, r = run_dir
    assert "test accuracy" in r.stdout and "precision" in r.stdout and "time" in r.stdout
    for name in ("model.safetensors", "config.json", "history.json", "curves.png"):
        assert (out / name).is_file(), name
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model"] == "lenet5" and cfg["num_classes"] == 10 and cfg["data"] == "digits"
    hist = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in hist] == [1, 2, 3]
    assert hist[-1]["val_acc"] >= 0.9  # 3 epochs; the default 20 reach ~99%
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    import matplotlib.image
    img = matplotlib.image.imread(str(out / "curves.png"))
    assert img.ndim == 3 and img[..., :3].var() > 0


def test_evaluate_and_predict_round_trip(run_dir, tmp_path):
    out, _ = run_dir
    hist = json.loads((out / "history.json").read_text())
    r = ember_cli("evaluate", out, "--data", "digits", "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["samples"] == 360
    assert abs(m["accuracy"] - hist[-1]["val_acc"]) < 1e-9
    assert abs(m["loss"] - hist[-1]["val_loss"]) < 1e-4
    preds = tmp_path / "preds.csv"
    r = ember_cli("predict", out, "--data", "digits", "--out", preds)
    assert r.returncode == 0, r.stderr
    with open(preds) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 360 and set(rows[0]) == {"index", "prediction", "probability", "label"}
    acc = np.mean([int(row["prediction"]) == int(row["label"]) for row in rows])
    assert abs(acc - m["accuracy"]) < 1e-9
    assert all(0.0 < float(row["probability"]) <= 1.0 for row in rows)


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("csv")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    head = "a,b,c,d,label"
    np.savetxt(d / "ok.csv", np.c_[x, y], delimiter=",", header=head, comments="", fmt="%.5g")
    y_big = y.copy()
    y_big[3] = 12
    np.savetxt(d / "big_label.csv", np.c_[x, y_big], delimiter=",", header=head, comments="", fmt="%.5g")
    y_neg = y.copy()
    y_neg[0] = -1
    np.savetxt(d / "neg_label.csv", np.c_[x, y_neg], delimiter=",", header=head, comments="", fmt="%.5g")
    np.savetxt(d / "features.csv", x, delimiter=",", header="a,b,c,d", comments="", fmt="%.5g")
    (d / "text_cols.csv").write_text("a,b,label\n1,x,0\n2,y,1\n")
    return d


def test_mlp_on_csv_then_predict_features_only(csv_files, tmp_path):
    r = ember_cli("train", "--model", "mlp", "--data", csv_files / "ok.csv", "--epochs", 15, "--lr", 1e-2,
                  "--optimizer", "adamw", "--scheduler", "onecycle", "--out", tmp_path / "m", "--quiet")
    assert r.returncode == 0, r.stderr
    hist = json.loads((tmp_path / "m" / "history.json").read_text())
    assert hist[-1]["val_acc"] >= 0.85
    r = ember_cli("predict", tmp_path / "m", "--data", csv_files / "features.csv")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "index,prediction,probability" and len(lines) == 201


@pytest.mark.parametrize("model,opt,sched", [("resnet-mini", "sgd", "step"), ("mlp", "rmsprop", "none")])
def test_other_models_and_optimizers_train(model, opt, sched, tmp_path):
    r = ember_cli("train", "--model", model, "--optimizer", opt, "--scheduler", sched, "--epochs", 2,
                  "--lr", 0.01, "--out", tmp_path, "--quiet")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "history.json").read_text())[-1]["val_acc"] > 0.5


@pytest.mark.parametrize("model,lr,epochs", [("char-lstm", 1e-2, 2), ("gpt-mini", 1e-3, 4)])
def test_text_models_train_and_evaluate(model, lr, epochs, tmp_path):
    text = tmp_path / "corpus.txt"
    text.write_text(("the quick brown fox jumps over the lazy dog. " * 200)[:8000])
    r = ember_cli("train", "--model", model, "--data", text, "--epochs", epochs, "--lr", lr, "--batch-size", 8,
                  "--scheduler", "none", "--out", tmp_path / "m", "--quiet")
    assert r.returncode == 0, r.stderr
    hist = json.loads((tmp_path / "m" / "history.json").read_text())
    assert hist[-1]["val_acc"] > 0.3  # next-byte accuracy on a repetitive text
    r = ember_cli("evaluate", tmp_path / "m", "--data", text, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["accuracy"] > 0.3


def _bad(tmp_path, csv_files, run_dir):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    return {
        "unknown model": (["train", "--model", "vgg99"], ["mlp", "lenet5", "resnet-mini"]),
        "unknown optimizer": (["train", "--optimizer", "adamax2"], ["sgd", "adam", "adamw", "rmsprop"]),
        "unknown scheduler": (["train", "--scheduler", "warm"], ["none", "step", "cosine", "onecycle"]),
        "missing data": (["train", "--data", tmp_path / "nope"], ["no such file"]),
        "non-numeric csv": (["train", "--model", "mlp", "--data", csv_files / "text_cols.csv"], ["not numeric"]),
        "unwritable out": (["train", "--out", blocker / "sub"], ["output directory"]),
        "negative label": (["train", "--model", "mlp", "--data", csv_files / "neg_label.csv"], ["out of range"]),
        "csv for an image checkpoint": (["evaluate", run_dir[0], "--data", csv_files / "big_label.csv"],
                                        ["feature columns"]),
        "zero epochs": (["train", "--epochs", 0], ["--epochs"]),
        "negative lr": (["train", "--lr", -1], ["--lr"]),
        "huge batch": (["train", "--batch-size", 10 ** 12], ["too large"]),
        "cuda device": (["train", "--device", "cuda"], ["CUDA"]),
        "bad device": (["train", "--device", "tpu"], ["--device"]),
        "image model on csv": (["train", "--data", csv_files / "ok.csv"], ["image data"]),
        "missing checkpoint": (["evaluate", tmp_path / "none"], ["not found"]),
        "not a checkpoint": (["predict", tmp_path], ["not a checkpoint"]),
        "unwritable preds": (["predict", run_dir[0], "--out", blocker / "p.csv"], ["cannot write"]),
        "wrong-type epochs": (["train", "--epochs", "many"], ["invalid int"]),
        "unknown command": (["fly"], ["valid commands"]),
        "bench filter": (["bench", "--filter", "nothing-like-this"], ["no benchmark"]),
        "missing tune config": (["tune", tmp_path / "none.toml"], ["not found"]),
    }


BAD_CASES = ["unknown model", "unknown optimizer", "unknown scheduler", "missing data", "non-numeric csv",
             "unwritable out", "negative label", "csv for an image checkpoint", "zero epochs", "negative lr",
             "huge batch",
             "cuda device", "bad device", "image model on csv", "missing checkpoint", "not a checkpoint",
             "unwritable preds", "wrong-type epochs", "unknown command", "bench filter", "missing tune config"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_exits_nonzero_without_traceback(case, tmp_path, csv_files, run_dir):
    args, words = _bad(tmp_path, csv_files, run_dir)[case]
    r = ember_cli(*args, cwd=tmp_path)
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "error" in last
    for w in words:
        assert w in r.stderr, r.stderr


def test_labels_out_of_range_for_checkpoint(csv_files, tmp_path):
    r = ember_cli("train", "--model", "mlp", "--data", csv_files / "ok.csv", "--epochs", 1, "--out", tmp_path,
                  "--quiet")
    assert r.returncode == 0, r.stderr
    r = ember_cli("evaluate", tmp_path, "--data", csv_files / "big_label.csv")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "labels out of range" in r.stderr and "12" in r.stderr


def test_missing_matplotlib_skips_curves_with_warning(tmp_path):
    block = tmp_path / "block"
    (block / "matplotlib").mkdir(parents=True)
    (block / "matplotlib" / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(block), os.environ.get("PYTHONPATH", "")])}
    r = ember_cli("train", "--model", "mlp", "--epochs", 1, "--out", tmp_path / "o", "--quiet", env=env)
    assert r.returncode == 0, r.stderr
    assert "matplotlib is not installed" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "o" / "history.json").is_file() and not (tmp_path / "o" / "curves.png").exists()


def test_info_and_bare_command_print_build_report():
    for args in ([], ["info"]):
        r = ember_cli(*args)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("ember ") and "SIMD level in use" in r.stdout
    exe = shutil.which("ember")
    if exe:  # the console script installed by pip
        r = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "SIMD level in use" in r.stdout, r.stderr
    r = ember_cli("--help")
    assert r.returncode == 0 and "train" in r.stdout and "tune" in r.stdout


def test_bench_filter_prints_ratio_table():
    r = ember_cli("bench", "--filter", "matmul 256", "--quick")
    assert r.returncode == 0, r.stderr
    assert "ember/numpy" in r.stdout
    rows = [l for l in r.stdout.splitlines() if l.startswith("matmul 256")]
    assert len(rows) == 1 and rows[0].rstrip().endswith("x")
    assert "add 1M" not in r.stdout
