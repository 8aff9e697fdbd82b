"""Photometric image ops (torchvision.transforms.v2.functional's names): dtype
conversion, normalisation, grayscale, brightness / contrast / saturation / hue,
Gaussian blur and Gaussian noise, all composed from ember tensor ops.

Hue works in HSV: rgb_to_hsv / hsv_to_rgb follow torchvision's branch-free
formulation (Pillow's algorithm) with ember's elementwise, reduction and where ops.
Gaussian blur is separable: a (1, kx) then a (ky, 1) depthwise conv2d (ember's conv
kernels) on a reflect-padded image.
"""

import ember
import ember.nn.functional as F

from ._image import (as_batch, check_float_image, check_image, from_float, is_int, is_number, max_value, restore,
                     to_float)

__all__ = ["to_dtype", "convert_image_dtype", "normalize", "rgb_to_grayscale", "adjust_brightness",
           "adjust_contrast", "adjust_saturation", "adjust_hue", "rgb_to_hsv", "hsv_to_rgb", "gaussian_blur",
           "gaussian_noise"]


def _check_out_dtype(dtype, op):
    if not isinstance(dtype, ember.dtype) or not (dtype.is_floating_point or dtype == ember.uint8):
        raise TypeError(f"[{op}] expected a floating point dtype or ember.uint8, got {dtype!r}")


def to_dtype(img, dtype=ember.float32, scale=False):
    """Casts an image; with scale, uint8 [0, 255] <-> float [0, 1] (torchvision's rule:
    float -> uint8 multiplies by 255 + 1 - 1e-3 and truncates)."""
    check_image(img, "to_dtype", min_dims=1)
    _check_out_dtype(dtype, "to_dtype")
    if img.dtype == dtype:
        return img
    if not scale:
        if dtype == ember.uint8:
            return img.clamp(0.0, 255.0).to(dtype)
        return img.to(dtype)
    if img.is_floating_point():
        if dtype.is_floating_point:
            return img.to(dtype)
        return (img * (255.0 + 1.0 - 1e-3)).clamp(0.0, 255.0).to(dtype)
    return img.to(dtype) * (1.0 / 255.0)


def convert_image_dtype(image, dtype=ember.float32):
    return to_dtype(image, dtype, scale=True)


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean[c]) / std[c] per channel of a float (..., C, H, W) image."""
    check_image(tensor, "normalize")
    if not tensor.is_floating_point():
        raise TypeError(f"[normalize] input tensor should be a float tensor, got {tensor.dtype}")
    c = tensor.shape[-3]
    mean = [float(mean)] if is_number(mean) else list(mean)
    std = [float(std)] if is_number(std) else list(std)
    if len(mean) not in (1, c) or len(std) not in (1, c):
        raise ValueError(f"[normalize] expected mean and std of 1 or {c} values (the channels), got {len(mean)} "
                         f"and {len(std)}")
    if any(float(s) == 0.0 for s in std):
        raise ValueError(f"[normalize] std evaluated to zero, leading to division by zero: std={std}")
    m = ember.tensor([float(v) for v in mean], dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    s = ember.tensor([float(v) for v in std], dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    if inplace:
        return tensor.sub_(m).div_(s)
    return (tensor - m) / s


def _check_rgb(img, op, allow_gray=True):
    c = img.shape[-3]
    if c != 3 and not (allow_gray and c == 1):
        raise ValueError(f"[{op}] expected an image with 3 (RGB){' or 1' if allow_gray else ''} channels, "
                         f"got shape {tuple(img.shape)}")
    return c


def _gray(x):
    # luma of float RGB (..., 3, H, W) -> (..., 1, H, W)
    return (x[..., 0:1, :, :] * 0.2989 + x[..., 1:2, :, :] * 0.587 + x[..., 2:3, :, :] * 0.114)


def rgb_to_grayscale(img, num_output_channels=1):
    check_image(img, "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError(f"[rgb_to_grayscale] num_output_channels must be 1 or 3, got {num_output_channels!r}")
    c = _check_rgb(img, "rgb_to_grayscale")
    if c == 1:
        g = img
    else:
        g = from_float(_gray(to_float(img)), img.dtype)
    if num_output_channels == 3:
        g = g.expand(*g.shape[:-3], 3, *g.shape[-2:]).clone()
    return g


def _blend(img, other, ratio):
    bound = max_value(img.dtype)
    x = to_float(img)
    out = (x * ratio + other * (1.0 - ratio)).clamp(0.0, bound)
    # torchvision truncates (not rounds) when blending uint8
    return out if img.is_floating_point() else out.to(img.dtype)


def _check_factor(f, op, what):
    if not is_number(f) or f < 0:
        raise ValueError(f"[{op}] {what} must be a non-negative number, got {f!r}")
    return float(f)


def adjust_brightness(img, brightness_factor):
    check_image(img, "adjust_brightness")
    f = _check_factor(brightness_factor, "adjust_brightness", "brightness_factor")
    return _blend(img, 0.0, f)


def adjust_saturation(img, saturation_factor):
    check_image(img, "adjust_saturation")
    f = _check_factor(saturation_factor, "adjust_saturation", "saturation_factor")
    if _check_rgb(img, "adjust_saturation") == 1:
        return img
    gray = _gray(to_float(img))
    if not img.is_floating_point():
        gray = gray.round()
    return _blend(img, gray, f)


def adjust_contrast(img, contrast_factor):
    check_image(img, "adjust_contrast")
    f = _check_factor(contrast_factor, "adjust_contrast", "contrast_factor")
    c = _check_rgb(img, "adjust_contrast")
    x = to_float(img)
    gray = _gray(x) if c == 3 else x
    if not img.is_floating_point():
        gray = gray.round()
    mean = gray.mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, f)


def rgb_to_hsv(img):
    """Float RGB (..., 3, H, W) in [0, 1] -> HSV with h in [0, 1)."""
    check_float_image(img, "rgb_to_hsv")
    _check_rgb(img, "rgb_to_hsv", allow_gray=False)
    r, g = img[..., 0, :, :], img[..., 1, :, :]
    maxc, minc = img.amax(dim=-3), img.amin(dim=-3)
    eqc = maxc == minc
    rng = maxc - minc
    ones = ember.ones_like(maxc)
    # where max == min, h and s are 0: the denominators become 1 instead of 0
    s = rng / ember.where(eqc, ones, maxc)
    div = ember.where(eqc, ones, rng).unsqueeze(-3)
    dist = (maxc.unsqueeze(-3) - img) / div
    rc, gc, bc = dist[..., 0, :, :], dist[..., 1, :, :], dist[..., 2, :, :]
    not_r = maxc != r
    is_g = maxc == g
    hr = (bc - gc) * (~not_r).to(img.dtype)
    hg = (rc + 2.0 - bc) * (is_g & not_r).to(img.dtype)
    hb = (gc + 4.0 - rc) * (not_r & ~is_g).to(img.dtype)
    h = ember.remainder((hr + hg + hb) * (1.0 / 6.0) + 1.0, 1.0)
    return ember.stack([h, s, maxc], dim=-3)


def hsv_to_rgb(img):
    """HSV (..., 3, H, W) -> float RGB, the inverse of rgb_to_hsv."""
    check_float_image(img, "hsv_to_rgb")
    _check_rgb(img, "hsv_to_rgb", allow_gray=False)
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    h6 = h * 6.0
    i = ember.floor(h6)
    f = h6 - i
    sv = s * v
    p = (v - sv).clamp(0.0, 1.0)
    q = (v - sv * f).clamp(0.0, 1.0)
    t = (v - sv * (1.0 - f)).clamp(0.0, 1.0)
    sector = ember.remainder(i, 6.0).unsqueeze(-3)  # (..., 1, H, W)
    mask = (sector == ember.arange(6, dtype=img.dtype, device=img.device).reshape(6, 1, 1)).to(img.dtype)  # (..., 6, H, W)
    r = ember.stack([v, q, p, p, t, v], dim=-3)
    g = ember.stack([t, v, v, q, p, p], dim=-3)
    b = ember.stack([p, p, t, v, v, q], dim=-3)
    return ember.stack([(r * mask).sum(dim=-3), (g * mask).sum(dim=-3), (b * mask).sum(dim=-3)], dim=-3)


def adjust_hue(img, hue_factor):
    """Rotates the hue by hue_factor (in turns, [-0.5, 0.5])."""
    check_image(img, "adjust_hue")
    if not is_number(hue_factor) or not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"[adjust_hue] hue_factor must be in [-0.5, 0.5], got {hue_factor!r}")
    if _check_rgb(img, "adjust_hue") == 1:
        return img
    x = to_dtype(img, ember.float32, scale=True) if not img.is_floating_point() else img
    hsv = rgb_to_hsv(x)
    h = ember.remainder(hsv[..., 0, :, :] + float(hue_factor), 1.0)
    rgb = hsv_to_rgb(ember.stack([h, hsv[..., 1, :, :], hsv[..., 2, :, :]], dim=-3))
    return to_dtype(rgb, img.dtype, scale=True) if not img.is_floating_point() else rgb


def _kernel1d(size, sigma, dtype, device=None):
    half = (size - 1) * 0.5
    x = ember.linspace(-half, half, size, dtype=dtype, device=device)
    pdf = ember.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Blurs with a (ky, kx) Gaussian; kernel_size and sigma are (x, y) as torchvision."""
    check_image(img, "gaussian_blur")
    ks = [kernel_size, kernel_size] if is_int(kernel_size) else list(kernel_size) \
        if isinstance(kernel_size, (list, tuple)) else None
    if ks is None or len(ks) not in (1, 2) or not all(is_int(k) for k in ks):
        raise TypeError(f"[gaussian_blur] kernel_size must be an int or a sequence of 1 or 2 ints, got "
                        f"{kernel_size!r}")
    ks = ks * 2 if len(ks) == 1 else ks
    if any(k <= 0 or k % 2 == 0 for k in ks):
        raise ValueError(f"[gaussian_blur] kernel_size values should be odd and positive, got {kernel_size!r}")
    if sigma is None:
        sig = [k * 0.15 + 0.35 for k in ks]
    elif is_number(sigma):
        sig = [float(sigma)] * 2
    elif isinstance(sigma, (list, tuple)) and len(sigma) in (1, 2) and all(is_number(s) for s in sigma):
        sig = [float(sigma[0])] * 2 if len(sigma) == 1 else [float(s) for s in sigma]
    else:
        raise TypeError(f"[gaussian_blur] sigma should be a number or a sequence of 1 or 2 numbers, got {sigma!r}")
    if any(s <= 0 for s in sig):
        raise ValueError(f"[gaussian_blur] sigma values should be positive, got {sigma!r}")
    x, lead = as_batch(to_float(img))
    n, c, h, w = x.shape
    kx, ky = ks
    if kx // 2 >= w or ky // 2 >= h:
        raise ValueError(f"[gaussian_blur] kernel_size {tuple(ks)} (x, y) needs an image of at least "
                         f"{(ky // 2 + 1, kx // 2 + 1)} (H, W) for reflect padding, got {(h, w)}")
    dt = x.dtype
    wx = _kernel1d(kx, sig[0], dt, x.device).reshape(1, 1, 1, kx).expand(c, 1, 1, kx).contiguous()
    wy = _kernel1d(ky, sig[1], dt, x.device).reshape(1, 1, ky, 1).expand(c, 1, ky, 1).contiguous()
    x = F.pad(x, [kx // 2, kx // 2, ky // 2, ky // 2], mode="reflect")
    x = F.conv2d(x, wx, groups=c)
    x = F.conv2d(x, wy, groups=c)
    return from_float(restore(x, lead), img.dtype)


def gaussian_noise(img, mean=0.0, sigma=0.1, clip=True, generator=None):
    """img + N(mean, sigma^2) noise drawn from ember's RNG, clamped to [0, 1] when clip."""
    check_float_image(img, "gaussian_noise", min_dims=1)
    if not is_number(sigma) or sigma < 0:
        raise ValueError(f"[gaussian_noise] sigma shouldn't be negative, got {sigma!r}")
    if not is_number(mean):
        raise TypeError(f"[gaussian_noise] mean must be a number, got {mean!r}")
    noise = ember.randn(*img.shape, generator=generator, dtype=img.dtype, device=img.device) * float(sigma) + float(mean)
    out = img + noise
    return out.clamp(0.0, 1.0) if clip else out
