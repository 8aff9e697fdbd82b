"""DataLoader (PyTorch's torch.utils.data.DataLoader): batches from a dataset, in the main
process (num_workers=0) or in worker processes (see _multiprocess and _worker).

Batches come from a BatchSampler over a Sampler (sequential, or random when shuffle=True)
and are collated by ``collate_fn``. With ``pin_memory=True`` and a CUDA device, each batch's
CPU tensors are copied to pinned host memory (``Tensor.pin_memory``, see _pin.py) so that
``.to('cuda', non_blocking=True)`` is asynchronous; without CUDA it is a no-op with a
warning, as in PyTorch.
"""
import multiprocessing
import os
import warnings

from ..._ops.random import Generator
from ._fetch import InfiniteConstantSampler, IterableFetcher, MapFetcher
from ._pin import pin_memory as _pin_batch, pin_memory_available
from .collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]


class DataLoader:
    """Iterates over ``dataset`` in batches (PyTorch's torch.utils.data.DataLoader).

    With ``num_workers > 0`` batches are built in worker processes (fork by default on
    Linux, or ``multiprocessing_context``), ``prefetch_factor`` batches in flight per
    worker, delivered in sampler order; ``persistent_workers`` keeps the processes between
    epochs. Each worker is seeded with base_seed + worker_id (base_seed drawn from
    ``generator`` or ember's default generator once per iterator), applied to
    ember.manual_seed, ``random`` and NumPy. ``in_order=False`` is accepted; batches still
    arrive in order. ``pin_memory`` pins each batch (in the main process) when CUDA is
    available, and is a no-op with a warning otherwise.
    """

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
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
        self.in_order = in_order
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
        own_batch_sampler = batch_sampler is None
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
                sampler = InfiniteConstantSampler()
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
        self.generator = generator
        self._own_batch_sampler = own_batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._iterator = None
        self._check_context()

    def __setattr__(self, attr, val):
        if self.__initialized and attr in (
                "batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    def _check_context(self):
        ctx = self.multiprocessing_context
        if ctx is None:
            return
        if self.num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                             f"but got num_workers={self.num_workers}")
        if isinstance(ctx, str):
            valid = multiprocessing.get_all_start_methods()
            if ctx not in valid:
                raise ValueError("multiprocessing_context option should specify a valid start method in "
                                 f"{valid!r}, but got multiprocessing_context={ctx!r}")
        elif not isinstance(ctx, multiprocessing.context.BaseContext):
            raise TypeError("multiprocessing_context option should be a valid context object or a string specifying "
                            f"the start method, but got multiprocessing_context={ctx}")

    def _mp_context(self):
        ctx = self.multiprocessing_context
        if ctx is None:
            return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        return multiprocessing.get_context(ctx) if isinstance(ctx, str) else ctx

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _fast_tensors(self):
        """The tensors to gather from when the fast TensorDataset path applies, else None."""
        if (type(self.dataset) is TensorDataset and self.collate_fn is default_collate and self._own_batch_sampler
                and self._auto_collation and type(self.sampler) in (SequentialSampler, RandomSampler)
                and self.dataset.tensors):
            return self.dataset.tensors
        return None

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

    def _pin_active(self):
        """Whether batches are pinned: pin_memory=True and a CUDA device is present."""
        return bool(self.pin_memory) and pin_memory_available()

    def __iter__(self):
        if self.pin_memory and not pin_memory_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=2)
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        from ._multiprocess import MultiProcessingIter

        self._check_worker_number_rationality()
        if self.persistent_workers:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = MultiProcessingIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return MultiProcessingIter(self)


    def _check_worker_number_rationality(self):
        try:
            max_workers = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            max_workers = os.cpu_count()
        if max_workers is not None and self.num_workers > max_workers:
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker processes in total. Our suggested max number "
                f"of worker in current system is {max_workers}, which is smaller than what this DataLoader is going "
                "to create. Please be aware that excessive worker creation might get DataLoader running slow or even "
                "freeze, lower the worker number to avoid potential slowness/freeze if necessary.", stacklevel=3)


class _SingleProcessIter:
    def __init__(self, loader):
        from ..._dtype import int64
        from ..._ops.creation import empty

        self._loader = loader
        # Drawn as PyTorch does for every iterator, so the RNG stream matches workers' use.
        self._base_seed = int(empty((), dtype=int64).random_(generator=loader.generator).item())
        self._sampler_iter = iter(loader._index_sampler)
        self._pin = loader._pin_active()
        if loader._is_iterable:
            self._fetcher = IterableFetcher(loader.dataset, loader._auto_collation, loader.collate_fn,
                                            loader.drop_last)
        else:
            self._fetcher = MapFetcher(loader.dataset, loader._auto_collation, loader.collate_fn, loader.drop_last,
                                       loader._fast_tensors())

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def __next__(self):
        index = next(self._sampler_iter)
        batch = self._fetcher.fetch(index)
        return _pin_batch(batch) if self._pin else batch
