"""ember.cpu: CPU device helpers (torch.cpu): availability and the amp aliases."""
from . import amp  # noqa: F401

__all__ = ["is_available", "device_count", "current_device", "synchronize", "amp"]


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """CPU kernels run synchronously: nothing to wait for."""
