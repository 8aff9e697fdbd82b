"""ember.cpu.amp: deprecated aliases of ember.amp for the CPU (torch.cpu.amp)."""
from ..amp import _device_aliases as _a
from .._dtype import bfloat16 as _bfloat16

autocast, GradScaler = _a._make("cpu", _bfloat16)

__all__ = ["autocast", "GradScaler"]
