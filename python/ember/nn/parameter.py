"""nn.Parameter: a Tensor that a Module registers as one of its parameters.

A Parameter shares its ``_a`` Array with the tensor it was made from. Ops return plain
Tensors (they build results with ``_wrap``), so arithmetic on a Parameter never yields
a Parameter, exactly as in PyTorch.
"""
from ..tensor import Tensor


class Parameter(Tensor):
    """Parameter(data=None, requires_grad=True): a leaf tensor a Module treats as a weight."""

    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._ops.creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"[Parameter] expected a Tensor as data, got {type(data).__name__}")
        p = object.__new__(cls)
        p._a = data._a
        p.requires_grad = False
        p.grad = None
        p.grad_fn = None
        p._output_nr = 0
        p._accum = None
        p._hooks = None
        p._vbase = None
        if requires_grad:
            p.requires_grad_(True)
        return p

    # Tensor.__deepcopy__ rebuilds subclasses through cls.__new__(cls, tensor, requires_grad).
    _from_tensor = True

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        from ..tensor import _wrap

        p = type(self)(_wrap(self._a.clone()), self.requires_grad)
        if self.grad is not None:
            p.grad = _wrap(self.grad._a.clone())
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, proto):
        fn, args = Tensor.__reduce_ex__(self, proto)
        return (_rebuild_parameter, (fn, args, self.requires_grad))

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__


class Buffer(Tensor):
    """Buffer(data, persistent=True): marks a tensor to be registered as a module buffer."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._ops.creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"[Buffer] expected a Tensor as data, got {type(data).__name__}")
        b = object.__new__(cls)
        for k in ("_a", "requires_grad", "grad", "grad_fn", "_output_nr", "_accum", "_hooks", "_vbase"):
            setattr(b, k, getattr(data, k))
        b.persistent = persistent
        return b


def _rebuild_parameter(fn, args, requires_grad):
    t = fn(*args)
    return Parameter(t.detach(), requires_grad)


def is_parameter(x):
    return isinstance(x, Parameter)


__all__ = ["Parameter", "Buffer"]
