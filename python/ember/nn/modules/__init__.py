"""Layers. module.py, container.py and linear.py are the core; every other file in this
folder (activation.py, conv.py, ...) is imported too and its ``__all__`` re-exported,
so adding a layer family needs no edit here."""
import importlib as _importlib
import pkgutil as _pkgutil

from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten
from .module import Module

__all__ = [
    "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Identity", "Linear",
    "Bilinear", "Flatten", "Unflatten",
]

_CORE = {"module", "container", "linear"}
for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name in _CORE or _info.name.startswith("_"):
        continue
    _mod = _importlib.import_module(f".{_info.name}", __name__)
    for _k in getattr(_mod, "__all__", ()):
        globals()[_k] = getattr(_mod, _k)
        __all__.append(_k)
