#!/usr/bin/env python3
"""DataLoader benchmark: one shuffled epoch over a 60,000 x 784 float32 TensorDataset with
int64 labels, batch 128, num_workers 0 and 2, ember vs PyTorch in the same run.

ember and torch epochs alternate; each case reports the median of the repeats and the
ratio ember / torch (below 1.00: ember faster). Rewrites the "data" section of
benchmarks/RESULTS.md. Run: python benchmarks/bench_data.py [--repeats N] [--no-write]
"""
import argparse
import datetime
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import cpu_model, write_section  # noqa: E402

import ember  # noqa: E402
from ember.utils.data import DataLoader, TensorDataset  # noqa: E402

try:
    import torch
    import torch.utils.data as tud
except ImportError:  # pragma: no cover
    torch = None

N, D, BATCH, THREADS = 60_000, 784, 128, 2


def epoch(loader):
    t0 = time.perf_counter()
    n = 0
    for xb, yb in loader:
        n += yb.shape[0]
    assert n == N
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    ember.set_num_threads(THREADS)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D), dtype=np.float32)
    y = rng.integers(0, 10, N).astype(np.int64)
    e_ds = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    rows = []
    if torch is not None:
        torch.set_num_threads(THREADS)
        t_ds = tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    for workers in (0, 2):
        e_loader = DataLoader(e_ds, batch_size=BATCH, shuffle=True, num_workers=workers,
                              generator=ember.Generator().manual_seed(0))
        t_loader = (tud.DataLoader(t_ds, batch_size=BATCH, shuffle=True, num_workers=workers,
                                   generator=torch.Generator().manual_seed(0)) if torch is not None else None)
        et, tt = [], []
        for _ in range(args.repeats):
            et.append(epoch(e_loader))
            time.sleep(0.2)
            if t_loader is not None:
                tt.append(epoch(t_loader))
                time.sleep(0.2)
        e_med = statistics.median(et)
        t_med = statistics.median(tt) if tt else float("nan")
        rows.append((workers, e_med, t_med))
        print(f"num_workers={workers}: ember {e_med * 1e3:.1f} ms, torch {t_med * 1e3:.1f} ms, "
              f"ratio {e_med / t_med:.3f}", flush=True)

    name, mhz, avx512 = cpu_model()
    header = [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {name}, {os.cpu_count()} CPUs, {mhz:.0f} MHz nominal; threads: {THREADS} for ember and torch",
        f"- versions: ember {ember.__version__}, numpy {np.__version__}, torch {torch.__version__ if torch else '-'}",
        f"- one shuffled epoch over TensorDataset({N} x {D} float32, {N} int64 labels), batch {BATCH}; "
        f"median of {args.repeats} epochs, ember and torch alternating; worker start-up is included",
        "- ember fetches each batch of a TensorDataset as one index_select gather per tensor (same values as "
        "the per-sample path); workers send batches as raw buffers through one pipe",
        f"- load average at the end of the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (the machine is "
        "shared: other jobs stall 2-thread kernels, so single runs vary; compare several runs)",
    ]
    table = ["| case | ember | torch | ratio |", "|---|---:|---:|---:|"]
    for workers, e, t in rows:
        table.append(f"| DataLoader epoch, num_workers={workers} | {e * 1e3:.1f} ms | {t * 1e3:.1f} ms | "
                     f"{e / t:.3f}x |")
    text = "\n".join(header) + "\n\n" + "\n".join(table) + "\n"
    print()
    print(text)
    if not args.no_write:
        write_section(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"), "data", text,
                      title="Data loading (issue 8)")


if __name__ == "__main__":
    main()
