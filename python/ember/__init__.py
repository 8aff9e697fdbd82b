"""ember: a deep-learning library with its own C++/CUDA kernels and PyTorch's API.

    import ember as torch        # PyTorch code ports by changing the import
"""
import importlib as _importlib

from . import _C
from ._device import device
from ._dtype import (
    bfloat16, dtype, float16, float32, float64, get_default_dtype, int32, int64, promote_types,
    set_default_dtype, uint8,
)
from ._dtype import bool_ as bool  # noqa: A001  (ember.bool, like torch.bool)
from ._format import set_printoptions
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import is_inference_mode_enabled
from .tensor import Size, Tensor

__version__ = getattr(_C, "__version__", "0.1.0")

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001

# Op families: each registers its Tensor methods and exports its public functions.
_FAMILIES = ["creation", "elementwise", "reduce", "linalg", "index", "shape", "sort", "factory", "random",
             "indexing", "compat"]
for _name in _FAMILIES:
    try:
        _mod = _importlib.import_module(f"._ops.{_name}", __name__)
    except ModuleNotFoundError as _e:
        if _e.name != f"{__name__}._ops.{_name}":
            raise
        continue
    for _k in getattr(_mod, "__all__", ()):
        globals()[_k] = getattr(_mod, _k)

from . import autograd, cuda, linalg  # noqa: E402
from . import backends  # noqa: E402  (ember.backends.cuda.matmul.allow_tf32, ember.backends.cudnn)

try:  # DLPack interop (from_dlpack, to_dlpack)
    from . import _interop
except ModuleNotFoundError as _e:
    if _e.name != f"{__name__}._interop":
        raise
else:
    for _k in getattr(_interop, "__all__", ()):
        globals()[_k] = getattr(_interop, _k)


def set_num_threads(n):
    """Threads used by ember's CPU kernels (like torch.set_num_threads)."""
    if not isinstance(n, (type(1),)) or n < 1:
        raise ValueError(f"[set_num_threads] expected a positive int, got {n!r}")
    _C.set_num_threads(n)


def get_num_threads():
    return _C.get_num_threads()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return t.is_floating_point()


def numel(t):
    return t.numel()


from . import nn, optim, utils  # noqa: E402
from . import datasets  # noqa: E402  (ember.datasets: digits shipped, MNIST/CIFAR/ImageFolder/CSV readers)
from . import transforms  # noqa: E402  (ember.transforms: torchvision-style augmentation)
from .serialization import load, save  # noqa: E402  (ember.save / ember.load: safetensors, reads torch .pt)
from . import keras, metrics  # noqa: E402  (Keras-style models/fit; metrics for PyTorch-style loops)
from .nn.functional import log_softmax, softmax  # noqa: E402,F401  (torch.softmax / torch.log_softmax)
from . import amp, cpu  # noqa: E402  (ember.amp: autocast + GradScaler; ember.cpu.amp aliases)
from .cuda import amp as _cuda_amp  # noqa: E402,F401  (ember.cuda.amp aliases)
from .amp.autocast_mode import (  # noqa: E402,F401  (torch.autocast, torch.is_autocast_enabled, ...)
    autocast, clear_autocast_cache, get_autocast_dtype, is_autocast_cache_enabled, is_autocast_enabled,
    set_autocast_cache_enabled, set_autocast_dtype, set_autocast_enabled,
)
