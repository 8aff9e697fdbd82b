"""One optimizer step over 10M float32 parameters in 100 tensors: ember's fused
multi-tensor kernel vs torch's default CPU path (a per-parameter loop), torch
foreach=True and torch fused=True, with the same thread count, plus the
memory-streaming floor (bytes the step must read and write / copy bandwidth measured
in the same run).

Rewrites the "optim" section of benchmarks/RESULTS.md. Run: python benchmarks/bench_optim.py
(--quick: fewer rounds; --no-write: print only).
"""
import argparse
import datetime
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ember  # noqa: E402
from bench_core import cpu_model, write_section  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

THREADS = 2
N_TENSORS = 100
PER_TENSOR = 100_000  # 10M parameters in all
perf = time.perf_counter

# name, ember/torch class, kwargs, torch has fused=True, buffers read+written per element
CASES = [
    ("SGD momentum", "SGD", dict(lr=0.01, momentum=0.9), True, 5),  # r p g buf, w p buf
    ("Adam", "Adam", dict(lr=1e-3), True, 7),  # r p g m v, w p m v
    ("AdamW", "AdamW", dict(lr=1e-3, weight_decay=0.01), True, 7),
    ("RMSprop", "RMSprop", dict(lr=1e-3), False, 5),  # r p g v, w p v
]


def _time(fn, reps):
    out = []
    for _ in range(reps):
        t0 = perf()
        fn()
        out.append(perf() - t0)
    return min(out)


class _Copy:
    """A large copy (read + write of 4 * n bytes each way), timed like a step: its
    bandwidth gives the floor. The fastest of NumPy copyto, ember copy_ and torch copy_
    (torch's runs on its 2 threads)."""

    def __init__(self, n):
        self.src = np.random.default_rng(0).standard_normal(n).astype(np.float32)
        self.dst = np.empty_like(self.src)
        self.es, self.ed = ember.tensor(self.src), ember.zeros(n)
        self.ts, self.td = torch.from_numpy(self.src.copy()), torch.zeros(n)
        self.nbytes = 2 * 4 * n

    def step(self):
        t0 = perf()
        np.copyto(self.dst, self.src)
        t1 = perf()
        self.ed.copy_(self.es)
        t2 = perf()
        self.td.copy_(self.ts)
        t3 = perf()
        self.last = min(t1 - t0, t2 - t1, t3 - t2)


def make(lib, kind, kwargs, extra, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    ps = []
    for _ in range(N_TENSORS):
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(PER_TENSOR).astype(np.float32)))
        p.grad = lib.tensor(rng.standard_normal(PER_TENSOR).astype(np.float32))
        ps.append(p)
    opt = getattr(lib.optim, kind)(ps, **kwargs, **extra)
    opt.step()  # allocate the state
    return opt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--rounds", type=int, default=None)
    args = ap.parse_args()
    rounds = args.rounds or (3 if args.quick else 7)
    ember.set_num_threads(THREADS)
    torch.set_num_threads(THREADS)
    n_params = N_TENSORS * PER_TENSOR
    copier = _Copy(4 * n_params)  # 160 MB each way: well past the last-level cache, like the step
    rows, bws = [], []
    for name, kind, kwargs, has_fused, nbuf in CASES:
        impls = {"ember": make(ember, kind, kwargs, {})}
        impls["torch"] = make(torch, kind, kwargs, {})
        impls["torch foreach"] = make(torch, kind, kwargs, dict(foreach=True))
        if has_fused:
            impls["torch fused"] = make(torch, kind, kwargs, dict(fused=True))
        samples = {k: [] for k in impls}
        copies = []
        for _ in range(rounds):  # alternating rounds; a pause lets torch's OpenMP workers sleep
            for k, opt in impls.items():
                time.sleep(0.05)
                samples[k].append(_time(opt.step, 2))
            copies.append(min(copier.step() or copier.last for _ in range(2)))
        med = {k: statistics.median(v) for k, v in samples.items()}
        bw = copier.nbytes / min(copies)  # the floor is what the memory system can do: its best round
        bws.append(bw)
        floor = nbuf * 4 * n_params / bw
        rows.append((name, med, floor))
        del impls
        print(name, {k: f"{v * 1e3:.1f} ms" for k, v in med.items()}, f"floor {floor * 1e3:.1f} ms", flush=True)

    cpu, _mhz, avx512 = cpu_model()
    header = [
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; CPU: {cpu} "
        f"({'AVX-512' if avx512 else 'AVX2'}); {THREADS} threads each (ember.set_num_threads, "
        "torch.set_num_threads)",
        f"- versions: ember {ember.__version__}, torch {torch.__version__}; one step over "
        f"{n_params / 1e6:.0f}M float32 params in {N_TENSORS} tensors; median of {rounds} alternating rounds "
        "(each the best of 2 steps)",
        "- torch = torch's CPU default (foreach=None: a per-parameter loop of single-tensor ops); "
        "foreach = foreach=True; fused = fused=True (no fused RMSprop in torch)",
        "- floor = bytes the step must read and write (param, grad, state) / bandwidth of a 160 MB copy timed in "
        f"the same rounds (best round; {min(bws) / 1e9:.1f}-{max(bws) / 1e9:.1f} GB/s read+write over the cases; "
        "the fastest of NumPy, ember and torch copies)",
        f"- load average at the end of the run: {os.getloadavg()[1]:.1f} (5 min; the machine is shared: under load the "
        "copy bandwidth and every absolute time are noisy, and ember/floor can drop below 1)",
    ]
    table = ["| step | ember | torch | torch foreach | torch fused | floor | ember/torch | ember/fused | ember/floor |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, med, floor in rows:
        fused = med.get("torch fused")
        table.append(
            f"| {name} | {med['ember'] * 1e3:.1f} ms | {med['torch'] * 1e3:.1f} ms | "
            f"{med['torch foreach'] * 1e3:.1f} ms | {'n/a' if fused is None else f'{fused * 1e3:.1f} ms'} | "
            f"{floor * 1e3:.1f} ms | {med['ember'] / med['torch']:.2f}x | "
            f"{'n/a' if fused is None else format(med['ember'] / fused, '.2f') + 'x'} | "
            f"{med['ember'] / floor:.2f}x |")
    text = "\n".join(header) + "\n\n" + "\n".join(table) + "\n"
    print(text)
    if not args.no_write:
        write_section(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"), "optim", text,
                      title="Optimizers (issue 8)")


if __name__ == "__main__":
    main()
