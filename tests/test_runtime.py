"""Process-level behaviour: threads, fork safety, memory staying flat, build report."""
import multiprocessing as mp
import subprocess
import sys

import numpy as np

import ember
from helpers import run_in_subprocess


def _child_sum(q):
    x = ember.ones(1 << 20)
    q.put(float((x * 2.0).sum().item()))


def test_forked_child_uses_thread_pool_after_parent():
    x = ember.ones(1 << 20)
    assert (x * 2.0).sum().item() == 2.0 * (1 << 20)  # the parent's pool is running
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child_sum, args=(q,))
    p.start()
    p.join(60)
    assert p.exitcode == 0, "forked child hung or crashed"
    assert q.get(timeout=5) == 2.0 * (1 << 20)


def test_set_num_threads_gives_same_results():
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((300, 200)).astype(np.float32))
    b = ember.tensor(rng.standard_normal((200, 100)).astype(np.float32))
    n = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        r1 = (a @ b).numpy()
        s1 = a.sum().item()
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2
        r2 = (a @ b).numpy()
        s2 = a.sum().item()
    finally:
        ember.set_num_threads(n)
    np.testing.assert_allclose(r1, r2, rtol=1e-5, atol=1e-5)
    assert abs(s1 - s2) < 1e-3


def test_num_threads_env_variable():
    r = run_in_subprocess("import ember; print(ember.get_num_threads())")
    assert r.returncode == 0
    r = subprocess.run([sys.executable, "-c", "import ember; print(ember.get_num_threads())"],
                       capture_output=True, text=True, env={"EMBER_NUM_THREADS": "3", "PATH": "/usr/bin"})
    assert r.stdout.strip() == "3", r.stderr


def test_build_report():
    r = subprocess.run([sys.executable, "-m", "ember"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for key in ("ember", "build type", "SIMD level in use", "CPU threads", "CUDA compiled", "CUDA available"):
        assert key in r.stdout
    r = run_in_subprocess("import ember; print(ember.cuda.is_available())")
    assert r.returncode == 0
    if "True" not in r.stdout:
        assert r.stdout.strip() == "False"


def test_memory_stays_flat_over_100k_iterations():
    code = """
import gc, ember, numpy as np
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * 4096
w = ember.ones(4)
def step():
    x = ember.ones(4, requires_grad=True)
    y = (x * w).sum()
    y.backward()
    a = np.ones(3, np.float32)
    t = ember.from_numpy(a)
    c = t.__dlpack__() if hasattr(t, '__dlpack__') else None
    return x.grad
for _ in range(10000):
    step()
gc.collect()
r0, a0 = rss(), ember._C.cpu_allocated_bytes()
for _ in range(100000):
    step()
gc.collect()
r1, a1 = rss(), ember._C.cpu_allocated_bytes()
print(r1 - r0, a1 - a0)
"""
    r = run_in_subprocess(code, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    grew_rss, grew_alloc = map(int, r.stdout.split())
    assert grew_alloc == 0, f"ember allocator grew by {grew_alloc} bytes"
    assert grew_rss < 8 * 1024 * 1024, f"RSS grew by {grew_rss} bytes over 100k iterations"
