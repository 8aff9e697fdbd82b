"""The deprecated per-device spellings ember.cuda.amp.* / ember.cpu.amp.* (torch keeps
them with a FutureWarning pointing at ember.amp)."""
import warnings

from .autocast_mode import autocast as _autocast
from .autocast_mode import custom_bwd as _custom_bwd
from .autocast_mode import custom_fwd as _custom_fwd
from .grad_scaler import GradScaler as _GradScaler


def _make(device, default_dtype):
    class autocast(_autocast):
        def __init__(self, enabled=True, dtype=default_dtype, cache_enabled=True):
            warnings.warn(f"`ember.{device}.amp.autocast(args...)` is deprecated. Please use "
                          f"`ember.amp.autocast('{device}', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__(device, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    class GradScaler(_GradScaler):
        def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            warnings.warn(f"`ember.{device}.amp.GradScaler(args...)` is deprecated. Please use "
                          f"`ember.amp.GradScaler('{device}', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__(device, init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)

    return autocast, GradScaler


def _fwd(device):
    def custom_fwd(fwd=None, *, cast_inputs=None):
        return _custom_fwd(fwd, device_type=device, cast_inputs=cast_inputs)

    return custom_fwd


def _bwd(device):
    def custom_bwd(bwd=None):
        return _custom_bwd(bwd, device_type=device)

    return custom_bwd


