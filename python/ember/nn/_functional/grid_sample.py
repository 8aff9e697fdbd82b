"""Spatial transformers (torch.nn.functional's names and arguments): grid_sample and
affine_grid.

grid_sample runs the C++ kernels of csrc/ops/grid_sample (forward, and one backward
kernel that gives the input and the grid gradients); it takes 4-D input (N, C, H, W)
with a (N, H_out, W_out, 2) grid, or 5-D input (N, C, D, H, W) with a
(N, D_out, H_out, W_out, 3) grid ('bilinear' is then trilinear; no bicubic). The
backward is once differentiable: differentiating it again raises (torch's
grid_sampler backward has no derivative either). affine_grid is composed from
ember ops: a base grid of normalised pixel centres times theta transposed (a
batched matmul), so its gradient wrt theta comes from the matmul's backward.
"""
import numbers
import warnings

import ember

from ... import _C
from ...autograd.function import DelayedError, Function
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import _wrap
from ..functional import _check
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["grid_sample", "affine_grid"]

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_ONCE_MSG = "[grid_sample] the backward of grid_sample is not differentiable: trying to differentiate twice"


class _GridSample(Function):
    @staticmethod
    def forward(ctx, input, grid, mode, padding, align_corners):
        ctx.save_for_backward(input, grid)
        ctx.args = (mode, padding, align_corners)
        return _wrap(_C.grid_sample(input._a, grid._a, mode, padding, align_corners))

    @staticmethod
    def backward(ctx, g):
        input, grid = ctx.saved_tensors
        need_x, need_grid = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        gx, gg = _C.grid_sample_backward(g._a, input._a, grid._a, *ctx.args, need_x, need_grid)
        grads = [_wrap(a) if a is not None else None for a in (gx, gg)]
        if is_grad_enabled():
            # create_graph: the kernel's results get a node that raises when
            # differentiated (once differentiable, like torch's grid_sampler backward)
            live = [i for i, t in enumerate(grads) if t is not None]
            if live:
                out = DelayedError.apply(_ONCE_MSG, *[_wrap(grads[i]._a, True) for i in live])
                out = out if isinstance(out, tuple) else (out,)
                for i, t in zip(live, out):
                    grads[i] = t
        return grads[0], grads[1], None, None, None


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples ``input`` (N, C, H, W) at the normalised (x, y) locations of ``grid``
    (N, H_out, W_out, 2); returns (N, C, H_out, W_out) (5-D: (x, y, z) locations,
    (N, C, D_out, H_out, W_out)). (-1, -1) is the top-left corner pixel's corner
    (align_corners=False) or centre (align_corners=True)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("grid_sample", grid_sample, input, grid, mode, padding_mode, align_corners)
    _check(input, "grid_sample")
    _check(grid, "grid_sample")
    if mode not in _MODES:
        raise ValueError(f"[grid_sample] expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: {mode!r}")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"[grid_sample] expected padding_mode to be 'zeros', 'border', or 'reflection', "
                         f"but got: {padding_mode!r}")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.")
        align_corners = False
    if input.device != grid.device:
        raise RuntimeError(f"[grid_sample] expected input and grid on one device, got {input.device} and "
                           f"{grid.device}")
    return _GridSample.apply(input, grid, _MODES[mode], _PADDINGS[padding_mode], bool(align_corners))


def _base_coords(steps, align_corners, like):
    # Normalised pixel centres in [-1, 1]; one pixel maps to 0, as torch.
    if steps <= 1:
        return ember.zeros(max(steps, 1), dtype=like.dtype, device=like.device)
    c = ember.linspace(-1.0, 1.0, steps, dtype=like.dtype, device=like.device)
    return c if align_corners else c * ((steps - 1) / steps)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps: theta (N, 2, 3) with size (N, C, H, W)
    gives (N, H, W, 2); theta (N, 3, 4) with size (N, C, D, H, W) gives (N, D, H, W, 3)."""
    _check(theta, "affine_grid")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.")
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"[affine_grid] expected theta to have floating point type, but got {theta.dtype}")
    size = list(size) if isinstance(size, (list, tuple)) or hasattr(size, "__iter__") else size
    if not isinstance(size, list) or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                                             for s in size):
        raise TypeError(f"[affine_grid] expected size to be a list of ints, got {size!r}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"[affine_grid] expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {list(theta.shape)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"[affine_grid] expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {list(theta.shape)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"[affine_grid] only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if min(spatial) <= 0:
        raise ValueError(f"[affine_grid] expected non-zero, positive output size. Got {size}")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.")
    if size[0] != theta.shape[0]:
        raise RuntimeError(f"[affine_grid] expected theta's batch size {theta.shape[0]} to equal size[0] = {size[0]}")
    axes = [_base_coords(s, align_corners, theta) for s in reversed(spatial)]  # x (W), y (H)[, z (D)]
    shape = list(spatial)
    k = len(spatial)
    cols = []
    for i, a in enumerate(axes):
        view = [1] * k
        view[k - 1 - i] = shape[k - 1 - i]
        cols.append(a.reshape(view).expand(*shape))
    cols.append(ember.ones(*shape, dtype=theta.dtype, device=theta.device))
    base = ember.stack(cols, dim=-1).reshape(1, -1, k + 1)  # (1, prod(spatial), k + 1)
    grid = ember.matmul(base, theta.transpose(1, 2))  # (N, prod(spatial), k)
    return grid.reshape(size[0], *spatial, k)
