#!/usr/bin/env python3
"""Core benchmarks: ember vs NumPy and PyTorch in one process, same thread count.

Reports median times and ratios (ember time / peer time: below 1 means ember is
faster) for GEMM, elementwise, reductions and per-call overhead, and rewrites the
"core" section of benchmarks/RESULTS.md. Run: python benchmarks/bench_core.py
"""
import argparse
import datetime
import os
import platform
import sys
import time

# NumPy's OpenBLAS is slowed by OPENBLAS_CORETYPE (set on some machines here for
# older builds): re-run without it so the peer is measured at its best.
if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("OPENBLAS_L2_SIZE"):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import numpy as np  # noqa: E402

import ember  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None
try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

THREADS = 2
perf = time.perf_counter


from ember.cli.bench import bench  # noqa: E402,F401 - the shared timing helper (bench_nn, bench_rnn import it)


def time_pair(fe, ft, rounds, target, min_reps=3):
    """ember fn vs torch fn in alternating rounds: medians of (ember s, torch s, ratio).

    torch's OpenMP workers spin for a while after each call and would steal the cores
    from whatever runs next: both sides wait for the machine to go idle before timing.
    """
    import statistics

    te_all, tt_all, ratios = [], [], []
    for _ in range(rounds):
        time.sleep(0.3)
        te = bench(fe, target, min_reps=min_reps)
        time.sleep(0.3)
        tt = bench(ft, target, min_reps=min_reps)
        te_all.append(te)
        tt_all.append(tt)
        ratios.append(te / tt)
    return statistics.median(te_all), statistics.median(tt_all), statistics.median(ratios)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        name = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        fam = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("cpu family")), "")
        model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model\t")), "")
        if fam:
            name += f" (family {fam} model {model}{', Zen 3' if (fam, model) == ('25', '1') else ''})"
        mhz = float(next(line.split(":", 1)[1] for line in info.splitlines() if line.startswith("cpu MHz")))
        flags = next(line for line in info.splitlines() if line.startswith("flags"))
        return name, mhz, ("avx512f" in flags)
    except Exception:
        return platform.processor(), 0.0, False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    target = 0.15 if args.quick else 0.4

    ember.set_num_threads(THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)
    limiter = threadpool_limits(THREADS) if threadpool_limits else None  # noqa: F841
    rng = np.random.default_rng(0)
    rows = []

    def row(case, t_ember, peers, metric=""):
        r = {"case": case, "ember": t_ember, "metric": metric}
        r.update(peers)
        rows.append(r)
        ratios = "  ".join(f"{k} {t_ember / v:5.2f}x" for k, v in peers.items() if v)
        print(f"{case:44s} ember {t_ember * 1e3:9.4f} ms  {ratios}  {metric}", flush=True)

    # ---- GEMM
    for n in (128, 256, 512, 1024, 2048):
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        ea, eb = ember.from_numpy(a), ember.from_numpy(b)
        te = bench(lambda: ea @ eb, target)
        peers = {"numpy": bench(lambda: a @ b, target)}
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            peers["torch"] = bench(lambda: ta @ tb, target)
        row(f"matmul {n}x{n} f32", te, peers, f"{2 * n ** 3 / te / 1e9:.0f} GFLOP/s")
    a = rng.standard_normal((32, 128, 64), dtype=np.float32)
    b = rng.standard_normal((32, 64, 128), dtype=np.float32)
    ea, eb = ember.from_numpy(a), ember.from_numpy(b)
    te = bench(lambda: ea @ eb, target)
    peers = {"numpy": bench(lambda: a @ b, target)}
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        peers["torch"] = bench(lambda: ta @ tb, target)
    row("bmm 32x(128x64 @ 64x128) f32", te, peers, f"{2 * 32 * 128 * 64 * 128 / te / 1e9:.0f} GFLOP/s")
    n = 1024
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    ea, eb = ember.from_numpy(a), ember.from_numpy(b)
    te = bench(lambda: ea.t() @ eb, target)
    peers = {"numpy": bench(lambda: a.T @ b, target)}
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        peers["torch"] = bench(lambda: ta.t() @ tb, target)
    row("matmul 1024 A^T @ B f32 (transposed view)", te, peers, f"{2 * n ** 3 / te / 1e9:.0f} GFLOP/s")

    # ---- elementwise and reductions, 16M float32
    m = 16 * 1024 * 1024
    x = rng.standard_normal(m, dtype=np.float32)
    y = rng.standard_normal(m, dtype=np.float32)
    o = np.empty_like(x)
    ex, ey, eo = ember.from_numpy(x), ember.from_numpy(y), ember.from_numpy(o)
    peers_t = {}
    if torch is not None:
        tx, ty, to = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(o)
    te = bench(lambda: ex + ey, target)
    peers = {"numpy": bench(lambda: x + y, target)}
    if torch is not None:
        peers["torch"] = bench(lambda: tx + ty, target)
    row("add 16M f32 (allocating)", te, peers, f"{12 * m / te / 1e9:.1f} GB/s")
    te = bench(lambda: ember.add(ex, ey, out=eo), target)
    peers = {"numpy": bench(lambda: np.add(x, y, out=o), target)}
    if torch is not None:
        peers["torch"] = bench(lambda: torch.add(tx, ty, out=to), target)
    row("add 16M f32 (out=)", te, peers, f"{12 * m / te / 1e9:.1f} GB/s")
    te = bench(lambda: ex.exp(), target)
    peers = {"numpy": bench(lambda: np.exp(x), target)}
    if torch is not None:
        peers["torch"] = bench(lambda: tx.exp(), target)
    row("exp 16M f32", te, peers, f"{8 * m / te / 1e9:.1f} GB/s")
    te = bench(lambda: ex.sum(), target)
    peers = {"numpy": bench(lambda: x.sum(), target)}
    if torch is not None:
        peers["torch"] = bench(lambda: tx.sum(), target)
    row("sum 16M f32", te, peers, f"{4 * m / te / 1e9:.1f} GB/s")
    x2 = x.reshape(16384, 1024)
    ex2 = ember.from_numpy(x2)
    te = bench(lambda: ex2.max(dim=-1), target)
    peers = {"numpy": bench(lambda: x2.max(axis=-1), target)}
    if torch is not None:
        tx2 = torch.from_numpy(x2)
        peers["torch"] = bench(lambda: tx2.max(dim=-1), target)
    row("max(dim=-1) 16384x1024 f32 (values+indices)", te, peers, f"{4 * m / te / 1e9:.1f} GB/s")
    del x, y, o, ex, ey, eo

    # ---- random numbers, 4M float32 (NumPy's Generator draws float32 normals by ziggurat)
    k = 4 * 1024 * 1024
    gen = np.random.default_rng(0)
    te = bench(lambda: ember.randn(k), target)
    peers = {"numpy": bench(lambda: gen.standard_normal(k, dtype=np.float32), target)}
    if torch is not None:
        peers["torch"] = bench(lambda: torch.randn(k), target)
    row("randn 4M f32", te, peers, f"{k / te / 1e6:.0f} M samples/s")
    te = bench(lambda: ember.rand(k), target)
    peers = {"numpy": bench(lambda: gen.random(k, dtype=np.float32), target)}
    if torch is not None:
        peers["torch"] = bench(lambda: torch.rand(k), target)
    row("rand 4M f32", te, peers, f"{k / te / 1e6:.0f} M samples/s")

    # ---- per-call overhead
    e1, e2 = ember.ones(1), ember.ones(1)
    te = bench(lambda: e1 + e2, target)
    peers = {"numpy": bench(lambda: np.ones(1) + 1.0, target) if False else None}
    n1, n2 = np.ones(1, np.float32), np.ones(1, np.float32)
    peers = {"numpy": bench(lambda: n1 + n2, target)}
    if torch is not None:
        t1, t2 = torch.ones(1), torch.ones(1)
        peers["torch"] = bench(lambda: t1 + t2, target)
    row("overhead: 1-element a + b", te, peers, f"{te * 1e6:.2f} us")
    ew = ember.ones(1)
    exg = ember.ones(1, requires_grad=True)

    def ember_step():
        (exg * ew).sum().backward()

    te = bench(ember_step, target)
    peers = {}
    if torch is not None:
        tw = torch.ones(1)
        txg = torch.ones(1, requires_grad=True)

        def torch_step():
            (txg * tw).sum().backward()

        peers["torch"] = bench(torch_step, target)
    row("overhead: 1-element (x*w).sum().backward()", te, peers, f"{te * 1e6:.2f} us")

    name, mhz, avx512 = cpu_model()
    peak = 2 * 32 * mhz / 1e3 if mhz else 0.0  # 2 cores x 2 FMA pipes x 8 lanes x 2 flops
    header = [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {name}, {os.cpu_count()} CPUs, {mhz:.0f} MHz nominal, AVX-512: {'yes' if avx512 else 'no'}; "
        f"ember SIMD path: {ember._C.simd_level()}",
        f"- threads: {THREADS} for ember, torch and NumPy's BLAS (threadpoolctl); NumPy elementwise is 1 thread",
        f"- versions: ember {ember.__version__}, numpy {np.__version__}"
        + (f", torch {torch.__version__}" if torch is not None else ""),
        f"- nominal fp32 FMA peak (2 cores x 32 flop/cycle x {mhz:.0f} MHz): {peak:.0f} GFLOP/s "
        "(boost clocks run higher: the notes measured 232 GFLOP/s on 2 cores)",
        "- ratio = ember time / peer time (below 1.00: ember faster); medians of repeated runs",
    ]
    table = ["| case | ember | vs NumPy | vs PyTorch | metric |", "|---|---:|---:|---:|---|"]
    for r in rows:
        def ratio(k):
            v = r.get(k)
            return f"{r['ember'] / v:.2f}x" if v else "-"

        t = r["ember"]
        ts = f"{t * 1e6:.2f} us" if t < 1e-3 else f"{t * 1e3:.3f} ms"
        table.append(f"| {r['case']} | {ts} | {ratio('numpy')} | {ratio('torch')} | {r['metric']} |")
    text = "\n".join(header) + "\n\n" + "\n".join(table) + "\n"
    print()
    print(text)
    if not args.no_write:
        write_section(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"), "core", text)


def write_section(path, name, text, title=None):
    """Replaces the section between <!-- name --> markers (atomically)."""
    begin, end = f"<!-- {name} begin -->", f"<!-- {name} end -->"
    old = open(path).read() if os.path.exists(path) else "# ember benchmark results\n"
    block = f"{begin}\n{text}{end}"
    if begin in old and end in old:
        new = old[: old.index(begin)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + f"\n\n## {title or f'Core ops ({name})'}\n\n" + block + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
