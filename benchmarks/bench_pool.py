"""Pooling speed: ember vs PyTorch in one process, both at 2 threads.

max_pool2d and avg_pool2d, 2x2 window, stride 2, on a (32, 64, 56, 56) float32 input:
forward (no grad) and forward + backward (upstream grad given). Rounds alternate
between the libraries; each time is the median over the rounds and the ratio is
ember_time / torch_time (below 1: ember is faster).

    python benchmarks/bench_pool.py [--repeats 15] [--shape 32 64 56 56]
"""
import os
import sys
import argparse
import time

import numpy as np

import ember
import ember.nn.functional as EF



sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import cpu_model  # noqa: E402

def median_times(fns, repeats):
    """Times each fn once per round, rounds alternating; returns the medians (seconds)."""
    for f in fns:  # warm-up
        f()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--shape", type=int, nargs=4, default=[32, 64, 56, 56])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import torch
    import torch.nn.functional as TF

    ember.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(args.shape).astype(np.float32)
    n, c, h, w = args.shape
    g = rng.standard_normal((n, c, h // 2, w // 2)).astype(np.float32)
    ex, tx = ember.tensor(x), torch.tensor(x)
    eg, tg = ember.tensor(g), torch.tensor(g)
    exr, txr = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)

    def fwd_bwd(lib_x, lib_g, f):
        def run():
            lib_x.grad = None
            f(lib_x).backward(lib_g)
        return run

    print(f"CPU: {cpu_model()[0]}; threads: {args.threads}; input {tuple(args.shape)} float32; "
          f"SIMD path: {ember._C.simd_level() if hasattr(ember._C, 'simd_level') else '?'}")
    print(f"{'op':<28}{'ember ms':>10}{'torch ms':>10}{'ratio':>8}")
    cases = [
        ("max_pool2d fwd", lambda: EF.max_pool2d(ex, 2, 2), lambda: TF.max_pool2d(tx, 2, 2)),
        ("avg_pool2d fwd", lambda: EF.avg_pool2d(ex, 2, 2), lambda: TF.avg_pool2d(tx, 2, 2)),
        ("max_pool2d fwd+bwd", fwd_bwd(exr, eg, lambda a: EF.max_pool2d(a, 2, 2)),
         fwd_bwd(txr, tg, lambda a: TF.max_pool2d(a, 2, 2))),
        ("avg_pool2d fwd+bwd", fwd_bwd(exr, eg, lambda a: EF.avg_pool2d(a, 2, 2)),
         fwd_bwd(txr, tg, lambda a: TF.avg_pool2d(a, 2, 2))),
    ]
    for name, fe, ft in cases:
        te, tt = median_times([fe, ft], args.repeats)
        print(f"{name:<28}{te * 1e3:>10.2f}{tt * 1e3:>10.2f}{te / tt:>8.2f}")


if __name__ == "__main__":
    main()
