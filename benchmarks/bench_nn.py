#!/usr/bin/env python3
"""nn-layer benchmarks (issue 3 targets): ember vs PyTorch CPU in one process, 2 threads each.

Each case is timed in alternating rounds (ember, torch, ember, torch, ...) so that a
burst of load on this shared machine hits both, with a pause before each timing so
torch's spinning OpenMP workers have gone idle; the reported ratio is the median of
the per-round ratios (ember time / torch time: below 1.00 means ember is faster).
Rewrites the "nn" section of benchmarks/RESULTS.md. Run: python benchmarks/bench_nn.py
"""
import argparse
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import cpu_model, time_pair, write_section  # noqa: E402

import numpy as np  # noqa: E402

import ember  # noqa: E402
import ember.nn.functional as EF  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

THREADS = 2


def pair(make, shapes, seed=0):
    """The same float32 data as ember and torch tensors (requires_grad on all)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    return make(ember, EF, e), make(torch, TF, t)


def fwd_bwd(fn, inputs, lib):
    def run():
        for x in inputs:
            x.grad = None
        out = fn()
        out.backward(lib.ones_like(out))
    return run


def cases():
    """(name, ember_callable, torch_callable) for each target of issue 3."""
    out = []

    def conv(n, cin, cout, hw, k, p):
        def make(lib, F, ts):
            x, w, b = ts
            return (lambda: F.conv2d(x, w, b, padding=p)), ts
        (ef, ets), (tf, tts) = pair(make, [(n, cin, hw, hw), (cout, cin, k, k), (cout,)])
        tag = f"conv2d N={n} {cin}->{cout} {hw}x{hw} k{k} p{p}"
        out.append((f"{tag} forward", lambda: _nograd_e(ef), lambda: _nograd_t(tf)))
        out.append((f"{tag} forward+backward", fwd_bwd(ef, ets, ember), fwd_bwd(tf, tts, torch)))

    conv(32, 64, 64, 56, 3, 1)
    conv(32, 128, 128, 28, 3, 1)
    conv(64, 1, 6, 28, 5, 0)

    for name in ("max_pool2d", "avg_pool2d"):
        def make(lib, F, ts, name=name):
            return (lambda: getattr(F, name)(ts[0], 2)), ts
        (ef, ets), (tf, tts) = pair(make, [(32, 64, 56, 56)])
        out.append((f"{name} 2x2 on 32x64x56x56 forward", lambda ef=ef: _nograd_e(ef), lambda tf=tf: _nograd_t(tf)))
        out.append((f"{name} 2x2 on 32x64x56x56 forward+backward", fwd_bwd(ef, ets, ember), fwd_bwd(tf, tts, torch)))

    def bn(lib, F, ts):
        x, w, b = ts
        rm, rv = lib.zeros(64), lib.ones(64)
        return (lambda: F.batch_norm(x, rm, rv, w, b, training=True)), ts
    (ef, ets), (tf, tts) = pair(bn, [(32, 64, 56, 56), (64,), (64,)])
    out.append(("batch_norm2d train 32x64x56x56 forward+backward", fwd_bwd(ef, ets, ember), fwd_bwd(tf, tts, torch)))

    def ln(lib, F, ts):
        x, w, b = ts
        return (lambda: F.layer_norm(x, (1024,), w, b)), ts
    (ef, ets), (tf, tts) = pair(ln, [(4096, 1024), (1024,), (1024,)])
    out.append(("layer_norm 4096x1024 forward+backward", fwd_bwd(ef, ets, ember), fwd_bwd(tf, tts, torch)))

    def sm(lib, F, ts):
        return (lambda: F.softmax(ts[0], dim=-1)), ts
    (ef, ets), (tf, tts) = pair(sm, [(4096, 1024)])
    out.append(("softmax 4096x1024 forward", lambda: _nograd_e(ef), lambda: _nograd_t(tf)))

    rng = np.random.default_rng(1)
    tgt = rng.integers(0, 1000, 4096)
    et, tt = ember.tensor(tgt), torch.tensor(tgt)

    def ce(lib, F, ts):
        target = et if lib is ember else tt
        return (lambda: F.cross_entropy(ts[0], target)), ts
    (ef, ets), (tf, tts) = pair(ce, [(4096, 1000)])
    out.append(("cross_entropy 4096x1000 forward+backward", fwd_bwd(ef, ets, ember), fwd_bwd(tf, tts, torch)))
    return out


def _nograd_e(f):
    with ember.no_grad():
        return f()


def _nograd_t(f):
    with torch.no_grad():
        return f()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--target", type=float, default=0.3, help="seconds per timing")
    ap.add_argument("--only", default="", help="substring filter on case names")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    ember.set_num_threads(THREADS)
    torch.set_num_threads(THREADS)
    rows = []
    for name, fe, ft in cases():
        if args.only and args.only not in name:
            continue
        r = (name,) + time_pair(fe, ft, args.rounds, args.target)
        rows.append(r)
        print(f"{name:58s} ember {r[1] * 1e3:8.2f} ms  torch {r[2] * 1e3:8.2f} ms  ratio {r[3]:.2f}x", flush=True)
    if args.no_write or args.only:
        return
    cpu, _mhz, avx512 = cpu_model()
    header = [
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; CPU: {cpu} "
        f"({'AVX-512' if avx512 else 'AVX2'}); {THREADS} threads each; ember SIMD level {ember._C.simd_level()}",
        f"- versions: ember {ember.__version__}, torch {torch.__version__} (oneDNN for conv on CPU)",
        "- ratio = ember time / torch time (below 1.00: ember faster): median of per-round ratios, "
        f"{args.rounds} alternating rounds",
    ]
    table = ["| case | ember | torch | ratio |", "|---|---:|---:|---:|"]
    for name, te, tt, ratio in rows:
        table.append(f"| {name} | {te * 1e3:.2f} ms | {tt * 1e3:.2f} ms | {ratio:.2f}x |")
    text = "\n".join(header) + "\n\n" + "\n".join(table) + "\n"
    write_section(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"), "nn", text,
                  title="nn layers vs PyTorch CPU (issue 3 targets)")


if __name__ == "__main__":
    main()
