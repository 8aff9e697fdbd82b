"""CUDA index ops against the CPU (and torch CUDA when present): index_select, gather,
take, scatter / scatter_add / scatter_reduce, index_add, advanced indexing get/put,
masked_fill / masked_select / nonzero, one_hot, embedding; out-of-bounds indices and
mixed devices. Skips as a whole without a usable GPU."""
import numpy as np
import pytest

import ember
from cuda_compare import DEV, DRY_RUN, compare, host, make, mixed_device_raises, rng, skip_without_gpu

pytestmark = pytest.mark.cuda
skip_without_gpu()

F = ember.nn.functional
FLOATS = [ember.float32, ember.float64, ember.float16, ember.bfloat16]
ALL = FLOATS + [ember.int64, ember.int32, ember.uint8, ember.bool]


def randn(shape, seed=0):
    return rng(seed).standard_normal(shape).astype(np.float32)


def ints(lo, hi, shape, seed=1):
    return rng(seed).integers(lo, hi, size=shape).astype(np.int64)


# ---------------------------------------------------------------- index_select / gather / take


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_index_select_dtypes(dt):
    x = randn((5, 7)) * 3
    idx = np.array([4, 0, 0, 2, 4, 1])
    compare(lambda a, i: ember.index_select(a, 0, i), [(x, dt), (idx, None)])
    compare(lambda a, i: ember.index_select(a, 1, i), [(x, dt), (idx, ember.int32)])


@pytest.mark.parametrize("seed", range(4))
def test_index_select_random_shapes_and_grad(seed):
    r = rng(seed)
    nd = int(r.integers(1, 5))
    shape = tuple(int(s) for s in r.integers(1, 7, size=nd))
    dim = int(r.integers(0, nd))
    idx = r.integers(0, shape[dim], size=int(r.integers(1, 9)))
    compare(lambda a, i: ember.index_select(a, dim, i), [(randn(shape, seed), None), (idx, None)], grad_inputs=(0,),
            check_torch=lambda a, i: a.index_select(dim, i))


def test_index_select_non_contiguous():
    x = randn((6, 8))
    idx = np.array([7, 1, 1, 3])
    compare(lambda a, i: ember.index_select(a.t(), 0, i), [(x, None), (idx, None)], grad_inputs=(0,))
    compare(lambda a, i: ember.index_select(a[:, 1::2], 1, i[:2]), [(x, None), (idx % 4, None)], grad_inputs=(0,))


def test_gather_and_grad():
    x = randn((4, 6, 5))
    for dim in range(3):
        shape = [4, 6, 5]
        shape[dim] = 7
        idx = ints(0, [4, 6, 5][dim], shape, seed=dim)
        compare(lambda a, i: ember.gather(a, dim, i), [(x, None), (idx, None)], grad_inputs=(0,),
                check_torch=lambda a, i: a.gather(dim, i))
    # an index smaller than the input in the other dims, and a transposed input
    idx = ints(0, 4, (3, 2))
    compare(lambda a, i: ember.gather(a.t(), 1, i), [(randn((4, 5)), None), (idx, None)], grad_inputs=(0,))


def test_take_negative_indices():
    x = randn((3, 4))
    idx = np.array([[0, -1, 5], [-12, 11, 3]])
    compare(lambda a, i: ember.take(a, i), [(x, None), (idx, None)], grad_inputs=(0,),
            check_torch=lambda a, i: a.take(i))


# ---------------------------------------------------------------- scatter family


@pytest.mark.parametrize("dt", [ember.float32, ember.float64, ember.int64, ember.int32], ids=lambda d: d.name)
def test_scatter_assign_and_value(dt):
    self_ = np.zeros((4, 5))
    src = randn((3, 5)) * 4
    # a permutation per column: no duplicate targets, so the result is deterministic
    idx = np.stack([rng(c).permutation(4)[:3] for c in range(5)], 1)
    compare(lambda s, i, v: s.clone().scatter_(0, i, v), [(self_, dt), (idx, None), (src, dt)])
    compare(lambda s, i: s.clone().scatter_(0, i, 2.0), [(self_, dt), (idx, None)])
    compare(lambda s, i, v: ember.scatter(s, 0, i, v), [(self_, ember.float32), (idx, None), (src, None)],
            grad_inputs=(0, 2))


@pytest.mark.parametrize("dt", FLOATS + [ember.int64, ember.int32, ember.uint8], ids=lambda d: d.name)
def test_scatter_add_duplicates(dt):
    self_ = randn((5, 6))
    src = np.abs(randn((9, 6), seed=3)) * 3
    idx = ints(0, 5, (9, 6), seed=4)  # many duplicates
    compare(lambda s, i, v: ember.scatter_add(s, 0, i, v), [(self_, dt), (idx, None), (src, dt)])


def test_scatter_add_grad_and_torch():
    self_ = randn((5, 6))
    src = randn((5, 9), seed=3)
    idx = ints(0, 6, (5, 9), seed=4)
    compare(lambda s, i, v: ember.scatter_add(s, 1, i, v), [(self_, None), (idx, None), (src, None)],
            grad_inputs=(0, 2), check_torch=lambda s, i, v: s.scatter_add(1, i, v))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dt", [ember.float32, ember.float64, ember.int64, ember.float16], ids=lambda d: d.name)
def test_scatter_reduce(reduce, include_self, dt):
    self_ = randn((4, 5)) * 3
    src = randn((7, 5), seed=2) * 3
    if dt == ember.int64:
        self_, src = np.round(self_), np.round(src)
    if reduce == "prod":
        src = np.where(np.abs(src) < 0.5, 1.5, src)
    idx = ints(0, 4, (7, 5), seed=5)
    rtol = 1e-2 if dt == ember.float16 else None
    compare(lambda s, i, v: ember.scatter_reduce(s, 0, i, v, reduce, include_self=include_self),
            [(self_, dt), (idx, None), (src, dt)], rtol=rtol, atol=rtol,
            check_torch=lambda s, i, v: s.scatter_reduce(0, i, v, reduce, include_self=include_self))


def test_scatter_reduce_nan_wins():
    self_ = np.zeros((2, 3), np.float32)
    src = np.array([[np.nan, 1, 2], [3, np.nan, -1]], np.float32)
    idx = np.array([[0, 0, 1], [0, 0, 1]])
    for red in ("amax", "amin"):
        compare(lambda s, i, v: ember.scatter_reduce(s, 0, i, v, red), [(self_, None), (idx, None), (src, None)])


def test_scatter_multiply_reduce():
    self_ = np.ones((3, 4), np.float32) * 2
    src = randn((3, 4)) + 2
    idx = np.array([[0, 1, 2, 0], [1, 2, 0, 1], [2, 0, 1, 2]])
    compare(lambda s, i, v: s.clone().scatter_(0, i, v, reduce="multiply"), [(self_, None), (idx, None), (src, None)])
    compare(lambda s, i, v: s.clone().scatter_(0, i, v, reduce="add"), [(self_, None), (idx, None), (src, None)])


@pytest.mark.parametrize("dt", [ember.float32, ember.float64, ember.float16, ember.int64, ember.int32],
                         ids=lambda d: d.name)
def test_index_add_duplicates(dt):
    self_ = randn((5, 4))
    src = randn((6, 4), seed=7)
    if dt in (ember.int64, ember.int32):
        self_, src = np.round(self_ * 3), np.round(src * 3)
    idx = np.array([0, 4, 0, 2, 4, 4])
    rtol = 5e-3 if dt == ember.float16 else None
    compare(lambda s, i, v: ember.index_add(s, 0, i, v), [(self_, dt), (idx, None), (src, dt)], rtol=rtol, atol=rtol)
    src2 = randn((3, 5), seed=8)
    if dt in (ember.int64, ember.int32):
        src2 = np.round(src2 * 3)
    # dim 1, a transposed source, alpha
    compare(lambda s, i, v: ember.index_add(s, 1, i, v.t(), alpha=2), [(self_, dt), (idx[:3] % 4, None), (src2, dt)],
            rtol=rtol, atol=rtol)


def test_index_add_grad():
    self_ = randn((5, 4))
    src = randn((6, 4), seed=7)
    idx = np.array([0, 4, 0, 2, 4, 4])
    compare(lambda s, i, v: ember.index_add(s, 0, i, v, alpha=0.5), [(self_, None), (idx, None), (src, None)],
            grad_inputs=(0, 2), check_torch=lambda s, i, v: s.index_add(0, i, v, alpha=0.5))


# ---------------------------------------------------------------- advanced indexing


def test_getitem_int_tensors_and_grad():
    x = randn((5, 6, 7))
    i = np.array([4, -1, 0, 0])
    j = np.array([[1], [5], [-6]])
    compare(lambda a, p: a[p], [(x, None), (i, None)], grad_inputs=(0,), check_torch=lambda a, p: a[p])
    compare(lambda a, p: a[:, p], [(x, None), (i, None)], grad_inputs=(0,), check_torch=lambda a, p: a[:, p])
    compare(lambda a, p, q: a[p, q], [(x, None), (i % 5, None), (j, None)], grad_inputs=(0,),
            check_torch=lambda a, p, q: a[p, q])
    # non-adjacent index dims: the broadcast dims go first
    compare(lambda a, p, q: a[p, :, q], [(x, None), (i % 5, None), (j, None)], grad_inputs=(0,),
            check_torch=lambda a, p, q: a[p, :, q])
    # a transposed input and int32 indices
    compare(lambda a, p: a.transpose(0, 2)[p], [(x, None), (i, ember.int32)], grad_inputs=(0,))


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_getitem_dtypes_and_lists(dt):
    x = randn((4, 5)) * 3
    g = make(x, dt, device=DEV)
    c = make(x, dt)
    np.testing.assert_array_equal(host(g[[3, 0, 3]]), host(c[[3, 0, 3]]))
    np.testing.assert_array_equal(host(g[[0, 1], [4, -5]]), host(c[[0, 1], [4, -5]]))
    np.testing.assert_array_equal(host(g[1:, [True, False, True, False, True]]),
                                  host(c[1:, [True, False, True, False, True]]))


def test_getitem_bool_mask_and_grad():
    x = randn((4, 5, 3))
    m = randn((4, 5), seed=9) > 0
    compare(lambda a, k: a[k], [(x, None), (m, None)], grad_inputs=(0,), check_torch=lambda a, k: a[k])
    compare(lambda a, k: a[:, k[0]], [(x, None), (m, None)], grad_inputs=(0,))
    compare(lambda a, k: a[:, :, k[0, :3]], [(x, None), (m, None)], grad_inputs=(0,))


def test_index_put_assign_and_accumulate():
    x = randn((6, 4))
    v = randn((5, 4), seed=2)
    uniq = np.array([5, 0, 3, 1, 2])
    dup = np.array([5, 0, 5, 5, 2])
    compare(lambda a, i, w: a.clone().index_put_((i,), w), [(x, None), (uniq, None), (v, None)])
    compare(lambda a, i, w: a.clone().index_put_((i,), w, accumulate=True), [(x, None), (dup, None), (v, None)],
            check_torch=lambda a, i, w: a.clone().index_put_((i,), w, accumulate=True))
    compare(lambda a, i, w: ember.index_put(a, (i,), w, accumulate=True), [(x, None), (dup, None), (v, None)],
            grad_inputs=(0, 2))
    # broadcast value, 2-D index pairs, int dtype accumulate
    compare(lambda a, i: a.clone().index_put_((i, i % 4), ember.tensor(7).to(a.dtype).to(a.device), accumulate=True),
            [(np.round(x * 3), ember.int64), (dup, None)])


def test_setitem_mask_and_lists():
    for dt in (ember.float32, ember.float16, ember.int64, ember.bool):
        x = randn((5, 6))
        m = randn((5, 6), seed=4) > 0.3
        g, c = make(x, dt, device=DEV), make(x, dt)
        gm, cm = make(m, device=DEV), make(m)
        g[gm] = 1
        c[cm] = 1
        g[[0, 2], 1:3] = 0
        c[[0, 2], 1:3] = 0
        g[[4, 4]] = g[[1, 1]]
        c[[4, 4]] = c[[1, 1]]
        np.testing.assert_array_equal(host(g), host(c))


# ---------------------------------------------------------------- masks, nonzero, one_hot


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_masked_fill_broadcast(dt):
    x = randn((3, 4, 5)) * 3
    m = randn((4, 1), seed=3) > 0
    compare(lambda a, k: a.masked_fill(k, 1.0), [(x, dt), (m, None)])
    compare(lambda a, k: a.transpose(0, 2).masked_fill(k.t()[:, :1], 0.0), [(x, dt), (m, None)])


def test_masked_fill_int64_exact_and_grad():
    x = np.arange(12).reshape(3, 4)
    m = (x % 3) == 0
    out = compare(lambda a, k: a.masked_fill(k, 2 ** 40 + 1), [(x, ember.int64), (m, None)])
    assert int(out[0].cpu()[0, 0].item()) == 2 ** 40 + 1
    compare(lambda a, k: a.masked_fill(k, -2.5), [(randn((3, 4)), None), (m, None)], grad_inputs=(0,),
            check_torch=lambda a, k: a.masked_fill(k, -2.5))


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_masked_select(dt):
    x = randn((4, 6)) * 3
    m = randn((6,), seed=5) > 0
    compare(lambda a, k: ember.masked_select(a, k), [(x, dt), (m, None)])
    compare(lambda a, k: ember.masked_select(a.t(), k[:4]), [(x, dt), (m, None)])


def test_masked_select_grad_and_edge_cases():
    x = randn((5, 7))
    m = randn((5, 7), seed=6) > 0
    compare(lambda a, k: ember.masked_select(a, k), [(x, None), (m, None)], grad_inputs=(0,),
            check_torch=lambda a, k: a.masked_select(k))
    compare(lambda a, k: ember.masked_select(a, k), [(x, None), (np.zeros((5, 7), bool), None)])
    compare(lambda a, k: ember.masked_select(a, k), [(x, None), (np.ones((5, 7), bool), None)])
    compare(lambda a, k: ember.masked_select(a, k), [(np.float32(3.0), None), (np.array(True), None)])


@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 4, 5), (0, 3), (200003,)])
def test_nonzero(shape):
    x = (rng(2).uniform(size=shape) > 0.6).astype(np.float32) if shape else np.float32(1.0)
    compare(lambda a: ember.nonzero(a), [(x, None)], check_torch=lambda a: a.nonzero())
    for dt in (ember.bool, ember.int32, ember.float16):
        compare(lambda a: ember.nonzero(a), [(x, dt)])
    if shape:
        compare(lambda a: ember.nonzero(a, as_tuple=True), [(x, None)])


def test_nonzero_strided():
    x = (rng(3).uniform(size=(6, 9)) > 0.5).astype(np.float32)
    compare(lambda a: ember.nonzero(a.t()[::2]), [(x, None)])


def test_one_hot():
    lab = ints(0, 6, (4, 5))
    compare(lambda a: F.one_hot(a), [(lab, None)], check_torch=None)
    compare(lambda a: F.one_hot(a, 9), [(lab, None)])
    compare(lambda a: F.one_hot(a.t(), 9), [(lab, ember.int32)])
    with pytest.raises(ValueError):
        F.one_hot(make(np.array([1, -2, 3]), device=DEV))


# ---------------------------------------------------------------- embedding


def test_embedding_forward_backward_padding():
    w = randn((10, 6))
    idx = np.array([[1, 2, 0, 9], [0, 0, 5, 2]])
    compare(lambda a, i: F.embedding(i, a), [(w, None), (idx, None)], grad_inputs=(0,),
            check_torch=lambda a, i: __import__("torch").nn.functional.embedding(i, a))
    compare(lambda a, i: F.embedding(i, a, padding_idx=0), [(w, None), (idx, None)], grad_inputs=(0,))
    for dt in (ember.float16, ember.bfloat16, ember.float64):
        compare(lambda a, i: F.embedding(i, a), [(w, dt), (idx, None)], grad_inputs=(0,))


def test_embedding_module_on_cuda():
    emb = ember.nn.Embedding(50, 8, padding_idx=3).to(DEV)
    idx = make(ints(0, 50, (4, 7)), device=DEV)
    out = emb(idx)
    out.sum().backward()
    w = emb.weight.detach().cpu().numpy()
    np.testing.assert_allclose(host(out), w[host(idx)], rtol=0, atol=0)
    g = host(emb.weight.grad)
    counts = np.bincount(host(idx).reshape(-1), minlength=50).astype(np.float32)
    counts[3] = 0
    np.testing.assert_allclose(g, np.repeat(counts[:, None], 8, 1))


# ---------------------------------------------------------------- errors


def _raises_out_of_bounds(bad_call, good_call):
    """A bad index raises IndexError "out of bounds": at once on the CPU; on CUDA the
    kernel records it, and the next index op after a sync reports it."""
    with pytest.raises(IndexError, match="out of (bounds|range)"):
        bad_call()
        ember.cuda.synchronize() if not DRY_RUN else None
        good_call()
    good_call()  # the report was cleared: later ops work


def test_out_of_bounds_indices_raise():
    x = make(randn((4, 5)), device=DEV)
    good = make(np.array([0, 1]), device=DEV)
    ok = lambda: ember.index_select(x, 0, good)  # noqa: E731
    _raises_out_of_bounds(lambda: ember.index_select(x, 0, make(np.array([0, 4]), device=DEV)), ok)
    _raises_out_of_bounds(lambda: ember.index_select(x, 1, make(np.array([-1]), device=DEV)), ok)
    _raises_out_of_bounds(lambda: ember.gather(x, 1, make(np.array([[0, 7]]), device=DEV)), ok)
    _raises_out_of_bounds(lambda: ember.take(x, make(np.array([-21]), device=DEV)), ok)
    _raises_out_of_bounds(lambda: x[make(np.array([2, 9]), device=DEV)], ok)
    _raises_out_of_bounds(lambda: x.clone().index_put_((make(np.array([5]), device=DEV),), make(np.zeros(5, np.float32),
                                                                                                  device=DEV)), ok)
    _raises_out_of_bounds(lambda: ember.scatter_add(x, 0, make(np.array([[4, 0]]), device=DEV),
                                                    make(np.ones((1, 2), np.float32), device=DEV)), ok)
    _raises_out_of_bounds(lambda: ember.index_add(x, 0, make(np.array([1, 100]), device=DEV),
                                                  make(np.ones((2, 5), np.float32), device=DEV)), ok)
    _raises_out_of_bounds(lambda: F.embedding(make(np.array([10]), device=DEV), make(randn((10, 3)), device=DEV)), ok)


def test_out_of_bounds_output_is_not_garbage():
    if DRY_RUN:
        return
    x = make(randn((4, 5)) + 10, device=DEV)
    out = ember.index_select(x, 0, make(np.array([1, 99, 2]), device=DEV))
    got = host(out)
    np.testing.assert_array_equal(got[1], np.zeros(5, np.float32))
    with pytest.raises(IndexError, match="out of bounds"):
        ember.masked_select(x, x > 0)  # syncs: reports the earlier bad index


def test_mixed_devices_raise():
    x = make(randn((4, 5)), device=DEV)
    xc = make(randn((4, 5)))
    ic = make(np.array([0, 1]))
    mixed_device_raises(lambda: ember.index_select(x, 0, ic))
    mixed_device_raises(lambda: ember.gather(x, 0, make(np.zeros((1, 5), np.int64))))
    mixed_device_raises(lambda: ember.scatter_add(x, 0, make(np.zeros((1, 5), np.int64), device=DEV), xc[:1]))
    mixed_device_raises(lambda: ember.index_add(x, 0, ic, xc[:2]))
    mixed_device_raises(lambda: x.masked_fill(xc > 0, 1.0))
    mixed_device_raises(lambda: ember.masked_select(x, xc > 0))
    mixed_device_raises(lambda: x.clone().index_put_((make(np.array([0]), device=DEV),), xc[0]))


def test_cpu_index_tensors_index_cuda_tensors():
    # as in torch, x_cuda[cpu_index] and x_cuda[cpu_index] = cpu_value move the CPU side over
    x = randn((4, 5))
    g, c = make(x, device=DEV), make(x)
    ic = make(np.array([3, 0, 3]))
    np.testing.assert_array_equal(host(g[ic]), host(c[ic]))
    g[ic[:2]] = make(np.ones((2, 5), np.float32))
    c[ic[:2]] = make(np.ones((2, 5), np.float32))
    np.testing.assert_array_equal(host(g), host(c))


# ---------------------------------------------------------------- embedding_bag


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("dt", [ember.float32, ember.float64], ids=lambda d: d.name)
def test_embedding_bag(mode, dt):
    w = randn((12, 37))
    idx = np.array([3, 0, 11, 3, 5, 5, 2, 9, 0, 7])
    offs = np.array([0, 2, 2, 7])  # an empty bag, a long last bag
    compare(lambda a, i, o: F.embedding_bag(i, a, o, mode=mode), [(w, dt), (idx, None), (offs, None)],
            grad_inputs=(0,))
    compare(lambda a, i, o: F.embedding_bag(i, a, o, mode=mode, padding_idx=3), [(w, dt), (idx, None), (offs, None)],
            grad_inputs=(0,))
    compare(lambda a, i: F.embedding_bag(i.reshape(2, 5), a, mode=mode), [(w, dt), (idx, None)], grad_inputs=(0,))


def test_embedding_bag_per_sample_weights():
    w = randn((12, 5))
    idx = np.array([3, 0, 11, 3, 5, 5])
    offs = np.array([0, 4])
    psw = randn((6,), 3)
    compare(lambda a, i, o, p: F.embedding_bag(i, a, o, mode="sum", per_sample_weights=p),
            [(w, None), (idx, None), (offs, None), (psw, None)], grad_inputs=(0,))


def test_embedding_bag_bad_index_raises():
    w = make(randn((4, 3)), device=DEV)
    offs = make(np.array([0, 1]), device=DEV)
    ok = lambda: ember.index_select(w, 0, make(np.array([0]), device=DEV))  # noqa: E731
    with pytest.raises((IndexError, RuntimeError), match="out of (bounds|range)"):
        F.embedding_bag(make(np.array([1, 4]), device=DEV), w, offs, mode="sum")
        ember.cuda.synchronize() if not DRY_RUN else None
        ok()
    ok()


def test_index_copy_and_index_fill():
    x = randn((5, 4))
    src = randn((3, 4), 2)
    idx = np.array([4, 0, 2])
    compare(lambda a, i, s: ember.index_copy(a, 0, i, s), [(x, None), (idx, None), (src, None)], grad_inputs=(0, 2))
    compare(lambda a, i: a.index_fill(1, i % 4, -3.0), [(x, None), (idx, None)], grad_inputs=(0,))
    compare(lambda a, i: a.index_fill(0, i - 5, 2), [(x, ember.int64), (idx, None)])


@pytest.mark.parametrize("dt", [ember.uint8, ember.bool, ember.float16, ember.bfloat16, ember.int32],
                         ids=lambda d: d.name)
def test_small_dtype_atomics(dt):
    # 1- and 2-byte elements update through a CAS on their 32-bit word: neighbours must survive
    self_ = np.abs(randn((3, 8))) * 3
    src = np.abs(randn((6, 8), 2)) * 3
    idx = ints(0, 3, (6, 8), seed=3)
    rtol = 2e-2 if dt in (ember.float16, ember.bfloat16) else None
    for red in ("sum", "amax", "amin") if dt != ember.bool else ("amax", "amin"):
        compare(lambda s, i, v: ember.scatter_reduce(s, 0, i, v, red), [(self_, dt), (idx, None), (src, dt)],
                rtol=rtol, atol=rtol)
    dup = np.array([1, 1, 0, 2, 1, 0])
    compare(lambda s, i, v: s.clone().index_put_((i,), v, accumulate=True), [(self_, dt), (dup, None), (src, dt)],
            rtol=rtol, atol=rtol)
