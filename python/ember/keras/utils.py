"""keras.utils: to_categorical, set_random_seed."""
import random

import numpy as np

__all__ = ["to_categorical", "set_random_seed"]


def to_categorical(x, num_classes=None):
    """Integer labels -> one-hot float32 array (NumPy, like Keras)."""
    a = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
        raise ValueError(f"[to_categorical] expected integer labels, got dtype {a.dtype}")
    a = a.astype(np.int64)
    if a.ndim > 1 and a.shape[-1] == 1:
        a = a.reshape(a.shape[:-1])
    n = int(a.max()) + 1 if num_classes is None else num_classes
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"[to_categorical] expected a positive num_classes, got {num_classes!r}")
    if a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError(f"[to_categorical] labels must be in [0, {n}), got [{a.min()}, {a.max()}]")
    return np.eye(n, dtype=np.float32)[a]


def set_random_seed(seed):
    """Seeds Python, NumPy and ember (as keras.utils.set_random_seed)."""
    from .. import manual_seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"[set_random_seed] expected a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    manual_seed(seed)
