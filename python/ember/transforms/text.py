"""Text augmentation on token lists (EDA-style: Wei & Zou, 2019): RandomDeletion,
RandomSwap, RandomInsertion, SynonymReplacement, TokenDropout.

Each takes a list of tokens (or a list of such lists, a batch) and returns new
lists; the input is never modified. These are list manipulations, so they run in
Python; every random draw comes from ember's RNG (or ``generator``), so
``ember.manual_seed`` reproduces them.
"""
import ember

from . import _rng
from ._container import Transform
from ._image import check_p, is_int

__all__ = ["RandomDeletion", "RandomSwap", "RandomInsertion", "SynonymReplacement", "TokenDropout"]


def _check_n(n, op):
    if not is_int(n) or n < 0:
        raise ValueError(f"[{op}] n must be a non-negative int, got {n!r}")
    return int(n)


def _check_synonyms(synonyms, op):
    if not isinstance(synonyms, dict):
        raise TypeError(f"[{op}] synonyms must be a dict mapping a token to a list of synonyms, got "
                        f"{type(synonyms).__name__}")
    table = {}
    for k, v in synonyms.items():
        if isinstance(v, str) or not isinstance(v, (list, tuple, set)):
            raise TypeError(f"[{op}] synonyms[{k!r}] must be a list of tokens, got {type(v).__name__}")
        opts = [s for s in v if s != k]
        if opts:
            table[k] = list(opts)
    return table


class _TextTransform(Transform):
    op = "text"

    def forward(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            raise TypeError(f"[{self.op}] expected a list of tokens (or a list of lists), got "
                            f"{type(tokens).__name__}")
        if tokens and all(isinstance(t, (list, tuple)) for t in tokens):
            return [self._one(list(t)) for t in tokens]
        return self._one(list(tokens))


class RandomDeletion(_TextTransform):
    """Deletes each token with probability p; keeps one random token if all would go."""

    op = "RandomDeletion"

    def __init__(self, p=0.1, *, generator=None):
        self.p = check_p(p, self.op)
        self.generator = _rng.check_generator(generator, self.op)

    def _one(self, tokens):
        if not tokens:
            return []
        u = _rng.rand(len(tokens), self.generator)
        kept = [t for t, x in zip(tokens, u) if x >= self.p]
        if not kept:
            kept = [tokens[_rng.randint(0, len(tokens), self.generator)]]
        return kept


class RandomSwap(_TextTransform):
    """Swaps two random positions, n times."""

    op = "RandomSwap"

    def __init__(self, n=1, *, generator=None):
        self.n = _check_n(n, self.op)
        self.generator = _rng.check_generator(generator, self.op)

    def _one(self, tokens):
        if len(tokens) < 2:
            return tokens
        for _ in range(self.n):
            idx = ember.randint(0, len(tokens), (2,), generator=self.generator).tolist()
            i, j = int(idx[0]), int(idx[1])
            tokens[i], tokens[j] = tokens[j], tokens[i]
        return tokens


class RandomInsertion(_TextTransform):
    """n times: picks a random token that has synonyms and inserts a random synonym of it
    at a random position."""

    op = "RandomInsertion"

    def __init__(self, n=1, synonyms=None, *, generator=None):
        self.n = _check_n(n, self.op)
        self.synonyms = _check_synonyms(synonyms if synonyms is not None else {}, self.op)
        self.generator = _rng.check_generator(generator, self.op)

    def _one(self, tokens):
        g = self.generator
        for _ in range(self.n):
            candidates = [t for t in tokens if t in self.synonyms]
            if not candidates:
                break
            word = candidates[_rng.randint(0, len(candidates), g)]
            opts = self.synonyms[word]
            tokens.insert(_rng.randint(0, len(tokens) + 1, g), opts[_rng.randint(0, len(opts), g)])
        return tokens


class SynonymReplacement(_TextTransform):
    """Replaces up to n distinct words (chosen at random among those in the table) by a
    random synonym, at every occurrence."""

    op = "SynonymReplacement"

    def __init__(self, n=1, synonyms=None, *, generator=None):
        self.n = _check_n(n, self.op)
        if synonyms is None:
            raise TypeError(f"[{self.op}] synonyms (a dict of token -> list of synonyms) is required")
        self.synonyms = _check_synonyms(synonyms, self.op)
        self.generator = _rng.check_generator(generator, self.op)

    def _one(self, tokens):
        g = self.generator
        words = list(dict.fromkeys(t for t in tokens if t in self.synonyms))
        if not words or self.n == 0:
            return tokens
        order = _rng.permutation(len(words), g)
        for k in order[:self.n]:
            w = words[k]
            opts = self.synonyms[w]
            s = opts[_rng.randint(0, len(opts), g)]
            tokens = [s if t == w else t for t in tokens]
        return tokens


class TokenDropout(_TextTransform):
    """Replaces each token by ``unk_token`` with probability p (lengths unchanged)."""

    op = "TokenDropout"

    def __init__(self, p=0.1, unk_token="<unk>", *, generator=None):
        self.p = check_p(p, self.op)
        self.unk_token = unk_token
        self.generator = _rng.check_generator(generator, self.op)

    def _one(self, tokens):
        u = _rng.rand(len(tokens), self.generator)
        return [self.unk_token if x < self.p else t for t, x in zip(tokens, u)]
