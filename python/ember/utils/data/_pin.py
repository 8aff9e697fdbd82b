"""Pinning a batch's tensors (torch.utils.data._utils.pin_memory.pin_memory).

A DataLoader with ``pin_memory=True`` passes each batch through ``pin_memory`` when a
CUDA device is present: every CPU tensor in it (nested in dicts, lists, tuples and
namedtuples) is copied to page-locked host memory, so ``.to('cuda', non_blocking=True)``
is an asynchronous copy. Without CUDA the loader warns once per iterator and yields the
batches as they are, like torch."""
import collections.abc
import copy

from ...tensor import Tensor

__all__ = ["pin_memory", "pin_memory_available"]


def pin_memory_available():
    """Whether pinned memory can be used: a CUDA device is there."""
    from ... import cuda

    return cuda.is_available()


def pin_memory(data, device=None):
    """``data`` with every Tensor replaced by ``Tensor.pin_memory()`` (torch's rules: a
    plain tuple comes back as a list; objects with a ``pin_memory()`` method are pinned
    through it; anything else is returned as is)."""
    if isinstance(data, Tensor):
        return data.pin_memory() if data.is_cpu else data
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({k: pin_memory(v, device) for k, v in data.items()})
                return clone
            return type(data)({k: pin_memory(v, device) for k, v in data.items()})
        except TypeError:
            return {k: pin_memory(v, device) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(pin_memory(v, device) for v in data))
    if isinstance(data, tuple):
        return [pin_memory(v, device) for v in data]  # torch: a list (backward compatibility)
    if isinstance(data, collections.abc.Sequence):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, v in enumerate(data):
                    clone[i] = pin_memory(v, device)
                return clone
            return type(data)([pin_memory(v, device) for v in data])
        except TypeError:
            return [pin_memory(v, device) for v in data]
    if hasattr(data, "pin_memory"):
        return data.pin_memory()
    return data
