"""F.unfold (im2col) and F.fold (col2im) as grouped convolutions with a one-hot
("identity tap") weight: output channel c*K + k of a conv with groups=C reads input
channel c at kernel tap k, which is exactly torch's unfold layout (channel-major, then
the kernel position row-major); fold is the adjoint, a transposed convolution with the
same weight, so overlapping windows add up. Both run ember's conv kernels, forward and
backward."""
import ember

from ..functional import _check
from .conv import conv2d, conv_transpose2d

__all__ = ["unfold", "fold"]


def _pair(v, name, op):
    t = (v, v) if isinstance(v, int) else tuple(v)
    if len(t) != 2 or not all(isinstance(i, int) for i in t):
        raise TypeError(f"[{op}] {name} must be an int or a pair of ints, got {v!r}")
    return t


def _identity_taps(channels, kh, kw, like):
    k = kh * kw
    eye = ember.eye(k, dtype=like.dtype, device=like.device).reshape(k, 1, kh, kw)
    return eye.repeat(channels, 1, 1, 1)  # (C*K, 1, kh, kw)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of (N, C, H, W) (or (C, H, W)) as columns: (N, C*kh*kw, L)."""
    _check(input, "unfold")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"[unfold] Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    kh, kw = _pair(kernel_size, "kernel_size", "unfold")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    c = x.shape[1]
    w = _identity_taps(c, kh, kw, x)
    y = conv2d(x, w, None, _pair(stride, "stride", "unfold"), _pair(padding, "padding", "unfold"),
               _pair(dilation, "dilation", "unfold"), groups=c)
    y = y.reshape(y.shape[0], c * kh * kw, -1)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums columns (N, C*kh*kw, L) (or (C*kh*kw, L)) back into (N, C, H, W): the adjoint of unfold."""
    _check(input, "fold")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"[fold] Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {input.ndim}D)")
    oh, ow = _pair(output_size, "output_size", "fold")
    kh, kw = _pair(kernel_size, "kernel_size", "fold")
    dh, dw = _pair(dilation, "dilation", "fold")
    ph, pw = _pair(padding, "padding", "fold")
    sh, sw = _pair(stride, "stride", "fold")
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    k = kh * kw
    if x.shape[1] % k:
        raise RuntimeError(f"[fold] Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={(kh, kw)}")
    c = x.shape[1] // k
    bh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    bw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if bh <= 0 or bw <= 0 or bh * bw != x.shape[2]:
        raise RuntimeError(f"[fold] Given output_size={(oh, ow)}, kernel_size={(kh, kw)}, dilation={(dh, dw)}, "
                           f"padding={(ph, pw)}, stride={(sh, sw)}, expected size of input's dimension 2 to match "
                           f"the calculated number of sliding blocks {bh} * {bw} = {bh * bw}, but got "
                           f"input.size(2)={x.shape[2]}.")
    cols = x.reshape(x.shape[0], c * k, bh, bw)
    # output_padding makes the transposed conv reach output_size when the stride leaves a remainder
    oph = oh + 2 * ph - ((bh - 1) * sh + dh * (kh - 1) + 1)
    opw = ow + 2 * pw - ((bw - 1) * sw + dw * (kw - 1) + 1)
    y = conv_transpose2d(cols, _identity_taps(c, kh, kw, x), None, (sh, sw), (ph, pw), (oph, opw), groups=c,
                         dilation=(dh, dw))
    return y.squeeze(0) if unbatched else y
