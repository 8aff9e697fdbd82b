"""CUDA sort family against the CPU (and torch CUDA when present): sort (stable,
ascending / descending, any dim, NaN last / first, -0.0 == 0.0), argsort, topk,
kthvalue, median; long rows (radix path) and many short rows (segmented path);
gradients. Skips as a whole without a usable GPU."""
import numpy as np
import pytest

import ember
from cuda_compare import DEV, compare, host, make, rng, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

ALL = [ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int64, ember.int32, ember.uint8,
       ember.bool]


def data(shape, seed=0, ties=True, nan=False):
    r = rng(seed)
    x = r.integers(-4, 5, size=shape).astype(np.float32) if ties else r.standard_normal(shape).astype(np.float32)
    if nan:
        x[r.uniform(size=shape) < 0.15] = np.nan
    return x


def sort_both(x, dim, desc):
    v, i = ember.sort(x, dim, descending=desc)
    return v, i


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
@pytest.mark.parametrize("desc", [False, True])
def test_sort_dtypes_stable(dt, desc):
    x = data((6, 33), seed=1)  # many ties: the indices check stability
    if dt == ember.uint8:
        x = np.abs(x)
    compare(lambda a: ember.sort(a, -1, descending=desc), [(x, dt)], exact_float=True)
    compare(lambda a: ember.sort(a, 0, descending=desc), [(x, dt)], exact_float=True)


@pytest.mark.parametrize("desc", [False, True])
@pytest.mark.parametrize("dt", [ember.float32, ember.float64, ember.float16, ember.bfloat16], ids=lambda d: d.name)
def test_sort_nan_and_signed_zero(desc, dt):
    x = data((5, 40), seed=2, nan=True)
    x[0, :6] = [0.0, -0.0, np.inf, -np.inf, -0.0, 0.0]
    x[1, :] = np.nan
    x[2, ::3] = -np.nan  # a NaN with the sign bit set sorts like any NaN
    compare(lambda a: ember.sort(a, 1, descending=desc), [(x, dt)], exact_float=True)


@pytest.mark.parametrize("seed", range(4))
def test_sort_random_shapes_dims_views_grad(seed):
    r = rng(seed)
    nd = int(r.integers(1, 5))
    shape = tuple(int(s) for s in r.integers(1, 9, size=nd))
    dim = int(r.integers(-nd, nd))
    x = data(shape, seed, ties=False)
    desc = bool(seed % 2)
    compare(lambda a: ember.sort(a, dim, descending=desc), [(x, None)], grad_inputs=(0,),
            check_torch=lambda a: a.sort(dim, descending=desc, stable=True))
    if nd >= 2:
        compare(lambda a: ember.sort(a.transpose(0, -1), dim, descending=desc), [(x, None)], grad_inputs=(0,))


@pytest.mark.parametrize("shape", [(1, 300000), (3, 70000), (4000, 7), (2, 3, 1), (0, 5), (5, 0)])
def test_sort_long_and_short_rows(shape):
    x = data(shape, seed=3, ties=True) * 1000 + data(shape, seed=4, ties=False)
    compare(lambda a: ember.sort(a, -1), [(x, None)], exact_float=True)
    compare(lambda a: ember.sort(a, -1, descending=True), [(x, ember.int32)], exact_float=True)


def test_argsort():
    x = data((7, 20), seed=5)
    compare(lambda a: ember.argsort(a, 1), [(x, None)])
    compare(lambda a: ember.argsort(a, 0, descending=True), [(x, ember.int64)])


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [0, 1, 5, 20])
def test_topk(largest, k):
    x = data((6, 20), seed=6, nan=True)
    compare(lambda a: ember.topk(a, k, 1, largest=largest), [(x, None)], exact_float=True)
    compare(lambda a: ember.topk(a.t(), min(k, 6), 1, largest=largest), [(x, ember.float16)], exact_float=True)
    compare(lambda a: ember.topk(a, k, 1, largest=largest), [(data((6, 20), 7, ties=False), None)],
            grad_inputs=(0,), check_torch=lambda a: a.topk(k, 1, largest=largest))


@pytest.mark.parametrize("dt", [ember.float32, ember.float64, ember.int64, ember.float16], ids=lambda d: d.name)
def test_kthvalue_median(dt):
    x = data((5, 9, 4), seed=8)
    for k in (1, 3, 9):
        compare(lambda a: ember.kthvalue(a, k, 1), [(x, dt)], exact_float=True)
        compare(lambda a: ember.kthvalue(a, k, 1, keepdim=True), [(x, dt)], exact_float=True)
    compare(lambda a: ember.median(a, 1), [(x, dt)], exact_float=True)
    compare(lambda a: ember.median(a, -1, keepdim=True), [(x, dt)], exact_float=True)
    compare(lambda a: ember.median(a), [(x, dt)], exact_float=True)


def test_median_nan_rows_and_grad():
    x = data((6, 11), seed=9, nan=True)
    x[0] = np.nan
    x[1, 4] = np.nan
    compare(lambda a: ember.median(a, 1), [(x, None)], exact_float=True)
    xs = data((6, 11), seed=10, ties=False)
    compare(lambda a: ember.median(a, 1), [(xs, None)], grad_inputs=(0,),
            check_torch=lambda a: a.median(1))
    compare(lambda a: ember.kthvalue(a, 4, 0), [(xs, None)], grad_inputs=(0,),
            check_torch=lambda a: a.kthvalue(4, 0))


def test_sort_result_on_device_and_0d():
    g = make(np.float32(2.5), device=DEV)
    v, i = ember.sort(g)
    assert v.device == g.device and float(host(v)) == 2.5 and int(host(i)) == 0
    v, i = ember.topk(make(np.arange(5, dtype=np.float32), device=DEV), 2)
    np.testing.assert_array_equal(host(v), [4, 3])
    np.testing.assert_array_equal(host(i), [4, 3])


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_unique(dt):
    x = data((7, 9), seed=11)
    if dt == ember.uint8:
        x = np.abs(x)
    compare(lambda a: ember.unique(a, return_inverse=True, return_counts=True), [(x, dt)], exact_float=True)
    compare(lambda a: ember.unique(a.t()[::2]), [(x, dt)], exact_float=True)


def test_unique_nan_zero_empty():
    x = np.array([np.nan, 0.0, -0.0, 1.0, np.nan, 1.0, -np.inf], np.float32)
    compare(lambda a: ember.unique(a, return_inverse=True, return_counts=True), [(x, None)], exact_float=True)
    compare(lambda a: ember.unique(a, return_inverse=True, return_counts=True), [(x[:0], None)])
    compare(lambda a: ember.unique(a, return_counts=True), [(np.float32(3.0), None)])
