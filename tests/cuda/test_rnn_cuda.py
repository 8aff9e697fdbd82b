"""CUDA recurrent layers (csrc/ops/rnn: host time loop in rnn.cpp, GEMMs through mm_out,
pointwise steps in rnn_cuda.cu) vs the CPU kernels: RNN tanh/relu, LSTM (with
proj_size), GRU; multi-layer, bidirectional, batch_first, packed variable-length
input, given h0/c0, the cells; outputs, final states and every gradient (input,
h0/c0, each weight); float32 and float64; vs torch CUDA when available; mixed devices.

Skips as a whole without a usable GPU (or on a build without CUDA)."""
import copy

import numpy as np
import pytest

import ember
from ember import _C
from ember.nn.utils import rnn as eru

pytestmark = pytest.mark.cuda
if not ember.cuda.is_available():
    pytest.skip(f"no CUDA GPU: {_C.cuda.unavailable_reason()}", allow_module_level=True)

TOL = {ember.float32: dict(rtol=2e-4, atol=2e-5), ember.float64: dict(rtol=1e-10, atol=1e-11)}


def _host(t):
    return np.asarray(t.detach().cpu().numpy(), dtype=np.float64)


def _flat(out):
    if isinstance(out, eru.PackedSequence):  # a namedtuple: test it first
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [y for x in out for y in _flat(x)]
    return [out]


def _pair(cls, *args, dtype=ember.float32, **kw):
    ember.manual_seed(0)
    cpu = getattr(ember.nn, cls)(*args, **kw).to(dtype)
    gpu = copy.deepcopy(cpu).to("cuda")
    return cpu, gpu


def _leaf(x, dtype, device):
    return ember.tensor(x, device=device).to(dtype).detach().requires_grad_(True)


def _run(mod, x, hx, dtype, device, seed=11, packed_lengths=None):
    xs = _leaf(x, dtype, device)
    hs = None
    if hx is not None:
        hs = tuple(_leaf(h, dtype, device) for h in hx) if isinstance(hx, tuple) else _leaf(hx, dtype, device)
    inp = xs
    if packed_lengths is not None:
        inp = eru.pack_padded_sequence(xs, packed_lengths, enforce_sorted=True)
    out = mod(inp) if hs is None else mod(inp, hs)
    outs = _flat(out)
    rng = np.random.default_rng(seed)
    loss = None
    for o in outs:
        w = ember.tensor(rng.standard_normal(tuple(o.shape)), device=device).to(dtype)
        term = (o * w).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    leaves = [xs] + (list(hs) if isinstance(hs, tuple) else ([hs] if hs is not None else []))
    return outs, [t.grad for t in leaves], {n: p.grad for n, p in mod.named_parameters()}


def _check(cls, args, kw, x, hx=None, dtype=ember.float32, packed_lengths=None):
    cpu, gpu = _pair(cls, *args, dtype=dtype, **kw)
    oc, gc, pc = _run(cpu, x, hx, dtype, "cpu", packed_lengths=packed_lengths)
    og, gg, pg = _run(gpu, x, hx, dtype, "cuda", packed_lengths=packed_lengths)
    for i, (a, b) in enumerate(zip(oc, og)):
        assert b.device.type == "cuda"
        np.testing.assert_allclose(_host(b), _host(a), err_msg=f"{cls} output {i}", **TOL[dtype])
    for i, (a, b) in enumerate(zip(gc, gg)):
        np.testing.assert_allclose(_host(b), _host(a), err_msg=f"{cls} input grad {i}", **TOL[dtype])
    assert sorted(pc) == sorted(pg)
    for n in pc:
        np.testing.assert_allclose(_host(pg[n]), _host(pc[n]), err_msg=f"{cls} grad of {n}", **TOL[dtype])


def _x(T, B, I, seed=0):
    return np.random.default_rng(seed).standard_normal((T, B, I))


CASES = [
    ("RNN", (5, 16), dict()),
    ("RNN", (5, 16), dict(nonlinearity="relu", num_layers=2)),
    ("LSTM", (7, 32), dict()),
    ("LSTM", (7, 33), dict(num_layers=2, bidirectional=True)),
    ("LSTM", (7, 32), dict(proj_size=9)),
    ("LSTM", (6, 20), dict(proj_size=5, bidirectional=True, bias=False)),
    ("GRU", (7, 32), dict()),
    ("GRU", (7, 31), dict(num_layers=2, bidirectional=True)),
    ("GRU", (6, 20), dict(bias=False)),
]


@pytest.mark.parametrize("cls,args,kw", CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_matches_cpu(cls, args, kw):
    _check(cls, args, kw, _x(9, 4, args[0]))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_given_state_and_batch_first(cls):
    I, H, B, T = 5, 24, 3, 6
    D = 2
    x = np.random.default_rng(1).standard_normal((B, T, I))
    rng = np.random.default_rng(2)
    hx = rng.standard_normal((D, B, H))
    if cls == "LSTM":
        hx = (hx, rng.standard_normal((D, B, H)))
    _check(cls, (I, H), dict(batch_first=True, bidirectional=True), x, hx=hx)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_packed_variable_lengths(cls):
    x = _x(8, 5, 6, seed=3)
    _check(cls, (6, 16), dict(bidirectional=True), x, packed_lengths=[8, 6, 6, 3, 1])


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_float64(cls):
    _check(cls, (4, 12), dict(num_layers=2), _x(5, 3, 4, seed=4), dtype=ember.float64)


@pytest.mark.parametrize("cls,n", [("LSTMCell", 2), ("GRUCell", 1), ("RNNCell", 1)])
def test_cells(cls, n):
    I, H, B = 6, 40, 5
    cpu, gpu = _pair(cls, I, H)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((B, I))
    hx = [rng.standard_normal((B, H)) for _ in range(n)]
    res = []
    for mod, dev in ((cpu, "cpu"), (gpu, "cuda")):
        xs = _leaf(x, ember.float32, dev)
        hs = [_leaf(h, ember.float32, dev) for h in hx]
        out = mod(xs, tuple(hs) if n == 2 else hs[0])
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        w = np.random.default_rng(6)
        loss = sum((o * ember.tensor(w.standard_normal(tuple(o.shape)), device=dev).float()).sum() for o in outs)
        loss.backward()
        res.append((outs, [xs.grad] + [h.grad for h in hs], [p.grad for p in mod.parameters()]))
    for a_list, b_list in zip(res[0], res[1]):
        for a, b in zip(a_list, b_list):
            np.testing.assert_allclose(_host(b), _host(a), **TOL[ember.float32])


def test_longer_sequence_and_wide_hidden():
    _check("LSTM", (64, 256), dict(), _x(50, 16, 64, seed=7))


def test_mixed_device_error():
    _, gpu = _pair("LSTM", 4, 8)
    with pytest.raises(RuntimeError, match=r"same device.*cuda:0.*cpu"):
        gpu(ember.randn(3, 2, 4))
    with pytest.raises(RuntimeError, match=r"same device"):
        gpu(ember.randn(3, 2, 4, device="cuda"), (ember.zeros(1, 2, 8), ember.zeros(1, 2, 8)))
    _, gcell = _pair("GRUCell", 4, 8)
    with pytest.raises(RuntimeError, match=r"same device"):
        gcell(ember.randn(2, 4))
    # the native entry point checks too
    x = ember.randn(6, 4, device="cuda")
    w_ih, w_hh = ember.randn(32, 4, device="cuda"), ember.randn(32, 8)
    h0 = ember.zeros(2, 8, device="cuda")
    with pytest.raises(RuntimeError, match=r"same device"):
        _C.rnn_layer_forward(2, x._a, h0._a, h0._a, w_ih._a, w_hh._a, None, None, None, [2, 2, 2], False)


def test_vs_torch_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch without CUDA")
    for cls, kw in (("LSTM", dict(num_layers=2, bidirectional=True)), ("GRU", dict()), ("LSTM", dict(proj_size=7))):
        torch.manual_seed(0)
        t = getattr(torch.nn, cls)(6, 20, **kw).cuda()
        e = getattr(ember.nn, cls)(6, 20, **kw)
        e.load_state_dict({k: ember.tensor(v.detach().cpu().numpy()) for k, v in t.state_dict().items()})
        e = e.to("cuda")
        x = _x(7, 3, 6, seed=8).astype(np.float32)
        xe = ember.tensor(x, device="cuda").requires_grad_(True)
        xt = torch.tensor(x, device="cuda", requires_grad=True)
        ye, _ = e(xe)
        yt, _ = t(xt)
        ye.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(_host(ye), yt.detach().cpu().double().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(_host(xe.grad), xt.grad.cpu().double().numpy(), rtol=1e-4, atol=1e-5)
        pt = dict(t.named_parameters())
        for n, p in e.named_parameters():
            np.testing.assert_allclose(_host(p.grad), pt[n].grad.cpu().double().numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=n)
