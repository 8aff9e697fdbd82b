#!/usr/bin/env python3
"""Times two builds of ember against each other in one run: a change's cost.

    python benchmarks/bench_before_after.py --base /tmp/ember_base [--rounds 5]

--base is a folder holding an ``ember`` package (python/ember of the old commit
with its built ``_C*.so`` copied in). Each round starts one child process per
build, alternating, so load on a shared machine hits both alike; the table gives
each case's median over the rounds and the ratio head / base. Cases: the per-call
overhead of a 1-element add (plain, in place, and with a backward), and add/sum
over 16M float32 (bench_core's cases); --wide adds nn, reduction, index, sort and
optimizer cases (used to choose per-file optimisation levels).
"""
import argparse
import json
import os
import site
import statistics
import subprocess
import sys

CHILD = r"""
import json, os
WIDE = os.environ.get("EMBER_BENCH_WIDE") == "1"
import json, statistics, time
import numpy as np
import ember
ember.set_num_threads(2)
perf = time.perf_counter

def bench(fn, reps=31, inner=None):
    fn(); fn()
    if inner is None:
        t0 = perf(); fn(); one = max(perf() - t0, 1e-7)
        inner = max(1, int(0.002 / one))
    out = []
    for _ in range(reps):
        t0 = perf()
        for _ in range(inner):
            fn()
        out.append((perf() - t0) / inner)
    return statistics.median(out)

a, b = ember.ones(1), ember.ones(1)
w = ember.ones(1, requires_grad=True)
def backward():
    (w * a + a).sum().backward()
m = 16 * 1024 * 1024
rng = np.random.default_rng(0)
x = ember.from_numpy(rng.standard_normal(m, dtype=np.float32))
y = ember.from_numpy(rng.standard_normal(m, dtype=np.float32))
res = {
    "1-element a + b": bench(lambda: a + b),
    "1-element a.add_(b)": bench(lambda: a.add_(b)),
    "1-element forward+backward": bench(backward),
    "add 16M f32": bench(lambda: x + y, reps=15),
    "sum 16M f32": bench(lambda: x.sum(), reps=15),
}
if WIDE:
    import ember.nn.functional as F
    t = lambda *shape: ember.from_numpy(rng.standard_normal(shape, dtype=np.float32))
    A, B = t(256, 256), t(256, 256)
    X4, W4 = t(16, 32, 28, 28), t(32, 32, 3, 3)
    R, L = t(512, 1024), ember.from_numpy(rng.integers(0, 1024, 512))
    I = ember.from_numpy(rng.integers(0, 4096, 65536))
    S = t(4096, 256)
    p = t(1 << 20).requires_grad_()
    opt = ember.optim.Adam([p])
    p.grad = t(1 << 20)
    res.update({
        "matmul 256": bench(lambda: A @ B),
        "conv2d 32->32 28x28 k3": bench(lambda: F.conv2d(X4, W4, padding=1)),
        "max_pool2d 2x2": bench(lambda: F.max_pool2d(X4, 2)),
        "avg_pool2d 2x2": bench(lambda: F.avg_pool2d(X4, 2)),
        "layer_norm 512x1024": bench(lambda: F.layer_norm(R, (1024,))),
        "softmax 512x1024": bench(lambda: F.softmax(R, -1)),
        "cross_entropy 512x1024": bench(lambda: F.cross_entropy(R, L)),
        "sum dim0 512x1024": bench(lambda: R.sum(0)),
        "amax dim1 512x1024": bench(lambda: R.amax(1)),
        "var dim1 512x1024": bench(lambda: R.var(1)),
        "index_select 64K rows": bench(lambda: S.index_select(0, I[:4096])),
        "scatter_add 64K": bench(lambda: ember.zeros(4096).scatter_add(0, I, x[:65536])),
        "sort 4096x256 dim1": bench(lambda: S.sort(1)),
        "cumsum 16M": bench(lambda: x.cumsum(0), reps=9),
        "exp 16M": bench(lambda: x.exp(), reps=9),
        "adam step 1M": bench(lambda: opt.step()),
    })

print(json.dumps({"file": ember.__file__, "res": res}))
"""


def run(pythonpath):
    env = dict(os.environ)
    cmd = [sys.executable, "-c", CHILD]
    if pythonpath:
        # -S: skip site-packages' .pth files so an editable install's import hook
        # cannot shadow the base build; site-packages itself stays on the path.
        env["PYTHONPATH"] = os.pathsep.join([pythonpath] + site.getsitepackages())
        cmd.insert(1, "-S")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="folder holding the old build's ember package")
    ap.add_argument("--head", default=None, help="folder holding the new build (default: the installed ember)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--wide", action="store_true", help="also time nn, reduction, index, sort and optimizer cases")
    args = ap.parse_args()
    if args.wide:
        os.environ["EMBER_BENCH_WIDE"] = "1"
    runs = {"base": [], "head": []}
    for r in range(args.rounds):
        for name, path in (("base", args.base), ("head", args.head)) if r % 2 == 0 else (("head", args.head), ("base", args.base)):
            got = run(path)
            runs[name].append(got["res"])
            print(f"round {r} {name}: {got['file']}", file=sys.stderr, flush=True)
    print("| case | before (base) | after (head) | after / before |")
    print("|---|---:|---:|---:|")
    for case in runs["base"][0]:
        b = statistics.median(x[case] for x in runs["base"])
        h = statistics.median(x[case] for x in runs["head"])
        unit, f = ("us", 1e6) if b < 1e-3 else ("ms", 1e3)
        print(f"| {case} | {b * f:.3f} {unit} | {h * f:.3f} {unit} | {h / b:.3f} |")


if __name__ == "__main__":
    main()
