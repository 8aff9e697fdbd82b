"""Fetchers: turn one entry of the index stream into one batch (PyTorch's _MapDatasetFetcher
and _IterableDatasetFetcher), used in the main process and in every worker.

A TensorDataset under the DataLoader's own BatchSampler (over a Sequential/RandomSampler)
with default_collate takes a fast path: the batch is one index_select per tensor (a single
gather on ember's kernel) instead of batch_size row views stacked again. The values,
dtypes and shapes equal the per-sample path; only the Python work per sample is gone.
"""
from ..._dtype import int64
from ..._ops.creation import tensor

__all__ = ["MapFetcher", "IterableFetcher", "InfiniteConstantSampler"]


class InfiniteConstantSampler:
    """The index stream for an IterableDataset: None forever (the dataset yields the data)."""

    def __iter__(self):
        while True:
            yield None


class MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last, fast_tensors=None):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.fast_tensors = fast_tensors

    def fetch(self, index):
        if self.fast_tensors is not None:
            idx = tensor(index, dtype=int64)
            on_dev = {}  # the index copied once to each device the dataset's tensors live on
            out = []
            for t in self.fast_tensors:
                i = idx
                if t._a.device_type != 0:
                    i = on_dev.get(t.device)
                    if i is None:
                        i = on_dev[t.device] = idx.to(t.device)
                out.append(t.index_select(0, i))
            return out
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            if callable(getitems):
                data = getitems(index)
            else:
                data = [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class IterableFetcher:
    """Pulls batch_size samples per fetch; raises StopIteration when the dataset ends."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)
