"""ember.backends.cudnn: ``allow_tf32`` (default True) for CUDA convolutions.

ember does not use cuDNN; its own implicit-GEMM convolution kernels read this flag under
PyTorch's name so ported code keeps working. ``enabled``, ``benchmark`` and
``deterministic`` are accepted for compatibility and change nothing (ember's
convolutions are deterministic).
"""
import sys
import types

from .. import _C

enabled = True
benchmark = False
deterministic = False


def is_available():
    """False: ember runs its own convolution kernels, not cuDNN."""
    return False


def version():
    return None


class _CudnnModule(types.ModuleType):
    @property
    def allow_tf32(self):
        """float32 convolutions may round their inputs to TF32 on tensor cores (default True)."""
        return bool(_C._get_cuda_conv_allow_tf32())

    @allow_tf32.setter
    def allow_tf32(self, value):
        _C._set_cuda_conv_allow_tf32(bool(value))


sys.modules[__name__].__class__ = _CudnnModule
