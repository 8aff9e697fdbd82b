#!/usr/bin/env python3
"""Normalisation benchmarks: ember vs PyTorch in one process, 2 threads each.

Times training forward+backward of BatchNorm2d (32x64x56x56, affine, grads for
input/weight/bias) and of LayerNorm (4096x1024, weight and bias), float32, and
prints median times and ember_time / torch_time (below 1: ember is faster).
Blocks of ember and torch steps alternate, so load from other processes on a
shared machine hits both alike. Run: python benchmarks/bench_norm.py [--reps N] [--extra]
"""
import os
import sys
import argparse
import statistics
import time

import numpy as np

import ember
import ember.nn as enn

try:
    import torch
except ImportError:  # pragma: no cover
    raise SystemExit("bench_norm.py needs PyTorch as the peer")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import cpu_model  # noqa: E402

THREADS = 2
perf = time.perf_counter



def case(make_e, make_t, shape, reps, rounds=3, seed=0):
    """Median seconds of one forward+backward step for ember and torch.

    Blocks of `reps` steps alternate between the libraries (`rounds` each), with a
    pause between blocks: torch's OpenMP workers spin for a while after a parallel
    region and would otherwise steal the 2 cores from the next ember call.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    em, tm = make_e(), make_t()
    xe, ge = ember.tensor(x, requires_grad=True), ember.tensor(g)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def step_e():
        xe.grad = None
        for p in em.parameters():
            p.grad = None
        em(xe).backward(ge)

    def step_t():
        xt.grad = None
        for p in tm.parameters():
            p.grad = None
        tm(xt).backward(gt)

    te, tt = [], []
    for _ in range(rounds):
        for step, out in ((step_e, te), (step_t, tt)):
            time.sleep(0.3)
            step()
            step()
            for _ in range(reps):
                t0 = perf()
                step()
                out.append(perf() - t0)
    return statistics.median(te), statistics.median(tt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--extra", action="store_true", help="also time GroupNorm, BatchNorm1d (N, C), RMSNorm")
    args = ap.parse_args()
    ember.set_num_threads(THREADS)
    torch.set_num_threads(THREADS)
    print(f"CPU: {cpu_model()[0]}; threads: {THREADS}; ember SIMD: {ember._C.simd_level()}; torch {torch.__version__}")
    cases = [
        ("batch_norm2d train fwd+bwd 32x64x56x56", lambda: enn.BatchNorm2d(64), lambda: torch.nn.BatchNorm2d(64),
         (32, 64, 56, 56)),
        ("layer_norm fwd+bwd 4096x1024", lambda: enn.LayerNorm(1024), lambda: torch.nn.LayerNorm(1024),
         (4096, 1024)),
    ]
    if args.extra:
        cases += [
            ("group_norm(32) fwd+bwd 16x256x28x28", lambda: enn.GroupNorm(32, 256),
             lambda: torch.nn.GroupNorm(32, 256), (16, 256, 28, 28)),
            ("batch_norm1d train fwd+bwd 8192x512", lambda: enn.BatchNorm1d(512), lambda: torch.nn.BatchNorm1d(512),
             (8192, 512)),
            ("rms_norm fwd+bwd 4096x1024", lambda: enn.RMSNorm(1024), lambda: torch.nn.RMSNorm(1024), (4096, 1024)),
        ]
    print(f"{'case':44s} {'ember ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    for name, me, mt, shape in cases:
        te, tt = case(me, mt, shape, args.reps)
        print(f"{name:44s} {te * 1e3:9.2f} {tt * 1e3:9.2f} {te / tt:6.2f}")


if __name__ == "__main__":
    main()
