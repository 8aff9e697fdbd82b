"""ember.backends: switches of the compute backends, as in torch.backends.

``ember.backends.cuda.matmul.allow_tf32`` (default False) lets float32 matmul / linear run
on TF32 tensor cores; ``ember.backends.cudnn.allow_tf32`` (default True) does the same for
convolutions (ember's own kernels; the name follows PyTorch).
"""
from . import cuda, cudnn  # noqa: F401

__all__ = ["cuda", "cudnn"]
