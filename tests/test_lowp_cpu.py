"""float16 / bfloat16 on the CPU for the ops whose kernels are float32/float64 only:
pooling (max / avg / adaptive / max_unpool / lp), interpolate (every mode) and the
recurrent layers (RNN, LSTM, GRU and their cells). They run their float32 kernels on
widened copies and round the results once (csrc/core/lowp_compute.h).

Checked here: against torch CPU in the same dtype (values, dtypes, input and weight
gradients); bit-equality with ember's own float32 run rounded once (the contract of
the helper); the output dtypes of torch.autocast('cpu') for these ops and layers; a
LeNet-style conv -> relu -> pool -> linear step under autocast against torch; bad
dtypes still refused with the op's name."""
import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember.nn._functional.rnn import rnn_layer

torch = pytest.importorskip("torch")
TF = torch.nn.functional

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

rng = np.random.default_rng(0)

DTS = ["bfloat16", "float16"]
EPS = {"bfloat16": 2.0 ** -8, "float16": 2.0 ** -11}  # half an ulp, relative: one rounding


def _data(shape, dt, scale=1.0):
    """float32 values exactly representable in dt (the same inputs for both libraries)."""
    a = (rng.standard_normal(shape) * scale).astype(np.float32)
    return torch.tensor(a).to(getattr(torch, dt)).float().numpy()


def _e(a, dt, grad=False):
    t = ember.tensor(a).to(getattr(ember, dt))
    return t.requires_grad_() if grad else t


def _t(a, dt, grad=False):
    t = torch.tensor(a).to(getattr(torch, dt))
    return t.requires_grad_() if grad else t


def _np(t):
    return t.detach().float().numpy()


def _name(dt):
    return str(dt).split(".")[-1]


def _close(e, t, dt, ulps, what="", summed=False):
    """|e - t| <= ulps units in the last place of dt (relative), plus a tiny floor for
    values that cancel to about 0 (float32 sums in a different order). summed: torch
    accumulated e in dt itself (pool backwards), so its error scales with the largest
    terms, not with the result: the floor is ulps of the largest magnitude."""
    e, t = np.asarray(e, np.float64), np.asarray(t, np.float64)
    assert e.shape == t.shape, what
    scale = max(1.0, float(np.abs(t).max(initial=0)))
    floor = ulps * 2 * EPS[dt] * float(np.abs(t).max(initial=0)) if summed else 0.0
    tol = ulps * 2 * EPS[dt] * np.maximum(np.abs(e), np.abs(t)) + 1e-6 * scale + floor
    bad = np.abs(e - t) > tol
    assert not bad.any(), (f"{what}: {bad.sum()} of {bad.size} differ, max |diff| {np.abs(e - t).max()}, "
                           f"e={e[bad][:4]} t={t[bad][:4]}")


# ---------------------------------------------------------------------- pooling and interpolation
# name -> (fn(F, x), input shape, forward ulps vs torch, backward ulps vs torch). 0 ulps:
# bit-equal to torch (max pooling and nearest copy values; torch's float32-accumulating
# averages round once like ember). Where torch itself rounds in between (bicubic,
# linear and trilinear weights in the low dtype, area 3-D, the backward's low-precision
# accumulation) ember's single rounding may differ by a few ulps.
POOL = {
    "max_pool1d": (lambda F, x: F.max_pool1d(x, 3, 2, 1), (2, 3, 23), 0, 2),
    "max_pool1d_fast": (lambda F, x: F.max_pool1d(x, 2), (2, 3, 24), 0, 0),
    "max_pool2d": (lambda F, x: F.max_pool2d(x, 3, 2, 1), (2, 3, 17, 19), 0, 2),
    "max_pool2d_fast": (lambda F, x: F.max_pool2d(x, 2), (2, 4, 16, 18), 0, 0),
    "max_pool2d_dil_ceil": (lambda F, x: F.max_pool2d(x, (3, 2), (2, 1), (1, 0), dilation=(2, 1), ceil_mode=True),
                            (2, 3, 15, 9), 0, 2),
    "max_pool2d_unbatched": (lambda F, x: F.max_pool2d(x, 2, 1), (3, 7, 8), 0, 2),
    "avg_pool1d": (lambda F, x: F.avg_pool1d(x, 3, 2, 1), (2, 3, 23), 1, 2),
    "avg_pool1d_ceil": (lambda F, x: F.avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False), (2, 3, 21),
                        1, 2),
    "avg_pool2d": (lambda F, x: F.avg_pool2d(x, 3, 2, 1), (2, 3, 17, 19), 1, 2),
    "avg_pool2d_fast": (lambda F, x: F.avg_pool2d(x, 2), (2, 4, 16, 18), 1, 1),
    "avg_pool2d_divisor": (lambda F, x: F.avg_pool2d(x, 3, 1, 1, divisor_override=5), (2, 3, 9, 8), 1, 2),
    "avg_pool2d_no_pad": (lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                          (2, 3, 10, 11), 1, 2),
    "adaptive_avg_pool1d": (lambda F, x: F.adaptive_avg_pool1d(x, 7), (2, 3, 23), 1, 2),
    "adaptive_avg_pool2d": (lambda F, x: F.adaptive_avg_pool2d(x, (5, 7)), (2, 3, 17, 19), 1, 2),
    "adaptive_avg_pool2d_1": (lambda F, x: F.adaptive_avg_pool2d(x, 1), (2, 8, 6, 7), 1, 1),
    "adaptive_max_pool1d": (lambda F, x: F.adaptive_max_pool1d(x, 7), (2, 3, 23), 0, 2),
    "adaptive_max_pool2d": (lambda F, x: F.adaptive_max_pool2d(x, (5, 7)), (2, 3, 17, 19), 0, 2),
    "lp_pool2d": (lambda F, x: F.lp_pool2d(x, 2, 2), (2, 3, 8, 10), 3, 4),
    "max_unpool2d": (lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), (2, 3, 8, 10), 0, 0),
    "max_unpool1d": (lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 3, 2, 1, return_indices=True), 3, 2, 1),
                     (2, 3, 15), 0, 0),
    "nearest1d": (lambda F, x: F.interpolate(x, size=37), (2, 3, 15), 0, 0),
    "nearest2d": (lambda F, x: F.interpolate(x, size=(30, 11), mode="nearest"), (2, 3, 17, 19), 0, 1),
    "nearest2d_x2": (lambda F, x: F.interpolate(x, scale_factor=2), (2, 3, 5, 6), 0, 1),
    "nearest_exact2d": (lambda F, x: F.interpolate(x, size=(9, 31), mode="nearest-exact"), (2, 3, 17, 19), 0, 1),
    "nearest3d": (lambda F, x: F.interpolate(x, size=(3, 9, 5), mode="nearest"), (1, 2, 5, 6, 7), 0, 1),
    "linear1d": (lambda F, x: F.interpolate(x, size=40, mode="linear"), (2, 3, 15), 2, 1),
    "linear1d_ac": (lambda F, x: F.interpolate(x, size=7, mode="linear", align_corners=True), (2, 3, 15), 2, 1),
    "bilinear": (lambda F, x: F.interpolate(x, size=(30, 11), mode="bilinear"), (2, 3, 17, 19), 1, 1),
    "bilinear_ac": (lambda F, x: F.interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=True),
                    (2, 3, 9, 8), 1, 1),
    "bicubic": (lambda F, x: F.interpolate(x, size=(30, 11), mode="bicubic"), (2, 3, 17, 19), 3, 1),
    "trilinear": (lambda F, x: F.interpolate(x, size=(7, 9, 4), mode="trilinear"), (1, 2, 5, 6, 7), 3, 1),
    "area1d": (lambda F, x: F.interpolate(x, size=7, mode="area"), (2, 3, 23), 1, 2),
    "area2d": (lambda F, x: F.interpolate(x, size=(5, 7), mode="area"), (2, 3, 17, 19), 1, 2),
    "area3d": (lambda F, x: F.interpolate(x, size=(3, 4, 5), mode="area"), (1, 2, 5, 6, 7), 2, 2),
}


# torch rounds to the low dtype between the taps of these (weights or partial sums in
# the low dtype): its error scales with the terms, not with the result.
TORCH_ROUNDS_BETWEEN = {"linear1d", "linear1d_ac", "bicubic", "trilinear", "area3d", "lp_pool2d"}


def _pool_run(lib, fn, a, dt, g):
    F = EF if lib is ember else TF
    mk = _e if lib is ember else _t
    x = mk(a, dt, grad=True)
    y = fn(F, x)
    y.backward(mk(g, dt))
    return y, x.grad


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("name", sorted(POOL))
def test_pool_matches_torch(name, dt):
    fn, shape, fwd_ulps, bwd_ulps = POOL[name]
    a = _data(shape, dt)
    yshape = tuple(fn(TF, torch.tensor(a)).shape)
    g = _data(yshape, dt)
    ye, ge = _pool_run(ember, fn, a, dt, g)
    yt, gt = _pool_run(torch, fn, a, dt, g)
    assert _name(ye.dtype) == _name(yt.dtype) == dt
    assert _name(ge.dtype) == _name(gt.dtype) == dt
    _close(_np(ye), _np(yt), dt, fwd_ulps, f"{name} forward", summed=name in TORCH_ROUNDS_BETWEEN)
    _close(_np(ge), _np(gt), dt, bwd_ulps, f"{name} backward", summed=True)


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("name", sorted(set(POOL) - {"lp_pool2d"}))  # lp_pool: composed, each op rounds
def test_pool_is_float32_rounded_once(name, dt):
    """The low-precision result is ember's float32 result on the widened input, rounded
    once (bit for bit), forward and backward."""
    fn, shape, _, _ = POOL[name]
    a = _data(shape, dt)
    g = _data(tuple(fn(TF, torch.tensor(a)).shape), dt)
    y, gx = _pool_run(ember, fn, a, dt, g)
    y32, gx32 = _pool_run(ember, fn, a, "float32", g)
    np.testing.assert_array_equal(_np(y), _np(y32.to(getattr(ember, dt))))
    np.testing.assert_array_equal(_np(gx), _np(gx32.to(getattr(ember, dt))))


@pytest.mark.parametrize("dt", DTS)
def test_max_pool_indices_and_non_contiguous(dt):
    a = _data((2, 3, 12, 10), dt)
    xe, xt = _e(a, dt).transpose(2, 3), _t(a, dt).transpose(2, 3)  # (2, 3, 10, 12) views
    for fe, ft in ((lambda x: EF.max_pool2d(x, 3, 2, 1, return_indices=True),
                    lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True)),
                   (lambda x: EF.adaptive_max_pool2d(x, (4, 5), return_indices=True),
                    lambda x: TF.adaptive_max_pool2d(x, (4, 5), return_indices=True)),
                   (lambda x: EF.max_pool1d(x[:, :, 1], 2, return_indices=True),
                    lambda x: TF.max_pool1d(x[:, :, 1], 2, return_indices=True))):
        (ye, ie), (yt, it) = fe(xe), ft(xt)
        assert ie.dtype == ember.int64 and ye.dtype == getattr(ember, dt)
        np.testing.assert_array_equal(_np(ye), _np(yt))
        np.testing.assert_array_equal(ie.numpy(), it.numpy())
    # strided (sliced) input of avg / interpolate
    ye = EF.avg_pool2d(_e(a, dt)[:, ::2, 1:, ::2], 2, 1)
    yt = TF.avg_pool2d(_t(a, dt)[:, ::2, 1:, ::2], 2, 1)
    _close(_np(ye), _np(yt), dt, 1, "avg_pool2d of a strided view")
    ye = EF.interpolate(_e(a, dt).transpose(2, 3), size=(7, 9), mode="bilinear")
    yt = TF.interpolate(_t(a, dt).transpose(2, 3), size=(7, 9), mode="bilinear")
    _close(_np(ye), _np(yt), dt, 1, "bilinear of a transposed view")


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias(dt, mode):
    """torch's CPU antialias kernels refuse float16/bfloat16; ember runs them in float32:
    torch's float32 result rounded once."""
    a = _data((2, 3, 17, 19), dt)
    ye = EF.interpolate(_e(a, dt), size=(6, 8), mode=mode, antialias=True)
    yt = TF.interpolate(torch.tensor(a), size=(6, 8), mode=mode, antialias=True).to(getattr(torch, dt))
    assert ye.dtype == getattr(ember, dt)
    _close(_np(ye), _np(yt), dt, 1, "antialias")


@pytest.mark.parametrize("dt", DTS)
def test_pool_double_backward(dt):
    """Backward Functions stay differentiable in the low dtype (avg: the forward again)."""
    for fn in (lambda F, x: F.avg_pool2d(x, 2), lambda F, x: F.max_pool2d(x, 2, 1),
               lambda F, x: F.interpolate(x, size=(7, 5), mode="bilinear")):
        a = _data((1, 2, 6, 6), dt)
        res = []
        for lib, F, mk in ((ember, EF, _e), (torch, TF, _t)):
            x = mk(a, dt, grad=True)
            y = fn(F, x)
            (gx,) = lib.autograd.grad(y.float().pow(2).sum(), x, create_graph=True)
            (ggx,) = lib.autograd.grad(gx.float().sum(), x)
            res.append((_np(gx), _np(ggx)))
        _close(res[0][0], res[1][0], dt, 2, "grad")
        _close(res[0][1], res[1][1], dt, 2, "grad of grad")


# ---------------------------------------------------------------------- recurrent layers
RNNS = {
    "lstm": (lambda m: m.nn.LSTM(5, 8), False),
    "lstm_proj": (lambda m: m.nn.LSTM(5, 8, proj_size=3), False),
    "lstm_2l_bi": (lambda m: m.nn.LSTM(5, 6, num_layers=2, bidirectional=True), False),
    "gru": (lambda m: m.nn.GRU(5, 8), False),
    "gru_2l_bi_bf": (lambda m: m.nn.GRU(5, 6, num_layers=2, bidirectional=True, batch_first=True), False),
    "rnn_tanh": (lambda m: m.nn.RNN(5, 8), False),
    "rnn_relu_bi": (lambda m: m.nn.RNN(5, 8, nonlinearity="relu", bidirectional=True), False),
    "lstm_cell": (lambda m: m.nn.LSTMCell(5, 8), True),
    "gru_cell": (lambda m: m.nn.GRUCell(5, 8), True),
    "rnn_cell": (lambda m: m.nn.RNNCell(5, 8), True),
}


def _pair_modules(name, dt=None):
    ctor, cell = RNNS[name]
    torch.manual_seed(0)
    t = ctor(torch)
    e = ctor(ember)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    if dt is not None:
        # Round the float32 weights to dt first, so both libraries hold the same values.
        t = t.to(getattr(torch, dt))
        e = e.to(getattr(ember, dt))
        e.load_state_dict({k: ember.tensor(v.detach().float().numpy()).to(getattr(ember, dt))
                           for k, v in t.state_dict().items()})
    return t, e, cell


def _flat_out(o):
    if isinstance(o, (tuple, list)):
        return [v for x in o for v in _flat_out(x)]
    return [o]


def _rnn_sum(outs, lib):
    return sum((o.float() * (i + 1)).sum() for i, o in enumerate(outs))


def _tol(dt, steps=1):
    return {"bfloat16": 2.5e-2, "float16": 4e-3, "float32": 1e-5}[dt] * steps


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("name", sorted(RNNS))
def test_rnn_matches_torch(name, dt):
    t, e, cell = _pair_modules(name, dt)
    a = _data((3, 5) if cell else (4, 3, 5), dt)
    res = {}
    for lib, m, mk in ((torch, t, _t), (ember, e, _e)):
        x = mk(a, dt, grad=True)
        outs = _flat_out(m(x))
        _rnn_sum(outs, lib).backward()
        grads = [_np(x.grad)] + [_np(p.grad) for p in m.parameters()]
        res[lib] = ([_name(o.dtype) for o in outs], [_np(o) for o in outs], grads,
                    [_name(p.grad.dtype) for p in m.parameters()])
    assert res[ember][0] == res[torch][0] == [dt] * len(res[torch][0])
    assert res[ember][3] == res[torch][3]
    for oe, ot in zip(res[ember][1], res[torch][1]):
        np.testing.assert_allclose(oe, ot, rtol=_tol(dt), atol=_tol(dt))
    for i, (ge, gt) in enumerate(zip(res[ember][2], res[torch][2])):
        scale = max(1.0, float(np.abs(gt).max()))
        np.testing.assert_allclose(ge, gt, rtol=_tol(dt), atol=_tol(dt) * scale, err_msg=f"grad {i}")


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("name", ["lstm_proj", "lstm_2l_bi", "gru", "rnn_tanh"])
def test_rnn_is_float32_rounded_once(name, dt):
    """One layer's outputs in dt are the float32 run on the widened inputs, rounded once."""
    _, e, _ = _pair_modules(name, dt)
    a = _data((4, 3, 5), dt)
    outs = _flat_out(e(_e(a, dt)))
    e32 = e.float()
    outs32 = _flat_out(e32(_e(a, "float32")))
    if "2l" not in name:  # stacked layers round between layers (each layer's output is dt)
        for o, o32 in zip(outs, outs32):
            np.testing.assert_array_equal(_np(o), _np(o32.to(getattr(ember, dt))))
    for o, o32 in zip(outs, outs32):
        np.testing.assert_allclose(_np(o), _np(o32), rtol=_tol(dt), atol=_tol(dt))


@pytest.mark.parametrize("dt", DTS)
def test_rnn_packed_sequence(dt):
    from ember.nn.utils.rnn import pack_padded_sequence as pack_e
    from torch.nn.utils.rnn import pack_padded_sequence as pack_t

    t, e, _ = _pair_modules("lstm_2l_bi", dt)
    a = _data((5, 3, 5), dt)
    oe, (he, ce) = e(pack_e(_e(a, dt), [5, 3, 2]))
    ot, (ht, ct) = t(pack_t(_t(a, dt), [5, 3, 2]))
    for x, y in ((oe.data, ot.data), (he, ht), (ce, ct)):
        assert _name(x.dtype) == _name(y.dtype) == dt
        np.testing.assert_allclose(_np(x), _np(y), rtol=_tol(dt), atol=_tol(dt))


def test_rnn_layer_mixed_dtypes_refused():
    """The widening never hides a dtype mismatch: weights must share the input's dtype."""
    x = ember.zeros(6, 5).bfloat16()
    h0 = ember.zeros(2, 8).bfloat16()
    w_ih, w_hh = ember.zeros(8, 5), ember.zeros(8, 8)
    with pytest.raises(TypeError, match=r"\[rnn_tanh\] expected weight_ih of dtype bfloat16"):
        rnn_layer("RNN_TANH", x, h0, None, w_ih, w_hh, None, None, None, [2, 2, 2])
    with pytest.raises(TypeError, match=r"\[gru\] expected hx of dtype bfloat16"):
        rnn_layer("GRU", x, h0.half(), None, ember.zeros(24, 5).bfloat16(), ember.zeros(24, 8).bfloat16(), None,
                  None, None, [2, 2, 2])
    with pytest.raises(TypeError, match=r"\[lstm\] expected a float32 or float64 .*got int64"):
        rnn_layer("LSTM", ember.zeros(6, 5, dtype=ember.int64), h0, h0, w_ih, w_hh, None, None, None, [2, 2, 2])
    m = ember.nn.LSTM(5, 8)
    with pytest.raises(ValueError, match=r"\[lstm\] RNN input dtype \(ember.bfloat16\) does not match"):
        m(ember.zeros(3, 2, 5).bfloat16())


# ---------------------------------------------------------------------- autocast('cpu')
# (torch / ember, input dtype, autocast dtype, grad enabled): torch's CPU autocast output
# dtypes of the recurrent layers come from its composite implementations (see
# ember/amp/autocast_mode.py, _rnn_out_dtypes); cases where torch's oneDNN LSTM has no
# float16 primitive on this machine are skipped.
@pytest.mark.parametrize("ac", DTS)
@pytest.mark.parametrize("xdt", ["float32", "bfloat16", "float16"])
@pytest.mark.parametrize("name", sorted(RNNS))
def test_rnn_autocast_dtypes_match_torch(name, xdt, ac):
    t, e, cell = _pair_modules(name)
    a = _data((3, 5) if cell else (4, 3, 5), "bfloat16")
    res = {}
    for lib, m in ((torch, t), (ember, e)):
        x = lib.tensor(a).to(getattr(lib, xdt))
        try:
            with lib.autocast("cpu", dtype=getattr(lib, ac)):
                outs = _flat_out(m(x))
        except RuntimeError as err:
            if lib is torch and "primitive" in str(err):
                pytest.skip("torch's oneDNN LSTM has no float16 primitive here")
            raise
        res[lib] = ([_name(o.dtype) for o in outs], [_np(o) for o in outs])
    assert res[ember][0] == res[torch][0]
    for oe, ot in zip(res[ember][1], res[torch][1]):
        np.testing.assert_allclose(oe, ot, rtol=_tol(ac), atol=_tol(ac))


@pytest.mark.parametrize("name", ["lstm", "lstm_proj", "gru", "rnn_tanh", "lstm_cell", "gru_cell", "lstm_2l_bi"])
def test_rnn_autocast_forward_backward_matches_torch(name):
    """float32 parameters under autocast('cpu'): float32 grads, close to torch's."""
    t, e, cell = _pair_modules(name)
    a = _data((3, 5) if cell else (4, 3, 5), "float32")
    res = {}
    for lib, m in ((torch, t), (ember, e)):
        x = lib.tensor(a).requires_grad_()
        with lib.autocast("cpu"):
            outs = _flat_out(m(x))
            loss = _rnn_sum(outs, lib)
        loss.backward()
        res[lib] = (float(loss.detach()), _np(x.grad), [(_name(p.grad.dtype), _np(p.grad)) for p in m.parameters()])
    assert abs(res[ember][0] - res[torch][0]) <= 3e-2 * max(1.0, abs(res[torch][0]))
    np.testing.assert_allclose(res[ember][1], res[torch][1], rtol=5e-2, atol=5e-2)
    for (de, ge), (dt_, gt) in zip(res[ember][2], res[torch][2]):
        assert de == dt_ == "float32"
        np.testing.assert_allclose(ge, gt, rtol=5e-2, atol=5e-2 * max(1.0, float(np.abs(gt).max())))
    assert all(p.dtype == ember.float32 for p in e.parameters())


def test_rnn_autocast_explicit_states_and_packed():
    t, e, _ = _pair_modules("lstm")
    a = _data((4, 3, 5), "float32")
    h = _data((1, 3, 8), "float32")
    for states in ("f32", "bf16"):
        res = {}
        for lib, m in ((torch, t), (ember, e)):
            hx = tuple(lib.tensor(h) for _ in range(2))
            if states == "bf16":
                hx = tuple(v.to(lib.bfloat16) for v in hx)
            with lib.autocast("cpu"):
                o, (hn, cn) = m(lib.tensor(a), hx)
            res[lib] = [_name(v.dtype) for v in (o, hn, cn)]
        assert res[ember] == res[torch], states
    from ember.nn.utils.rnn import pack_padded_sequence as pack_e
    from torch.nn.utils.rnn import pack_padded_sequence as pack_t

    with torch.autocast("cpu"):
        ot, (ht, ct) = t(pack_t(torch.tensor(a), [4, 3, 1]))
    with ember.autocast("cpu"):
        oe, (he, ce) = e(pack_e(ember.tensor(a), [4, 3, 1]))
    assert [_name(v.dtype) for v in (oe.data, he, ce)] == [_name(v.dtype) for v in (ot.data, ht, ct)]
    np.testing.assert_allclose(_np(oe.data), _np(ot.data), rtol=3e-2, atol=3e-2)


# Pooling under autocast: a low-precision input keeps its dtype except for the ops in
# torch's CPU float32 list (max_unpool, and interpolate 'area' of a 5-D input, which
# torch runs as adaptive_avg_pool3d).
AUTOCAST_POOL = {
    "max_pool1d": (lambda F, x: F.max_pool1d(x[0], 2), 4),
    "max_pool2d": (lambda F, x: F.max_pool2d(x, 2), 4),
    "avg_pool1d": (lambda F, x: F.avg_pool1d(x[0], 2), 4),
    "avg_pool2d": (lambda F, x: F.avg_pool2d(x, 2), 4),
    "adaptive_avg_pool2d": (lambda F, x: F.adaptive_avg_pool2d(x, 3), 4),
    "adaptive_max_pool2d": (lambda F, x: F.adaptive_max_pool2d(x, 3), 4),
    "adaptive_avg_pool1d": (lambda F, x: F.adaptive_avg_pool1d(x[0], 3), 4),
    "adaptive_max_pool1d": (lambda F, x: F.adaptive_max_pool1d(x[0], 3), 4),
    "lp_pool2d": (lambda F, x: F.lp_pool2d(x, 2, 2), 4),
    "max_unpool2d": (lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), 4),
    "max_unpool1d": (lambda F, x: F.max_unpool1d(*F.max_pool1d(x[0], 2, return_indices=True), 2), 4),
    "interp_nearest": (lambda F, x: F.interpolate(x, scale_factor=2), 4),
    "interp_bilinear": (lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"), 4),
    "interp_bicubic": (lambda F, x: F.interpolate(x, size=(5, 9), mode="bicubic"), 4),
    "interp_linear": (lambda F, x: F.interpolate(x[0], size=9, mode="linear"), 4),
    "interp_area1d": (lambda F, x: F.interpolate(x[0], size=3, mode="area"), 4),
    "interp_area2d": (lambda F, x: F.interpolate(x, size=3, mode="area"), 4),
    "interp_area3d": (lambda F, x: F.interpolate(x, size=(2, 3, 3), mode="area"), 5),
    "interp_trilinear": (lambda F, x: F.interpolate(x, size=(3, 5, 5), mode="trilinear"), 5),
    "interp_nearest3d": (lambda F, x: F.interpolate(x, size=(3, 5, 5)), 5),
}


@pytest.mark.parametrize("ac", DTS)
@pytest.mark.parametrize("xdt", ["float32", "bfloat16"])
@pytest.mark.parametrize("name", sorted(AUTOCAST_POOL))
def test_pool_autocast_dtypes_match_torch(name, xdt, ac):
    fn, nd = AUTOCAST_POOL[name]
    a = _data((2, 3, 6, 8) if nd == 4 else (1, 2, 4, 6, 6), "bfloat16")
    res = {}
    for lib, F in ((torch, TF), (ember, EF)):
        x = lib.tensor(a).to(getattr(lib, xdt)).requires_grad_()
        with lib.autocast("cpu", dtype=getattr(lib, ac)):
            y = fn(F, x)
        y.float().sum().backward()
        res[lib] = (_name(y.dtype), _np(y), _name(x.grad.dtype), _np(x.grad))
    assert res[ember][0] == res[torch][0], f"{name}: ember {res[ember][0]}, torch {res[torch][0]}"
    assert res[ember][2] == res[torch][2] == xdt
    np.testing.assert_allclose(res[ember][1], res[torch][1], rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(res[ember][3], res[torch][3], rtol=2e-2, atol=2e-2)


def _lenet(lib, seed=0):
    g = np.random.default_rng(seed)
    shapes = ((6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (32, 16 * 4 * 4), (32,), (10, 32), (10,))
    return [lib.tensor((g.standard_normal(s) * (0.5 / np.sqrt(np.prod(s[1:]) if len(s) > 1 else 4.0)))
                       .astype(np.float32)).requires_grad_() for s in shapes]


def _lenet_forward(lib, F, ps, x, pool):
    c1, b1, c2, b2, l1, lb1, l2, lb2 = ps
    h = pool(F, F.relu(F.conv2d(x, c1, b1)))         # (N, 6, 12, 12)
    h = pool(F, F.relu(F.conv2d(h, c2, b2)))         # (N, 16, 4, 4)
    h = F.relu(F.linear(h.flatten(1), l1, lb1))
    return F.linear(h, l2, lb2)


@pytest.mark.parametrize("pool", ["max", "avg", "adaptive_avg", "adaptive_max"])
@pytest.mark.parametrize("ac", DTS)
def test_lenet_under_autocast_matches_torch(pool, ac):
    """conv -> relu -> pool -> ... -> linear -> cross_entropy, forward and backward under
    autocast('cpu'): the pools take the convolutions' low-precision outputs."""
    pools = {"max": lambda F, h: F.max_pool2d(h, 2), "avg": lambda F, h: F.avg_pool2d(h, 2),
             "adaptive_avg": lambda F, h: F.adaptive_avg_pool2d(h, (h.shape[2] // 2, h.shape[3] // 2)),
             "adaptive_max": lambda F, h: F.adaptive_max_pool2d(h, (h.shape[2] // 2, h.shape[3] // 2))}
    x = _data((4, 1, 28, 28), "float32")
    y = np.array([3, 1, 4, 1])
    res = {}
    for lib, F in ((torch, TF), (ember, EF)):
        ps = _lenet(lib)
        with lib.autocast("cpu", dtype=getattr(lib, ac)):
            logits = _lenet_forward(lib, F, ps, lib.tensor(x), pools[pool])
            loss = F.cross_entropy(logits, lib.tensor(y))
        assert _name(logits.dtype) == ac and _name(loss.dtype) == "float32"
        loss.backward()
        res[lib] = (float(loss.detach()), _np(logits), [_np(p.grad) for p in ps], [_name(p.grad.dtype) for p in ps])
    assert abs(res[ember][0] - res[torch][0]) < 3e-2
    np.testing.assert_allclose(res[ember][1], res[torch][1], rtol=5e-2, atol=5e-2)
    assert res[ember][3] == res[torch][3] == ["float32"] * 8
    for i, (ge, gt) in enumerate(zip(res[ember][2], res[torch][2])):
        np.testing.assert_allclose(ge, gt, rtol=5e-2, atol=5e-2 * max(1e-2, float(np.abs(gt).max())),
                                   err_msg=f"param {i}")


# ---------------------------------------------------------------------- bad input
BAD = [
    (lambda x: EF.max_pool2d(x, 2), "max_pool2d"),
    (lambda x: EF.max_pool1d(x[0], 2), "max_pool1d"),
    (lambda x: EF.avg_pool2d(x, 2), "avg_pool2d"),
    (lambda x: EF.avg_pool1d(x[0], 2), "avg_pool1d"),
    (lambda x: EF.adaptive_avg_pool2d(x, 2), "adaptive_avg_pool2d"),
    (lambda x: EF.adaptive_max_pool2d(x, 2), "adaptive_max_pool2d"),
    (lambda x: EF.adaptive_avg_pool1d(x[0], 2), "adaptive_avg_pool1d"),
    (lambda x: EF.interpolate(x, size=3), "interpolate"),
    (lambda x: EF.interpolate(x, size=3, mode="bilinear"), "interpolate"),
]


@pytest.mark.parametrize("dt", ["int64", "int32", "bool"])
@pytest.mark.parametrize("i", range(len(BAD)))
def test_integer_input_refused_with_op_name(i, dt):
    fn, op = BAD[i]
    x = ember.zeros(2, 3, 6, 6, dtype=getattr(ember, dt))
    with pytest.raises(TypeError, match=rf"\[{op}\] expected a float32 or float64 .*got {dt}"):
        fn(x)


def test_unpool_bad_indices_in_low_precision():
    x = ember.zeros(1, 1, 2, 2).bfloat16()
    with pytest.raises(RuntimeError, match=r"\[max_unpool2d\] found an invalid max index 100"):
        EF.max_unpool2d(x, ember.tensor([[[[0, 1], [2, 100]]]]), 2)
    with pytest.raises(TypeError, match=r"int64"):
        EF.max_unpool2d(x, ember.zeros(1, 1, 2, 2).bfloat16(), 2)
