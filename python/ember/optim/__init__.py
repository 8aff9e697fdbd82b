"""ember.optim: PyTorch's torch.optim API. Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad,
Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop, LBFGS and Lion; each (but LBFGS) updates a
whole parameter group with one fused multi-tensor C++ kernel (csrc/ops/optim). Every
other file in this folder (adamw.py, lr_scheduler.py, ...) is imported too: optimizer
classes are re-exported from its ``__all__`` and the file itself is reachable as
``ember.optim.<file>``."""
import importlib as _importlib
import pkgutil as _pkgutil

from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam"]

_CORE = {"optimizer", "sgd", "adam"}
_SUBMODULE_ONLY = {"lr_scheduler", "swa_utils"}  # torch.optim.lr_scheduler.StepLR, not torch.optim.StepLR
for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name in _CORE or _info.name.startswith("_"):
        continue
    _mod = _importlib.import_module(f".{_info.name}", __name__)
    globals()[_info.name] = _mod
    if _info.name in _SUBMODULE_ONLY:
        continue
    for _k in getattr(_mod, "__all__", ()):
        globals()[_k] = getattr(_mod, _k)
        __all__.append(_k)
