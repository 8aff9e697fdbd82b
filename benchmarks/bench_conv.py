#!/usr/bin/env python3
"""Conv2d benchmark: ember vs PyTorch CPU (oneDNN) in one process, 2 threads each.

For each target shape of issue 3 it times nn.Conv2d forward (no grad) and
forward+backward (grads of input, weight and bias) with identical weights and data.
Timings alternate ember / torch in rounds so a burst of load on the shared machine
hits both; each timing is a median over repeats, and the reported ratio (ember time /
torch time, below 1.00 = ember faster) is the median of the per-round ratios.
Run: python benchmarks/bench_conv.py [--rounds 3] [--only 128]
"""
import os
import argparse
import statistics
import sys
import time

import numpy as np

import ember
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import cpu_model  # noqa: E402

THREADS = 2
CASES = [  # (N, C_in, C_out, H=W, kernel, padding): the targets
    (32, 64, 64, 56, 3, 1),
    (32, 128, 128, 28, 3, 1),
    (64, 1, 6, 28, 5, 0),
]
# --extra: other common layer shapes, (module, constructor args, input shape).
EXTRA = [
    ("Conv2d", (64, 128, 3), dict(stride=2, padding=1), (32, 64, 56, 56)),
    ("Conv2d", (256, 64, 1), {}, (32, 256, 28, 28)),
    ("Conv2d", (128, 128, 3), dict(padding=1, groups=128), (32, 128, 56, 56)),
    ("Conv2d", (3, 64, 7), dict(stride=2, padding=3), (16, 3, 112, 112)),
    ("ConvTranspose2d", (128, 64, 4), dict(stride=2, padding=1), (16, 128, 16, 16)),
    ("Conv1d", (64, 64, 3), dict(padding=1), (32, 64, 1024)),
]


def median_time(fn, target, min_reps=3):
    """Median seconds per call after two warm-up calls; about `target` seconds of samples."""
    fn()
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    per_group = max(1, int(0.002 / one))
    reps = max(min_reps, int(target / (one * per_group)))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(per_group):
            fn()
        samples.append((time.perf_counter() - t0) / per_group)
    return statistics.median(samples)


def make_case(name, args, kwargs, shape):
    tmod = getattr(torch.nn, name)(*args, **kwargs)
    emod = getattr(ember.nn, name)(*args, **kwargs)
    emod.load_state_dict({key: ember.tensor(v.detach().numpy()) for key, v in tmod.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)

    def e_fwd():
        with ember.no_grad():
            emod(ex)

    def t_fwd():
        with torch.no_grad():
            tmod(tx)

    def e_fb():
        ex.grad = None
        emod.zero_grad()
        y = emod(ex)
        y.backward(ember.ones_like(y))

    def t_fb():
        tx.grad = None
        tmod.zero_grad()
        y = tmod(tx)
        y.backward(torch.ones_like(y))

    return (e_fwd, t_fwd), (e_fb, t_fb)



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--target", type=float, default=0.25, help="seconds of samples per timing")
    ap.add_argument("--only", default="", help="substring filter on case names")
    ap.add_argument("--extra", action="store_true", help="also time other common layer shapes")
    args = ap.parse_args()
    ember.set_num_threads(THREADS)
    torch.set_num_threads(THREADS)
    print(f"CPU: {cpu_model()[0]}; {THREADS} threads each; ember SIMD {ember._C.simd_level()}; "
          f"torch {torch.__version__}")
    cases = [(f"Conv2d N={n} {cin}->{cout} {hw}x{hw} k{k} p{p}", ("Conv2d", (cin, cout, k), dict(padding=p),
                                                                   (n, cin, hw, hw))) for n, cin, cout, hw, k, p in CASES]
    if args.extra:
        cases += [(f"{name}{args_} {kw} on {shape}", (name, args_, kw, shape)) for name, args_, kw, shape in EXTRA]
    for tag, spec in cases:
        fwd, fb = make_case(*spec)
        for what, (fe, ft) in (("forward", fwd), ("forward+backward", fb)):
            name = f"{tag} {what}"
            if args.only and args.only not in name:
                continue
            te_all, tt_all, ratios = [], [], []
            for _ in range(args.rounds):
                te = median_time(fe, args.target)
                tt = median_time(ft, args.target)
                te_all.append(te)
                tt_all.append(tt)
                ratios.append(te / tt)
            print(f"{name:52s} ember {statistics.median(te_all) * 1e3:8.2f} ms  torch "
                  f"{statistics.median(tt_all) * 1e3:8.2f} ms  ratio {statistics.median(ratios):.2f}x", flush=True)


if __name__ == "__main__":
    sys.exit(main())
