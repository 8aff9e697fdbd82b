"""Variable-length sequences for the recurrent layers (torch.nn.utils.rnn).

A ``PackedSequence`` stores a batch of sequences sorted by decreasing length, time
step by time step: ``data`` holds, for t = 0, 1, ..., the rows of the
``batch_sizes[t]`` sequences still running at step t. The recurrent layers run on it
directly (the fused kernels take ``batch_sizes`` and never compute padding).

Packing and padding are one ember gather each (``index_select`` with an index built
from the lengths), so they are differentiable and cost no Python work per element;
the lengths themselves are metadata and are handled with NumPy.
"""
from collections import namedtuple

import numpy as np

import ember

from ...tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "unpad_sequence",
           "pack_sequence", "unpack_sequence", "invert_permutation"]


def invert_permutation(permutation):
    if permutation is None:
        return None
    p = np.asarray(permutation.tolist(), dtype=np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=np.int64)
    return ember.tensor(inv, dtype=ember.int64, device=permutation.device)


_PackedBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedBase):
    """Holds the data and list of ``batch_sizes`` of a packed sequence (see the module docstring).

    Build it with :func:`pack_padded_sequence` or :func:`pack_sequence`, not directly."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if not isinstance(batch_sizes, Tensor):
                batch_sizes = ember.tensor(list(batch_sizes), dtype=ember.int64)
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "[PackedSequence] batch_sizes should always be on CPU. Instances of PackedSequence should never "
                    "be created manually. They should be instantiated by functions like pack_sequence and "
                    "pack_padded_sequences in nn.utils.rnn. https://pytorch.org/docs/stable/nn.html#torch.nn.utils."
                    "rnn.pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        # PackedSequence(data_tuple): (data, batch_sizes[, sorted, unsorted])
        if not isinstance(data, (list, tuple)) or len(data) not in (2, 4):
            raise TypeError("[PackedSequence] expected (data, batch_sizes) or (data, batch_sizes, sorted_indices, "
                            f"unsorted_indices), got {type(data).__name__}")
        return cls(*data)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        si = None if self.sorted_indices is None else self.sorted_indices.to(dev)
        ui = None if self.unsorted_indices is None else self.unsorted_indices.to(dev)
        return type(self)(data, self.batch_sizes, si, ui)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, *args, **kwargs):
        return self.to("cuda" if not args else f"cuda:{args[0]}", **kwargs)

    def double(self):
        return self.to(dtype=ember.float64)

    def float(self):
        return self.to(dtype=ember.float32)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _lengths_array(lengths, op):
    if isinstance(lengths, Tensor):
        if lengths.is_floating_point() or lengths.dim() != 1:
            raise TypeError(f"[{op}] expected lengths as a 1-D integer tensor or list, got {lengths.dtype} of "
                            f"shape {tuple(lengths.shape)}")
        vals = lengths.tolist()
    else:
        vals = list(lengths)
        for v in vals:
            if isinstance(v, Tensor):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"[{op}] expected integer lengths, got {v!r}")
        vals = [int(v) for v in vals]
    return np.asarray(vals, dtype=np.int64).reshape(-1)


def _check_tensor(x, op, what="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected {what} to be a Tensor, got {type(x).__name__}")


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded (T, B, *) (or (B, T, *) with ``batch_first``) batch of sequences with the given lengths."""
    op = "pack_padded_sequence"
    _check_tensor(input, op)
    if input.dim() < 2:
        raise ValueError(f"[{op}] expected input of at least 2 dims (T, B, *), got shape {tuple(input.shape)}")
    lens = _lengths_array(lengths, op)
    if batch_first:
        input = input.transpose(0, 1)
    T, B = int(input.shape[0]), int(input.shape[1])
    if lens.size != B:
        raise RuntimeError(f"[{op}] Expected `len(lengths)` to be equal to batch_size, but got {lens.size} "
                           f"(batch_size={B})")
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(
                f"[{op}] `lengths` array must be sorted in decreasing order when `enforce_sorted` is True, got "
                f"{lens.tolist()}. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                "to sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
        order = np.arange(B, dtype=np.int64)
    else:
        order = np.argsort(-lens, kind="stable").astype(np.int64)
        lens = lens[order]
        sorted_indices = ember.tensor(order, dtype=ember.int64, device=input.device)
    if B and lens[-1] <= 0:
        raise RuntimeError(f"[{op}] Length of all samples has to be greater than 0, but found an element in "
                           f"'lengths' that is <= 0: {lens.tolist()}")
    if B and lens[0] > T:
        raise RuntimeError(f"[{op}] a length of {int(lens[0])} is longer than the padded sequence length {T} "
                           f"(input shape {tuple(input.shape)})")
    steps = np.arange(int(lens[0]) if B else 0, dtype=np.int64)
    batch_sizes = (lens[None, :] > steps[:, None]).sum(1).astype(np.int64)
    # Row of (t, j-th sorted sequence) in input.reshape(T*B, *): t*B + order[j].
    idx = np.concatenate([t * B + order[:n] for t, n in enumerate(batch_sizes)]) if B else np.zeros(0, np.int64)
    flat = input.reshape((T * B,) + tuple(input.shape[2:]))
    data = flat.index_select(0, ember.tensor(idx, dtype=ember.int64, device=input.device))
    return PackedSequence(data, ember.tensor(batch_sizes, dtype=ember.int64), sorted_indices, None)


def _packed_lengths(batch_sizes):
    bs = np.asarray(batch_sizes.tolist(), dtype=np.int64)
    B = int(bs[0]) if bs.size else 0
    lens = (bs[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64)  # per sorted sequence
    return bs, lens


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of :func:`pack_padded_sequence`: returns (padded, lengths), lengths in the original order."""
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"[{op}] expected a PackedSequence, got {type(sequence).__name__}")
    data = sequence.data
    bs, lens = _packed_lengths(sequence.batch_sizes)
    T, B = bs.size, (int(bs[0]) if bs.size else 0)
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"[{op}] Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being {T}")
        T = int(total_length)
    ui = sequence.unsorted_indices
    unsort = np.arange(B, dtype=np.int64) if ui is None else np.asarray(ui.tolist(), dtype=np.int64)
    off = np.concatenate([[0], np.cumsum(bs)]).astype(np.int64)
    n = int(data.shape[0])
    # Padded position (t, b) reads data row off[t] + j where j is b's sorted slot, or the pad row n.
    j = unsort[None, :]
    t = np.arange(T, dtype=np.int64)[:, None]
    tb = np.minimum(t, max(bs.size - 1, 0))
    valid = t < lens[unsort][None, :]
    idx = np.where(valid, off[tb] + j, n) if B else np.zeros((T, 0), np.int64)
    if batch_first:
        idx = idx.T
    pad = ember.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    src = ember.cat([data, pad], 0)
    out = src.index_select(0, ember.tensor(idx.reshape(-1), dtype=ember.int64, device=data.device))
    out = out.reshape(idx.shape + tuple(data.shape[1:]))
    return out, ember.tensor(lens[unsort], dtype=ember.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks a list of (L_i, *) tensors into (T, B, *) (or (B, T, *)), padded with ``padding_value``."""
    op = "pad_sequence"
    if padding_side not in ("left", "right"):
        raise ValueError(f"[{op}] Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0)) if hasattr(sequences, "unbind") else [sequences[i]
                                                                                   for i in range(len(sequences))]
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError(f"[{op}] received an empty list of sequences")
    for s in sequences:
        _check_tensor(s, op, "every sequence")
        if s.dim() < 1:
            raise RuntimeError(f"[{op}] expected every sequence to have at least 1 dim, got a 0-d tensor")
    trail = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trail:
            raise RuntimeError(f"[{op}] expected every sequence to have trailing shape {trail}, got "
                               f"{tuple(s.shape)}")
    lens = np.asarray([int(s.shape[0]) for s in sequences], dtype=np.int64)
    B, T = lens.size, int(lens.max())
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    n = int(lens.sum())
    t = np.arange(T, dtype=np.int64)[:, None]
    shift = (T - lens)[None, :] if padding_side == "left" else np.zeros((1, B), np.int64)
    pos = t - shift
    valid = (pos >= 0) & (pos < lens[None, :])
    idx = np.where(valid, starts[None, :] + pos, n)
    if batch_first:
        idx = idx.T
    data = ember.cat(sequences, 0)
    pad = ember.full((1,) + trail, padding_value, dtype=data.dtype, device=data.device)
    out = ember.cat([data, pad], 0).index_select(0, ember.tensor(idx.reshape(-1), dtype=ember.int64,
                                                                 device=data.device))
    return out.reshape(idx.shape + trail)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into a list of (L_i, *) tensors."""
    op = "unpad_sequence"
    _check_tensor(padded_sequences, op, "padded_sequences")
    lens = _lengths_array(lengths, op)
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    if lens.size != int(x.shape[0]):
        raise RuntimeError(f"[{op}] expected {int(x.shape[0])} lengths, got {lens.size}")
    if lens.size and (lens.min() < 0 or lens.max() > int(x.shape[1])):
        raise RuntimeError(f"[{op}] lengths must lie in [0, {int(x.shape[1])}], got {lens.tolist()}")
    return [x[i, :int(n)] for i, n in enumerate(lens)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of (L_i, *) tensors (sorted by decreasing length unless ``enforce_sorted=False``)."""
    lengths = [int(s.shape[0]) if isinstance(s, Tensor) and s.dim() else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Inverse of :func:`pack_sequence`: a list of (L_i, *) tensors in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
