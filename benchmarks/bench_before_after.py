#!/usr/bin/env python3
"""Times two builds of ember against each other in one run: a change's cost.

    python benchmarks/bench_before_after.py --base /tmp/ember_base [--rounds 5]

--base is a folder holding an ``ember`` package (python/ember of the old commit
with its built ``_C*.so`` copied in). Each round starts one child process per
build, alternating, so load on a shared machine hits both alike; the table gives
each case's median over the rounds and the ratio head / base. Cases: the per-call
overhead of a 1-element add (plain, in place, and with a backward), and add/sum
over 16M float32 (bench_core's cases).
"""
import argparse
import json
import os
import site
import statistics
import subprocess
import sys

CHILD = r"""
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
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    runs = {"base": [], "head": []}
    for r in range(args.rounds):
        for name, path in (("base", args.base), ("head", None)) if r % 2 == 0 else (("head", None), ("base", args.base)):
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
