"""The DataLoader worker process: WorkerInfo, get_worker_info, seeding and the fetch loop.

Each worker reads ``(epoch, task_id, indices)`` from its own index pipe, fetches and
collates the batch, and writes ``(epoch, task_id, batch)`` to the result pipe shared by
all workers. Seeds follow PyTorch: seed = base_seed + worker_id goes to ember.manual_seed
and random.seed, and NumPy's global RNG gets PyTorch's hashed state of (base_seed,
worker_id). A failure is sent back as an ExceptionWrapper carrying the traceback text.
"""
import os
import random
import sys
import traceback

__all__ = ["WorkerInfo", "get_worker_info", "ExceptionWrapper"]

# Seconds between checks that the parent process is still alive.
_PARENT_CHECK_S = 5.0

_worker_info = None


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed, dataset."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = [f"{k}={getattr(self, k)}" for k in self.__keys]
        return f"{self.__class__.__name__}({', '.join(items)})"


def get_worker_info():
    """In a DataLoader worker: its WorkerInfo (id, num_workers, seed, dataset); else None."""
    return _worker_info


class ExceptionWrapper:
    """An exception and its formatted traceback, picklable across processes."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):  # KeyError repr()s its argument: keep the traceback readable
        return self


class IterableEnd:
    """Sent by a worker whose IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class ResumeIteration:
    """Sent to persistent workers at a new epoch: restart the IterableDataset iterator."""


def generate_numpy_state(base_seed, worker_id):
    """PyTorch's _generate_state: a 4-word NumPy seed hashed from (base_seed, worker_id)."""
    INIT_A, MULT_A, INIT_B, MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
    MIX_MULT_L, MIX_MULT_R, XSHIFT, MASK32 = 0xCA01F9DD, 0x4973F715, 16, 0xFFFFFFFF
    entropy = [worker_id, base_seed & MASK32, base_seed >> 32, 0]
    hash_a = [INIT_A]

    def hash_(value):
        value = (value ^ hash_a[0]) & MASK32
        hash_a[0] = (hash_a[0] * MULT_A) & MASK32
        value = (value * hash_a[0]) & MASK32
        return (value ^ (value >> XSHIFT)) & MASK32

    def mix(x, y):
        r = (((MIX_MULT_L * x) & MASK32) - ((MIX_MULT_R * y) & MASK32)) & MASK32
        return (r ^ (r >> XSHIFT)) & MASK32

    pool = [hash_(e) for e in entropy]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_b = INIT_B
    state = []
    for v in pool:
        v = (v ^ hash_b) & MASK32
        hash_b = (hash_b * MULT_B) & MASK32
        v = (v * hash_b) & MASK32
        state.append((v ^ (v >> XSHIFT)) & MASK32)
    return state


def _seed_worker(base_seed, worker_id):
    import numpy as np

    from ..._ops.random import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(generate_numpy_state(base_seed, worker_id))
    return seed


def worker_loop(is_iterable, dataset, index_conn, result_conn, result_lock, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers, fast_tensors, parent_pid):
    """Runs in the worker process until it reads None (or the parent disappears).

    ``fast_tensors``: whether the TensorDataset gather path applies (the tensors come from
    the dataset itself, so a spawned worker does not receive them twice).
    """
    global _worker_info
    from ._fetch import IterableFetcher, MapFetcher
    from ._transport import send_message

    try:
        from ... import set_num_threads

        set_num_threads(1)  # as PyTorch: workers are the parallelism; threads would oversubscribe
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            if is_iterable:
                fetcher = IterableFetcher(dataset, auto_collation, collate_fn, drop_last)
            else:
                fetcher = MapFetcher(dataset, auto_collation, collate_fn, drop_last,
                                     dataset.tensors if fast_tensors else None)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        while True:
            if not index_conn.poll(_PARENT_CHECK_S):
                if os.getppid() != parent_pid:
                    return
                continue
            try:
                task = index_conn.recv()
            except EOFError:
                return
            if task is None:
                return
            if isinstance(task, ResumeIteration):
                if is_iterable and init_error is None:
                    fetcher = IterableFetcher(dataset, auto_collation, collate_fn, drop_last)
                iteration_end = False
                continue
            epoch, task_id, indices = task
            if init_error is not None:
                data, init_error = init_error, None
            elif iteration_end:
                continue
            else:
                try:
                    data = fetcher.fetch(indices)
                except StopIteration:
                    if not is_iterable:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                    else:
                        data = IterableEnd(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            try:
                send_message(result_conn, result_lock, (epoch, task_id, data))
            except Exception:
                err = ExceptionWrapper(where=f"in DataLoader worker process {worker_id} (sending the batch)")
                send_message(result_conn, result_lock, (epoch, task_id, err))
    except KeyboardInterrupt:
        pass
