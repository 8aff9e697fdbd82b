"""DataLoader, default_collate, default_convert, get_worker_info (PyTorch's semantics).

Batches come from a BatchSampler over a Sampler (sequential, or random when shuffle=True)
and are collated by ``collate_fn``. With ``num_workers > 0`` map-style batches are built
in forked worker processes (a multiprocessing Pool; ember's thread pool is rebuilt in a
forked child) and come back in order, pickled through NumPy. A TensorDataset with the
default collate takes a fast path: each batch is one index_select per tensor instead of
batch_size row views stacked again (same values as PyTorch's per-sample path).
"""
import collections.abc
import multiprocessing
import random
import warnings

import numpy as np

from ..._ops.creation import as_tensor, tensor
from ..._ops.random import Generator
from ...tensor import Tensor
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info", "WorkerInfo"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _stack(batch):
    from ..._ops.shape import stack

    return stack(batch, 0)


def default_collate(batch):
    """Stacks a list of samples into a batch: tensors and arrays are stacked along a new
    first dim, numbers become a tensor, and tuples/lists/dicts are collated field by field
    (tuples give lists, as in PyTorch)."""
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _stack(batch)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
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
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
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


class WorkerInfo:
    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset})"


_worker_info = None
# Set in the parent right before forking the pool, inherited by the children (no pickling).
_pool_job = None


def get_worker_info():
    """In a DataLoader worker: its WorkerInfo (id, num_workers, seed, dataset); else None."""
    return _worker_info


def _worker_init(counter, num_workers, base_seed):
    global _worker_info
    with counter.get_lock():
        wid = counter.value
        counter.value += 1
    seed = base_seed + wid
    from ..._ops.random import manual_seed

    manual_seed(seed)
    random.seed(seed)
    dataset, _, _, worker_init_fn = _pool_job
    _worker_info = WorkerInfo(wid, num_workers, seed, dataset)
    if worker_init_fn is not None:
        worker_init_fn(wid)


def _worker_fetch(indices):
    dataset, collate_fn, auto_collation, _ = _pool_job
    return _fetch(dataset, collate_fn, auto_collation, indices)


def _fetch(dataset, collate_fn, auto_collation, indices):
    if auto_collation:
        if callable(getattr(dataset, "__getitems__", None)):
            data = dataset.__getitems__(indices)
        else:
            data = [dataset[i] for i in indices]
        return collate_fn(data)
    return collate_fn(dataset[indices])


class DataLoader:
    """Iterates over ``dataset`` in batches (PyTorch's torch.utils.data.DataLoader)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"[DataLoader] generator must be an ember.Generator, got {type(generator).__name__}")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)

        if self._is_iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                                 f"batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._pool = None

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    length = length // self.batch_size
                else:
                    length = -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self):
        if self._is_iterable:
            if self.num_workers > 0:
                warnings.warn("[DataLoader] ember runs IterableDataset loading in the main process; num_workers is "
                              "ignored for it", stacklevel=2)
            return self._iter_iterable()
        if self.num_workers > 0:
            return self._iter_workers()
        return self._iter_map()

    # ------------------------------------------------------------ single process
    def _fast_tensor_dataset(self):
        return (type(self.dataset) is TensorDataset and self.collate_fn is default_collate
                and self._auto_collation)

    def _iter_map(self):
        ds, collate, auto = self.dataset, self.collate_fn, self._auto_collation
        if self._fast_tensor_dataset():
            tensors = ds.tensors
            for indices in self._index_sampler:
                idx = tensor(indices)
                yield [t.index_select(0, idx) for t in tensors]
            return
        for indices in self._index_sampler:
            yield _fetch(ds, collate, auto, indices)

    def _iter_iterable(self):
        it = iter(self.dataset)
        if not self._auto_collation:
            for sample in it:
                yield self.collate_fn(sample)
            return
        bs = self.batch_size
        while True:
            batch = []
            for sample in it:
                batch.append(sample)
                if len(batch) == bs:
                    break
            if not batch or (len(batch) < bs and self.drop_last):
                return
            yield self.collate_fn(batch)
            if len(batch) < bs:
                return

    # ------------------------------------------------------------ worker processes
    def _make_pool(self):
        global _pool_job
        from ..._dtype import int64
        from ..._ops.creation import empty

        base_seed = int(empty((), dtype=int64).random_(generator=self.generator).item()) % (1 << 62)
        ctx = self.multiprocessing_context
        if ctx is None or isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx or "fork")
        _pool_job = (self.dataset, self.collate_fn, self._auto_collation, self.worker_init_fn)
        try:
            counter = ctx.Value("i", 0)
            pool = ctx.Pool(self.num_workers, initializer=_worker_init,
                            initargs=(counter, self.num_workers, base_seed))
        finally:
            _pool_job = None
        return pool

    def _iter_workers(self):
        pool = self._pool if self.persistent_workers else None
        if pool is None:
            pool = self._make_pool()
            if self.persistent_workers:
                self._pool = pool
        window = max(1, self.num_workers * (self.prefetch_factor or 2))
        pending = []
        try:
            batches = iter(self._index_sampler)
            for indices in batches:
                pending.append(pool.apply_async(_worker_fetch, (indices,)))
                if len(pending) >= window:
                    yield pending.pop(0).get(self.timeout or None)
            while pending:
                yield pending.pop(0).get(self.timeout or None)
        finally:
            if not self.persistent_workers:
                pool.terminate()
                pool.join()

    def __del__(self):
        pool = self.__dict__.get("_pool")
        if pool is not None:
            pool.terminate()


class _InfiniteConstantSampler(Sampler):
    def __iter__(self):
        while True:
            yield None
