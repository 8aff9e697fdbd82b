"""ember.autocast and ember.amp.GradScaler against torch.autocast('cpu') and
torch.amp.GradScaler('cpu'): output dtypes, values and gradients of the same code,
region nesting and thread isolation, the weight-cast cache, the CUDA op lists (run on
CPU tensors by remapping the device), the GradScaler loop step by step, and the two
C++ kernels (_amp_foreach_non_finite_check_and_unscale_, _amp_update_scale_)."""
import pickle
import threading
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember import _C
from ember.amp import autocast_mode as _am

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)


def _arr(*shape, pos=False):
    a = rng.standard_normal(shape).astype(np.float32)
    return np.abs(a) + 0.1 if pos else a


def _name(dt):
    return str(dt).split(".")[-1]


def _np(t):
    return t.detach().float().numpy()


# ---------------------------------------------------------------------- op dtypes/values vs torch
# name -> (fn(mod, F, *inputs), input shapes); the same code runs on torch and ember.
def _tgt(mod):
    return mod.tensor([0, 1, 2, 1])


CASES = {
    "linear": (lambda m, F, X, W, B: F.linear(X, W, B), [(4, 8), (3, 8), (3,)]),
    "linear_nobias": (lambda m, F, X, W, B: F.linear(X, W), [(4, 8), (3, 8), (3,)]),
    "matmul": (lambda m, F, X, W, B: X @ W.T, [(4, 8), (3, 8), (3,)]),
    "matmul_method": (lambda m, F, X, W, B: X.matmul(W.T), [(4, 8), (3, 8), (3,)]),
    "mm": (lambda m, F, X, W, B: m.mm(X, W.T), [(4, 8), (3, 8), (3,)]),
    "bmm": (lambda m, F, X, W, B: m.bmm(X[None], W.T[None]), [(4, 8), (3, 8), (3,)]),
    "addmm": (lambda m, F, X, W, B: m.addmm(B, X, W.T), [(4, 8), (3, 8), (3,)]),
    "baddbmm": (lambda m, F, X, W, B: m.baddbmm(B, X[None], W.T[None]), [(4, 8), (3, 8), (3,)]),
    "mv_not_cast": (lambda m, F, X, W, B: m.mv(X, W[0]), [(4, 8), (3, 8), (3,)]),
    "dot_not_cast": (lambda m, F, X, W, B: m.dot(X[0], W[0]), [(4, 8), (3, 8), (3,)]),
    "conv1d": (lambda m, F, X, W, B: F.conv1d(X, W, B, padding=1), [(2, 4, 9), (3, 4, 3), (3,)]),
    "conv2d": (lambda m, F, X, W, B: F.conv2d(X, W, B, stride=2), [(2, 2, 7, 7), (3, 2, 3, 3), (3,)]),
    "conv_transpose2d": (lambda m, F, X, W, B: F.conv_transpose2d(X, W, B), [(1, 2, 4, 4), (2, 3, 3, 3), (3,)]),
    "prelu": (lambda m, F, X, W, B: F.prelu(X, B[:1]), [(4, 8), (3, 8), (3,)]),
    "sdpa": (lambda m, F, X, W, B: F.scaled_dot_product_attention(X[None], X[None], X[None], is_causal=True),
             [(4, 8), (3, 8), (3,)]),
    "softmax": (lambda m, F, X, W, B: F.softmax(F.linear(X, W, B), -1), [(4, 8), (3, 8), (3,)]),
    "log_softmax_f32": (lambda m, F, X, W, B: F.log_softmax(X, 1), [(4, 8), (3, 8), (3,)]),
    "exp_f32": (lambda m, F, X, W, B: X.exp() * W.sum(), [(4, 8), (3, 8), (3,)]),
    "exp_of_lower": (lambda m, F, X, W, B: F.linear(X, W, B).exp(), [(4, 8), (3, 8), (3,)]),
    "sum_of_lower": (lambda m, F, X, W, B: F.linear(X, W, B).sum(1), [(4, 8), (3, 8), (3,)]),
    "prod": (lambda m, F, X, W, B: (F.linear(X, W, B) * 0.1 + 1).prod(), [(4, 8), (3, 8), (3,)]),
    "mse_loss": (lambda m, F, X, W, B: F.mse_loss(F.linear(X, W, B), B.expand(4, 3)), [(4, 8), (3, 8), (3,)]),
    "l1_loss": (lambda m, F, X, W, B: F.l1_loss(F.linear(X, W, B), B.expand(4, 3)), [(4, 8), (3, 8), (3,)]),
    "smooth_l1_loss": (lambda m, F, X, W, B: F.smooth_l1_loss(F.linear(X, W, B), B.expand(4, 3)),
                       [(4, 8), (3, 8), (3,)]),
    "huber_loss": (lambda m, F, X, W, B: F.huber_loss(F.linear(X, W, B), B.expand(4, 3)), [(4, 8), (3, 8), (3,)]),
    "cross_entropy": (lambda m, F, X, W, B: F.cross_entropy(F.linear(X, W, B), _tgt(m)), [(4, 8), (3, 8), (3,)]),
    "cross_entropy_ls": (lambda m, F, X, W, B: F.cross_entropy(F.linear(X, W, B), _tgt(m), label_smoothing=0.1),
                         [(4, 8), (3, 8), (3,)]),
    "nll_loss": (lambda m, F, X, W, B: F.nll_loss(F.log_softmax(F.linear(X, W, B), 1), _tgt(m)),
                 [(4, 8), (3, 8), (3,)]),
    "bce": (lambda m, F, X, W, B: F.binary_cross_entropy(F.linear(X, W, B).sigmoid(), B.sigmoid().expand(4, 3)),
            [(4, 8), (3, 8), (3,)]),
    "bce_with_logits": (lambda m, F, X, W, B: F.binary_cross_entropy_with_logits(F.linear(X, W, B),
                                                                                  B.sigmoid().expand(4, 3)),
                        [(4, 8), (3, 8), (3,)]),
    "kl_div": (lambda m, F, X, W, B: F.kl_div(F.log_softmax(F.linear(X, W, B), 1), F.softmax(B, 0).expand(4, 3),
                                              reduction="batchmean"), [(4, 8), (3, 8), (3,)]),
    "cosine_embedding_loss": (lambda m, F, X, W, B: F.cosine_embedding_loss(F.linear(X, W, B), F.linear(X, W),
                                                                            X[:, 0].sign()), [(4, 8), (3, 8), (3,)]),
    "triplet_margin_loss": (lambda m, F, X, W, B: F.triplet_margin_loss(F.linear(X, W, B), X[:, :3], X[:, 3:6]),
                            [(4, 8), (3, 8), (3,)]),
    "margin_ranking_loss": (lambda m, F, X, W, B: F.margin_ranking_loss(F.linear(X, W, B)[:, 0], X[:, 0],
                                                                        X[:, 1].sign()), [(4, 8), (3, 8), (3,)]),
    "relu": (lambda m, F, X, W, B: F.relu(F.linear(X, W, B)), [(4, 8), (3, 8), (3,)]),
    "gelu": (lambda m, F, X, W, B: F.gelu(F.linear(X, W, B)), [(4, 8), (3, 8), (3,)]),
    "silu": (lambda m, F, X, W, B: F.silu(F.linear(X, W, B)), [(4, 8), (3, 8), (3,)]),
    "layer_norm": (lambda m, F, X, W, B: F.layer_norm(F.linear(X, W, B), (3,), B, B), [(4, 8), (3, 8), (3,)]),
    "residual_add": (lambda m, F, X, W, B: F.linear(X, W, B) + X[:, :3], [(4, 8), (3, 8), (3,)]),
    "cat_promotes": (lambda m, F, X, W, B: m.cat([F.linear(X, W, B), X[:, :3]], 0), [(4, 8), (3, 8), (3,)]),
    "pad_reflect": (lambda m, F, X, W, B: F.pad(F.linear(X, W, B)[None], (1, 1), mode="reflect"),
                    [(4, 8), (3, 8), (3,)]),
    "pad_constant": (lambda m, F, X, W, B: F.pad(F.linear(X, W, B), (1, 1)), [(4, 8), (3, 8), (3,)]),
    "cdist": (lambda m, F, X, W, B: m.cdist(F.linear(X, W, B), F.linear(X, W)), [(4, 8), (3, 8), (3,)]),
    "trace": (lambda m, F, X, W, B: m.trace(F.linear(X, W, B)), [(4, 8), (3, 8), (3,)]),
    "max_unpool2d": (lambda m, F, X, W, B: F.max_unpool2d(*F.max_pool2d(X, 2, return_indices=True), 2),
                     [(1, 2, 4, 4), (3, 8), (3,)]),
    "float64_untouched": (lambda m, F, X, W, B: F.linear(X.double(), W.double(), B.double()), [(4, 8), (3, 8), (3,)]),
}


def _run_case(mod, F, fn, arrays):
    args = [mod.tensor(a).requires_grad_() for a in arrays]
    with mod.autocast("cpu", dtype=mod.bfloat16):
        out = fn(mod, F, *args)
    out.float().sum().backward()
    grads = [None if a.grad is None else (_name(a.grad.dtype), _np(a.grad)) for a in args]
    return _name(out.dtype), _np(out), grads


@pytest.mark.parametrize("name", sorted(CASES))
def test_cpu_autocast_matches_torch(name):
    fn, shapes = CASES[name]
    arrays = [_arr(*s) for s in shapes]
    t_dt, t_val, t_grads = _run_case(torch, TF, fn, arrays)
    e_dt, e_val, e_grads = _run_case(ember, EF, fn, arrays)
    assert e_dt == t_dt, f"{name}: ember {e_dt}, torch {t_dt}"
    tol = 2e-2 if t_dt == "bfloat16" else 1e-2
    np.testing.assert_allclose(e_val, t_val, rtol=tol, atol=tol)
    for i, (tg, eg) in enumerate(zip(t_grads, e_grads)):
        assert (tg is None) == (eg is None), f"{name}: grad {i}"
        if tg is not None:
            assert eg[0] == tg[0] == "float32"  # float32 params get float32 grads
            np.testing.assert_allclose(eg[1], tg[1], rtol=3e-2, atol=3e-2)


def _mlp(mod, seed=0):
    g = np.random.default_rng(seed)
    ws = [g.standard_normal(s).astype(np.float32) * 0.3 for s in ((16, 8), (16,), (4, 16), (4,))]
    return [mod.tensor(w).requires_grad_() for w in ws]


def test_cpu_autocast_model_forward_backward_matches_torch():
    x = _arr(6, 8)
    y = np.array([0, 1, 2, 3, 1, 0])
    res = {}
    for mod, F in ((torch, TF), (ember, EF)):
        w1, b1, w2, b2 = _mlp(mod)
        with mod.autocast("cpu"):
            h = F.relu(F.linear(mod.tensor(x), w1, b1))
            logits = F.linear(h, w2, b2)
            loss = F.cross_entropy(logits, mod.tensor(y))
        assert logits.dtype == mod.bfloat16 and loss.dtype == mod.float32
        loss.backward()
        res[mod] = (loss.item(), [_np(p.grad) for p in (w1, b1, w2, b2)], [p.grad.dtype for p in (w1, b1, w2, b2)])
    assert abs(res[ember][0] - res[torch][0]) < 2e-2
    assert all(d == ember.float32 for d in res[ember][2])
    for a, b in zip(res[ember][1], res[torch][1]):
        np.testing.assert_allclose(a, b, rtol=5e-2, atol=5e-2)


def test_cpu_autocast_float16_dtype():
    x, w = ember.tensor(_arr(4, 8)), ember.tensor(_arr(3, 8))
    with ember.autocast("cpu", dtype=ember.float16):
        assert EF.linear(x, w).dtype == ember.float16
        assert EF.mse_loss(EF.linear(x, w), ember.zeros(4, 3)).dtype == ember.float32


def test_nn_modules_under_autocast():
    torch.manual_seed(0)
    lin_t = torch.nn.Linear(8, 3)
    lin_e = ember.nn.Linear(8, 3)
    lin_e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in lin_t.state_dict().items()})
    x = _arr(5, 8)
    with torch.autocast("cpu"):
        yt = lin_t(torch.tensor(x))
    with ember.autocast("cpu"):
        ye = lin_e(ember.tensor(x))
    assert ye.dtype == ember.bfloat16 and str(yt.dtype) == "torch.bfloat16"
    np.testing.assert_allclose(_np(ye), _np(yt), rtol=2e-2, atol=2e-2)
    assert lin_e.weight.dtype == ember.float32  # parameters are never changed in place


# ---------------------------------------------------------------------- region state
def test_state_nesting_and_enabled_false():
    assert not ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled()
    assert ember.get_autocast_dtype("cpu") == ember.bfloat16 and ember.get_autocast_dtype("cuda") == ember.float16
    x, w = ember.tensor(_arr(4, 8)), ember.tensor(_arr(3, 8))
    with ember.autocast("cpu"):
        assert ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled("cuda")
        assert EF.linear(x, w).dtype == ember.bfloat16
        with ember.autocast("cpu", enabled=False):
            assert not ember.is_autocast_enabled("cpu")
            assert EF.linear(x, w).dtype == ember.float32
            with ember.autocast("cpu", dtype=ember.float16):
                assert ember.get_autocast_dtype("cpu") == ember.float16
                assert EF.linear(x, w).dtype == ember.float16
            assert EF.linear(x, w).dtype == ember.float32
        assert ember.is_autocast_enabled("cpu") and ember.get_autocast_dtype("cpu") == ember.bfloat16
        assert EF.linear(x, w).dtype == ember.bfloat16
    assert not ember.is_autocast_enabled("cpu") and EF.linear(x, w).dtype == ember.float32
    assert _am._active[0] == 0


def test_region_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with ember.autocast("cpu"):
            1 / 0
    assert not ember.is_autocast_enabled("cpu") and _am._active[0] == 0 and not _am._tls.on


def test_decorator_and_aliases():
    x, w = ember.tensor(_arr(4, 8)), ember.tensor(_arr(3, 8))

    @ember.autocast("cpu")
    def f(a, b):
        return EF.linear(a, b)

    @ember.amp.autocast("cpu", enabled=False)
    def g(a, b):
        return EF.linear(a, b)

    assert f(x, w).dtype == ember.bfloat16 and f(x, w).dtype == ember.bfloat16
    assert g(x, w).dtype == ember.float32
    assert EF.linear(x, w).dtype == ember.float32
    with pytest.warns(FutureWarning):
        ctx = ember.cpu.amp.autocast()
    with ctx:
        assert EF.linear(x, w).dtype == ember.bfloat16
    with pytest.raises(TypeError, match="requires a callable"):
        ember.autocast("cpu")(3)


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        ember.autocast("tpu")
    with pytest.raises(ValueError, match="device_type"):
        ember.autocast(0)
    with pytest.raises(RuntimeError, match="unsupported"):
        ember.is_autocast_enabled("mps")
    with pytest.raises(TypeError, match="ember.dtype"):
        ember.autocast("cpu", dtype="float16")
    for dt in (ember.int32, ember.float32, ember.float64):  # torch: warn and disable
        with pytest.warns(UserWarning, match="not supported"):
            ctx = ember.autocast("cpu", dtype=dt)
        with ctx:
            assert not ember.is_autocast_enabled("cpu")
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            ctx = ember.autocast("cuda")
        with ctx:
            assert not ember.is_autocast_enabled("cuda")


def test_thread_isolation():
    x, w = ember.tensor(_arr(4, 8)), ember.tensor(_arr(3, 8))
    inside, release, seen = threading.Event(), threading.Event(), {}

    def worker():
        with ember.autocast("cpu"):
            seen["worker"] = EF.linear(x, w).dtype
            inside.set()
            release.wait(10)

    th = threading.Thread(target=worker)
    th.start()
    inside.wait(10)
    # The other thread's region leaves this one alone...
    assert not ember.is_autocast_enabled("cpu")
    assert EF.linear(x, w).dtype == ember.float32
    release.set()
    th.join()
    assert seen["worker"] == ember.bfloat16
    # ...and a new thread starts with autocast off even inside this thread's region.
    with ember.autocast("cpu"):
        out = {}
        t2 = threading.Thread(target=lambda: out.setdefault("d", (EF.linear(x, w).dtype,
                                                                     ember.is_autocast_enabled("cpu"))))
        t2.start()
        t2.join()
        assert out["d"] == (ember.float32, False)
    assert _am._active[0] == 0


def test_weight_cache():
    x = ember.tensor(_arr(4, 8))
    w = ember.tensor(_arr(3, 8)).requires_grad_()
    with ember.autocast("cpu"):
        y1 = EF.linear(x, w)
        assert len(_am._tls.cache) == 1
        y2 = EF.linear(x * 2, w)
        assert len(_am._tls.cache) == 1  # the same bfloat16 copy of w
        with ember.autocast("cpu", enabled=False):
            pass
        assert len(_am._tls.cache) == 1  # kept until the outermost region exits
        (y1.float().sum() + y2.float().sum()).backward()
    assert len(_am._tls.cache) == 0
    xs = x.numpy().astype(np.float64)
    expected = (xs + 2 * xs).sum(0)
    np.testing.assert_allclose(w.grad.numpy()[0], expected, rtol=2e-2, atol=2e-2)
    assert w.grad.dtype == ember.float32
    # Separate backward passes through one cached cast.
    w.grad = None
    with ember.autocast("cpu"):
        EF.linear(x, w).float().sum().backward()
        EF.linear(x, w).float().sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[0], 2 * xs.sum(0), rtol=2e-2, atol=2e-2)
    # Two graphs on one cached cast, each backward on its own (as torch allows).
    w.grad = None
    with ember.autocast("cpu"):
        l1 = EF.linear(x, w).float().sum()
        l2 = EF.linear(x, w).float().sum()
    l1.backward()
    l2.backward()
    np.testing.assert_allclose(w.grad.numpy()[0], 2 * xs.sum(0), rtol=2e-2, atol=2e-2)
    # cache_enabled=False, non-leaf and no-grad casts are not cached.
    with ember.autocast("cpu", cache_enabled=False):
        EF.linear(x, w)
        assert len(_am._tls.cache) == 0
    with ember.autocast("cpu"):
        EF.linear(x, w * 1.0)
        with ember.no_grad():
            EF.linear(x, w)
        assert len(_am._tls.cache) == 0


def test_custom_fwd_bwd():
    seen = {}

    class Mul(ember.autograd.Function):
        @staticmethod
        @ember.amp.custom_fwd(device_type="cpu", cast_inputs=ember.float32)
        def forward(ctx, a, b):
            seen["fwd"] = (a.dtype, b.dtype, ember.is_autocast_enabled("cpu"))
            ctx.save_for_backward(a, b)
            return a @ b

        @staticmethod
        @ember.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen["bwd"] = ember.is_autocast_enabled("cpu")
            a, b = ctx.saved_tensors
            return g @ b.T, a.T @ g

    a = ember.tensor(_arr(3, 4)).requires_grad_()
    b = ember.tensor(_arr(4, 2)).bfloat16()
    with ember.autocast("cpu"):
        out = Mul.apply(a, b)
    assert seen["fwd"] == (ember.float32, ember.float32, False)
    assert out.dtype == ember.float32
    out.sum().backward()
    assert seen["bwd"] is False and a.grad.dtype == ember.float32


def test_autocast_off_hot_path_flags():
    # Outside every region the ops see _active == 0 and never reach the thread-local.
    assert _am._active[0] == 0 and not _am._tls.on
    with ember.autocast("cpu"):
        assert _am._active[0] == 1 and _am._tls.on
        with ember.autocast("cpu", enabled=False):
            assert _am._active[0] == 0 and not _am._tls.on
    assert _am._active[0] == 0


# ---------------------------------------------------------------------- the CUDA lists, on CPU tensors
@pytest.fixture
def cuda_rules_on_cpu(monkeypatch):
    """CPU tensors take the CUDA rules (float16) for the duration of the test."""
    monkeypatch.setattr(_am, "_DEV_NAME", {0: "cuda", 1: "cuda"})
    ember.set_autocast_dtype("cuda", ember.float16)
    ember.set_autocast_enabled("cuda", True)
    yield
    ember.set_autocast_enabled("cuda", False)
    _am.clear_autocast_cache()


_H = ember.float16
_F = ember.float32

CUDA_CASES = {
    # lower precision
    "linear": (lambda X, W, B: EF.linear(X, W, B), _H),
    "matmul": (lambda X, W, B: X @ W.T, _H),
    "mv": (lambda X, W, B: ember.mv(X, W[0]), _H),
    "addmm": (lambda X, W, B: ember.addmm(B, X, W.T), _H),
    "addmv": (lambda X, W, B: ember.addmv(X[:, 0], X, W[0]), _H),
    "addr": (lambda X, W, B: ember.addr(X[:3, :3], B, B), _H),
    "baddbmm": (lambda X, W, B: ember.baddbmm(B, X[None], W.T[None]), _H),
    "sdpa": (lambda X, W, B: EF.scaled_dot_product_attention(X[None], X[None], X[None]), _H),
    "conv1d": (lambda X, W, B: EF.conv1d(X[None], W[:, :4, None].expand(3, 4, 2)), _H),
    "prelu": (lambda X, W, B: EF.prelu(X, B[:1]), _H),
    # float32
    "exp": (lambda X, W, B: X.exp(), _F),
    "log": (lambda X, W, B: ember.log(X.abs() + 1), _F),
    "rsqrt": (lambda X, W, B: (X.abs() + 1).rsqrt(), _F),
    "pow": (lambda X, W, B: X ** 2, _F),
    "rpow": (lambda X, W, B: 2 ** X, _F),
    "softplus": (lambda X, W, B: EF.softplus(X), _F),
    "layer_norm": (lambda X, W, B: EF.layer_norm(X, (8,)), _F),
    "group_norm": (lambda X, W, B: EF.group_norm(X[None, :, :, None], 2), _F),
    "rms_norm": (lambda X, W, B: EF.rms_norm(X, (8,)), _F),
    "norm": (lambda X, W, B: X.norm(), _F),
    "cosine_similarity": (lambda X, W, B: EF.cosine_similarity(X, X), _F),
    "mse_loss": (lambda X, W, B: EF.mse_loss(X, X * 0.5), _F),
    "cross_entropy": (lambda X, W, B: EF.cross_entropy(X, ember.tensor([0, 1, 2, 3])), _F),
    "bce_with_logits": (lambda X, W, B: EF.binary_cross_entropy_with_logits(X, X.sigmoid()), _F),
    "logsumexp": (lambda X, W, B: X.logsumexp(1), _F),
    "cdist": (lambda X, W, B: ember.cdist(X, X), _F),
    "interpolate": (lambda X, W, B: EF.interpolate(X[None], scale_factor=2), _F),
    # float32 unless a dtype is given
    "sum": (lambda X, W, B: X.sum(), _F),
    "sum_dtype": (lambda X, W, B: X.sum(dtype=ember.float16), _H),
    "softmax": (lambda X, W, B: EF.softmax(X, 1), _F),
    "softmax_method": (lambda X, W, B: X.softmax(1), _F),
    "softmax_dtype": (lambda X, W, B: EF.softmax(X, 1, dtype=ember.float16), _H),
    "log_softmax": (lambda X, W, B: EF.log_softmax(X, 1), _F),
    "cumsum": (lambda X, W, B: X.cumsum(0), _F),
    "prod": (lambda X, W, B: (X * 0.1 + 1).prod(1), _F),
    # promote
    "addcmul": (lambda X, W, B: ember.addcmul(X.half(), X, X.half()), _F),
    "addcmul_16": (lambda X, W, B: ember.addcmul(X.half(), X.half(), X.half()), _H),
    "addcmul_64": (lambda X, W, B: ember.addcmul(X.double(), X.half(), X), ember.float64),
    "atan2": (lambda X, W, B: ember.atan2(X.half(), X), _F),
    "dot": (lambda X, W, B: ember.dot(X[0].half(), W[0]), _F),
    # everything else: the input dtype, whatever it calls inside
    "relu": (lambda X, W, B: EF.relu(X.half()), _H),
    "elu": (lambda X, W, B: EF.elu(X.half()), _H),
    "mish": (lambda X, W, B: EF.mish(X.half()), _H),
    "logsigmoid": (lambda X, W, B: EF.logsigmoid(X.half()), _H),
    "add_promotes": (lambda X, W, B: X.half() + X, _F),
}


@pytest.mark.parametrize("name", sorted(CUDA_CASES))
def test_cuda_op_lists_on_cpu_tensors(cuda_rules_on_cpu, name):
    fn, expected = CUDA_CASES[name]
    X, W, B = ember.tensor(_arr(4, 8)), ember.tensor(_arr(3, 8)), ember.tensor(_arr(3))
    out = fn(X, W, B)
    assert out.dtype == expected, f"{name}: got {out.dtype}, expected {expected}"


def test_cuda_bce_is_banned(cuda_rules_on_cpu):
    p = ember.tensor(_arr(4, 3)).sigmoid()
    with pytest.raises(RuntimeError, match="unsafe to autocast"):
        EF.binary_cross_entropy(p, p)


def test_cuda_lists_match_aten_header():
    """Every ember op name in the CUDA tables sits in the same list of ATen's autocast_mode.h."""
    import os
    import re

    hdr = os.path.join(os.path.dirname(torch.__file__), "include", "ATen", "autocast_mode.h")
    if not os.path.exists(hdr):
        pytest.skip("torch's C++ headers are not installed")
    text = open(hdr).read()

    def names(macro):
        m = re.search(r"#define " + macro + r"\(_\)(.*?)\n\n", text, re.S)
        return set(re.findall(r"_\((?:ADD_NS\()?(\w+)", m.group(1))) if m else None

    lists = {"lower": names("AT_FORALL_LOWER_PRECISION_FP"), "fp32": names("AT_FORALL_FP32"),
             "opt": names("AT_FORALL_FP32_SET_OPT_DTYPE"), "promote": names("AT_FORALL_PROMOTE")}
    if any(v is None for v in lists.values()):
        pytest.skip("autocast_mode.h has another layout")
    lists["fp32"] |= names("AT_FORALL_DIFFERENT_REDISPATCH_SIGNATURE") or set()
    rule_of = {_am._lower: "lower", _am._fp32: "fp32", _am._fp32_opt_dtype: "opt", _am._promote: "promote"}
    # ember names that differ from ATen's (ember's composite or Python-level ops).
    aliases = {"vector_norm": "linalg_vector_norm", "matrix_norm": "linalg_matrix_norm", "interpolate":
               "upsample_nearest2d", "grid_sample": "grid_sampler", "softmin": "softmax"}
    ember_only = {"cross_entropy"}  # composite in torch (log_softmax + nll_loss): float32 there too
    for op, rule in _am._RULES["cuda"].items():
        if rule is _am._banned or op in ember_only:
            continue
        aten = aliases.get(op, op)
        kind = rule_of[rule]
        if kind == "fp32" and aten == "norm":
            continue  # fp32_append_dtype in ATen: float32 as well
        assert aten in lists[kind], f"{op} ({kind}) is not in ATen's {kind} list"


# ---------------------------------------------------------------------- GradScaler vs torch
def _train(mod, F, scaler_kw, steps, bad_steps, growth_interval):
    g = np.random.default_rng(1)
    w0 = g.standard_normal((3, 5)).astype(np.float32)
    w = mod.tensor(w0).requires_grad_()
    b = mod.tensor(np.zeros(3, np.float32)).requires_grad_()
    opt = mod.optim.SGD([w, b], lr=0.1, momentum=0.9)
    scaler = mod.amp.GradScaler("cpu", growth_interval=growth_interval, **scaler_kw)
    log = []
    for step in range(steps):
        x = mod.tensor(g.standard_normal((4, 5)).astype(np.float32))
        y = mod.tensor(g.standard_normal((4, 3)).astype(np.float32))
        opt.zero_grad()
        with mod.autocast("cpu"):
            loss = F.mse_loss(F.linear(x, w, b), y)
        scaler.scale(loss).backward()
        if step in bad_steps:
            with mod.no_grad():
                w.grad[0, 0] = float("inf") if step % 2 else float("nan")
        scaler.step(opt)
        scaler.update()
        log.append((scaler.get_scale(), scaler._get_growth_tracker(), w.detach().numpy().copy(),
                    b.detach().numpy().copy()))
    return log


@pytest.mark.parametrize("growth_interval", [1, 3, 2000])
def test_gradscaler_loop_matches_torch(growth_interval):
    bad = {2, 3, 7}
    lt = _train(torch, TF, {"init_scale": 2.0**10}, 12, bad, growth_interval)
    le = _train(ember, EF, {"init_scale": 2.0**10}, 12, bad, growth_interval)
    for step, (t, e) in enumerate(zip(lt, le)):
        assert e[0] == t[0], f"step {step}: scale {e[0]} vs torch {t[0]}"
        assert e[1] == t[1], f"step {step}: growth tracker {e[1]} vs torch {t[1]}"
        np.testing.assert_allclose(e[2], t[2], rtol=2e-3, atol=2e-3, err_msg=f"step {step}")
        np.testing.assert_allclose(e[3], t[3], rtol=2e-3, atol=2e-3, err_msg=f"step {step}")
    # the skipped steps left the weights alone
    for s in bad:
        if s > 0:
            np.testing.assert_array_equal(le[s][2], le[s - 1][2])


def test_gradscaler_growth_saturates_and_backoff():
    s = ember.amp.GradScaler("cpu", init_scale=2.0**127, growth_interval=1)
    w = ember.tensor([1.0]).requires_grad_()
    opt = ember.optim.SGD([w], lr=0.0)
    for _ in range(2):
        s.scale((w * 1.0).sum()).backward()
        s.step(opt)
        s.update()
    assert s.get_scale() == 2.0**127  # 2^128 is not finite in float32: kept


def test_gradscaler_unscale_and_errors():
    w = ember.tensor(_arr(3, 2)).requires_grad_()
    opt = ember.optim.SGD([w], lr=0.1)
    s = ember.amp.GradScaler("cpu", init_scale=4.0)
    with pytest.raises(AssertionError, match="_scale is None"):
        s.unscale_(opt)
    with pytest.raises(AssertionError, match="_scale is None"):
        s.update()
    loss = (w * w).sum()
    scaled = s.scale(loss)
    assert scaled.item() == pytest.approx(4.0 * loss.item(), rel=1e-6)
    scaled.backward()
    s.unscale_(opt)
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.detach().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this optimizer since the "
                                           r"last update\(\)\."):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step\(\)\."):
        s.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last update\(\)\."):
        s.step(opt)
    s.update()
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        s.step(opt, closure=lambda: 0)
    with pytest.raises(AssertionError, match="No inf checks were recorded prior to update"):
        s.update()
    with pytest.raises(AssertionError, match="growth factor"):
        ember.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match="backoff factor"):
        ember.amp.GradScaler("cpu", backoff_factor=1.0)
    with pytest.raises(ValueError, match="expected device"):
        ember.amp.GradScaler("tpu")
    with pytest.raises(ValueError, match="outputs must be a Tensor"):
        s.scale([w, 3])
    # fp16 grads cannot be unscaled
    h = ember.tensor(_arr(2)).half().requires_grad_()
    opt_h = ember.optim.SGD([h], lr=0.1)
    s2 = ember.amp.GradScaler("cpu")
    s2.scale(h.float().sum()).backward()
    assert h.grad.dtype == ember.float16
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        s2.unscale_(opt_h)


def test_gradscaler_scale_containers_and_new_scale():
    s = ember.amp.GradScaler("cpu", init_scale=8.0)
    a, b = ember.tensor([1.0]), ember.tensor([2.0])
    out = s.scale([a, (b, a)])
    assert isinstance(out, list) and isinstance(out[1], tuple)
    assert out[0].item() == 8.0 and out[1][0].item() == 16.0
    assert list(x.item() for x in s.scale(iter([a, b]))) == [8.0, 16.0]
    s.update(new_scale=2.0)
    assert s.get_scale() == 2.0
    s.update(new_scale=ember.tensor([32.0]))
    assert s.get_scale() == 32.0
    with pytest.raises(AssertionError, match="new_scale should be"):
        s.update(new_scale=ember.tensor([1.0, 2.0]))


def test_gradscaler_disabled_and_no_cuda():
    w = ember.tensor([1.0, -2.0]).requires_grad_()
    opt = ember.optim.SGD([w], lr=0.5)
    s = ember.amp.GradScaler("cpu", enabled=False)
    loss = (w * w).sum()
    assert s.scale(loss) is loss
    loss.backward()
    s.step(opt)
    s.update()
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])
    assert s.get_scale() == 1.0 and s.state_dict() == {} and not s.is_enabled()
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            sc = ember.amp.GradScaler()
        assert not sc.is_enabled()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert not ember.cuda.amp.GradScaler().is_enabled()
        assert {w.category for w in caught} == {FutureWarning, UserWarning}


def test_gradscaler_state_dict_round_trip_matches_torch():
    res = {}
    for mod in (torch, ember):
        s = mod.amp.GradScaler("cpu", init_scale=512.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=3)
        w = mod.tensor([1.0, 2.0]).requires_grad_()
        opt = mod.optim.SGD([w], lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            s.scale((w * w).sum()).backward()
            s.step(opt)
            s.update()
        res[mod] = s.state_dict()
    assert res[ember] == res[torch]
    s2 = ember.amp.GradScaler("cpu")
    s2.load_state_dict(res[ember])
    assert s2.state_dict() == res[ember]
    assert s2.get_growth_factor() == 4.0 and s2.get_backoff_factor() == 0.25 and s2.get_growth_interval() == 3
    s2.scale(ember.tensor(1.0))  # lazily made tensors take the loaded values
    assert s2.get_scale() == res[ember]["scale"] and s2._get_growth_tracker() == 2
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        s2.load_state_dict({})
    s3 = pickle.loads(pickle.dumps(s2))
    assert s3.state_dict() == res[ember]
    s2.set_growth_factor(3.0)
    s2.set_backoff_factor(0.5)
    s2.set_growth_interval(7)
    assert (s2.get_growth_factor(), s2.get_backoff_factor(), s2.get_growth_interval()) == (3.0, 0.5, 7)


# ---------------------------------------------------------------------- the C++ kernels
def test_unscale_kernel_matches_torch():
    shapes = [(7,), (100003,), (5, 6), (3, 1, 4)]
    dtypes = [(ember.float32, torch.float32), (ember.float64, torch.float64), (ember.bfloat16, torch.bfloat16),
              (ember.float16, torch.float16)]
    for inv in (0.5, 1.0, 1.0 / 3.0):
        for (edt, tdt) in dtypes:
            arrays = [_arr(*s) * 100 for s in shapes]
            eg = [ember.tensor(a).to(edt) for a in arrays]
            tg = [torch.tensor(a).to(tdt) for a in arrays]
            eg[2] = eg[2].t()  # a transposed (dense, not contiguous) grad
            tg[2] = tg[2].t()
            ef, tf = ember.zeros(()), torch.zeros(())
            _C._amp_foreach_non_finite_check_and_unscale_([g._a for g in eg], ef._a, ember.tensor(inv)._a)
            torch._amp_foreach_non_finite_check_and_unscale_(tg, tf, torch.tensor(inv))
            assert ef.item() == tf.item() == 0.0
            for e, t in zip(eg, tg):
                np.testing.assert_array_equal(_np(e), t.float().numpy())


def test_unscale_kernel_nonfinite_and_strided():
    base = ember.tensor(np.arange(20, dtype=np.float32).reshape(4, 5))
    view = base[:, 1::2]  # strided: goes through a copy that is written back
    fi = ember.zeros(())
    _C._amp_foreach_non_finite_check_and_unscale_([view._a], fi._a, ember.tensor(0.5)._a)
    expected = np.arange(20, dtype=np.float32).reshape(4, 5)
    expected[:, 1::2] *= 0.5
    np.testing.assert_array_equal(base.numpy(), expected)
    assert fi.item() == 0.0
    for bad in (float("inf"), float("-inf"), float("nan")):
        for n, pos in ((37, 36), (100003, 77777), (3, 0)):
            a = np.ones(n, np.float32)
            a[pos] = bad
            g = ember.tensor(a)
            fi = ember.zeros(())
            _C._amp_foreach_non_finite_check_and_unscale_([ember.ones(5)._a, g._a], fi._a, ember.tensor(2.0)._a)
            assert fi.item() == 1.0, (bad, n, pos)
            assert g[pos - 1 if pos else 1].item() == 2.0
    # found_inf is never cleared by a clean call
    _C._amp_foreach_non_finite_check_and_unscale_([ember.ones(3)._a], fi._a, ember.tensor(1.0)._a)
    assert fi.item() == 1.0
    _C._amp_foreach_non_finite_check_and_unscale_([], fi._a, ember.tensor(1.0)._a)


def test_unscale_kernel_errors():
    g = ember.ones(4)
    fi, inv = ember.zeros(()), ember.ones(())
    with pytest.raises(TypeError, match="found_inf of dtype float32"):
        _C._amp_foreach_non_finite_check_and_unscale_([g._a], fi.double()._a, inv._a)
    with pytest.raises(ValueError, match="inv_scale to hold one element"):
        _C._amp_foreach_non_finite_check_and_unscale_([g._a], fi._a, ember.ones(2)._a)
    with pytest.raises(TypeError, match="floating point grads"):
        _C._amp_foreach_non_finite_check_and_unscale_([ember.ones(2, dtype=ember.int64)._a], fi._a, inv._a)
    with pytest.raises(ValueError, match="share memory"):
        _C._amp_foreach_non_finite_check_and_unscale_([g._a, g[1:3]._a], fi._a, inv._a)
    with pytest.raises(RuntimeError, match="more than one element"):
        _C._amp_foreach_non_finite_check_and_unscale_([ember.ones(1).expand(3)._a], fi._a, inv._a)


def test_update_scale_kernel_matches_torch():
    g = np.random.default_rng(3)
    for interval in (1, 2, 5):
        es, et = ember.full((), 1024.0), ember.zeros((), dtype=ember.int32)
        ts, tt = torch.full((), 1024.0), torch.zeros((), dtype=torch.int32)
        for _ in range(40):
            found = float(g.random() < 0.3)
            _C._amp_update_scale_(es._a, et._a, ember.tensor(found)._a, 2.0, 0.5, interval)
            torch._amp_update_scale_(ts, tt, torch.tensor(found), 2.0, 0.5, interval)
            assert (es.item(), et.item()) == (ts.item(), tt.item())
    with pytest.raises(TypeError, match="growth_tracker of dtype int32"):
        _C._amp_update_scale_(es._a, es._a, ember.zeros(())._a, 2.0, 0.5, 1)


def test_grad_scaler_warnings_free_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = ember.amp.GradScaler("cpu")
        w = ember.tensor([1.0]).requires_grad_()
        opt = ember.optim.SGD([w], lr=0.1)
        s.scale(w.sum()).backward()
        s.step(opt)
        s.update()
