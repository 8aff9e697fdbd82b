#!/usr/bin/env python3
"""Attention benchmarks: ember vs PyTorch in one process, 2 threads each.

- F.scaled_dot_product_attention, batch 8, heads 8, head dim 64, seq 256 and 1024,
  causal and not: forward, and forward+backward (grads of q, k, v).
- Extra memory of one forward at seq 1024 and 4096: ember's arrays (allocator
  counter before/after: output + logsumexp) plus the per-thread tile scratch, vs the
  L*S*4 bytes per head the math path's score matrix takes.
- One training step (forward, backward, SGD) of a 4-layer TransformerEncoder
  (d_model 256, 4 heads, feed-forward 1024, seq 128, batch 32, batch_first, dropout 0.1).

Blocks of ember and torch steps alternate with a pause between (torch's OpenMP
workers spin after each call); medians are reported with ember_time / torch_time.
Run: python benchmarks/bench_attention.py [--reps N] [--write]  (--write updates
the "Attention and Transformers (issue 9)" section of benchmarks/RESULTS.md).
"""
import argparse
import datetime
import os
import re
import statistics
import sys
import time

import numpy as np

import ember
import ember.nn.functional as EF

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover
    raise SystemExit("bench_attention.py needs PyTorch as the peer")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import cpu_model  # noqa: E402

THREADS = 2
perf = time.perf_counter
HERE = os.path.dirname(os.path.abspath(__file__))


def alternate(step_e, step_t, reps, rounds=3):
    te, tt = [], []
    for _ in range(rounds):
        for step, out in ((step_e, te), (step_t, tt)):
            time.sleep(0.3)
            step()
            for _ in range(reps):
                t0 = perf()
                step()
                out.append(perf() - t0)
    return statistics.median(te), statistics.median(tt)


def sdpa_case(seq, causal, backward, reps, B=8, H=8, E=64):
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal((B, H, seq, E)).astype(np.float32) for _ in range(3)]
    g = rng.standard_normal((B, H, seq, E)).astype(np.float32)
    qe = [ember.tensor(a, requires_grad=backward) for a in arrs]
    qt = [torch.tensor(a, requires_grad=backward) for a in arrs]
    ge, gt = ember.tensor(g), torch.tensor(g)

    def step_e():
        y = EF.scaled_dot_product_attention(*qe, is_causal=causal)
        if backward:
            for t in qe:
                t.grad = None
            y.backward(ge)

    def step_t():
        y = TF.scaled_dot_product_attention(*qt, is_causal=causal)
        if backward:
            for t in qt:
                t.grad = None
            y.backward(gt)

    return alternate(step_e, step_t, reps)


def memory_case(seq, B, H, E=64):
    rng = np.random.default_rng(0)
    q = ember.tensor(rng.standard_normal((B, H, seq, E)).astype(np.float32))
    before = ember._C.cpu_allocated_bytes()
    y = EF.scaled_dot_product_attention(q, q, q)
    arrays = ember._C.cpu_allocated_bytes() - before
    del y
    # per worker thread: one 192x256 score tile and 2x192 row statistics (float32),
    # csrc/ops/attention/attention.h's kBlockQ x kBlockK
    scratch = THREADS * (192 * 256 + 2 * 192) * 4
    math = B * H * seq * seq * 4
    return arrays, scratch, math


def encoder_case(reps):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 128, 256)).astype(np.float32)

    def build(lib):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.1, batch_first=True)
        kw = {"enable_nested_tensor": False}
        m = lib.nn.TransformerEncoder(layer, 4, **kw)
        return m, lib.optim.SGD(m.parameters(), lr=1e-3)

    me, oe = build(ember)
    mt, ot = build(torch)
    xe, xt = ember.tensor(x), torch.tensor(x)

    def step_e():
        oe.zero_grad()
        me(xe).pow(2).mean().backward()
        oe.step()

    def step_t():
        ot.zero_grad()
        mt(xt).pow(2).mean().backward()
        ot.step()

    return alternate(step_e, step_t, reps, rounds=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = ap.parse_args()
    ember.set_num_threads(THREADS)
    torch.set_num_threads(THREADS)
    cpu = cpu_model()[0]
    head = f"CPU: {cpu}; threads: {THREADS}; ember SIMD: {ember._C.simd_level()}; torch {torch.__version__}"
    print(head)
    rows = []
    for seq in (256, 1024):
        for causal in (False, True):
            for bwd in (False, True):
                reps = args.reps if seq == 256 else max(2, args.reps // 2)
                te, tt = sdpa_case(seq, causal, bwd, reps)
                name = f"sdpa 8x8x{seq}x64 {'causal' if causal else 'full'} {'fwd+bwd' if bwd else 'fwd'}"
                rows.append((name, te, tt))
                print(f"{name:44s} {te * 1e3:9.2f} {tt * 1e3:9.2f} {te / tt:6.2f}", flush=True)
    te, tt = encoder_case(max(2, args.reps // 2))
    name = "TransformerEncoder 4x(256, 4 heads) train step"
    rows.append((name, te, tt))
    print(f"{name:44s} {te * 1e3:9.2f} {tt * 1e3:9.2f} {te / tt:6.2f}", flush=True)
    mem = []
    for seq, B in ((1024, 8), (4096, 1)):
        arrays, scratch, math = memory_case(seq, B, 8)
        mem.append((seq, B, arrays, scratch, math))
        print(f"memory seq {seq} (B={B}, H=8): ember arrays {arrays / 2**20:.1f} MiB + scratch "
              f"{scratch / 2**10:.0f} KiB; math scores {math / 2**20:.0f} MiB", flush=True)
    if args.write:
        write_results(head, rows, mem)


def write_results(head, rows, mem):
    path = os.path.join(HERE, "RESULTS.md")
    lines = [f"- date: {datetime.datetime.now():%Y-%m-%d %H:%M}; {head}",
             "- medians of alternating blocks; ratio = ember time / torch time (below 1: ember faster)", "",
             "| case | ember ms | torch ms | ratio |", "|---|---:|---:|---:|"]
    lines += [f"| {n} | {te * 1e3:.2f} | {tt * 1e3:.2f} | {te / tt:.2f}x |" for n, te, tt in rows]
    lines += ["", "| forward memory | ember output + lse | ember tile scratch | math-path scores (L*S*4 B/head) |",
              "|---|---:|---:|---:|"]
    lines += [f"| seq {s}, batch {b}, 8 heads, dim 64 | {a / 2**20:.1f} MiB | {sc / 2**10:.0f} KiB | "
              f"{m / 2**20:.0f} MiB |" for s, b, a, sc, m in mem]
    block = "<!-- attention begin -->\n" + "\n".join(lines) + "\n<!-- attention end -->"
    text = open(path).read()
    if "<!-- attention begin -->" in text:
        text = re.sub(r"<!-- attention begin -->.*?<!-- attention end -->", lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Attention and Transformers (issue 9)\n\n" + block + "\n"
    open(path, "w").write(text)


if __name__ == "__main__":
    main()
