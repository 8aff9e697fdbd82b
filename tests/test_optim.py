"""ember.optim: SGD and Adam trajectories vs PyTorch, param groups, state_dict round trips,
argument validation."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import optim

RNG = np.random.default_rng(0)
X0 = [RNG.standard_normal((3, 4)), RNG.standard_normal(5)]
W = [RNG.uniform(0.5, 2.0, (3, 4)), RNG.uniform(0.5, 2.0, 5)]
C = [RNG.standard_normal((3, 4)), RNG.standard_normal(5)]


def _grad(x, i):
    # gradient of sum(w * (x - c)^2) + 0.1 * sum(x^3): a non-linear gradient so every
    # step's grad depends on the trajectory.
    return 2 * W[i] * (x - C[i]) + 0.3 * x ** 2


def _run(lib, make_opt, dtype, steps=10):
    params = [lib.nn.Parameter(lib.tensor(x.astype(dtype))) for x in X0]
    opt = make_opt(lib, params)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        for i, p in enumerate(params):
            p.grad = lib.tensor(_grad(p.detach().numpy().astype(np.float64), i).astype(dtype))
        opt.step()
        traj.append([p.detach().numpy().copy() for p in params])
    return traj, opt


SGD_CASES = [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.5, weight_decay=0.1),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True),
    dict(lr=0.02, weight_decay=0.2),
]
ADAM_CASES = [
    dict(lr=0.05),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True),
    dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
]


def _compare(kind, kwargs, dtype, rtol):
    torch = pytest.importorskip("torch")
    e_traj, _ = _run(ember, lambda lib, ps: getattr(lib.optim, kind)(ps, **kwargs), dtype)
    t_traj, _ = _run(torch, lambda lib, ps: getattr(lib.optim, kind)(ps, **kwargs), dtype)
    for step, (es, ts) in enumerate(zip(e_traj, t_traj)):
        for e, t in zip(es, ts):
            np.testing.assert_allclose(e, t, rtol=rtol, atol=rtol * 1e-2, err_msg=f"{kind}{kwargs} step {step}")


@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_matches_torch(kwargs):
    _compare("SGD", kwargs, np.float64, 1e-10)
    _compare("SGD", kwargs, np.float32, 1e-6)


@pytest.mark.parametrize("kwargs", ADAM_CASES)
def test_adam_matches_torch(kwargs):
    _compare("Adam", kwargs, np.float64, 1e-10)
    _compare("Adam", kwargs, np.float32, 1e-6)


def test_adam_state_layout_matches_torch():
    torch = pytest.importorskip("torch")
    kw = dict(lr=0.05, amsgrad=True)
    _, eo = _run(ember, lambda lib, ps: lib.optim.Adam(ps, **kw), np.float32, steps=3)
    _, to = _run(torch, lambda lib, ps: lib.optim.Adam(ps, **kw), np.float32, steps=3)
    esd, tsd = eo.state_dict(), to.state_dict()
    assert list(esd) == list(tsd) == ["state", "param_groups"]
    assert esd["state"].keys() == tsd["state"].keys()
    for k in tsd["state"]:
        assert list(esd["state"][k]) == list(tsd["state"][k])
        assert float(esd["state"][k]["step"]) == float(tsd["state"][k]["step"]) == 3.0
        for name in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            np.testing.assert_allclose(esd["state"][k][name].numpy(), tsd["state"][k][name].numpy(), rtol=1e-6)
    eg, tg = esd["param_groups"][0], tsd["param_groups"][0]
    assert sorted(eg) == sorted(tg)
    assert {k: v for k, v in eg.items()} == {k: v for k, v in tg.items()}
    _, so = _run(ember, lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9), np.float32, steps=2)
    _, st = _run(torch, lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9), np.float32, steps=2)
    assert sorted(so.state_dict()["param_groups"][0]) == sorted(st.state_dict()["param_groups"][0])
    assert list(so.state_dict()["state"][0]) == list(st.state_dict()["state"][0]) == ["momentum_buffer"]


@pytest.mark.parametrize("kind,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1, amsgrad=True))])
def test_state_dict_round_trip_continues_identically(kind, kwargs):
    make = lambda lib, ps: getattr(lib.optim, kind)(ps, **kwargs)  # noqa: E731
    full, _ = _run(ember, make, np.float64, steps=6)
    params = [nn.Parameter(ember.tensor(x)) for x in X0]
    opt = make(ember, params)

    def step(o, ps):
        o.zero_grad()
        for i, p in enumerate(ps):
            p.grad = ember.tensor(_grad(p.detach().numpy(), i))
        o.step()

    for _ in range(3):
        step(opt, params)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1] and sd["param_groups"][0]["params"] == [0, 1]
    params2 = [nn.Parameter(ember.tensor(p.detach().numpy().copy())) for p in params]
    opt2 = make(ember, params2)
    opt2.load_state_dict(sd)
    assert opt2.state[params2[0]].keys() == opt.state[params[0]].keys()
    for _ in range(3):
        step(opt2, params2)
    for e, ref in zip(params2, full[-1]):
        np.testing.assert_allclose(e.detach().numpy(), ref, rtol=1e-12)


def test_load_torch_optimizer_state():
    torch = pytest.importorskip("torch")
    kw = dict(lr=0.05, amsgrad=True)
    _, to = _run(torch, lambda lib, ps: lib.optim.Adam(ps, **kw), np.float64, steps=4)
    tsd = to.state_dict()
    esd = {"state": {k: {n: ember.tensor(v.numpy()) for n, v in s.items()} for k, s in tsd["state"].items()},
           "param_groups": tsd["param_groups"]}
    tparams = to.param_groups[0]["params"]
    eparams = [nn.Parameter(ember.tensor(p.detach().numpy().copy())) for p in tparams]
    eo = optim.Adam(eparams, **kw)
    eo.load_state_dict(esd)
    for lib, ps, o in ((ember, eparams, eo), (torch, tparams, to)):
        for _ in range(3):
            o.zero_grad()
            for i, p in enumerate(ps):
                p.grad = lib.tensor(_grad(p.detach().numpy(), i))
            o.step()
    for e, t in zip(eparams, tparams):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10)


def test_param_groups_and_zero_grad():
    a = nn.Parameter(ember.ones(2))
    b = nn.Parameter(ember.ones(3))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["params"] == [b]
    c = nn.Parameter(ember.ones(1))
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    a.grad = ember.ones(2)
    b.grad = ember.ones(3)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 0.9], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [0.5, 0.5, 0.5], rtol=1e-6)
    opt.zero_grad(set_to_none=False)
    assert (a.grad.numpy() == 0).all()
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    # a parameter without grad is skipped and gets no state
    opt.step()
    assert c not in opt.state
    assert "Parameter Group 1" in repr(opt) and repr(opt).startswith("SGD (")


def test_named_parameters_accepted():
    m = nn.Linear(2, 2)
    opt = optim.Adam(m.named_parameters())
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_closure_and_training_end_to_end():
    ember.manual_seed(0)
    x = ember.randn(64, 3)
    true_w = ember.tensor([[1.0, -2.0, 0.5]])
    y = x @ true_w.t() + 0.3
    model = nn.Linear(3, 1)
    opt = optim.Adam(model.parameters(), lr=0.1)

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    first = float(closure())
    for _ in range(150):
        loss = opt.step(closure)
    assert float(loss) < first * 1e-3
    np.testing.assert_allclose(model.weight.detach().numpy(), [[1.0, -2.0, 0.5]], atol=2e-2)
    # moving the model keeps the optimizer's references valid
    w = model.weight
    model.double()
    assert opt.param_groups[0]["params"][0] is w and w.dtype == ember.float64


def test_step_hooks():
    p = nn.Parameter(ember.ones(1))
    opt = optim.SGD([p], lr=1.0)
    calls = []
    h = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    p.grad = ember.ones(1)
    opt.step()
    h.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


@pytest.mark.parametrize("call,msg", [
    (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.SGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda p: optim.Adam(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adam(p, weight_decay=-2), "Invalid weight_decay value: -2"),
    (lambda p: optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
])
def test_bad_arguments(call, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        call([nn.Parameter(ember.zeros(1))])


def test_bad_params():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(nn.Parameter(ember.zeros(1)))
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([1.0])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {nn.Parameter(ember.zeros(1))}}])
    p = nn.Parameter(ember.zeros(1))
    opt = optim.SGD([p])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0, 1], "lr": 0.1}]})
