"""Random draws for the transforms, all from ember's Philox RNG: the default one
(seeded by ``ember.manual_seed``) or a user's ``ember.Generator``. Never Python's
``random`` or NumPy's global state, so a seed reproduces a whole pipeline.

Scalars (an angle, a crop offset) are drawn as one-element ember tensors and read
back; Gamma / Beta samples use Marsaglia and Tsang's method vectorised over a block
of candidates with ember ops (alpha < 1 is boosted: Gamma(a) = Gamma(a + 1) * U^(1/a)).
"""
import math

import ember

__all__ = []


def check_generator(generator, op):
    if generator is not None and not isinstance(generator, ember.Generator):
        raise TypeError(f"[{op}] generator must be an ember.Generator or None, got {type(generator).__name__}")
    return generator


def uniform(low, high, generator=None):
    """One float uniformly from [low, high)."""
    u = float(ember.rand(1, generator=generator, dtype=ember.float64).item())
    return low + (high - low) * u


def randint(low, high, generator=None):
    """One int uniformly from [low, high)."""
    if high - low <= 1:
        return int(low)
    return int(ember.randint(int(low), int(high), (1,), generator=generator).item())


def coin(p, generator=None):
    """True with probability p (torchvision's ``torch.rand(1) < p``)."""
    return uniform(0.0, 1.0, generator) < p


def permutation(n, generator=None):
    return [int(i) for i in ember.randperm(n, generator=generator).tolist()]


def rand(n, generator=None):
    """n floats from [0, 1) as a Python list."""
    if n == 0:
        return []
    return ember.rand(n, generator=generator, dtype=ember.float64).tolist()


_BLOCK = 32


def gamma(alpha, generator=None):
    """One sample of Gamma(alpha, 1), alpha > 0 (Marsaglia-Tsang on ember tensors)."""
    alpha = float(alpha)
    boost = alpha < 1.0
    a = alpha + 1.0 if boost else alpha
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        z = ember.randn(_BLOCK, generator=generator, dtype=ember.float64)
        u = ember.rand(_BLOCK, generator=generator, dtype=ember.float64)
        v = (1.0 + c * z) ** 3
        ok = (v > 0) & (ember.log(u.clamp(min=1e-300)) < 0.5 * z * z + d - d * v + d * ember.log(v.clamp(min=1e-300)))
        idx = ember.nonzero(ok)
        if idx.shape[0] > 0:
            sample = float((d * v)[int(idx[0, 0].item())].item())
            break
    if boost:
        u = float(ember.rand(1, generator=generator, dtype=ember.float64).clamp(min=1e-300).item())
        sample *= u ** (1.0 / alpha)
    return sample


def beta(a, b, generator=None):
    """One sample of Beta(a, b) as X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b)."""
    x = gamma(a, generator)
    y = gamma(b, generator)
    s = x + y
    return x / s if s > 0 else (1.0 if uniform(0.0, 1.0, generator) < a / (a + b) else 0.0)
