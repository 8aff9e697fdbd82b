"""CUDA shape ops against the CPU (and torch CUDA when present): cat / stack (one
kernel for all inputs), repeat / repeat_interleave, flip / roll, tril / triu, where,
F.pad (every mode, forward and backward); mixed devices. Skips without a GPU."""
import numpy as np
import pytest

import ember
from cuda_compare import DEV, compare, host, make, mixed_device_raises, rng, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

F = ember.nn.functional
ALL = [ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int64, ember.int32, ember.uint8,
       ember.bool]


def randn(shape, seed=0):
    return rng(seed).standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------- cat / stack


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_cat_dtypes(dt):
    a, b, c = randn((2, 3)), randn((4, 3), 1), randn((1, 3), 2)
    compare(lambda x, y, z: ember.cat([x, y, z], 0), [(a, dt), (b, dt), (c, dt)])
    compare(lambda x, y, z: ember.cat([x.t(), y.t(), z.t()], 1), [(a, dt), (b, dt), (c, dt)])


@pytest.mark.parametrize("seed", range(4))
def test_cat_random_shapes_and_grad(seed):
    r = rng(seed)
    nd = int(r.integers(1, 5))
    base = [int(s) for s in r.integers(1, 5, size=nd)]
    dim = int(r.integers(-nd, nd))
    arrays = []
    for k in range(int(r.integers(1, 5))):
        s = list(base)
        s[dim] = int(r.integers(0, 4))
        arrays.append((randn(tuple(s), seed * 10 + k), None))
    compare(lambda *xs: ember.cat(list(xs), dim), arrays, grad_inputs=tuple(range(len(arrays))),
            check_torch=lambda *xs: __import__("torch").cat(list(xs), dim))


def test_cat_many_inputs_promotion_and_views():
    # more inputs than one launch's table (64), a non-contiguous one, mixed dtypes
    arrays = [(randn((2, k % 3 + 1, 3), k), ember.float32) for k in range(150)]
    compare(lambda *xs: ember.cat(list(xs), 1), arrays)
    compare(lambda x, y: ember.cat([x.transpose(0, 1), y.to(ember.float16)], 0),
            [(randn((3, 4)), None), (randn((2, 3), 1), None)])
    compare(lambda x, y: ember.cat([x, y], 0), [(randn((2, 3)), ember.int32), (randn((1, 3), 1), ember.float64)])
    compare(lambda x, y: ember.cat([x, y[:0]], 0), [(randn((2, 3)), None), (randn((2, 3)), None)])


def test_stack_and_grad():
    xs = [(randn((3, 4), k), None) for k in range(3)]
    for dim in (0, 1, 2, -1):
        compare(lambda *t: ember.stack(list(t), dim), xs, grad_inputs=(0, 1, 2))


# ---------------------------------------------------------------- repeat / flip / roll


def test_repeat_and_interleave():
    x = randn((2, 3))
    compare(lambda a: a.repeat(2, 1, 3), [(x, None)], grad_inputs=(0,), check_torch=lambda a: a.repeat(2, 1, 3))
    compare(lambda a: a.t().repeat(2, 2), [(x, ember.int64)])
    compare(lambda a: ember.repeat_interleave(a, 3, dim=1), [(x, None)], grad_inputs=(0,))
    compare(lambda a: ember.repeat_interleave(a, ember.tensor([1, 0, 2]), dim=1), [(x, None)])


def test_flip_roll():
    x = randn((3, 4, 5))
    compare(lambda a: ember.flip(a, [0, 2]), [(x, None)], grad_inputs=(0,), check_torch=lambda a: a.flip([0, 2]))
    compare(lambda a: ember.flip(a.transpose(0, 2), [1]), [(x, ember.float16)])
    compare(lambda a: ember.roll(a, [2, -1], [0, 2]), [(x, None)], grad_inputs=(0,),
            check_torch=lambda a: a.roll([2, -1], [0, 2]))
    compare(lambda a: ember.roll(a, 7), [(x, ember.int32)])


# ---------------------------------------------------------------- tril / triu


@pytest.mark.parametrize("k", [0, 1, -2, 5, -7, 2 ** 62, -(2 ** 62)])
def test_tril_triu(k):
    x = randn((2, 4, 6))
    compare(lambda a: ember.tril(a, k), [(x, None)], grad_inputs=(0,))
    compare(lambda a: ember.triu(a, k), [(x, None)], grad_inputs=(0,))
    if abs(k) < 100:
        compare(lambda a: ember.tril(a, k), [(x, None)], check_torch=lambda a: a.tril(k))


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_tril_triu_dtypes_strided(dt):
    x = randn((5, 7)) * 3
    compare(lambda a: ember.tril(a.t()), [(x, dt)])
    compare(lambda a: ember.triu(a[1::2], 1), [(x, dt)])


# ---------------------------------------------------------------- where


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_where_broadcast(dt):
    c = randn((4, 1, 5)) > 0
    a, b = randn((3, 5), 1) * 3, randn((4, 3, 1), 2) * 3
    compare(lambda cc, x, y: ember.where(cc, x, y), [(c, None), (a, dt), (b, dt)])
    a2 = randn((4, 3), 3) * 3
    compare(lambda cc, x, y: ember.where(cc.transpose(0, 2), x.t(), y.transpose(0, 2)), [(c, None), (a2, dt), (b, dt)])


def test_where_scalars_promotion_and_grad():
    c = randn((4, 5)) > 0
    a, b = randn((4, 5), 1), randn((5,), 2)
    compare(lambda cc, x, y: ember.where(cc, x, y), [(c, None), (a, None), (b, None)], grad_inputs=(1, 2),
            check_torch=lambda cc, x, y: __import__("torch").where(cc, x, y))
    compare(lambda cc, x: ember.where(cc, x, 0.5), [(c, None), (a, None)], grad_inputs=(1,))
    compare(lambda cc, x: ember.where(cc, -2, x), [(c, None), (a, ember.int64)])
    compare(lambda cc: ember.where(cc, 1.5, -1.0), [(c, None)])
    compare(lambda cc, x, y: ember.where(cc, x, y), [(c, None), (a, ember.float16), (b, ember.float64)])


# ---------------------------------------------------------------- pad


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad,shape", [((2, 1), (2, 3, 5)), ((1, 2, 3, 0), (2, 2, 4, 5)),
                                       ((1, 1, 2, 0, 0, 2), (1, 2, 3, 4, 4)), ((-1, 2), (1, 3, 5)),
                                       ((2, -1, 0, 1), (2, 3, 4))])
def test_pad_modes_forward_backward(mode, pad, shape):
    x = randn(shape)
    compare(lambda a: F.pad(a, pad, mode=mode), [(x, None)], grad_inputs=(0,),
            check_torch=lambda a: __import__("torch").nn.functional.pad(a, pad, mode=mode))
    compare(lambda a: F.pad(a, pad, mode=mode), [(x, ember.float64)], grad_inputs=(0,))


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_pad_dtypes_and_views(dt):
    x = randn((2, 3, 6)) * 3
    for mode in ("reflect", "replicate", "circular"):
        compare(lambda a: F.pad(a.transpose(1, 2), (2, 2), mode=mode), [(x, dt)])
    compare(lambda a: F.pad(a, (1, 2, 0, 1), value=1.0), [(x, dt)])


def test_pad_half_grad():
    x = randn((2, 3, 6))
    compare(lambda a: F.pad(a, (3, 2), mode="reflect"), [(x, ember.float16)], grad_inputs=(0,), rtol=1e-2, atol=1e-2)


# ---------------------------------------------------------------- devices


def test_mixed_devices_raise():
    g = make(randn((2, 3)), device=DEV)
    c = make(randn((2, 3)))
    mixed_device_raises(lambda: ember.cat([g, c], 0))
    mixed_device_raises(lambda: ember.stack([c, g], 0))
    mixed_device_raises(lambda: ember.where(c > 0, g, g))
    mixed_device_raises(lambda: ember.where(g > 0, g, c))


def test_results_stay_on_device():
    g = make(randn((3, 3)), device=DEV)
    for out in (ember.tril(g), ember.cat([g, g]), ember.where(g > 0, g, 0.0), F.pad(g[None], (1, 1), mode="reflect"),
                ember.flip(g, [0])):
        assert out.device == g.device
        assert host(out).shape[-1] >= 3
