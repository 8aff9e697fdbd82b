"""Reductions: sum, mean, prod, max/min, amax/amin, argmax/argmin, var/std,
norms, logsumexp, cumsum/cumprod, all/any, count_nonzero, nansum/nanmean.

Every function takes PyTorch's arguments (dim: int, tuple/list or None; keepdim;
dtype= where torch has it) and runs ember's C++ kernels (csrc/ops/reduce). The
backward passes are written with Tensor ops, so they are differentiable again.
"""
import collections
import math
import numbers

from .. import _C
from .._dtype import FROM_C, as_dtype
from ..autograd.function import Function
from ..tensor import Tensor, _wrap, needs_grad, register_methods
from ..amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = [
    "sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
    "var", "std", "var_mean", "std_mean", "norm", "vector_norm", "logsumexp", "cumsum", "cumprod",
    "all", "any", "count_nonzero", "aminmax",
]

_builtin_sum, _builtin_all, _builtin_any, _builtin_max, _builtin_min = sum, all, any, max, min

# torch.return_types-style results: a tuple with .values / .indices.
_max_t = collections.namedtuple("max", ["values", "indices"])
_min_t = collections.namedtuple("min", ["values", "indices"])
_aminmax_t = collections.namedtuple("aminmax", ["min", "max"])


# ---------------------------------------------------------------------- helpers
def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected a Tensor as input, got {type(x).__name__}")


def _dims(dim, op):
    """PyTorch dim argument -> list of ints or None (every dim)."""
    if dim is None:
        return None
    if isinstance(dim, numbers.Integral) and not isinstance(dim, bool):
        return [int(dim)]
    if isinstance(dim, (tuple, list)):
        out = []
        for d in dim:
            if not isinstance(d, numbers.Integral) or isinstance(d, bool):
                raise TypeError(f"[{op}] dim must be an int or a tuple of ints, got {dim!r}")
            out.append(int(d))
        return out or None  # dim=() / [] reduces every dim, like torch
    raise TypeError(f"[{op}] dim must be an int or a tuple of ints, got {type(dim).__name__}")


def _cdt(dtype):
    return None if dtype is None else as_dtype(dtype)._c


def _wrapped(dims, ndim):
    """Wrapped reduce dims (all when dims is None) of an input with ndim dims."""
    if dims is None or ndim == 0:
        return list(range(ndim))
    return sorted(d + ndim if d < 0 else d for d in dims)


def _keep_shape(shape, dims):
    """The keepdim=True shape of a reduction of `shape` over `dims`."""
    wd = set(_wrapped(dims, len(shape)))
    return [1 if i in wd else s for i, s in enumerate(shape)]


def _unreduce(g, shape, dims, keepdim):
    """A gradient of a reduction's output, reshaped to keepdim form (broadcastable to shape)."""
    if not keepdim:
        g = g.reshape(_keep_shape(shape, dims))
    return g


def _reduced_count(shape, dims):
    n = 1
    for d in _wrapped(dims, len(shape)):
        n *= shape[d]
    return n


def _as_float(t, dt):
    return t if t.dtype == dt else t.to(dt)


# ---------------------------------------------------------------------- sum / mean
class _Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.meta = (x.shape, x.dtype, dims, keepdim)
        return _wrap(_C.sum(x._a, dims, keepdim, dtype))

    @staticmethod
    def backward(ctx, g):
        shape, dt, dims, keepdim = ctx.meta
        return _as_float(_unreduce(g, shape, dims, keepdim).expand(shape), dt), None, None, None


class _Mean(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.meta = (x.shape, x.dtype, dims, keepdim)
        return _wrap(_C.mean(x._a, dims, keepdim, dtype))

    @staticmethod
    def backward(ctx, g):
        shape, dt, dims, keepdim = ctx.meta
        n = _reduced_count(shape, dims)
        return _as_float((_unreduce(g, shape, dims, keepdim) / n).expand(shape), dt), None, None, None


class _NanSum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype, is_mean):
        ctx.meta = (dims, keepdim, is_mean)
        ctx.save_for_backward(x)
        f = _C.nanmean if is_mean else _C.nansum
        return _wrap(f(x._a, dims, keepdim, dtype))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, is_mean = ctx.meta
        ok = (x == x).to(g.dtype)
        gi = _unreduce(g, x.shape, dims, keepdim) * ok
        if is_mean:
            gi = gi / sum(ok, dims, keepdim=True)
        return _as_float(gi, x.dtype), None, None, None, None


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over dim (None: every dim). bool/integer inputs sum to int64 unless dtype= is given."""
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("sum", sum, input, dim, keepdim, dtype=dtype)
    _check(input, "sum")
    dims = _dims(dim, "sum")
    if needs_grad(input):
        r = _Sum.apply(input, dims, keepdim, _cdt(dtype))
    else:
        r = _wrap(_C.sum(input._a, dims, keepdim, _cdt(dtype)))
    return _out(r, out)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over dim; the input (or dtype=) must be floating point."""
    _check(input, "mean")
    dims = _dims(dim, "mean")
    if needs_grad(input):
        r = _Mean.apply(input, dims, keepdim, _cdt(dtype))
    else:
        r = _wrap(_C.mean(input._a, dims, keepdim, _cdt(dtype)))
    return _out(r, out)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as zero."""
    _check(input, "nansum")
    dims = _dims(dim, "nansum")
    if needs_grad(input):
        return _NanSum.apply(input, dims, keepdim, _cdt(dtype), False)
    return _wrap(_C.nansum(input._a, dims, keepdim, _cdt(dtype)))


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over the non-NaN elements."""
    _check(input, "nanmean")
    dims = _dims(dim, "nanmean")
    if needs_grad(input):
        return _NanSum.apply(input, dims, keepdim, _cdt(dtype), True)
    return _wrap(_C.nanmean(input._a, dims, keepdim, _cdt(dtype)))


def _out(r, out):
    if out is None:
        return r
    out._a = r._a
    return out


# ---------------------------------------------------------------------- prod
class _Prod(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.meta = (dims, keepdim)
        ctx.save_for_backward(x)
        return _wrap(_C.prod(x._a, dims, keepdim, dtype))

    @staticmethod
    def backward(ctx, g):
        # d prod / d x_i = product of the others. Zeros are handled without dividing
        # by them: with z zeros along the reduction, a nonzero x_i gets P/x_i when
        # z == 0 and 0 otherwise; a zero x_i gets P' (product of the nonzeros) when z == 1.
        (x,) = ctx.saved_tensors
        dims, keepdim = ctx.meta
        g = _unreduce(g, x.shape, dims, keepdim)
        zero = (x == 0).to(x.dtype)
        safe = x + zero
        p_nz = prod(safe, dims, keepdim=True)
        nz = sum(zero, dims, keepdim=True)
        gi = (nz == 0).to(x.dtype) * (p_nz / safe) + (nz == 1).to(x.dtype) * zero * p_nz
        return _as_float(g * gi, x.dtype), None, None, None


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over dim (an int, or None for every element); integers give int64."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("prod", prod, input, dim, keepdim, dtype=dtype)
    _check(input, "prod")
    dims = _dims(dim, "prod")
    if needs_grad(input):
        return _Prod.apply(input, dims, keepdim, _cdt(dtype))
    return _wrap(_C.prod(input._a, dims, keepdim, _cdt(dtype)))


# ---------------------------------------------------------------------- extrema
class _AMaxMin(Function):
    """Values-only max/min: the gradient is split evenly among tied extremes (torch's amax)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, is_max):
        r = _wrap((_C.amax if is_max else _C.amin)(x._a, dims, keepdim))
        ctx.meta = (dims, keepdim)
        ctx.save_for_backward(x, r)
        return r

    @staticmethod
    def backward(ctx, g):
        x, r = ctx.saved_tensors
        dims, keepdim = ctx.meta
        mask = (x == _unreduce(r, x.shape, dims, keepdim)).to(g.dtype)
        count = sum(mask, dims, keepdim=True)
        return _unreduce(g, x.shape, dims, keepdim) * mask / count, None, None, None


class _MaxDim(Function):
    """max/min along one dim: the gradient goes to the returned index."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, is_max):
        v, i = (_C.max_dim if is_max else _C.min_dim)(x._a, dim, keepdim)
        ctx.meta = (x.shape, dim, keepdim)
        idx = _wrap(i)
        ctx.save_for_backward(idx)
        return _wrap(v), idx

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        shape, dim, keepdim = ctx.meta
        return _route(g, idx, shape, dim, keepdim), None, None, None


def _route(g, idx, shape, dim, keepdim):
    """Zeros of `shape` with g placed at idx along dim (a one-hot mask product)."""
    if len(shape) == 0:
        return g.reshape(())
    d = dim + len(shape) if dim < 0 else dim
    g = _unreduce(g, shape, [d], keepdim)
    idx = _unreduce(idx, shape, [d], keepdim)
    pos_shape = [1] * len(shape)
    pos_shape[d] = shape[d]
    import ember

    pos = ember.arange(shape[d], device=g.device).reshape(pos_shape)
    return g * (pos == idx).to(g.dtype)


def _extreme(input, dim, keepdim, is_max, op):
    _check(input, op)
    if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
        import ember

        return (ember.maximum if is_max else ember.minimum)(input, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"[{op}] keepdim=True needs a dim")
        if needs_grad(input):
            return _AMaxMin.apply(input, None, False, is_max)
        return _wrap((_C.amax if is_max else _C.amin)(input._a, None, False))
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"[{op}] dim must be an int, got {type(dim).__name__}")
    if needs_grad(input):
        v, i = _MaxDim.apply(input, int(dim), keepdim, is_max)
    else:
        v, i = (_C.max_dim if is_max else _C.min_dim)(input._a, int(dim), keepdim)
        v, i = _wrap(v), _wrap(i)
    return (_max_t if is_max else _min_t)(v, i)


def max(input, dim=None, keepdim=False, *, out=None):
    """max(x) -> value; max(x, dim, keepdim) -> (values, indices); max(x, other) -> maximum."""
    return _extreme(input, dim, keepdim, True, "max")


def min(input, dim=None, keepdim=False, *, out=None):
    """min(x) -> value; min(x, dim, keepdim) -> (values, indices); min(x, other) -> minimum."""
    return _extreme(input, dim, keepdim, False, "min")


def amax(input, dim=(), keepdim=False):
    """Max over one or more dims (all when dim=()); NaN propagates."""
    _check(input, "amax")
    dims = _dims(dim, "amax")
    if needs_grad(input):
        return _AMaxMin.apply(input, dims, keepdim, True)
    return _wrap(_C.amax(input._a, dims, keepdim))


def amin(input, dim=(), keepdim=False):
    """Min over one or more dims (all when dim=()); NaN propagates."""
    _check(input, "amin")
    dims = _dims(dim, "amin")
    if needs_grad(input):
        return _AMaxMin.apply(input, dims, keepdim, False)
    return _wrap(_C.amin(input._a, dims, keepdim))


def aminmax(input, *, dim=None, keepdim=False):
    return _aminmax_t(amin(input, () if dim is None else dim, keepdim), amax(input, () if dim is None else dim, keepdim))


def argmax(input, dim=None, keepdim=False):
    """Index of the max (first on ties, first NaN wins); dim=None indexes the flattened input."""
    _check(input, "argmax")
    return _wrap(_C.argmax(input._a, dim, keepdim))


def argmin(input, dim=None, keepdim=False):
    _check(input, "argmin")
    return _wrap(_C.argmin(input._a, dim, keepdim))


# ---------------------------------------------------------------------- var / std
def _correction(op, dim, unbiased, correction):
    """Resolves torch's legacy (dim, unbiased) and new (correction=) arguments."""
    if isinstance(dim, bool):  # var(x, False): the legacy positional unbiased
        if unbiased is not None:
            raise TypeError(f"[{op}] unbiased given twice")
        unbiased, dim = dim, None
    if unbiased is not None and correction is not None:
        raise TypeError(f"[{op}] pass either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, float(correction)


class _Var(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, take_sqrt, with_mean):
        name = ("std" if take_sqrt else "var") + ("_mean" if with_mean else "")
        f = getattr(_C, name)
        res = f(x._a, dims, correction, keepdim)
        if with_mean:
            v, m = _wrap(res[0]), _wrap(res[1])
        else:
            v, m = _wrap(res), None
        ctx.meta = (dims, correction, keepdim, take_sqrt, with_mean)
        ctx.save_for_backward(x, v)
        return (v, m) if with_mean else v

    @staticmethod
    def backward(ctx, g, gm=None):
        x, v = ctx.saved_tensors
        dims, correction, keepdim, take_sqrt, with_mean = ctx.meta
        n = _reduced_count(x.shape, dims)
        mu = mean(x, dims, keepdim=True)
        g = _unreduce(g, x.shape, dims, keepdim)
        if take_sqrt:
            s = _unreduce(v, x.shape, dims, keepdim)
            nz = (s != 0).to(x.dtype)
            g = g * nz / (2 * s + (1 - nz))  # torch masks the zero-std gradient to 0
        den = n - correction
        if den <= 0 and (dims is None or x.dim() == 0):
            # torch's var_backward for a full reduction with no degrees of freedom: inf, or nan
            # where x equals the mean; |x - mu| * inf gives exactly that (0 * inf = nan).
            gi = g * ((x - mu).abs() * math.inf)
        else:
            # Over explicit dims torch keeps 2 / (N - correction): +inf at 0, negative below it.
            gi = g * (2.0 / den if den != 0 else math.inf) * (x - mu)
        if with_mean and gm is not None:
            gi = gi + _unreduce(gm, x.shape, dims, keepdim) / n
        return gi, None, None, None, None, None


def _var_like(op, input, dim, unbiased, keepdim, correction, take_sqrt, with_mean):
    _check(input, op)
    dim, corr = _correction(op, dim, unbiased, correction)
    dims = _dims(dim, op)
    if needs_grad(input):
        return _Var.apply(input, dims, corr, keepdim, take_sqrt, with_mean)
    res = getattr(_C, op)(input._a, dims, corr, keepdim)
    return (_wrap(res[0]), _wrap(res[1])) if with_mean else _wrap(res)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with divisor N - correction (correction=1 by default; unbiased=False means 0)."""
    return _var_like("var", input, dim, unbiased, keepdim, correction, False, False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_like("std", input, dim, unbiased, keepdim, correction, True, False)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_like("var_mean", input, dim, unbiased, keepdim, correction, False, True)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_like("std_mean", input, dim, unbiased, keepdim, correction, True, True)


# ---------------------------------------------------------------------- norms
class _Norm(Function):
    @staticmethod
    def forward(ctx, x, ord, dims, keepdim, dtype):
        r = _wrap(_C.vector_norm(x._a, ord, dims, keepdim, dtype))
        ctx.meta = (ord, dims, keepdim)
        ctx.save_for_backward(x, r)
        return r

    @staticmethod
    def backward(ctx, g):
        x, r = ctx.saved_tensors
        ord, dims, keepdim = ctx.meta
        dt = x.dtype
        if r.dtype != dt:
            r, g = r.to(dt), g.to(dt)
        g = _unreduce(g, x.shape, dims, keepdim)
        r = _unreduce(r, x.shape, dims, keepdim)
        if ord == 0:
            return x * 0, None, None, None, None
        if ord == 1:
            return g * x.sign(), None, None, None, None
        if math.isinf(ord):
            mask = (x.abs() == r).to(dt)
            return g * x.sign() * mask / sum(mask, dims, keepdim=True), None, None, None, None
        nz = (r != 0).to(dt)
        safe_r = r + (1 - nz)  # the zero vector's subgradient is 0, like torch
        if ord == 2:
            return g * x * nz / safe_r, None, None, None, None
        scale = nz / safe_r.pow(ord - 1)
        return g * x * x.abs().pow(ord - 2) * scale, None, None, None, None


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.vector_norm: (sum |x|^ord)^(1/ord); ord may be 0, +-inf or any float."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("vector_norm", vector_norm, x, ord, dim, keepdim, dtype=dtype)
    _check(x, "linalg.vector_norm")
    if isinstance(ord, str):
        raise ValueError(f"[linalg.vector_norm] ord must be a number, got {ord!r}")
    dims = _dims(dim, "linalg.vector_norm")
    ord = float(ord)
    if needs_grad(x):
        return _Norm.apply(x, ord, dims, keepdim, _cdt(dtype))
    return _wrap(_C.vector_norm(x._a, ord, dims, keepdim, _cdt(dtype)))


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: p='fro' (the 2-norm over dim) or a number (a vector norm over dim)."""
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("norm", norm, input, p, dim, keepdim, dtype=dtype)
    _check(input, "norm")
    if p is None or p == "fro":
        p = 2.0
    elif isinstance(p, str):
        raise ValueError(f"[norm] unsupported norm type {p!r}: expected 'fro' or a number ('nuc' is not available)")
    return _out(vector_norm(input, p, dim, keepdim, dtype=dtype), out)


# ---------------------------------------------------------------------- logsumexp
class _LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        r = _wrap(_C.logsumexp(x._a, dims, keepdim))
        ctx.meta = (dims, keepdim)
        ctx.save_for_backward(x, r)
        return r

    @staticmethod
    def backward(ctx, g):
        x, r = ctx.saved_tensors
        dims, keepdim = ctx.meta
        return _unreduce(g, x.shape, dims, keepdim) * (x - _unreduce(r, x.shape, dims, keepdim)).exp(), None, None


def logsumexp(input, dim=None, keepdim=False):
    """log(sum(exp(x))) over dim, computed stably (max-shifted, one pass)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("logsumexp", logsumexp, input, dim, keepdim)
    _check(input, "logsumexp")
    dims = _dims(dim, "logsumexp")
    if needs_grad(input):
        return _LogSumExp.apply(input, dims, keepdim)
    return _wrap(_C.logsumexp(input._a, dims, keepdim))


# ---------------------------------------------------------------------- scans
class _CumSum(Function):
    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.meta = (dim, x.dtype)
        return _wrap(_C.cumsum(x._a, dim, dtype))

    @staticmethod
    def backward(ctx, g):
        dim, dt = ctx.meta
        # The reversed cumulative sum: sum over j >= i of g_j.
        rev = g.flip([dim]).cumsum(dim).flip([dim])
        return _as_float(rev, dt), None, None


class _CumProd(Function):
    @staticmethod
    def forward(ctx, x, dim, dtype):
        out = _wrap(_C.cumprod(x._a, dim, dtype))
        ctx.meta = dim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        # grad_i = sum over j >= i of g_j * prod_{k <= j, k != i} x_k, zero-safe (as torch's
        # cumprod_backward). Before the first zero along dim it is rev_cumsum(g * out)_i / x_i;
        # at the first zero z it is rev_cumsum(g * cumprod(x with x_z := 1))_z; after it, 0.
        from .elementwise import where  # elementwise imports this module's helpers

        x, out = ctx.saved_tensors
        dim = ctx.meta
        dt = x.dtype
        g = g.to(out.dtype) if g.dtype != out.dtype else g
        is_zero = x == 0
        zeros_so_far = is_zero.cumsum(dim)  # bool cumsum counts in int64
        before = zeros_so_far == 0
        first_zero = is_zero & (zeros_so_far == 1)
        x_safe = where(is_zero, 1.0, x)
        rev = (g * out).flip([dim]).cumsum(dim).flip([dim])
        gi = where(before, rev / x_safe, 0.0)
        if bool(first_zero.any()):
            cp = where(first_zero, 1.0, x).cumprod(dim)
            at_zero = (g * cp).flip([dim]).cumsum(dim).flip([dim])
            gi = where(first_zero, at_zero, gi)
        return _as_float(gi, dt), None, None


def _scan_dim(input, dim, op):
    if dim is None or isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"[{op}] expected an int dim, got {dim!r}")
    return int(dim)


def cumsum(input, dim, *, dtype=None, out=None):
    """Inclusive cumulative sum along dim; bool/integer inputs give int64."""
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("cumsum", cumsum, input, dim, dtype=dtype)
    _check(input, "cumsum")
    dim = _scan_dim(input, dim, "cumsum")
    if needs_grad(input):
        return _out(_CumSum.apply(input, dim, _cdt(dtype)), out)
    return _out(_wrap(_C.cumsum(input._a, dim, _cdt(dtype))), out)


def cumprod(input, dim, *, dtype=None, out=None):
    """Inclusive cumulative product along dim (gradient assumes no zeros in the input)."""
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("cumprod", cumprod, input, dim, dtype=dtype)
    _check(input, "cumprod")
    dim = _scan_dim(input, dim, "cumprod")
    if needs_grad(input):
        return _out(_CumProd.apply(input, dim, _cdt(dtype)), out)
    return _out(_wrap(_C.cumprod(input._a, dim, _cdt(dtype))), out)


# ---------------------------------------------------------------------- logical
def all(input, dim=None, keepdim=False):
    """True where every element is nonzero (uint8 inputs give uint8, like torch)."""
    _check(input, "all")
    if _no_dims(dim):
        return _truth(input)
    return _wrap(_C.all(input._a, _dims(dim, "all"), keepdim))


def any(input, dim=None, keepdim=False):
    _check(input, "any")
    if _no_dims(dim):
        return _truth(input)
    return _wrap(_C.any(input._a, _dims(dim, "any"), keepdim))


def _no_dims(dim):
    return isinstance(dim, (tuple, list)) and len(dim) == 0


def _truth(input):
    """any/all over dim=() reduce nothing in torch 2.13: each element's truth, in any/all's dtype."""
    r = input.detach() != 0
    return r.to(input.dtype) if input._a.dtype == _C.DType.uint8 else r


def count_nonzero(input, dim=None):
    _check(input, "count_nonzero")
    return _wrap(_C.count_nonzero(input._a, _dims(dim, "count_nonzero")))


# ---------------------------------------------------------------------- methods
def _m_max(self, dim=None, keepdim=False):
    return max(self, dim, keepdim)


def _m_min(self, dim=None, keepdim=False):
    return min(self, dim, keepdim)


def _m_norm(self, p="fro", dim=None, keepdim=False, dtype=None):
    return norm(self, p, dim, keepdim, dtype=dtype)


register_methods({
    "sum": sum, "mean": mean, "nansum": nansum, "nanmean": nanmean, "prod": prod,
    "max": _m_max, "min": _m_min, "amax": amax, "amin": amin, "aminmax": aminmax,
    "argmax": argmax, "argmin": argmin,
    "var": var, "std": std, "norm": _m_norm, "logsumexp": logsumexp,
    "cumsum": cumsum, "cumprod": cumprod, "all": all, "any": any, "count_nonzero": count_nonzero,
})
