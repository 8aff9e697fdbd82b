"""Index ops: gather/scatter(_add/_reduce), index_select/index_add, index_put_,
masked_fill/masked_select, nonzero, take, one_hot.

Backward formulas (all written with these same ops, so they differentiate again):
gather -> scatter_add into zeros; index_select -> index_add into zeros; advanced
indexing -> index_put with accumulate into zeros; scatter/index_put -> the gradient
with the overwritten positions zeroed, and a gather of it for the source.
"""
import numbers

from .. import _C
from ..autograd.function import Function
from ..tensor import Tensor, _wrap, needs_grad, register_methods, sum_to_shape
from ..amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = [
    "gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_put",
    "masked_fill", "masked_select", "nonzero", "argwhere", "take", "take_along_dim", "one_hot", "index_copy",
]

_INT_C = (_C.DType.int64, _C.DType.int32)


def _check(x, op, what="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected {what} to be a Tensor, got {type(x).__name__}")


def _zeros_like(x, shape=None):
    a = x._a
    return _wrap(_C.zeros(list(a.shape if shape is None else shape), a.dtype, a.device_type, a.device_index))


def _clone(x):
    return _wrap(x._a.clone())


def _fit(g, shape):
    """g (index-shaped) placed in the corner of zeros of ``shape`` (src may be larger than index)."""
    shape = tuple(shape)
    if tuple(g._a.shape) == shape:
        return g
    from .shape import _embed

    sizes = list(g._a.shape)

    def fn(a):
        for d, n in enumerate(sizes):
            a = a.narrow(d, 0, n)
        return a

    return _embed(g, shape, fn)


def _write_out(out, r, op, no_overlap=(), partial=()):
    """out=: torch's overlap checks, then r's values written into out's memory (so a
    view given as out sees them); an out of another shape or dtype is replaced by r,
    as torch resizes it."""
    if not isinstance(out, Tensor):
        raise TypeError(f"[{op}] out must be a Tensor, got {type(out).__name__}")
    o = out._a
    _C._assert_no_internal_overlap(o, op)
    _C._assert_no_overlap(o, [t._a for t in no_overlap], op)
    _C._assert_no_partial_overlap(o, [t._a for t in partial], op)
    a = r._a
    if (tuple(o.shape) == tuple(a.shape) and o.dtype == a.dtype and o.device_type == a.device_type
            and o.device_index == a.device_index):
        o.copy_(a)
    else:
        out._a = a
    return out


# ---------------------------------------------------------------- gather / scatter
class _Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.meta = (tuple(x._a.shape), dim)
        ctx.save_for_backward(index)
        return _wrap(_C.gather(x._a, dim, index._a))

    @staticmethod
    def backward(ctx, g):
        shape, dim = ctx.meta
        (index,) = ctx.saved_tensors
        z = _wrap(_C.zeros(list(shape), g._a.dtype, g._a.device_type, g._a.device_index))
        return scatter_add(z, dim, index, g), None, None


def gather(input, dim, index, *, sparse_grad=False, out=None):
    _check(input, "gather")
    _check(index, "gather", "index")
    r = _Gather.apply(input, dim, index) if needs_grad(input) else _wrap(_C.gather(input._a, dim, index._a))
    if out is not None:
        return _write_out(out, r, "gather", (input,), (index,))
    return r


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    from .shape import broadcast_shapes

    from ..tensor import _C_wrap_dim

    d = _C_wrap_dim(dim, input.ndim, "take_along_dim")
    s_in, s_ix = list(input.shape), list(indices.shape)
    s_in[d] = s_ix[d] = 1
    b = list(broadcast_shapes(s_in, s_ix))
    bi, bx = list(b), list(b)
    bi[d], bx[d] = input.shape[d], indices.shape[d]
    return gather(input.expand(bi), d, indices.expand(bx))


class _ScatterAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.meta = (dim, tuple(src._a.shape))
        ctx.save_for_backward(index)
        out = _clone(x)
        _C.scatter_reduce_(out._a, dim, index._a, src._a, "sum", True)
        return out

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        dim, sshape = ctx.meta
        gs = _fit(gather(g, dim, index), sshape) if ctx.needs_input_grad[3] else None
        return g, None, None, gs


def scatter_add(input, dim, index, src):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("scatter_add", scatter_add, input, dim, index, src)
    _check(input, "scatter_add")
    _check(index, "scatter_add", "index")
    _check(src, "scatter_add", "src")
    if needs_grad(input, src):
        return _ScatterAdd.apply(input, dim, index, src)
    out = _clone(input)
    _C.scatter_reduce_(out._a, dim, index._a, src._a, "sum", True)
    return out


def _scatter_add_(self, dim, index, src):
    if needs_grad(self, src):
        _check_scatter_write(self, "scatter", index, src)
        return _inplace(self, scatter_add(self, dim, index, src))
    _C.scatter_reduce_(self._a, dim, index._a, src._a, "sum", True)
    return self


class _Scatter(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src, value, reduce):
        ctx.meta = (dim, reduce, None if src is None else tuple(src._a.shape))
        ctx.save_for_backward(index)
        out = _clone(x)
        if src is not None:
            _C.scatter_(out._a, dim, index._a, src._a, reduce or "")
        else:
            _C.scatter_value_(out._a, dim, index._a, float(value), reduce or "")
        return out

    @staticmethod
    def backward(ctx, g):
        dim, reduce, sshape = ctx.meta
        (index,) = ctx.saved_tensors
        if reduce == "multiply":
            raise RuntimeError("[scatter] the gradient of reduce='multiply' is not supported")
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = g if reduce == "add" else scatter(g, dim, index, 0.0)
        if ctx.needs_input_grad[3]:
            gs = _fit(gather(g, dim, index), sshape)
        return gx, None, None, gs, None, None


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    _check(input, "scatter")
    _check(index, "scatter", "index")
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    if src is None and value is None:
        raise TypeError("[scatter] expected src (a Tensor) or value (a number)")
    if reduce not in (None, "add", "multiply"):
        raise ValueError(f"[scatter] reduce must be 'add' or 'multiply', got {reduce!r}")
    if isinstance(value, Tensor):
        value = value.item()
    if needs_grad(input, src):
        return _Scatter.apply(input, dim, index, src, value, reduce)
    out = _clone(input)
    if src is not None:
        _C.scatter_(out._a, dim, index._a, src._a, reduce or "")
    else:
        _C.scatter_value_(out._a, dim, index._a, float(value), reduce or "")
    return out


def _check_scatter_write(self, op, *inputs):
    """The kernels' overlap checks, for the autograd path that computes out of place:
    self must not overlap itself nor share elements with index/src (torch's rules)."""
    _C._assert_no_internal_overlap(self._a, op)
    _C._assert_no_overlap(self._a, [t._a for t in inputs if isinstance(t, Tensor)], op)


def _inplace(self, result):
    """In-place op with autograd: the result's values and history move into self."""
    from .creation import copy_

    return copy_(self, result)


def _scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    if needs_grad(self, src if isinstance(src, Tensor) else None):
        _check_scatter_write(self, "scatter", index, src)
        return _inplace(self, scatter(self, dim, index, src, value, reduce=reduce))
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    _check(index, "scatter_", "index")
    if src is not None:
        _C.scatter_(self._a, dim, index._a, src._a, reduce or "")
    else:
        if value is None:
            raise TypeError("[scatter_] expected src (a Tensor) or value (a number)")
        _C.scatter_value_(self._a, dim, index._a, float(value.item() if isinstance(value, Tensor) else value),
                          reduce or "")
    return self


class _ScatterReduce(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        out = _clone(x)
        _C.scatter_reduce_(out._a, dim, index._a, src._a, reduce, include_self)
        ctx.meta = (dim, reduce, include_self)
        ctx.save_for_backward(index, x, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, reduce, include_self = ctx.meta
        index, x, src, out = ctx.saved_tensors
        if reduce == "sum":
            gx = g if include_self else scatter(g, dim, index, 0.0)
            return gx, None, None, _fit(gather(g, dim, index), src.shape), None, None
        if reduce == "mean":
            ones = _wrap(_C.full(list(src.shape), 1.0, g._a.dtype, g._a.device_type, g._a.device_index))
            cnt = scatter_add(_wrap(_C.full(list(x.shape), 1.0 if include_self else 0.0, g._a.dtype,
                                            g._a.device_type, g._a.device_index)), dim, index, ones)
            cnt = masked_fill(cnt, cnt == 0, 1.0)
            gm = g / cnt
            # without self, scattered positions took nothing from self: their gradient is 0
            gx = gm if include_self else scatter(g, dim, index, 0.0)
            return gx, None, None, _fit(gather(gm, dim, index), src.shape), None, None
        if reduce in ("amax", "amin"):
            # The gradient is split evenly among the elements equal to the result.
            x_hit = (x == out).to(g.dtype) if include_self else scatter(_zeros_like(g), dim, index, 0.0)
            s_hit = (_narrow_to(src, index) == gather(out, dim, index)).to(g.dtype)
            n = scatter_add(x_hit, dim, index, s_hit)
            n = masked_fill(n, n == 0, 1.0)
            gn = g / n
            gx = gn * x_hit if include_self else scatter(g, dim, index, 0.0)
            return gx, None, None, _fit(gather(gn, dim, index) * s_hit, src.shape), None, None
        raise RuntimeError(f"[scatter_reduce] the gradient of reduce={reduce!r} is not supported")


def _narrow_to(src, index):
    for d, n in enumerate(index.shape):
        if src.shape[d] != n:
            src = src.narrow(d, 0, n)
    return src


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    _check(input, "scatter_reduce")
    _check(index, "scatter_reduce", "index")
    _check(src, "scatter_reduce", "src")
    if needs_grad(input, src):
        return _ScatterReduce.apply(input, dim, index, src, reduce, include_self)
    out = _clone(input)
    _C.scatter_reduce_(out._a, dim, index._a, src._a, reduce, include_self)
    return out


def _scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    if needs_grad(self, src):
        _check_scatter_write(self, "scatter_reduce", index, src)
        return _inplace(self, scatter_reduce(self, dim, index, src, reduce, include_self=include_self))
    _C.scatter_reduce_(self._a, dim, index._a, src._a, reduce, include_self)
    return self


# ---------------------------------------------------------------- index_select / index_add
class _IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.meta = (tuple(x._a.shape), dim)
        ctx.save_for_backward(index)
        return _wrap(_C.index_select(x._a, dim, index._a))

    @staticmethod
    def backward(ctx, g):
        shape, dim = ctx.meta
        (index,) = ctx.saved_tensors
        z = _wrap(_C.zeros(list(shape), g._a.dtype, g._a.device_type, g._a.device_index))
        return index_add(z, dim, index, g), None, None


def index_select(input, dim, index, *, out=None):
    _check(input, "index_select")
    _check(index, "index_select", "index")
    r = _IndexSelect.apply(input, dim, index) if needs_grad(input) else _wrap(_C.index_select(input._a, dim, index._a))
    if out is not None:
        return _write_out(out, r, "index_select", (input, index))
    return r


class _IndexAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        ctx.meta = (dim, alpha, tuple(source._a.shape))
        ctx.save_for_backward(index)
        out = _clone(x)
        _C.index_add_(out._a, dim, index._a, source._a, float(alpha))
        return out

    @staticmethod
    def backward(ctx, g):
        dim, alpha, sshape = ctx.meta
        (index,) = ctx.saved_tensors
        gs = None
        if ctx.needs_input_grad[3]:
            gs = index_select(g, dim, index) if g.ndim else g.reshape(1).index_select(0, index).reshape(sshape)
            if alpha != 1:
                gs = gs * alpha
            gs = gs.reshape(sshape)
        return g, None, None, gs, None


def index_add(input, dim, index, source, *, alpha=1):
    _check(input, "index_add")
    _check(index, "index_add", "index")
    _check(source, "index_add", "source")
    if needs_grad(input, source):
        return _IndexAdd.apply(input, dim, index, source, alpha)
    out = _clone(input)
    _C.index_add_(out._a, dim, index._a, source._a, float(alpha))
    return out


def _index_add_(self, dim, index, source, *, alpha=1):
    if needs_grad(self, source):
        _check_scatter_write(self, "index_add", index, source)
        return _inplace(self, index_add(self, dim, index, source, alpha=alpha))
    _C.index_add_(self._a, dim, index._a, source._a, float(alpha))
    return self


def index_copy(input, dim, index, source):
    """out = input with out.index_select(dim, index) replaced by source."""
    from ..tensor import _C_wrap_dim

    _check_index_copy(input, dim, index, source)
    d = _C_wrap_dim(dim, input.ndim, "index_copy")
    if input.ndim == 0 or source.ndim == 0:  # a scalar side: write along the one dim as 1-d
        out = index_copy(input.reshape(-1), 0, index.reshape(-1), source.reshape(-1))
        return out.reshape(input.shape)
    shape = [1] * input.ndim
    shape[d] = -1
    idx = index.reshape(shape).expand(list(source.shape))
    return scatter(input, d, idx, source)


def _check_index_copy(input, dim, index, source, op="index_copy"):
    """torch's index_copy_ argument checks, with its exception types."""
    from ..tensor import _C_wrap_dim

    _check(input, op)
    _check(index, op, "index")
    _check(source, op, "source")
    if index.ndim > 1:
        raise IndexError(f"[{op}] index should have dimension 1 or 0 (got {index.ndim})")
    if index._a.dtype != _C.DType.int64:
        raise RuntimeError(f"[{op}] expected a long tensor for index, but got {index.dtype}")
    if source._a.dtype != input._a.dtype:
        raise RuntimeError(
            f"[{op}] self and source expected to have the same dtype, but got (self) {input.dtype} "
            f"and (source) {source.dtype}")
    d = _C_wrap_dim(dim, input.ndim, op)
    n = index.numel()
    if source.ndim == 0:
        if n != 1:
            raise IndexError(f"[{op}] when source is scalar, index should have one element (got {n})")
        if input.ndim > 1:
            raise RuntimeError(
                f"[{op}] source/destination tensor must have same slice shapes: destination {tuple(input.shape)}, "
                "source is a scalar")
        return
    if input.ndim > 0 and source.ndim != input.ndim:
        raise IndexError(
            f"[{op}] when source and destination are not scalars, their dimensionality must match: "
            f"source dimensionality ({source.ndim}), destination dimensionality ({input.ndim})")
    if source.shape[d] != n:
        raise IndexError(f"[{op}] number of indices ({n}) should be equal to source.size(dim) ({source.shape[d]})")
    for i in range(input.ndim):
        if i != d and source.shape[i] != input.shape[i]:
            raise RuntimeError(
                f"[{op}] source/destination tensor must have same slice shapes: destination {tuple(input.shape)}, "
                f"source {tuple(source.shape)} (dim {d} indexed)")


# ---------------------------------------------------------------- advanced indexing
def _arrays(indices):
    return [None if i is None else i._a for i in indices]


class _Index(Function):
    """x[indices] with indices a list of int/bool Tensors or None (one per leading dim)."""

    @staticmethod
    def forward(ctx, x, indices):
        ctx.meta = (tuple(x._a.shape), indices)
        return _wrap(_C.index(x._a, _arrays(indices)))

    @staticmethod
    def backward(ctx, g):
        shape, indices = ctx.meta
        z = _wrap(_C.zeros(list(shape), g._a.dtype, g._a.device_type, g._a.device_index))
        return index_put(z, indices, g, accumulate=True), None


def _index(x, indices):
    if needs_grad(x):
        return _Index.apply(x, list(indices))
    return _wrap(_C.index(x._a, _arrays(indices)))


class _IndexPut(Function):
    @staticmethod
    def forward(ctx, x, indices, values, accumulate):
        ctx.meta = (indices, accumulate, tuple(values._a.shape))
        out = _clone(x)
        _C.index_put_(out._a, _arrays(indices), values._a, accumulate)
        return out

    @staticmethod
    def backward(ctx, g):
        indices, accumulate, vshape = ctx.meta
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = g if accumulate else index_put(g, indices, _wrap(_C.zeros([], g._a.dtype, g._a.device_type,
                                                                            g._a.device_index)))
        if ctx.needs_input_grad[2]:
            r = _index(g, indices)
            gv = sum_to_shape(r, vshape) if len(vshape) <= r.ndim else r.reshape(vshape)
        return gx, None, gv, None


def _as_values(values, like):
    if isinstance(values, Tensor):
        return values
    return _wrap(_C.full([], float(values), like._a.dtype, like._a.device_type, like._a.device_index))


def _index_list(indices, op):
    if isinstance(indices, Tensor):
        raise TypeError(f"[{op}] indices must be a tuple of Tensors (or None), got a Tensor")
    out = []
    for i in indices:
        if i is not None and not isinstance(i, Tensor):
            raise TypeError(f"[{op}] indices must be Tensors or None, got {type(i).__name__}")
        out.append(i)
    return out


def index_put(input, indices, values, accumulate=False):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("index_put", index_put, input, indices, values, accumulate)
    _check(input, "index_put")
    indices = _index_list(indices, "index_put")
    values = _as_values(values, input)
    if needs_grad(input, values):
        return _IndexPut.apply(input, indices, values, accumulate)
    out = _clone(input)
    _C.index_put_(out._a, _arrays(indices), values._a, accumulate)
    return out


def _index_put_(self, indices, values, accumulate=False):
    indices = _index_list(indices, "index_put_")
    values = _as_values(values, self)
    if needs_grad(self, values):
        masks = [i for i in indices if i is not None and i._a.dtype in (_C.DType.bool, _C.DType.uint8)]
        given = [i for i in indices if i is not None]
        if not accumulate and len(given) == 1 and masks and values._a.numel == 1:
            _C._assert_no_partial_overlap(self._a, [masks[0]._a], "index_put_")  # torch's masked_fill_ path
        else:
            _C._assert_no_overlap(self._a, [values._a] + [i._a for i in given], "index_put_")
        return _inplace(self, index_put(self, indices, values, accumulate))
    _C.index_put_(self._a, _arrays(indices), values._a, accumulate)
    return self


# ---------------------------------------------------------------- masks
class _MaskedFill(Function):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        out = _clone(x)
        _C.masked_fill_(out._a, mask._a, value)
        return out

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return masked_fill(g, mask, 0.0), None, None


def _mask_value(value, op):
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"[{op}] only supports a 0-dimensional value tensor, got shape {tuple(value.shape)}")
        return float(value.item())
    if not isinstance(value, numbers.Number):
        raise TypeError(f"[{op}] value must be a number or a 0-d Tensor, got {type(value).__name__}")
    return float(value)


def masked_fill(input, mask, value):
    _check(input, "masked_fill")
    _check(mask, "masked_fill", "mask")
    v = _mask_value(value, "masked_fill")
    if isinstance(value, Tensor) and value.requires_grad and needs_grad(value):
        from .. import where

        return where(mask, value.to(input.dtype), input)
    if mask._a.dtype != _C.DType.bool:
        raise TypeError(f"[masked_fill] expected a bool mask, got {mask.dtype}")
    if tuple(_C.broadcast_shapes(list(input._a.shape), list(mask._a.shape))) != tuple(input._a.shape):
        from .shape import broadcast_to

        input = broadcast_to(input, _C.broadcast_shapes(list(input._a.shape), list(mask._a.shape)))
    if needs_grad(input):
        return _MaskedFill.apply(input, mask, v)
    out = _clone(input)
    _C.masked_fill_(out._a, mask._a, v)
    return out


def _masked_fill_(self, mask, value):
    _check(mask, "masked_fill_", "mask")
    v = _mask_value(value, "masked_fill_")
    if needs_grad(self) or (isinstance(value, Tensor) and needs_grad(value)):
        _C._assert_no_partial_overlap(self._a, [mask._a], "masked_fill_")
        return _inplace(self, masked_fill(self, mask, value))
    _C.masked_fill_(self._a, mask._a, v)
    return self


class _MaskedSelect(Function):
    @staticmethod
    def forward(ctx, x, mask):
        shape = _C.broadcast_shapes(list(x._a.shape), list(mask._a.shape))
        ctx.meta = (tuple(x._a.shape), tuple(shape))
        ctx.save_for_backward(mask)
        return _wrap(_C.masked_select(x._a, mask._a))

    @staticmethod
    def backward(ctx, g):
        in_shape, shape = ctx.meta
        (mask,) = ctx.saved_tensors
        z = _wrap(_C.zeros(list(shape), g._a.dtype, g._a.device_type, g._a.device_index))
        m = mask.expand(list(shape)) if tuple(mask.shape) != shape else mask
        return sum_to_shape(index_put(z, [m], g), in_shape), None


def masked_select(input, mask, *, out=None):
    _check(input, "masked_select")
    _check(mask, "masked_select", "mask")
    r = _MaskedSelect.apply(input, mask) if needs_grad(input) else _wrap(_C.masked_select(input._a, mask._a))
    if out is not None:
        return _write_out(out, r, "masked_select", (input, mask))
    return r


def nonzero(input, *, as_tuple=False, out=None):
    _check(input, "nonzero")
    nz = _wrap(_C.nonzero(input._a))
    if as_tuple:
        if input.ndim == 0:
            return (_wrap(_C.zeros([nz._a.shape[0]], _C.DType.int64, input._a.device_type, input._a.device_index)),)
        return tuple(_wrap(nz._a.select(1, d)) for d in range(input.ndim))
    if out is not None:
        out._a = nz._a
        return out
    return nz


def argwhere(input):
    return nonzero(input)


# ---------------------------------------------------------------- take / one_hot
class _Take(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.meta = tuple(x._a.shape)
        ctx.save_for_backward(index)
        return _wrap(_C.take(x._a, index._a))

    @staticmethod
    def backward(ctx, g):
        shape = ctx.meta
        (index,) = ctx.saved_tensors
        n = 1
        for s in shape:
            n *= s
        z = _wrap(_C.zeros([n], g._a.dtype, g._a.device_type, g._a.device_index))
        return index_put(z, [index.reshape(-1)], g.reshape(-1), accumulate=True).reshape(shape), None


def take(input, index):
    _check(input, "take")
    _check(index, "take", "index")
    if needs_grad(input):
        return _Take.apply(input, index)
    return _wrap(_C.take(input._a, index._a))


def one_hot(tensor, num_classes=-1):
    """ember.nn.functional.one_hot: int64 output of shape tensor.shape + (num_classes,)."""
    _check(tensor, "one_hot")
    return _wrap(_C.one_hot(tensor._a, int(num_classes)))


register_methods({
    "gather": gather, "scatter": scatter, "scatter_": _scatter_, "scatter_add": scatter_add,
    "scatter_add_": _scatter_add_, "scatter_reduce": scatter_reduce, "scatter_reduce_": _scatter_reduce_,
    "index_select": index_select, "index_add": index_add, "index_add_": _index_add_, "index_put": index_put,
    "index_put_": _index_put_, "index_copy": index_copy, "masked_fill": masked_fill, "masked_fill_": _masked_fill_,
    "masked_select": masked_select, "nonzero": nonzero, "argwhere": argwhere, "take": take,
    "take_along_dim": take_along_dim,
})
