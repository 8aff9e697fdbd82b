#!/usr/bin/env python3
"""ember's CUDA backend vs PyTorch CUDA, in one process, for an unattended GPU session.

Times are medians of CUDA-event-timed runs (ember.cuda.Event / torch.cuda.Event on
each library's current stream), after warm-up. Cases:
  * device-to-device copy of 256M float32 (GB/s, read + write);
  * add and a row sum over 256M float32, as % of that copy bandwidth;
  * matmul 4096^3 in bfloat16 and float32 with TF32 on and off (TFLOP/s; torch's
    allow_tf32 set the same way as ember's); bfloat16 again on each GEMM path
    (EMBER_CUDA_GEMM=mma, the mma.sync tile GEMM, and =wgmma_strict, the Hopper path);
  * conv2d N=64 128->128 28x28 k3 forward + backward;
  * LayerNorm and softmax forward + backward on 8192 x 4096 float32;
  * the LeNet and MLP examples trained for a few epochs on device='cuda': accuracy
    vs the same run on the CPU, and the allocator's cudaMalloc count after the
    first step vs at the end (it must stay flat).
Each case runs in try/except (a failure prints and the rest go on); the results are
printed as a markdown table. Without a GPU it says why and exits 0.
Run: python benchmarks/bench_gpu.py [--quick]
"""
import gc
import os
import statistics
import sys
import time
import traceback

import numpy as np

import ember

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = []  # (case, ember, torch, ratio/notes)


def row(case, ember_val, torch_val, note=""):
    ROWS.append((case, ember_val, torch_val, note))
    print(f"  {case}: ember {ember_val} | torch {torch_val} | {note}", flush=True)


def time_ms(fn, event_cls, reps, warmup=2):
    """Median milliseconds of fn() between two events on the current stream."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        s, e = event_cls(enable_timing=True), event_cls(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e))
    return statistics.median(ts)


def free_all(torch):
    gc.collect()
    ember.cuda.synchronize()
    ember.cuda.empty_cache()
    if torch is not None:
        torch.cuda.synchronize()
        torch.cuda.empty_cache()


def fmt(v, unit):
    return "n/a" if v is None else f"{v:.1f} {unit}"


# ---------------------------------------------------------------- cases


def case_bandwidth(torch, reps):
    n = 256 << 20  # 256M float32 = 1 GiB
    nb = 4 * n
    ex = ember.empty(n, device="cuda").fill_(1.0)
    ey = ember.empty(n, device="cuda")
    e_copy = time_ms(lambda: ey.copy_(ex), ember.cuda.Event, reps)
    e_bw = 2 * nb / e_copy / 1e6  # GB/s
    t_bw = None
    if torch is not None:
        tx = torch.ones(n, device="cuda")
        ty = torch.empty(n, device="cuda")
        t_copy = time_ms(lambda: ty.copy_(tx), torch.cuda.Event, reps)
        t_bw = 2 * nb / t_copy / 1e6
    row("copy 256M f32 (GB/s)", fmt(e_bw, "GB/s"), fmt(t_bw, "GB/s"),
        f"ember/torch {e_bw / t_bw:.2f}" if t_bw else "")
    del ey
    # add: 2 reads + 1 write
    eb = ember.empty(n, device="cuda").fill_(2.0)
    e_add = time_ms(lambda: ex + eb, ember.cuda.Event, reps)
    e_add_bw = 3 * nb / e_add / 1e6
    t_add_bw = None
    if torch is not None:
        del ty
        tb = torch.full((n,), 2.0, device="cuda")
        t_add = time_ms(lambda: tx + tb, torch.cuda.Event, reps)
        t_add_bw = 3 * nb / t_add / 1e6
        del tb
    row("add 256M f32 (% of copy BW)", f"{100 * e_add_bw / e_bw:.0f}% ({e_add_bw:.0f} GB/s)",
        f"{100 * t_add_bw / t_bw:.0f}% ({t_add_bw:.0f} GB/s)" if t_add_bw else "n/a",
        f"time ember/torch {t_add_bw and e_add_bw and t_add_bw / e_add_bw:.2f}" if t_add_bw else "")
    del eb
    # row sum: 16384 rows of 16384
    ev = ex.view(16384, 16384)
    e_sum = time_ms(lambda: ev.sum(dim=1), ember.cuda.Event, reps)
    e_sum_bw = nb / e_sum / 1e6
    t_sum_bw = None
    if torch is not None:
        tv = tx.view(16384, 16384)
        t_sum = time_ms(lambda: tv.sum(dim=1), torch.cuda.Event, reps)
        t_sum_bw = nb / t_sum / 1e6
        np.testing.assert_allclose(ev.sum(dim=1)[:4].cpu().numpy(), tv.sum(dim=1)[:4].cpu().numpy(), rtol=1e-4)
        del tv, tx
    row("row sum 16384x16384 f32 (% of copy BW)", f"{100 * e_sum_bw / e_bw:.0f}% ({e_sum_bw:.0f} GB/s)",
        f"{100 * t_sum_bw / t_bw:.0f}% ({t_sum_bw:.0f} GB/s)" if t_sum_bw else "n/a", "")
    del ev, ex
    free_all(torch)


def case_matmul(torch, reps):
    n = 4096
    flops = 2 * n ** 3
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    for dtname, tf32 in (("bfloat16", None), ("float32", True), ("float32", False)):
        label = f"matmul 4096^3 {dtname}" + ("" if tf32 is None else f" tf32={'on' if tf32 else 'off'}")
        try:
            edt = getattr(ember, dtname)
            ea, eb = ember.tensor(a).cuda().to(edt), ember.tensor(b).cuda().to(edt)
            if tf32 is not None:
                ember.backends.cuda.matmul.allow_tf32 = tf32
            e_ms = time_ms(lambda: ea @ eb, ember.cuda.Event, reps)
            t_ms = None
            if torch is not None:
                tdt = getattr(torch, dtname)
                ta, tb = torch.tensor(a, device="cuda").to(tdt), torch.tensor(b, device="cuda").to(tdt)
                if tf32 is not None:
                    torch.backends.cuda.matmul.allow_tf32 = tf32
                t_ms = time_ms(lambda: ta @ tb, torch.cuda.Event, reps)
                ref = (ta[:64].float() @ tb.float()).cpu().numpy()
                got = (ea[:64] @ eb).float().cpu().numpy()
                err = float(np.abs(got - ref).max() / (np.abs(ref).max() + 1e-30))
                del ta, tb
            e_tf = flops / e_ms / 1e9
            t_tf = flops / t_ms / 1e9 if t_ms else None
            row(label + " (TFLOP/s)", fmt(e_tf, "TF/s"), fmt(t_tf, "TF/s"),
                (f"ember/torch {e_tf / t_tf:.2f}, max rel err {err:.1e}" if t_ms else ""))
            del ea, eb
        except Exception as exc:  # noqa: BLE001
            row(label, "FAILED", "", f"{type(exc).__name__}: {exc}"[:160])
        finally:
            ember.backends.cuda.matmul.allow_tf32 = False
            if torch is not None:
                torch.backends.cuda.matmul.allow_tf32 = False
    free_all(torch)


def case_matmul_paths(torch, reps):
    """4096^3 bfloat16 on the mma.sync path and on the Hopper wgmma path, vs torch."""
    n = 4096
    flops = 2 * n ** 3
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    ea, eb = ember.tensor(a).cuda().to(ember.bfloat16), ember.tensor(b).cuda().to(ember.bfloat16)
    t_tf = None
    if torch is not None:
        ta, tb = (torch.tensor(v, device="cuda").to(torch.bfloat16) for v in (a, b))
        t_tf = flops / time_ms(lambda: ta @ tb, torch.cuda.Event, reps) / 1e9
        del ta, tb
    old = os.environ.get("EMBER_CUDA_GEMM")
    try:
        for path in ("mma", "wgmma_strict"):
            try:
                os.environ["EMBER_CUDA_GEMM"] = path
                e_tf = flops / time_ms(lambda: ea @ eb, ember.cuda.Event, reps) / 1e9
                row(f"matmul 4096^3 bfloat16 EMBER_CUDA_GEMM={path} (TFLOP/s)", fmt(e_tf, "TF/s"), fmt(t_tf, "TF/s"),
                    f"ember/torch {e_tf / t_tf:.2f}" if t_tf else "")
            except Exception as exc:  # noqa: BLE001
                row(f"matmul 4096^3 bfloat16 EMBER_CUDA_GEMM={path}", "FAILED", "", f"{type(exc).__name__}: {exc}"[:200])
    finally:
        if old is None:
            os.environ.pop("EMBER_CUDA_GEMM", None)
        else:
            os.environ["EMBER_CUDA_GEMM"] = old
    del ea, eb
    free_all(torch)


def _fwd_bwd_ember(fn, x, params, gy):
    x.grad = None
    for p in params:
        p.grad = None
    y = fn()
    y.backward(gy)


def case_conv(torch, reps):
    import ember.nn.functional as F
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 128, 28, 28), dtype=np.float32)
    w = (rng.standard_normal((128, 128, 3, 3)) * 0.03).astype(np.float32)
    gy = rng.standard_normal((64, 128, 28, 28), dtype=np.float32)
    ex = ember.tensor(x).cuda().requires_grad_()
    ew = ember.tensor(w).cuda().requires_grad_()
    egy = ember.tensor(gy).cuda()
    e_ms = time_ms(lambda: _fwd_bwd_ember(lambda: F.conv2d(ex, ew, padding=1), ex, [ew], egy),
                   ember.cuda.Event, reps)
    t_ms = None
    note = ""
    if torch is not None:
        tx = torch.tensor(x, device="cuda", requires_grad=True)
        tw = torch.tensor(w, device="cuda", requires_grad=True)
        tgy = torch.tensor(gy, device="cuda")

        def tstep():
            tx.grad = None
            tw.grad = None
            torch.nn.functional.conv2d(tx, tw, padding=1).backward(tgy)

        t_ms = time_ms(tstep, torch.cuda.Event, reps)
        err = float((ew.grad.cpu() - ember.tensor(tw.grad.cpu().numpy())).abs().max().item())
        note = f"ember/torch time {e_ms / t_ms:.2f}, |dW diff| {err:.1e} (cudnn.allow_tf32 torch default)"
    row("conv2d 64x128x28x28 k3 fwd+bwd (ms)", fmt(e_ms, "ms"), fmt(t_ms, "ms"), note)
    free_all(torch)


def case_norm_softmax(torch, reps):
    import ember.nn.functional as F
    rng = np.random.default_rng(2)
    shape = (8192, 4096)
    x = rng.standard_normal(shape, dtype=np.float32)
    gy = rng.standard_normal(shape, dtype=np.float32)
    w = rng.standard_normal(shape[1:], dtype=np.float32)
    for name in ("layer_norm", "softmax"):
        try:
            ex = ember.tensor(x).cuda().requires_grad_()
            ew = ember.tensor(w).cuda().requires_grad_()
            eg = ember.tensor(gy).cuda()
            if name == "layer_norm":
                efn = lambda: F.layer_norm(ex, shape[1:], ew)  # noqa: E731
            else:
                efn = lambda: F.softmax(ex, dim=-1)  # noqa: E731
            e_ms = time_ms(lambda: _fwd_bwd_ember(efn, ex, [ew], eg), ember.cuda.Event, reps)
            t_ms = None
            note = ""
            if torch is not None:
                tx = torch.tensor(x, device="cuda", requires_grad=True)
                tw = torch.tensor(w, device="cuda", requires_grad=True)
                tg = torch.tensor(gy, device="cuda")
                if name == "layer_norm":
                    tfn = lambda: torch.nn.functional.layer_norm(tx, shape[1:], tw)  # noqa: E731
                else:
                    tfn = lambda: torch.softmax(tx, dim=-1)  # noqa: E731

                def tstep():
                    tx.grad = None
                    tw.grad = None
                    tfn().backward(tg)

                t_ms = time_ms(tstep, torch.cuda.Event, reps)
                err = float(np.abs(ex.grad.cpu().numpy() - tx.grad.cpu().numpy()).max())
                note = f"ember/torch time {e_ms / t_ms:.2f}, |dx diff| {err:.1e}"
                del tx, tw, tg
            row(f"{name} 8192x4096 f32 fwd+bwd (ms)", fmt(e_ms, "ms"), fmt(t_ms, "ms"), note)
            del ex, ew, eg
        except Exception as exc:  # noqa: BLE001
            row(f"{name} fwd+bwd", "FAILED", "", f"{type(exc).__name__}: {exc}"[:160])
    free_all(torch)


def _train(model_name, device, epochs):
    """Trains an example model on the digits; returns (accuracy, seconds, mallocs after step 1, at the end)."""
    sys.path.insert(0, os.path.join(HERE, "..", "examples"))
    import ember.nn as nn
    import ember.nn.functional as F
    from ember.datasets import Digits

    ember.manual_seed(0)
    train, test = Digits(train=True), Digits(train=False)
    if model_name == "lenet":
        from lenet_digits import LeNet5
        model = LeNet5()
        shape = (-1, 1, 8, 8)
    else:
        from seed_simplenn import SimpleNN
        model = SimpleNN(64, 128, 10)
        shape = (-1, 64)
    x_tr = ember.tensor((train.data.numpy() / 16.0).astype(np.float32).reshape(shape))
    y_tr = ember.tensor(train.targets.numpy())
    x_te = ember.tensor((test.data.numpy() / 16.0).astype(np.float32).reshape(shape))
    y_te = test.targets.numpy()
    model = model.to(device)
    opt = ember.optim.Adam(model.parameters(), lr=2e-3)
    n = x_tr.shape[0]
    rng = np.random.default_rng(0)
    cuda = device != "cpu"
    mallocs_first = mallocs_end = None
    t0 = time.perf_counter()
    step = 0
    for _ in range(epochs):
        perm = rng.permutation(n)
        for i in range(0, n - 31, 32):
            idx = ember.tensor(perm[i:i + 32])
            xb, yb = x_tr[idx], y_tr[idx]
            if cuda:
                xb, yb = xb.pin_memory().to(device, non_blocking=True), yb.to(device)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if cuda and step == 1:
                ember.cuda.synchronize()
                mallocs_first = ember.cuda.memory_stats()["num_device_alloc"]
    if cuda:
        ember.cuda.synchronize()
        mallocs_end = ember.cuda.memory_stats()["num_device_alloc"]
    secs = time.perf_counter() - t0
    model.eval()
    with ember.no_grad():
        pred = model(x_te.to(device)).argmax(1).cpu().numpy()
    del nn
    return float((pred == y_te).mean()), secs, mallocs_first, mallocs_end


def case_examples(torch, epochs):
    for name in ("lenet", "mlp"):
        try:
            acc_c, s_c, _, _ = _train(name, "cpu", epochs)
            acc_g, s_g, m1, m2 = _train(name, "cuda", epochs)
            flat = "flat" if m1 == m2 else f"GREW {m1} -> {m2}"
            row(f"{name} {epochs} epochs: accuracy cuda vs cpu", f"{acc_g * 100:.1f}% ({s_g:.1f} s)",
                f"cpu {acc_c * 100:.1f}% ({s_c:.1f} s)", f"cudaMalloc count after step 1: {m1}, end: {m2} ({flat})")
        except Exception as exc:  # noqa: BLE001
            row(f"{name} training", "FAILED", "", f"{type(exc).__name__}: {exc}"[:160])
            traceback.print_exc()


def main():
    quick = "--quick" in sys.argv
    reps = 5 if quick else 20
    if not ember.cuda.is_available():
        print(f"no GPU: {ember.cuda._unavailable_reason()}")
        return 0
    try:
        import torch
        if not torch.cuda.is_available():
            print("PyTorch has no CUDA: ember only")
            torch = None
    except ImportError:
        print("PyTorch is not installed: ember only")
        torch = None
    print(f"GPU: {ember.cuda.get_device_name(0)}; torch {torch.__version__ if torch else '-'}", flush=True)
    t0 = time.perf_counter()
    # The wgmma path runs last: if its first run hangs, the timeout costs no other case.
    for name, fn, arg in [("bandwidth", case_bandwidth, reps), ("matmul", case_matmul, reps),
                          ("conv2d", case_conv, reps), ("norm/softmax", case_norm_softmax, reps),
                          ("examples", case_examples, 2 if quick else 3),
                          ("matmul paths", case_matmul_paths, reps)]:
        print(f"== {name}", flush=True)
        try:
            fn(torch, arg)
        except Exception as exc:  # noqa: BLE001
            row(name, "FAILED", "", f"{type(exc).__name__}: {exc}"[:200])
            traceback.print_exc()
        free_all(torch)
    st = ember.cuda.memory_stats()
    print(f"\nember allocator: peak allocated {st['allocated_bytes.all.peak'] / 2**30:.2f} GiB, peak reserved "
          f"{st['reserved_bytes.all.peak'] / 2**30:.2f} GiB, cudaMalloc calls {st['num_device_alloc']}, "
          f"retries {st['num_alloc_retries']}, OOMs {st['num_ooms']}; total {time.perf_counter() - t0:.0f} s\n")
    print("| case | ember | torch | notes |")
    print("|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(str(c) for c in r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
