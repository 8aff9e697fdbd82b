"""ember.linalg: the torch.linalg names ember implements."""
from ._ops.linalg import matmul
from ._ops.reduce import vector_norm

__all__ = ["matmul", "vector_norm", "norm"]


def norm(input, ord=None, dim=None, keepdim=False, *, dtype=None):
    """Vector 2-norm (or ``ord``) over ``dim`` (all elements when None), like torch.linalg.norm on vectors."""
    return vector_norm(input, 2 if ord is None else ord, dim=dim, keepdim=keepdim, dtype=dtype)
