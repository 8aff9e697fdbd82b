"""Identity, Linear, Bilinear, Flatten, Unflatten with PyTorch's parameters and init."""
import math

from ..._ops.creation import empty
from .. import init
from ..parameter import Parameter
from .._functional.linear import linear as _F_linear
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "Flatten", "Unflatten"]


def _int_arg(v, cls, what):
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"[{cls}] {what} must be a non-negative int, got {v!r}")
    return v


class Identity(Module):
    """Returns its input; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features)."""

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = _int_arg(in_features, "Linear", "in_features")
        self.out_features = _int_arg(out_features, "Linear", "out_features")
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_weight_and_bias_(self.weight, self.bias)

    def forward(self, input):
        return _F_linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y = x1^T A x2 + b with A of shape (out_features, in1_features, in2_features)."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = _int_arg(in1_features, "Bilinear", "in1_features")
        self.in2_features = _int_arg(in2_features, "Bilinear", "in2_features")
        self.out_features = _int_arg(out_features, "Bilinear", "out_features")
        self.weight = Parameter(empty((out_features, in1_features, in2_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        o, i1, i2 = self.weight.shape
        if input1.shape[-1] != i1 or input2.shape[-1] != i2 or tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
            raise RuntimeError(
                f"[bilinear] expected inputs of shapes (*, {i1}) and (*, {i2}) with equal leading dims, got "
                f"{tuple(input1.shape)} and {tuple(input2.shape)}"
            )
        lead = tuple(input1.shape[:-1])
        x1 = input1.reshape(-1, i1)
        x2 = input2.reshape(-1, i2)
        # (N, in1) @ (in1, out*in2) -> (N, out, in2), then contract in2 with x2.
        w = self.weight.permute(1, 0, 2).reshape(i1, o * i2)
        t = x1.matmul(w).reshape(-1, o, i2)
        out = t.matmul(x2.unsqueeze(-1)).squeeze(-1)
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(lead + (o,))

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Flatten(Module):
    """Flattens dims start_dim..end_dim (default: all but the batch dim)."""

    __constants__ = ["start_dim", "end_dim"]

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim ``dim`` into ``unflattened_size``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(dim, int):
            if not isinstance(unflattened_size, (tuple, list)) or not all(
                    isinstance(s, int) and not isinstance(s, bool) for s in unflattened_size):
                raise TypeError("unflattened_size must be tuple of ints, but found type "
                                f"{type(unflattened_size).__name__}")
        elif isinstance(dim, str):
            raise TypeError("[Unflatten] named dimensions are not supported by ember")
        else:
            raise TypeError("invalid argument type for dim parameter")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
