"""nn.Module, Parameter, containers, Linear/Bilinear/Flatten/Unflatten and nn.init:
registration, traversal, state_dict (keys/order/loading vs PyTorch), repr, hooks, moves."""
import copy
import math
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init

from helpers import assert_raises_in_child


def _np(t):
    return t.detach().numpy()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.register_buffer("running", ember.zeros(8))
        self.register_buffer("scratch", ember.ones(2), persistent=False)
        self.body = nn.Sequential(nn.Linear(8, 8), nn.Identity(), nn.Linear(8, 3, bias=False))
        self.scale = nn.Parameter(ember.ones(1))

    def forward(self, x):
        return self.body(self.fc1(x)) * self.scale


# ---------------------------------------------------------------- Parameter


def test_parameter_basics():
    t = ember.zeros(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert p.data_ptr() == t.data_ptr()  # shares storage
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert "requires_grad=True" in repr(p)
    q = nn.Parameter(t, requires_grad=False)
    assert not q.requires_grad
    assert nn.Parameter().shape == (0,)
    # ops on a Parameter give plain tensors
    assert type(p.sum()) is ember.Tensor
    assert type(p.detach()) is ember.Tensor
    assert type(p.data) is ember.Tensor


def test_parameter_deepcopy_and_pickle():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    c = copy.deepcopy(p)
    assert type(c) is nn.Parameter and c.requires_grad
    assert c.data_ptr() != p.data_ptr()
    np.testing.assert_array_equal(_np(c), [1.0, 2.0])
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.requires_grad
    np.testing.assert_array_equal(_np(r), [1.0, 2.0])


def test_parameter_rejects_non_tensor():
    with pytest.raises(TypeError, match="Parameter"):
        nn.Parameter([1.0, 2.0])


# ---------------------------------------------------------------- registration / traversal


def test_registration_and_traversal():
    m = Net()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "body.0.weight", "body.0.bias", "body.2.weight"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in m.named_children()] == ["fc1", "body"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "body", "body.0", "body.1", "body.2"]
    assert len(list(m.parameters(recurse=False))) == 1
    assert [n for n, _ in m.named_parameters(prefix="model")][0] == "model.scale"
    assert m.get_submodule("body.2") is m.body[2]
    assert m.get_parameter("body.0.bias") is m.body[0].bias
    assert m.get_buffer("running") is m.running
    with pytest.raises(AttributeError):
        m.get_submodule("body.7")
    assert "fc1" in dir(m) and "running" in dir(m)


def test_shared_parameters_deduplicated():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert len(list(seq.modules())) == 2


def test_setattr_getattr_delattr():
    m = nn.Module()
    m.w = nn.Parameter(ember.zeros(2))
    assert "w" in m._parameters
    m.sub = nn.Linear(1, 1)
    assert "sub" in m._modules
    m.register_buffer("b", ember.zeros(1))
    m.b = ember.ones(1)  # stays a buffer
    assert "b" in m._buffers and float(m.b[0]) == 1.0
    m.c = nn.Buffer(ember.ones(3), persistent=False)
    assert "c" in m._buffers and "c" not in m.state_dict()
    m.plain = 3
    assert m.plain == 3 and "plain" in m.__dict__
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = ember.zeros(2)
    m.w = None
    assert m._parameters["w"] is None
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        m.nothing
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", ember.zeros(1))
    with pytest.raises(KeyError):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)


def test_assign_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_train_eval_requires_grad_zero_grad():
    m = Net()
    assert m.training and m.body[0].training
    m.eval()
    assert not m.training and not m.body[2].training
    m.train()
    assert m.body[1].training
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_(True)
    for p in m.parameters():
        p.grad = ember.ones(p.shape)
    m.zero_grad(set_to_none=False)
    assert all((_np(p.grad) == 0).all() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_apply_and_moves_keep_parameter_identity():
    m = Net()
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Linear", "Identity", "Linear", "Sequential", "Net"]
    w = m.fc1.weight
    m.double()
    assert m.fc1.weight is w and w.dtype == ember.float64 and isinstance(w, nn.Parameter)
    assert m.running.dtype == ember.float64
    m.to(ember.float32)
    assert w.dtype == ember.float32
    m.to("cpu").cpu().float()
    assert m.fc1.weight is w
    with pytest.raises(TypeError, match="floating point"):
        m.to(ember.int64)


# ---------------------------------------------------------------- state_dict


def test_state_dict_keys_order_and_detached():
    m = Net()
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "running", "fc1.weight", "fc1.bias", "body.0.weight", "body.0.bias",
                        "body.2.weight"]
    assert all(not v.requires_grad for v in sd.values())
    assert sd["fc1.weight"].data_ptr() == m.fc1.weight.data_ptr()
    kv = m.state_dict(keep_vars=True)
    assert kv["fc1.weight"] is m.fc1.weight
    assert list(m.state_dict(prefix="p.")) [0] == "p.scale"


def test_load_state_dict_roundtrip_and_errors():
    a, b = Net(), Net()
    r = b.load_state_dict(a.state_dict())
    assert r.missing_keys == [] and r.unexpected_keys == []
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(_np(v), _np(a.state_dict()[k]))
    sd = a.state_dict()
    del sd["fc1.bias"]
    sd["extra"] = ember.zeros(1)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(sd)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:\n\t")
    assert 'Missing key(s) in state_dict: "fc1.bias". ' in msg
    assert 'Unexpected key(s) in state_dict: "extra". ' in msg
    r = b.load_state_dict(sd, strict=False)
    assert r.missing_keys == ["fc1.bias"] and r.unexpected_keys == ["extra"]
    sd = a.state_dict()
    sd["fc1.weight"] = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with shape "
                                           r"ember.Size\(\[3, 4\]\) from checkpoint, the shape in current model "
                                           r"is ember.Size\(\[8, 4\]\)."):
        b.load_state_dict(sd)


def test_load_state_dict_keeps_parameter_objects():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    w = b.weight
    b.load_state_dict(a.state_dict())
    assert b.weight is w
    np.testing.assert_array_equal(_np(b.weight), _np(a.weight))
    c = nn.Linear(3, 2)
    c.load_state_dict(a.state_dict(), assign=True)
    assert isinstance(c.weight, nn.Parameter) and c.weight.requires_grad


def test_state_dict_matches_torch_keys_and_shapes():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Flatten(),
        torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Identity(), torch.nn.Linear(8, 3, bias=False)),
        torch.nn.Bilinear(3, 2, 5))
    em = nn.Sequential(
        nn.Linear(4, 8), nn.Flatten(),
        nn.Sequential(nn.Linear(8, 8), nn.Identity(), nn.Linear(8, 3, bias=False)),
        nn.Bilinear(3, 2, 5))
    tsd, esd = tm.state_dict(), em.state_dict()
    assert list(tsd) == list(esd)
    for k in tsd:
        assert tuple(tsd[k].shape) == tuple(esd[k].shape), k
    assert sum(p.numel() for p in tm.parameters()) == sum(p.numel() for p in em.parameters())


def test_load_torch_weights_same_outputs():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Sequential(torch.nn.Linear(7, 3)))
    em = nn.Sequential(nn.Linear(5, 7), nn.Sequential(nn.Linear(7, 3)))
    em.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    ref = tm(torch.from_numpy(x)).detach().numpy()
    out = _np(em(ember.from_numpy(x)))
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    # and back: ember weights into a fresh torch model
    tm2 = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Sequential(torch.nn.Linear(7, 3)))
    tm2.load_state_dict({k: torch.from_numpy(_np(v).copy()) for k, v in em.state_dict().items()})
    np.testing.assert_allclose(tm2(torch.from_numpy(x)).detach().numpy(), ref, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- repr


def _torch_repr(s):
    return s.replace("torch.", "ember.")


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Flatten(), torch.nn.Unflatten(1, (2, 4)),
        torch.nn.Sequential(OrderedDict(a=torch.nn.Linear(8, 8, bias=False), b=torch.nn.Identity())),
        torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.Linear(2, 3)]),
        torch.nn.ModuleDict({"x": torch.nn.Bilinear(2, 3, 4)}),
        torch.nn.ModuleList())
    em = nn.Sequential(
        nn.Linear(4, 8), nn.Flatten(), nn.Unflatten(1, (2, 4)),
        nn.Sequential(OrderedDict(a=nn.Linear(8, 8, bias=False), b=nn.Identity())),
        nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 3)]),
        nn.ModuleDict({"x": nn.Bilinear(2, 3, 4)}),
        nn.ModuleList())
    assert repr(em) == _torch_repr(repr(tm))
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2, 3))])
    epl = nn.ParameterList([nn.Parameter(ember.zeros(2, 3))])
    assert repr(epl) == _torch_repr(repr(tpl))
    tpd = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.zeros(4, dtype=torch.float64))})
    epd = nn.ParameterDict({"a": nn.Parameter(ember.zeros(4, dtype=ember.float64))})
    assert repr(epd) == _torch_repr(repr(tpd))


# ---------------------------------------------------------------- containers


def test_sequential_api():
    l0, l1, l2 = nn.Linear(1, 2), nn.Linear(2, 3), nn.Linear(3, 4)
    s = nn.Sequential(l0, l1)
    assert len(s) == 2 and s[0] is l0 and s[-1] is l1 and list(s) == [l0, l1]
    with pytest.raises(IndexError):
        s[2]
    s.append(l2)
    sl = s[1:]
    assert isinstance(sl, nn.Sequential) and list(sl) == [l1, l2] and list(sl._modules) == ["1", "2"]
    s.insert(0, nn.Identity())
    assert isinstance(s[0], nn.Identity) and s[1] is l0 and list(s._modules) == ["0", "1", "2", "3"]
    popped = s.pop(0)
    assert isinstance(popped, nn.Identity) and list(s) == [l0, l1, l2] and list(s._modules) == ["0", "1", "2"]
    s2 = s + nn.Sequential(nn.Identity())
    assert len(s2) == 4 and len(s) == 3
    s.extend([nn.Identity()])
    assert len(s) == 4
    del s[-1]
    assert len(s) == 3
    s[0] = nn.Identity()
    assert isinstance(s[0], nn.Identity)
    od = nn.Sequential(OrderedDict([("first", l0), ("second", l1)]))
    assert od.first is l0 and list(od.state_dict())[0] == "first.weight"


def test_sequential_forward():
    s = nn.Sequential(nn.Linear(3, 4), nn.Identity(), nn.Linear(4, 2))
    x = ember.randn(5, 3)
    out = s(x)
    assert out.shape == (5, 2)
    ref = _np(x) @ _np(s[0].weight).T + _np(s[0].bias)
    ref = ref @ _np(s[2].weight).T + _np(s[2].bias)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-5, atol=1e-6)


def test_modulelist_moduledict():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.Identity())
    ml.insert(0, nn.Identity())
    assert isinstance(ml[0], nn.Identity) and isinstance(ml[-1], nn.Identity) and len(ml) == 5
    ml.extend([nn.Identity()])
    assert len(ml[1:3]) == 2 and isinstance(ml[1:3], nn.ModuleList)
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(5)]
    with pytest.raises(TypeError):
        ml.extend(nn.Linear(1, 1))
    md = nn.ModuleDict({"b": nn.Linear(1, 2), "a": nn.Identity()})
    assert list(md.keys()) == ["b", "a"] and "a" in md and len(md) == 2
    md["c"] = nn.Identity()
    assert md.pop("c") is not None and len(md) == 2
    assert list(md.state_dict()) == ["b.weight", "b.bias"]


def test_parameterlist_parameterdict():
    pl = nn.ParameterList([nn.Parameter(ember.zeros(2)), ember.ones(3)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter)
    pl.append(ember.ones(1))
    assert list(pl.state_dict()) == ["0", "1", "2"]
    assert len(list(pl.parameters())) == 3
    pd = nn.ParameterDict({"w": ember.zeros(2)})
    pd["v"] = nn.Parameter(ember.ones(1))
    assert isinstance(pd["w"], nn.Parameter) and list(pd.keys()) == ["w", "v"]
    assert list(pd.state_dict()) == ["w", "v"]
    del pd["w"]
    assert "w" not in pd and len(pd) == 1


# ---------------------------------------------------------------- layers


def test_linear_shapes_and_forward():
    lin = nn.Linear(6, 4)
    assert lin.weight.shape == (4, 6) and lin.bias.shape == (4,)
    x = ember.randn(2, 3, 6)
    out = lin(x)
    assert out.shape == (2, 3, 4)
    ref = _np(x) @ _np(lin.weight).T + _np(lin.bias)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-5, atol=1e-6)
    nb = nn.Linear(6, 4, bias=False, dtype=ember.float64)
    assert nb.bias is None and nb.weight.dtype == ember.float64
    assert repr(nb) == "Linear(in_features=6, out_features=4, bias=False)"


def test_linear_backward():
    lin = nn.Linear(3, 2)
    x = ember.randn(5, 3)
    lin(x).sum().backward()
    np.testing.assert_allclose(_np(lin.weight.grad), np.tile(_np(x).sum(0), (2, 1)), rtol=1e-5)
    np.testing.assert_allclose(_np(lin.bias.grad), [5.0, 5.0])


def test_linear_bad_input():
    assert_raises_in_child("ember.nn.Linear(3, 2)(ember.zeros(4, 5))", "RuntimeError", "[linear]", "(4, 5)")
    assert_raises_in_child("ember.nn.Linear(-1, 2)", "ValueError", "[Linear]")


def test_linear_default_init_bounds_and_moments():
    ember.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = _np(lin.weight), _np(lin.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.mean()) < 0.01 * bound * 10
    np.testing.assert_allclose(w.var(), bound ** 2 / 3, rtol=0.02)
    assert abs(np.abs(w).max() - bound) < bound * 0.01


def test_linear_init_reproducible():
    ember.manual_seed(7)
    a = nn.Linear(5, 5)
    ember.manual_seed(7)
    b = nn.Linear(5, 5)
    np.testing.assert_array_equal(_np(a.weight), _np(b.weight))
    np.testing.assert_array_equal(_np(a.bias), _np(b.bias))


def test_bilinear_matches_torch():
    torch = pytest.importorskip("torch")
    tb = torch.nn.Bilinear(3, 4, 5)
    eb = nn.Bilinear(3, 4, 5)
    eb.load_state_dict({k: v.numpy() for k, v in tb.state_dict().items()})
    rng = np.random.default_rng(1)
    x1 = rng.standard_normal((2, 6, 3)).astype(np.float32)
    x2 = rng.standard_normal((2, 6, 4)).astype(np.float32)
    ref = tb(torch.from_numpy(x1), torch.from_numpy(x2)).detach().numpy()
    np.testing.assert_allclose(_np(eb(ember.from_numpy(x1), ember.from_numpy(x2))), ref, rtol=1e-5, atol=1e-5)


def test_flatten_unflatten_identity():
    x = ember.zeros(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(ember.zeros(2, 60)).shape == (2, 3, 20)
    assert nn.Identity(54, unused="x")(x) is x
    with pytest.raises(TypeError):
        nn.Unflatten(1, 5)


# ---------------------------------------------------------------- hooks


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: calls.append("pre") or (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append("post"))
    out = lin(ember.ones(1, 2))
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(_np(out), _np(lin.bias)[None], rtol=1e-6)
    h1.remove()
    h2.remove()
    lin(ember.ones(1, 2))
    assert calls == ["pre", "post"]
    h = lin.register_forward_hook(lambda m, a, kw, out: out * 0 + 1, with_kwargs=True)
    np.testing.assert_array_equal(_np(lin(ember.ones(1, 2))), [[1.0, 1.0]])
    h.remove()
    lin.register_forward_pre_hook(lambda m, a, kw: ((a[0] * 2,), kw), with_kwargs=True)
    np.testing.assert_allclose(_np(lin(ember.ones(1, 2))), _np(ember.ones(1, 2) * 2 @ lin.weight.t() + lin.bias),
                               rtol=1e-6)


def test_full_backward_hook():
    lin = nn.Linear(3, 2)
    got = {}

    def hook(m, gin, gout):
        got["gin"], got["gout"] = gin, gout

    lin.register_full_backward_hook(hook)
    x = ember.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(_np(got["gout"][0]), np.ones((4, 2)))
    np.testing.assert_allclose(_np(got["gin"][0]), _np(x.grad), rtol=1e-6)
    np.testing.assert_allclose(_np(x.grad), np.tile(_np(lin.weight).sum(0), (4, 1)), rtol=1e-5)
    # the hook may replace grad_input
    lin2 = nn.Linear(3, 2)
    lin2.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 0,))
    y = ember.randn(2, 3, requires_grad=True)
    lin2(y).sum().backward()
    assert (_np(y.grad) == 0).all()


def test_module_repr_custom_extra_repr_and_deepcopy():
    m = Net()
    c = copy.deepcopy(m)
    assert c.fc1.weight is not m.fc1.weight
    np.testing.assert_array_equal(_np(c.fc1.weight), _np(m.fc1.weight))
    assert isinstance(c.fc1.weight, nn.Parameter)
    assert repr(m).startswith("Net(\n  (fc1): Linear(in_features=4, out_features=8, bias=True)")


# ---------------------------------------------------------------- init


def test_calculate_gain():
    torch = pytest.importorskip("torch")
    for nl, p in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                  ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(nl, p) == pytest.approx(torch.nn.init.calculate_gain(nl, p))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("foo")


def test_init_distributions():
    ember.manual_seed(1)
    t = ember.empty(200, 300)
    init.uniform_(t, -2, 3)
    a = _np(t)
    assert a.min() >= -2 and a.max() <= 3 and abs(a.mean() - 0.5) < 0.05
    init.normal_(t, 1.0, 2.0)
    assert abs(_np(t).mean() - 1) < 0.05 and abs(_np(t).std() - 2) < 0.05
    init.xavier_uniform_(t, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 500)
    assert np.abs(_np(t)).max() <= bound
    init.xavier_normal_(t)
    assert abs(_np(t).std() - math.sqrt(2.0 / 500)) < 0.002
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert abs(_np(t).std() - math.sqrt(2.0 / 200)) < 0.003
    init.kaiming_uniform_(t, a=math.sqrt(5))
    assert np.abs(_np(t)).max() <= 1 / math.sqrt(300)
    init.constant_(t, 0.5)
    assert (_np(t) == 0.5).all()
    init.zeros_(t)
    init.ones_(t)
    assert (_np(t) == 1).all()
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(3))
    with pytest.raises(ValueError, match="Mode fan_x not supported"):
        init.kaiming_uniform_(t, mode="fan_x")


def test_init_reproducible_and_no_grad():
    p = nn.Parameter(ember.empty(10, 10))
    ember.manual_seed(3)
    init.kaiming_uniform_(p)
    a = _np(p).copy()
    ember.manual_seed(3)
    init.kaiming_uniform_(p)
    np.testing.assert_array_equal(a, _np(p))
    assert p.grad_fn is None and p.requires_grad
    g = ember.Generator().manual_seed(5)
    init.normal_(p, generator=g)
    b = _np(p).copy()
    init.normal_(p, generator=ember.Generator().manual_seed(5))
    np.testing.assert_array_equal(b, _np(p))


def test_trunc_normal():
    ember.manual_seed(0)
    t = init.trunc_normal_(ember.empty(100000), mean=0.5, std=1.0, a=-1.0, b=1.5)
    a = _np(t)
    assert a.min() >= -1.0 and a.max() <= 1.5
    al, be = -1.5, 1.0  # (a - mean) / std, (b - mean) / std

    def phi(x):
        return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)

    z = 0.5 * (math.erf(be / math.sqrt(2)) - math.erf(al / math.sqrt(2)))
    mean = 0.5 + (phi(al) - phi(be)) / z
    var = 1 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z) ** 2
    assert abs(a.mean() - mean) < 0.01 and abs(a.std() - math.sqrt(var)) < 0.01


def test_eye_dirac():
    t = init.eye_(ember.empty(3, 5))
    np.testing.assert_array_equal(_np(t), np.eye(3, 5))
    w = init.dirac_(ember.empty(4, 2, 3, 3), groups=2)
    ref = np.zeros((4, 2, 3, 3), np.float32)
    for g in range(2):
        for d in range(2):
            ref[g * 2 + d, d, 1, 1] = 1
    np.testing.assert_array_equal(_np(w), ref)
    with pytest.raises(ValueError):
        init.eye_(ember.empty(2, 2, 2))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_orthogonal(shape):
    ember.manual_seed(0)
    t = init.orthogonal_(ember.empty(*shape), gain=2.0)
    m = _np(t).reshape(shape[0], -1).astype(np.float64)
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, 4 * np.eye(m.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(m @ m.T, 4 * np.eye(m.shape[0]), atol=1e-5)


def test_orthogonal_equals_qr_of_same_draw():
    # Same normal draw as orthogonal_ makes: Q of its QR with a positive R diagonal.
    ember.manual_seed(11)
    a = _np(ember.empty(5, 3).normal_(0, 1)).astype(np.float64)
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    ember.manual_seed(11)
    t = init.orthogonal_(ember.empty(5, 3))
    np.testing.assert_allclose(_np(t), q, atol=1e-6)


def test_sparse():
    ember.manual_seed(0)
    t = init.sparse_(ember.empty(10, 7), sparsity=0.3)
    zeros_per_col = (_np(t) == 0).sum(0)
    assert (zeros_per_col == 3).all()
    with pytest.raises(ValueError):
        init.sparse_(ember.empty(3), 0.1)


def test_forward_hook_always_call_on_error():
    lin = nn.Linear(3, 2)
    seen = []
    lin.register_forward_hook(lambda m, a, out: seen.append(out), always_call=True)
    with pytest.raises(RuntimeError):
        lin(ember.zeros(1, 5))
    assert seen == [None]
