"""ember.transforms: image ops against NumPy references (torchvision is not installed;
torch's interpolate is used where it is the reference of Resize), photometric ops,
reproducibility under ember's RNG, MixUp / CutMix label consistency, text and audio
invariants, and bad input (checked in one child process)."""
import colorsys
import math

import numpy as np
import pytest

import ember
import ember.transforms as T
import ember.transforms.functional as TF
from ember.transforms import _rng, audio, text

from helpers import needs_torch, run_in_subprocess


def _img(seed=0, shape=(3, 7, 9)):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def _t(a):
    return ember.tensor(a)


# ------------------------------------------------------------------ geometry
def test_flips_match_numpy():
    a = _img(1, (2, 3, 5, 6))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(_t(a)).numpy(), a[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(_t(a)).numpy(), a[..., ::-1, :])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(_t(a)).numpy(), a)
    u = (a * 255).astype(np.uint8)
    out = TF.hflip(ember.tensor(u))
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), u[..., ::-1])


def test_center_crop_and_crop_match_numpy():
    a = _img(2, (3, 7, 9))
    np.testing.assert_array_equal(T.CenterCrop(4)(_t(a)).numpy(), a[:, 2:6, 2:6])  # round(1.5)=2, round(2.5)=2
    np.testing.assert_array_equal(T.CenterCrop((3, 5))(_t(a)).numpy(), a[:, 2:5, 2:7])
    big = T.CenterCrop((9, 10))(_t(a)).numpy()  # pads with zeros: top 1, bottom 1, left 0, right 1
    ref = np.pad(a, ((0, 0), (1, 1), (0, 1)))
    np.testing.assert_array_equal(big, ref)
    np.testing.assert_array_equal(TF.crop(_t(a), -1, 2, 4, 3).numpy(), np.pad(a, ((0, 0), (1, 0), (0, 0)))[:, 0:4, 2:5])


@pytest.mark.parametrize("mode,np_mode", [("edge", "edge"), ("reflect", "reflect"), ("symmetric", "symmetric")])
def test_pad_modes_match_numpy(mode, np_mode):
    a = _img(3, (2, 4, 5))
    out = TF.pad(_t(a), [1, 3, 2, 2], padding_mode=mode).numpy()  # left, top, right, bottom
    np.testing.assert_array_equal(out, np.pad(a, ((0, 0), (3, 2), (1, 2)), mode=np_mode))
    if mode == "symmetric":  # wider than the image: repeats the mirror
        out = TF.pad(_t(a), [7, 0, 6, 0], padding_mode=mode).numpy()
        np.testing.assert_array_equal(out, np.pad(a, ((0, 0), (0, 0), (7, 6)), mode="symmetric"))


def test_pad_constant_fill():
    a = _img(4, (3, 2, 2))
    out = TF.pad(_t(a), 1, fill=0.5).numpy()
    np.testing.assert_array_equal(out, np.pad(a, ((0, 0), (1, 1), (1, 1)), constant_values=0.5))
    out = TF.pad(_t(a), [1, 0], fill=[0.1, 0.2, 0.3]).numpy()
    assert np.allclose(out[:, :, 0], np.array([0.1, 0.2, 0.3])[:, None])
    np.testing.assert_allclose(out[:, :, 1:3], a, atol=1e-7)


def test_random_crop_is_a_window_of_the_padded_image_and_seeded():
    a = _img(5, (3, 6, 6))
    ref = np.pad(a, ((0, 0), (2, 2), (2, 2)), mode="reflect")
    t = T.RandomCrop(5, padding=2, padding_mode="reflect")
    ember.manual_seed(3)
    out = t(_t(a)).numpy()
    found = [(i, j) for i in range(6) for j in range(6) if np.array_equal(ref[:, i:i + 5, j:j + 5], out)]
    assert found
    ember.manual_seed(3)
    np.testing.assert_array_equal(t(_t(a)).numpy(), out)
    outs = {t(_t(a)).numpy().tobytes() for _ in range(8)}
    assert len(outs) > 1
    assert tuple(T.RandomCrop((9, 4), pad_if_needed=True)(_t(a)).shape) == (3, 9, 4)


@needs_torch
def test_resize_matches_torch_interpolate():
    import torch
    a = _img(6, (2, 3, 12, 10))
    for interp, kw in (("bilinear", {"antialias": True}), ("bicubic", {"antialias": True}), ("nearest", {})):
        out = T.Resize((5, 7), interpolation=interp)(_t(a)).numpy()
        ref = torch.nn.functional.interpolate(torch.tensor(a), size=(5, 7), mode=interp,
                                              **({"align_corners": False} if kw else {}), **kw).numpy()
        np.testing.assert_allclose(out, ref, atol=1e-5)
    assert tuple(T.Resize(6)(_t(a[0])).shape) == (3, 7, 6)  # smaller edge (10) -> 6, 12 -> int(6*12/10)=7
    assert tuple(T.Resize(6, max_size=6 + 1)(_t(a[0])).shape) == (3, 7, 6)
    u = ember.tensor((a[0] * 255).round().astype(np.uint8))
    ru = T.Resize((6, 5))(u)
    assert ru.dtype == ember.uint8
    rf = T.Resize((6, 5))(u.to(ember.float32)).numpy()
    np.testing.assert_array_equal(ru.numpy(), np.clip(np.round(rf), 0, 255).astype(np.uint8))


def test_random_resized_crop():
    a = _img(7, (3, 8, 12))
    out = T.RandomResizedCrop((8, 12), scale=(1.0, 1.0), ratio=(1.5, 1.5))(_t(a))
    np.testing.assert_allclose(out.numpy(), a, atol=1e-6)  # the whole image, same size
    ember.manual_seed(0)
    t = T.RandomResizedCrop(5)
    r1 = t(_t(a)).numpy()
    assert r1.shape == (3, 5, 5)
    ember.manual_seed(0)
    np.testing.assert_array_equal(t(_t(a)).numpy(), r1)
    i, j, h, w = t.get_params(8, 12)
    assert 0 <= i <= 8 - h and 0 <= j <= 12 - w and h > 0 and w > 0


def test_rotate_90_matches_rot90_and_expand():
    a = _img(8, (2, 6, 6))
    out = TF.rotate(_t(a), 90.0).numpy()
    np.testing.assert_allclose(out, np.rot90(a, k=1, axes=(1, 2)), atol=1e-6)
    b = _img(9, (1, 4, 6))
    out = TF.rotate(_t(b), 90.0, expand=True).numpy()
    assert out.shape == (1, 6, 4)
    np.testing.assert_allclose(out, np.rot90(b, k=1, axes=(1, 2)), atol=1e-6)
    out = TF.rotate(_t(a), 180.0, interpolation="bilinear").numpy()
    np.testing.assert_allclose(out, a[:, ::-1, ::-1], atol=1e-5)
    # a rotation about a corner moves the image partly out: the rest is filled
    out = TF.rotate(_t(a), 30.0, center=[0, 0], fill=0.25).numpy()
    assert np.isclose(out, 0.25).any()


def test_rotate_nearest_matches_pil():
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(30)
    for h, w in ((13, 17), (8, 8), (12, 6)):
        a = rng.integers(0, 256, (h, w), dtype=np.uint8)
        for angle in (30.0, -47.0, 90.0, 12.5):
            for expand in (False, True):
                ref = np.asarray(Image.fromarray(a).rotate(angle, resample=Image.NEAREST, expand=expand))
                out = TF.rotate(ember.tensor(a[None]), angle, expand=expand).numpy()[0]
                assert out.shape == ref.shape
                # pixels whose source lands on a rounding tie may differ
                assert (out == ref).mean() > 0.95


def test_affine_translation_shifts_pixels_and_random_affine_identity():
    a = _img(10, (3, 5, 6))
    out = TF.affine(_t(a), angle=0.0, translate=[1, 2], scale=1.0, shear=0.0).numpy()
    ref = np.zeros_like(a)
    ref[:, 2:, 1:] = a[:, :-2, :-1]
    np.testing.assert_allclose(out, ref, atol=1e-6)
    np.testing.assert_allclose(T.RandomAffine(0)(_t(a)).numpy(), a, atol=1e-6)
    t = T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-5, 5, -3, 3), interpolation="bilinear")
    ember.manual_seed(5)
    o1 = t(_t(a)).numpy()
    ember.manual_seed(5)
    np.testing.assert_array_equal(t(_t(a)).numpy(), o1)
    assert o1.shape == a.shape and np.isfinite(o1).all()


def test_random_rotation_reproducible_and_uint8():
    u = ember.tensor((_img(11, (3, 8, 8)) * 255).astype(np.uint8))
    t = T.RandomRotation((-30, 30), interpolation="bilinear")
    ember.manual_seed(1)
    o1 = t(u)
    ember.manual_seed(1)
    o2 = t(u)
    assert o1.dtype == ember.uint8
    np.testing.assert_array_equal(o1.numpy(), o2.numpy())
    g = ember.Generator()
    g.manual_seed(1)
    o3 = T.RandomRotation((-30, 30), interpolation="bilinear", generator=g)(u)
    np.testing.assert_array_equal(o3.numpy(), o1.numpy())  # same stream as the seeded default generator


# ------------------------------------------------------------------ photometric
def test_to_tensor_pil_to_tensor_and_dtype_conversion():
    rng = np.random.default_rng(12)
    hwc = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    t = T.ToTensor()(hwc)
    assert t.dtype == ember.float32 and tuple(t.shape) == (3, 4, 5)
    np.testing.assert_allclose(t.numpy(), hwc.transpose(2, 0, 1) / 255.0, atol=1e-7)
    p = T.PILToTensor()(hwc)
    assert p.dtype == ember.uint8
    np.testing.assert_array_equal(p.numpy(), hwc.transpose(2, 0, 1))
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        Image = None
    if Image is not None:
        pic = Image.fromarray(hwc)
        np.testing.assert_allclose(T.ToTensor()(pic).numpy(), t.numpy())
        np.testing.assert_array_equal(T.PILToTensor()(pic).numpy(), p.numpy())
    back = T.ConvertImageDtype(ember.uint8)(t)
    np.testing.assert_array_equal(back.numpy(), hwc.transpose(2, 0, 1))
    np.testing.assert_allclose(T.ConvertImageDtype(ember.float32)(p).numpy(), t.numpy(), atol=1e-7)
    assert T.ConvertImageDtype(ember.float64)(t).dtype == ember.float64


def test_normalize_matches_numpy():
    a = _img(13, (2, 3, 4, 4))
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    ref = (a - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(T.Normalize(mean, std)(_t(a)).numpy(), ref, atol=1e-6)
    x = _t(a)
    out = T.Normalize(mean, std, inplace=True)(x)
    np.testing.assert_allclose(x.numpy(), ref, atol=1e-6)
    assert out is x


def _gray_np(a):
    return 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]


def test_grayscale_brightness_contrast_saturation_match_numpy():
    a = _img(14, (3, 5, 6))
    g = _gray_np(a)
    np.testing.assert_allclose(T.Grayscale()(_t(a)).numpy(), g[None], atol=1e-6)
    g3 = T.RandomGrayscale(p=1.0)(_t(a)).numpy()
    assert g3.shape == (3, 5, 6)
    np.testing.assert_allclose(g3, np.broadcast_to(g, (3, 5, 6)), atol=1e-6)
    np.testing.assert_allclose(TF.adjust_brightness(_t(a), 1.7).numpy(), np.clip(a * 1.7, 0, 1), atol=1e-6)
    np.testing.assert_allclose(TF.adjust_contrast(_t(a), 0.6).numpy(),
                               np.clip(0.6 * a + 0.4 * g.mean(), 0, 1), atol=1e-6)
    np.testing.assert_allclose(TF.adjust_saturation(_t(a), 1.5).numpy(), np.clip(1.5 * a - 0.5 * g, 0, 1),
                               atol=1e-6)


def test_rgb_hsv_round_trip_and_colorsys_reference():
    a = _img(15, (3, 4, 5)).astype(np.float64)
    a[:, 0, 0] = 0.5  # a gray pixel: h = s = 0
    hsv = TF.rgb_to_hsv(_t(a)).numpy()
    ref = np.array([[colorsys.rgb_to_hsv(*a[:, i, j]) for j in range(5)] for i in range(4)]).transpose(2, 0, 1)
    np.testing.assert_allclose(hsv, ref, atol=1e-9)
    np.testing.assert_allclose(TF.hsv_to_rgb(_t(hsv)).numpy(), a, atol=1e-9)
    np.testing.assert_allclose(TF.adjust_hue(_t(a), 0.0).numpy(), a, atol=1e-9)
    shifted = TF.adjust_hue(_t(a), 0.25).numpy()
    ref = np.array([[colorsys.hsv_to_rgb((ref_h + 0.25) % 1.0, s, v) for ref_h, s, v in
                     zip(*[hsv[k, i] for k in range(3)])] for i in range(4)]).transpose(2, 0, 1)
    np.testing.assert_allclose(shifted, ref, atol=1e-9)


def test_color_jitter_identity_and_ranges():
    a = _img(16, (2, 3, 6, 6))
    np.testing.assert_allclose(T.ColorJitter()(_t(a)).numpy(), a)
    np.testing.assert_allclose(T.ColorJitter(hue=0.0)(_t(a)).numpy(), a)
    t = T.ColorJitter(0.5, 0.5, 0.5, 0.2)
    ember.manual_seed(2)
    o1 = t(_t(a)).numpy()
    ember.manual_seed(2)
    np.testing.assert_array_equal(t(_t(a)).numpy(), o1)
    assert o1.min() >= 0.0 and o1.max() <= 1.0 and not np.allclose(o1, a)
    u = ember.tensor((a * 255).astype(np.uint8))
    assert t(u).dtype == ember.uint8
    assert t.brightness == (0.5, 1.5) and t.hue == (-0.2, 0.2)


def _blur_ref(a, kx, ky, sx, sy):
    def k1(n, s):
        x = np.linspace(-(n - 1) / 2, (n - 1) / 2, n)
        p = np.exp(-0.5 * (x / s) ** 2)
        return p / p.sum()
    kern = np.outer(k1(ky, sy), k1(kx, sx))
    p = np.pad(a, ((0, 0), (ky // 2, ky // 2), (kx // 2, kx // 2)), mode="reflect")
    out = np.zeros_like(a, dtype=np.float64)
    for i in range(ky):
        for j in range(kx):
            out += kern[i, j] * p[:, i:i + a.shape[1], j:j + a.shape[2]]
    return out


def test_gaussian_blur_matches_numpy_convolution():
    a = _img(17, (3, 8, 9))
    out = TF.gaussian_blur(_t(a), [5, 3], [1.3, 0.7]).numpy()
    np.testing.assert_allclose(out, _blur_ref(a, 5, 3, 1.3, 0.7), atol=1e-5)
    out = T.GaussianBlur(3, sigma=0.9)(_t(a)).numpy()
    np.testing.assert_allclose(out, _blur_ref(a, 3, 3, 0.9, 0.9), atol=1e-5)
    ember.manual_seed(4)
    r1 = T.GaussianBlur(5)(_t(a)).numpy()
    ember.manual_seed(4)
    np.testing.assert_array_equal(T.GaussianBlur(5)(_t(a)).numpy(), r1)


def test_gaussian_noise_and_random_erasing():
    a = _img(18, (3, 16, 16))
    ember.manual_seed(0)
    n1 = T.GaussianNoise(sigma=0.2)(_t(a)).numpy()
    assert n1.min() >= 0 and n1.max() <= 1 and not np.allclose(n1, a)
    ember.manual_seed(0)
    np.testing.assert_array_equal(T.GaussianNoise(sigma=0.2)(_t(a)).numpy(), n1)
    ember.manual_seed(1)
    n2 = T.GaussianNoise(sigma=0.2, clip=False)(_t(np.full((1, 64, 64), 0.5, np.float32))).numpy()
    assert abs(n2.std() - 0.2) < 0.02 and abs(n2.mean() - 0.5) < 0.02
    for value in (0.0, [0.1, 0.2, 0.3], "random"):
        ember.manual_seed(2)
        out = T.RandomErasing(p=1.0, value=value)(_t(a)).numpy()
        changed = np.any(out != a, axis=0)
        rows, cols = np.nonzero(changed)
        assert rows.size > 0
        box = changed[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        if value != "random":
            assert box.all()  # a solid rectangle
    np.testing.assert_array_equal(T.RandomErasing(p=0.0)(_t(a)).numpy(), a)


# ------------------------------------------------------------------ containers, seeds
def test_containers():
    a = _t(_img(19, (3, 4, 4)))
    c = T.Compose([T.Lambda(lambda x: x * 2), T.Lambda(lambda x: x + 1)])
    np.testing.assert_allclose(c(a).numpy(), a.numpy() * 2 + 1, atol=1e-6)
    np.testing.assert_array_equal(T.RandomApply([T.Lambda(lambda x: x * 0)], p=0.0)(a).numpy(), a.numpy())
    assert float(T.RandomApply([T.Lambda(lambda x: x * 0)], p=1.0)(a).sum().item()) == 0.0
    ch = T.RandomChoice([T.Lambda(lambda x: 1), T.Lambda(lambda x: 2)], p=[0.0, 1.0])
    assert ch(a) == 2
    ember.manual_seed(0)
    seen = {T.RandomChoice([T.Lambda(lambda x: 1), T.Lambda(lambda x: 2)])(a) for _ in range(20)}
    assert seen == {1, 2}
    order = T.RandomOrder([T.Lambda(lambda s: s + "a"), T.Lambda(lambda s: s + "b"), T.Lambda(lambda s: s + "c")])
    outs = {order("") for _ in range(30)}
    assert all(sorted(o) == ["a", "b", "c"] for o in outs) and len(outs) > 1
    assert "Compose" in repr(c)


def test_pipeline_seed_reproducibility():
    a = _t(_img(20, (3, 12, 12)))
    pipe = T.Compose([T.RandomResizedCrop(8), T.RandomHorizontalFlip(), T.ColorJitter(0.3, 0.3, 0.3, 0.1),
                      T.RandomRotation(15), T.RandomErasing(p=0.5)])
    ember.manual_seed(123)
    o1 = pipe(a).numpy()
    ember.manual_seed(123)
    o2 = pipe(a).numpy()
    ember.manual_seed(124)
    o3 = pipe(a).numpy()
    np.testing.assert_array_equal(o1, o2)
    assert not np.array_equal(o1, o3)


def test_beta_sampler_moments():
    ember.manual_seed(0)
    for a, b in ((2.0, 5.0), (0.4, 0.4)):
        s = np.array([_rng.beta(a, b) for _ in range(600)])
        mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
        assert s.min() >= 0 and s.max() <= 1
        assert abs(s.mean() - mean) < 4 * math.sqrt(var / 600)
        assert abs(s.var() - var) < 0.25 * var


# ------------------------------------------------------------------ MixUp / CutMix
def test_mixup_labels_and_images_consistent():
    x = _t(_img(21, (5, 3, 4, 4)))
    y = ember.tensor([0, 1, 2, 3, 4])
    ember.manual_seed(7)
    mx, my = T.MixUp(alpha=0.5, num_classes=6)(x, y)
    my = my.numpy()
    np.testing.assert_allclose(my.sum(1), 1.0, atol=1e-6)
    lam = my[1, 1]  # sample 1 keeps weight lam of its own label, 1 - lam of sample 0's
    np.testing.assert_allclose(my[1, 0], 1 - lam, atol=1e-6)
    xn = x.numpy()
    np.testing.assert_allclose(mx.numpy(), lam * xn + (1 - lam) * np.roll(xn, 1, 0), atol=1e-5)
    ember.manual_seed(7)
    np.testing.assert_array_equal(T.MixUp(alpha=0.5, num_classes=6)(x, y)[1].numpy(), my)


def test_cutmix_box_matches_label_lambda():
    x = _t(_img(22, (4, 3, 10, 12)))
    y = ember.tensor([3, 1, 0, 2])
    cm = T.CutMix(alpha=1.0, num_classes=4)
    ember.manual_seed(3)
    for _ in range(5):
        mx, my = cm(x, y)
        my, mx, xn = my.numpy(), mx.numpy(), x.numpy()
        np.testing.assert_allclose(my.sum(1), 1.0, atol=1e-6)
        x1, y1, x2, y2 = cm.last_box
        inside = np.zeros((10, 12), bool)
        inside[y1:y2, x1:x2] = True
        np.testing.assert_array_equal(mx[..., inside], np.roll(xn, 1, 0)[..., inside])
        np.testing.assert_array_equal(mx[..., ~inside], xn[..., ~inside])
        lam = 1.0 - inside.mean()
        np.testing.assert_allclose(my[0, 3], lam, atol=1e-6)  # own label keeps the uncovered fraction
        if lam < 1:
            np.testing.assert_allclose(my[0, 2], 1 - lam, atol=1e-6)


# ------------------------------------------------------------------ text
def test_text_transforms():
    toks = "the quick brown fox jumps over the lazy dog".split()
    syn = {"quick": ["fast", "speedy"], "lazy": ["idle"], "dog": ["hound"]}
    ember.manual_seed(0)
    assert text.RandomDeletion(p=0.0)(toks) == toks
    assert len(text.RandomDeletion(p=1.0)(toks)) == 1
    d = text.RandomDeletion(p=0.5)(toks)
    assert 1 <= len(d) <= len(toks) and all(t in toks for t in d)
    s = text.RandomSwap(3)(toks)
    assert sorted(s) == sorted(toks)
    ins = text.RandomInsertion(2, syn)(toks)
    assert len(ins) == len(toks) + 2 and all(t in toks or t in sum(syn.values(), []) for t in ins)
    rep = text.SynonymReplacement(2, syn)(toks)
    assert len(rep) == len(toks)
    changed = [(a, b) for a, b in zip(toks, rep) if a != b]
    assert changed and all(b in syn[a] for a, b in changed)
    assert len({a for a, _ in changed}) <= 2
    drop = text.TokenDropout(p=0.5, unk_token="<unk>")(toks)
    assert len(drop) == len(toks) and all(b in (a, "<unk>") for a, b in zip(toks, drop))
    assert text.TokenDropout(p=1.0)(toks) == ["<unk>"] * len(toks)
    batch = text.TokenDropout(p=0.3)([toks, toks[:3]])
    assert [len(b) for b in batch] == [len(toks), 3]
    assert toks == "the quick brown fox jumps over the lazy dog".split()  # input untouched
    ember.manual_seed(9)
    r1 = T.Compose([text.RandomSwap(2), text.TokenDropout(0.3)])(toks)
    ember.manual_seed(9)
    assert T.Compose([text.RandomSwap(2), text.TokenDropout(0.3)])(toks) == r1


# ------------------------------------------------------------------ audio
def _dominant_freq(x, sr):
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spec)]


def test_time_stretch_keeps_pitch_and_scales_length():
    sr, f = 8000, 440.0
    t = np.arange(8000) / sr
    x = np.sin(2 * np.pi * f * t).astype(np.float32)
    for rate in (0.8, 1.25, 2.0):
        y = audio.time_stretch(_t(x), rate, frame_length=512).numpy()
        assert y.shape == (round(8000 / rate),)
        assert abs(_dominant_freq(y, sr) - f) < 15
        assert 0.5 < np.sqrt((y[600:-600] ** 2).mean() * 2) < 1.5  # amplitude kept
    batch = T.TimeStretch(1.5, frame_length=256)(_t(np.stack([x, x]))).numpy()
    assert batch.shape == (2, round(8000 / 1.5))
    np.testing.assert_allclose(batch[0], batch[1])
    assert tuple(audio.time_stretch(_t(np.zeros((0, 50), np.float32)), 0.7).shape) == (0, 71)
    assert tuple(audio.time_stretch(_t(x[:100]), 1.3).shape) == (77,)  # shorter than a frame


def test_pitch_shift_moves_frequency_keeps_length():
    sr, f = 8000, 400.0
    x = np.sin(2 * np.pi * f * np.arange(8000) / sr).astype(np.float32)
    for steps in (12, -5, 4):
        y = T.PitchShift(sr, steps, frame_length=512)(_t(x)).numpy()
        assert y.shape == x.shape
        expect = f * 2 ** (steps / 12)
        assert abs(_dominant_freq(y, sr) - expect) < 0.04 * expect


def test_add_noise_snr_and_gain():
    ember.manual_seed(0)
    x = _t(np.sin(np.linspace(0, 60, 4000)).astype(np.float32).reshape(2, 2000))
    for snr in (0.0, 10.0, 25.0):
        y = T.AddNoise(snr)(x)
        noise = (y - x).numpy()
        measured = 10 * np.log10((x.numpy() ** 2).sum(-1) / (noise ** 2).sum(-1))
        np.testing.assert_allclose(measured, snr, atol=1e-3)
    noise = _t(np.random.default_rng(0).standard_normal((2, 2000)).astype(np.float32))
    y = T.AddNoise((5.0, 5.0))(x, noise)
    np.testing.assert_allclose(10 * np.log10((x.numpy() ** 2).sum(-1) / ((y - x).numpy() ** 2).sum(-1)), 5.0,
                               atol=1e-3)
    for _ in range(5):
        g = (T.RandomGain(-6, 3)(x) / x).numpy()[0, 5]
        assert 10 ** (-6 / 20) - 1e-5 <= g <= 10 ** (3 / 20) + 1e-5


def test_time_and_frequency_masking():
    spec = _t(np.random.default_rng(1).random((2, 3, 10, 40)).astype(np.float32) + 1.0)
    ember.manual_seed(0)
    for _ in range(5):
        out = T.TimeMasking(15)(spec).numpy()
        cols = np.nonzero((out == 0).all(axis=(0, 1, 2)))[0]
        assert ((out == 0).any(axis=(0, 1, 2)) == (out == 0).all(axis=(0, 1, 2))).all()  # whole columns
        assert cols.size < 15 and (cols.size == 0 or cols.max() - cols.min() + 1 == cols.size)
        out = T.FrequencyMasking(6)(spec, mask_value=-1.0).numpy()
        rows = np.nonzero((out == -1).all(axis=(0, 1, 3)))[0]
        assert rows.size < 6 and (rows.size == 0 or rows.max() - rows.min() + 1 == rows.size)
    outs = T.TimeMasking(30, iid_masks=True)(spec).numpy()
    masks = {tuple((outs[i, j] == 0).all(axis=0)) for i in range(2) for j in range(3)}
    assert len(masks) > 1  # independent masks per example and channel
    np.testing.assert_array_equal(T.TimeMasking(0)(spec).numpy(), spec.numpy())


# ------------------------------------------------------------------ bad input
_BAD = [
    ("T.RandomHorizontalFlip(p=1.5)", "ValueError", "[RandomHorizontalFlip]"),
    ("T.RandomVerticalFlip(p=-0.1)", "ValueError", "[RandomVerticalFlip]"),
    ("T.RandomApply([], p=2)", "ValueError", "[RandomApply]"),
    ("T.RandomGrayscale(p='a')", "ValueError", "[RandomGrayscale]"),
    ("T.RandomErasing(p=1.1)", "ValueError", "[RandomErasing]"),
    ("T.RandomErasing(scale=(0.5, 0.1))", "ValueError", "[RandomErasing]"),
    ("T.RandomErasing(value='noise')", "TypeError", "[RandomErasing]"),
    ("T.RandomCrop(-3)", "ValueError", "[RandomCrop]"),
    ("T.RandomCrop(10)(x)", "ValueError", "[RandomCrop]", "larger"),
    ("T.RandomCrop(3, padding=1, padding_mode='wrap')", "ValueError", "padding_mode"),
    ("T.CenterCrop(0)", "ValueError", "[CenterCrop]"),
    ("T.CenterCrop('a')", "TypeError", "[CenterCrop]"),
    ("T.Resize(-1)", "ValueError", "[Resize]"),
    ("T.Resize(4, interpolation='area')", "ValueError", "[Resize]"),
    ("T.Resize(2**62)(x)", "RuntimeError", ""),
    ("T.Pad(2**40, padding_mode='edge')(x)", "RuntimeError", "[arange]"),
    ("T.Pad(2**62)(x)", "RuntimeError", "[pad]"),
    ("T.CenterCrop(2**40)(x)", "RuntimeError", "[pad]"),
    ("T.Pad(-1, padding_mode='reflect')(x)", "ValueError", "[pad]"),
    ("T.RandomResizedCrop(4, scale=(0.9, 0.1))", "ValueError", "[RandomResizedCrop]"),
    ("T.RandomResizedCrop(4, ratio=(0, 1))", "ValueError", "[RandomResizedCrop]"),
    ("T.RandomRotation(-5)", "ValueError", "[RandomRotation]"),
    ("T.RandomRotation(10, interpolation='bicubic')", "ValueError", "[RandomRotation]"),
    ("T.RandomAffine(10, translate=(2, 0))", "ValueError", "[RandomAffine]"),
    ("T.RandomAffine(10, scale=(-1, 1))", "ValueError", "[RandomAffine]"),
    ("T.ColorJitter(brightness=-1)", "ValueError", "[ColorJitter]"),
    ("T.ColorJitter(hue=0.7)", "ValueError", "[ColorJitter]"),
    ("T.ColorJitter(saturation=0.2)(ember.rand(4, 5, 5))", "ValueError", "[adjust_saturation]"),
    ("T.GaussianBlur(4)", "ValueError", "[GaussianBlur]"),
    ("T.GaussianBlur(3, sigma=-1)", "ValueError", "[GaussianBlur]"),
    ("T.GaussianBlur(9)(ember.rand(3, 3, 3))", "ValueError", "[gaussian_blur]"),
    ("T.GaussianNoise(sigma=-1)", "ValueError", "[GaussianNoise]"),
    ("T.GaussianNoise()(x.to(ember.uint8))", "TypeError", "[gaussian_noise]"),
    ("T.Normalize([0.5], [0.0])", "ValueError", "[Normalize]"),
    ("T.Normalize([0.5], [0.5])(x.to(ember.uint8))", "TypeError", "[normalize]"),
    ("T.Normalize([0.5, 0.5], [0.5, 0.5])(x)", "ValueError", "[normalize]"),
    ("T.RandomHorizontalFlip()(x.numpy())", "TypeError", "[RandomHorizontalFlip]"),
    ("T.RandomHorizontalFlip()(ember.rand(4, 4))", "ValueError", "[RandomHorizontalFlip]", "(4, 4)"),
    ("T.RandomHorizontalFlip()(x.to(ember.int64))", "TypeError", "[RandomHorizontalFlip]", "int64"),
    ("T.RandomHorizontalFlip(p=1.0)(ember.rand(3, 4, 4, device='cuda'))", "RuntimeError", "CUDA"),
    ("T.ToTensor()([1, 2])", "TypeError", "[ToTensor]"),
    ("T.ToTensor()(np.zeros((2, 2, 2, 2)))", "ValueError", "[ToTensor]"),
    ("T.ConvertImageDtype(ember.int64)", "TypeError", "[ConvertImageDtype]"),
    ("T.Compose([1])", "TypeError", "[Compose]"),
    ("T.Lambda(3)", "TypeError", "[Lambda]"),
    ("T.RandomChoice([T.Lambda(abs)], p=[-1])", "ValueError", "[RandomChoice]"),
    ("T.RandomHorizontalFlip(generator=3)", "TypeError", "generator"),
    ("T.MixUp(alpha=0)", "ValueError", "[MixUp]"),
    ("T.MixUp(alpha=1.0, num_classes=3)(x, ember.tensor([0]))", "ValueError", "[MixUp]", "(N, C, H, W)"),
    ("T.MixUp(alpha=1.0, num_classes=3)(ember.rand(2, 3, 4, 4), ember.tensor([0, 5]))", "ValueError", "[MixUp]"),
    ("T.MixUp(alpha=1.0)(ember.rand(2, 3, 4, 4), ember.tensor([0, 1]))", "ValueError", "num_classes"),
    ("T.CutMix(alpha=1.0, num_classes=3)(ember.rand(2, 3, 4, 4), ember.tensor([0, 1, 2]))", "ValueError",
     "[CutMix]"),
    ("T.CutMix(alpha=1.0, num_classes=3)(ember.rand(2, 3, 4, 4).to(ember.uint8), ember.tensor([0, 1]))",
     "TypeError", "[CutMix]"),
    ("T.CutMix(alpha=-2)", "ValueError", "[CutMix]"),
    ("T.RandomDeletion(p=2)", "ValueError", "[RandomDeletion]"),
    ("T.RandomSwap(-1)", "ValueError", "[RandomSwap]"),
    ("T.RandomSwap(1)('a b')", "TypeError", "[RandomSwap]"),
    ("T.SynonymReplacement(1, ['a'])", "TypeError", "[SynonymReplacement]"),
    ("T.RandomInsertion(1, {'a': 'b'})", "TypeError", "[RandomInsertion]"),
    ("T.TokenDropout(p=-0.5)", "ValueError", "[TokenDropout]"),
    ("T.TimeStretch(0)", "ValueError", "[TimeStretch]"),
    ("T.TimeStretch(1.5)(ember.zeros(10, dtype=ember.int64))", "TypeError", "[TimeStretch]"),
    ("T.TimeStretch(1.5, frame_length=-4)", "ValueError", "[TimeStretch]"),
    ("T.TimeStretch(1e-300)(ember.zeros(10))", "RuntimeError", ""),
    ("T.PitchShift(-1, 2)", "ValueError", "[PitchShift]"),
    ("T.AddNoise('loud')", "TypeError", "[AddNoise]"),
    ("T.AddNoise(5)(ember.zeros(4), ember.zeros(5))", "ValueError", "[add_noise]"),
    ("T.RandomGain(6, -6)", "ValueError", "[RandomGain]"),
    ("T.TimeMasking(-1)", "ValueError", "[TimeMasking]"),
    ("T.TimeMasking(3, p=2)", "ValueError", "[TimeMasking]"),
    ("T.FrequencyMasking(3)(ember.zeros(5))", "ValueError", "[FrequencyMasking]"),
]


def test_bad_input_raises_cleanly_in_child():
    lines = ["import ember, numpy as np", "import ember.transforms as T", "x = ember.rand(3, 6, 6)", "res = []"]
    for i, (code, *_rest) in enumerate(_BAD):
        lines += ["try:", f"    {code}", "    res.append(('NOEXC', ''))",
                  "except Exception as e:", "    res.append((type(e).__name__, str(e)))"]
    lines += ["import json", "print(json.dumps(res))"]
    r = run_in_subprocess("\n".join(lines))
    assert r.returncode == 0, f"child crashed (rc={r.returncode}):\n{r.stderr[-2000:]}"
    import json
    res = json.loads(r.stdout.strip().splitlines()[-1])
    bad = []
    for (code, exc, *subs), (got, msg) in zip(_BAD, res):
        if got != exc or not all(s in msg for s in subs):
            bad.append(f"{code}: expected {exc} {subs}, got {got}: {msg}")
    assert not bad, "\n".join(bad)
