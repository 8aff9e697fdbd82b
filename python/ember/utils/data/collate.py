"""default_collate and default_convert: how samples become batches (PyTorch's rules).

Tensors and NumPy arrays are stacked along a new first dim, Python floats become float64
tensors, ints int64, bools bool; strings stay lists; mappings, namedtuples and sequences
are collated field by field (a tuple of fields gives a list, as in PyTorch).
"""
import collections.abc

import numpy as np

from ..._ops.creation import as_tensor, tensor
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _stack(batch):
    from ..._ops.shape import stack

    return stack(batch, 0)


def _is_numpy(elem_type):
    return elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_", "bytes_")


def default_collate(batch):
    """Stacks a list of samples into a batch (torch.utils.data.default_collate)."""
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _stack(batch)
    if _is_numpy(elem_type):
        if elem_type.__name__ in ("ndarray", "memmap"):
            if elem.dtype.char in "SaUO":
                raise TypeError(_ERR.format(elem.dtype))
            return default_collate([as_tensor(np.ascontiguousarray(b)) for b in batch])
        if elem.shape == ():
            return as_tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return tensor(batch)
    if isinstance(elem, float):
        from ..._dtype import float64

        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return elem_type({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(elem_type))


def default_convert(data):
    """Without auto-batching: NumPy arrays (and containers of them) become tensors."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if _is_numpy(elem_type):
        if elem_type.__name__ == "ndarray" and data.dtype.char in "SaUO":
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            return elem_type({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
