"""Keras fit overhead (issue 10): ``model.fit`` on the digits MLP vs the equivalent
hand-written ember training loop over the same batches.

Both run Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax) with Adam(1e-3), the
Keras cross-entropy of clipped probabilities, batch 32, the same per-epoch permutations
(np.random seeded alike) gathered with index_select, and both track the running loss and
accuracy each batch (loss.item(), argmax == y). fit runs with verbose=0 (and verbose=2 as
a second row). Writes the "keras" section of benchmarks/RESULTS.md.
Run: python benchmarks/bench_keras.py [--epochs 5] [--repeats 3] [--no-write]
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ember  # noqa: E402
from ember import keras  # noqa: E402
from ember.datasets import Digits  # noqa: E402
from ember.nn import functional as F  # noqa: E402


def _data():
    tr = Digits(train=True)
    return tr._images.reshape(-1, 64).copy(), tr._labels.copy()


def keras_model():
    ember.manual_seed(0)
    m = keras.Sequential([keras.layers.Dense(128, activation="relu", input_shape=(64,)), keras.layers.Dropout(0.2),
                          keras.layers.Dense(10, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def run_fit(x, y, epochs, verbose=0):
    m = keras_model()
    np.random.seed(0)
    t = time.perf_counter()
    m.fit(x, y, batch_size=32, epochs=epochs, verbose=verbose)
    return time.perf_counter() - t


def run_hand(x, y, epochs):
    ember.manual_seed(0)
    net = ember.nn.Sequential(ember.nn.Linear(64, 128), ember.nn.ReLU(), ember.nn.Dropout(0.2),
                              ember.nn.Linear(128, 10))
    opt = ember.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    X, Y = ember.from_numpy(x), ember.from_numpy(y)
    np.random.seed(0)
    t = time.perf_counter()
    net.train()
    for _ in range(epochs):
        perm = np.random.permutation(len(x)).astype(np.int64)
        total = correct = seen = 0.0
        for i in range(0, len(x), 32):
            idx = ember.from_numpy(perm[i:i + 32])
            xb, yb = ember.index_select(X, 0, idx), ember.index_select(Y, 0, idx)
            p = F.softmax(net(xb), dim=-1)
            loss = F.nll_loss(p.clamp(1e-7, 1 - 1e-7).log(), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with ember.no_grad():
                total += loss.item() * len(idx)
                correct += float((p.argmax(-1) == yb).float().sum().item())
                seen += len(idx)
    return time.perf_counter() - t


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    x, y = _data()
    run_fit(x, y, 1), run_hand(x, y, 1)  # warm up
    fit_t, fit2_t, hand_t = [], [], []
    for _ in range(args.repeats):  # alternate, so load changes hit both alike
        hand_t.append(run_hand(x, y, args.epochs))
        fit_t.append(run_fit(x, y, args.epochs))
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            fit2_t.append(run_fit(x, y, args.epochs, verbose=2))
    h, f, f2 = statistics.median(hand_t), statistics.median(fit_t), statistics.median(fit2_t)
    steps = args.epochs * -(-len(x) // 32)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    text = "\n".join([
        f"- date: {now}",
        f"- CPU: {_cpu()}, {os.cpu_count()} CPUs; ember threads: {ember.get_num_threads()}",
        f"- digits MLP (64-128-10, dropout 0.2), Adam, batch 32, {len(x)} samples, {args.epochs} epochs "
        f"({steps} steps); median of {args.repeats} runs, fit and the hand loop alternating",
        "- hand loop: ember.nn.Sequential, the same permutations, index_select batches, clipped-probability "
        "cross-entropy, loss.item() and accuracy per batch (what fit tracks)",
        f"- load average at the end: {load:.1f} (shared machine: compare several runs)",
        "",
        "| case | time | per step | ratio vs hand loop |",
        "|---|---:|---:|---:|",
        f"| hand-written ember loop | {h * 1e3:.1f} ms | {h / steps * 1e6:.0f} us | 1.00x |",
        f"| keras fit, verbose=0 | {f * 1e3:.1f} ms | {f / steps * 1e6:.0f} us | {f / h:.2f}x |",
        f"| keras fit, verbose=2 | {f2 * 1e3:.1f} ms | {f2 / steps * 1e6:.0f} us | {f2 / h:.2f}x |",
    ]) + "\n"
    print(text)
    if not args.no_write:
        from bench_core import write_section
        write_section(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"), "keras", text,
                      title="Keras fit overhead (issue 10)")


if __name__ == "__main__":
    main()
