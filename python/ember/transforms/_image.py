"""Shared checks and conversions of image tensors (..., C, H, W) for the transforms.

Images are ember Tensors of a floating dtype (values in [0, 1]) or uint8 ([0, 255]);
any leading dims are batch dims. Ops that need a 4-D (N, C, H, W) view (interpolate,
grid_sample, conv) flatten the leading dims and restore them afterwards.
"""
import numbers

import ember

__all__ = []


def is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def check_image(img, op, min_dims=3):
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"[{op}] expected an ember.Tensor image (..., C, H, W), got {type(img).__name__}")
    if img.ndim < min_dims:
        raise ValueError(f"[{op}] expected an image tensor (..., C, H, W) of at least {min_dims} dims, "
                         f"got shape {tuple(img.shape)}")
    if not (img.is_floating_point() or img.dtype == ember.uint8):
        raise TypeError(f"[{op}] expected a floating point or uint8 image, got {img.dtype}")
    return img


def check_float_image(img, op, min_dims=3):
    check_image(img, op, min_dims)
    if not img.is_floating_point():
        raise TypeError(f"[{op}] expected a floating point image, got {img.dtype}")
    return img


def check_p(p, op):
    if not is_number(p) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"[{op}] probability p must be a number in [0, 1], got {p!r}")
    return float(p)


def max_value(dtype):
    return 255.0 if dtype == ember.uint8 else 1.0


def to_float(img):
    """A floating copy in the same value scale (uint8 stays in [0, 255])."""
    return img if img.is_floating_point() else img.to(ember.float32)


def from_float(x, dtype, round_=True):
    """Back to ``dtype``: uint8 is rounded and clamped to [0, 255]."""
    if dtype == ember.uint8:
        x = x.round() if round_ else x
        return x.clamp(0.0, 255.0).to(ember.uint8)
    return x if x.dtype == dtype else x.to(dtype)


def as_batch(img):
    """(N, C, H, W) view of (..., C, H, W) and the leading shape to restore."""
    lead = tuple(img.shape[:-3])
    return img.reshape(-1, *img.shape[-3:]), lead


def restore(x, lead):
    return x.reshape(*lead, *x.shape[-3:])


def pair(v, op, what, positive=True, allow_zero=False):
    """(h, w) from an int or a 1- or 2-sequence of ints (torchvision's size rule)."""
    if is_int(v):
        t = (int(v), int(v))
    elif isinstance(v, (list, tuple)) and len(v) in (1, 2) and all(is_int(i) for i in v):
        t = (int(v[0]), int(v[0])) if len(v) == 1 else (int(v[0]), int(v[1]))
    else:
        raise TypeError(f"[{op}] {what} must be an int or a sequence of 1 or 2 ints, got {v!r}")
    if positive and (min(t) < 0 or (min(t) == 0 and not allow_zero)):
        raise ValueError(f"[{op}] {what} must be positive, got {v!r}")
    return t


def range_arg(v, op, what, center=None, bound=(0.0, float("inf")), clip_first=True):
    """torchvision's _check_input: a number x -> [center - x, center + x] (x >= 0, clipped
    to the bound when clip_first), or a (min, max) pair inside the bound."""
    if is_number(v):
        if v < 0:
            raise ValueError(f"[{op}] if {what} is a single number, it must be non negative, got {v}")
        lo, hi = center - v, center + v
        if clip_first:
            lo = max(lo, 0.0)
    elif isinstance(v, (list, tuple)) and len(v) == 2 and all(is_number(i) for i in v):
        lo, hi = float(v[0]), float(v[1])
    else:
        raise TypeError(f"[{op}] {what} should be a single number or a list/tuple with length 2, got {v!r}")
    if not bound[0] <= lo <= hi <= bound[1]:
        raise ValueError(f"[{op}] {what} values should be between {list(bound)} with min <= max, got {[lo, hi]}")
    return float(lo), float(hi)


def fill_tensor(fill, channels, like, op):
    """fill (number or one value per channel) as a (1, C, 1, 1) tensor."""
    if fill is None:
        fill = 0.0
    vals = [float(fill)] if is_number(fill) else list(fill) if isinstance(fill, (list, tuple)) else None
    if vals is None or not all(is_number(v) for v in vals) or len(vals) not in (1, channels):
        raise TypeError(f"[{op}] fill must be a number or a sequence of {channels} numbers, got {fill!r}")
    t = ember.tensor([float(v) for v in vals], dtype=like.dtype if like.is_floating_point() else ember.float32,
                     device=like.device)
    return t.reshape(1, -1, 1, 1)
