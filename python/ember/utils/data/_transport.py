"""Moving batches from worker processes to the main process through one pipe.

A message is pickled with protocol 5 and its large buffers out of band: ember tensors
(and NumPy arrays) travel as their raw bytes, written straight from the worker's batch
memory with ``send_bytes`` and read straight into a fresh NumPy buffer in the main
process with ``recv_bytes_into``; the unpickled arrays wrap those buffers and the main
process wraps them as ember tensors with ``from_numpy`` (no further copy). Each message
is a frame of metadata (the small pickle and the buffer sizes) followed by one frame per
buffer, written under a lock shared by all workers so frames never interleave.
"""
import io
import pickle

import numpy as np

from ...tensor import Tensor

__all__ = ["send_message", "recv_message"]


def _rebuild_tensor(arr, requires_grad):
    from ..._ops.creation import from_numpy

    t = from_numpy(arr)
    return t.requires_grad_(True) if requires_grad else t


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if type(obj) is Tensor and obj.device.type == "cpu" and obj.dtype.name != "bfloat16":
            arr = np.ascontiguousarray(obj.detach().numpy())
            return _rebuild_tensor, (arr, obj.requires_grad)
        return NotImplemented


def _dumps(obj):
    buffers = []
    f = io.BytesIO()
    _Pickler(f, protocol=5, buffer_callback=buffers.append).dump(obj)
    raws = []
    for b in buffers:
        try:
            raws.append(b.raw())
        except BufferError:  # not contiguous: send a contiguous copy
            raws.append(memoryview(bytes(b)))
    return f.getvalue(), raws


def send_message(conn, lock, obj):
    """Pickles ``obj`` (raising if it cannot be pickled) and writes it as one message."""
    header, raws = _dumps(obj)
    meta = pickle.dumps((header, [r.nbytes for r in raws]), protocol=5)
    with lock:
        conn.send_bytes(meta)
        for r in raws:
            conn.send_bytes(r)


def recv_message(conn):
    header, sizes = pickle.loads(conn.recv_bytes())
    buffers = []
    for n in sizes:
        buf = np.empty(n, dtype=np.uint8)
        if n:
            conn.recv_bytes_into(buf)
        else:
            conn.recv_bytes()
        buffers.append(buf)
    return pickle.loads(header, buffers=buffers)
