"""ember.cuda.amp: deprecated aliases of ember.amp for CUDA (torch.cuda.amp)."""
from ..amp import _device_aliases as _a
from .._dtype import float16 as _float16

autocast, GradScaler = _a._make("cuda", _float16)
custom_fwd, custom_bwd = _a._fwd("cuda"), _a._bwd("cuda")

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]
