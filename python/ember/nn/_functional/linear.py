"""F.linear on the fused bias + GEMM kernel (csrc/ops/linalg/linear.cpp)."""
import math

from ... import _C
from ...autograd.function import Function
from ...tensor import Tensor, _wrap, needs_grad
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["linear"]


class _Linear(Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _wrap(_C.linear(x._a, weight._a, None if bias is None else bias._a))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = g.matmul(w)
        # Explicit row count, not -1: reshape(-1, 0) is ambiguous when out/in_features is 0.
        rows = math.prod(x.shape[:-1])
        g2 = g.reshape(rows, w.shape[0])
        if ctx.needs_input_grad[1]:
            gw = g2.mT.matmul(x.reshape(rows, w.shape[1]))
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = g2.sum(0)
        return gx, gw, gb


def linear(input, weight, bias=None):
    """y = input @ weight^T + bias, with weight of shape (out_features, in_features)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("linear", linear, input, weight, bias)
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"[linear] expected a Tensor {name}, got {type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"[linear] expected a Tensor bias or None, got {type(bias).__name__}")
    if needs_grad(input, weight, bias):
        return _Linear.apply(input, weight, bias)
    return _wrap(_C.linear(input._a, weight._a, None if bias is None else bias._a))
