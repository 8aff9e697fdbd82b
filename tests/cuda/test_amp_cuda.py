"""ember.autocast('cuda') and ember.amp.GradScaler('cuda') on a GPU: output dtypes of
the CUDA op lists, values and gradients against the CPU (float32 reference) and against
torch CUDA when available, the GradScaler loop against the CPU scaler step by step, and
the CUDA kernels of _amp_foreach_non_finite_check_and_unscale_ / _amp_update_scale_
against their CPU twins (many tensors, multi-launch tables, unaligned and strided
grads, non-finite values in every position).

Skips as a whole without a usable GPU (or on a build without CUDA)."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import _C

pytestmark = pytest.mark.cuda
if not ember.cuda.is_available():
    pytest.skip(f"no CUDA GPU: {_C.cuda.unavailable_reason()}", allow_module_level=True)

try:
    import torch

    HAVE_TORCH_CUDA = torch.cuda.is_available()
except ImportError:  # pragma: no cover
    torch = None
    HAVE_TORCH_CUDA = False

rng = np.random.default_rng(0)
DEV = "cuda"


def _arr(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def host(t):
    return t.detach().cpu().float().numpy()


def _cu(a, grad=False):
    t = ember.tensor(a, device=DEV)
    return t.requires_grad_() if grad else t


# ---------------------------------------------------------------------- op lists on CUDA
H, Fl = ember.float16, ember.float32
CASES = {
    "linear": (lambda X, W, B: F.linear(X, W, B), H),
    "matmul": (lambda X, W, B: X @ W.T, H),
    "bmm": (lambda X, W, B: ember.bmm(X[None], W.T[None]), H),
    "addmm": (lambda X, W, B: ember.addmm(B, X, W.T), H),
    "conv1d": (lambda X, W, B: F.conv1d(X[None], W[:, :4, None].expand(3, 4, 2).contiguous()), H),
    "sdpa": (lambda X, W, B: F.scaled_dot_product_attention(X[None], X[None], X[None]), H),
    "softmax": (lambda X, W, B: F.softmax(F.linear(X, W, B), -1), Fl),
    "log_softmax": (lambda X, W, B: F.log_softmax(F.linear(X, W, B), -1), Fl),
    "sum": (lambda X, W, B: F.linear(X, W, B).sum(), Fl),
    "exp": (lambda X, W, B: F.linear(X, W, B).exp(), Fl),
    "pow": (lambda X, W, B: F.linear(X, W, B) ** 2, Fl),
    "layer_norm": (lambda X, W, B: F.layer_norm(F.linear(X, W, B), (3,)), Fl),
    "mse_loss": (lambda X, W, B: F.mse_loss(F.linear(X, W, B), B.expand(4, 3)), Fl),
    "cross_entropy": (lambda X, W, B: F.cross_entropy(F.linear(X, W, B), ember.tensor([0, 1, 2, 1], device=DEV)),
                      Fl),
    "relu": (lambda X, W, B: F.relu(F.linear(X, W, B)), H),
    "gelu": (lambda X, W, B: F.gelu(F.linear(X, W, B)), H),
    "addcmul": (lambda X, W, B: ember.addcmul(F.linear(X, W, B), B, B), Fl),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_autocast_dtypes_values_and_grads(name):
    fn, expected = CASES[name]
    arrays = [_arr(4, 8), _arr(3, 8), _arr(3)]
    args = [_cu(a, grad=True) for a in arrays]
    with ember.autocast("cuda"):
        out = fn(*args)
    assert out.dtype == expected, f"{name}: {out.dtype}"
    out.float().sum().backward()
    # Reference: the same function in float32 on the CPU, no autocast.
    ref_args = [ember.tensor(a).requires_grad_() for a in arrays]
    ref = fn(*[a for a in ref_args]) if name != "cross_entropy" else F.cross_entropy(
        F.linear(*ref_args), ember.tensor([0, 1, 2, 1]))
    ref.float().sum().backward()
    np.testing.assert_allclose(host(out), host(ref), rtol=3e-2, atol=3e-2)
    for a, r in zip(args, ref_args):
        assert (a.grad is None) == (r.grad is None)
        if a.grad is not None:
            assert a.grad.dtype == ember.float32
            np.testing.assert_allclose(host(a.grad), host(r.grad), rtol=5e-2, atol=5e-2)


def test_cuda_autocast_bfloat16_and_device_separation():
    x, w = _cu(_arr(4, 8)), _cu(_arr(3, 8))
    with ember.autocast("cuda", dtype=ember.bfloat16):
        assert F.linear(x, w).dtype == ember.bfloat16
    with ember.autocast("cpu"):  # CPU autocast leaves CUDA tensors alone
        assert F.linear(x, w).dtype == ember.float32
    with ember.autocast("cuda"):  # and CUDA autocast CPU tensors
        assert F.linear(x.cpu(), w.cpu()).dtype == ember.float32
        assert F.linear(x, w).dtype == ember.float16


def test_cuda_bce_is_banned():
    p = _cu(_arr(4, 3)).sigmoid()
    with ember.autocast("cuda"):
        with pytest.raises(RuntimeError, match="unsafe to autocast"):
            F.binary_cross_entropy(p, p)


@pytest.mark.skipif(not HAVE_TORCH_CUDA, reason="torch without CUDA")
def test_cuda_autocast_matches_torch_cuda():
    arrays = [_arr(6, 8), _arr(5, 8), _arr(5)]
    y = np.array([0, 1, 2, 3, 4, 0])
    res = {}
    for mod, Fm in ((torch, torch.nn.functional), (ember, F)):
        x, w, b = (mod.tensor(a, device="cuda").requires_grad_() for a in arrays)
        with mod.autocast("cuda"):
            logits = Fm.linear(Fm.relu(x), w, b)
            loss = Fm.cross_entropy(logits, mod.tensor(y, device="cuda"))
        loss.backward()
        res[mod] = (str(logits.dtype).split(".")[-1], str(loss.dtype).split(".")[-1], loss.item(),
                    [g.grad.detach().cpu().float().numpy() for g in (x, w, b)])
    assert res[ember][:2] == res[torch][:2]
    assert abs(res[ember][2] - res[torch][2]) < 1e-2
    for a, b in zip(res[ember][3], res[torch][3]):
        np.testing.assert_allclose(a, b, rtol=2e-2, atol=2e-2)


# ---------------------------------------------------------------------- GradScaler on CUDA
def _train(device, steps, bad_steps, growth_interval):
    g = np.random.default_rng(1)
    w = ember.tensor(g.standard_normal((3, 5)).astype(np.float32), device=device).requires_grad_()
    b = ember.zeros(3, device=device).requires_grad_()
    opt = ember.optim.SGD([w, b], lr=0.1, momentum=0.9)
    scaler = ember.amp.GradScaler(device, init_scale=2.0**10, growth_interval=growth_interval)
    log = []
    for step in range(steps):
        x = ember.tensor(g.standard_normal((4, 5)).astype(np.float32), device=device)
        y = ember.tensor(g.standard_normal((4, 3)).astype(np.float32), device=device)
        opt.zero_grad()
        loss = F.mse_loss(F.linear(x, w, b), y)  # float32: the same math on both devices
        scaler.scale(loss).backward()
        if step in bad_steps:
            with ember.no_grad():
                w.grad[0, 0] = float("inf") if step % 2 else float("nan")
        scaler.step(opt)
        scaler.update()
        log.append((scaler.get_scale(), scaler._get_growth_tracker(), host(w), host(b)))
    return log


@pytest.mark.parametrize("growth_interval", [1, 3])
def test_cuda_gradscaler_matches_cpu(growth_interval):
    bad = {2, 3, 7}
    lc = _train("cpu", 10, bad, growth_interval)
    lg = _train(DEV, 10, bad, growth_interval)
    for step, (c, g) in enumerate(zip(lc, lg)):
        assert g[0] == c[0] and g[1] == c[1], f"step {step}: {g[:2]} vs cpu {c[:2]}"
        np.testing.assert_allclose(g[2], c[2], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(g[3], c[3], rtol=1e-4, atol=1e-5)


def test_cuda_gradscaler_state_on_device():
    s = ember.amp.GradScaler("cuda", init_scale=64.0)
    w = _cu(_arr(4), grad=True)
    out = s.scale((w * w).sum())
    assert out.is_cuda and s._scale.is_cuda and s._growth_tracker.dtype == ember.int32
    sd = s.state_dict()
    assert sd["scale"] == 64.0 and sd["_growth_tracker"] == 0


# ---------------------------------------------------------------------- kernels vs their CPU twins
def _unscale(grads, inv, found=None):
    fi = ember.zeros((), device=grads[0].device if grads else "cpu") if found is None else found
    _C._amp_foreach_non_finite_check_and_unscale_([g._a for g in grads], fi._a,
                                                  ember.full((), inv, device=fi.device)._a)
    return fi


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.float16, ember.bfloat16])
def test_unscale_kernel_cuda_vs_cpu(dtype):
    # 60 tensors (more than one table's 48) of odd sizes, one over 320 chunks of 65536
    # (more than one launch's blocks), some views starting at an odd element (unaligned).
    sizes = [int(s) for s in rng.integers(1, 5000, 58)] + [320 * 65536 + 7, 131073]
    base = [_arr(n + 1) for n in sizes]
    cpu = [ember.tensor(a).to(dtype)[1:] for a in base]  # offset 1: unaligned data pointers
    gpu = [ember.tensor(a, device=DEV).to(dtype)[1:] for a in base]
    for inv in (0.25, 1.0, 1.0 / 3.0):
        fc, fg = _unscale(cpu, inv), _unscale(gpu, inv)
        assert fc.item() == fg.item() == 0.0
        for c, g in zip(cpu, gpu):
            np.testing.assert_array_equal(host(g), host(c))


def test_unscale_kernel_cuda_nonfinite_positions():
    n = 3 * 65536 + 5
    for pos in (0, 1, 65535, 65536, 2 * 65536 + 3, n - 1):
        for bad in (float("inf"), float("-inf"), float("nan")):
            a = np.ones(n, np.float32)
            a[pos] = bad
            g = ember.tensor(a, device=DEV)
            fi = _unscale([ember.ones(17, device=DEV), g], 0.5)
            assert fi.item() == 1.0, (pos, bad)
            got = host(g)
            assert got[(pos + 1) % n] == 0.5
    # found_inf is never cleared
    fi = ember.ones((), device=DEV)
    _unscale([ember.ones(5, device=DEV)], 1.0, fi)
    assert fi.item() == 1.0
    _unscale([ember.ones(1, device=DEV)], 1.0, fi)  # one element, and an empty list next
    _C._amp_foreach_non_finite_check_and_unscale_([], fi._a, ember.ones((), device=DEV)._a)


def test_unscale_kernel_cuda_strided_and_transposed():
    a = _arr(64, 33)
    gc, gg = ember.tensor(a), ember.tensor(a, device=DEV)
    vc, vg = gc[:, ::3], gg[:, ::3]  # strided (through a copy)
    tc, tg = ember.tensor(a).t(), ember.tensor(a, device=DEV).t()  # dense, transposed (in place)
    _unscale([vc, tc], 0.5)
    _unscale([vg, tg], 0.5)
    np.testing.assert_array_equal(host(gg), host(gc))
    np.testing.assert_array_equal(host(tg), host(tc))


def test_update_scale_kernel_cuda_vs_cpu():
    g = np.random.default_rng(5)
    for interval in (1, 3):
        sc, tc = ember.full((), 2.0**120), ember.zeros((), dtype=ember.int32)
        sg, tg = ember.full((), 2.0**120, device=DEV), ember.zeros((), dtype=ember.int32, device=DEV)
        for _ in range(60):
            found = float(g.random() < 0.25)
            _C._amp_update_scale_(sc._a, tc._a, ember.tensor(found)._a, 2.0, 0.5, interval)
            _C._amp_update_scale_(sg._a, tg._a, ember.tensor(found, device=DEV)._a, 2.0, 0.5, interval)
            assert (sg.item(), tg.item()) == (sc.item(), tc.item())


def test_mixed_devices_raise():
    fi = ember.zeros((), device=DEV)
    with pytest.raises(RuntimeError, match="expected all tensors on the same device, got cuda:0 and cpu"):
        _C._amp_foreach_non_finite_check_and_unscale_([ember.ones(3)._a], fi._a,
                                                      ember.ones((), device=DEV)._a)
    with pytest.raises(RuntimeError, match="same device"):
        _C._amp_foreach_non_finite_check_and_unscale_([ember.ones(3, device=DEV)._a], fi._a, ember.ones(())._a)
    with pytest.raises(RuntimeError, match="same device"):
        _C._amp_update_scale_(ember.ones((), device=DEV)._a, ember.zeros((), dtype=ember.int32)._a, fi._a,
                              2.0, 0.5, 1)
