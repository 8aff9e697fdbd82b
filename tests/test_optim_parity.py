"""ember.optim vs torch.optim: every optimizer's params and state after 30 steps with
identical gradients, for each option listed in issue 8 (float32 ~1e-6 relative, float64
~1e-12), state_dict round trips both ways, param groups with different options, Lion vs
a NumPy float64 reference, LBFGS vs torch, and bad input in a child process."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import optim
from helpers import run_in_subprocess

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (), (37,)]
# Big enough (> the kernel's 32K-element chunk and its 64K serial threshold) to be cut
# into work items and split across threads.
BIG_SHAPES = [(70_001,), (3,), (40_000,)]
STEPS = 30


def _data(seed, steps, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    x0 = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]
    # one parameter skips a few steps (grad None): its state must not advance
    for t in (3, 4, 11):
        if t < steps:
            grads[t][1] = None
    return x0, grads


def _params(lib, x0, dtype):
    return [lib.nn.Parameter(lib.tensor(np.asarray(x, dtype=dtype))) for x in x0]


def _set_grads(lib, params, grads, dtype):
    for p, g in zip(params, grads):
        p.grad = None if g is None else lib.tensor(np.asarray(g, dtype=dtype))


def _run(lib, kind, kwargs, dtype, x0, grads, groups=None):
    params = _params(lib, x0, dtype)
    make = getattr(lib.optim, kind)
    if groups is None:
        opt = make(params, **kwargs)
    else:
        opt = make([dict(params=[params[i] for i in idx], **extra) for idx, extra in groups], **kwargs)
    for g in grads:
        opt.zero_grad()
        _set_grads(lib, params, g, dtype)
        opt.step()
    return params, opt


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t.numpy(), dtype=np.float64)


def _close(e, t, dtype, what):
    e, t = _np(e), _np(t)
    assert e.shape == t.shape, what
    if dtype == np.float64:
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-13, err_msg=what)
    else:
        scale = max(1.0, float(np.max(np.abs(t)))) if t.size else 1.0
        np.testing.assert_allclose(e, t, rtol=2e-6, atol=1e-6 * scale, err_msg=what)


def _compare_state(eo, to, dtype, label):
    es, ts = eo.state_dict(), to.state_dict()
    assert sorted(es["state"]) == sorted(ts["state"]), label
    for k in ts["state"]:
        assert list(es["state"][k]) == list(ts["state"][k]), f"{label} state keys of param {k}"
        for name, tv in ts["state"][k].items():
            ev = es["state"][k][name]
            if isinstance(tv, torch.Tensor):
                assert isinstance(ev, (ember.Tensor, torch.Tensor)), f"{label} {name}"
                assert str(ev.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], f"{label} {name} dtype"
                _close(ev, tv, dtype if name != "step" else np.float64, f"{label} state[{k}][{name}]")
            else:
                assert ev == tv, f"{label} {name}"
    for eg, tg in zip(es["param_groups"], ts["param_groups"]):
        assert sorted(eg) == sorted(tg), label
        assert eg == tg, label


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True, betas=(0.5, 0.9))),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, maximize=True, eps=1e-6)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1, eps=1e-4)),
    ("Adadelta", dict(maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True, eps=1e-4)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, maximize=True, betas=(0.8, 0.99))),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.9))),  # rectification switches on at step 6
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.01)),
    ("ASGD", dict(lr=0.01, lambd=1e-2, alpha=0.5, t0=10)),
    ("ASGD", dict(lr=0.01, weight_decay=0.1, maximize=True, t0=5)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05))),
    ("Rprop", dict(lr=0.01, maximize=True)),
]


@pytest.mark.parametrize("kind,kwargs", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_matches_torch_after_30_steps(kind, kwargs, dtype):
    x0, grads = _data(1, STEPS)
    ep, eo = _run(ember, kind, kwargs, dtype, x0, grads)
    tp, to = _run(torch, kind, kwargs, dtype, x0, grads)
    for i, (e, t) in enumerate(zip(ep, tp)):
        _close(e, t, dtype, f"{kind}{kwargs} param {i}")
    _compare_state(eo, to, dtype, f"{kind}{kwargs}")


FIRST_OF_KIND = [c for i, c in enumerate(CASES) if all(c[0] != d[0] for d in CASES[:i])]


@pytest.mark.parametrize("kind,kwargs", FIRST_OF_KIND, ids=[k for k, _ in FIRST_OF_KIND])
def test_multi_chunk_threaded_path_matches_torch(kind, kwargs):
    x0, grads = _data(7, 4, shapes=BIG_SHAPES)
    ep, eo = _run(ember, kind, kwargs, np.float32, x0, grads)
    tp, to = _run(torch, kind, kwargs, np.float32, x0, grads)
    for i, (e, t) in enumerate(zip(ep, tp)):
        _close(e, t, np.float32, f"{kind}{kwargs} param {i}")


@pytest.mark.parametrize("kind,kwargs,groups", [
    ("Adam", dict(lr=0.01), [([0, 2], dict(amsgrad=True)), ([1, 3], dict(lr=0.05, weight_decay=0.1))]),
    ("SGD", dict(lr=0.01, momentum=0.9), [([0], dict(nesterov=True)), ([1, 2, 3], dict(momentum=0.0, lr=0.1))]),
    ("RMSprop", dict(lr=0.01), [([3, 1], dict(centered=True)), ([0, 2], dict(momentum=0.5, alpha=0.9))]),
    ("NAdam", dict(lr=0.01), [([0, 1], dict(decoupled_weight_decay=True, weight_decay=0.1)), ([2, 3], dict())]),
])
def test_param_groups_with_different_options(kind, kwargs, groups):
    x0, grads = _data(2, 12)
    for dtype in (np.float32, np.float64):
        ep, eo = _run(ember, kind, kwargs, dtype, x0, grads, groups)
        tp, to = _run(torch, kind, kwargs, dtype, x0, grads, groups)
        for i, (e, t) in enumerate(zip(ep, tp)):
            _close(e, t, dtype, f"{kind} groups param {i}")
        _compare_state(eo, to, dtype, f"{kind} groups")


def test_mixed_dtypes_in_one_group():
    x0, grads = _data(3, 8, shapes=[(4,), (3,)])
    res = {}
    for lib in (ember, torch):
        ps = [lib.nn.Parameter(lib.tensor(x0[0].astype(np.float32))),
              lib.nn.Parameter(lib.tensor(x0[1].astype(np.float64)))]
        opt = lib.optim.Adam(ps, lr=0.05, amsgrad=True)
        for g in grads:
            opt.zero_grad()
            for p, gg, dt in zip(ps, g, (np.float32, np.float64)):
                p.grad = None if gg is None else lib.tensor(gg.astype(dt))
            opt.step()
        res[lib.__name__] = ps
    _close(res["ember"][0], res["torch"][0], np.float32, "f32 param")
    _close(res["ember"][1], res["torch"][1], np.float64, "f64 param")


def _convert_sd(sd, lib):
    """A state_dict with every tensor (ember's or torch's) copied into lib via NumPy."""
    def conv(v):
        if isinstance(v, (ember.Tensor, torch.Tensor)):
            a = np.array(v.numpy())
            return torch.from_numpy(a) if lib is torch else ember.tensor(a)
        return v

    return {"state": {k: {n: conv(v) for n, v in s.items()} for k, s in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}


ROUND_TRIP = [(k, kw) for k, kw in CASES if k not in ("SGD",)][::3] + [("SGD", dict(lr=0.05, momentum=0.9))]


@pytest.mark.parametrize("kind,kwargs", ROUND_TRIP, ids=[f"{k}-{i}" for i, (k, _) in enumerate(ROUND_TRIP)])
@pytest.mark.parametrize("src", ["ember", "torch"])
def test_state_dict_round_trip_between_libraries(kind, kwargs, src):
    # 5 steps in one library; its state_dict (tensors converted through NumPy) loads
    # into fresh optimizers of both libraries, which then continue identically.
    dtype = np.float64
    x0, grads = _data(4, 10)
    src_lib = ember if src == "ember" else torch
    sp, so = _run(src_lib, kind, kwargs, dtype, x0, grads[:5])
    sd = so.state_dict()
    out = {}
    for lib in (ember, torch):
        dp = _params(lib, [_np(p) for p in sp], dtype)
        do = getattr(lib.optim, kind)(dp, **kwargs)
        do.load_state_dict(_convert_sd(sd, lib))
        for g in grads[5:]:
            do.zero_grad()
            _set_grads(lib, dp, g, dtype)
            do.step()
        out[lib.__name__] = (dp, do)
    for i, (a, b) in enumerate(zip(out["ember"][0], out["torch"][0])):
        _close(a, b, dtype, f"{kind} from {src} param {i}")
    _compare_state(out["ember"][1], out["torch"][1], dtype, f"{kind} from {src}")
    if src == "ember":  # ember -> ember continues exactly like an uninterrupted run
        ref, _ = _run(ember, kind, kwargs, dtype, x0, grads)
        if kind not in ("NAdam", "ASGD"):  # their 0-d state is cast to the param dtype on load, as in torch
            for a, b in zip(out["ember"][0], ref):
                _close(a, b, dtype, f"{kind} ember round trip")


def _lion_reference(x0, grads, lr, betas, wd, maximize):
    ps = [np.array(x, dtype=np.float64) for x in x0]
    ms = [None] * len(ps)
    for gs in grads:
        for i, g in enumerate(gs):
            if g is None:
                continue
            g = -g if maximize else g
            if ms[i] is None:
                ms[i] = np.zeros_like(ps[i])
            ps[i] = ps[i] * (1 - lr * wd)
            ps[i] = ps[i] - lr * np.sign(betas[0] * ms[i] + (1 - betas[0]) * g)
            ms[i] = betas[1] * ms[i] + (1 - betas[1]) * g
    return ps, ms


@pytest.mark.parametrize("kwargs", [dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
                                    dict(lr=0.003, weight_decay=0.5, maximize=True)])
def test_lion_matches_reference(kwargs):
    x0, grads = _data(5, STEPS)
    ep, eo = _run(ember, "Lion", kwargs, np.float64, x0, grads)
    rp, rm = _lion_reference(x0, grads, kwargs["lr"], kwargs.get("betas", (0.9, 0.99)),
                             kwargs.get("weight_decay", 0.0), kwargs.get("maximize", False))
    for i, (e, r) in enumerate(zip(ep, rp)):
        np.testing.assert_allclose(_np(e), r, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(_np(eo.state[ep[i]]["exp_avg"]), rm[i], rtol=1e-12, atol=1e-13)
    assert optim.Lion([nn.Parameter(ember.zeros(1))]).defaults["betas"] == (0.9, 0.99)
    # float32 follows the float64 trajectory closely (sign updates are robust)
    ep32, _ = _run(ember, "Lion", kwargs, np.float32, x0, grads)
    for e, r in zip(ep32, rp):
        np.testing.assert_allclose(_np(e), r, rtol=1e-5, atol=1e-5)


def _rosenbrock(lib, p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2 + (p.mul(p).sum() * 0.1)


@pytest.mark.parametrize("kwargs", [dict(), dict(line_search_fn="strong_wolfe"),
                                    dict(lr=0.5, history_size=3, max_iter=7)])
def test_lbfgs_matches_torch(kwargs):
    out = {}
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.tensor(np.array([-1.2, 1.0, 0.5], dtype=np.float64)))
        opt = lib.optim.LBFGS([p], **kwargs)
        losses = []

        def closure():
            opt.zero_grad()
            loss = _rosenbrock(lib, p)
            loss.backward()
            return loss

        for _ in range(3):
            losses.append(float(opt.step(closure)))
        out[lib.__name__] = (_np(p), losses, opt.state[p]["func_evals"], opt.state[p]["n_iter"])
    e, t = out["ember"], out["torch"]
    np.testing.assert_allclose(e[0], t[0], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(e[1], t[1], rtol=1e-9)
    assert e[2:] == t[2:]


def test_lbfgs_rejects_groups_and_bad_line_search():
    a, b = nn.Parameter(ember.ones(1)), nn.Parameter(ember.ones(1))
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a], line_search_fn="bogus")

    def closure():
        opt.zero_grad()
        loss = a.mul(a).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_closure_returns_loss_and_runs_with_grad():
    p = nn.Parameter(ember.tensor([1.0, -2.0]))
    for kind in ("SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop",
                 "Lion", "AdamW"):
        opt = getattr(optim, kind)([p], lr=0.01)
        calls = []

        def closure():
            opt.zero_grad()
            loss = p.mul(p).sum()
            loss.backward()
            calls.append(1)
            return loss

        with ember.no_grad():
            loss = opt.step(closure)
        assert calls == [1] and abs(float(loss) - float(p.detach().mul(p.detach()).sum())) < 1.0, kind


def test_duplicate_params_warn_and_update_twice_like_torch():
    res = {}
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0], dtype=lib.float64))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            opt = lib.optim.SGD([p, p], lr=0.1, momentum=0.9)
        assert any("duplicate parameters" in str(x.message) for x in w)
        for _ in range(3):
            p.grad = lib.tensor([0.5, -1.0], dtype=lib.float64)
            opt.step()
        res[lib.__name__] = _np(p)
    np.testing.assert_allclose(res["ember"], res["torch"], rtol=1e-14)


def test_hyperparameter_changes_between_steps_take_effect():
    # LR schedulers write group['lr'] / group['betas'] / group['momentum'] between steps
    x0, grads = _data(6, 6)
    out = {}
    for lib in (ember, torch):
        ps = _params(lib, x0, np.float64)
        opt = lib.optim.Adam(ps, lr=0.01)
        for t, g in enumerate(grads):
            opt.param_groups[0]["lr"] = 0.01 * (t + 1)
            opt.param_groups[0]["betas"] = (0.9 - 0.05 * t, 0.999)
            opt.zero_grad()
            _set_grads(lib, ps, g, np.float64)
            opt.step()
        out[lib.__name__] = ps
    for e, t in zip(out["ember"], out["torch"]):
        _close(e, t, np.float64, "scheduled Adam")


@pytest.mark.parametrize("kind,kwargs,msg", [
    ("SGD", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adam", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("AdamW", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("Adam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("RMSprop", dict(alpha=-0.1), "Invalid alpha value: -0.1"),
    ("RMSprop", dict(momentum=-0.1), "Invalid momentum value: -0.1"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adamax", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(eps=-1e-3), "Invalid epsilon value: -0.001"),
    ("ASGD", dict(lr=-0.5), "Invalid learning rate: -0.5"),
    ("Rprop", dict(etas=(1.5, 2.0)), "Invalid eta values: 1.5, 2.0"),
    ("LBFGS", dict(lr=-1), "Invalid learning rate: -1"),
])
def test_argument_validation_matches_torch(kind, kwargs, msg):
    with pytest.raises(ValueError) as e_info:
        getattr(optim, kind)([nn.Parameter(ember.zeros(1))], **kwargs)
    with pytest.raises(ValueError) as t_info:
        getattr(torch.optim, kind)([torch.nn.Parameter(torch.zeros(1))], **kwargs)
    assert str(e_info.value) == str(t_info.value) == msg


@pytest.mark.parametrize("kind", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
                                  "RAdam", "ASGD", "Rprop", "LBFGS"])
def test_defaults_and_group_keys_match_torch(kind):
    e = getattr(optim, kind)([nn.Parameter(ember.zeros(1))])
    t = getattr(torch.optim, kind)([torch.nn.Parameter(torch.zeros(1))])
    eg = {k: v for k, v in e.param_groups[0].items() if k != "params"}
    tg = {k: v for k, v in t.param_groups[0].items() if k != "params"}
    assert eg == tg
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        getattr(optim, kind)([])
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        getattr(optim, kind)([nn.Parameter(ember.zeros(1)), 3.0])
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable of Tensors "
                                        "or dicts, but got ember.Tensor"):
        getattr(optim, kind)(nn.Parameter(ember.zeros(1)))


def test_fused_and_foreach_arguments():
    p = nn.Parameter(ember.zeros(2))
    for kind in ("SGD", "Adam", "AdamW", "Adagrad"):
        getattr(optim, kind)([p], fused=True)
        getattr(optim, kind)([p], foreach=True)
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together."):
            getattr(optim, kind)([p], fused=True, foreach=True)
        with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
            getattr(optim, kind)([p], fused=True, differentiable=True)
    optim.Adam([p], capturable=True)
    optim.RMSprop([p], foreach=False, capturable=True)


BAD_INPUT_CHILD = r'''
import ember, numpy as np
from ember import optim, nn, _C
def case(name, fn):
    try:
        fn()
    except Exception as e:
        print(f"CASE {name} {type(e).__name__} {e}")
    else:
        print(f"CASE {name} NOEXC")
P = lambda *s: nn.Parameter(ember.zeros(*s))
def step_with(grad, p=None, kind="Adam"):
    p = p if p is not None else P(3)
    p.grad = grad
    getattr(optim, kind)([p], lr=0.1).step()
a = [ember.zeros(3)._a]
s = [ember.tensor(0.0)._a]
case("grad_shape", lambda: step_with(ember.zeros(4)))
case("grad_dtype", lambda: step_with(ember.zeros(3, dtype=ember.float64)))
Z = lambda n=3: ember.zeros(n)._a  # noqa: E731
H = (0.1, 0.9, 0.999, 1e-8, 0.0, False, False, False)  # lr, betas, eps, wd, amsgrad, maximize, decoupled
int_p = nn.Parameter(ember.zeros(3, dtype=ember.int64), requires_grad=False)
case("int_param", lambda: step_with(ember.zeros(3, dtype=ember.int64), int_p))
case("list_lengths", lambda: _C.adam_step(a, [], a, a, [], s, *H))
case("buffer_shape", lambda: _C.adam_step(a, a, [Z(2)], a, [], s, *H))
case("aliasing", lambda: _C.adam_step(a, [Z()], a, [Z()], [], s, *H))
case("step_shape", lambda: _C.adam_step(a, [Z()], [Z()], [Z()], [], [Z(2)], *H))
case("step_dtype", lambda: _C.rprop_step(a, [Z()], [Z()], [Z()], [ember.tensor(1)._a], 0.5, 1.2, 1e-6, 50, False))
case("duplicate_param_lists", lambda: _C.sgd_step(a * 2, a * 2, [], [False, False], 0.1, 0.0, 0.0, 0.0, False, False))
case("fresh_len", lambda: _C.sgd_step(a, [Z()], [Z()], [], 0.1, 0.9, 0.0, 0.0, False, False))
def cuda_param():
    p = nn.Parameter(ember.zeros(3, device="cuda"))
    p.grad = ember.zeros(3, device="cuda")
    optim.SGD([p], lr=0.1).step()
case("cuda", cuda_param)
case("non_tensor", lambda: optim.Adam([nn.Parameter(ember.zeros(1)), "w"]))
case("empty", lambda: optim.RMSprop([]))
case("neg_lr", lambda: optim.Lion([P(1)], lr=-1.0))
case("bad_beta", lambda: optim.Lion([P(1)], betas=(0.9, 1.5)))
case("neg_eps", lambda: optim.Adamax([P(1)], eps=-1.0))
case("huge_lr_ok", lambda: optim.SGD([P(3)], lr=1e300).step())
case("nan_lr", lambda: optim.Adam([P(3)], lr=float("nan")))
p0 = P(0)
p0.grad = ember.zeros(0)
case("zero_size_ok", lambda: optim.Adam([p0]).step())
print("DONE")
'''


def test_bad_input_raises_cleanly_in_child():
    r = run_in_subprocess(BAD_INPUT_CHILD)
    assert r.returncode == 0 and "DONE" in r.stdout, f"child crashed (rc={r.returncode}):\n{r.stderr[-3000:]}"
    got = {line.split(" ", 2)[1]: line.split(" ", 2)[2] for line in r.stdout.splitlines() if line.startswith("CASE")}
    expect = {
        "grad_shape": ("ValueError", "[adam_step] expected grad 0 of shape (3,) (the param's), got (4,)"),
        "grad_dtype": ("TypeError", "[adam_step] expected grad 0 of dtype float32"),
        "int_param": ("TypeError", "[adam_step] expected float32 or float64 params"),
        "list_lengths": ("ValueError", "[adam_step] expected one grad per param (1), got 0"),
        "buffer_shape": ("ValueError", "[adam_step] expected exp_avg 0 of shape"),
        "aliasing": ("ValueError", "share memory"),
        "step_shape": ("ValueError", "[adam_step] expected step 0 to hold one value"),
        "step_dtype": ("TypeError", "[rprop_step] expected step 0 to be a float32 or float64 tensor, got int64"),
        "duplicate_param_lists": ("ValueError", "share memory"),
        "fresh_len": ("ValueError", "[sgd_step] expected one fresh flag per param (1), got 0"),
        "cuda": ("RuntimeError", ""),
        "non_tensor": ("TypeError", "optimizer can only optimize Tensors, but one of the params is builtins.str"),
        "empty": ("ValueError", "optimizer got an empty parameter list"),
        "neg_lr": ("ValueError", "Invalid learning rate: -1.0"),
        "bad_beta": ("ValueError", "Invalid beta parameter at index 1: 1.5"),
        "neg_eps": ("ValueError", "Invalid epsilon value: -1.0"),
        "huge_lr_ok": ("NOEXC", ""),
        "nan_lr": ("ValueError", "Invalid learning rate: nan"),
        "zero_size_ok": ("NOEXC", ""),
    }
    for name, (exc, msg) in expect.items():
        assert name in got, f"{name} missing:\n{r.stdout}"
        assert got[name].startswith(exc), f"{name}: {got[name]}"
        assert msg in got[name], f"{name}: {got[name]}"


def _levels():
    order = ["scalar", "avx2", "avx512"]
    return order[: order.index(ember._C.cpu_max_simd_level()) + 1]


@pytest.mark.parametrize("level", ["scalar", "avx2", "avx512"])
def test_every_simd_build_matches_torch(level):
    if level not in _levels():
        pytest.skip(f"CPU lacks {level}")
    before = ember._C.simd_level()
    ember._C.set_simd_level(level)
    try:
        assert ember._C.simd_level() == level
        x0, grads = _data(8, 4, shapes=[(3, 4), (66_001,)])
        for kind, kwargs in FIRST_OF_KIND + [("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                                             ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1))]:
            ep, _ = _run(ember, kind, kwargs, np.float32, x0, grads)
            tp, _ = _run(torch, kind, kwargs, np.float32, x0, grads)
            for i, (e, t) in enumerate(zip(ep, tp)):
                # without FMA (scalar build) the steps round a little differently from torch's
                if level == "scalar":
                    np.testing.assert_allclose(_np(e), _np(t), rtol=1e-5, atol=1e-5, err_msg=f"{kind} {i}")
                else:
                    _close(e, t, np.float32, f"{level} {kind}{kwargs} param {i}")
    finally:
        ember._C.set_simd_level(before)


def test_state_is_updated_in_place_and_versions_bump():
    # torch keeps state['step'] as a tensor advanced in place; the fused kernel does too
    p = nn.Parameter(ember.ones(3))
    p.grad = ember.ones(3)
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    step, m = opt.state[p]["step"], opt.state[p]["exp_avg"]
    pv, sv, mv = p._version, step._version, m._version
    opt.step()
    assert opt.state[p]["step"] is step and opt.state[p]["exp_avg"] is m
    assert float(step) == 2.0 and step.dtype == ember.float32
    assert p._version > pv and step._version > sv and m._version > mv
