"""Resampling (torch.nn.functional's names and arguments): interpolate and its
deprecated aliases (upsample, upsample_nearest, upsample_bilinear), pixel_shuffle and
pixel_unshuffle.

interpolate runs C++ kernels (csrc/ops/pool/interpolate.cpp) forward and backward with
torch's output-size and coordinate rules; 'area' is adaptive average pooling. Every mode
is linear in the input, so the backward's own gradient is the forward again: both are
Functions and interpolate is differentiable to any order. pixel_shuffle and
pixel_unshuffle are a reshape / permute / reshape of ember's view ops.
"""
import math
import numbers
import warnings

from ... import _C
from ...autograd.function import Function
from ...tensor import _wrap, needs_grad
from ..functional import _check
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle"]

_MODE_CODE = {"nearest": 0, "nearest-exact": 1, "linear": 2, "bilinear": 2, "trilinear": 2, "bicubic": 3, "area": 4}
# The input rank (batch and channel dims included) each mode takes.
_MODE_RANKS = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "area": (3, 4, 5), "linear": (3,),
               "bilinear": (4,), "bicubic": (4,), "trilinear": (5,)}


class _Interpolate(Function):
    @staticmethod
    def forward(ctx, x, size, args):
        ctx.shape, ctx.size, ctx.args = tuple(x._a.shape), size, args
        return _wrap(_C.interpolate(x._a, size, *args))

    @staticmethod
    def backward(ctx, g):
        return _InterpolateBack.apply(g, ctx.shape, ctx.size, ctx.args), None, None


class _InterpolateBack(Function):
    """The input grad of interpolate (the adjoint); its gradient is interpolate again."""

    @staticmethod
    def forward(ctx, g, shape, size, args):
        ctx.size, ctx.args = size, args
        return _wrap(_C.interpolate_backward(g._a, list(shape), *args))

    @staticmethod
    def backward(ctx, gg):
        return _Interpolate.apply(gg, ctx.size, ctx.args), None, None, None


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resizes (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or by ``scale_factor``.

    Modes: nearest, nearest-exact, linear (3-D), bilinear / bicubic (4-D), trilinear (5-D),
    area. With scale_factor (and recompute_scale_factor not True) the output size is
    floor(in * scale) and the source coordinate uses 1 / scale, as torch.
    """
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        # CUDA runs torch's upsample_* kernels in float32; mode "area" is adaptive_avg_pool (not listed).
        return _amp_run("interpolate" if mode != "area" else "interpolate_area", interpolate, input, size,
                        scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    _check(input, "interpolate")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(input.shape[2:])} and output size of {size}. Please provide input tensor "
                    "in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(_is_int(v) for v in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
            output_size = [int(v) for v in size]
        else:
            if not _is_int(size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size of type {type(size)}")
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {scale_factor}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                    "(s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [math.trunc(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                         "as input")
    ranks = _MODE_RANKS.get(mode)
    if ranks is None or input.dim() not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})")
    if input.dim() not in ranks:
        need = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}[mode]
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D input")
    if output_size is None:
        # torch's compute_output_size: the product in double, truncated.
        output_size = [math.trunc(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
    if any(not -(1 << 63) <= s < (1 << 63) for s in output_size):  # never wrap: sizes go to C++ as int64
        raise RuntimeError(f"[interpolate] size overflow: output size {output_size} does not fit in int64")
    if mode == "area" and dim < 3:
        return (adaptive_avg_pool1d if dim == 1 else adaptive_avg_pool2d)(input, output_size)
    scales = [-1.0] * dim if scale_factors is None else scale_factors
    args = (_MODE_CODE[mode], bool(align_corners), scales, bool(antialias))
    if not needs_grad(input):
        return _wrap(_C.interpolate(input._a, output_size, *args))
    return _Interpolate.apply(input, output_size, args)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate (torch.nn.functional.upsample)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------- pixel shuffle
def _factor(value, name, op):
    if not _is_int(value):
        raise TypeError(f"[{op}] {name} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"[{op}] {op} expects a positive {name}, but got {value}")
    return int(value)


def pixel_shuffle(input, upscale_factor):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r): out[c, h*r + i, w*r + j] = in[c*r*r + i*r + j, h, w]."""
    op = "pixel_shuffle"
    _check(input, op)
    r = _factor(upscale_factor, "upscale_factor", op)
    shape = tuple(input.shape)
    if len(shape) < 3:
        raise RuntimeError(f"[{op}] pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(shape)} dimension(s)")
    c, h, w = shape[-3:]
    if c % (r * r) != 0:
        raise RuntimeError(f"[{op}] pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                           f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    batch = shape[:-3]
    nb = len(batch)
    oc = c // (r * r)
    x = input.reshape(batch + (oc, r, r, h, w))
    x = x.permute(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
    return x.reshape(batch + (oc, h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W), the inverse of pixel_shuffle."""
    op = "pixel_unshuffle"
    _check(input, op)
    r = _factor(downscale_factor, "downscale_factor", op)
    shape = tuple(input.shape)
    if len(shape) < 3:
        raise RuntimeError(f"[{op}] pixel_unshuffle expects input to have at least 3 dimensions, but got input "
                           f"with {len(shape)} dimension(s)")
    c, h, w = shape[-3:]
    if h % r != 0:
        raise RuntimeError(f"[{op}] pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r != 0:
        raise RuntimeError(f"[{op}] pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    batch = shape[:-3]
    nb = len(batch)
    oh, ow = h // r, w // r
    x = input.reshape(batch + (c, oh, r, ow, r))
    x = x.permute(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return x.reshape(batch + (c * r * r, oh, ow))
