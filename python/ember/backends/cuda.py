"""ember.backends.cuda: ``matmul.allow_tf32`` as in torch.backends.cuda."""
from .. import _C

__all__ = ["matmul"]


class _MatmulFlags:
    """Settings of the CUDA matrix products (matmul, mm, bmm, addmm, linear)."""

    __slots__ = ()

    @property
    def allow_tf32(self):
        """float32 products may round their inputs to TF32 on tensor cores (default False)."""
        return bool(_C._get_cuda_matmul_allow_tf32())

    @allow_tf32.setter
    def allow_tf32(self, value):
        _C._set_cuda_matmul_allow_tf32(bool(value))

    def __repr__(self):
        return f"<ember.backends.cuda.matmul allow_tf32={self.allow_tf32}>"


matmul = _MatmulFlags()
