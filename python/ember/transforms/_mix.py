"""Batch transforms MixUp and CutMix (torchvision.transforms.v2's): they take a batch
of images (N, C, H, W) and int labels (N,) (or soft labels (N, K)) and return the
mixed images and soft labels whose rows sum to 1. Each call pairs sample i with
sample i - 1 (a roll of the batch) and draws lambda ~ Beta(alpha, alpha) from ember's
RNG (Marsaglia-Tsang Gamma draws, _rng.beta)."""
import math

import ember
import ember.nn.functional as F

from . import _rng
from ._container import Transform
from ._image import is_int, is_number

__all__ = ["MixUp", "CutMix"]


class _BaseMix(Transform):
    def __init__(self, alpha, num_classes, generator, op):
        if not is_number(alpha) or not alpha > 0:
            raise ValueError(f"[{op}] alpha must be a positive number, got {alpha!r}")
        if num_classes is not None and (not is_int(num_classes) or num_classes < 1):
            raise ValueError(f"[{op}] num_classes must be a positive int or None, got {num_classes!r}")
        self.alpha, self.num_classes, self.op = float(alpha), num_classes, op
        self.generator = _rng.check_generator(generator, op)

    def _check(self, images, labels):
        op = self.op
        if not isinstance(images, ember.Tensor) or not isinstance(labels, ember.Tensor):
            raise TypeError(f"[{op}] expected images and labels as ember Tensors, got {type(images).__name__} and "
                            f"{type(labels).__name__}")
        if images.ndim != 4:
            raise ValueError(f"[{op}] expected a batch of images (N, C, H, W), got shape {tuple(images.shape)}")
        if not images.is_floating_point():
            raise TypeError(f"[{op}] expected floating point images, got {images.dtype}")
        n = images.shape[0]
        if labels.ndim == 1 and not labels.is_floating_point() and labels.dtype != ember.bool:
            if self.num_classes is None:
                raise ValueError(f"[{op}] num_classes is needed to one-hot encode int labels")
            if labels.shape[0] != n:
                raise ValueError(f"[{op}] expected {n} labels (one per image), got shape {tuple(labels.shape)}")
            if n and (int(labels.min().item()) < 0 or int(labels.max().item()) >= self.num_classes):
                raise ValueError(f"[{op}] labels must be in [0, {self.num_classes}), got values in "
                                 f"[{int(labels.min().item())}, {int(labels.max().item())}]")
            soft = F.one_hot(labels.to(ember.int64), self.num_classes).to(images.dtype)
        elif labels.ndim == 2 and labels.is_floating_point():
            if labels.shape[0] != n or (self.num_classes is not None and labels.shape[1] != self.num_classes):
                raise ValueError(f"[{op}] expected soft labels of shape ({n}, {self.num_classes or 'K'}), got "
                                 f"{tuple(labels.shape)}")
            soft = labels.to(images.dtype)
        else:
            raise ValueError(f"[{op}] expected int labels of shape (N,) or float soft labels (N, K), got "
                             f"{labels.dtype} of shape {tuple(labels.shape)}")
        return soft

    def extra_repr(self):
        return f"alpha={self.alpha}, num_classes={self.num_classes}"


class MixUp(_BaseMix):
    """images, labels -> lam * x + (1 - lam) * x.roll(1, 0) and the same blend of the
    one-hot labels, lam ~ Beta(alpha, alpha)."""

    def __init__(self, *, alpha=1.0, num_classes=None, generator=None):
        super().__init__(alpha, num_classes, generator, "MixUp")

    def forward(self, images, labels):
        soft = self._check(images, labels)
        lam = _rng.beta(self.alpha, self.alpha, self.generator)
        self.last_lam = lam
        mixed = images * lam + images.roll(1, 0) * (1.0 - lam)
        return mixed, soft * lam + soft.roll(1, 0) * (1.0 - lam)


class CutMix(_BaseMix):
    """Pastes a box of each rolled image into the image; the labels mix with the box's
    area fraction (lam adjusted to the box as clipped by the image borders)."""

    def __init__(self, *, alpha=1.0, num_classes=None, generator=None):
        super().__init__(alpha, num_classes, generator, "CutMix")

    def forward(self, images, labels):
        soft = self._check(images, labels)
        g = self.generator
        lam = _rng.beta(self.alpha, self.alpha, g)
        h, w = images.shape[-2:]
        rx, ry = _rng.randint(0, w, g), _rng.randint(0, h, g)
        r = 0.5 * math.sqrt(1.0 - lam)
        rw, rh = int(r * w), int(r * h)
        x1, y1 = max(rx - rw, 0), max(ry - rh, 0)
        x2, y2 = min(rx + rw, w), min(ry + rh, h)
        self.last_box = (x1, y1, x2, y2)
        lam_adj = 1.0 - (x2 - x1) * (y2 - y1) / (w * h) if h * w else 1.0
        self.last_lam = lam_adj
        out = images.clone()
        if x2 > x1 and y2 > y1:
            out[..., y1:y2, x1:x2] = images.roll(1, 0)[..., y1:y2, x1:x2]
        return out, soft * lam_adj + soft.roll(1, 0) * (1.0 - lam_adj)
