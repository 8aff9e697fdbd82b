"""Image transforms (torchvision.transforms.v2's names and arguments): conversion,
normalisation, resizing, crops, flips, rotation and affine warps, erasing.

Random parameters are drawn as torchvision draws them, from ember's RNG (or the
transform's ``generator``); the pixels are moved by the ops of _f_geometry /
_f_color (ember kernels).
"""
import math

import numpy as np

import ember

from . import _f_color as FC
from . import _f_geometry as FG
from . import _rng
from ._container import Transform
from ._f_geometry import InterpolationMode
from ._image import check_image, check_p, is_int, is_number, pair, range_arg

__all__ = ["ToTensor", "PILToTensor", "ToDtype", "ConvertImageDtype", "Normalize", "Resize", "CenterCrop", "Pad",
           "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation",
           "RandomAffine", "RandomErasing", "InterpolationMode"]


def _to_hwc_array(pic, op):
    if isinstance(pic, np.ndarray):
        arr = pic
    elif hasattr(pic, "getbands") and hasattr(pic, "size"):  # a PIL image
        arr = np.asarray(pic)
    else:
        raise TypeError(f"[{op}] pic should be a PIL Image or a NumPy ndarray, got {type(pic).__name__}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"[{op}] pic should be 2 or 3 dimensional (H, W[, C]), got {arr.ndim} dims")
    return arr


class ToTensor(Transform):
    """HWC uint8 (or float) NumPy / PIL image -> CHW float32 tensor (uint8 scaled to [0, 1])."""

    def forward(self, pic):
        arr = _to_hwc_array(pic, "ToTensor")
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8) * 255
        if arr.dtype == np.uint8:
            t = ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))).to(ember.float32) * (1.0 / 255.0)
            return t
        if arr.dtype.kind == "f":
            return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
        if arr.dtype.kind in "iu":
            return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1).astype(np.float32)))
        raise TypeError(f"[ToTensor] unsupported array dtype {arr.dtype}")


class PILToTensor(Transform):
    """HWC PIL / NumPy image -> CHW tensor of the same dtype (no scaling)."""

    def forward(self, pic):
        arr = _to_hwc_array(pic, "PILToTensor")
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8)
        return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


class ToDtype(Transform):
    def __init__(self, dtype, scale=False):
        FC._check_out_dtype(dtype, "ToDtype")
        self.dtype, self.scale = dtype, bool(scale)

    def forward(self, img):
        return FC.to_dtype(img, self.dtype, self.scale)

    def extra_repr(self):
        return f"dtype={self.dtype}, scale={self.scale}"


class ConvertImageDtype(Transform):
    """uint8 <-> float images with value scaling (torchvision's convert_image_dtype)."""

    def __init__(self, dtype):
        FC._check_out_dtype(dtype, "ConvertImageDtype")
        self.dtype = dtype

    def forward(self, img):
        return FC.to_dtype(img, self.dtype, scale=True)


class Normalize(Transform):
    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = list(mean), list(std), inplace
        if any(float(s) == 0.0 for s in self.std):
            raise ValueError(f"[Normalize] std evaluated to zero, leading to division by zero: std={self.std}")

    def forward(self, img):
        return FC.normalize(img, self.mean, self.std, self.inplace)

    def extra_repr(self):
        return f"mean={self.mean}, std={self.std}, inplace={self.inplace}"


def _check_size(size, op, allow_single=True):
    if is_int(size):
        if size <= 0:
            raise ValueError(f"[{op}] size must be positive, got {size}")
        return size
    if isinstance(size, (list, tuple)) and len(size) in ((1, 2) if allow_single else (2,)) and \
            all(is_int(s) for s in size):
        if min(size) <= 0:
            raise ValueError(f"[{op}] size values must be positive, got {size!r}")
        return list(size)
    raise TypeError(f"[{op}] size should be an int or a sequence of 1 or 2 ints, got {size!r}")


class Resize(Transform):
    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        self.size = None if size is None and max_size is not None else _check_size(size, "Resize")
        FG._mode(interpolation, "Resize", FG._RESIZE_MODES)
        self.interpolation, self.max_size, self.antialias = interpolation, max_size, antialias

    def forward(self, img):
        return FG.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def extra_repr(self):
        return f"size={self.size}, interpolation={self.interpolation}, max_size={self.max_size}, " \
               f"antialias={self.antialias}"


class CenterCrop(Transform):
    def __init__(self, size):
        self.size = pair(size, "CenterCrop", "size")

    def forward(self, img):
        return FG.center_crop(img, self.size)

    def extra_repr(self):
        return f"size={self.size}"


def _check_padding_mode(mode, op):
    if mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"[{op}] padding_mode should be 'constant', 'edge', 'reflect' or 'symmetric', got {mode!r}")
    return mode


class Pad(Transform):
    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = FG._padding4(padding, "Pad")
        self.fill, self.padding_mode = fill, _check_padding_mode(padding_mode, "Pad")

    def forward(self, img):
        return FG.pad(img, self.padding, self.fill, self.padding_mode)


class RandomCrop(Transform):
    """Crops a random (h, w) window, after optional padding (and padding up to the size
    when pad_if_needed)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant", *, generator=None):
        self.size = pair(size, "RandomCrop", "size")
        self.padding = None if padding is None else FG._padding4(padding, "RandomCrop")
        self.pad_if_needed, self.fill = bool(pad_if_needed), fill
        self.padding_mode = _check_padding_mode(padding_mode, "RandomCrop")
        self.generator = _rng.check_generator(generator, "RandomCrop")

    def forward(self, img):
        check_image(img, "RandomCrop")
        h, w = img.shape[-2:]
        left, top, right, bottom = self.padding if self.padding is not None else (0, 0, 0, 0)
        ph, pw = h + top + bottom, w + left + right
        ch, cw = self.size
        if self.pad_if_needed:
            if ph < ch:
                diff = ch - ph
                top, bottom, ph = top + diff, bottom + diff, ph + 2 * diff
            if pw < cw:
                diff = cw - pw
                left, right, pw = left + diff, right + diff, pw + 2 * diff
        if ph < ch or pw < cw:
            raise ValueError(f"[RandomCrop] required crop size {(ch, cw)} is larger than "
                             f"{'padded ' if self.padding is not None else ''}input image size {(ph, pw)}")
        if any((left, top, right, bottom)):
            img = FG.pad(img, [left, top, right, bottom], self.fill, self.padding_mode)
        i = _rng.randint(0, ph - ch + 1, self.generator)
        j = _rng.randint(0, pw - cw + 1, self.generator)
        return img[..., i:i + ch, j:j + cw]

    def extra_repr(self):
        return f"size={self.size}, padding={self.padding}, pad_if_needed={self.pad_if_needed}, " \
               f"padding_mode={self.padding_mode!r}"


def _check_scale_ratio(scale, ratio, op):
    for name, v in (("scale", scale), ("ratio", ratio)):
        if not (isinstance(v, (list, tuple)) and len(v) == 2 and all(is_number(x) for x in v)):
            raise TypeError(f"[{op}] {name} should be a sequence of 2 numbers, got {v!r}")
        if v[0] > v[1]:
            raise ValueError(f"[{op}] {name} should be of kind (min, max), got {v!r}")
    if scale[0] < 0:
        raise ValueError(f"[{op}] scale values must be non-negative, got {scale!r}")
    if ratio[0] <= 0:
        raise ValueError(f"[{op}] ratio values must be positive, got {ratio!r}")
    return (float(scale[0]), float(scale[1])), (float(ratio[0]), float(ratio[1]))


class RandomResizedCrop(Transform):
    """Crops a random area fraction in ``scale`` with aspect ratio in ``ratio`` (log-uniform),
    then resizes it to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True, *, generator=None):
        self.size = pair(size, "RandomResizedCrop", "size")
        self.scale, self.ratio = _check_scale_ratio(scale, ratio, "RandomResizedCrop")
        FG._mode(interpolation, "RandomResizedCrop", FG._RESIZE_MODES)
        self.interpolation, self.antialias = interpolation, antialias
        self.generator = _rng.check_generator(generator, "RandomResizedCrop")

    def get_params(self, height, width):
        area = height * width
        lr = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * _rng.uniform(self.scale[0], self.scale[1], self.generator)
            aspect = math.exp(_rng.uniform(lr[0], lr[1], self.generator))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                i = _rng.randint(0, height - h + 1, self.generator)
                j = _rng.randint(0, width - w + 1, self.generator)
                return i, j, h, w
        in_ratio = width / height
        if in_ratio < min(self.ratio):
            w = width
            h = int(round(w / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h = height
            w = int(round(h * max(self.ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        check_image(img, "RandomResizedCrop")
        i, j, h, w = self.get_params(*img.shape[-2:])
        return FG.resized_crop(img, i, j, h, w, list(self.size), self.interpolation, self.antialias)

    def extra_repr(self):
        return f"size={self.size}, scale={self.scale}, ratio={self.ratio}, interpolation={self.interpolation}"


class RandomHorizontalFlip(Transform):
    def __init__(self, p=0.5, *, generator=None):
        self.p = check_p(p, "RandomHorizontalFlip")
        self.generator = _rng.check_generator(generator, "RandomHorizontalFlip")

    def forward(self, img):
        check_image(img, "RandomHorizontalFlip")
        return FG.hflip(img) if _rng.coin(self.p, self.generator) else img

    def extra_repr(self):
        return f"p={self.p}"


class RandomVerticalFlip(Transform):
    def __init__(self, p=0.5, *, generator=None):
        self.p = check_p(p, "RandomVerticalFlip")
        self.generator = _rng.check_generator(generator, "RandomVerticalFlip")

    def forward(self, img):
        check_image(img, "RandomVerticalFlip")
        return FG.vflip(img) if _rng.coin(self.p, self.generator) else img

    def extra_repr(self):
        return f"p={self.p}"


def _degrees(degrees, op):
    return range_arg(degrees, op, "degrees", center=0.0, bound=(-float("inf"), float("inf")), clip_first=False)


def _check_center(center, op):
    if center is not None and not (isinstance(center, (list, tuple)) and len(center) == 2 and
                                   all(is_number(c) for c in center)):
        raise TypeError(f"[{op}] center should be a sequence of 2 numbers (x, y), got {center!r}")
    return center


class RandomRotation(Transform):
    """Rotates by an angle drawn uniformly from ``degrees`` ((-d, d) for a number)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0, *,
                 generator=None):
        self.degrees = _degrees(degrees, "RandomRotation")
        FG._mode(interpolation, "RandomRotation", FG._WARP_MODES)
        self.interpolation, self.expand = interpolation, bool(expand)
        self.center, self.fill = _check_center(center, "RandomRotation"), fill
        self.generator = _rng.check_generator(generator, "RandomRotation")

    def forward(self, img):
        check_image(img, "RandomRotation")
        angle = _rng.uniform(self.degrees[0], self.degrees[1], self.generator)
        return FG.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def extra_repr(self):
        return f"degrees={list(self.degrees)}, interpolation={self.interpolation}, expand={self.expand}"


class RandomAffine(Transform):
    """Random rotation, translation (fractions of the size), scale and shear."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation=InterpolationMode.NEAREST,
                 fill=0, center=None, *, generator=None):
        op = "RandomAffine"
        self.degrees = _degrees(degrees, op)
        if translate is not None:
            if not (isinstance(translate, (list, tuple)) and len(translate) == 2 and
                    all(is_number(t) for t in translate)):
                raise TypeError(f"[{op}] translate should be a sequence of 2 numbers, got {translate!r}")
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"[{op}] translation values should be between 0 and 1, got {translate!r}")
        if scale is not None:
            if not (isinstance(scale, (list, tuple)) and len(scale) == 2 and all(is_number(s) for s in scale)):
                raise TypeError(f"[{op}] scale should be a sequence of 2 numbers, got {scale!r}")
            if not all(s > 0 for s in scale) or scale[0] > scale[1]:
                raise ValueError(f"[{op}] scale values should be positive with min <= max, got {scale!r}")
        if shear is not None:
            if is_number(shear):
                shear = range_arg(shear, op, "shear", center=0.0, bound=(-float("inf"), float("inf")),
                                  clip_first=False)
            elif isinstance(shear, (list, tuple)) and len(shear) in (2, 4) and all(is_number(s) for s in shear):
                shear = [float(s) for s in shear]
            else:
                raise TypeError(f"[{op}] shear should be a number or a sequence of 2 or 4 numbers, got {shear!r}")
        FG._mode(interpolation, op, FG._WARP_MODES)
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation, self.fill, self.center = interpolation, fill, _check_center(center, op)
        self.generator = _rng.check_generator(generator, op)

    def get_params(self, height, width):
        g = self.generator
        angle = _rng.uniform(self.degrees[0], self.degrees[1], g)
        if self.translate is not None:
            mx, my = float(self.translate[0] * width), float(self.translate[1] * height)
            tx, ty = int(round(_rng.uniform(-mx, mx, g))), int(round(_rng.uniform(-my, my, g)))
        else:
            tx, ty = 0, 0
        scale = _rng.uniform(self.scale[0], self.scale[1], g) if self.scale is not None else 1.0
        sx = sy = 0.0
        if self.shear is not None:
            sx = _rng.uniform(self.shear[0], self.shear[1], g)
            if len(self.shear) == 4:
                sy = _rng.uniform(self.shear[2], self.shear[3], g)
        return angle, (tx, ty), scale, (sx, sy)

    def forward(self, img):
        check_image(img, "RandomAffine")
        angle, translate, scale, shear = self.get_params(*img.shape[-2:])
        return FG.affine(img, angle, list(translate), scale, list(shear), self.interpolation, self.fill, self.center)


class RandomErasing(Transform):
    """With probability p, overwrites a random rectangle (area fraction in ``scale``,
    aspect ratio in ``ratio``) by ``value`` (a number, one per channel, or 'random' for
    N(0, 1) noise)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False, *, generator=None):
        op = "RandomErasing"
        self.p = check_p(p, op)
        if not (is_number(value) or value == "random" or
                (isinstance(value, (list, tuple)) and all(is_number(v) for v in value))):
            raise TypeError(f"[{op}] value should be a number, a sequence of numbers or 'random', got {value!r}")
        self.scale, self.ratio = _check_scale_ratio(scale, ratio, op)
        if self.scale[1] > 1:
            raise ValueError(f"[{op}] scale should be between 0 and 1, got {scale!r}")
        self.value = None if value == "random" else ([float(value)] if is_number(value) else list(value))
        self.inplace = bool(inplace)
        self.generator = _rng.check_generator(generator, op)

    def get_params(self, img):
        c, h, w = img.shape[-3:]
        if self.value is not None and len(self.value) not in (1, c):
            raise ValueError(f"[RandomErasing] if value is a sequence, it should have either a single value or {c} "
                             f"(the number of input channels), got {len(self.value)}")
        area = h * w
        lr = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            erase_area = area * _rng.uniform(self.scale[0], self.scale[1], self.generator)
            aspect = math.exp(_rng.uniform(lr[0], lr[1], self.generator))
            eh = int(round(math.sqrt(erase_area * aspect)))
            ew = int(round(math.sqrt(erase_area / aspect)))
            if not (eh < h and ew < w):
                continue
            if self.value is None:
                v = ember.randn(c, eh, ew, generator=self.generator, dtype=ember.float32)
            else:
                v = ember.tensor(self.value, dtype=ember.float32).reshape(-1, 1, 1)
            i = _rng.randint(0, h - eh + 1, self.generator)
            j = _rng.randint(0, w - ew + 1, self.generator)
            return i, j, eh, ew, v
        return 0, 0, h, w, None

    def forward(self, img):
        check_image(img, "RandomErasing")
        if not _rng.coin(self.p, self.generator):
            return img
        i, j, h, w, v = self.get_params(img)
        if v is None:
            return img
        if not img.is_floating_point():
            v = v.round().clamp(0.0, 255.0)
        return FG.erase(img, i, j, h, w, v, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, inplace={self.inplace}"
