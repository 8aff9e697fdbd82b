"""Shape ops: views (reshape, view, permute, transpose, expand, squeeze, narrow, ...)
and copies that rearrange elements (cat, stack, split, flip, roll, repeat, tril/triu).

Views share storage with their input (they wrap _C.Array views). Their backward is
the inverse view, or for views that drop elements (narrow, select, slicing), the
gradient written into zeros at the viewed positions (``_embed``): both are built
from these same functions, so gradients are differentiable again.
"""
import numbers
import os

import numpy as np

from .. import _C
from ..autograd.function import Function
from ..tensor import Tensor, _wrap, needs_grad, register_methods, sum_to_shape

__all__ = [
    "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "swapdims",
    "t", "movedim", "moveaxis", "narrow", "select", "diagonal", "broadcast_to", "broadcast_tensors",
    "broadcast_shapes", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "split",
    "tensor_split", "chunk", "unbind", "flip", "fliplr", "flipud", "roll", "tile", "repeat_interleave", "tril",
    "triu", "atleast_1d", "atleast_2d", "as_strided",
]


# ---------------------------------------------------------------- argument helpers
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _ints(args, op):
    """Sizes/dims given as f(2, 3), f((2, 3)) or f([2, 3])."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for s in args:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"[{op}] expected ints, got {type(s).__name__} in {tuple(args)!r}")
        if not _INT64_MIN <= s <= _INT64_MAX:  # torch: "Overflow when unpacking long long"
            raise TypeError(f"[{op}] {int(s)} in {tuple(args)!r} does not fit in int64")
        out.append(int(s))
    return out


def _host_memory():
    """Physical memory in bytes (a bound on how many Python objects an op may create)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 1 << 40


def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected a Tensor, got {type(x).__name__}")


def _wrap_dim(dim, ndim, op):
    n = ndim if ndim > 0 else 1
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"[{op}] dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"[{op}] Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else int(dim)


# ---------------------------------------------------------------- generic view Functions
class _View(Function):
    """out = fn(x._a) (a view); grad = inv(g) with Tensor ops."""

    @staticmethod
    def forward(ctx, x, fn, inv):
        ctx.inv = inv
        return _wrap(fn(x._a))

    @staticmethod
    def backward(ctx, g):
        return ctx.inv(g), None, None


def _mark_view(out, x, fn):
    """Remembers the root base of the view out = fn(x), how to get there from it, and the
    base's history at that time: an in-place op on the view rewrites the base's history
    (_rebase_view, indexing.py), and a view whose base was changed in place since is
    re-derived from it when used (_refresh_view)."""
    vb = x._vbase
    if vb is None:
        out._vbase = (x, fn, x.grad_fn)
    else:
        out._vbase = (vb[0], lambda a, f=vb[1], g=fn: g(f(a)), vb[0].grad_fn)
    return out


def _view(x, fn, inv):
    return _mark_view(_View.apply(x, fn, inv) if needs_grad(x) else _wrap(fn(x._a)), x, fn)


class _Embed(Function):
    """out = zeros(shape) with g written at fn(out) (the backward of an element-dropping view)."""

    @staticmethod
    def forward(ctx, g, shape, fn):
        ctx.fn = fn
        z = _C.zeros(list(shape), g._a.dtype, g._a.device_type, g._a.device_index)
        fn(z).copy_(g._a)
        return _wrap(z)

    @staticmethod
    def backward(ctx, gg):
        return _sub_view(gg, ctx.fn), None, None


def _embed(g, shape, fn):
    return _Embed.apply(g, shape, fn)


def _sub_view(x, fn):
    """A view that drops elements (slice/select/narrow/diagonal); backward embeds into zeros."""
    shape = tuple(x._a.shape)
    return _view(x, fn, lambda g: _embed(g, shape, fn))


# ---------------------------------------------------------------- views
def reshape(input, *shape):
    _check(input, "reshape")
    shape = _ints(shape, "reshape")
    in_shape = tuple(input._a.shape)
    return _view(input, lambda a: a.reshape(shape), lambda g: g.reshape(in_shape))


def view(self, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral, Tensor)):
        raise TypeError(f"[view] viewing as another dtype is not supported, got {shape[0]!r}")
    shape = _ints(shape, "view")
    in_shape = tuple(self._a.shape)
    return _view(self, lambda a: a.view(shape), lambda g: g.reshape(in_shape))


def view_as(self, other):
    return view(self, tuple(other.shape))


def reshape_as(self, other):
    return reshape(self, tuple(other.shape))


def flatten(input, start_dim=0, end_dim=-1):
    _check(input, "flatten")
    in_shape = tuple(input._a.shape)
    return _view(input, lambda a: a.flatten(start_dim, end_dim), lambda g: g.reshape(in_shape))


def unflatten(input, dim, sizes):
    _check(input, "unflatten")
    shape = list(input._a.shape)
    d = _wrap_dim(dim, len(shape), "unflatten")
    sizes = _ints((sizes,), "unflatten")
    if len(sizes) == 0:
        raise ValueError("[unflatten] sizes must be non-empty")
    new = shape[:d] + sizes + shape[d + 1:]
    return reshape(input, new)


def squeeze(input, dim=None):
    _check(input, "squeeze")
    in_shape = tuple(input._a.shape)
    if dim is None:
        fn = lambda a: a.squeeze()  # noqa: E731
    else:
        dims = _ints((dim,), "squeeze") if isinstance(dim, (tuple, list)) else _ints((dim,), "squeeze")
        nd = len(in_shape)
        dims = sorted({_wrap_dim(d, nd, "squeeze") for d in dims}, reverse=True)

        def fn(a):
            for d in dims:
                a = a.squeeze(d)
            return a
    return _view(input, fn, lambda g: g.reshape(in_shape))


def unsqueeze(input, dim):
    _check(input, "unsqueeze")
    in_shape = tuple(input._a.shape)
    return _view(input, lambda a: a.unsqueeze(dim), lambda g: g.reshape(in_shape))


def permute(input, *dims):
    _check(input, "permute")
    dims = _ints(dims, "permute")
    nd = input._a.ndim
    if len(dims) != nd:
        raise ValueError(f"[permute] expected {nd} dims for input of shape {tuple(input._a.shape)}, got {len(dims)}")
    w = [_wrap_dim(d, nd, "permute") for d in dims]
    inv = [0] * nd
    for i, d in enumerate(w):
        inv[d] = i
    return _view(input, lambda a: a.permute(w), lambda g: permute(g, inv))


def transpose(input, dim0, dim1):
    _check(input, "transpose")
    return _view(input, lambda a: a.transpose(dim0, dim1), lambda g: transpose(g, dim0, dim1))


swapaxes = swapdims = transpose


def t(input):
    _check(input, "t")
    if input._a.ndim > 2:
        raise ValueError(f"[t] expects a tensor with <= 2 dims, got shape {tuple(input._a.shape)}")
    if input._a.ndim < 2:
        return input if not needs_grad(input) else _view(input, lambda a: a, lambda g: g)
    return transpose(input, 0, 1)


def _T(self):
    nd = self._a.ndim
    return permute(self, list(range(nd - 1, -1, -1))) if nd > 1 else _view(self, lambda a: a, lambda g: g)


def _mT(self):
    if self._a.ndim < 2:
        raise ValueError(f"[mT] expects a tensor with >= 2 dims, got shape {tuple(self._a.shape)}")
    return transpose(self, -2, -1)


def movedim(input, source, destination):
    _check(input, "movedim")
    nd = input._a.ndim
    src = _ints((source,), "movedim") if isinstance(source, (tuple, list)) else [int(source)]
    dst = _ints((destination,), "movedim") if isinstance(destination, (tuple, list)) else [int(destination)]
    if len(src) != len(dst):
        raise ValueError(f"[movedim] source and destination must have the same length, got {len(src)} and {len(dst)}")
    src = [_wrap_dim(d, nd, "movedim") for d in src]
    dst = [_wrap_dim(d, nd, "movedim") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"[movedim] repeated dim in source {src} or destination {dst}")
    if nd == 0:  # dims 0 / -1 of a scalar: nothing moves
        return permute(input, [])
    order = [-1] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = [o if o >= 0 else next(rest) for o in order]
    return permute(input, order)


moveaxis = movedim


def expand(self, *sizes):
    sizes = _ints(sizes, "expand")
    in_shape = tuple(self._a.shape)
    return _view(self, lambda a: a.expand(sizes), lambda g: sum_to_shape(g, in_shape))


def expand_as(self, other):
    return expand(self, tuple(other.shape))


def broadcast_to(input, shape):
    _check(input, "broadcast_to")
    return expand(input, tuple(shape))


def broadcast_shapes(*shapes):
    out = ()
    for s in shapes:
        s = (s,) if isinstance(s, numbers.Integral) else tuple(s)
        out = _C.broadcast_shapes(list(out), list(s))
    from ..tensor import Size

    return Size(out)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[tuple(x.shape) for x in tensors])
    return tuple(expand(x, shape) for x in tensors)


def _unfold_backward(g, in_shape, dim, size, step):
    """Adds each window's gradient back at its positions (windows may overlap)."""
    from .factory import arange
    from .index import index_add

    n = g.shape[dim]
    pos = (arange(n, device=g.device) * step).reshape(-1, 1) + arange(size, device=g.device)  # (n, size)
    g2 = movedim(g, -1, dim + 1).reshape(*in_shape[:dim], n * size, *in_shape[dim + 1:])
    zero = _wrap(_C.zeros(list(in_shape), g._a.dtype, g._a.device_type, g._a.device_index))
    return index_add(zero, dim, pos.reshape(-1), g2)


def unfold(self, dimension, size, step):
    """Tensor.unfold: a view of all windows of ``size`` along ``dimension`` with stride ``step``,
    as a new last dim (windows may overlap; their gradients add up)."""
    _check(self, "unfold")
    in_shape = tuple(self._a.shape)
    d = _wrap_dim(dimension, len(in_shape), "unfold")  # a 0-d tensor takes dims in [-1, 0]
    fn = lambda a: a.unfold(d, size, step)  # noqa: E731
    if not in_shape:
        return _view(self, fn, lambda g: g.sum())  # the window has 0 or 1 elements
    return _view(self, fn, lambda g: _unfold_backward(g, in_shape, d, size, step))


def narrow(input, dim, start, length):
    _check(input, "narrow")
    if isinstance(start, Tensor):
        start = int(start)
    return _sub_view(input, lambda a: a.narrow(dim, start, length))


def select(input, dim, index):
    _check(input, "select")
    return _sub_view(input, lambda a: a.select(dim, int(index)))


def diagonal(input, offset=0, dim1=0, dim2=1):
    _check(input, "diagonal")
    return _sub_view(input, lambda a: a.diagonal(offset, dim1, dim2))


def atleast_1d(*tensors):
    r = [x.reshape(1) if x.ndim == 0 else x for x in (tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors)]
    return r[0] if len(r) == 1 else tuple(r)


def atleast_2d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    r = [x.reshape(1, 1) if x.ndim == 0 else unsqueeze(x, 0) if x.ndim == 1 else x for x in ts]
    return r[0] if len(r) == 1 else tuple(r)


# ---------------------------------------------------------------- split family (views)
def split(tensor, split_size_or_sections, dim=0):
    _check(tensor, "split")
    nd = tensor._a.ndim
    d = _wrap_dim(dim, nd, "split")
    n = tensor._a.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral) and not isinstance(split_size_or_sections, bool):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise ValueError(f"[split] split_size must be positive for dim {d} of size {n}, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
        if not sizes:
            sizes = [0]
    else:
        sizes = _ints((split_size_or_sections,), "split")
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ValueError(f"[split] split sizes {sizes} must be non-negative and sum to the size {n} of dim {d}")
    out, off = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, off, s))
        off += s
    return tuple(out)


def _split_method(self, split_size, dim=0):
    return split(self, split_size, dim)


def tensor_split(input, indices_or_sections, dim=0):
    _check(input, "tensor_split")
    d = _wrap_dim(dim, input._a.ndim, "tensor_split")
    n = input._a.shape[d]
    if isinstance(indices_or_sections, numbers.Integral):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError(f"[tensor_split] number of sections must be positive, got {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
    else:
        idx = _ints((indices_or_sections,), "tensor_split")
        bounds = [0] + [min(max(i if i >= 0 else i + n, 0), n) for i in idx] + [n]
        sizes = [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
        starts = bounds[:-1]
        return tuple(narrow(input, d, min(s, n), z) for s, z in zip(starts, sizes))
    return split(input, sizes, d)


def chunk(input, chunks, dim=0):
    _check(input, "chunk")
    if not isinstance(chunks, numbers.Integral) or chunks <= 0:
        raise ValueError(f"[chunk] chunks must be a positive int, got {chunks!r}")
    if chunks > _INT64_MAX:  # torch: "Overflow when unpacking long long"
        raise ValueError(f"[chunk] chunks {chunks} does not fit in int64")
    d = _wrap_dim(dim, input._a.ndim, "chunk")
    n = input._a.shape[d]
    size = -(-n // chunks) if n else 0
    if size == 0 and n == 0 and chunks * 1024 > _host_memory():
        # An empty dim gives `chunks` empty tensors (as torch); that many objects cannot fit.
        raise RuntimeError(f"[chunk] out of memory: {chunks} empty chunks of dim {d} (size 0) do not fit in memory")
    if size == 0:
        return tuple(narrow(input, d, 0, 0) for _ in range(min(chunks, 1) if n else chunks))
    return split(input, size, d)


def unbind(input, dim=0):
    _check(input, "unbind")
    d = _wrap_dim(dim, input._a.ndim, "unbind")
    if input._a.ndim == 0:
        raise IndexError("[unbind] dimension specified as 0 but tensor has no dimensions")
    return tuple(select(input, d, i) for i in range(input._a.shape[d]))


# ---------------------------------------------------------------- copies
class _Cat(Function):
    @staticmethod
    def forward(ctx, dim, *xs):
        out = _wrap(_C.cat([x._a for x in xs], dim))
        d = _wrap_dim(dim, out._a.ndim, "cat")
        ctx.meta = (d, [(tuple(x._a.shape), x._a.dtype) for x in xs])
        return out

    @staticmethod
    def backward(ctx, g):
        d, metas = ctx.meta
        grads, off = [None], 0
        for shape, dt in metas:
            if len(shape) == 1 and shape[0] == 0 and g._a.ndim != 1:
                grads.append(None)
                continue
            n = shape[d]
            gi = narrow(g, d, off, n)
            if gi._a.dtype != dt:
                gi = gi.to(_dtype_of(dt))
            grads.append(gi)
            off += n
        return tuple(grads)


def _dtype_of(c):
    from .._dtype import FROM_C

    return FROM_C[c]


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"[{op}] expected a sequence of Tensors, got {type(tensors).__name__}")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"[{op}] expected Tensors, got {type(x).__name__} at position {i}")
    return list(tensors)


def cat(tensors, dim=0, *, out=None):
    xs = _tensor_list(tensors, "cat")
    if needs_grad(*xs):
        r = _Cat.apply(dim, *xs)
    else:
        r = _wrap(_C.cat([x._a for x in xs], dim))
    if out is not None:
        out._a = r._a
        return out
    return r


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    xs = _tensor_list(tensors, "stack")
    if not xs:
        raise ValueError("[stack] expected a non-empty list of tensors")
    for i, x in enumerate(xs[1:], 1):
        if tuple(x._a.shape) != tuple(xs[0]._a.shape):
            raise ValueError(f"[stack] expects each tensor to be equal size, but got {tuple(xs[0]._a.shape)} at "
                             f"entry 0 and {tuple(x._a.shape)} at entry {i}")
    d = _wrap_dim(dim, xs[0]._a.ndim + 1, "stack")
    return cat([unsqueeze(x, d) for x in xs], d, out=out)


def hstack(tensors, *, out=None):
    xs = atleast_1d(*_tensor_list(tensors, "hstack"))
    xs = [xs] if isinstance(xs, Tensor) else list(xs)
    return cat(xs, 0 if xs[0].ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    xs = atleast_2d(*_tensor_list(tensors, "vstack"))
    xs = [xs] if isinstance(xs, Tensor) else list(xs)
    return cat(xs, 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    xs = []
    for x in _tensor_list(tensors, "dstack"):
        x = atleast_2d(x)
        xs.append(unsqueeze(x, -1) if x.ndim == 2 else x)
    return cat(xs, 2, out=out)


class _Copy1(Function):
    """A copy op y = fwd(x._a) whose gradient is bwd(g) (Tensor ops)."""

    @staticmethod
    def forward(ctx, x, fwd, bwd):
        ctx.bwd = bwd
        return _wrap(fwd(x._a))

    @staticmethod
    def backward(ctx, g):
        return ctx.bwd(g), None, None


def _copy_op(x, fwd, bwd):
    if needs_grad(x):
        return _Copy1.apply(x, fwd, bwd)
    return _wrap(fwd(x._a))


def flip(input, *dims):
    _check(input, "flip")
    dims = _ints(dims, "flip")
    return _copy_op(input, lambda a: _C.flip(a, dims), lambda g: flip(g, dims))


def fliplr(input):
    if input.ndim < 2:
        raise ValueError(f"[fliplr] input must be >= 2-d, got shape {tuple(input.shape)}")
    return flip(input, [1])


def flipud(input):
    if input.ndim < 1:
        raise ValueError("[flipud] input must be >= 1-d")
    return flip(input, [0])


def roll(input, shifts, dims=None):
    _check(input, "roll")
    shifts = _ints((shifts,), "roll") if isinstance(shifts, (tuple, list)) else _ints((shifts,), "roll")
    dims = [] if dims is None else (_ints((dims,), "roll"))
    neg = [-s for s in shifts]
    return _copy_op(input, lambda a: _C.roll(a, shifts, dims), lambda g: roll(g, neg, dims or None))


def repeat(self, *sizes):
    sizes = _ints(sizes, "repeat")
    in_shape = tuple(self._a.shape)

    def bwd(g):
        n, nd = len(sizes), len(in_shape)
        full = [1] * (n - nd) + list(in_shape)
        wide = []
        for r, s in zip(sizes, full):
            wide += [r, s]
        return g.reshape(wide).sum(dim=tuple(range(0, 2 * n, 2))).reshape(in_shape)

    return _copy_op(self, lambda a: _C.repeat(a, sizes), bwd)


def tile(input, dims):
    _check(input, "tile")
    dims = _ints((dims,), "tile") if isinstance(dims, (tuple, list)) else _ints((dims,), "tile")
    nd = input._a.ndim
    if len(dims) < nd:
        dims = [1] * (nd - len(dims)) + dims
    shape = [1] * (len(dims) - nd) + list(input._a.shape)
    n = 1
    for r, s in zip(dims, shape):
        n *= r * s if r >= 0 else 1
    if n > _INT64_MAX:  # named here; repeat's C++ checks would name repeat
        raise RuntimeError(f"[tile] size overflow: tiling shape {tuple(input._a.shape)} by {tuple(dims)} "
                           f"gives {n} elements, more than int64 can hold")
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats): indices repeated by their counts
        r = input
        from .factory import arange

        # The counts are read on the host (the output's size depends on them, as in torch).
        rc = r._a if r._a.device_type == 0 else r._a.to_device(0, 0)
        return _wrap(_C.repeat_interleave(arange(r.numel(), device=r.device)._a, rc, 0))
    _check(input, "repeat_interleave")
    if isinstance(repeats, Tensor):
        # read on the host: the output's size depends on the counts (torch syncs too)
        rep = repeats._a if repeats._a.device_type == 0 else repeats._a.to_device(0, 0)
    else:
        if not isinstance(repeats, numbers.Integral) or repeats < 0:
            raise ValueError(f"[repeat_interleave] repeats must be a non-negative int or an int tensor, got {repeats!r}")
        if repeats > _INT64_MAX:
            raise RuntimeError(f"[repeat_interleave] repeats {repeats} does not fit in int64")
        rep = _C.from_numpy(np.array(int(repeats), dtype=np.int64))  # exact: no float round trip
    x = input if dim is not None else reshape(input, -1)
    d = 0 if dim is None else _wrap_dim(dim, max(x.ndim, 1), "repeat_interleave")
    if x.ndim == 0:
        x = reshape(x, 1)
    from .factory import arange

    n = x._a.shape[d]
    index = _wrap(_C.repeat_interleave(arange(n, device=x.device)._a, rep, 0))  # on x's device
    from .index import index_select

    return index_select(x, d, index)


def _tri(op, cfn):
    def f(input, diagonal=0):
        _check(input, op)
        k = int(diagonal)
        if not _INT64_MIN <= k <= _INT64_MAX:
            raise TypeError(f"[{op}] diagonal {k} does not fit in int64")
        return _copy_op(input, lambda a: cfn(a, k), lambda g: f(g, k))

    f.__name__ = op
    return f


tril = _tri("tril", _C.tril)
triu = _tri("triu", _C.triu)


def _tril_(self, diagonal=0):
    return self.copy_(tril(self, diagonal))


def _triu_(self, diagonal=0):
    return self.copy_(triu(self, diagonal))


def _flip_method(self, *dims):
    return flip(self, *dims)


def _permute_method(self, *dims):
    return permute(self, *dims)


def _reshape_method(self, *shape):
    return reshape(self, *shape)


def _squeeze_(self, dim=None):
    self._a = squeeze(self.detach(), dim)._a
    return self


def _unsqueeze_(self, dim):
    self._a = self._a.unsqueeze(dim)
    return self


def _t_(self):
    self._a = t(self.detach())._a
    return self


def _transpose_(self, dim0, dim1):
    self._a = self._a.transpose(dim0, dim1)
    return self


# ---------------------------------------------------------------- as_strided
def _strided_ints(v, what):
    if isinstance(v, Tensor) or not isinstance(v, (tuple, list)):
        raise TypeError(f"[as_strided] argument '{what}' must be a tuple of ints, got {type(v).__name__}")
    for e in v:
        if not isinstance(e, numbers.Integral) or isinstance(e, bool):
            raise TypeError(f"[as_strided] argument '{what}' must be a tuple of ints, got an element of type "
                            f"{type(e).__name__} in {tuple(v)!r}")
        if not _INT64_MIN <= e <= _INT64_MAX:
            raise TypeError(f"[as_strided] argument '{what}' {tuple(v)!r} does not fit in int64")
    return [int(e) for e in v]


def _extent(shape, strides, offset):
    """(first, last) storage element a geometry touches; None when it is empty (strides >= 0)."""
    if any(n == 0 for n in shape):
        return None
    return offset, offset + sum((n - 1) * st for n, st in zip(shape, strides))


def _may_overlap(shape, strides):
    """True when two elements of the geometry can share a storage element (torch's check)."""
    dims = sorted((st, n) for n, st in zip(shape, strides) if n > 1)
    reach = 0
    for st, n in dims:
        if st <= reach:
            return True
        reach += (n - 1) * st
    return False


def _as_strided_backward(g, x_geom, out_geom):
    """torch's as_strided_backward: scatter-add g into a buffer laid out like the storage
    span both geometries touch, then read the input's elements back (averaged over the
    input's own repeats when it overlaps itself). Positions come from as_strided views of
    an arange over that span, so the C++ bounds checks apply to them too."""
    from .index import index_add, index_select
    from .creation import zeros
    from .factory import arange

    xs, xst, xoff = x_geom
    ext_out, ext_in = _extent(*out_geom), _extent(*x_geom)
    dev = g.device  # every buffer and index on the gradient's device
    if ext_in is None or ext_out is None:
        return zeros(list(xs), dtype=g.dtype, device=dev)
    lo, hi = min(ext_out[0], ext_in[0]), max(ext_out[1], ext_in[1])
    pos = arange(hi - lo + 1, dtype=_int64(), device=dev)
    size, stride, off = out_geom
    out_idx = _wrap(pos._a.as_strided(list(size), list(stride), off - lo)).reshape(-1)
    in_idx = _wrap(pos._a.as_strided(list(xs), list(xst), xoff - lo)).reshape(-1)
    buf = index_add(zeros(hi - lo + 1, dtype=g.dtype, device=dev), 0, out_idx, g.reshape(-1))
    gx = index_select(buf, 0, in_idx)
    if _may_overlap(xs, xst):
        ones = zeros(in_idx.shape[0], dtype=g.dtype, device=dev) + 1
        count = index_add(zeros(hi - lo + 1, dtype=g.dtype, device=dev), 0, in_idx, ones)
        gx = gx / index_select(count, 0, in_idx)
    return gx.reshape(list(xs))


def _int64():
    from .. import int64

    return int64


def as_strided(input, size, stride, storage_offset=None):
    """A view of input's storage with explicit sizes, strides (>= 0) and storage offset
    (default: input's own), bounds-checked against the storage; differentiable."""
    _check(input, "as_strided")
    size, stride = _strided_ints(size, "size"), _strided_ints(stride, "stride")
    if storage_offset is None:
        off = input._a.offset
    elif isinstance(storage_offset, numbers.Integral) and not isinstance(storage_offset, bool):
        off = int(storage_offset)
    else:
        raise TypeError(f"[as_strided] storage_offset must be an int or None, got {type(storage_offset).__name__}")
    if len(size) != len(stride):
        raise RuntimeError(f"[as_strided] mismatch in length of strides and shape: size {tuple(size)}, stride "
                           f"{tuple(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"[as_strided] sizes must be non-negative, got {tuple(size)}")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"[as_strided] negative strides are not supported, got {tuple(stride)}")
    if not 0 <= off <= _INT64_MAX:
        raise RuntimeError(f"[as_strided] invalid storage offset {off}")
    try:
        input._a.as_strided(size, stride, off)  # the C++ checks (overflow, bounds) before any autograd
    except (ValueError, OverflowError) as e:
        raise RuntimeError(str(e)) from None
    x_geom = (tuple(input._a.shape), tuple(input._a.strides), input._a.offset)
    out_geom = (tuple(size), tuple(stride), off)
    return _view(input, lambda a: a.as_strided(size, stride, off),
                 lambda g: _as_strided_backward(g, x_geom, out_geom))


register_methods({
    "reshape": _reshape_method, "view": view, "view_as": view_as, "reshape_as": reshape_as, "flatten": flatten,
    "unflatten": unflatten, "squeeze": squeeze, "unsqueeze": unsqueeze, "permute": _permute_method,
    "transpose": transpose, "swapaxes": swapaxes, "swapdims": swapdims, "t": t,
    "T": property(_T), "mT": property(_mT), "H": property(_T), "mH": property(_mT),
    "movedim": movedim, "moveaxis": moveaxis, "unfold": unfold, "expand": expand, "expand_as": expand_as,
    "broadcast_to": broadcast_to, "narrow": narrow, "select": select, "diagonal": diagonal,
    "split": _split_method, "tensor_split": tensor_split, "chunk": chunk, "unbind": unbind, "flip": _flip_method,
    "fliplr": fliplr, "flipud": flipud, "roll": roll, "repeat": repeat, "tile": tile,
    "repeat_interleave": repeat_interleave, "tril": tril, "triu": triu, "tril_": _tril_, "triu_": _triu_,
    "squeeze_": _squeeze_, "unsqueeze_": _unsqueeze_, "t_": _t_, "transpose_": _transpose_,
    "as_strided": as_strided,
})
