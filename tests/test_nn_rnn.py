"""Recurrent layers (ember.nn.RNN/LSTM/GRU, the cells, nn.utils.rnn packing) against
PyTorch: outputs, final states and every gradient (input, h0/c0, each weight) after
copying the weights through state_dict; float64 gradcheck of the fused kernels; bad
input in a child process."""
import numpy as np
import pytest

import ember
from ember.nn.utils import rnn as eru
from helpers import assert_raises_in_child, needs_torch

torch = pytest.importorskip("torch")
tru = torch.nn.utils.rnn


def _copy_weights(e, t):
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})


def _pair(cls, *args, dtype="float32", **kw):
    torch.manual_seed(0)
    t = getattr(torch.nn, cls)(*args, **kw)
    e = getattr(ember.nn, cls)(*args, **kw)
    if dtype == "float64":
        t = t.double()
        e = e.to(ember.float64)
    _copy_weights(e, t)
    return e, t


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [y for x in out for y in _flat(x)]
    if isinstance(out, (eru.PackedSequence, tru.PackedSequence)):
        return [out.data]
    return [out]


def _np(x):
    return x.detach().numpy()


def _check(e, t, inputs, run, atol=2e-5, rtol=1e-4, gatol=1e-4):
    """run(model, lib, *tensors) on both; compares outputs, input grads and param grads."""
    ets = [ember.tensor(a, requires_grad=True) for a in inputs]
    tts = [torch.tensor(a, requires_grad=True) for a in inputs]
    eo, to = _flat(run(e, ember, *ets)), _flat(run(t, torch, *tts))
    assert len(eo) == len(to)
    rng = np.random.default_rng(1)
    el, tl = 0, 0
    for i, (a, b) in enumerate(zip(eo, to)):
        assert tuple(a.shape) == tuple(b.shape), (i, a.shape, b.shape)
        np.testing.assert_allclose(_np(a), _np(b), atol=atol, rtol=rtol, err_msg=f"output {i}")
        w = rng.standard_normal(tuple(b.shape)).astype(_np(b).dtype)
        el = el + (a * ember.tensor(w)).sum()
        tl = tl + (b * torch.tensor(w)).sum()
    el.backward()
    tl.backward()
    for i, (a, b) in enumerate(zip(ets, tts)):
        np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), atol=gatol, rtol=rtol, err_msg=f"grad of input {i}")
    for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        assert p.grad is not None, n
        np.testing.assert_allclose(_np(p.grad), q.grad.numpy(), atol=gatol, rtol=rtol, err_msg=f"grad of {n}")


def _f32(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


CONFIGS = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}), ("GRU", {"num_layers": 2, "batch_first": True}),
    ("RNN", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 3}), ("LSTM", {"proj_size": 4, "num_layers": 2, "bidirectional": True,
                                          "batch_first": True}),
    ("GRU", {"bias": False, "bidirectional": True}), ("LSTM", {"bias": False, "num_layers": 2}),
]


@needs_torch
@pytest.mark.parametrize("cls,kw", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_matches_torch(cls, kw, with_state):
    e, t = _pair(cls, 5, 7, **kw)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    hout = kw.get("proj_size", 0) or 7
    T, B = 6, 3
    x = _f32(B, T, 5) if kw.get("batch_first") else _f32(T, B, 5)
    inputs = [x]
    if with_state:
        inputs.append(_f32(L * D, B, hout, seed=1))
        if cls == "LSTM":
            inputs.append(_f32(L * D, B, 7, seed=2))

    def run(m, lib, x, *state):
        if not state:
            return m(x)
        return m(x, tuple(state) if cls == "LSTM" else state[0])

    _check(e, t, inputs, run)


@needs_torch
@pytest.mark.parametrize("cls,kw", [("LSTM", {}), ("GRU", {"batch_first": True}), ("RNN", {}),
                                    ("LSTM", {"proj_size": 2, "bidirectional": True})])
def test_unbatched_input(cls, kw):
    e, t = _pair(cls, 4, 5, **kw)
    D = 2 if kw.get("bidirectional") else 1
    hout = kw.get("proj_size", 0) or 5
    inputs = [_f32(6, 4), _f32(D, hout, seed=1)] + ([_f32(D, 5, seed=2)] if cls == "LSTM" else [])

    def run(m, lib, x, *state):
        return m(x, tuple(state) if cls == "LSTM" else state[0])

    _check(e, t, inputs, run)


@needs_torch
@pytest.mark.parametrize("cls,kw", [("LSTM", {}), ("GRU", {"num_layers": 2, "bidirectional": True}),
                                    ("RNN", {"bidirectional": True}), ("LSTM", {"proj_size": 3, "num_layers": 2,
                                                                               "bidirectional": True})])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_sequences_match_torch(cls, kw, enforce_sorted, batch_first):
    e, t = _pair(cls, 4, 6, batch_first=batch_first, **kw)
    lengths = [7, 5, 5, 2] if enforce_sorted else [3, 7, 1, 5]
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    hout = kw.get("proj_size", 0) or 6
    x = _f32(4, 7, 4) if batch_first else _f32(7, 4, 4)
    inputs = [x, _f32(L * D, 4, hout, seed=1)] + ([_f32(L * D, 4, 6, seed=2)] if cls == "LSTM" else [])

    def run(m, lib, x, *state):
        u = tru if lib is torch else eru
        p = u.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        out, h = m(p, tuple(state) if cls == "LSTM" else state[0])
        padded, lens = u.pad_packed_sequence(out, batch_first=batch_first, total_length=7)
        assert list(lens.tolist()) == lengths
        return padded, h

    _check(e, t, inputs, run)


@needs_torch
def test_packed_batch_equals_each_sequence_alone():
    e = ember.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    seqs = [_f32(n, 3, seed=n) for n in (2, 6, 4)]
    packed = eru.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    out, (h, c) = e(packed)
    outs = eru.unpack_sequence(out)
    for i, s in enumerate(seqs):
        o1, (h1, c1) = e(ember.tensor(s))
        np.testing.assert_allclose(outs[i].detach().numpy(), o1.detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(h[:, i].detach().numpy(), h1.detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(c[:, i].detach().numpy(), c1.detach().numpy(), atol=1e-6)


@needs_torch
@pytest.mark.parametrize("cls,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                    ("GRUCell", {}), ("GRUCell", {"bias": False}), ("LSTMCell", {"bias": False})])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(cls, kw, batched):
    e, t = _pair(cls, 5, 6, **kw)
    lead = (3,) if batched else ()
    inputs = [_f32(*lead, 5), _f32(*lead, 6, seed=1)] + ([_f32(*lead, 6, seed=2)] if cls == "LSTMCell" else [])

    def run(m, lib, x, *state):
        return m(x, tuple(state) if cls == "LSTMCell" else state[0])

    _check(e, t, inputs, run)
    # without a state
    xe, xt = ember.tensor(inputs[0]), torch.tensor(inputs[0])
    for a, b in zip(_flat(e(xe)), _flat(t(xt))):
        np.testing.assert_allclose(_np(a), _np(b), atol=2e-5)


@needs_torch
def test_dropout_eval_mode_and_training_effect():
    import warnings
    e, t = _pair("LSTM", 4, 5, num_layers=3, dropout=0.5)
    e.eval()
    t.eval()
    _check(e, t, [_f32(5, 2, 4)], lambda m, lib, x: m(x))
    e.train()
    o1, _ = e(ember.tensor(_f32(5, 2, 4)))
    e.eval()
    o2, _ = e(ember.tensor(_f32(5, 2, 4)))
    assert not np.allclose(o1.detach().numpy(), o2.detach().numpy())
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.nn.GRU(3, 4, dropout=0.2)
    assert any("num_layers greater than 1" in str(x.message) for x in w)


@pytest.mark.parametrize("cls,kw", [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
                                    ("LSTM", {"proj_size": 2, "bidirectional": True})])
def test_gradcheck_fused_kernels_float64(cls, kw):
    from ember.nn._functional.rnn import rnn_layer
    ember.manual_seed(0)
    m = getattr(ember.nn, cls)(3, 4, **kw).to(ember.float64)
    lstm = cls == "LSTM"
    D = 2 if kw.get("bidirectional") else 1
    hout = kw.get("proj_size", 0) or 4
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((4, 3, 3)) * 0.5, requires_grad=True)
    h0 = ember.tensor(rng.standard_normal((D, 3, hout)) * 0.5, requires_grad=True)
    c0 = ember.tensor(rng.standard_normal((D, 3, 4)) * 0.5, requires_grad=True)
    params = list(m.parameters())

    def f(x, h0, c0, *ps):
        out, h = m(x, (h0, c0) if lstm else h0)
        return (out, *h) if lstm else (out, h)

    assert ember.autograd.gradcheck(f, (x, h0, c0, *params), eps=1e-6, atol=1e-5)
    # a packed batch through one layer call (variable lengths, reverse too)
    xs = ember.tensor(rng.standard_normal((6, 3)), requires_grad=True)  # batch_sizes [3, 2, 1]
    hs = ember.tensor(rng.standard_normal((3, hout)), requires_grad=True)
    cs = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True) if lstm else None
    mode = m.mode
    w = m._layer_weights()[0]
    for rev in (False, True):
        def g(xs, hs, *ps):
            return rnn_layer(mode, xs, hs, cs, *w, [3, 2, 1], reverse=rev)
        assert ember.autograd.gradcheck(g, (xs, hs, *[p for p in w if p is not None]), eps=1e-6, atol=1e-5)


@needs_torch
def test_utils_match_torch():
    seqs = [_f32(n, 2, seed=n) for n in (3, 5, 1)]
    for side in ("left", "right"):
        for bf in (False, True):
            a = eru.pad_sequence([ember.tensor(s) for s in seqs], batch_first=bf, padding_value=2.0, padding_side=side)
            b = tru.pad_sequence([torch.tensor(s) for s in seqs], batch_first=bf, padding_value=2.0, padding_side=side)
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    pe = eru.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    pt = tru.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(pe.data.numpy(), pt.data.numpy())
    assert pe.batch_sizes.tolist() == pt.batch_sizes.tolist()
    assert pe.unsorted_indices.tolist() == pt.unsorted_indices.tolist()
    assert not pe.is_cuda and pe.to(ember.float64).data.dtype == ember.float64
    for a, s in zip(eru.unpack_sequence(pe), seqs):
        np.testing.assert_array_equal(a.numpy(), s)
    padded = eru.pad_sequence([ember.tensor(s) for s in seqs], batch_first=True)
    for a, s in zip(eru.unpad_sequence(padded, ember.tensor([3, 5, 1]), batch_first=True), seqs):
        np.testing.assert_array_equal(a.numpy(), s)
    a, la = eru.pad_packed_sequence(pe, total_length=6, padding_value=-1.0)
    b, lb = tru.pad_packed_sequence(pt, total_length=6, padding_value=-1.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert la.tolist() == lb.tolist()


# ---------------------------------------------------------------- bad input (child process)
BAD = [
    ("m = ember.nn.LSTM(4, 5); m(ember.zeros(3, 2, 6))", "RuntimeError", ["[lstm]", "Expected 4, got 6"]),
    ("m = ember.nn.GRU(4, 5); m(ember.zeros(3, 2, 4), ember.zeros(1, 3, 5))", "RuntimeError",
     ["[gru]", "(1, 2, 5)", "[1, 3, 5]"]),
    ("m = ember.nn.LSTM(4, 5); m(ember.zeros(3, 2, 4), (ember.zeros(1, 2, 5), ember.zeros(1, 2, 4)))",
     "RuntimeError", ["[lstm]", "hidden[1]", "(1, 2, 5)"]),
    ("m = ember.nn.RNN(4, 5); m(ember.zeros(3, 2, 4), ember.zeros(2, 5))", "RuntimeError", ["[rnn]", "3-D"]),
    ("m = ember.nn.RNN(4, 5); m(ember.zeros(3, 2, 4, 1))", "ValueError", ["[rnn]", "2D or 3D"]),
    ("m = ember.nn.LSTM(4, 5); m(ember.zeros(3, 2, 4, dtype=ember.float64))", "ValueError", ["[lstm]", "dtype"]),
    ("m = ember.nn.GRU(4, 5); m(ember.zeros(3, 2, 4, dtype=ember.int64))", "ValueError", ["[gru]", "int64"]),
    ("from ember.nn.utils.rnn import pack_padded_sequence as p; p(ember.zeros(5, 3, 2), [2, 5, 1])",
     "RuntimeError", ["[pack_padded_sequence]", "sorted in decreasing order"]),
    ("from ember.nn.utils.rnn import pack_padded_sequence as p; p(ember.zeros(5, 3, 2), [5, 3, 0])",
     "RuntimeError", ["[pack_padded_sequence]", "greater than 0"]),
    ("from ember.nn.utils.rnn import pack_padded_sequence as p; p(ember.zeros(5, 3, 2), [0, 5, 3], "
     "enforce_sorted=False)", "RuntimeError", ["[pack_padded_sequence]", "greater than 0"]),
    ("from ember.nn.utils.rnn import pack_padded_sequence as p; p(ember.zeros(5, 3, 2), [9, 3, 1])",
     "RuntimeError", ["[pack_padded_sequence]", "9", "5"]),
    ("from ember.nn.utils.rnn import pack_padded_sequence as p; p(ember.zeros(5, 3, 2), [5, 3])",
     "RuntimeError", ["[pack_padded_sequence]", "batch_size=3"]),
    ("from ember.nn.utils.rnn import pack_padded_sequence as p; p(ember.zeros(5, 3, 2), [-1, 3, 2], "
     "enforce_sorted=False)", "RuntimeError", ["[pack_padded_sequence]", "greater than 0"]),
    ("m = ember.nn.LSTMCell(3, 4); m(ember.zeros(2, 5))", "RuntimeError", ["[lstmcell]", "got 5 expected 3"]),
    ("m = ember.nn.GRUCell(3, 4); m(ember.zeros(2, 3), ember.zeros(5, 4))", "RuntimeError",
     ["[grucell]", "batch size 2", "5"]),
    ("m = ember.nn.RNNCell(3, 4); m(ember.zeros(2, 3, 1))", "ValueError", ["[rnncell]", "1D or 2D"]),
    ("ember.nn.LSTM(4, 5, proj_size=5)", "ValueError", ["[lstm]", "proj_size"]),
    ("ember.nn.GRU(4, -5)", "ValueError", ["[gru]", "hidden_size"]),
    ("ember.nn.LSTM(4, 5, num_layers=0)", "ValueError", ["[lstm]", "num_layers"]),
    ("ember.nn.RNN(4, 5, nonlinearity='gelu')", "ValueError", ["[rnn]", "gelu"]),
    ("ember.nn.LSTM(4, 5, dropout=1.5)", "ValueError", ["[lstm]", "dropout"]),
    ("m = ember.nn.LSTM(4, 5); m(ember.zeros(0, 2, 4))", "RuntimeError", ["[lstm]", "(0, 2, 4)"]),
    # the native entry points check their arguments themselves
    ("ember._C.rnn_layer_forward(2, ember.zeros(6, 3)._a, ember.zeros(3, 4)._a, ember.zeros(3, 4)._a, "
     "ember.zeros(16, 3)._a, ember.zeros(16, 4)._a, None, None, None, [3, 4], False)", "ValueError",
     ["[lstm]", "non-increasing"]),
    ("ember._C.rnn_layer_forward(3, ember.zeros(6, 3)._a, ember.zeros(3, 4)._a, None, "
     "ember.zeros(12, 3)._a, ember.zeros(12, 4)._a, None, None, None, [3, 2], False)", "ValueError",
     ["[gru]", "sum to 5", "6 rows"]),
    ("ember._C.rnn_layer_forward(0, ember.zeros(6, 3)._a, ember.zeros(3, 5)._a, None, "
     "ember.zeros(4, 3)._a, ember.zeros(4, 4)._a, None, None, None, [3, 3], False)", "ValueError",
     ["[rnn_tanh]", "(3, 4)", "(3, 5)"]),
    ("ember._C.rnn_layer_forward(0, ember.zeros(6, 3)._a, ember.zeros(3, 4)._a, None, "
     "ember.zeros(4, 3)._a, ember.zeros(4, 4)._a, None, None, None, [3, 0, 3], False)", "ValueError",
     ["[rnn_tanh]", "positive"]),
    ("ember._C.rnn_layer_forward(7, ember.zeros(6, 3)._a, ember.zeros(3, 4)._a, None, "
     "ember.zeros(4, 3)._a, ember.zeros(4, 4)._a, None, None, None, [3, 3], False)", "ValueError", ["[rnn]", "mode"]),
    ("ember._C.rnn_layer_forward(0, ember.zeros(6, 3, dtype=ember.int32)._a, ember.zeros(3, 4)._a, None, "
     "ember.zeros(4, 3)._a, ember.zeros(4, 4)._a, None, None, None, [3, 3], False)", "TypeError",
     ["[rnn_tanh]", "int32"]),
    ("ember._C.rnn_layer_forward(0, ember.zeros(6, 3)._a, ember.zeros(3, 4)._a, None, "
     "ember.zeros(4, 3)._a, ember.zeros(4, 4)._a, None, None, None, [2**62, 2**62], False)", "RuntimeError",
     ["[rnn_tanh]", "overflow"]),
    ("from ember.nn.utils.rnn import pack_padded_sequence as p; p(ember.zeros(5, 3, 2), [2**40, 3, 1])",
     "RuntimeError", ["[pack_padded_sequence]", "longer than"]),
]


@pytest.mark.parametrize("code,exc,subs", BAD)
def test_bad_input_raises_cleanly(code, exc, subs):
    assert_raises_in_child(code, exc, *subs)


def test_cuda_device_raises_cleanly():
    # No GPU here: either the tensor/module cannot be created on cuda, or the layer refuses it.
    code = ("m = ember.nn.LSTM(4, 5)\n"
            "x = ember.zeros(3, 2, 4, device='cuda')\n"
            "m(x)\n")
    assert_raises_in_child(code, "RuntimeError")
    assert_raises_in_child("ember.nn.GRUCell(3, 4, device='cuda')(ember.zeros(2, 3))", "RuntimeError")


@needs_torch
@pytest.mark.parametrize("simd", ["scalar", "avx2", "avx512"])
def test_every_simd_path_float32(simd):
    """The pointwise step kernels are built once per ISA: each path against torch (float32)."""
    from helpers import run_in_subprocess

    code = f"""
import os, numpy as np
os.environ['EMBER_SIMD'] = '{simd}'
import ember, torch
rng = np.random.default_rng(0)
for cls, kw in [("LSTM", {{"proj_size": 3}}), ("GRU", {{}}), ("RNN", {{}}), ("RNN", {{"nonlinearity": "relu"}})]:
    torch.manual_seed(0)
    t = getattr(torch.nn, cls)(5, 19, **kw)
    e = getattr(ember.nn, cls)(5, 19, **kw)
    e.load_state_dict({{k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()}})
    x = (rng.standard_normal((7, 3, 5)) * 3).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oe, oeh = e(xe)
    ot, oth = t(xt)
    assert np.allclose(oe.detach().numpy(), ot.detach().numpy(), atol=2e-5), (cls, abs(oe.detach().numpy() - ot.detach().numpy()).max())
    w = rng.standard_normal(ot.shape).astype(np.float32)
    (oe * ember.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    assert np.allclose(xe.grad.numpy(), xt.grad.numpy(), atol=1e-4), cls
    for p, q in zip(e.parameters(), t.parameters()):
        assert np.allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-4, rtol=1e-4), cls
print('ok')
"""
    r = run_in_subprocess(code)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


def _composed_lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """The LSTM cell from primitive ember ops: the oracle of the fused kernel."""
    g = x @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh
    i, f, gg, o = g.chunk(4, 1)
    c1 = f.sigmoid() * c + i.sigmoid() * gg.tanh()
    return o.sigmoid() * c1.tanh(), c1


def _composed_gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    gi, gh = x @ w_ih.t() + b_ih, h @ w_hh.t() + b_hh
    ir, iz, in_ = gi.chunk(3, 1)
    hr, hz, hn = gh.chunk(3, 1)
    r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
    n = (in_ + r * hn).tanh()
    return (1 - z) * n + z * h


@pytest.mark.parametrize("cls", ["LSTMCell", "GRUCell"])
def test_fused_cells_match_composed_oracle(cls):
    ember.manual_seed(0)
    m = getattr(ember.nn, cls)(6, 9).to(ember.float64)
    rng = np.random.default_rng(3)
    x, h, c = (ember.tensor(rng.standard_normal(s), requires_grad=True) for s in ((4, 6), (4, 9), (4, 9)))
    ps = [m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh]
    if cls == "LSTMCell":
        fused = m(x, (h, c))
        ref = _composed_lstm_cell(x, h, c, *ps)
    else:
        fused = (m(x, h),)
        ref = (_composed_gru_cell(x, h, *ps),)
    w = [ember.tensor(rng.standard_normal((4, 9))) for _ in fused]
    grads = []
    for outs in (fused, ref):
        for t in [x, h, c] + ps:
            t.grad = None
        sum((o * wi).sum() for o, wi in zip(outs, w)).backward()
        grads.append([None if t.grad is None else t.grad.numpy().copy() for t in [x, h] + ps])
    for a, b in zip(fused, ref):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ga, gb in zip(*grads):
        np.testing.assert_allclose(ga, gb, rtol=1e-10, atol=1e-12)
