"""ember.tune: hyperparameter search on Optuna (``pip install 'ember[tune]'``).

    from ember import tune

    space = {"lr": tune.loguniform(1e-4, 1e-1), "batch_size": tune.choice([16, 32, 64]),
             "hidden": tune.randint(32, 257), "dropout": tune.uniform(0.0, 0.5)}

    def train_fn(params, report):          # a plain training function
        for epoch in range(1, 11):
            ...train one epoch...
            report(epoch, val_accuracy)    # hyperband may stop the trial here (raises tune.Pruned)
        return val_accuracy

    result = tune.run(train_fn, space, strategy="hyperband", n_trials=20, direction="maximize",
                      storage="sqlite:///search.db", study_name="digits")
    result.best_params, result.best_value, result.n_pruned, print(result.table())

Strategies: 'grid' (every combination of choice/randint values), 'random', 'bayesian'
(TPE) and 'hyperband' (TPE sampling + Optuna's HyperbandPruner on the reported values).
With ``storage`` the study lives in SQLite and a new ``run`` with the same storage and
study name continues it (its trials count towards the table and the best).

Hook for ember.keras: ``run`` takes any callable ``fn(params, report)``. A keras.Model
trainable will be adapted in ``_trainable`` (build the model from params, ``fit`` with a
callback that calls ``report(epoch, logs[monitor])``) once ember.keras lands.
"""
from .run import Pruned, TuneResult, run
from .space import Choice, Distribution, LogUniform, RandInt, Uniform, choice, loguniform, randint, uniform

__all__ = ["run", "TuneResult", "Pruned", "loguniform", "uniform", "randint", "choice", "Distribution",
           "LogUniform", "Uniform", "RandInt", "Choice"]
