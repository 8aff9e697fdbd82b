"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Concatenate (over a list of inputs)."""
from ... import cat, maximum, minimum
from .base import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "add", "concatenate"]


class _Merge(Layer):
    def _check(self, inputs):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"[{name}] expected a list of at least 2 inputs, got "
                             f"{type(inputs).__name__ if not isinstance(inputs, (list, tuple)) else len(inputs)}")
        return list(inputs)

    def call(self, inputs):
        xs = self._check(inputs)
        shapes = {tuple(x.shape) for x in xs}
        if len(shapes) != 1:
            raise ValueError(f"[{type(self).__name__}] expected inputs of one shape, got "
                             f"{[tuple(x.shape) for x in xs]}")
        return self._merge(xs)


class Add(_Merge):
    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y


class Subtract(_Merge):
    def _merge(self, xs):
        if len(xs) != 2:
            raise ValueError(f"[Subtract] expected exactly 2 inputs, got {len(xs)}")
        return xs[0] - xs[1]


class Multiply(_Merge):
    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = y * x
        return y


class Average(Add):
    def _merge(self, xs):
        return super()._merge(xs) * (1.0 / len(xs))


class Maximum(_Merge):
    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = maximum(y, x)
        return y


class Minimum(_Merge):
    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = minimum(y, x)
        return y


class Concatenate(_Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"[Concatenate] expected an int axis, got {axis!r}")
        self.axis = axis

    def call(self, inputs):
        xs = self._check(inputs)
        nd = xs[0].dim()
        if not -nd <= self.axis < nd or self.axis % nd == 0:
            raise ValueError(f"[Concatenate] axis {self.axis} is out of range for inputs of {nd} dims")
        ax = self.axis % nd
        for x in xs:
            if x.dim() != nd or any(x.shape[i] != xs[0].shape[i] for i in range(nd) if i != ax):
                raise ValueError(f"[Concatenate] expected inputs matching except on axis {self.axis}, got "
                                 f"{[tuple(t.shape) for t in xs]}")
        return cat(xs, ax)


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
