"""Elementwise ops: arithmetic, math functions, comparisons, logical/bitwise ops,
where/clamp/lerp/addcmul/addcdiv, the Tensor operators and in-place methods.

The kernels (csrc/ops/elementwise) do broadcasting and PyTorch's type promotion:
Python numbers are passed to ``_C`` as they are and are "weak" (float32 tensor +
2.5 stays float32). Each differentiable op is a Function whose backward uses
Tensor ops; the engine sums broadcast gradients back to each input's shape.
Without grad recording, ops call the kernel directly (the hot path of ``a + b``).

In-place methods with autograd: the op runs out of place on a snapshot of the
tensor (same graph position, the pre-modification values, so saved tensors stay
valid), the result is copied into the tensor, and the tensor takes over the
result's graph node.
"""
import math
import numbers

from .. import _C
from ..autograd import function as _function
from ..autograd.function import Function
from ..autograd.grad_mode import _inf_ever, _state
from ..tensor import Tensor, _check_inplace_inference, _wrap, needs_grad, register_methods
from ..amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "float_power", "neg", "negative", "abs", "absolute", "exp", "exp2", "log",
    "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin",
    "acos", "atan", "arcsin", "arccos", "arctan", "atan2", "arctan2", "sinh", "cosh", "tanh", "sigmoid",
    "relu", "erf", "erfinv", "maximum", "minimum", "fmax", "fmin", "clamp", "clip", "clamp_min", "clamp_max",
    "sign", "floor", "ceil", "round", "trunc", "fix", "frac", "eq", "ne", "lt", "le", "gt", "ge", "greater",
    "greater_equal", "less", "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor",
    "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite",
    "isposinf", "isneginf", "where", "lerp", "addcmul", "addcdiv", "nan_to_num", "result_type",
]

_Number = (bool, int, float)
_builtin_abs, _builtin_round, _builtin_pow = abs, round, pow


# ---------------------------------------------------------------------- helpers
def _arg(x, op):
    """A Tensor's _C.Array, or a Python number as is (weak scalar)."""
    if isinstance(x, Tensor):
        return x._a
    if isinstance(x, _Number):
        return x
    if isinstance(x, numbers.Number):
        return float(x) if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral) else int(x)
    raise TypeError(f"[{op}] expected a Tensor or a number, got {type(x).__name__}")


def _tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected a Tensor as input, got {type(x).__name__}")
    return x._a


_recording = needs_grad  # an op on xs must be recorded for autograd


def _zeros_like(t):
    a = t._a
    return _wrap(_C.zeros(list(a.shape), a.dtype, a.device_type, a.device_index))


def _is_float(x):
    return isinstance(x, Tensor) and x.is_floating_point()


def _const(x):
    """A non-differentiable view of x (Tensor ops on it record nothing)."""
    return _wrap(x._a) if isinstance(x, Tensor) else x


def _finish_out(out, arr):
    return out


# ---------------------------------------------------------------------- binary Functions
class Add(Function):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            return _wrap(_C.add(_arg(a, "add"), _arg(b, "add")))
        return _wrap(_C.add(_arg(a, "add"), _arg(b, "add"), alpha))

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad[:2]
        return (g if na else None, (g if ctx.alpha == 1 else g * ctx.alpha) if nb else None, None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        if alpha == 1:
            return _wrap(_C.sub(_arg(a, "sub"), _arg(b, "sub")))
        return _wrap(_C.sub(_arg(a, "sub"), _arg(b, "sub"), alpha))

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad[:2]
        return (g if na else None, (-g if ctx.alpha == 1 else g * (-ctx.alpha)) if nb else None, None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        return _wrap(_C.mul(_arg(a, "mul"), _arg(b, "mul")))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        na, nb = ctx.needs_input_grad[:2]
        return (g * (b if b is not None else sb) if na else None, g * (a if a is not None else sa) if nb else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        return _wrap(_C.div(_arg(a, "div"), _arg(b, "div")))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        a = a if a is not None else sa
        b = b if b is not None else sb
        na, nb = ctx.needs_input_grad[:2]
        return (g / b if na else None, -g * a / (b * b) if nb else None)


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = _wrap(_C.pow(_arg(a, "pow"), _arg(b, "pow")))
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None, out)
        ctx.scalars = (a, b)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        sa, sb = ctx.scalars
        na, nb = ctx.needs_input_grad[:2]
        ga = gb = None
        if na:
            if b is None:
                ga = _zeros_like(g) if sb == 0 else g * sb * a ** (sb - 1)
            else:
                ga = where(b == 0, 0.0, g * b * a ** (b - 1))
        if nb:
            if a is None:
                lg = math.log(sa) if sa > 0 else (float("-inf") if sa == 0 else float("nan"))
                gb = g * out * lg
                if sa == 0:
                    gb = where(_const(b) >= 0, 0.0, gb)
            else:
                gb = where((_const(a) == 0) & (_const(b) >= 0), 0.0, g * out * log(a))
        return ga, gb


class Atan2(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_C.atan2(a._a, b._a))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r = g / (a * a + b * b)
        return r * b, -r * a


class _MaxMin(Function):
    @staticmethod
    def forward(ctx, a, b, is_max):
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        ctx.is_max = is_max
        op = _C.maximum if is_max else _C.minimum
        return _wrap(op(_arg(a, "maximum" if is_max else "minimum"), _arg(b, "maximum" if is_max else "minimum")))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        # Compare in the result dtype (g's), as torch does: 0-d f32 vs f16 ties in float16.
        a = _const(a).to(g.dtype) if a is not None else sa
        b = _const(b).to(g.dtype) if b is not None else sb
        win = (a > b) if ctx.is_max else (a < b)
        if not isinstance(win, Tensor):
            win = _wrap(_C.full([], float(win), _C.DType.bool, g._a.device_type, g._a.device_index))
        # Ties split the gradient evenly (PyTorch's convention).
        wa = where(a == b, 0.5, where(win, 1.0, 0.0).to(g.dtype))
        na, nb = ctx.needs_input_grad[:2]
        return (g * wa if na else None, g * (1.0 - wa) if nb else None, None)


class Remainder(Function):
    @staticmethod
    def forward(ctx, a, b, is_fmod):
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        ctx.is_fmod = is_fmod
        op = _C.fmod if is_fmod else _C.remainder
        return _wrap(op(_arg(a, "remainder"), _arg(b, "remainder")))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        na, nb = ctx.needs_input_grad[:2]
        gb = None
        if nb:
            av = _const(a) if a is not None else sa
            q = _wrap(_C.div_trunc(_arg(av, "fmod"), b._a)) if ctx.is_fmod else _wrap(
                _C.floor_divide(_arg(av, "remainder"), b._a))
            gb = -g * q
        return (g if na else None, gb, None)


# ---------------------------------------------------------------------- public binary ops
def _binary(cop, fn_cls, name):
    def op(input, other, *, out=None):
        if out is not None:
            return _out(getattr(_C, name + "_out"), out, _arg(input, name), _arg(other, name))
        if _recording(input, other):
            return fn_cls.apply(input, other)
        return _wrap(cop(_arg(input, name), _arg(other, name)))

    op.__name__ = name
    return op


def _out(cfn, out, *args):
    if not isinstance(out, Tensor):
        raise TypeError(f"out must be a Tensor, got {type(out).__name__}")
    cfn(out._a, *args)
    return out


def add(input, other, *, alpha=1, out=None):
    if out is not None:
        return _out(_C.add_out, out, _arg(input, "add"), _arg(other, "add"), alpha)
    if _recording(input, other):
        return Add.apply(input, other, alpha)
    if alpha == 1:
        return _wrap(_C.add(_arg(input, "add"), _arg(other, "add")))
    return _wrap(_C.add(_arg(input, "add"), _arg(other, "add"), alpha))


def sub(input, other, *, alpha=1, out=None):
    if out is not None:
        return _out(_C.sub_out, out, _arg(input, "sub"), _arg(other, "sub"), alpha)
    if _recording(input, other):
        return Sub.apply(input, other, alpha)
    if alpha == 1:
        return _wrap(_C.sub(_arg(input, "sub"), _arg(other, "sub")))
    return _wrap(_C.sub(_arg(input, "sub"), _arg(other, "sub"), alpha))


subtract = sub


def rsub(input, other, *, alpha=1):
    return sub(other, input, alpha=alpha)


mul = _binary(_C.mul, Mul, "mul")
multiply = mul
true_divide = _binary(_C.div, Div, "div")


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        return true_divide(input, other, out=out)
    if rounding_mode == "trunc":
        name = "div_trunc"
    elif rounding_mode == "floor":
        name = "floor_divide"
    else:
        raise ValueError(f"[div] expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    if out is not None:
        return _out(getattr(_C, name + "_out"), out, _arg(input, "div"), _arg(other, "div"))
    r = _wrap(getattr(_C, name)(_arg(input, "div"), _arg(other, "div")))
    return r


divide = div


def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


def remainder(input, other, *, out=None):
    if out is not None:
        return _out(_C.remainder_out, out, _arg(input, "remainder"), _arg(other, "remainder"))
    if _recording(input, other):
        return Remainder.apply(input, other, False)
    return _wrap(_C.remainder(_arg(input, "remainder"), _arg(other, "remainder")))


def fmod(input, other, *, out=None):
    if out is not None:
        return _out(_C.fmod_out, out, _arg(input, "fmod"), _arg(other, "fmod"))
    if _recording(input, other):
        return Remainder.apply(input, other, True)
    return _wrap(_C.fmod(_arg(input, "fmod"), _arg(other, "fmod")))


def pow(input, exponent, *, out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("pow", pow, input, exponent)
    if out is not None:
        return _out(_C.pow_out, out, _arg(input, "pow"), _arg(exponent, "pow"))
    if _recording(input, exponent):
        return Pow.apply(input, exponent)
    return _wrap(_C.pow(_arg(input, "pow"), _arg(exponent, "pow")))


def float_power(input, exponent):
    a = input.double() if isinstance(input, Tensor) else float(input)
    e = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, e)


def atan2(input, other, *, out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("atan2", atan2, input, other)
    if out is not None:
        return _out(_C.atan2_out, out, _tensor(input, "atan2"), _tensor(other, "atan2"))
    # Checked before recording: Atan2.apply would otherwise fail on a scalar's missing ._a.
    _tensor(input, "atan2")
    _tensor(other, "atan2")
    if _recording(input, other):
        return Atan2.apply(input, other)
    return _wrap(_C.atan2(_tensor(input, "atan2"), _tensor(other, "atan2")))


arctan2 = atan2


def maximum(input, other, *, out=None):
    if out is not None:
        return _out(_C.maximum_out, out, _tensor(input, "maximum"), _tensor(other, "maximum"))
    _tensor(input, "maximum")
    _tensor(other, "maximum")
    if _recording(input, other):
        return _MaxMin.apply(input, other, True)
    return _wrap(_C.maximum(_tensor(input, "maximum"), _tensor(other, "maximum")))


def minimum(input, other, *, out=None):
    if out is not None:
        return _out(_C.minimum_out, out, _tensor(input, "minimum"), _tensor(other, "minimum"))
    _tensor(input, "minimum")
    _tensor(other, "minimum")
    if _recording(input, other):
        return _MaxMin.apply(input, other, False)
    return _wrap(_C.minimum(_tensor(input, "minimum"), _tensor(other, "minimum")))


def fmax(input, other, *, out=None):
    """Like maximum, but a NaN loses to a number."""
    r = where(isnan(other), input, where(isnan(input), other, maximum(input, other)))
    return _out(_C.where_out, out, _C.full([], 1.0, _C.DType.bool, r._a.device_type, r._a.device_index), r._a,
                r._a) if out is not None else r


def fmin(input, other, *, out=None):
    r = where(isnan(other), input, where(isnan(input), other, minimum(input, other)))
    return _out(_C.where_out, out, _C.full([], 1.0, _C.DType.bool, r._a.device_type, r._a.device_index), r._a,
                r._a) if out is not None else r


def _nograd_binary(name):
    cop = getattr(_C, name)
    cop_out = getattr(_C, name + "_out")

    def op(input, other, *, out=None):
        if out is not None:
            return _out(cop_out, out, _arg(input, name), _arg(other, name))
        return _wrap(cop(_arg(input, name), _arg(other, name)))

    op.__name__ = name
    return op


eq, ne, lt, le, gt, ge = (_nograd_binary(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and, logical_or, logical_xor = (_nograd_binary(n) for n in ("logical_and", "logical_or", "logical_xor"))
bitwise_and, bitwise_or, bitwise_xor = (_nograd_binary(n) for n in ("bitwise_and", "bitwise_or", "bitwise_xor"))


def result_type(tensor1, tensor2):
    from .._dtype import FROM_C

    return FROM_C[_C.result_type(_arg(tensor1, "result_type"), _arg(tensor2, "result_type"))]


# ---------------------------------------------------------------------- unary Functions
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRTPI = 2.0 / math.sqrt(math.pi)
_SQRTPI_OVER_TWO = math.sqrt(math.pi) / 2.0

# name -> gradient given (g, x, out); None: the op is not differentiable (zero grad).
_UNARY_GRADS = {
    "neg": lambda g, x, o: -g,
    "abs": lambda g, x, o: g * sign(x),
    "exp": lambda g, x, o: g * o,
    "exp2": lambda g, x, o: g * o * _LN2,
    "log": lambda g, x, o: g / x,
    "log2": lambda g, x, o: g / (x * _LN2),
    "log10": lambda g, x, o: g / (x * _LN10),
    "log1p": lambda g, x, o: g / (x + 1.0),
    "expm1": lambda g, x, o: g * (o + 1.0),
    "sqrt": lambda g, x, o: g / (o * 2.0),
    "rsqrt": lambda g, x, o: g * (o * o * o) * -0.5,
    "square": lambda g, x, o: g * x * 2.0,
    "reciprocal": lambda g, x, o: -g * o * o,
    "sin": lambda g, x, o: g * cos(x),
    "cos": lambda g, x, o: -g * sin(x),
    "tan": lambda g, x, o: g * (o * o + 1.0),
    "asin": lambda g, x, o: g / sqrt(1.0 - x * x),
    "acos": lambda g, x, o: -g / sqrt(1.0 - x * x),
    "atan": lambda g, x, o: g / (x * x + 1.0),
    "sinh": lambda g, x, o: g * cosh(x),
    "cosh": lambda g, x, o: g * sinh(x),
    "tanh": lambda g, x, o: g * (1.0 - o * o),
    "sigmoid": lambda g, x, o: g * o * (1.0 - o),
    "relu": lambda g, x, o: where(_const(o) > 0, g, 0.0),  # 0, not NaN, where g is inf/NaN (as torch)
    "erf": lambda g, x, o: g * exp(-(x * x)) * _TWO_OVER_SQRTPI,
    "erfinv": lambda g, x, o: g * exp(o * o) * _SQRTPI_OVER_TWO,
    "frac": lambda g, x, o: g,
    "sign": None, "floor": None, "ceil": None, "round": None, "trunc": None,
}


def _make_unary_fn(name):
    grad = _UNARY_GRADS[name]
    cop = getattr(_C, name)

    class _Unary(Function):
        @staticmethod
        def forward(ctx, x):
            out = _wrap(cop(x._a))
            ctx.save_for_backward(x, out)
            return out

        @staticmethod
        def backward(ctx, g):
            x, out = ctx.saved_tensors
            if grad is None:
                return _zeros_like(g)
            return grad(g, x, out)

    _Unary.__name__ = name.capitalize()
    return _Unary


# Unary ops on an autocast list (CUDA's float32 list): they consult ember.amp first.
_AUTOCAST_UNARY = frozenset(["acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10", "log2", "log1p",
                             "reciprocal", "rsqrt", "sinh", "tan"])


def _make_unary(name):
    cop = getattr(_C, name)
    cop_out = getattr(_C, name + "_out")
    fn_cls = _make_unary_fn(name) if name in _UNARY_GRADS else None
    amp = name in _AUTOCAST_UNARY

    def op(input, *, out=None):
        if amp and out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
            return _amp_run(name, op, input)
        a = _tensor(input, name)
        if out is not None:
            return _out(cop_out, out, a)
        if fn_cls is not None and input.requires_grad and _state[0]:
            return fn_cls.apply(input)
        return _wrap(cop(a))

    op.__name__ = name
    op._fn_cls = fn_cls
    return op


_UNARY_NAMES = [
    "neg", "abs", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square",
    "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "relu",
    "erf", "erfinv", "sign", "floor", "ceil", "trunc", "frac", "isnan", "isinf", "isfinite", "logical_not",
    "bitwise_not",
]
_U = {n: _make_unary(n) for n in _UNARY_NAMES + ["round"]}
(neg, abs, exp, exp2, log, log2, log10, log1p, expm1, sqrt, rsqrt, square, reciprocal, sin, cos, tan, asin, acos,
 atan, sinh, cosh, tanh, sigmoid, relu, erf, erfinv, sign, floor, ceil, trunc, frac, isnan, isinf, isfinite,
 logical_not, bitwise_not) = (_U[n] for n in _UNARY_NAMES)
negative, absolute, arcsin, arccos, arctan, fix = neg, abs, asin, acos, atan, trunc
_round0 = _U["round"]


def round(input, *, decimals=0, out=None):
    if decimals == 0:
        return _round0(input, out=out)
    a = _tensor(input, "round")
    if out is not None:
        return _out(_C.round_out, out, a, int(decimals))
    r = _wrap(_C.round(a, int(decimals)))
    if input.requires_grad and _state[0]:
        return _ZeroGrad.apply(input, r)
    return r


def isposinf(input):
    return logical_and(isinf(input), gt(input, 0))


def isneginf(input):
    return logical_and(isinf(input), lt(input, 0))


class _ZeroGrad(Function):
    """Attaches a zero gradient to a precomputed result (piecewise-constant ops)."""

    @staticmethod
    def forward(ctx, x, r):
        return r

    @staticmethod
    def backward(ctx, g):
        return _zeros_like(g), None


# ---------------------------------------------------------------------- clamp / nan_to_num
class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo if isinstance(lo, Tensor) else None, hi if isinstance(hi, Tensor) else None)
        ctx.bounds = (lo, hi)
        return _wrap(_C.clamp(x._a, _opt(lo, "clamp"), _opt(hi, "clamp")))

    @staticmethod
    def backward(ctx, g):
        x, tlo, thi = ctx.saved_tensors
        lo, hi = ctx.bounds
        xc = _const(x)
        lo = _const(tlo) if tlo is not None else lo
        hi = _const(thi) if thi is not None else hi
        keep = None
        if lo is not None:
            keep = xc >= lo
        if hi is not None:
            keep = (xc <= hi) if keep is None else (keep & (xc <= hi))
        gx = where(keep, g, 0.0) if ctx.needs_input_grad[0] else None
        glo = where(xc < lo, g, 0.0) if (tlo is not None and ctx.needs_input_grad[1]) else None
        ghi = where(xc > hi, g, 0.0) if (thi is not None and ctx.needs_input_grad[2]) else None
        return gx, glo, ghi


def _opt(v, op):
    return None if v is None else _arg(v, op)


def clamp(input, min=None, max=None, *, out=None):
    a = _tensor(input, "clamp")
    if out is not None:
        return _out(_C.clamp_out, out, a, _opt(min, "clamp"), _opt(max, "clamp"))
    if _recording(input, min, max):
        return Clamp.apply(input, min, max)
    return _wrap(_C.clamp(a, _opt(min, "clamp"), _opt(max, "clamp")))


clip = clamp


def clamp_min(input, min):
    return clamp(input, min, None)


def clamp_max(input, max):
    return clamp(input, None, max)


class NanToNum(Function):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return _wrap(_C.nan_to_num(x._a, nan, posinf, neginf))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return where(isfinite(_const(x)), g, 0.0), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    a = _tensor(input, "nan_to_num")
    if out is not None:
        return _out(_C.nan_to_num_out, out, a, nan, posinf, neginf)
    if input.requires_grad and _state[0]:
        return NanToNum.apply(input, nan, posinf, neginf)
    return _wrap(_C.nan_to_num(a, nan, posinf, neginf))


# ---------------------------------------------------------------------- ternary ops
class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return _wrap(_C.where(cond._a, _arg(a, "where"), _arg(b, "where")))

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad[:3]
        zero = _wrap(_C.zeros([], g._a.dtype, g._a.device_type, g._a.device_index))
        return (None, _wrap(_C.where(cond._a, g._a, zero._a)) if na else None,
                _wrap(_C.where(cond._a, zero._a, g._a)) if nb else None)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    c = _tensor(condition, "where")
    if out is not None:
        return _out(_C.where_out, out, c, _arg(input, "where"), _arg(other, "where"))
    if _recording(input, other):
        return Where.apply(condition, input, other)
    return _wrap(_C.where(c, _arg(input, "where"), _arg(other, "where")))


class Lerp(Function):
    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight if isinstance(weight, Tensor) else None)
        ctx.w = weight
        return _wrap(_C.lerp(start._a, end._a, _arg(weight, "lerp")))

    @staticmethod
    def backward(ctx, g):
        start, end, tw = ctx.saved_tensors
        w = tw if tw is not None else ctx.w
        ns, ne_, nw = ctx.needs_input_grad[:3]
        return (g * (1.0 - w) if ns else None, g * w if ne_ else None,
                g * (end - start) if (nw and tw is not None) else None)


def lerp(input, end, weight, *, out=None):
    if out is not None:
        return _out(_C.lerp_out, out, _tensor(input, "lerp"), _tensor(end, "lerp"), _arg(weight, "lerp"))
    _tensor(input, "lerp")
    _tensor(end, "lerp")
    if _recording(input, end, weight):
        return Lerp.apply(input, end, weight)
    return _wrap(_C.lerp(_tensor(input, "lerp"), _tensor(end, "lerp"), _arg(weight, "lerp")))


class _Addc(Function):
    @staticmethod
    def forward(ctx, x, t1, t2, value, is_div):
        ctx.save_for_backward(t1, t2)
        ctx.value, ctx.is_div = value, is_div
        return _wrap((_C.addcdiv if is_div else _C.addcmul)(x._a, t1._a, t2._a, value))

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        nx, n1, n2 = ctx.needs_input_grad[:3]
        if ctx.is_div:
            return (g if nx else None, g * v / t2 if n1 else None, -g * v * t1 / (t2 * t2) if n2 else None,
                    None, None)
        return (g if nx else None, g * v * t2 if n1 else None, g * v * t1 if n2 else None, None, None)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("addcmul", addcmul, input, tensor1, tensor2, value=value)
    if out is not None:
        return _out(_C.addcmul_out, out, _tensor(input, "addcmul"), _tensor(tensor1, "addcmul"),
                    _tensor(tensor2, "addcmul"), value)
    _tensor(input, "addcmul")
    _tensor(tensor1, "addcmul")
    _tensor(tensor2, "addcmul")
    if _recording(input, tensor1, tensor2):
        return _Addc.apply(input, tensor1, tensor2, value, False)
    return _wrap(_C.addcmul(_tensor(input, "addcmul"), _tensor(tensor1, "addcmul"), _tensor(tensor2, "addcmul"),
                            value))


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if out is None and _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("addcdiv", addcdiv, input, tensor1, tensor2, value=value)
    if out is not None:
        return _out(_C.addcdiv_out, out, _tensor(input, "addcdiv"), _tensor(tensor1, "addcdiv"),
                    _tensor(tensor2, "addcdiv"), value)
    _tensor(input, "addcdiv")
    _tensor(tensor1, "addcdiv")
    _tensor(tensor2, "addcdiv")
    if _recording(input, tensor1, tensor2):
        return _Addc.apply(input, tensor1, tensor2, value, True)
    return _wrap(_C.addcdiv(_tensor(input, "addcdiv"), _tensor(tensor1, "addcdiv"), _tensor(tensor2, "addcdiv"),
                            value))


# ---------------------------------------------------------------------- operators
def _is_operand(x):
    return isinstance(x, (Tensor, bool, int, float))


def _op(fn, reflected=False):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    return method


def __add__(self, other):
    if type(other) is Tensor or isinstance(other, Tensor):
        if not ((self.requires_grad or other.requires_grad) and _state[0]):
            return _wrap(_C.add(self._a, other._a))
    elif not isinstance(other, (int, float)):
        return NotImplemented
    elif not (self.requires_grad and _state[0]):
        return _wrap(_C.add(self._a, other))
    return Add.apply(self, other)


def __mul__(self, other):
    if type(other) is Tensor or isinstance(other, Tensor):
        if not ((self.requires_grad or other.requires_grad) and _state[0]):
            return _wrap(_C.mul(self._a, other._a))
    elif not isinstance(other, (int, float)):
        return NotImplemented
    elif not (self.requires_grad and _state[0]):
        return _wrap(_C.mul(self._a, other))
    return Mul.apply(self, other)


def __sub__(self, other):
    if type(other) is Tensor or isinstance(other, Tensor):
        if not ((self.requires_grad or other.requires_grad) and _state[0]):
            return _wrap(_C.sub(self._a, other._a))
    elif not isinstance(other, (int, float)):
        return NotImplemented
    elif not (self.requires_grad and _state[0]):
        return _wrap(_C.sub(self._a, other))
    return Sub.apply(self, other)


def __truediv__(self, other):
    if type(other) is Tensor or isinstance(other, Tensor):
        if not ((self.requires_grad or other.requires_grad) and _state[0]):
            return _wrap(_C.div(self._a, other._a))
    elif not isinstance(other, (int, float)):
        return NotImplemented
    elif not (self.requires_grad and _state[0]):
        return _wrap(_C.div(self._a, other))
    return Div.apply(self, other)


def __neg__(self):
    return neg(self)


# ---------------------------------------------------------------------- in-place
def _inplace(self, name, compute, inputs=()):
    """Runs compute(x) -> Tensor (out of place) and writes the result into self.

    ``inputs`` are the other operands: the write is checked against them for
    overlap as the kernels' in-place path checks it (torch's rules), although the
    result here is computed out of place.
    """
    if not isinstance(self, Tensor):
        raise TypeError(f"[{name}] expected a Tensor")
    if _inf_ever[0]:
        _check_inplace_inference(self)
    recording = _state[0]
    if recording and self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    vb = self._vbase
    if recording and vb is not None and vb[0].requires_grad and vb[0].grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    _check_overlap(self, name, inputs)
    src = self
    if recording and self.requires_grad:
        # A snapshot at self's graph position: saved tensors keep the old values.
        src = _wrap(self._a.clone(), True)
        src.grad_fn, src._output_nr = self.grad_fn, self._output_nr
    r = compute(src)
    if r._a.dtype != self._a.dtype:
        from .._dtype import FROM_C

        if not _can_cast(r._a.dtype, self._a.dtype):
            raise RuntimeError(f"[{name}] result type {FROM_C[r._a.dtype]} can't be cast to the desired output "
                               f"type {FROM_C[self._a.dtype]}")
    if tuple(r._a.shape) != tuple(self._a.shape):
        raise RuntimeError(f"[{name}] output with shape {list(self._a.shape)} doesn't match the broadcast shape "
                           f"{list(r._a.shape)}")
    self._a.copy_(r._a)
    if r.requires_grad and r.grad_fn is not None:
        self.requires_grad = True
        self.grad_fn, self._output_nr = r.grad_fn, r._output_nr
        if vb is not None:
            _function._rebase_view(self)
    return self


_FLOATS = None


def _check_overlap(self, name, inputs):
    op = name[:-1] if name.endswith("_") else name  # the kernels' op names: "[add] ..."
    _C._assert_no_internal_overlap(self._a, op)
    arrs = [t._a for t in inputs if isinstance(t, Tensor)]
    if arrs:
        _C._assert_no_partial_overlap(self._a, arrs, op)


def _can_cast(frm, to):
    fl = (_C.DType.float16, _C.DType.bfloat16, _C.DType.float32, _C.DType.float64)
    if frm in fl and to not in fl:
        return False
    if frm != _C.DType.bool and to == _C.DType.bool:
        return False
    return True


def _make_inplace_binary(name, fn, cout, grad_fn_takes_kwargs=False):
    def method(self, other, **kw):
        if _inf_ever[0]:
            _check_inplace_inference(self)
        recording = (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)) and _state[0]
        if not recording and not kw:
            cout(self._a, self._a, _arg(other, name))
            return self
        return _inplace(self, name + "_", lambda x: fn(x, other, **kw), (other,))

    method.__name__ = name + "_"
    return method


def _make_inplace_unary(name, fn, cout):
    def method(self):
        if _inf_ever[0]:
            _check_inplace_inference(self)
        if not (self.requires_grad and _state[0]):
            cout(self._a, self._a)
            return self
        return _inplace(self, name + "_", fn)

    method.__name__ = name + "_"
    return method


def _add_(self, other, *, alpha=1):
    if _inf_ever[0]:
        _check_inplace_inference(self)
    if not ((self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)) and _state[0]):
        _C.add_out(self._a, self._a, _arg(other, "add_"), alpha)
        return self
    return _inplace(self, "add_", lambda x: add(x, other, alpha=alpha), (other,))


def _sub_(self, other, *, alpha=1):
    if _inf_ever[0]:
        _check_inplace_inference(self)
    if not ((self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)) and _state[0]):
        _C.sub_out(self._a, self._a, _arg(other, "sub_"), alpha)
        return self
    return _inplace(self, "sub_", lambda x: sub(x, other, alpha=alpha), (other,))


def _div_(self, other, *, rounding_mode=None):
    if _inf_ever[0]:
        _check_inplace_inference(self)
    if not ((self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)) and _state[0]):
        div(self, other, rounding_mode=rounding_mode, out=self)
        return self
    return _inplace(self, "div_", lambda x: div(x, other, rounding_mode=rounding_mode), (other,))


def _clamp_(self, min=None, max=None):
    if not _recording(self, min, max):
        _C.clamp_out(self._a, self._a, _opt(min, "clamp_"), _opt(max, "clamp_"))
        return self
    return _inplace(self, "clamp_", lambda x: clamp(x, min, max), (min, max))


def _round_(self, *, decimals=0):
    if not (self.requires_grad and _state[0]):
        round(self, decimals=decimals, out=self)
        return self
    return _inplace(self, "round_", lambda x: round(x, decimals=decimals))


def _nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    if not (self.requires_grad and _state[0]):
        _C.nan_to_num_out(self._a, self._a, nan, posinf, neginf)
        return self
    return _inplace(self, "nan_to_num_", lambda x: nan_to_num(x, nan, posinf, neginf))


def _lerp_(self, end, weight):
    if not _recording(self, end, weight):
        _C.lerp_out(self._a, self._a, end._a, _arg(weight, "lerp_"))
        return self
    return _inplace(self, "lerp_", lambda x: lerp(x, end, weight), (end, weight))


def _addcmul_(self, tensor1, tensor2, *, value=1):
    if not _recording(self, tensor1, tensor2):
        _C.addcmul_out(self._a, self._a, tensor1._a, tensor2._a, value)
        return self
    return _inplace(self, "addcmul_", lambda x: addcmul(x, tensor1, tensor2, value=value), (tensor1, tensor2))


def _addcdiv_(self, tensor1, tensor2, *, value=1):
    if not _recording(self, tensor1, tensor2):
        _C.addcdiv_out(self._a, self._a, tensor1._a, tensor2._a, value)
        return self
    return _inplace(self, "addcdiv_", lambda x: addcdiv(x, tensor1, tensor2, value=value), (tensor1, tensor2))


def _where_method(self, condition, other):
    return where(condition, self, other)


def _pow_method(self, exponent):
    return pow(self, exponent)


def _iop(inplace_method):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        return inplace_method(self, other)

    return method


def _type_error_bool(name):
    def method(self, other):
        return NotImplemented

    return method


_methods = {
    # operators
    "__add__": __add__, "__radd__": _op(add, True), "__sub__": __sub__, "__rsub__": _op(sub, True),
    "__mul__": __mul__, "__rmul__": _op(mul, True), "__truediv__": __truediv__,
    "__rtruediv__": _op(true_divide, True), "__floordiv__": _op(floor_divide),
    "__rfloordiv__": _op(floor_divide, True), "__mod__": _op(remainder), "__rmod__": _op(remainder, True),
    "__pow__": _op(pow), "__rpow__": _op(pow, True), "__neg__": __neg__, "__abs__": lambda self: abs(self),
    "__pos__": lambda self: self,
    "__eq__": _op(eq), "__ne__": _op(ne), "__lt__": _op(lt), "__le__": _op(le), "__gt__": _op(gt),
    "__ge__": _op(ge), "__and__": _op(bitwise_and), "__rand__": _op(bitwise_and, True),
    "__or__": _op(bitwise_or), "__ror__": _op(bitwise_or, True), "__xor__": _op(bitwise_xor),
    "__rxor__": _op(bitwise_xor, True), "__invert__": lambda self: bitwise_not(self),
    # methods
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": true_divide, "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod,
    "pow": _pow_method, "float_power": float_power, "atan2": atan2, "arctan2": atan2, "maximum": maximum,
    "minimum": minimum, "fmax": fmax, "fmin": fmin, "clamp": clamp, "clip": clamp, "clamp_min": clamp_min,
    "clamp_max": clamp_max, "round": round, "nan_to_num": nan_to_num, "where": _where_method, "lerp": lerp,
    "addcmul": addcmul, "addcdiv": addcdiv, "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "greater": gt, "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "isposinf": isposinf, "isneginf": isneginf, "negative": neg, "absolute": abs, "arcsin": asin,
    "arccos": acos, "arctan": atan, "fix": trunc,
    # in-place
    "add_": _add_, "sub_": _sub_, "subtract_": _sub_, "div_": _div_, "divide_": _div_, "clamp_": _clamp_,
    "clip_": _clamp_, "round_": _round_, "nan_to_num_": _nan_to_num_, "lerp_": _lerp_, "addcmul_": _addcmul_,
    "addcdiv_": _addcdiv_,
    "clamp_min_": lambda self, min: _clamp_(self, min, None),
    "clamp_max_": lambda self, max: _clamp_(self, None, max),
}
_methods["__iadd__"] = _iop(_add_)
_methods["__isub__"] = _iop(_sub_)
_methods["__itruediv__"] = _iop(_div_)

for _n, _f, _c in [("mul", mul, _C.mul_out), ("true_divide", true_divide, _C.div_out),
                   ("floor_divide", floor_divide, _C.floor_divide_out), ("remainder", remainder, _C.remainder_out),
                   ("fmod", fmod, _C.fmod_out), ("pow", pow, _C.pow_out), ("atan2", atan2, _C.atan2_out),
                   ("maximum", maximum, _C.maximum_out), ("minimum", minimum, _C.minimum_out),
                   ("eq", eq, _C.eq_out), ("ne", ne, _C.ne_out), ("lt", lt, _C.lt_out), ("le", le, _C.le_out),
                   ("gt", gt, _C.gt_out), ("ge", ge, _C.ge_out), ("logical_and", logical_and, _C.logical_and_out),
                   ("logical_or", logical_or, _C.logical_or_out), ("logical_xor", logical_xor, _C.logical_xor_out),
                   ("bitwise_and", bitwise_and, _C.bitwise_and_out), ("bitwise_or", bitwise_or, _C.bitwise_or_out),
                   ("bitwise_xor", bitwise_xor, _C.bitwise_xor_out)]:
    _methods[_n + "_"] = _make_inplace_binary(_n, _f, _c)
_methods["multiply_"] = _methods["mul_"]
_methods["__imul__"] = _iop(_methods["mul_"])
_methods["__ifloordiv__"] = _iop(_methods["floor_divide_"])
_methods["__imod__"] = _iop(_methods["remainder_"])
_methods["__ipow__"] = _iop(_methods["pow_"])
_methods["__iand__"] = _iop(_methods["bitwise_and_"])
_methods["__ior__"] = _iop(_methods["bitwise_or_"])
_methods["__ixor__"] = _iop(_methods["bitwise_xor_"])

for _n in _UNARY_NAMES + ["round"]:
    if _n != "round":
        _methods[_n] = _U[_n]
    if _n not in ("isnan", "isinf", "isfinite", "round"):
        _methods[_n + "_"] = _make_inplace_unary(_n, _U[_n], getattr(_C, _n + "_out"))
for _alias, _n in [("negative_", "neg"), ("absolute_", "abs"), ("arcsin_", "asin"), ("arccos_", "acos"),
                   ("arctan_", "atan"), ("fix_", "trunc")]:
    _methods[_alias] = _methods[_n + "_"]

register_methods(_methods)
