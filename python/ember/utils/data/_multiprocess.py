"""The multi-process DataLoader iterator (PyTorch's _MultiProcessingDataLoaderIter).

Layout: one index pipe per worker, one result pipe shared by all (see _transport). Tasks
go to the active workers round-robin, ``prefetch_factor * num_workers`` in flight; results
come back in any order and a reorder buffer (task_info) hands them out in sampler order.
The main process waits on the result pipe and on every worker's process sentinel at once,
so a worker that dies wakes it at once and raises instead of hanging. Tasks carry an epoch
number: a persistent worker's results from an epoch that ended early are dropped.
"""
import itertools
import multiprocessing.connection as mpc
import os
import time

from ._transport import recv_message
from ._worker import ExceptionWrapper, IterableEnd, ResumeIteration, worker_loop

__all__ = ["MultiProcessingIter"]

# How long shutdown waits for workers to exit before terminating them.
_SHUTDOWN_S = 1.0


def _grow_pipe(conn):
    """A 1 MiB pipe buffer (Linux) lets a worker write a whole batch without waiting for a read."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


class MultiProcessingIter:
    def __init__(self, loader):
        from ..._dtype import int64
        from ..._ops.creation import empty

        self._loader = loader
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._base_seed = int(empty((), dtype=int64).random_(generator=loader.generator).item())
        self._shutdown = True
        self._workers = []
        ctx = loader._mp_context()
        result_r, result_w = ctx.Pipe(duplex=False)
        _grow_pipe(result_w)
        self._result_conn, self._result_w = result_r, result_w
        # Kept referenced: a spawned child opens the named semaphore after start() returns.
        lock = self._lock = ctx.Lock()
        self._index_conns = []
        fast = loader._fast_tensors() is not None
        try:
            for wid in range(self._num_workers):
                idx_r, idx_w = ctx.Pipe(duplex=False)
                w = ctx.Process(target=worker_loop, args=(
                    self._is_iterable, self._dataset, idx_r, result_w, lock, loader._auto_collation,
                    loader.collate_fn, loader.drop_last, self._base_seed, loader.worker_init_fn, wid,
                    self._num_workers, fast, os.getpid()))
                w.daemon = True
                w.start()
                idx_r.close()
                self._index_conns.append(idx_w)
                self._workers.append(w)
                self._shutdown = False
        except BaseException:
            self._shutdown_workers()
            raise
        self._epoch = 0
        self._reset(first=True)

    def _reset(self, first=False):
        self._epoch += 1
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info = {}
        self._tasks_outstanding = 0
        self._worker_active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first and self._is_iterable:
            for wid in range(self._num_workers):
                self._send(wid, ResumeIteration())
        for _ in range(max(1, self._prefetch_factor * self._num_workers)):
            self._try_put_index()

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _try_put_index(self):
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._worker_active[wid]:
                break
        else:
            return
        self._send(wid, (self._epoch, self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _send(self, wid, msg):
        try:
            self._index_conns[wid].send(msg)
        except OSError:  # the worker's end is gone: it died
            self._workers[wid].join(1.0)
            self._raise_if_dead()
            raise

    def _raise_if_dead(self):
        dead = [w for w in self._workers if not w.is_alive()]
        if dead:
            pids = ", ".join(str(w.pid) for w in dead)
            self._shutdown_workers()
            raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")

    def _get_data(self):
        """The next (task_id, data) of this epoch from the result pipe."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait_s = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = mpc.wait([self._result_conn] + [w.sentinel for w in self._workers], wait_s)
            if self._result_conn in ready:
                epoch, task_id, data = recv_message(self._result_conn)
                if epoch == self._epoch:
                    return task_id, data
                continue
            self._raise_if_dead()
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def __next__(self):
        if self._shutdown:
            raise StopIteration
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._worker_active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            task_id, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, IterableEnd):
                self._worker_active[data.worker_id] = False
                self._task_info.pop(task_id, None)
                self._try_put_index()
                continue
            if task_id != self._rcvd_idx:
                self._task_info[task_id] += (data,)
                continue
            del self._task_info[task_id]
            self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        self._num_yielded += 1
        if self._loader._pin_active():  # pinned in the main process (torch uses a thread)
            from ._pin import pin_memory

            return pin_memory(data)
        return data

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        for conn in self._index_conns:
            try:
                conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + _SHUTDOWN_S
        # A worker may be blocked writing a batch nobody will read: drain while waiting.
        while any(w.is_alive() for w in self._workers) and time.monotonic() < deadline:
            try:
                while self._result_conn.poll(0.01):
                    self._result_conn.recv_bytes()
            except (OSError, EOFError):
                break
        for w in self._workers:
            if w.is_alive():
                w.terminate()
        for w in self._workers:
            w.join()
        for conn in self._index_conns + [self._result_conn, self._result_w]:
            conn.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass
