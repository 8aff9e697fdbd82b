"""Pooling (ember.nn.functional max/avg/adaptive/lp pooling, max_unpool and the
ember.nn pooling layers): values, indices and gradients vs PyTorch over many window
geometries (windows over the edge, ceil_mode, dilation, count_include_pad,
divisor_override, ties, NaN), unbatched and non-contiguous inputs, float64
gradcheck and gradgradcheck, every SIMD path of the 2x2 kernels, reprs, bad input."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import assert_raises_in_child, compare_with_torch, needs_torch, torch

rng = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def ties(*shape):
    """Small integers: many equal values per window (torch keeps the first maximum)."""
    return rng.integers(0, 3, size=shape).astype(np.float32)


# (kernel_size, stride, padding, dilation, ceil_mode)
MAX2D = [
    (2, None, 0, 1, False),            # the vectorised 2x2 path
    (2, 2, 0, 1, True),                # 2x2 whose last window hangs over the edge (odd sizes)
    (3, 2, 1, 1, False),
    (3, 2, 1, 1, True),
    ((2, 3), (1, 2), (1, 1), (2, 1), True),
    (3, 1, 1, 2, False),
    ((1, 2), (3, 2), 0, 1, False),     # the 1x2 vectorised path, rows skipped
    (2, (1, 2), 0, 1, False),          # 2x2 path with overlapping rows
    (4, 3, 2, 1, True),
    ((3, 2), (2, 3), (1, 0), (1, 2), False),
    (5, 3, 2, 1, True),
]
SHAPES2D = [(2, 3, 9, 11), (1, 2, 8, 8), (2, 1, 7, 17)]


def _kw(cfg):
    k, s, p, d, c = cfg
    return dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=c)


@pytest.mark.parametrize("cfg", MAX2D)
@pytest.mark.parametrize("shape", SHAPES2D)
def test_max_pool2d_values_indices_grads(cfg, shape):
    kw = _kw(cfg)
    compare_with_torch(lambda lib, x: lib.nn.functional.max_pool2d(x, return_indices=True, **kw), randn(*shape))
    compare_with_torch(lambda lib, x: lib.nn.functional.max_pool2d(x, **kw), randn(*shape))


@needs_torch
@pytest.mark.parametrize("cfg", MAX2D)
def test_max_pool2d_ties_pick_first_maximum(cfg):
    x = ties(2, 3, 9, 11)
    kw = _kw(cfg)
    out = compare_with_torch(lambda lib, x: lib.nn.functional.max_pool2d(x, return_indices=True, **kw), x)
    _, ti = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(out[1].numpy(), ti.numpy())
    assert out[1].dtype == ember.int64


@needs_torch
def test_max_pool_nan_and_inf_follow_torch():
    x = randn(2, 2, 8, 9)
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 1, 0] = np.nan     # two NaNs in one 2x2 window: the last one's index
    x[1, 1, 4:6, 4:6] = -np.inf
    x[0, 1, 3, :] = np.inf
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(1, 2))]:
        ev, ei = F.max_pool2d(ember.tensor(x), return_indices=True, **kw)
        tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())


@needs_torch
@pytest.mark.parametrize("cfg", [(2, None, 0, 1, False), (3, 2, 1, 1, True), (4, 1, 2, 2, False), (2, 2, 1, 1, True),
                                 (5, 3, 0, 1, True), (3, 3, 1, 3, False)])
def test_max_pool1d(cfg):
    kw = _kw(cfg)
    compare_with_torch(lambda lib, x: lib.nn.functional.max_pool1d(x, return_indices=True, **kw), randn(3, 4, 17))
    out = compare_with_torch(lambda lib, x: lib.nn.functional.max_pool1d(x, return_indices=True, **kw), ties(3, 4, 17))
    ti = torch.nn.functional.max_pool1d(torch.tensor(ties(1, 1, 3)), 2, return_indices=True)[1]
    assert ti.dtype == torch.int64 and out[1].dtype == ember.int64


def test_max_pool_with_indices_aliases_and_unbatched():
    x = randn(3, 8, 10)
    compare_with_torch(lambda lib, x: lib.nn.functional.max_pool2d_with_indices(x, 3, 2, 1), x)
    compare_with_torch(lambda lib, x: lib.nn.functional.max_pool1d_with_indices(x, 3, 2, 1), x)
    compare_with_torch(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), x)  # (C, H, W)
    compare_with_torch(lambda lib, x: lib.nn.functional.max_pool1d(x[0], 2), x)  # (C, L)


def test_non_contiguous_inputs():
    x = randn(2, 3, 12, 10)
    for fn in [lambda lib, t: lib.nn.functional.max_pool2d(t.transpose(2, 3), 2, return_indices=True),
               lambda lib, t: lib.nn.functional.avg_pool2d(t[:, :, ::2], 3, 2, 1),
               lambda lib, t: lib.nn.functional.max_pool1d(t[:, 1, :, ::3], 2),
               lambda lib, t: lib.nn.functional.adaptive_avg_pool2d(t.permute(0, 1, 3, 2), (4, 5)),
               lambda lib, t: lib.nn.functional.adaptive_max_pool2d(t[..., 1:], 3, return_indices=True)]:
        compare_with_torch(fn, x)


def test_empty_batch():
    x = np.zeros((0, 3, 8, 8), np.float32)
    for fn in [lambda lib, t: lib.nn.functional.max_pool2d(t, 2, return_indices=True),
               lambda lib, t: lib.nn.functional.avg_pool2d(t, 3, 2, 1),
               lambda lib, t: lib.nn.functional.adaptive_avg_pool2d(t, 3),
               lambda lib, t: lib.nn.functional.adaptive_max_pool2d(t, 3)]:
        outs = compare_with_torch(fn, x)
        assert outs[0].shape[0] == 0


# ---------------------------------------------------------------- average pooling
AVG2D = [  # kernel, stride, padding, ceil_mode
    (2, None, 0, False), (2, 2, 0, True), (3, 2, 1, False), (3, 2, 1, True), ((2, 3), (1, 2), (1, 1), True),
    ((3, 1), (2, 1), (1, 0), False), (4, 3, 2, True), ((1, 2), (2, 2), 0, False), (2, 1, 1, True), (5, 4, 2, True),
]


@pytest.mark.parametrize("cfg", AVG2D)
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 3])
def test_avg_pool2d(cfg, count_include_pad, divisor_override):
    k, s, p, c = cfg
    compare_with_torch(lambda lib, x: lib.nn.functional.avg_pool2d(x, k, s, p, c, count_include_pad, divisor_override),
                       randn(2, 3, 9, 11))


def test_avg_pool2d_negative_divisor_and_2x2_fast_path():
    compare_with_torch(lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, divisor_override=-2), randn(2, 3, 8, 10))
    compare_with_torch(lambda lib, x: lib.nn.functional.avg_pool2d(x, 2), randn(2, 3, 16, 40))
    compare_with_torch(lambda lib, x: lib.nn.functional.avg_pool2d(x, (2, 2), (1, 2)), randn(2, 3, 7, 40))


@pytest.mark.parametrize("cfg", [(2, None, 0, False), (3, 2, 1, True), (4, 3, 2, True), (3, 1, 1, False),
                                 (5, 5, 2, True)])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool1d(cfg, count_include_pad):
    k, s, p, c = cfg
    compare_with_torch(lambda lib, x: lib.nn.functional.avg_pool1d(x, k, s, p, c, count_include_pad), randn(3, 4, 17))
    compare_with_torch(lambda lib, x: lib.nn.functional.avg_pool1d(x, k, s, p, c, count_include_pad), randn(4, 17))


# ---------------------------------------------------------------- adaptive pooling
@pytest.mark.parametrize("shape,size", [((2, 3, 7, 10), (3, 4)), ((2, 3, 7, 10), 1), ((1, 2, 5, 6), (7, 9)),
                                        ((2, 3, 9, 9), (None, 4)), ((3, 11, 13), (5, 6)), ((2, 3, 6, 8), (3, 4))])
def test_adaptive_pool2d(shape, size):
    compare_with_torch(lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, size), randn(*shape))
    compare_with_torch(lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, size, return_indices=True),
                       randn(*shape))
    compare_with_torch(lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, size, True), ties(*shape))
    compare_with_torch(lambda lib, x: lib.nn.functional.adaptive_max_pool2d_with_indices(x, size), randn(*shape))


@pytest.mark.parametrize("shape,size", [((2, 3, 10), 4), ((2, 3, 10), 1), ((3, 7), 3), ((2, 3, 5), 8),
                                        ((2, 3, 12), (5,))])
def test_adaptive_pool1d(shape, size):
    compare_with_torch(lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, size), randn(*shape))
    compare_with_torch(lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, size, return_indices=True),
                       ties(*shape))
    compare_with_torch(lambda lib, x: lib.nn.functional.adaptive_max_pool1d_with_indices(x, size), randn(*shape))


def test_adaptive_pool_zero_output_size():
    for fn in [lambda lib, t: lib.nn.functional.adaptive_avg_pool2d(t, 0),
               lambda lib, t: lib.nn.functional.adaptive_max_pool2d(t, (0, 3))]:
        out = compare_with_torch(fn, randn(2, 3, 5, 5), grad=False)
        assert 0 in out[0].shape


# ---------------------------------------------------------------- max_unpool
@pytest.mark.parametrize("k,s,p,in_shape,out_size", [
    (2, None, 0, (2, 3, 8, 10), None), (2, 2, 0, (2, 3, 9, 11), (9, 11)), (3, 2, 1, (2, 3, 9, 9), None),
    (3, 2, 1, (1, 2, 9, 9), (2, 1, 9, 10)), ((2, 3), (2, 2), (1, 1), (2, 2, 7, 8), (7, 8)),
])
def test_max_unpool2d(k, s, p, in_shape, out_size):
    x = randn(*in_shape)

    def fn(lib, t):
        y, i = lib.nn.functional.max_pool2d(t, k, s, p, return_indices=True)
        return lib.nn.functional.max_unpool2d(y * 2.0, i, k, s, p, output_size=out_size)

    compare_with_torch(fn, x)


@pytest.mark.parametrize("k,s,p,out_size", [(2, None, 0, None), (3, 2, 1, None), (2, 2, 0, [17]), (3, 3, 1, [17])])
def test_max_unpool1d(k, s, p, out_size):
    def fn(lib, t):
        y, i = lib.nn.functional.max_pool1d(t, k, s, p, return_indices=True)
        return lib.nn.functional.max_unpool1d(y, i, k, s, p, output_size=out_size)

    compare_with_torch(fn, randn(2, 3, 17))
    compare_with_torch(fn, randn(3, 17))


@needs_torch
def test_max_unpool_modules_and_given_indices():
    x = randn(1, 2, 3, 3)
    idx = np.array([0, 5, 6, 11, 13, 18, 20, 22, 35] * 2).reshape(1, 2, 3, 3).astype(np.int64)
    e = nn.MaxUnpool2d(2)(ember.tensor(x), ember.tensor(idx))
    t = torch.nn.MaxUnpool2d(2)(torch.tensor(x), torch.tensor(idx))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    e = nn.MaxUnpool1d(3, 2)(ember.tensor(x[0]), ember.tensor(idx[0] % 7), output_size=[7])
    t = torch.nn.MaxUnpool1d(3, 2)(torch.tensor(x[0]), torch.tensor(idx[0] % 7), output_size=[7])
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# ---------------------------------------------------------------- lp pooling
@pytest.mark.parametrize("p", [2, 1.5, 3.0, float("inf")])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_lp_pool(p, ceil_mode):
    x = np.abs(randn(2, 3, 9, 11)) + 0.1
    compare_with_torch(lambda lib, t: lib.nn.functional.lp_pool2d(t, p, 2, ceil_mode=ceil_mode), x, rtol=1e-4)
    compare_with_torch(lambda lib, t: lib.nn.functional.lp_pool2d(t, p, (3, 2), 2, ceil_mode), x, rtol=1e-4)
    compare_with_torch(lambda lib, t: lib.nn.functional.lp_pool1d(t, p, 3, 2, ceil_mode), x[0], rtol=1e-4)


def test_lp_pool_zero_input_has_zero_grad():
    x = ember.zeros(1, 1, 4, 4, requires_grad=True)
    F.lp_pool2d(x, 2, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((1, 1, 4, 4)))


# ---------------------------------------------------------------- gradcheck (float64)
def _distinct(*shape):
    """Well-separated values: finite differences never cross a max switch."""
    return ember.tensor(rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64) * 0.1,
                        requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda t: F.max_pool2d(t, 2),
    lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True),
    lambda t: F.max_pool1d(t[0], 2, 1, 1, dilation=2),
    lambda t: F.avg_pool2d(t, 3, 2, 1, True, False),
    lambda t: F.avg_pool2d(t, 2, divisor_override=3),
    lambda t: F.avg_pool1d(t[0], 3, 2, 1, True, True),
    lambda t: F.adaptive_avg_pool2d(t, (3, 2)),
    lambda t: F.adaptive_max_pool2d(t, (2, 4)),
    lambda t: F.adaptive_avg_pool1d(t[0], 3),
    lambda t: F.lp_pool2d(t + 1.0, 2, 2, ceil_mode=True),
    lambda t: F.max_unpool2d(*F.max_pool2d(t, 2, return_indices=True), 2, output_size=t.shape[-2:]),
])
def test_gradcheck_float64(fn):
    x = _distinct(2, 5, 7)
    assert ember.autograd.gradcheck(fn, (x,))


@pytest.mark.parametrize("fn", [
    lambda t: F.max_pool2d(t, 2) ** 2,
    lambda t: F.avg_pool2d(t, 3, 2, 1) ** 2,
    lambda t: F.adaptive_avg_pool2d(t, (3, 2)) ** 2,
    lambda t: F.adaptive_max_pool1d(t[0], 3) ** 2,
    lambda t: F.max_unpool1d(*F.max_pool1d(t[0], 2, return_indices=True), 2) ** 2,
])
def test_gradgradcheck_float64(fn):
    x = _distinct(2, 5, 6)
    assert ember.autograd.gradgradcheck(fn, (x,))


@needs_torch
def test_double_backward_matches_torch():
    x = randn(2, 3, 6, 8).astype(np.float64)
    res = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.max_pool2d(t, 3, 2, 1) + lib.nn.functional.avg_pool2d(t, 3, 2, 1)
        (g,) = lib.autograd.grad((y * y).sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), t)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-10)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-10)


def test_float64_dtype_kept():
    x = ember.tensor(randn(1, 2, 6, 6).astype(np.float64))
    assert F.max_pool2d(x, 2).dtype == ember.float64
    assert F.avg_pool2d(x, 2).dtype == ember.float64
    assert F.adaptive_avg_pool2d(x, 4).dtype == ember.float64


# ---------------------------------------------------------------- every SIMD path of the 2x2 kernels
# ---------------------------------------------------------------- NumPy float64 references
def _np_out(n, k, p, s, d, ceil_mode):
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    return o - 1 if ceil_mode and (o - 1) * s >= n + p else o


def np_max_pool2d(x, k, s, p, d, ceil_mode):
    """Values and flat indices: the first maximum of each window in row-major order."""
    n, c, h, w = x.shape
    oh, ow = _np_out(h, k[0], p[0], s[0], d[0], ceil_mode), _np_out(w, k[1], p[1], s[1], d[1], ceil_mode)
    flat = x.reshape(n, c, -1)
    out, idx = np.empty((n, c, oh, ow)), np.empty((n, c, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            hs = [r for r in range(i * s[0] - p[0], i * s[0] - p[0] + d[0] * k[0], d[0]) if 0 <= r < h]
            ws = [q for q in range(j * s[1] - p[1], j * s[1] - p[1] + d[1] * k[1], d[1]) if 0 <= q < w]
            pos = np.array([r * w + q for r in hs for q in ws])
            vals = flat[:, :, pos]
            out[:, :, i, j] = vals.max(-1)
            idx[:, :, i, j] = pos[vals.argmax(-1)]
    return out, idx


def np_avg_pool2d(x, k, s, p, ceil_mode, count_include_pad, divisor_override=None):
    n, c, h, w = x.shape
    oh, ow = _np_out(h, k[0], p[0], s[0], 1, ceil_mode), _np_out(w, k[1], p[1], s[1], 1, ceil_mode)
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            padded = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            div = divisor_override or (padded if count_include_pad else (h1 - h0) * (w1 - w0))
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].sum((-2, -1)) / div
    return out


def np_adaptive2d(x, size, reduce):
    n, c, h, w = x.shape
    out = np.empty((n, c) + tuple(size))
    for i in range(size[0]):
        for j in range(size[1]):
            hs = slice(i * h // size[0], -(-(i + 1) * h // size[0]))
            ws = slice(j * w // size[1], -(-(j + 1) * w // size[1]))
            out[:, :, i, j] = reduce(x[:, :, hs, ws], axis=(-2, -1))
    return out


@pytest.mark.parametrize("cfg", MAX2D)
def test_max_pool2d_vs_numpy(cfg):
    k, s, p, d, c = cfg
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    x = rng.integers(0, 5, size=(2, 3, 9, 11)).astype(np.float64) + rng.standard_normal((2, 3, 9, 11)) * 0.01
    x[0, 0] = 1.0  # a plane of ties
    ref, ref_i = np_max_pool2d(x, pair(k), pair(k if s is None else s), pair(p), pair(d), c)
    out, idx = F.max_pool2d(ember.tensor(x.astype(np.float32)), k, s, p, d, c, return_indices=True)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    np.testing.assert_array_equal(idx.numpy(), ref_i)


@pytest.mark.parametrize("cfg", AVG2D)
@pytest.mark.parametrize("count_include_pad,div", [(True, None), (False, None), (True, 5)])
def test_avg_pool2d_vs_numpy(cfg, count_include_pad, div):
    k, s, p, c = cfg
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    x = randn(2, 3, 9, 11).astype(np.float64)
    ref = np_avg_pool2d(x, pair(k), pair(k if s is None else s), pair(p), c, count_include_pad, div)
    out = F.avg_pool2d(ember.tensor(x), k, s, p, c, count_include_pad, div)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("size", [(3, 4), (1, 1), (7, 9), (9, 10), (4, 3)])
def test_adaptive_pool2d_vs_numpy(size):
    x = randn(2, 3, 9, 10).astype(np.float64)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(ember.tensor(x), size).numpy(), np_adaptive2d(x, size, np.mean),
                               rtol=1e-12)
    np.testing.assert_array_equal(F.adaptive_max_pool2d(ember.tensor(x), size).numpy(), np_adaptive2d(x, size, np.max))


def test_max_pool_backward_vs_numpy():
    """The grad goes to the first maximum of each window, summed where windows overlap."""
    x = rng.integers(0, 3, size=(1, 2, 7, 8)).astype(np.float64)
    t = ember.tensor(x, requires_grad=True)
    y, idx = F.max_pool2d(t, 3, 2, 1, return_indices=True)
    g = randn(*y.shape).astype(np.float64)
    y.backward(ember.tensor(g))
    ref = np.zeros((2, 56))
    for c in range(2):
        np.add.at(ref[c], idx.numpy()[0, c].ravel(), g[0, c].ravel())
    np.testing.assert_allclose(t.grad.numpy(), ref.reshape(1, 2, 7, 8))


# ---------------------------------------------------------------- every SIMD path of the 2x2 kernels
@pytest.fixture
def simd_level():
    """Sets ember's SIMD cap for one test (levels above the CPU's run its best one) and restores it."""
    before = ember._C.simd_level()
    yield ember._C.set_simd_level
    ember._C.set_simd_level(before)


@pytest.mark.parametrize("level", ["scalar", "avx2", "avx512"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_path_every_simd_level(simd_level, level, dtype):
    simd_level(level)
    for shape in [(2, 3, 8, 40), (1, 2, 7, 37)]:
        x = rng.integers(0, 4, size=shape).astype(dtype)
        xa = rng.standard_normal(shape).astype(dtype)
        for k, s in [((2, 2), (2, 2)), ((2, 2), (1, 2)), ((1, 2), (3, 2))]:
            ref, ref_i = np_max_pool2d(x.astype(np.float64), k, s, (0, 0), (1, 1), False)
            ev, ei = F.max_pool2d(ember.tensor(x), k, s, return_indices=True)
            np.testing.assert_array_equal(ev.numpy(), ref)
            np.testing.assert_array_equal(ei.numpy(), ref_i)
            np.testing.assert_array_equal(F.max_pool2d(ember.tensor(x), k, s).numpy(), ref)
            t = ember.tensor(xa, requires_grad=True)
            y = F.avg_pool2d(t, k, s)
            ref = np_avg_pool2d(xa.astype(np.float64), k, s, (0, 0), False, True)
            np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-6, atol=1e-7)
            y.sum().backward()
            count = np.zeros(shape)
            for i in range(y.shape[2]):
                count[:, :, i * s[0]:i * s[0] + k[0], :2 * y.shape[3]] += 1.0 / (k[0] * k[1])
            np.testing.assert_allclose(t.grad.numpy(), count, rtol=1e-6)
    # NaN: the window's value is NaN and its index the last NaN's (torch's rule)
    x = np.zeros((1, 1, 2, 18), dtype)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan
    v, i = F.max_pool2d(ember.tensor(x), 2, return_indices=True)
    assert np.isnan(v.numpy()[0, 0, 0, 0]) and i.numpy()[0, 0, 0, 0] == 18


# ---------------------------------------------------------------- layers
REPRS = [
    "MaxPool2d(2)", "MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=2, ceil_mode=True)",
    "MaxPool1d(3, 2, 1, return_indices=True)", "AvgPool1d(3)", "AvgPool1d(4, 2, 1, ceil_mode=True)",
    "AvgPool2d((2, 3), 1, 1)", "AvgPool2d(2, divisor_override=3)", "AdaptiveAvgPool2d((None, 3))",
    "AdaptiveAvgPool1d(4)", "AdaptiveMaxPool2d(5, return_indices=True)", "AdaptiveMaxPool1d(4)", "MaxUnpool1d(2)",
    "MaxUnpool2d(3, 2, 1)", "MaxUnpool2d((2, 3))", "LPPool2d(2, 3)", "LPPool1d(1.5, 3, 2)",
    "LPPool2d(3.0, (2, 2), 2, ceil_mode=True)",
]


@needs_torch
@pytest.mark.parametrize("spec", REPRS)
def test_layer_repr_matches_torch(spec):
    assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))


@needs_torch
@pytest.mark.parametrize("spec", [s for s in REPRS if "Unpool" not in s])
def test_layer_forward_matches_torch(spec):
    x = np.abs(randn(2, 3, 10, 9)) + 0.1
    if "1d" in spec:
        x = x[0]
    e, t = eval("nn." + spec), eval("torch.nn." + spec)
    compare_with_torch(lambda lib, a: (e if lib is ember else t)(a), x, rtol=1e-4)
    assert e.state_dict() == {} and len(list(e.parameters())) == 0


# ---------------------------------------------------------------- bad input
BAD = [
    ("F.max_pool2d(ember.zeros(1, 2, 3, 4, 5), 2)", "RuntimeError", "[max_pool2d]"),
    ("F.max_pool2d(ember.zeros(4, 5), 2)", "RuntimeError", "[max_pool2d]"),
    ("F.max_pool1d(ember.zeros(5), 2)", "RuntimeError", "[max_pool1d]"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5), 7)", "RuntimeError", "too small"),
    ("F.max_pool1d(ember.zeros(2, 3, 4), 5)", "RuntimeError", "too small"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5), 3, padding=2)", "RuntimeError", "pad should be at most half"),
    ("F.max_pool2d(ember.zeros(2, 3, 9, 9), 3, padding=2, dilation=2)", "RuntimeError", "pad should be at most half"),
    ("F.avg_pool2d(ember.zeros(2, 3, 5, 5), 3, padding=2)", "RuntimeError", "pad should be at most half"),
    ("F.avg_pool1d(ember.zeros(2, 3, 5), 2, padding=2)", "RuntimeError", "pad should be at most half"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5), 0)", "RuntimeError", "kernel_size should be greater than zero"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5), -1)", "RuntimeError", "kernel_size"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5), 2, stride=0)", "RuntimeError", "stride should be greater than zero"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5), 2, dilation=0)", "RuntimeError", "dilation should be greater"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5), 2, padding=-1)", "RuntimeError", "padding must be non-negative"),
    ("F.max_pool2d(ember.zeros(2, 0, 5, 5), 2)", "RuntimeError", "non-zero sizes"),
    ("F.max_pool2d(ember.zeros(2, 3, 0, 5), 2)", "RuntimeError", "non-zero sizes"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5), (2, 2, 2))", "RuntimeError", "kernel_size must be"),
    ("F.max_pool2d(ember.zeros(2, 3, 5, 5, dtype=ember.int64), 2)", "TypeError", "float32 or float64"),
    ("F.max_pool2d(np.zeros((2, 3, 5, 5)), 2)", "TypeError", "expected a Tensor"),
    ("F.avg_pool2d(ember.zeros(2, 3, 5, 5), 2, divisor_override=0)", "RuntimeError", "divisor must be not zero"),
    ("F.avg_pool2d(ember.zeros(2, 3, 5, 5), 0)", "RuntimeError", "[avg_pool2d]"),
    ("F.avg_pool1d(ember.zeros(5), 2)", "RuntimeError", "[avg_pool1d]"),
    ("F.adaptive_avg_pool2d(ember.zeros(5, 5), 2)", "RuntimeError", "[adaptive_avg_pool2d]"),
    ("F.adaptive_avg_pool2d(ember.zeros(2, 3, 5, 5), -1)", "RuntimeError", "greater than or equal to 0"),
    ("F.adaptive_avg_pool2d(ember.zeros(2, 3, 0, 4), 2)", "RuntimeError", "non-zero sizes"),
    ("F.adaptive_max_pool2d(ember.zeros(5, 5), 2)", "RuntimeError", "[adaptive_max_pool2d]"),
    ("F.adaptive_max_pool1d(ember.zeros(2, 3, 5), (2, 2))", "RuntimeError", "should contain one int"),
    ("F.adaptive_avg_pool1d(ember.zeros(5), 2)", "RuntimeError", "[adaptive_avg_pool1d]"),
    ("F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.tensor([[[[0, 1], [2, 100]]]]), 2)", "RuntimeError",
     "invalid max index 100"),
    ("F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.tensor([[[[0, 1], [2, -1]]]]), 2)", "RuntimeError",
     "invalid max index -1"),
    ("F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.tensor([[[[0, 1, 2]]]]), 2)", "RuntimeError", "same shape"),
    ("F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.zeros(1, 1, 2, 2), 2)", "TypeError", "int64"),
    ("F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.tensor([[[[0, 1], [2, 3]]]]), 2, output_size=(9, 9))",
     "ValueError", "invalid output_size"),
    ("F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.tensor([[[[0, 1], [2, 3]]]]), 2, output_size=(9,))",
     "ValueError", "2 or 4 elements"),
]


@pytest.mark.parametrize("code,exc,msg", BAD)
def test_bad_input_raises(code, exc, msg):
    assert_raises_in_child("import ember.nn.functional as F\n" + code, exc, msg)


@needs_torch
@pytest.mark.parametrize("code", [c for c, _, _ in BAD if "np.zeros" not in c and "Unpool" not in c])
def test_torch_rejects_the_same_input(code):
    """Each bad input above is one torch rejects too (ember may be stricter on dtype only)."""
    import torch.nn.functional as TF

    tcode = code.replace("F.", "TF.").replace("ember.", "torch.")
    if "int64" in code:
        pytest.skip("torch pools int64; ember takes floating dtypes only (float16/bfloat16: test_lowp_cpu.py)")
    with pytest.raises((RuntimeError, ValueError, IndexError)):
        eval(tcode, {"TF": TF, "torch": torch})
