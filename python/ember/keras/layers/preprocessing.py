"""Preprocessing / augmentation on channels-last images (N, H, W, C): Rescaling, RandomFlip,
RandomRotation, RandomZoom. Random layers act only in training (identity otherwise).

Rotation and zoom draw one affine map per image and resample it with ember's
affine_grid + grid_sample (bilinear; fill_mode 'constant' -> zeros, 'nearest' -> border,
'reflect' -> reflection), like Keras's ImageProjectiveTransform.
"""
import math

from ... import cat, flip, rand, stack, where, zeros_like, ones, zeros
from ...nn import functional as F
from .base import Layer

__all__ = ["Rescaling", "RandomFlip", "RandomRotation", "RandomZoom"]

_FILL = {"constant": "zeros", "nearest": "border", "reflect": "reflection"}


def _check_img(x, name):
    if x.dim() not in (3, 4):
        raise ValueError(f"[{name}] expected images of 3 or 4 dims ((N,) H, W, C), got shape {tuple(x.shape)}")


class Rescaling(Layer):
    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(scale, (int, float)) or not isinstance(offset, (int, float)):
            raise TypeError(f"[Rescaling] expected numbers for scale and offset, got {scale!r}, {offset!r}")
        self.scale, self.offset = float(scale), float(offset)

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        return x * self.scale + self.offset


class RandomFlip(Layer):
    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"[RandomFlip] expected mode horizontal/vertical/horizontal_and_vertical, got {mode!r}")
        self.mode = mode

    def call(self, inputs, training=False):
        _check_img(inputs, "RandomFlip")
        if not training:
            return inputs
        x = inputs if inputs.dim() == 4 else inputs.unsqueeze(0)
        n = x.shape[0]
        if "horizontal" in self.mode:
            m = (rand(n, device=x.device) < 0.5).reshape(n, 1, 1, 1)
            x = where(m, flip(x, [2]), x)
        if "vertical" in self.mode:
            m = (rand(n, device=x.device) < 0.5).reshape(n, 1, 1, 1)
            x = where(m, flip(x, [1]), x)
        return x if inputs.dim() == 4 else x[0]


def _factor_range(f, name, what):
    if isinstance(f, (int, float)) and not isinstance(f, bool):
        lo, hi = -abs(float(f)), abs(float(f))
    elif isinstance(f, (tuple, list)) and len(f) == 2:
        lo, hi = float(f[0]), float(f[1])
    else:
        raise ValueError(f"[{name}] expected {what} as a number or a (low, high) pair, got {f!r}")
    if lo > hi:
        raise ValueError(f"[{name}] expected {what} low <= high, got {f!r}")
    return lo, hi


class _Affine(Layer):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if fill_mode not in _FILL:
            raise ValueError(f"[{name}] expected fill_mode in {sorted(_FILL)}, got {fill_mode!r}")
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"[{name}] expected interpolation 'bilinear' or 'nearest', got {interpolation!r}")
        self.fill_mode, self.interpolation = fill_mode, interpolation

    def _warp(self, x, theta):
        xc = x.permute(0, 3, 1, 2)
        grid = F.affine_grid(theta, list(xc.shape), align_corners=False)
        y = F.grid_sample(xc, grid, mode=self.interpolation, padding_mode=_FILL[self.fill_mode],
                          align_corners=False)
        return y.permute(0, 2, 3, 1)

    def call(self, inputs, training=False):
        _check_img(inputs, type(self).__name__)
        if not training:
            return inputs
        x = inputs if inputs.dim() == 4 else inputs.unsqueeze(0)
        x = x if x.is_floating_point() else x.float()
        y = self._warp(x, self._theta(x.shape[0], x.shape[1], x.shape[2]).to(device=x.device, dtype=x.dtype))
        return y if inputs.dim() == 4 else y[0]


def _uniform(n, lo, hi):
    return rand(n) * (hi - lo) + lo


class RandomRotation(_Affine):
    """Rotates by a random angle in factor * 2*pi (factor a number or a (low, high) pair)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = _factor_range(factor, "RandomRotation", "factor")

    def _theta(self, n, h, w):
        ang = _uniform(n, *self.factor) * (2 * math.pi)
        c, s = ang.cos(), ang.sin()
        # grid coordinates are normalised per axis: a rotation in pixels becomes this
        # anisotropic map when h != w
        z = zeros(n)
        row0 = stack([c, -s * (h / w), z], 1)
        row1 = stack([s * (w / h), c, z], 1)
        return stack([row0, row1], 1)


class RandomZoom(_Affine):
    """Zooms by a random factor: height_factor in (-1, ...) (negative = zoom in, as Keras)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor = _factor_range(height_factor, "RandomZoom", "height_factor")
        if self.height_factor[0] <= -1:
            raise ValueError(f"[RandomZoom] expected height_factor > -1, got {height_factor!r}")
        self.width_factor = None if width_factor is None else _factor_range(width_factor, "RandomZoom", "width_factor")

    def _theta(self, n, h, w):
        zh = _uniform(n, *self.height_factor) + 1.0
        zw = zh if self.width_factor is None else _uniform(n, *self.width_factor) + 1.0
        z = zeros(n)
        # output pixel (x, y) samples input at (zw*x, zh*y): factor > 0 shows more (zoom out)
        return stack([stack([zw, z, z], 1), stack([z, zh, z], 1)], 1)


del cat, ones, zeros_like
