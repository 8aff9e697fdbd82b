"""The search space: distributions that know how to ask an Optuna trial for a value, and
(for grid search) how to list their values."""
import abc
import math
import numbers

__all__ = ["Distribution", "LogUniform", "Uniform", "RandInt", "Choice", "loguniform", "uniform", "randint",
           "choice"]

_GRID_MAX = 1000


def _num(op, name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        raise TypeError(f"[tune.{op}] {name} must be a finite number, got {v!r}")
    return v


class Distribution(abc.ABC):
    @abc.abstractmethod
    def suggest(self, trial, name):
        """The value for parameter ``name`` drawn through the Optuna ``trial``."""

    def grid(self, name):
        raise ValueError(f"[tune.run] grid search needs tune.choice or tune.randint for {name!r}, got {self!r}")


class LogUniform(Distribution):
    """Floats in [low, high] with log(x) uniform: learning rates, weight decay."""

    def __init__(self, low, high):
        _num("loguniform", "low", low), _num("loguniform", "high", high)
        if not 0 < low < high:
            raise ValueError(f"[tune.loguniform] expected 0 < low < high, got low={low}, high={high}")
        self.low, self.high = float(low), float(high)

    def suggest(self, trial, name):
        return trial.suggest_float(name, self.low, self.high, log=True)

    def __repr__(self):
        return f"loguniform({self.low}, {self.high})"


class Uniform(Distribution):
    """Floats uniform in [low, high]: dropout, momentum."""

    def __init__(self, low, high):
        _num("uniform", "low", low), _num("uniform", "high", high)
        if not low < high:
            raise ValueError(f"[tune.uniform] expected low < high, got low={low}, high={high}")
        self.low, self.high = float(low), float(high)

    def suggest(self, trial, name):
        return trial.suggest_float(name, self.low, self.high)

    def __repr__(self):
        return f"uniform({self.low}, {self.high})"


class RandInt(Distribution):
    """Integers low <= x < high (NumPy's and Ray Tune's convention): layers, hidden units."""

    def __init__(self, low, high):
        for n, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"[tune.randint] {n} must be an int, got {v!r}")
        if not low < high:
            raise ValueError(f"[tune.randint] expected low < high (high exclusive), got low={low}, high={high}")
        self.low, self.high = int(low), int(high)

    def suggest(self, trial, name):
        return trial.suggest_int(name, self.low, self.high - 1)

    def grid(self, name):
        if self.high - self.low > _GRID_MAX:
            raise ValueError(f"[tune.run] randint {name!r} has {self.high - self.low} values: too many for a grid")
        return list(range(self.low, self.high))

    def __repr__(self):
        return f"randint({self.low}, {self.high})"


class Choice(Distribution):
    """One of the given values (numbers, strings, bools or None): optimizer, batch size."""

    def __init__(self, values):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"[tune.choice] expected a list of values, got {values!r}")
        values = list(values)
        if not values:
            raise ValueError("[tune.choice] expected at least one value, got an empty list")
        for v in values:
            if v is not None and not isinstance(v, (bool, numbers.Real, str)):
                raise TypeError(f"[tune.choice] values must be numbers, strings, bools or None, got {v!r}")
        self.values = values

    def suggest(self, trial, name):
        return trial.suggest_categorical(name, self.values)

    def grid(self, name):
        return list(self.values)

    def __repr__(self):
        return f"choice({self.values!r})"


def loguniform(low, high):
    return LogUniform(low, high)


def uniform(low, high):
    return Uniform(low, high)


def randint(low, high):
    return RandInt(low, high)


def choice(values):
    return Choice(values)
