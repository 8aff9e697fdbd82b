"""ember.tune (Optuna): search space, strategies, pruning, SQLite resume, and `ember tune`."""
import os
import re
import subprocess
import sys

import pytest

from helpers import assert_raises_in_child

optuna = pytest.importorskip("optuna")

from ember import tune  # noqa: E402


def quadratic(params, report):
    """A cheap 'training run': the value climbs each epoch towards -(x - 2)^2."""
    value = None
    for epoch in range(1, 10):
        value = -(params["x"] - 2.0) ** 2 - 1.0 / epoch
        report(epoch, value)
    return value


def test_space_suggests_within_bounds():
    space = {"lr": tune.loguniform(1e-4, 1e-1), "units": tune.randint(8, 16), "p": tune.uniform(0.0, 0.5),
             "opt": tune.choice(["adam", "sgd"])}
    seen = []

    def fn(params, report):
        seen.append(params)
        return params["lr"]
    res = tune.run(fn, space, strategy="random", n_trials=10, seed=1)
    assert len(res.results) == 10 and res.n_complete == 10 and res.n_pruned == 0
    for p in seen:
        assert 1e-4 <= p["lr"] <= 1e-1 and 8 <= p["units"] < 16 and 0.0 <= p["p"] <= 0.5
        assert p["opt"] in ("adam", "sgd")
    assert res.best_value == max(p["lr"] for p in seen)


def test_grid_covers_every_combination():
    seen = set()

    def fn(params, report):
        seen.add((params["a"], params["b"]))
        return params["a"] * 10 + params["b"]
    res = tune.run(fn, {"a": tune.choice([1, 2, 3]), "b": tune.randint(0, 2)}, strategy="grid", direction="minimize")
    assert seen == {(a, b) for a in (1, 2, 3) for b in (0, 1)}
    assert res.best_params == {"a": 1, "b": 0} and res.best_value == 10


def test_bayesian_finds_the_optimum_region():
    res = tune.run(quadratic, {"x": tune.uniform(-5, 5)}, strategy="bayesian", n_trials=25, seed=0)
    assert abs(res.best_params["x"] - 2.0) < 1.0


def test_hyperband_prunes_bad_trials_and_reports_them():
    res = tune.run(quadratic, {"x": tune.uniform(-5, 5)}, strategy="hyperband", n_trials=20, seed=0)
    assert res.n_pruned > 0
    pruned = [r for r in res.results if r["state"] == "pruned"]
    assert any(r["epochs"] < 9 for r in pruned)  # stopped before the last epoch
    assert "pruned" in res.table()


def test_sqlite_study_resumes(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    space = {"x": tune.uniform(-5, 5)}
    first = tune.run(quadratic, space, strategy="random", n_trials=3, storage=storage, study_name="resume")
    assert len(first.results) == 3
    second = tune.run(quadratic, space, strategy="random", n_trials=3, storage=storage, study_name="resume", seed=1)
    assert len(second.results) == 6 and len(second.study.trials) == 6
    assert second.best_value >= first.best_value


def test_initial_params_are_tried_first():
    res = tune.run(quadratic, {"x": tune.uniform(-5, 5)}, strategy="random", n_trials=3,
                   initial_params=[{"x": 2.0}])
    assert res.results[0]["x"] == 2.0 and res.best_params == {"x": 2.0}


@pytest.mark.parametrize("code,exc,words", [
    ("tune.loguniform(0, 1)", "ValueError", ["[tune.loguniform]", "0 < low < high"]),
    ("tune.loguniform(1e-3, float('inf'))", "TypeError", ["finite"]),
    ("tune.uniform(1, 1)", "ValueError", ["low < high"]),
    ("tune.randint(0.5, 3)", "TypeError", ["[tune.randint]", "int"]),
    ("tune.randint(-1, -5)", "ValueError", ["high exclusive"]),
    ("tune.run(lambda p, r: 0, {'a': tune.randint(0, 10**9)}, "
     "strategy='grid')", "ValueError", ["too many"]),
    ("tune.choice([])", "ValueError", ["empty"]),
    ("tune.choice('abc')", "TypeError", ["list"]),
    ("tune.run(lambda p, r: 0, {'a': tune.uniform(0, 1)}, strategy='annealing')", "ValueError",
     ["grid, random, bayesian, hyperband"]),
    ("tune.run(lambda p, r: 0, {'a': tune.uniform(0, 1)}, n_trials=0)", "ValueError", ["n_trials"]),
    ("tune.run(lambda p, r: 0, {'a': tune.uniform(0, 1)}, n_trials=-3)", "ValueError", ["n_trials"]),
    ("tune.run(lambda p, r: 0, {'a': tune.uniform(0, 1)}, direction='up')", "ValueError", ["maximize"]),
    ("tune.run(lambda p, r: 0, {'a': tune.uniform(0, 1)}, strategy='grid')", "ValueError", ["tune.choice"]),
    ("tune.run(42, {'a': tune.uniform(0, 1)})", "TypeError", ["training function"]),
    ("tune.run(lambda p, r: 0, {'a': (0, 1)})", "TypeError", ["space['a']"]),
    ("tune.run(lambda p, r: 0, {})", "TypeError", ["non-empty"]),
    ("tune.run(lambda p, r: 'high', {'a': tune.uniform(0, 1)}, n_trials=1)", "TypeError", ["return a number"]),
])
def test_bad_input_raises(code, exc, words):
    assert_raises_in_child("from ember import tune\nimport optuna\noptuna.logging.set_verbosity(optuna.logging.ERROR)\n"
                           + code, exc, *words)


def test_missing_optuna_says_install_ember_tune(tmp_path):
    (tmp_path / "optuna").mkdir()
    (tmp_path / "optuna" / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    code = ("from ember import tune\ntry:\n    tune.run(lambda p, r: 0, {'a': tune.uniform(0, 1)})\n"
            "except ImportError as e:\n    print('MSG', e)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert "install 'ember[tune]'" in r.stdout, r.stdout + r.stderr


CONFIG = """
[tune]
strategy = "hyperband"
n_trials = {n}
storage = "sqlite:///tune.db"
study_name = "digits-mlp"

[train]
model = "mlp"
epochs = 9

[space]
lr = {{ loguniform = [1e-4, 1e-1] }}
batch_size = {{ choice = [16, 32, 64] }}
optimizer = {{ choice = ["adam", "adamw", "sgd", "rmsprop"] }}
hidden = {{ randint = [16, 257] }}
dropout = {{ uniform = [0.0, 0.5] }}
"""


def ember_cli(*args, cwd=None):
    env = dict(os.environ)
    env.setdefault("EMBER_NUM_THREADS", "2")
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], capture_output=True, text=True,
                          timeout=180, env=env, cwd=cwd)


def test_cli_hyperband_on_digits_mlp_prunes_and_beats_default(tmp_path):
    cfg = tmp_path / "tune.toml"
    cfg.write_text(CONFIG.format(n=12))
    r = ember_cli("tune", cfg)
    assert r.returncode == 0, r.stderr
    pruned = int(re.search(r"pruned trials: (\d+)", r.stdout).group(1))
    assert pruned > 0
    best = float(re.search(r"best validation accuracy: ([0-9.]+)", r.stdout).group(1))
    # trial 0 is the [train] default configuration (lr 2e-3, batch 32, adam, hidden 128, dropout 0.1)
    row0 = next(l for l in r.stdout.splitlines() if l.startswith("0 "))
    assert "complete" in row0 and "0.002" in row0 and " 128 " in row0
    default = float(row0.split()[2])
    assert best >= default and best > 0.9
    # resume: 3 more trials land in the same SQLite study
    r2 = ember_cli("tune", cfg, "--n-trials", 3)
    assert r2.returncode == 0, r2.stderr
    assert "15 trials:" in r2.stdout


@pytest.mark.parametrize("text,words", [
    ("[tune]\nstrategy = 'hyperband'\n", ["[space]"]),
    ("[space]\nlr = { lognormal = [1, 2] }\n", ["loguniform"]),
    ("[space]\nfoo = { uniform = [0, 1] }\n", ["'foo'"]),
    ("[space]\noptimizer = { choice = ['adam', 'lamb'] }\n", ["lamb", "rmsprop"]),
    ("[space]\nlr = { loguniform = [0, 1] }\n", ["0 < low < high"]),
    ("[train]\nmodel = 'vgg'\n[space]\nlr = { uniform = [0.1, 1] }\n", ["unknown model", "mlp"]),
    ("[tune]\nstrategy = 'magic'\n[train]\nepochs = 1\n[space]\nlr = { uniform = [0.1, 1] }\n", ["hyperband"]),
    ("this is not toml = = =\n", ["not valid TOML"]),
])
def test_cli_bad_config(tmp_path, text, words):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    r = ember_cli("tune", cfg)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
