"""The transform base class and the containers: Compose, RandomApply, RandomChoice,
RandomOrder, Lambda. Random containers draw from ember's RNG (or ``generator``)."""
import ember

from . import _rng
from ._image import check_p, is_number

__all__ = ["Transform", "Compose", "RandomApply", "RandomChoice", "RandomOrder", "Lambda"]


class Transform:
    """Base of every transform: ``t(x)`` calls ``t.forward(x)``."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


def _check_transforms(transforms, op):
    if not isinstance(transforms, (list, tuple)):
        raise TypeError(f"[{op}] argument transforms should be a sequence of callables, got "
                        f"{type(transforms).__name__}")
    for t in transforms:
        if not callable(t):
            raise TypeError(f"[{op}] every transform must be callable, got {type(t).__name__}")
    return list(transforms)


def _run(transforms, args):
    out = args if len(args) > 1 else args[0]
    for t in transforms:
        out = t(*out) if isinstance(out, tuple) and len(args) > 1 else t(out)
    return out


class Compose(Transform):
    """Applies the transforms in order."""

    def __init__(self, transforms):
        self.transforms = _check_transforms(transforms, "Compose")
        if not self.transforms:
            raise ValueError("[Compose] pass at least one transform")

    def forward(self, *inputs):
        return _run(self.transforms, inputs)

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class RandomApply(Transform):
    """Applies all the transforms (in order) with probability p, else returns the input."""

    def __init__(self, transforms, p=0.5, *, generator=None):
        self.transforms = _check_transforms(transforms, "RandomApply")
        self.p = check_p(p, "RandomApply")
        self.generator = _rng.check_generator(generator, "RandomApply")

    def forward(self, *inputs):
        if _rng.uniform(0.0, 1.0, self.generator) >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return _run(self.transforms, inputs)

    def extra_repr(self):
        return f"p={self.p}, transforms={self.transforms}"


class RandomChoice(Transform):
    """Applies one transform drawn with probabilities p (uniform when None)."""

    def __init__(self, transforms, p=None, *, generator=None):
        self.transforms = _check_transforms(transforms, "RandomChoice")
        if not self.transforms:
            raise ValueError("[RandomChoice] pass at least one transform")
        if p is None:
            p = [1.0] * len(self.transforms)
        if not isinstance(p, (list, tuple)) or len(p) != len(self.transforms) or \
                not all(is_number(v) and v >= 0 for v in p) or sum(p) <= 0:
            raise ValueError(f"[RandomChoice] p must be {len(self.transforms)} non-negative numbers with a positive "
                             f"sum (one per transform), got {p!r}")
        total = float(sum(p))
        self.p = [float(v) / total for v in p]
        self.generator = _rng.check_generator(generator, "RandomChoice")

    def forward(self, *inputs):
        probs = ember.tensor(self.p, dtype=ember.float64)
        idx = int(ember.multinomial(probs, 1, generator=self.generator).item())
        return _run([self.transforms[idx]], inputs)

    def extra_repr(self):
        return f"p={self.p}"


class RandomOrder(Transform):
    """Applies all the transforms in a random order."""

    def __init__(self, transforms, *, generator=None):
        self.transforms = _check_transforms(transforms, "RandomOrder")
        self.generator = _rng.check_generator(generator, "RandomOrder")

    def forward(self, *inputs):
        order = _rng.permutation(len(self.transforms), self.generator) if self.transforms else []
        return _run([self.transforms[i] for i in order], inputs)


class Lambda(Transform):
    """Wraps a user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"[Lambda] argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def forward(self, *inputs):
        return self.lambd(*inputs)

    def extra_repr(self):
        return getattr(self.lambd, "__name__", repr(self.lambd))
