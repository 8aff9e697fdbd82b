"""Geometric image ops (torchvision.transforms.v2.functional's names): flips, crops,
padding, resizing, rotation and affine warps, erasing.

Flips / crops / padding are ember view and index ops (any dtype). Resizing runs
ember's F.interpolate; rotation and affine build torchvision's inverse affine matrix
and warp through F.grid_sample (ember's C++ kernel) on a pixel-space grid. uint8
images are computed in float32 and rounded back.
"""
import math

import ember
import ember.nn.functional as F

from ._image import (as_batch, check_image, fill_tensor, from_float, is_int, is_number, pair, restore, to_float)

__all__ = ["InterpolationMode", "hflip", "vflip", "crop", "center_crop", "pad", "resize", "resized_crop",
           "rotate", "affine", "erase"]


class InterpolationMode:
    """torchvision's interpolation names (strings, so 'bilinear' works too)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


_RESIZE_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")
_WARP_MODES = ("nearest", "bilinear")


def _mode(interpolation, op, allowed):
    m = getattr(interpolation, "value", interpolation)
    if m not in allowed:
        raise ValueError(f"[{op}] interpolation must be one of {list(allowed)}, got {interpolation!r}")
    return m


def hflip(img):
    check_image(img, "hflip")
    return img.flip(-1)


def vflip(img):
    check_image(img, "vflip")
    return img.flip(-2)


def crop(img, top, left, height, width):
    """img[..., top:top+height, left:left+width]; the parts outside the image are zero
    padded (torchvision's crop)."""
    check_image(img, "crop")
    for name, v in (("top", top), ("left", left), ("height", height), ("width", width)):
        if not is_int(v):
            raise TypeError(f"[crop] {name} must be an int, got {v!r}")
    if height < 0 or width < 0:
        raise ValueError(f"[crop] height and width must be non-negative, got {(height, width)}")
    h, w = img.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pads = [max(-left, 0), max(right - w, 0), max(-top, 0), max(bottom - h, 0)]
        t0, l0 = max(top, 0), max(left, 0)
        inner = img[..., t0:max(min(bottom, h), t0), l0:max(min(right, w), l0)]
        return F.pad(inner, pads, value=0)
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    check_image(img, "center_crop")
    ch, cw = pair(output_size, "center_crop", "output_size")
    h, w = img.shape[-2:]
    if ch > h or cw > w:
        pads = [(cw - w) // 2 if cw > w else 0, (cw - w + 1) // 2 if cw > w else 0,
                (ch - h) // 2 if ch > h else 0, (ch - h + 1) // 2 if ch > h else 0]
        img = F.pad(img, pads, value=0)
        h, w = img.shape[-2:]
        if ch == h and cw == w:
            return img
    top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
    return img[..., top:top + ch, left:left + cw]


def _pad_index(n, lo, hi, mode, device=None):
    """Source index along one dim for each padded position (edge / reflect / symmetric),
    computed with ember ops (a huge pad fails in arange's allocation check)."""
    i = ember.arange(-lo, n + hi, dtype=ember.int64, device=device)
    if mode == "edge":
        return i.clamp(0, n - 1)
    if mode == "reflect":
        if n == 1:
            return ember.zeros_like(i)
        period = 2 * (n - 1)
        j = ember.remainder(i, period)
        return ember.where(j >= n, period - j, j)
    period = 2 * n  # symmetric
    j = ember.remainder(i, period)
    return ember.where(j >= n, period - 1 - j, j)


def _padding4(padding, op):
    """[left, top, right, bottom] from an int or a 1-, 2- or 4-sequence."""
    if is_int(padding):
        p = [int(padding)] * 4
    elif isinstance(padding, (list, tuple)) and len(padding) in (1, 2, 4) and all(is_int(v) for v in padding):
        p = list(padding)
        p = p * 4 if len(p) == 1 else [p[0], p[1], p[0], p[1]] if len(p) == 2 else p
    else:
        raise TypeError(f"[{op}] padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")
    return [int(v) for v in p]


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pads (left, top, right, bottom); modes constant (fill), edge, reflect, symmetric."""
    check_image(img, "pad")
    left, top, right, bottom = _padding4(padding, "pad")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"[pad] padding_mode should be 'constant', 'edge', 'reflect' or 'symmetric', "
                         f"got {padding_mode!r}")
    if padding_mode == "constant":
        if fill is None:
            fill = 0
        if is_number(fill):
            return F.pad(img, [left, right, top, bottom], value=float(fill))
        # per-channel fill: pad with zeros, then blend the fill in through a mask
        out = F.pad(img, [left, right, top, bottom], value=0.0)
        mask = F.pad(ember.ones(*img.shape[-2:], dtype=ember.float32, device=img.device), [left, right, top, bottom],
                     value=0.0)
        x, lead = as_batch(to_float(out))
        ft = fill_tensor(fill, x.shape[1], x, "pad")
        x = x * mask + ft * (1.0 - mask)
        return from_float(restore(x, lead), img.dtype)
    if min(left, top, right, bottom) < 0:
        raise ValueError(f"[pad] negative padding is only supported with padding_mode='constant', "
                         f"got {[left, top, right, bottom]}")
    h, w = img.shape[-2:]
    if padding_mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(f"[pad] reflect padding must be smaller than the image size {(h, w)}, "
                         f"got {[left, top, right, bottom]}")
    out = img.index_select(-1, _pad_index(w, left, right, padding_mode, img.device))
    return out.index_select(-2, _pad_index(h, top, bottom, padding_mode, img.device))


def _resize_size(size, h, w, max_size, op):
    if is_int(size) or (isinstance(size, (list, tuple)) and len(size) == 1):
        s = int(size if is_int(size) else size[0])
        if s <= 0:
            raise ValueError(f"[{op}] size must be positive, got {size!r}")
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        if max_size is not None:
            if max_size <= s:
                raise ValueError(f"[{op}] max_size = {max_size} must be strictly greater than the requested size "
                                 f"for the smaller edge size = {s}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if size is None and max_size is not None:
        scale = max_size / max(h, w)
        return max(1, int(h * scale)), max(1, int(w * scale))
    if max_size is not None:
        raise ValueError(f"[{op}] max_size should only be passed if size is an int or a sequence of length 1")
    return pair(size, op, "size")


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resizes to size (h, w), or the smaller edge to an int size keeping the aspect ratio."""
    check_image(img, "resize")
    mode = _mode(interpolation, "resize", _RESIZE_MODES)
    h, w = img.shape[-2:]
    oh, ow = _resize_size(size, h, w, max_size, "resize")
    if (oh, ow) == (h, w):
        return img
    x, lead = as_batch(to_float(img))
    kw = {"align_corners": False, "antialias": bool(antialias)} if mode in ("bilinear", "bicubic") else {}
    y = F.interpolate(x, size=[oh, ow], mode=mode, **kw)
    # uint8 comes back rounded and clamped to [0, 255]; floats are not clamped (as torchvision)
    return from_float(restore(y, lead), img.dtype)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """torchvision's _get_inverse_affine_matrix: the output-to-input map
    C * (R S Sh)^-1 * C^-1 * T^-1 as a row-major 2x3 list."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _expanded_size(m, w, h):
    """The (w, h) that holds the whole rotated image (PIL's rule, as torchvision)."""
    hw, hh = 0.5 * w, 0.5 * h
    pts = [(-hw, -hh), (-hw, hh), (hw, hh), (hw, -hh)]
    xs = [m[0] * x + m[1] * y + m[2] for x, y in pts]
    ys = [m[3] * x + m[4] * y + m[5] for x, y in pts]
    # Truncated to 1e-4 (after rounding off float64 noise) so that 15 + 1e-15 does
    # not ceil to 16, nor 2 - 1e-15 floor to 1; dividing by 1e4 keeps whole results exact.
    inv_tol = 1e4

    def cut(v):
        return math.trunc(round(v, 9) * inv_tol) / inv_tol

    def cmax(v):
        return math.ceil(cut(v))

    def cmin(v):
        return math.floor(cut(v))
    return int(cmax(max(xs) + hw) - cmin(min(xs) + hw)), int(cmax(max(ys) + hh) - cmin(min(ys) + hh))


def _warp(img, m, ow, oh, mode, fill, op):
    """Samples img at the inverse-mapped pixel centres of an (oh, ow) output: the grid is
    torchvision's _affine_grid (pixel coordinates about the centre, normalised by the
    input size) and grid_sample runs with zeros padding and align_corners=False."""
    x, lead = as_batch(to_float(img))
    n, c, h, w = x.shape
    dt, dev = x.dtype, x.device  # the grid is built on the image's device
    xs = ember.linspace((1.0 - ow) * 0.5, (ow - 1.0) * 0.5, ow, dtype=dt, device=dev)
    ys = ember.linspace((1.0 - oh) * 0.5, (oh - 1.0) * 0.5, oh, dtype=dt, device=dev)
    base = ember.stack([xs.reshape(1, ow).expand(oh, ow), ys.reshape(oh, 1).expand(oh, ow),
                        ember.ones(oh, ow, dtype=dt, device=dev)], dim=-1).reshape(oh * ow, 3)
    theta = ember.tensor([[m[0], m[1], m[2]], [m[3], m[4], m[5]]], dtype=dt, device=dev)
    theta = theta.transpose(0, 1) / ember.tensor([0.5 * w, 0.5 * h], dtype=dt, device=dev)
    grid = ember.matmul(base, theta).reshape(1, oh, ow, 2).expand(n, oh, ow, 2)
    if fill is not None:
        x = ember.cat([x, ember.ones(n, 1, h, w, dtype=dt, device=dev)], dim=1)
    y = F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        y, mask = y[:, :c], y[:, c:]
        ft = fill_tensor(fill, c, y, op).to(dt)
        if mode == "nearest":
            y = ember.where(mask < 0.5, ft.expand(*y.shape), y)
        else:
            y = (y - ft) * mask + ft
    return from_float(restore(y, lead), img.dtype)


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotates by ``angle`` degrees counter-clockwise about ``center`` (pixel (x, y);
    default the image centre)."""
    check_image(img, "rotate")
    if not is_number(angle):
        raise TypeError(f"[rotate] angle must be a number, got {angle!r}")
    mode = _mode(interpolation, "rotate", _WARP_MODES)
    h, w = img.shape[-2:]
    cf = [0.0, 0.0] if center is None else [float(center[0]) - w * 0.5, float(center[1]) - h * 0.5]
    m = _inverse_affine_matrix(cf, -float(angle), [0.0, 0.0], 1.0, [0.0, 0.0])
    ow, oh = _expanded_size(m, w, h) if expand else (w, h)
    return _warp(img, m, ow, oh, mode, fill, "rotate")


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotation (degrees), translation (pixels), scale and shear (degrees, x or (x, y))
    about ``center``, keeping the image size."""
    check_image(img, "affine")
    if not is_number(angle):
        raise TypeError(f"[affine] angle must be a number, got {angle!r}")
    if not (isinstance(translate, (list, tuple)) and len(translate) == 2 and all(is_number(t) for t in translate)):
        raise TypeError(f"[affine] translate must be a sequence of 2 numbers, got {translate!r}")
    if not is_number(scale) or scale <= 0:
        raise ValueError(f"[affine] scale must be a positive number, got {scale!r}")
    if is_number(shear):
        shear = [float(shear), 0.0]
    elif isinstance(shear, (list, tuple)) and len(shear) in (1, 2) and all(is_number(s) for s in shear):
        shear = [float(shear[0]), 0.0] if len(shear) == 1 else [float(shear[0]), float(shear[1])]
    else:
        raise TypeError(f"[affine] shear must be a number or a sequence of 1 or 2 numbers, got {shear!r}")
    mode = _mode(interpolation, "affine", _WARP_MODES)
    h, w = img.shape[-2:]
    cf = [0.0, 0.0] if center is None else [float(center[0]) - w * 0.5, float(center[1]) - h * 0.5]
    m = _inverse_affine_matrix(cf, float(angle), [float(t) for t in translate], float(scale), shear)
    return _warp(img, m, w, h, mode, fill, "affine")


def erase(img, i, j, h, w, v, inplace=False):
    """img[..., i:i+h, j:j+w] = v (v broadcasts to (..., C, h, w))."""
    check_image(img, "erase")
    out = img if inplace else img.clone()
    if not isinstance(v, ember.Tensor):
        v = ember.tensor(v)
    out[..., i:i + h, j:j + w] = v.to(device=out.device, dtype=out.dtype)
    return out
