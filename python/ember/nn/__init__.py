"""ember.nn: Module, Parameter, layers, init (PyTorch's torch.nn API).

Layers come from ember.nn.modules (every file there is picked up). ``functional`` and
``utils`` are imported when they exist.
"""
import importlib as _importlib

from . import init, modules
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .modules.module import RemovableHandle  # noqa: F401
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", "init", "modules"] + list(_modules_all)

for _name in ("functional", "utils"):
    try:
        globals()[_name] = _importlib.import_module(f".{_name}", __name__)
    except ModuleNotFoundError as _e:
        if _e.name != f"{__name__}.{_name}":
            raise
