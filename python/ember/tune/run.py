"""tune.run: one Optuna study per search; the objective is a plain function
``fn(params, report) -> metric`` and ``report(epoch, value)`` feeds the pruner."""
import math
import numbers

from .space import Distribution

__all__ = ["run", "TuneResult", "Pruned"]

STRATEGIES = ("grid", "random", "bayesian", "hyperband")
DIRECTIONS = ("maximize", "minimize")


class Pruned(Exception):
    """Raised by ``report`` when the pruner stops a trial; let it propagate out of ``fn``."""


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ImportError("[tune] ember.tune needs Optuna: pip install 'ember[tune]'") from None
    return optuna


class TuneResult:
    """best_params, best_value, results (a list of dicts, one per trial), n_pruned,
    n_complete, n_failed, study (the Optuna study); ``table()`` formats the results."""

    def __init__(self, study, names):
        optuna = _optuna()
        states = optuna.trial.TrialState
        self.study = study
        self.results = []
        for t in study.trials:
            row = {"trial": t.number, "state": t.state.name.lower(), "value": t.value,
                   "epochs": (max(t.intermediate_values) if t.intermediate_values else None)}
            row.update({n: t.params.get(n) for n in names})
            self.results.append(row)
        self.n_pruned = sum(t.state == states.PRUNED for t in study.trials)
        self.n_complete = sum(t.state == states.COMPLETE for t in study.trials)
        self.n_failed = sum(t.state == states.FAIL for t in study.trials)
        self.best_params = dict(study.best_trial.params) if self.n_complete else None
        self.best_value = study.best_value if self.n_complete else None

    def table(self):
        if not self.results:
            return "(no trials)"
        cols = list(self.results[0])

        def fmt(v):
            if isinstance(v, float):
                return f"{v:.4g}"
            return "-" if v is None else str(v)
        cells = [[fmt(r[c]) for c in cols] for r in self.results]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
        lines.append(f"{len(self.results)} trials: {self.n_complete} complete, {self.n_pruned} pruned, "
                     f"{self.n_failed} failed; best value {fmt(self.best_value)} with {self.best_params}")
        return "\n".join(lines)

    def __repr__(self):
        return (f"TuneResult(best_value={self.best_value}, best_params={self.best_params}, "
                f"trials={len(self.results)}, pruned={self.n_pruned})")


def _trainable(fn):
    """The objective as fn(params, report). Today: any callable. Hook for ember.keras: a
    keras.Model factory will be wrapped here (fit with a report-calling callback)."""
    if not callable(fn):
        raise TypeError(f"[tune.run] expected a training function fn(params, report) -> metric, got "
                        f"{type(fn).__name__} (keras.Model support comes with ember.keras)")
    return fn


def _check_space(space):
    if not isinstance(space, dict) or not space:
        raise TypeError(f"[tune.run] space must be a non-empty dict of name -> tune distribution, got {space!r}")
    for k, v in space.items():
        if not isinstance(k, str):
            raise TypeError(f"[tune.run] space keys must be strings, got {k!r}")
        if not isinstance(v, Distribution):
            raise TypeError(f"[tune.run] space[{k!r}] must be tune.loguniform/uniform/randint/choice, got {v!r}")


def _sampler_and_pruner(optuna, strategy, space, seed, max_epochs):
    if strategy == "grid":
        grid = {k: v.grid(k) for k, v in space.items()}
        size = math.prod(map(len, grid.values()))
        return optuna.samplers.GridSampler(grid, seed=seed), optuna.pruners.NopPruner(), size
    if strategy == "random":
        return optuna.samplers.RandomSampler(seed=seed), optuna.pruners.NopPruner(), None
    sampler = optuna.samplers.TPESampler(seed=seed)
    if strategy == "bayesian":
        return sampler, optuna.pruners.NopPruner(), None
    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs or "auto", reduction_factor=3)
    return sampler, pruner, None


def run(fn, space, strategy="bayesian", n_trials=None, direction="maximize", storage=None, study_name=None,
        seed=0, max_epochs=None, initial_params=None, timeout=None, verbose=False):
    """Searches ``space`` for the params that maximise (or minimise) ``fn(params, report)``.

    strategy: 'grid' | 'random' | 'bayesian' (TPE) | 'hyperband' (TPE + HyperbandPruner,
    ``max_epochs`` = the most epochs a trial reports; default: learnt from the first trial).
    n_trials: trials to run now (default 20; grid: every combination). storage: an Optuna
    storage URL such as 'sqlite:///search.db'; the study named ``study_name`` (default
    'ember-tune') is created or continued. initial_params: dicts of params tried first
    (e.g. your current defaults) when the study is new. Returns a TuneResult.
    """
    optuna = _optuna()
    fn = _trainable(fn)
    _check_space(space)
    if strategy not in STRATEGIES:
        raise ValueError(f"[tune.run] unknown strategy {strategy!r}; valid names: {', '.join(STRATEGIES)}")
    if direction not in DIRECTIONS:
        raise ValueError(f"[tune.run] direction must be 'maximize' or 'minimize', got {direction!r}")
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral)
                                 or n_trials <= 0):
        raise ValueError(f"[tune.run] n_trials must be a positive int, got {n_trials!r}")
    if max_epochs is not None and (isinstance(max_epochs, bool) or not isinstance(max_epochs, numbers.Integral)
                                   or max_epochs <= 0):
        raise ValueError(f"[tune.run] max_epochs must be a positive int, got {max_epochs!r}")
    if storage is not None and not isinstance(storage, str):
        raise TypeError(f"[tune.run] storage must be a URL string such as 'sqlite:///search.db', got {storage!r}")
    sampler, pruner, grid_size = _sampler_and_pruner(optuna, strategy, space, seed, max_epochs)
    n_trials = n_trials or grid_size or 20
    if not verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name or ("ember-tune" if storage else None), storage=storage,
                                sampler=sampler, pruner=pruner, direction=direction, load_if_exists=True)
    if initial_params and not study.trials:
        for p in initial_params:
            study.enqueue_trial(dict(p))

    def objective(trial):
        params = {k: d.suggest(trial, k) for k, d in space.items()}

        def report(epoch, value):
            trial.report(float(value), int(epoch))
            if trial.should_prune():
                raise Pruned(f"trial {trial.number} pruned at epoch {epoch}")
        try:
            value = fn(params, report)
        except Pruned:
            raise optuna.TrialPruned() from None
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"[tune.run] the training function must return a number, got {value!r}")
        return float(value)

    study.optimize(objective, n_trials=n_trials, timeout=timeout, catch=())
    return TuneResult(study, list(space))
