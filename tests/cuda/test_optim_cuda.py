"""CUDA fused optimizer steps (csrc/ops/optim/optim_cuda.cu) vs the CPU kernels: every
optimizer and option after several steps with identical gradients, params and state;
odd tensor sizes, more tensors and chunks than one launch holds, float32 + float64 in
one group, params that skip a step; vs torch CUDA when available; mixed devices.

Skips as a whole without a usable GPU (or on a build without CUDA)."""
import copy

import numpy as np
import pytest

import ember
from ember import _C

pytestmark = pytest.mark.cuda
if not ember.cuda.is_available():
    pytest.skip(f"no CUDA GPU: {_C.cuda.unavailable_reason()}", allow_module_level=True)

# odd sizes; 40_000 spans several 16K chunks
SHAPES = [(3, 4), (5,), (), (37,), (40_000,), (1,)]
STEPS = 6

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True, betas=(0.5, 0.9))),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, maximize=True, eps=1e-6)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=1.0, rho=0.5, weight_decay=0.1, eps=1e-4)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.9))),  # rectification switches on at step 6
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.01)),
    ("ASGD", dict(lr=0.01, lambd=1e-2, alpha=0.5, t0=2)),
    ("ASGD", dict(lr=0.01, weight_decay=0.1, maximize=True, t0=3)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05), maximize=True)),
    ("Lion", dict(lr=0.01)),
    ("Lion", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1, maximize=True)),
]

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def _data(seed, shapes, steps):
    rng = np.random.default_rng(seed)
    x0 = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]
    for t in (1, 2):  # one parameter skips two steps: its state must not advance
        if t < steps:
            grads[t][1] = None
    return x0, grads


def _run(kind, kwargs, x0, grads, dtypes, device):
    params = [ember.nn.Parameter(ember.tensor(np.asarray(x, dtype=dt), device=device)) for x, dt in zip(x0, dtypes)]
    opt = getattr(ember.optim, kind)(params, **kwargs)
    for gs in grads:
        opt.zero_grad()
        for p, g, dt in zip(params, gs, dtypes):
            p.grad = None if g is None else ember.tensor(np.asarray(g, dtype=dt), device=device)
        opt.step()
    return params, opt


def _host(t):
    return np.asarray(t.detach().cpu().numpy(), dtype=np.float64)


def _compare(kind, kwargs, shapes, dtypes, seed=0, steps=STEPS):
    x0, grads = _data(seed, shapes, steps)
    pc, oc = _run(kind, kwargs, x0, grads, dtypes, "cpu")
    pg, og = _run(kind, kwargs, x0, grads, dtypes, "cuda")
    for i, (a, b, dt) in enumerate(zip(pc, pg, dtypes)):
        assert b.device.type == "cuda"
        np.testing.assert_allclose(_host(b), _host(a), err_msg=f"{kind} param {i}", **TOL[dt])
        sa, sb = oc.state[a], og.state[b]
        assert sorted(sa) == sorted(sb)
        for key in sa:
            va, vb = sa[key], sb[key]
            if hasattr(va, "shape"):
                np.testing.assert_allclose(_host(vb), _host(va), err_msg=f"{kind} {key} {i}", **TOL[dt])


@pytest.mark.parametrize("kind,kwargs", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_matches_cpu_float32(kind, kwargs):
    _compare(kind, kwargs, SHAPES, [np.float32] * len(SHAPES))


@pytest.mark.parametrize("kind,kwargs", CASES[::3], ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES[::3])])
def test_matches_cpu_float64_and_mixed(kind, kwargs):
    _compare(kind, kwargs, SHAPES, [np.float64] * len(SHAPES), seed=1)
    mixed = [np.float32, np.float64] * (len(SHAPES) // 2)
    _compare(kind, kwargs, SHAPES, mixed, seed=2)


@pytest.mark.parametrize("kind,kwargs", [("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5))])
def test_many_tensors_and_chunks(kind, kwargs):
    # 60 tensors (> 24 per launch) and a tensor of 330 chunks (> 320 blocks per launch)
    shapes = [(7 + 13 * i,) for i in range(60)] + [(330 * 16384 + 5,), (3, 3)]
    _compare(kind, kwargs, shapes, [np.float32] * len(shapes), steps=2)


def test_step_counter_stays_on_cpu():
    x0, grads = _data(3, SHAPES, 2)
    params, opt = _run("Adam", dict(lr=0.01), x0, grads, [np.float32] * len(SHAPES), "cuda")
    st = opt.state[params[0]]
    assert st["step"].device.type == "cpu" and float(st["step"]) == 2.0
    assert st["exp_avg"].device.type == "cuda"


@pytest.mark.parametrize("kind,kwargs", [("NAdam", dict(lr=0.01)), ("ASGD", dict(lr=0.01, t0=1)),
                                         ("Adam", dict(lr=0.01, amsgrad=True))])
def test_state_dict_from_cpu_then_steps_on_cuda(kind, kwargs):
    # state saved on the CPU, loaded for CUDA params: buffers move to the GPU, the 0-d
    # step / mu_product / eta / mu stay on the CPU, and the steps continue alike.
    x0, grads = _data(5, SHAPES, 6)
    dts = [np.float32] * len(SHAPES)
    pc, oc = _run(kind, kwargs, x0, grads[:3], dts, "cpu")
    pg = [ember.nn.Parameter(p.detach().clone().to("cuda")) for p in pc]
    og = getattr(ember.optim, kind)(pg, **kwargs)
    og.load_state_dict(copy.deepcopy(oc.state_dict()))  # no state tensor shared with oc
    for opt, params, dev in ((oc, pc, "cpu"), (og, pg, "cuda")):
        for gs in grads[3:]:
            opt.zero_grad()
            for p, g in zip(params, gs):
                p.grad = None if g is None else ember.tensor(np.asarray(g, np.float32), device=dev)
            opt.step()
    for i, (a, b) in enumerate(zip(pc, pg)):
        np.testing.assert_allclose(_host(b), _host(a), err_msg=f"{kind} param {i}", **TOL[np.float32])
        for key, v in og.state[b].items():
            if hasattr(v, "dim") and v.dim() == 0 and key in ("step", "mu_product", "eta", "mu"):
                assert v.device.type == "cpu", key


def test_mixed_device_error():
    a = ember.nn.Parameter(ember.zeros(4, device="cuda"))
    b = ember.nn.Parameter(ember.zeros(4))
    a.grad = ember.ones(4, device="cuda")
    b.grad = ember.ones(4)
    opt = ember.optim.SGD([a, b], lr=0.1)
    with pytest.raises(RuntimeError, match=r"same device.*(cuda:0.*cpu|cpu.*cuda:0)"):
        opt.step()
    c = ember.nn.Parameter(ember.zeros(4, device="cuda"))
    c.grad = ember.ones(4)  # grad on the cpu
    with pytest.raises(RuntimeError, match=r"same device"):
        ember.optim.Adam([c], lr=0.1).step()


def test_vs_torch_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch without CUDA")
    x0, grads = _data(4, SHAPES, STEPS)
    for kind, kwargs in [("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
                         ("AdamW", dict(lr=0.01, weight_decay=0.1)),
                         ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
                         ("RMSprop", dict(lr=0.01, centered=True))]:
        pe, _ = _run(kind, kwargs, x0, grads, [np.float32] * len(SHAPES), "cuda")
        kw = dict(kwargs)
        if kw.pop("decoupled_weight_decay", False):
            pass
        pt = [torch.nn.Parameter(torch.tensor(np.asarray(x, np.float32), device="cuda")) for x in x0]
        opt = getattr(torch.optim, kind)(pt, foreach=False, **kw)
        for gs in grads:
            opt.zero_grad()
            for p, g in zip(pt, gs):
                p.grad = None if g is None else torch.tensor(np.asarray(g, np.float32), device="cuda")
            opt.step()
        for a, b in zip(pe, pt):
            np.testing.assert_allclose(_host(a), b.detach().cpu().double().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=kind)
