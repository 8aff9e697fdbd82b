"""Matrix products: matmul, mm, bmm, mv, dot, addmm on ember's GEMM."""
from .. import _C
from ..autograd.function import Function
from ..tensor import Tensor, _wrap, needs_grad, register_methods
from ..amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "addmm", "inner"]


class _Matmul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_C.matmul(a._a, b._a))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        a2 = a.unsqueeze(0) if a_vec else a
        b2 = b.unsqueeze(-1) if b_vec else b
        g2 = g
        if a_vec:
            g2 = g2.unsqueeze(-2) if not b_vec else g2.reshape(1)
        if b_vec:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = matmul(g2, b2.mT)
            if a_vec:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            gb = matmul(a2.mT, g2)
            if b_vec:
                gb = gb.squeeze(-1)
        return ga, gb


def _check(a, b, op):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"[{op}] expected Tensor operands, got {type(a).__name__} and {type(b).__name__}")


def _check_expand(input, target, op):
    """The additive term of addmm/addmv/addr/baddbmm/addbmm must broadcast to the product's
    shape ``target`` (torch expands it and raises RuntimeError with these messages)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"[{op}] expected input to be a Tensor, got {type(input).__name__}")
    shape = tuple(input._a.shape)
    target = tuple(target)
    if len(shape) > len(target):
        raise RuntimeError(
            f"[{op}] expand({list(shape)}, size={list(target)}): the number of sizes provided ({len(target)}) must "
            f"be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(target) - len(shape)
    for i, s in enumerate(shape):
        if s != 1 and s != target[lead + i]:
            raise RuntimeError(
                f"[{op}] The expanded size of the tensor ({target[lead + i]}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(target)}.  Tensor sizes: {list(shape)}"
            )


def _check_matrices(mat1, mat2, op, names=("mat1", "mat2")):
    for m, name in zip((mat1, mat2), names):
        if not isinstance(m, Tensor):
            raise TypeError(f"[{op}] expected {name} to be a Tensor, got {type(m).__name__}")
        if m._a.ndim != 2:
            raise RuntimeError(f"[{op}] {name} must be a matrix, got {m._a.ndim}-D tensor")
    (n, k), (k2, p) = mat1._a.shape, mat2._a.shape
    if k != k2:
        raise RuntimeError(f"[{op}] {names[0]} and {names[1]} shapes cannot be multiplied ({n}x{k} and {k2}x{p})")
    return n, p


def matmul(input, other, *, out=None):
    """Matrix product with PyTorch's rules for 1-D, 2-D and batched (broadcast) operands."""
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("matmul", matmul, input, other)
    _check(input, other, "matmul")
    if needs_grad(input, other):
        r = _Matmul.apply(input, other)
    else:
        r = _wrap(_C.matmul(input._a, other._a))
    if out is not None:
        out._a = r._a
        return out
    return r


def mm(input, mat2, *, out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("mm", mm, input, mat2)
    _check(input, mat2, "mm")
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"[mm] expected 2-D tensors, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("bmm", bmm, input, mat2)
    _check(input, mat2, "bmm")
    if input.ndim != 3 or mat2.ndim != 3:
        raise ValueError(f"[bmm] expected 3-D tensors, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"[bmm] batch sizes differ: {tuple(input.shape)} and {tuple(mat2.shape)}")
    return matmul(input, mat2, out=out)


def mv(input, vec, *, out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("mv", mv, input, vec)
    _check(input, vec, "mv")
    if input.ndim != 2 or vec.ndim != 1:
        raise ValueError(f"[mv] expected a 2-D matrix and a 1-D vector, got {tuple(input.shape)} and {tuple(vec.shape)}")
    return matmul(input, vec, out=out)


def dot(input, other, *, out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("dot", dot, input, other)
    _check(input, other, "dot")
    if input.ndim != 1 or other.ndim != 1:
        raise ValueError(f"[dot] expected 1-D tensors, got {tuple(input.shape)} and {tuple(other.shape)}")
    return matmul(input, other, out=out)


inner = dot


class _Addmm(Function):
    @staticmethod
    def forward(ctx, input, mat1, mat2, beta, alpha):
        ctx.save_for_backward(mat1, mat2)
        ctx.beta, ctx.alpha = beta, alpha
        return _wrap(_C.addmm(input._a, mat1._a, mat2._a, beta, alpha))

    @staticmethod
    def backward(ctx, g):
        m1, m2 = ctx.saved_tensors
        a = ctx.alpha
        gi = g * ctx.beta if ctx.needs_input_grad[0] else None
        g1 = matmul(g, m2.mT) * a if ctx.needs_input_grad[1] else None
        g2 = matmul(m1.mT, g) * a if ctx.needs_input_grad[2] else None
        return gi, g1, g2, None, None


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat1 @ mat2), the additive term fused into the GEMM's output."""
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("addmm", addmm, input, mat1, mat2, beta=beta, alpha=alpha)
    n, p = _check_matrices(mat1, mat2, "addmm")
    _check_expand(input, (n, p), "addmm")
    if needs_grad(input, mat1, mat2):
        r = _Addmm.apply(input, mat1, mat2, beta, alpha)
    else:
        r = _wrap(_C.addmm(input._a, mat1._a, mat2._a, beta, alpha))
    if out is not None:
        out._a = r._a
        return out
    return r


def _rmatmul(self, other):
    return matmul(other, self)


register_methods({
    "matmul": matmul, "__matmul__": matmul, "__rmatmul__": _rmatmul, "mm": mm, "bmm": bmm, "mv": mv,
    "dot": dot, "addmm": addmm, "inner": inner,
})
