"""PyTorch-compatibility ops built from existing ember ops.

These are the ``torch``/``torch.Tensor`` functions that ported code expects and that
need no math kernel of their own: each is a composition of ember ops (which run the
C++ kernels and carry autograd), so values and gradients follow from theirs. Where a
plain composition would give a different gradient than torch's formula (ties in
maximum, a zero gradient torch reports for a sign-only argument, 0 * NaN from the
branch ``where`` did not take), a small Function supplies torch's backward, still
written with Tensor ops.

Families: tensor utilities (type_as, ravel, sum_to_size, ...), products and matrix
helpers (outer, addmv, baddbmm, kron, cross, cdist, diag, rot90, diff, ...), elementwise
compositions (logaddexp, xlogy, hypot, copysign, sinc, logit, isclose, ...), index_fill
/index_copy_ and quantile/nanquantile (sort + gather + lerp).
"""
import math
import numbers
import warnings

from .. import _C
from .._dtype import bool_, float32, float64, get_default_dtype, int64, uint8
from ..autograd.function import Function
from ..tensor import Tensor, _wrap, register_methods
from . import elementwise as _ew
from . import reduce as _red
from . import shape as _sh
from .creation import copy_ as _copy_, full, full_like, tensor as _tensor_fn, zeros
from .factory import eye
from .index import _check_index_copy, gather, index_copy, scatter
from .linalg import _check_expand, dot, matmul, mv
from .sort import sort
from ..amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = [
    "ravel", "is_nonzero", "is_same_size", "positive", "is_signed",
    "outer", "ger", "addmv", "addr", "baddbmm", "addbmm", "vdot", "kron", "cross", "dist", "cdist", "trace", "diag",
    "diag_embed", "diagflat", "rot90", "diff",
    "logaddexp", "logaddexp2", "xlogy", "hypot", "copysign", "deg2rad", "rad2deg", "sinc", "logit", "heaviside",
    "sgn", "signbit", "isclose", "allclose", "equal",
    "index_fill", "quantile", "nanquantile",
]

_LN2 = math.log(2.0)


# ---------------------------------------------------------------------- helpers
def _check(x, op, what="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected {what} to be a Tensor, got {type(x).__name__}")


def _shape(x):
    return tuple(x._a.shape)


def _wrap_dim(dim, ndim, op):
    n = max(ndim, 1)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"[{op}] expected an int dim, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"[{op}] Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def _floatify(x):
    """x itself when floating, else x converted to the default float dtype (torch's int -> float ops)."""
    if isinstance(x, Tensor) and not x.is_floating_point():
        return x.to(get_default_dtype())
    return x


def _float_pair(a, b, op):
    """a, b (Tensors or numbers, at least one Tensor) promoted together, ints -> default float."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"[{op}] expected at least one Tensor operand, got {type(a).__name__} and {type(b).__name__}")
    dt = _ew.result_type(a, b)
    if not dt.is_floating_point:
        dt = get_default_dtype()
    a = a.to(dt) if isinstance(a, Tensor) else a
    b = b.to(dt) if isinstance(b, Tensor) else b
    return a, b


def _require_float(x, op):
    if not x.is_floating_point():
        raise TypeError(f"[{op}] expected a floating point tensor, got dtype {x.dtype}")


def _scalar_like(v, x):
    """A 0-d tensor holding v with x's dtype and device."""
    a = x._a
    return _wrap(_C.full([], v, a.dtype, a.device_type, a.device_index))


# ---------------------------------------------------------------------- tensor utilities
def type_as(self, other):
    _check(other, "type_as", "other")
    return self.to(other.device, other.dtype)


def ravel(input):
    _check(input, "ravel")
    return input.reshape(-1)


def is_nonzero(input):
    _check(input, "is_nonzero")
    n = input.numel()
    if n == 0:
        raise RuntimeError("[is_nonzero] Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("[is_nonzero] Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._a.item() != 0)


def is_same_size(input, other):
    _check(input, "is_same_size")
    _check(other, "is_same_size", "other")
    return _shape(input) == _shape(other)


def is_signed(input):
    _check(input, "is_signed")
    return input.dtype not in (uint8, bool_)


def positive(input):
    _check(input, "positive")
    if input.dtype == bool_:
        raise TypeError("[positive] the `+` operator, on a bool tensor is not supported.")
    return input


def sum_to_size(self, *size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    shape = _shape(self)
    lead = len(shape) - len(size)
    if lead < 0 or not all(s == 1 or s == n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"[sum_to_size] size {list(size)} is not expandable to size {list(shape)}")
    if size == shape:
        return self
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(size) if s == 1 and shape[i + lead] != 1)
    r = self.sum(dim=dims, keepdim=True) if dims else self
    return r.reshape(size)


# ---------------------------------------------------------------------- products
def _scaled(x, c):
    return x if c == 1 else x * c


def _add_scaled(input, prod, beta, alpha, op):
    """beta * input + alpha * prod with torch's rule that beta == 0 ignores input (NaN included)."""
    _check(input, op)
    prod = _scaled(prod, alpha)
    if beta == 0:  # where keeps input in the graph with a zero gradient, like torch's grad * beta
        never = _wrap(_C.full([], 0, _C.DType.bool, prod._a.device_type, prod._a.device_index))
        return _ew.where(never, input, prod)
    return _scaled(input, beta) + prod


def outer(input, vec2):
    _check(input, "outer")
    _check(vec2, "outer", "vec2")
    if input.ndim != 1 or vec2.ndim != 1:
        raise ValueError(f"[outer] expected 1-D tensors, got shapes {_shape(input)} and {_shape(vec2)}")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def addmv(input, mat, vec, *, beta=1, alpha=1):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("addmv", addmv, input, mat, vec, beta=beta, alpha=alpha)
    _check(input, "addmv")
    _check(mat, "addmv", "mat")
    _check(vec, "addmv", "vec")
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"[addmv] vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    (n, m), (k,) = _shape(mat), _shape(vec)
    if m != k or not (input._a.numel == 1 or _shape(input) == (n,)):
        sizes = "x".join(map(str, _shape(input)))
        raise RuntimeError(f"[addmv] size mismatch, got input ({sizes}), mat ({n}x{m}), vec ({k})")
    return _add_scaled(input, mv(mat, vec), beta, alpha, "addmv")


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("addr", addr, input, vec1, vec2, beta=beta, alpha=alpha)
    _check(input, "addr")
    for v, name in ((vec1, "vec1"), (vec2, "vec2")):
        _check(v, "addr", name)
        if v.ndim != 1:
            raise RuntimeError(f"[addr] Expected 1-D argument {name}, but got {v.ndim}-D")
    _check_expand(input, _shape(vec1) + _shape(vec2), "addr")
    return _add_scaled(input, outer(vec1, vec2), beta, alpha, "addr")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("baddbmm", baddbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    from .linalg import bmm

    b, n, p = _check_batches(batch1, batch2, "baddbmm")
    _check_expand(input, (b, n, p), "baddbmm")
    return _add_scaled(input, bmm(batch1, batch2), beta, alpha, "baddbmm")


def _check_batches(batch1, batch2, op):
    """Shapes (b, n, m) @ (b, m, p), checked with torch's messages; returns (b, n, p)."""
    _check(batch1, op, "batch1")
    _check(batch2, op, "batch2")
    for x, name in ((batch1, "batch1"), (batch2, "batch2")):
        if x.ndim != 3:
            raise RuntimeError(f"[{op}] {name} must be a 3D tensor, got {x.ndim}-D")
    (b, n, m), (b2, m2, p) = _shape(batch1), _shape(batch2)
    if op == "addbmm":
        if b != b2:
            raise RuntimeError(f"[{op}] batch1 and batch2 must have same number of batches, got {b} and {b2}")
        if m != m2:
            raise RuntimeError(f"[{op}] Incompatible matrix sizes for bmm ({n}x{m} and {m2}x{p})")
    elif (b2, m2) != (b, m):
        raise RuntimeError(f"[{op}] Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] "
                           f"but got: [{b2}, {m2}].")
    return b, n, p


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """Sum over the batch of batch1[i] @ batch2[i], as one GEMM: (n, b*m) @ (b*m, p)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("addbmm", addbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    b, n, p = _check_batches(batch1, batch2, "addbmm")
    m = batch1.shape[2]
    _check_expand(input, (n, p), "addbmm")
    prod = matmul(batch1.permute(1, 0, 2).reshape(n, b * m), batch2.reshape(b * m, p))
    return _add_scaled(input, prod, beta, alpha, "addbmm")


def vdot(input, other):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("vdot", vdot, input, other)
    _check(input, "vdot")
    _check(other, "vdot", "other")
    if input.dtype != other.dtype:
        raise TypeError(f"[vdot] expected both vectors to have the same dtype, got {input.dtype} and {other.dtype}")
    return dot(input, other)


def kron(input, other):
    """a[i] * b[j] laid out as (a0, b0, a1, b1, ...) then merged pairwise."""
    _check(input, "kron")
    _check(other, "kron", "other")
    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + _shape(input)
    sb = (1,) * (nd - other.ndim) + _shape(other)
    ea, eb = [], []
    for x, y in zip(sa, sb):
        ea += [x, 1]
        eb += [1, y]
    r = input.reshape(ea) * other.reshape(eb)
    return r.reshape([x * y for x, y in zip(sa, sb)])


def cross(input, other, dim=None):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("cross", cross, input, other, dim)
    _check(input, "cross")
    _check(other, "cross", "other")
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"[cross] inputs must have the same number of dimensions, got shapes {_shape(input)} and {_shape(other)}")
    if dim is None:  # torch's deprecated default: the first dim of size 3
        dim = next((i for i, s in enumerate(_sh.broadcast_shapes(_shape(input), _shape(other))) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"[cross] no dimension of size 3 in input of shape {_shape(input)}")
    d = _wrap_dim(dim, input.ndim, "cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"[cross] inputs dimension {d} must have length 3, got {input.shape[d]} and {other.shape[d]}")
    a, b = _sh.broadcast_tensors(input, other)
    # c_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1} (indices mod 3)
    return a.roll(-1, d) * b.roll(-2, d) - a.roll(-2, d) * b.roll(-1, d)


def dist(input, other, p=2):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("dist", dist, input, other, p)
    _check(input, "dist")
    _check(other, "dist", "other")
    _require_float(input, "dist")
    return _red.vector_norm(input - other, p)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distance between each row pair of x1 (..., P, M) and x2 (..., R, M), from the differences."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("cdist", cdist, x1, x2, p, compute_mode)
    _check(x1, "cdist", "x1")
    _check(x2, "cdist", "x2")
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"[cdist] only supports at least 2D tensors, got X1 of {x1.ndim}D and X2 of {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"[cdist] X1 and X2 must have the same number of columns, got X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if not x1.is_floating_point() or not x2.is_floating_point():
        raise TypeError(f"[cdist] only supports floating-point dtypes, got X1: {x1.dtype} X2: {x2.dtype}")
    if p < 0:
        raise RuntimeError(f"[cdist] only supports non-negative p values, got {p}")
    d = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return _red.vector_norm(d, p, dim=-1)


def trace(input):
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("trace", trace, input)
    _check(input, "trace")
    if input.ndim != 2:
        raise RuntimeError(f"[trace] expected a matrix, got a {input.ndim}-D tensor of shape {_shape(input)}")
    return input.diagonal().sum()


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """The last dim of input put on the ``offset`` diagonal of new (dim1, dim2) planes."""
    _check(input, "diag_embed")
    nd = input.ndim + 1
    d1 = _wrap_dim(dim1, nd, "diag_embed")
    d2 = _wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"[diag_embed] diagonal dimensions cannot be identical, got {dim1} and {dim2}")
    x = input.unsqueeze(0) if input.ndim == 0 else input
    n = x.shape[-1]
    mask = eye(n, dtype=bool_, device=input.device)
    m = _ew.where(mask, x.unsqueeze(-1), _scalar_like(0, x))  # (..., n, n), where keeps NaN/inf off the rest
    k = abs(int(offset))
    if k:
        lead = list(_shape(m)[:-2])
        zc = zeros(*(lead + [n, k]), dtype=m.dtype, device=m.device)
        zr = zeros(*(lead + [k, n + k]), dtype=m.dtype, device=m.device)
        if offset > 0:  # element (i, i + k)
            m = _sh.cat([_sh.cat([zc, m], -1), zr], -2)
        else:  # element (i + k, i)
            m = _sh.cat([zr, _sh.cat([m, zc], -1)], -2)
    return _sh.movedim(m, (-2, -1), (d1, d2)) if (d1, d2) != (nd - 2, nd - 1) else m


def diag(input, diagonal=0):
    _check(input, "diag")
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return input.diagonal(diagonal).clone()
    raise RuntimeError(f"[diag] expected a 1-D or 2-D tensor, got shape {_shape(input)}")


def diagflat(input, offset=0):
    _check(input, "diagflat")
    return diag_embed(input.reshape(-1), offset)


def rot90(input, k=1, dims=(0, 1)):
    _check(input, "rot90")
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"[rot90] expected total rotation dims == 2, got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"[rot90] expected total dims >= 2, got total dims = {input.ndim}")
    d0, d1 = (_wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"[rot90] expected rotation dims to be different, got dim0 = {d0} and dim1 = {d1}")
    k = int(k) % 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0, d1)
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


def diff(input, n=1, dim=-1, prepend=None, append=None):
    _check(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("[diff] expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"[diff] order must be non-negative, got {n}")
    d = _wrap_dim(dim, input.ndim, "diff")
    parts = []
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            t = _tensor_fn(t, dtype=input.dtype, device=input.device)
        if t.ndim == 0:  # torch broadcasts a scalar to a size-1 slice
            s = list(_shape(input))
            s[d] = 1
            t = t.expand(*s)
        elif t.ndim != input.ndim:
            raise RuntimeError(
                f"[diff] expects {name} to have the same number of dimensions as input, got {t.ndim} and {input.ndim}")
        parts.append((name, t))
    x = input
    if parts:
        pre = [t for nm, t in parts if nm == "prepend"]
        app = [t for nm, t in parts if nm == "append"]
        x = _sh.cat(pre + [input] + app, d)
    is_bool = x.dtype == bool_
    for _ in range(int(n)):
        L = x.shape[d]
        if L == 0:
            break
        hi, lo = x.narrow(d, 1, L - 1), x.narrow(d, 0, L - 1)
        x = _ew.logical_xor(hi, lo) if is_bool else hi - lo
    return x


# ---------------------------------------------------------------------- elementwise
class _LogAddExp(Function):
    """log(e^a + e^b) = max + log1p(e^-|a-b|), times ``scale`` for base 2; equal infinities
    give themselves. d/da = sigmoid((a - b) * ln(base)), split evenly at ties like torch."""

    @staticmethod
    def forward(ctx, a, b, base2):
        ctx.save_for_backward(a, b)
        ctx.base2 = base2
        same_inf = _ew.logical_and(_ew.isinf(a), _ew.eq(a, b))
        d = _ew.where(same_inf, _scalar_like(0, a), a - b).abs().neg()
        t = _ew.log1p(_ew.exp2(d)) / _LN2 if base2 else _ew.log1p(_ew.exp(d))
        return _ew.where(same_inf, a, _ew.maximum(a, b) + t)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        d = a - b
        if ctx.base2:
            d = d * _LN2
        s = _ew.sigmoid(d)
        ga = g * s if ctx.needs_input_grad[0] else None
        gb = g * (1 - s) if ctx.needs_input_grad[1] else None
        return ga, gb, None


def _logaddexp(input, other, base2, op):
    _check(input, op)
    _check(other, op, "other")
    a, b = _float_pair(input, other, op)
    return _LogAddExp.apply(a, b, base2)


def logaddexp(input, other):
    return _logaddexp(input, other, False, "logaddexp")


def logaddexp2(input, other):
    return _logaddexp(input, other, True, "logaddexp2")


def _xlogy_values(x, y):
    """x * log(y), 0 where x == 0 and y is not NaN; log(1) stands in there so no 0 * -inf appears."""
    zero = _ew.logical_and(_ew.eq(x, 0), _ew.logical_not(_ew.isnan(y)))
    y_safe = _ew.where(zero, _scalar_like(1, y), y)
    return _ew.where(zero, _scalar_like(0, x), x * _ew.log(y_safe))


class _Xlogy(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _xlogy_values(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:  # torch: xlogy(grad, y), 0 where x == 0 and y <= 0
            dead = _ew.logical_and(_ew.eq(x, 0), _ew.le(y, 0))
            gx = _ew.where(dead, _scalar_like(0, g), _xlogy_values(g, y))
        if ctx.needs_input_grad[1]:
            gy = g * x / y
        return gx, gy


def xlogy(input, other):
    if isinstance(input, Tensor) and not isinstance(other, Tensor):
        other = _scalar_like(other, _floatify(input))
    elif isinstance(other, Tensor) and not isinstance(input, Tensor):
        input = _scalar_like(input, _floatify(other))
    x, y = _float_pair(input, other, "xlogy")
    return _Xlogy.apply(x, y)


class _Hypot(Function):
    @staticmethod
    def forward(ctx, a, b):
        # scaled by max(|a|, |b|) so squares neither overflow nor underflow; an infinite side wins over NaN
        aa, ab = a.abs(), b.abs()
        m = _ew.maximum(aa, ab)
        one = _scalar_like(1, m)
        ms = _ew.where(_ew.logical_or(_ew.eq(m, 0), _ew.isinf(m)), one, m)
        sa, sb = aa / ms, ab / ms
        r = m * _ew.sqrt(sa * sa + sb * sb)
        r = _ew.where(_ew.logical_or(_ew.isinf(aa), _ew.isinf(ab)), _scalar_like(math.inf, m), r)
        ctx.save_for_backward(a, b, r)
        return r

    @staticmethod
    def backward(ctx, g):
        a, b, r = ctx.saved_tensors
        ga = g * a / r if ctx.needs_input_grad[0] else None
        gb = g * b / r if ctx.needs_input_grad[1] else None
        return ga, gb


def hypot(input, other):
    _check(input, "hypot")
    _check(other, "hypot", "other")
    a, b = _float_pair(input, other, "hypot")
    return _Hypot.apply(a, b)


def signbit(input):
    """True where the sign bit is set: x < 0, and -0.0 (found through 1 / -0.0 == -inf)."""
    _check(input, "signbit")
    if not input.is_floating_point():
        return _ew.lt(input, 0) if is_signed(input) else _ew.ne(input, input)
    x = _wrap(input._a)
    neg_zero = _ew.logical_and(_ew.eq(x, 0), _ew.lt(_ew.reciprocal(x), 0))
    return _ew.logical_or(_ew.lt(x, 0), neg_zero)


class _CopySign(Function):
    @staticmethod
    def forward(ctx, a, b):
        s = _ew.where(signbit(b), _scalar_like(-1, a), _scalar_like(1, a))
        r = a.abs() * s
        ctx.save_for_backward(a, r)
        ctx.bshape = _shape(b)
        return r

    @staticmethod
    def backward(ctx, g):
        a, r = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # torch: grad * result / input, 0 where input == 0
            nz = _ew.ne(a, 0)
            ga = g * _ew.where(nz, r / _ew.where(nz, a, _scalar_like(1, a)), _scalar_like(0, a))
        if ctx.needs_input_grad[1]:
            gb = zeros(tuple(ctx.bshape), dtype=g.dtype, device=g.device)
        return ga, gb


def copysign(input, other):
    if not isinstance(input, Tensor):
        raise TypeError(f"[copysign] expected input to be a Tensor, got {type(input).__name__}")
    a, b = _float_pair(input, other, "copysign")
    if not isinstance(b, Tensor):
        b = _scalar_like(b, a)
    return _CopySign.apply(a, b)


def deg2rad(input):
    _check(input, "deg2rad")
    return _floatify(input) * (math.pi / 180.0)


def rad2deg(input):
    _check(input, "rad2deg")
    return _floatify(input) * (180.0 / math.pi)


def sinc(input):
    """sin(pi x) / (pi x), 1 at 0; x is replaced by 1 there so the unused branch has no NaN gradient."""
    _check(input, "sinc")
    x = _floatify(input)
    z = _ew.eq(x, 0)
    px = _ew.where(z, _scalar_like(1, x), x) * math.pi
    return _ew.where(z, _scalar_like(1, x), _ew.sin(px) / px)


def logit(input, eps=None):
    _check(input, "logit")
    x = _floatify(input)
    if eps is not None:
        x = _ew.clamp(x, eps, 1 - eps)
    return _ew.log(x / (1 - x))


def heaviside(input, values):
    _check(input, "heaviside")
    _check(values, "heaviside", "values")
    if input.dtype != values.dtype:
        raise TypeError(
            "[heaviside] is not yet implemented for tensors with different dtypes, "
            f"got {input.dtype} and {values.dtype}")
    x, v = _wrap(input._a), _wrap(values._a)  # torch does not differentiate heaviside
    step = _ew.gt(x, 0).to(x.dtype)
    return _ew.where(_ew.eq(x, 0), v, step)


def sgn(input):
    _check(input, "sgn")
    return _ew.sign(input)  # real inputs: sign, which gives +0 for NaN and -0 as torch's sgn does


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check(input, "isclose")
    _check(other, "isclose", "other")
    if input.dtype != other.dtype:
        raise TypeError(
            f"[isclose] expected input and other to have the same dtype, got {input.dtype} and {other.dtype}")
    if rtol < 0:
        raise ValueError(f"[isclose] rtol must be greater than or equal to zero, got {rtol}")
    if atol < 0:
        raise ValueError(f"[isclose] atol must be greater than or equal to zero, got {atol}")
    a, b = _wrap(input._a), _wrap(other._a)
    close = _ew.eq(a, b)
    if equal_nan and a.is_floating_point():
        close = _ew.logical_or(close, _ew.logical_and(_ew.isnan(a), _ew.isnan(b)))
    if rtol == 0 and atol == 0:
        return close
    if not a.is_floating_point():
        a, b = a.to(get_default_dtype()), b.to(get_default_dtype())
    err = (a - b).abs()
    ok = _ew.logical_and(_ew.isfinite(err), _ew.le(err, (b * rtol).abs() + atol))
    return _ew.logical_or(close, ok)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def equal(input, other):
    _check(input, "equal")
    _check(other, "equal", "other")
    if _shape(input) != _shape(other):
        return False
    return bool(_ew.eq(_wrap(input._a), _wrap(other._a)).all().item())


# ---------------------------------------------------------------------- index_fill / index_copy_
def _index_for(input, dim, index, op):
    """index laid along dim, expanded to input's shape with dim of len(index) (for scatter)."""
    _check(index, op, "index")
    if index._a.dtype != _C.DType.int64:
        raise IndexError(f"[{op}] expected dtype int64 for index, got {index.dtype}")
    if index.ndim > 1:
        raise RuntimeError(f"[{op}] index has to be a vector/scalar, got shape {_shape(index)}")
    d = _wrap_dim(dim, input.ndim, op)
    idx = index.reshape(-1)
    idx = _ew.where(_ew.lt(idx, 0), idx + input.shape[d], idx)  # torch wraps negative indices
    shape = [1] * input.ndim
    shape[d] = -1
    size = list(_shape(input))
    size[d] = idx.shape[0]
    return d, idx.reshape(shape).expand(*size)


def index_fill(input, dim, index, value):
    _check(input, "index_fill")
    if input.ndim == 0:
        return index_fill(input.reshape(1), dim, index, value).reshape(())
    d, idx = _index_for(input, dim, index, "index_fill")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"[index_fill] only supports a 0-dimensional value tensor, got a tensor of shape {_shape(value)}")
        return scatter(input, d, idx, value.to(input.dtype).expand(*_shape(idx)))
    if not isinstance(value, numbers.Number):
        raise TypeError(f"[index_fill] expected a number or 0-d Tensor value, got {type(value).__name__}")
    return scatter(input, d, idx, value=value)


def _index_fill_(self, dim, index, value):
    expanded = [i for i, (n, st) in enumerate(zip(_shape(self), self.stride())) if st == 0 and n > 1]
    if not expanded:
        return _copy_(self, index_fill(self, dim, index, value))
    # torch only warns here and writes through the shared memory: fill the compact tensor
    # under the expansion (an expanded dim holds one element, so any index in it is 0).
    d, _ = _index_for(self, dim, index, "index_fill")
    warnings.warn(
        "Use of index_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing "
        "this operation. This also applies to advanced indexing e.g. tensor[mask] = scalar", UserWarning,
        stacklevel=2)
    n = self.shape[d]
    if index.numel() and d in expanded:
        lo, hi = int(index.min().item()), int(index.max().item())
        if lo < -n or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexError(f"[index_fill] index {bad} is out of bounds for dimension {d} with size {n}")
        index = index * 0
    target = self
    for i in expanded:
        target = target.narrow(i, 0, 1)
    _copy_(target, index_fill(target, d, index, value))
    return self


def _index_copy_(self, dim, index, source):
    _check_index_copy(self, dim, index, source, "index_copy_")
    _C._assert_no_internal_overlap(self._a, "index_copy_")
    _C._assert_no_overlap(self._a, [source._a, index._a], "index_copy_")
    return _copy_(self, index_copy(self, dim, index, source))


# ---------------------------------------------------------------------- quantile
_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    _check(input, op)
    if input.dtype not in (float32, float64):
        raise TypeError(f"[{op}] input tensor must be either float or double dtype, got {input.dtype}")
    if input.numel() == 0:
        raise RuntimeError(f"[{op}] input tensor must be non-empty")
    if interpolation not in _INTERP:
        raise ValueError(
            f"[{op}] interpolation must be one of linear, lower, higher, midpoint or nearest, got {interpolation!r}")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        if not isinstance(q, numbers.Real):
            raise TypeError(f"[{op}] q must be a float or a Tensor, got {type(q).__name__}")
        if not 0 <= q <= 1:
            raise RuntimeError(f"[{op}] q must be in the range [0, 1], got {q}")
        qt = full((1,), float(q), dtype=input.dtype, device=input.device)
    else:
        if q.ndim > 1:
            raise RuntimeError(f"[{op}] q must be a scalar or 1D tensor, got shape {_shape(q)}")
        if q.dtype != input.dtype:
            raise TypeError(f"[{op}] q tensor must be same dtype as the input tensor, got {q.dtype} and {input.dtype}")
        qt = q.reshape(-1)
        if qt.numel() and bool(_ew.logical_or(_ew.lt(qt, 0), _ew.gt(qt, 1)).any().item()):
            raise RuntimeError(f"[{op}] q values must be in the range [0, 1]")
        scalar_q = q.ndim == 0
    if dim is None:
        x = input.reshape(-1)
        rest = [1] * input.ndim if keepdim else []
    else:
        d = _wrap_dim(dim, input.ndim, op)
        x = input.unsqueeze(0) if input.ndim == 0 else _sh.movedim(input, d, -1)
        rest = list(_shape(input))
        if input.ndim:
            if keepdim:
                rest[d] = 1
            else:
                del rest[d]
    s = sort(x, -1).values  # NaN sorts last
    n = s.shape[-1]
    nan_mask = _ew.isnan(_wrap(s._a))
    # ranks are differentiable in q (torch's linear weights ranks - floor(ranks) carry q's gradient)
    if ignore_nan:  # ranks over the non-NaN prefix; an all-NaN row reads its first element (NaN)
        last = _ew.logical_not(nan_mask).sum(-1, keepdim=True).to(input.dtype) - 1
        ranks = _ew.clamp_min(qt * last, 0)
    else:  # a row with a NaN reads its last element (NaN)
        has_nan = nan_mask.any(-1, keepdim=True)
        ranks = _ew.where(has_nan, _scalar_like(n - 1, qt), qt * (n - 1))
    ranks = ranks.expand(*(list(_shape(s)[:-1]) + [qt.shape[0]]))
    rk = ranks.detach()
    if interpolation in ("linear", "midpoint"):
        below = _ew.floor(rk)
        w = full_like(rk, 0.5) if interpolation == "midpoint" else ranks - below
        ia = _ew.ceil(rk).to(int64)
    else:
        below = {"lower": _ew.floor, "higher": _ew.ceil, "nearest": _ew.round}[interpolation](rk)
    ib = below.to(int64)
    vb = gather(s, -1, ib)
    if interpolation in ("linear", "midpoint"):
        r = _ew.lerp(vb, gather(s, -1, ia), w)
    else:
        r = vb
    r = r.reshape(rest + [qt.shape[0]])
    r = _sh.movedim(r, -1, 0)
    return r.squeeze(0) if scalar_q else r


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("quantile", quantile, input, q, dim, keepdim, interpolation=interpolation)
    r = _quantile(input, q, dim, keepdim, interpolation, False, "quantile")
    return _finish(r, out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("nanquantile", nanquantile, input, q, dim, keepdim, interpolation=interpolation)
    r = _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")
    return _finish(r, out)


def _finish(r, out):
    if out is not None:
        out._a = r._a
        return out
    return r


# ---------------------------------------------------------------------- Tensor methods
register_methods({
    "type_as": type_as, "ravel": ravel, "is_nonzero": is_nonzero, "is_same_size": is_same_size,
    "is_signed": is_signed, "positive": positive, "sum_to_size": sum_to_size,
    "outer": outer, "ger": ger, "addmv": addmv, "addr": addr, "baddbmm": baddbmm, "addbmm": addbmm, "vdot": vdot,
    "kron": kron, "cross": cross, "dist": dist, "trace": trace, "diag": diag, "diag_embed": diag_embed,
    "diagflat": diagflat, "rot90": rot90, "diff": diff,
    "logaddexp": logaddexp, "logaddexp2": logaddexp2, "xlogy": xlogy, "hypot": hypot, "copysign": copysign,
    "deg2rad": deg2rad, "rad2deg": rad2deg, "sinc": sinc, "logit": logit, "heaviside": heaviside, "sgn": sgn,
    "signbit": signbit, "isclose": isclose, "allclose": allclose, "equal": equal,
    "index_fill": index_fill, "index_fill_": _index_fill_, "index_copy_": _index_copy_,
    "quantile": quantile, "nanquantile": nanquantile,
})
