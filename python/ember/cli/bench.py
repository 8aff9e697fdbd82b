"""``ember bench [--filter PATTERN]``: a kernel benchmark table, ember against NumPy and (when
installed) PyTorch on the same inputs, as medians and time ratios (ember time / peer time,
as in benchmarks/RESULTS.md: < 1 means ember is faster). The default run takes about 25 s
on 2 cores; --quick shortens each timing.

``bench(fn)`` is the timing helper that benchmarks/bench_core.py (and bench_nn, bench_rnn)
import: warm-up, then groups of calls lasting >= group_min, the median of the groups."""
import argparse
import fnmatch
import statistics
import sys
import time

import numpy as np

perf = time.perf_counter


def bench(fn, target=0.4, min_reps=5, group_min=0.002):
    """Median seconds per call: warm-up, then groups of calls lasting >= group_min."""
    fn()
    fn()
    t0 = perf()
    fn()
    one = max(perf() - t0, 1e-7)
    per_group = max(1, int(group_min / one))
    reps = max(min_reps, int(target / (one * per_group)))
    samples = []
    for _ in range(reps):
        t0 = perf()
        for _ in range(per_group):
            fn()
        samples.append((perf() - t0) / per_group)
    return statistics.median(samples)


def _cases():
    """(name, make) pairs; make() returns {'ember': fn, 'numpy': fn or None, 'torch': fn or None}."""
    import ember
    import ember.nn.functional as F

    try:
        import torch
        import torch.nn.functional as TF
        torch.set_num_threads(ember.get_num_threads())
    except ImportError:
        torch = TF = None
    rng = np.random.default_rng(0)

    def arrays(*shapes):
        a = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        return a, [ember.from_numpy(x) for x in a], ([torch.from_numpy(x) for x in a] if torch else None)

    def matmul(n):
        def make():
            (a, b), (ea, eb), t = arrays((n, n), (n, n))
            return {"ember": lambda: ea @ eb, "numpy": lambda: a @ b, "torch": t and (lambda: t[0] @ t[1])}
        return make

    def unary(e_fn, n_fn, t_fn, n=1 << 20):
        def make():
            (a,), (ea,), t = arrays((n,))
            return {"ember": lambda: e_fn(ea), "numpy": n_fn and (lambda: n_fn(a)), "torch": t and (lambda: t_fn(t[0]))}
        return make

    def add(n=1 << 20):
        def make():
            (a, b), (ea, eb), t = arrays((n,), (n,))
            return {"ember": lambda: ea + eb, "numpy": lambda: a + b, "torch": t and (lambda: t[0] + t[1])}
        return make

    def softmax():
        def make():
            (a,), (ea,), t = arrays((512, 1024))

            def np_softmax():
                e = np.exp(a - a.max(1, keepdims=True))
                return e / e.sum(1, keepdims=True)
            return {"ember": lambda: F.softmax(ea, 1), "numpy": np_softmax,
                    "torch": t and (lambda: TF.softmax(t[0], 1))}
        return make

    def conv2d():
        def make():
            (x, w), (ex, ew), t = arrays((16, 16, 32, 32), (32, 16, 3, 3))
            return {"ember": lambda: F.conv2d(ex, ew, padding=1), "numpy": None,
                    "torch": t and (lambda: TF.conv2d(t[0], t[1], padding=1))}
        return make

    return [
        ("matmul 256x256", matmul(256)),
        ("matmul 512x512", matmul(512)),
        ("add 1M", add()),
        ("exp 1M", unary(lambda x: x.exp(), np.exp, lambda x: x.exp())),
        ("tanh 1M", unary(lambda x: x.tanh(), np.tanh, lambda x: x.tanh())),
        ("sum 1M", unary(lambda x: x.sum(), np.sum, lambda x: x.sum())),
        ("softmax 512x1024", softmax()),
        ("conv2d 16x16x32x32 k3", conv2d()),
    ]


def _fmt(t):
    return "-" if t is None else (f"{t * 1e6:.1f} us" if t < 1e-3 else f"{t * 1e3:.2f} ms")


def _ratio(ours, peer):
    return "-" if peer is None else f"{ours / peer:.2f}x"


def main(argv):
    p = argparse.ArgumentParser(prog="ember bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--filter", default=None, help="run only cases whose name matches (substring or glob)")
    p.add_argument("--quick", action="store_true", help="shorter timings (noisier)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    args = p.parse_args(argv)
    cases = _cases()
    if args.filter:
        pat = args.filter.lower()
        cases = [(n, m) for n, m in cases if pat in n.lower() or fnmatch.fnmatch(n.lower(), pat)]
        if not cases:
            names = ", ".join(n for n, _ in _cases())
            print(f"ember bench: error: no benchmark matches {args.filter!r}; cases: {names}", file=sys.stderr)
            return 2
    if args.list:
        print("\n".join(n for n, _ in cases))
        return 0
    import ember
    target = 0.05 if args.quick else 0.2
    print(f"ember {ember.__version__}, {ember.get_num_threads()} threads; ratio = ember time / peer time "
          "(< 1: ember faster)")
    head = f"{'case':<24}{'ember':>12}{'numpy':>12}{'torch':>12}{'ember/numpy':>13}{'ember/torch':>13}"
    print(head)
    print("-" * len(head))
    for name, make in cases:
        fns = make()
        times = {}
        for peer in ("ember", "numpy", "torch"):
            fn = fns.get(peer)
            times[peer] = bench(fn, target=target) if fn else None
            if peer == "torch" and fn:
                time.sleep(0.05)  # torch's OpenMP workers spin after a call
        te = times["ember"]
        print(f"{name:<24}{_fmt(te):>12}{_fmt(times['numpy']):>12}{_fmt(times['torch']):>12}"
              f"{_ratio(te, times['numpy']):>13}{_ratio(te, times['torch']):>13}", flush=True)
    return 0
