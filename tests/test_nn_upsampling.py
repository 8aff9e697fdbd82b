"""Resampling (ember.nn.functional.interpolate and its aliases, pixel_shuffle /
pixel_unshuffle, ember.nn Upsample* and PixelShuffle layers): values and gradients vs
PyTorch for every mode with size and with scale_factor, align_corners both ways,
recompute_scale_factor, antialias, 3-D / 4-D / 5-D inputs, non-contiguous inputs,
float64 gradcheck and gradgradcheck, reprs, torch's errors."""
import builtins
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import assert_raises_in_child, compare_with_torch, needs_torch, torch

rng = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def interp(**kw):
    return lambda lib, x: lib.nn.functional.interpolate(x, **kw)


# ---------------------------------------------------------------- nearest / nearest-exact
SIZES_2D = [dict(size=(9, 4)), dict(size=7), dict(size=(10, 14)), dict(scale_factor=2), dict(scale_factor=2.1),
            dict(scale_factor=(1.7, 0.6)), dict(scale_factor=(0.5, 3)), dict(scale_factor=(2.1, 1.3),
                                                                              recompute_scale_factor=True),
            dict(size=(5, 7)), dict(scale_factor=1.0)]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("kw", SIZES_2D)
def test_nearest_2d(mode, kw):
    compare_with_torch(interp(mode=mode, **kw), randn(2, 3, 5, 7))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("kw", [dict(size=(90, 41)), dict(scale_factor=(2.1, 1.0)), dict(scale_factor=(1.3, 2.7)),
                                dict(scale_factor=2.01), dict(scale_factor=0.6)])
def test_nearest_2d_large_output(mode, kw):
    """Outputs with OH + OW > 128 take torch's generic index rule (scale * i) in the forward."""
    compare_with_torch(interp(mode=mode, **kw), randn(1, 2, 50, 70))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("kw", [dict(size=13), dict(size=3), dict(scale_factor=1.5), dict(scale_factor=0.45),
                                dict(scale_factor=2.0), dict(scale_factor=2.1)])
def test_nearest_1d(mode, kw):
    compare_with_torch(interp(mode=mode, **kw), randn(2, 3, 7))


# ---------------------------------------------------------------- linear family
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", SIZES_2D + [dict(size=(1, 1)), dict(size=(1, 9))])
def test_bilinear(align_corners, kw):
    compare_with_torch(interp(mode="bilinear", align_corners=align_corners, **kw), randn(2, 3, 5, 7))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", SIZES_2D + [dict(size=(1, 2))])
def test_bicubic(align_corners, kw):
    compare_with_torch(interp(mode="bicubic", align_corners=align_corners, **kw), randn(2, 3, 5, 7), atol=1e-5,
                       rtol=1e-4)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", [dict(size=13), dict(size=1), dict(size=4), dict(scale_factor=1.5),
                                dict(scale_factor=0.45), dict(scale_factor=2.5, recompute_scale_factor=True)])
def test_linear_1d(align_corners, kw):
    compare_with_torch(interp(mode="linear", align_corners=align_corners, **kw), randn(2, 3, 7))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", [dict(size=(4, 6)), dict(size=(4, 36)), dict(scale_factor=0.3),
                                dict(scale_factor=(0.45, 2.2)), dict(size=(15, 5))])
def test_antialias(mode, align_corners, kw):
    compare_with_torch(interp(mode=mode, align_corners=align_corners, antialias=True, **kw), randn(2, 3, 15, 17),
                       rtol=1e-4)


@pytest.mark.parametrize("kw", [dict(mode="nearest", size=(3, 9, 4)), dict(mode="nearest-exact", scale_factor=1.7),
                                dict(mode="trilinear", size=(3, 9, 4)),
                                dict(mode="trilinear", scale_factor=(0.6, 2, 1.5), align_corners=True),
                                dict(mode="area", size=(3, 2, 5)), dict(mode="area", scale_factor=0.5)])
def test_5d(kw):
    compare_with_torch(interp(**kw), randn(2, 3, 4, 5, 7))


# ---------------------------------------------------------------- area
@pytest.mark.parametrize("kw", [dict(size=(4, 3)), dict(size=(2, 9)), dict(scale_factor=0.5), dict(scale_factor=0.34),
                                dict(size=1)])
def test_area(kw):
    compare_with_torch(interp(mode="area", **kw), randn(2, 3, 9, 7))
    compare_with_torch(interp(mode="area", **{k: (v[0] if isinstance(v, tuple) else v) for k, v in kw.items()}),
                       randn(2, 3, 9))


# ---------------------------------------------------------------- layouts and dtypes
def test_non_contiguous_and_empty_batch():
    x = randn(2, 3, 8, 10)
    compare_with_torch(lambda lib, t: lib.nn.functional.interpolate(t.transpose(2, 3), size=(5, 13),
                                                                    mode="bilinear"), x)
    compare_with_torch(lambda lib, t: lib.nn.functional.interpolate(t[:, ::2, ::3], scale_factor=2), x)
    compare_with_torch(lambda lib, t: lib.nn.functional.interpolate(t.permute(1, 0, 3, 2), size=4, mode="bicubic"), x,
                       rtol=1e-4)
    out = compare_with_torch(interp(size=(4, 4), mode="bilinear"), np.zeros((0, 3, 5, 5), np.float32))
    assert tuple(out[0].shape) == (0, 3, 4, 4)


def test_float64_and_identity():
    x = ember.tensor(randn(1, 2, 4, 4).astype(np.float64))
    assert F.interpolate(x, scale_factor=2, mode="bilinear").dtype == ember.float64
    y = F.interpolate(x, size=(4, 4), mode="bilinear")
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    y.numpy()[0, 0, 0, 0] = 99.0  # a copy, not a view of the input
    assert x.numpy()[0, 0, 0, 0] != 99.0


# ---------------------------------------------------------------- NumPy float64 references
def np_matrix(n_in, n_out, mode, align_corners=False):
    """The (n_out, n_in) matrix of one dim's resampling (size given, no scale factor)."""
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        if mode == "nearest":
            m[i, min(i * n_in // n_out, n_in - 1)] = 1
            continue
        if mode == "area":
            a, b = i * n_in // n_out, -(-(i + 1) * n_in // n_out)
            m[i, a:b] = 1.0 / (b - a)
            continue
        if align_corners:
            src = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = (i + 0.5) * n_in / n_out - 0.5
        if mode == "linear":
            src = max(src, 0.0)
            i0 = min(int(np.floor(src)), n_in - 1)
            l1 = min(max(src - i0, 0.0), 1.0)
            m[i, i0] += 1 - l1
            m[i, min(i0 + 1, n_in - 1)] += l1
        else:  # cubic, A = -0.75, taps clamped to the edge
            i0 = int(np.floor(src))
            t = src - i0
            a = -0.75
            w = [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                 ((a + 2) * t - (a + 3)) * t * t + 1,
                 ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
                 ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a]
            for j in range(4):
                m[i, min(max(i0 - 1 + j, 0), n_in - 1)] += w[j]
    return m


@pytest.mark.parametrize("mode,ember_mode", [("nearest", "nearest"), ("linear", "bilinear"), ("cubic", "bicubic"),
                                             ("area", "area")])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(10, 14), (3, 4), (7, 2), (1, 1)])
def test_interpolate_2d_vs_numpy(mode, ember_mode, align_corners, size):
    if align_corners and mode in ("nearest", "area"):
        pytest.skip("align_corners applies to the interpolating modes only")
    if mode == "nearest" and size not in ((10, 14), (1, 1)):
        size = (10, 14)  # exact multiples: no float32 rounding at index boundaries
    x = randn(2, 3, 5, 7).astype(np.float64)
    mh, mw = np_matrix(5, size[0], mode, align_corners), np_matrix(7, size[1], mode, align_corners)
    ref = np.einsum("ih,nchw,jw->ncij", mh, x, mw)
    kw = {} if mode in ("nearest", "area") else dict(align_corners=align_corners)
    t = ember.tensor(x, requires_grad=True)
    y = F.interpolate(t, size=size, mode=ember_mode, **kw)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-6, atol=1e-6)
    g = randn(*ref.shape).astype(np.float64)
    y.backward(ember.tensor(g))
    np.testing.assert_allclose(t.grad.numpy(), np.einsum("ih,ncij,jw->nchw", mh, g, mw), rtol=1e-6, atol=1e-6)


def test_linear_1d_vs_numpy():
    x = randn(2, 3, 7).astype(np.float64)
    for size, ac in [(13, False), (13, True), (4, False), (1, True)]:
        ref = x @ np_matrix(7, size, "linear", ac).T
        np.testing.assert_allclose(F.interpolate(ember.tensor(x), size=size, mode="linear", align_corners=ac).numpy(),
                                   ref, rtol=1e-12, atol=1e-12)


def test_pixel_shuffle_vs_numpy():
    x = randn(2, 12, 3, 4)
    r = 2
    ref = x.reshape(2, 3, r, r, 3, 4).transpose(0, 1, 4, 2, 5, 3).reshape(2, 3, 6, 8)
    np.testing.assert_array_equal(F.pixel_shuffle(ember.tensor(x), r).numpy(), ref)
    np.testing.assert_array_equal(F.pixel_unshuffle(ember.tensor(ref), r).numpy(), x)
    y = F.pixel_shuffle(ember.tensor(x), 2)
    assert y[0, 1, 3, 5].item() == x[0, 1 * 4 + 1 * 2 + 1, 1, 2]


# ---------------------------------------------------------------- gradients
def _x64(*shape):
    return ember.tensor(randn(*shape, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("kw", [
    dict(size=(5, 3)), dict(scale_factor=1.7, mode="nearest-exact"), dict(size=(5, 3), mode="bilinear"),
    dict(scale_factor=(1.5, 0.7), mode="bilinear", align_corners=True), dict(size=(5, 6), mode="bicubic"),
    dict(size=(2, 3), mode="bicubic", antialias=True), dict(size=(2, 2), mode="bilinear", antialias=True),
    dict(size=(2, 3), mode="area"),
])
def test_gradcheck_2d(kw):
    assert ember.autograd.gradcheck(lambda t: F.interpolate(t, **kw), (_x64(1, 2, 4, 5),))


@pytest.mark.parametrize("kw", [dict(size=7), dict(size=3, mode="linear"), dict(scale_factor=2.5, mode="linear",
                                                                                 align_corners=True),
                                dict(size=3, mode="area")])
def test_gradcheck_1d(kw):
    assert ember.autograd.gradcheck(lambda t: F.interpolate(t, **kw), (_x64(2, 2, 5),))


def test_gradcheck_3d():
    x = _x64(1, 1, 2, 3, 3)
    assert ember.autograd.gradcheck(lambda t: F.interpolate(t, size=(3, 2, 4), mode="trilinear"), (x,))


@pytest.mark.parametrize("kw", [dict(size=(5, 3), mode="bilinear"), dict(scale_factor=2), dict(size=(3, 7),
                                                                                                mode="bicubic")])
def test_gradgradcheck(kw):
    assert ember.autograd.gradgradcheck(lambda t: F.interpolate(t, **kw) ** 2, (_x64(1, 2, 3, 4),))


@needs_torch
# ---------------------------------------------------------------- deprecated aliases
def test_upsample_aliases_warn_and_match():
    x = randn(1, 2, 4, 5)
    for name, kw in [("upsample", dict(scale_factor=2, mode="bilinear")), ("upsample_nearest", dict(size=(3, 7))),
                     ("upsample_bilinear", dict(scale_factor=1.5))]:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            e = getattr(F, name)(ember.tensor(x), **kw)
            t = getattr(torch.nn.functional, name)(torch.tensor(x), **kw)
        assert any("deprecated" in str(m.message) for m in w)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- layers
UPSAMPLE = ["Upsample(scale_factor=2)", "Upsample(size=(3, 4), mode='bilinear')",
            "Upsample(scale_factor=(2, 1.5), mode='bicubic', align_corners=True)",
            "Upsample(size=5, mode='nearest-exact')", "UpsamplingNearest2d(scale_factor=2)",
            "UpsamplingBilinear2d(size=5)", "UpsamplingBilinear2d(scale_factor=1.7)"]


@needs_torch
@pytest.mark.parametrize("spec", UPSAMPLE)
def test_upsample_layers(spec):
    e, t = eval("nn." + spec), eval("torch.nn." + spec)
    assert repr(e) == repr(t)
    assert e.state_dict() == {}
    compare_with_torch(lambda lib, a: (e if lib is ember else t)(a), randn(2, 3, 4, 5), rtol=1e-4)


@needs_torch
def test_upsample_linear_1d_layer():
    e, t = nn.Upsample(scale_factor=3, mode="linear"), torch.nn.Upsample(scale_factor=3, mode="linear")
    compare_with_torch(lambda lib, a: (e if lib is ember else t)(a), randn(2, 3, 5))


# ---------------------------------------------------------------- pixel shuffle
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((18, 2, 3), 3), ((2, 3, 4, 2, 2), 2), ((1, 1, 5, 5), 1)])
def test_pixel_shuffle(shape, r):
    compare_with_torch(lambda lib, x: lib.nn.functional.pixel_shuffle(x, r), randn(*shape))
    inv_shape = shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    compare_with_torch(lambda lib, x: lib.nn.functional.pixel_unshuffle(x, r), randn(*inv_shape))
    x = ember.tensor(randn(*shape))
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, r), r).numpy(), x.numpy())


@needs_torch
def test_pixel_shuffle_layers_and_non_contiguous():
    for spec in ["PixelShuffle(3)", "PixelUnshuffle(2)"]:
        assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))
    x = randn(2, 6, 4, 8)
    compare_with_torch(lambda lib, t: (nn.PixelUnshuffle(2) if lib is ember else torch.nn.PixelUnshuffle(2))(
        t.transpose(2, 3)), x)
    compare_with_torch(lambda lib, t: (nn.PixelShuffle(2) if lib is ember else torch.nn.PixelShuffle(2))(
        t.permute(0, 3, 1, 2)), x)


def test_pixel_shuffle_gradcheck():
    x = _x64(2, 8, 2, 3)
    assert ember.autograd.gradcheck(lambda t: F.pixel_shuffle(t, 2), (x,))
    assert ember.autograd.gradcheck(lambda t: F.pixel_unshuffle(t, 2), (_x64(1, 2, 4, 6),))


# ---------------------------------------------------------------- bad input
X4 = "ember.zeros(2, 3, 5, 5)"
BAD = [
    (f"F.interpolate({X4}, size=3, align_corners=True)", "ValueError", "align_corners option can only be set"),
    (f"F.interpolate({X4}, size=3, mode='area', align_corners=False)", "ValueError", "align_corners option"),
    (f"F.interpolate({X4})", "ValueError", "either size or scale_factor should be defined"),
    (f"F.interpolate({X4}, size=2, scale_factor=2)", "ValueError", "only one of size or scale_factor"),
    (f"F.interpolate({X4}, size=(2, 2, 2))", "ValueError", "same number of spatial dimensions"),
    (f"F.interpolate({X4}, scale_factor=(2, 2, 2))", "ValueError", "same number of spatial dimensions"),
    (f"F.interpolate({X4}, size=0)", "RuntimeError", "sizes should be greater than 0"),
    (f"F.interpolate({X4}, scale_factor=0.1)", "RuntimeError", "sizes should be greater than 0"),
    (f"F.interpolate({X4}, scale_factor=-1.0, mode='bilinear')", "RuntimeError", "sizes should be greater than 0"),
    ("F.interpolate(ember.zeros(3, 4), size=2)", "NotImplementedError", "Only 3D, 4D and 5D input"),
    (f"F.interpolate({X4}, size=2, mode='linear')", "NotImplementedError", "linear mode needs 3D input"),
    ("F.interpolate(ember.zeros(1, 2, 3), size=2, mode='bilinear')", "NotImplementedError",
     "bilinear mode needs 4D input"),
    ("F.interpolate(ember.zeros(1, 2, 3), size=2, mode='bicubic')", "NotImplementedError", "bicubic mode needs 4D"),
    (f"F.interpolate({X4}, size=2, mode='foo')", "NotImplementedError", "(got foo)"),
    (f"F.interpolate({X4}, size=2, antialias=True)", "ValueError", "Anti-alias option is restricted"),
    (f"F.interpolate({X4}, size=2, recompute_scale_factor=True)", "ValueError", "recompute_scale_factor is not"),
    (f"F.interpolate({X4}, size=(2.0, 3))", "TypeError", "expected size to be one of int"),
    ("F.interpolate(ember.zeros(2, 0, 4, 4), size=2)", "RuntimeError", "non-empty"),
    ("F.interpolate(ember.zeros(2, 0, 4), size=2, mode='linear')", "RuntimeError", "non-empty"),
    ("F.interpolate(ember.zeros(1, 1, 4, 4, dtype=ember.int64), size=2)", "TypeError", "float32 or float64"),
    (f"F.interpolate({X4}, size=-2, mode='area')", "RuntimeError", "greater than or equal to 0"),
    ("F.pixel_shuffle(ember.zeros(4, 4), 2)", "RuntimeError", "at least 3 dimensions"),
    ("F.pixel_shuffle(ember.zeros(1, 5, 4, 4), 2)", "RuntimeError", "input.size(-3)=5 is not divisible by 4"),
    ("F.pixel_shuffle(ember.zeros(1, 4, 4, 4), 0)", "RuntimeError", "expects a positive upscale_factor, but got 0"),
    ("F.pixel_shuffle(ember.zeros(1, 4, 4, 4), -2)", "RuntimeError", "positive upscale_factor"),
    ("F.pixel_unshuffle(ember.zeros(1, 1, 5, 4), 2)", "RuntimeError", "height to be divisible"),
    ("F.pixel_unshuffle(ember.zeros(1, 1, 4, 5), 2)", "RuntimeError", "width to be divisible"),
    ("F.pixel_unshuffle(ember.zeros(1, 1, 4, 4), 0)", "RuntimeError", "positive downscale_factor"),
    ("F.pixel_unshuffle(ember.zeros(4, 4), 2)", "RuntimeError", "at least 3 dimensions"),
]


@pytest.mark.parametrize("code,exc,msg", BAD)
def test_bad_input_raises(code, exc, msg):
    assert_raises_in_child("import ember.nn.functional as F\n" + code, exc, msg)


@needs_torch
@pytest.mark.parametrize("code,exc", [(c, e) for c, e, _ in BAD if "int64" not in c])
def test_torch_raises_the_same_type(code, exc):
    import torch.nn.functional as TF

    tcode = code.replace("F.", "TF.").replace("ember.", "torch.")
    with pytest.raises(getattr(builtins, exc)):
        eval(tcode, {"TF": TF, "torch": torch})
