"""ember.metrics: the stateful metrics of ember.keras.metrics for PyTorch-style loops.

    acc = ember.metrics.SparseCategoricalAccuracy()
    for x, y in loader:
        acc.update_state(y, model(x))
    print(acc.result())
"""
from .keras.metrics import *  # noqa: F401,F403
from .keras.metrics import __all__  # noqa: F401
