#!/usr/bin/env python3
"""GPU timings of ember's CUDA elementwise kernels vs PyTorch (same process, CUDA events via synchronize)."""
import statistics
import time

import ember
import torch


def bench(fn, sync, reps=50):
    fn()
    sync()
    ts = []
    for _ in range(reps):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main():
    n = 1 << 24
    ea = ember.randn(n).cuda()
    eb = ember.randn(n).cuda()
    ta = torch.randn(n, device="cuda")
    tb = torch.randn(n, device="cuda")
    es, ts = ember.cuda.synchronize, torch.cuda.synchronize
    print(f"GPU: {torch.cuda.get_device_name(0)}")
    for name, ef, tf in [
        ("add 16M f32", lambda: ea + eb, lambda: ta + tb),
        ("mul 16M f32", lambda: ea * eb, lambda: ta * tb),
        ("exp 16M f32", lambda: ea.exp(), lambda: ta.exp()),
    ]:
        te, tt = bench(ef, es), bench(tf, ts)
        print(f"{name:14s} ember {te * 1e3:7.3f} ms  torch {tt * 1e3:7.3f} ms  ratio {te / tt:5.2f}x  "
              f"{12 * n / te / 1e9 if 'exp' not in name else 8 * n / te / 1e9:7.1f} GB/s")


if __name__ == "__main__":
    main()
