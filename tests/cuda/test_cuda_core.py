"""CUDA backend core: device transfers for every dtype, dtype conversion and
strided copies on the GPU, fill, elementwise kernels against NumPy and the CPU
(scalars by value, alpha, integer division, 32- and 64-bit index math), the caching
allocator (stats, reuse, OOM), streams and events, pinned memory and non_blocking
copies, device errors, DLPack / __cuda_array_interface__ on CUDA tensors.

Skips as a whole without a usable GPU (or on a build without CUDA)."""
import gc

import numpy as np
import pytest

import ember
from ember import _C
from ember.tensor import _wrap

pytestmark = pytest.mark.cuda
if not ember.cuda.is_available():
    pytest.skip(f"no CUDA GPU: {_C.cuda.unavailable_reason()}", allow_module_level=True)

DTYPES = [ember.bool, ember.uint8, ember.int32, ember.int64, ember.float16, ember.bfloat16, ember.float32,
          ember.float64]


def host(t):
    """NumPy copy of a tensor on any device (bfloat16 widened to float32)."""
    t = t.cpu()
    if t.dtype == ember.bfloat16:
        t = t.float()
    return t.numpy()


def rand(shape, dtype=np.float32, seed=0, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape).astype(dtype)


# ---------------------------------------------------------------- devices


def test_device_queries():
    assert ember.cuda.device_count() >= 1
    assert ember.cuda.is_built()
    assert isinstance(ember.cuda.get_device_name(0), str) and ember.cuda.get_device_name()
    assert ember.cuda.current_device() == 0
    ember.cuda.set_device(0)
    ember.cuda.synchronize()
    ember.cuda.synchronize(0)
    ember.cuda.synchronize("cuda:0")


def test_invalid_device_raises():
    bad = ember.cuda.device_count()
    with pytest.raises(RuntimeError, match=f"CUDA device {bad} is not available"):
        ember.zeros(2, device=f"cuda:{bad}")
    with pytest.raises(RuntimeError, match="not available"):
        ember.cuda.set_device(bad)


# ---------------------------------------------------------------- transfers and copies


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
def test_round_trip_every_dtype(dt):
    src = ember.tensor([[0, 1, 2], [3, 0, 5]]).to(dt)
    g = src.cuda()
    assert g.is_cuda and g.device == ember.device("cuda:0") and g.dtype == dt
    back = g.cpu()
    assert back.is_cpu and back.dtype == dt
    np.testing.assert_array_equal(host(back), host(src))


def test_round_trip_float_values_exact():
    a = rand((257, 33), np.float64, seed=1)
    np.testing.assert_array_equal(ember.tensor(a).cuda().cpu().numpy(), a)
    a32 = a.astype(np.float32)
    np.testing.assert_array_equal(ember.tensor(a32).to("cuda").numpy(force=True), a32)


@pytest.mark.parametrize("src_dt", DTYPES, ids=lambda d: d.name)
def test_dtype_conversion_on_gpu_matches_cpu(src_dt):
    # Non-negative values, some fractional: every conversion pair is well defined.
    x = ember.tensor([0.0, 1.0, 2.5, 3.75, 7.0, 0.5, 100.0, 1e-3]).to(src_dt)
    g = x.cuda()
    for dst_dt in DTYPES:
        want = host(x.to(dst_dt))
        got = host(g.to(dst_dt))
        np.testing.assert_array_equal(got, want, err_msg=f"{src_dt} -> {dst_dt}")


def test_transposed_and_sliced_copies():
    a = rand((6, 7), seed=2)
    g = ember.tensor(a).cuda()
    cases = {
        "T": (_wrap(g._a.transpose(0, 1)), a.T),
        "slice_step": (_wrap(g._a.slice(1, 1, 7, 3)), a[:, 1:7:3]),
        "select_col": (_wrap(g._a.select(1, 4)), a[:, 4]),
        "permute3d": (_wrap(ember.tensor(a.reshape(2, 3, 7)).cuda()._a.permute([2, 0, 1])),
                      a.reshape(2, 3, 7).transpose(2, 0, 1)),
    }
    for name, (v, ref) in cases.items():
        np.testing.assert_array_equal(host(v), ref, err_msg=name)          # strided D2H staging
        np.testing.assert_array_equal(host(_wrap(v._a.contiguous())), ref, err_msg=name)  # GPU kernel
        np.testing.assert_array_equal(host(_wrap(v._a.to_dtype(_C.DType.float64))), ref.astype(np.float64),
                                      err_msg=name)


def test_copy_into_strided_destination_with_broadcast():
    dst = ember.zeros(4, 5, device="cuda")
    col = _wrap(dst._a.select(1, 2))  # non-contiguous destination
    col.copy_(ember.tensor([1.0, 2.0, 3.0, 4.0]).cuda())
    ref = np.zeros((4, 5), np.float32)
    ref[:, 2] = [1, 2, 3, 4]
    np.testing.assert_array_equal(host(dst), ref)
    # broadcast a row into every row, converting float64 -> float32 on the GPU
    dst.copy_(ember.tensor(np.arange(5.0)).cuda())
    np.testing.assert_array_equal(host(dst), np.tile(np.arange(5.0, dtype=np.float32), (4, 1)))
    # host -> device copy_ into a transposed view
    dt = _wrap(dst._a.transpose(0, 1))
    dt.copy_(ember.tensor(np.arange(20.0, dtype=np.float32).reshape(5, 4)))
    np.testing.assert_array_equal(host(dst), np.arange(20.0, dtype=np.float32).reshape(5, 4).T)


def test_large_copy_and_odd_sizes():
    for n in (1, 3, 1023, 1 << 20, (1 << 20) + 7):
        a = rand((n,), seed=n)
        np.testing.assert_array_equal(ember.tensor(a).cuda().cpu().numpy(), a)


# ---------------------------------------------------------------- fill / zero


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
def test_full_and_fill(dt):
    t = ember.full((3, 5), 3.0, dtype=dt, device="cuda")
    np.testing.assert_array_equal(host(t), host(ember.full((3, 5), 3.0, dtype=dt)))
    z = ember.zeros(2, 3, dtype=dt, device="cuda")
    np.testing.assert_array_equal(host(z), host(ember.zeros(2, 3, dtype=dt)))


def test_fill_and_zero_strided_view():
    t = ember.ones(4, 6, device="cuda")
    _wrap(t._a.select(1, 1)).fill_(5.0)
    _wrap(t._a.slice(0, 0, 4, 2)).zero_()
    ref = np.ones((4, 6), np.float32)
    ref[:, 1] = 5.0
    ref[0::2] = 0.0
    np.testing.assert_array_equal(host(t), ref)
    assert ember.full((1,), 2.5, device="cuda").item() == 2.5


def test_empty_tensors():
    e = ember.zeros(0, 3, device="cuda")
    assert e.shape == (0, 3) and host(e).shape == (0, 3)
    assert host(e + 1).shape == (0, 3)


# ---------------------------------------------------------------- elementwise


def _check(got, want, dtype):
    tol = {np.float32: 2e-6, np.float64: 1e-12}.get(dtype, 0)
    np.testing.assert_allclose(host(got).astype(np.float64), want, rtol=tol * 4, atol=tol, equal_nan=True)


BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "maximum": np.maximum, "minimum": np.minimum, "pow": np.power,
}
UNARY = {
    "neg": np.negative, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "tanh": np.tanh, "abs": np.abs,
}


def _bin(name, a, b):
    return getattr(ember, name)(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_float(name, dtype):
    lo = 0.1 if name == "pow" else -2.0
    a, b = rand((37, 41), dtype, 3, lo), rand((37, 41), dtype, 4, lo)
    want = BINARY[name](a.astype(np.float64), b.astype(np.float64))
    ga, gb = ember.tensor(a).cuda(), ember.tensor(b).cuda()
    _check(_bin(name, ga, gb), want, dtype)
    # broadcasting (37, 1) x (1, 41), and a transposed operand
    a1, b1 = a[:, :1], b[:1, :]
    _check(_bin(name, ember.tensor(a1).cuda(), ember.tensor(b1).cuda()),
           BINARY[name](a1.astype(np.float64), b1.astype(np.float64)), dtype)
    bt = np.ascontiguousarray(b.T)
    gbt = _wrap(ember.tensor(bt).cuda()._a.transpose(0, 1))
    _check(_bin(name, ga, gbt), want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_float(name, dtype):
    a = rand((1000,), dtype, 5, 0.05 if name in ("log", "sqrt") else -3.0)
    g = ember.tensor(a).cuda()
    _check(getattr(ember, name)(g), UNARY[name](a.astype(np.float64)), dtype)
    # strided input (every other element), odd length
    s = _wrap(g._a.slice(0, 1, 1000, 2))
    _check(getattr(ember, name)(s), UNARY[name](a[1::2].astype(np.float64)), dtype)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("name", ["add", "sub", "mul"])
def test_binary_int(name, dtype):
    a = np.arange(-50, 50, dtype=dtype).reshape(10, 10)
    b = (np.arange(100, dtype=dtype).reshape(10, 10) * 7 % 13 - 6).astype(dtype)
    got = _bin(name, ember.tensor(a).cuda(), ember.tensor(b).cuda())
    assert got.dtype == ember.from_numpy(a).dtype
    np.testing.assert_array_equal(host(got), BINARY[name](a, b))


def test_vector_path_tails_and_misaligned_views():
    # Contiguous sizes around the 16-byte vector width, and views starting one element
    # in (not 16-byte aligned): both must equal the reference.
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 1001, 65537):
        a, b = rand((n + 1,), np.float32, n), rand((n + 1,), np.float32, n + 1)
        ga, gb = ember.tensor(a).cuda(), ember.tensor(b).cuda()
        _check(ga + gb, a.astype(np.float64) + b, np.float32)
        va, vb = _wrap(ga._a.slice(0, 1, n + 1, 1)), _wrap(gb._a.slice(0, 1, n + 1, 1))
        _check(va * vb, a[1:].astype(np.float64) * b[1:], np.float32)
        _check(ember.exp(va), np.exp(a[1:].astype(np.float64)), np.float32)


def test_scalar_operands_and_nan():
    a = np.array([1.0, -2.0, np.nan, np.inf, -0.5], np.float32)
    g = ember.tensor(a).cuda()
    _check(g * 2.0, a.astype(np.float64) * 2.0, np.float32)
    _check(g + 1, a.astype(np.float64) + 1, np.float32)
    other = ember.tensor(np.array([0.0, np.nan, 1.0, 1.0, 0.0], np.float32)).cuda()
    got = host(ember.maximum(g, other))
    np.testing.assert_array_equal(np.isnan(got), [False, True, True, False, False])
    np.testing.assert_array_equal(host(ember.relu(g))[[0, 1, 3, 4]], [1.0, 0.0, np.inf, 0.0])


def test_half_precision_elementwise():
    a = rand((129,), np.float32, 7)
    for dt in (ember.float16, ember.bfloat16):
        g = ember.tensor(a).cuda().to(dt)
        ref = host(ember.tensor(a).to(dt)).astype(np.float64)
        got = host(g + g)
        np.testing.assert_allclose(got, 2 * ref, rtol=1e-2)


def test_device_mismatch_error():
    c = ember.ones(3)
    g = ember.ones(3, device="cuda")
    # PyTorch raises RuntimeError; the message names both devices.
    pat = r"\[add\] expected all tensors (to be )?on the same device.*(cpu and cuda:0|cuda:0 and cpu)"
    with pytest.raises((RuntimeError, ValueError), match=pat):
        c + g
    with pytest.raises((RuntimeError, ValueError), match=r"\[mul\].*same device"):
        g * c


def test_zero_dim_cpu_tensor_joins_cuda_tensors():
    # PyTorch's rule: a 0-d CPU tensor acts like a number next to GPU tensors (it keeps
    # its dtype for promotion); a 1-d CPU tensor still raises.
    g = ember.tensor([1, 2, 3], dtype=ember.int32, device="cuda")
    s = ember.tensor(2.5, dtype=ember.float64)
    r = g + s
    assert r.device.type == "cuda" and r.dtype == ember.float64
    np.testing.assert_allclose(host(r), [3.5, 4.5, 5.5])
    r = s * g
    assert r.device.type == "cuda"
    np.testing.assert_allclose(host(r), [2.5, 5.0, 7.5])
    assert host(g > ember.tensor(1)).tolist() == [False, True, True]
    w = ember.where(g > 1, g.float(), ember.tensor(0.0))
    assert w.device.type == "cuda" and host(w).tolist() == [0.0, 2.0, 3.0]
    x = ember.ones(3, device="cuda")
    assert host(ember.lerp(x, x * 3, ember.tensor(0.5))).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="same device"):
        g + ember.tensor([1])


def test_zero_dim_cpu_tensor_gradient_stays_on_cpu():
    s = ember.tensor(3.0, requires_grad=True)
    x = ember.arange(4.0, device="cuda").requires_grad_()
    (x * s).sum().backward()
    assert s.grad.device.type == "cpu" and float(s.grad) == 6.0
    assert x.grad.device.type == "cuda" and host(x.grad).tolist() == [3.0] * 4


# ---------------------------------------------------------------- caching allocator


def _stats():
    return ember.cuda.memory_stats()


def test_caching_allocator_stats():
    gc.collect()
    ember.cuda.synchronize()
    ember.cuda.empty_cache()
    base = ember.cuda.memory_allocated()
    nbytes = 4 << 20
    x = ember.empty(nbytes // 4, device="cuda")
    assert ember.cuda.memory_allocated() == base + nbytes
    assert ember.cuda.max_memory_allocated() >= base + nbytes
    ptr = x.data_ptr()
    del x
    gc.collect()
    assert ember.cuda.memory_allocated() == base
    assert ember.cuda.memory_reserved() >= base + nbytes  # kept in the cache
    reserved = ember.cuda.memory_reserved()
    y = ember.empty(nbytes // 4, device="cuda")  # same size, same stream: the same block
    assert y.data_ptr() == ptr
    assert ember.cuda.memory_reserved() == reserved
    del y
    gc.collect()
    ember.cuda.empty_cache()  # returns the segments that are entirely free
    assert ember.cuda.memory_reserved() <= reserved
    st = _stats()
    assert st["allocated_bytes.all.current"] == ember.cuda.memory_allocated()
    assert st["reserved_bytes.all.current"] == ember.cuda.memory_reserved()
    for key in ("reserved_bytes.all.peak", "num_alloc_retries", "num_device_alloc", "segment.all.current",
                "allocation.all.current", "allocated_bytes.small_pool.current", "num_ooms"):
        assert key in st


def test_peak_stats_and_reset():
    gc.collect()
    ember.cuda.reset_peak_memory_stats()
    base = ember.cuda.memory_allocated()
    assert ember.cuda.max_memory_allocated() == base
    x = ember.empty(1 << 22, device="cuda")
    del x
    gc.collect()
    assert ember.cuda.max_memory_allocated() >= base + (16 << 20)
    assert ember.cuda.max_memory_reserved() >= ember.cuda.memory_reserved()
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() == ember.cuda.memory_allocated()


def test_steady_state_makes_no_device_malloc():
    gc.collect()
    w = ember.randn(256, 256, device="cuda")
    x = ember.randn(64, 256, device="cuda")

    def step():
        y = (x * 2.0 + 1.0).exp() - w[:64] * 0.5
        z = ember.relu(y) + y.abs()
        return z

    step()
    before = _stats()["num_device_alloc"]
    for _ in range(100):
        step()
    ember.cuda.synchronize()
    assert _stats()["num_device_alloc"] == before


def test_small_tensors_share_a_segment():
    gc.collect()
    ember.cuda.empty_cache()
    before = _stats()["num_device_alloc"]
    ts = [ember.ones(1000, device="cuda") for _ in range(100)]  # 100 x 4 KB
    assert _stats()["num_device_alloc"] - before <= 1  # one 2 MiB small segment
    del ts


def test_out_of_memory_message():
    gc.collect()
    with pytest.raises(RuntimeError, match=r"CUDA out of memory\. Tried to allocate .* MiB \(GPU 0; .* GiB total "
                       r"capacity; .* GiB already allocated; .* GiB reserved by ember\)"):
        ember.empty(1 << 48, dtype=ember.uint8, device="cuda")  # 256 TiB
    st = _stats()
    assert st["num_ooms"] >= 1 and st["num_alloc_retries"] >= 1
    ember.ones(10, device="cuda")  # still usable


# ---------------------------------------------------------------- streams and events


def test_current_and_default_stream():
    cur = ember.cuda.current_stream()
    assert cur == ember.cuda.default_stream() and cur.cuda_stream == 0
    s = ember.cuda.Stream()
    assert s.cuda_stream != 0 and s.device == ember.device("cuda:0")
    with ember.cuda.stream(s):
        assert ember.cuda.current_stream() == s
    assert ember.cuda.current_stream() == cur
    with ember.cuda.stream(None):
        assert ember.cuda.current_stream() == cur
    hi = ember.cuda.Stream(priority=-1)
    hi.synchronize()
    assert hi.query()


def test_work_on_a_side_stream_is_ordered_by_events():
    a = ember.tensor(rand((1 << 20,), seed=11)).cuda()
    s = ember.cuda.Stream()
    s.wait_stream(ember.cuda.current_stream())  # a is ready before s uses it
    with ember.cuda.stream(s):
        b = a * 2.0
        for _ in range(20):
            b = b + 1.0
        done = s.record_event()
    a.record_stream(s)
    b.record_stream(ember.cuda.current_stream())
    ember.cuda.current_stream().wait_event(done)
    c = b - a  # on the default stream, after s's work
    np.testing.assert_allclose(host(c), host(a) + 20.0, rtol=1e-5, atol=1e-5)
    s.synchronize()
    assert s.query() and done.query()


def test_event_elapsed_time():
    x = ember.randn(1 << 22, device="cuda")
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(10):
        x = x * 1.0001
    end.record()
    end.synchronize()
    assert end.query()
    ms = start.elapsed_time(end)
    assert isinstance(ms, float) and ms > 0
    with pytest.raises(RuntimeError, match="enable_timing"):
        ev = ember.cuda.Event()
        ev.record()
        ev.synchronize()
        ev.elapsed_time(end)
    assert ember.cuda.Event().query()  # never recorded: nothing to wait for


def test_record_stream_keeps_the_block_until_the_stream_is_done():
    gc.collect()
    s = ember.cuda.Stream()
    x = ember.empty(1 << 20, device="cuda")  # 4 MiB, allocated on the default stream
    s.wait_stream(ember.cuda.current_stream())
    with ember.cuda.stream(s):
        y = x * 2.0  # noqa: F841  (uses x on s)
    x.record_stream(s)
    del x
    gc.collect()
    st = _stats()
    assert st["active_bytes.all.current"] - st["allocated_bytes.all.current"] >= 4 << 20  # awaiting s
    s.synchronize()
    ember.ones(1, device="cuda")  # an allocation checks the pending events
    st = _stats()
    assert st["active_bytes.all.current"] == st["allocated_bytes.all.current"]


# ---------------------------------------------------------------- pinned memory, async copies


def test_pin_memory_and_non_blocking_round_trip():
    a = rand((1000, 33), seed=12)
    t = ember.tensor(a)
    assert not t.is_pinned()
    p = t.pin_memory()
    assert p.is_pinned() and p.pin_memory() is p
    assert ember.tensor(a, pin_memory=True).is_pinned()
    np.testing.assert_array_equal(p.numpy(), a)
    g = p.to("cuda", non_blocking=True)
    g2 = p.cuda(non_blocking=True)
    h = t.cuda(non_blocking=True)  # pageable: falls back to a synchronous copy
    ember.cuda.synchronize()
    for x in (g, g2, h):
        np.testing.assert_array_equal(host(x), a)
    # copy_ with non_blocking into an existing CUDA tensor, from a pinned view
    dst = ember.zeros(33, device="cuda")
    dst.copy_(_wrap(p._a.select(0, 5)), non_blocking=True)
    ember.cuda.synchronize()
    np.testing.assert_array_equal(host(dst), a[5])
    with pytest.raises(RuntimeError, match="pin"):
        g.pin_memory()


def test_pinned_block_is_not_reused_before_its_copy_ran():
    # Many async copies from short-lived pinned buffers: every result must be right.
    outs, refs = [], []
    for i in range(20):
        a = rand((1 << 16,), seed=100 + i)
        outs.append(ember.tensor(a).pin_memory().to("cuda", non_blocking=True))
        refs.append(a)
    for o, r in zip(outs, refs):
        np.testing.assert_array_equal(host(o), r)


@pytest.mark.skipif(ember.cuda.device_count() < 2, reason="needs two GPUs")
def test_peer_copy_between_devices():
    a = rand((513, 7), seed=13)
    g0 = ember.tensor(a).cuda(0)
    g1 = g0.to("cuda:1")
    assert g1.device == ember.device("cuda:1")
    np.testing.assert_array_equal(host(g1), a)
    np.testing.assert_array_equal(host(_wrap(g1._a.transpose(0, 1)).to("cuda:0")), a.T)


def test_bad_device_index_raises():
    n = ember.cuda.device_count()
    if n > 7:
        pytest.skip("8 or more GPUs")
    with pytest.raises(RuntimeError, match="CUDA device 7 is not available"):
        ember.ones(2, device="cuda:7")
    with pytest.raises(RuntimeError, match="CUDA device 7 is not available"):
        ember.ones(2).to("cuda:7")


# ---------------------------------------------------------------- elementwise launch path


EW_DTYPES = [ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int32, ember.int64, ember.uint8]


def _ref_pair(dt, seed):
    rng = np.random.default_rng(seed)
    if dt.is_floating_point:
        a, b = rng.uniform(-3, 3, (17, 29)), rng.uniform(0.5, 3, (17, 29)) * rng.choice([-1, 1], (17, 29))
    elif dt == ember.uint8:
        a, b = rng.integers(0, 200, (17, 29)), rng.integers(1, 20, (17, 29))
    else:
        a, b = rng.integers(-100, 100, (17, 29)), rng.integers(1, 20, (17, 29)) * rng.choice([-1, 1], (17, 29))
    return ember.tensor(a).to(dt), ember.tensor(b).to(dt)


def _assert_same(got, want, dt, what):
    tol = {ember.float16: 2e-3, ember.bfloat16: 1e-2, ember.float32: 1e-6, ember.float64: 1e-12}.get(dt, 0)
    assert got.dtype == want.dtype, what
    np.testing.assert_allclose(host(got).astype(np.float64), host(want).astype(np.float64), rtol=tol, atol=tol,
                               err_msg=what)


@pytest.mark.parametrize("dt", EW_DTYPES, ids=lambda d: d.name)
def test_binary_ops_match_cpu_with_scalars_and_alpha(dt):
    a, b = _ref_pair(dt, 21)
    ga, gb = a.cuda(), b.cuda()
    ops = ["add", "sub", "mul", "maximum", "minimum", "eq", "lt", "ge", "remainder", "fmod", "floor_divide"]
    if dt.is_floating_point:
        ops += ["div", "atan2", "pow"]
    for name in ops:
        f = getattr(ember, name)
        _assert_same(f(ga, gb), f(a, b), dt, name)
        if name in ("maximum", "minimum", "atan2"):  # tensors only, as in torch
            continue
        s = 3 if not dt.is_floating_point else 2.5
        _assert_same(f(ga, s), f(a, s), dt, f"{name} tensor-scalar")
        _assert_same(f(s, gb), f(s, b), dt, f"{name} scalar-tensor")
    _assert_same(ember.add(ga, gb, alpha=2), ember.add(a, b, alpha=2), dt, "add alpha")
    _assert_same(ember.sub(ga, 3, alpha=2), ember.sub(a, 3, alpha=2), dt, "sub scalar alpha")
    if not dt.is_floating_point:
        _assert_same(ga // gb, a // b, dt, "//")
        _assert_same(ga % gb, a % b, dt, "%")


def test_scalars_go_by_value_no_extra_allocation():
    x = ember.randn(4096, device="cuda")
    y = x * 2.0  # warm up
    gc.collect()
    before = _stats()["allocation.all.allocated"]
    y = x * 2.0 + 1.0  # two results, no 0-d scalar tensors
    assert _stats()["allocation.all.allocated"] - before == 2
    np.testing.assert_allclose(host(y), host(x) * 2 + 1, rtol=1e-6)


def test_half_scalar_kept_in_float32():
    # torch computes f16 (x) python-float in float32 with the scalar unrounded
    x = ember.tensor(np.array([1.0, 3.0, 1000.0], np.float32)).to(ember.float16)
    got = host(x.cuda() * 0.1)
    np.testing.assert_array_equal(got, host(x * 0.1))


def test_integer_division_by_zero_tensor_does_not_sync_or_raise():
    a = ember.tensor([7, -7, 5], dtype=ember.int64).cuda()
    b = ember.tensor([0, 2, 0], dtype=ember.int64).cuda()
    q = host(a // b)
    assert q[1] == -4 and q[0] == 0 and q[2] == 0  # by zero: 0 on CUDA (the CPU raises)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        a // 0  # a Python-number divisor is checked on the host


@pytest.mark.parametrize("shape,perm", [((5, 7, 9), (2, 0, 1)), ((3, 1, 65, 2), (3, 2, 1, 0)),
                                        ((1000, 3), (1, 0)), ((2, 3, 4, 5, 6), (4, 1, 3, 0, 2))])
def test_fast_divmod_strided_views_match_cpu(shape, perm):
    a = rand(shape, seed=31)
    b = rand(shape[::-1], seed=32)
    g = ember.tensor(a).cuda()
    v = _wrap(g._a.permute(list(perm)))
    cv = _wrap(ember.tensor(a)._a.permute(list(perm)))
    _assert_same(ember.exp(v), ember.exp(cv), ember.float32, "unary strided")
    w = ember.tensor(rand(cv.shape, seed=33))
    _assert_same(v * w.cuda(), cv * w, ember.float32, "binary strided")
    _assert_same(v.contiguous(), cv.contiguous(), ember.float32, "copy strided")
    sl = _wrap(v._a.slice(0, 0, v.shape[0], 2))
    csl = _wrap(cv._a.slice(0, 0, cv.shape[0], 2))
    _assert_same(sl + 1.0, csl + 1.0, ember.float32, "sliced + scalar")
    del b


def test_index_math_64bit_path():
    # 3 x 2^30 bytes viewed transposed: offsets pass 2^31, so the 64-bit index path runs.
    n = 1 << 30
    x = ember.zeros(3, n, dtype=ember.uint8, device="cuda")
    _wrap(x._a.select(0, 2)).fill_(5)
    t = _wrap(x._a.transpose(0, 1))  # (n, 3), strides (1, n)
    y = t + 1
    assert y.shape == (n, 3)
    tail = host(_wrap(y._a.slice(0, n - 2, n, 1)))
    np.testing.assert_array_equal(tail, [[1, 1, 6], [1, 1, 6]])
    head = host(_wrap(y._a.slice(0, 0, 2, 1)))
    np.testing.assert_array_equal(head, [[1, 1, 6], [1, 1, 6]])
    del x, y, t
    gc.collect()
    ember.cuda.empty_cache()


def test_torch_cuda_elementwise_parity():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    a = rand((64, 33), seed=41)
    b = rand((33,), seed=42)
    ta, tb = torch.tensor(a, device="cuda"), torch.tensor(b, device="cuda")
    ea, eb = ember.tensor(a).cuda(), ember.tensor(b).cuda()
    for name in ("add", "mul", "sub", "maximum", "atan2"):
        np.testing.assert_allclose(host(getattr(ember, name)(ea, eb)), getattr(torch, name)(ta, tb).cpu().numpy(),
                                   rtol=1e-6, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(host(ea * 0.3 + 2), (ta * 0.3 + 2).cpu().numpy(), rtol=1e-6)


# ---------------------------------------------------------------- interop on CUDA


def test_dlpack_cuda_capsule_round_trip():
    g = ember.tensor(np.arange(12, dtype=np.float32).reshape(3, 4)).cuda()
    assert g.__dlpack_device__() == (2, 0)
    for versioned in (False, True):
        u = ember.from_dlpack(_C.to_dlpack(g._a, versioned))
        assert u.is_cuda and u.data_ptr() == g.data_ptr()
    u = ember.from_dlpack(g)  # through the protocol
    u.fill_(9.0)
    assert (host(g) == 9.0).all()
    # dl_device=(1, 0) asks for a host copy
    h = ember.from_dlpack(g.__dlpack__(max_version=(1, 0), dl_device=(1, 0)))
    assert h.is_cpu and (h.numpy() == 9.0).all()
    with pytest.raises(BufferError):
        g.__dlpack__(dl_device=(1, 0), copy=False)


def test_cuda_array_interface():
    g = ember.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)).cuda()
    cai = g.__cuda_array_interface__
    assert cai["version"] == 3 and cai["typestr"] == "<f4" and cai["shape"] == (2, 3)
    assert cai["data"] == (g.data_ptr(), False) and cai["strides"] is None
    t = _wrap(g._a.transpose(0, 1))
    assert t.__cuda_array_interface__["strides"] == (4, 12)


def test_torch_cuda_interop():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    x = torch.arange(10, dtype=torch.float32, device="cuda")
    e = ember.from_dlpack(x)
    assert e.is_cuda and e.data_ptr() == x.data_ptr()
    y = torch.from_dlpack(e * 2.0)
    assert torch.equal(y.cpu(), (x * 2).cpu())


# Every elementwise op id reaches its own functor (the rare ops share kernels through
# OpSet with a run-time member index: a wrong index would show here).
ALL_UNARY = ["neg", "abs", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square",
             "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "relu",
             "erf", "erfinv", "sign", "floor", "ceil", "round", "trunc", "frac", "isnan", "isinf", "isfinite",
             "logical_not", "bitwise_not"]
ALL_BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "atan2", "maximum", "minimum",
              "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and",
              "bitwise_or", "bitwise_xor"]


def _operand(dt, seed, n=67):
    r = np.random.default_rng(seed)
    if dt == ember.bool:
        return ember.tensor(r.integers(0, 2, n).astype(bool))
    if dt.is_floating_point:
        return ember.tensor(r.uniform(0.1, 0.9, n).astype(np.float32)).to(dt)
    return ember.tensor(r.integers(1, 9, n)).to(dt)


def _same_or_both_raise(fn, cpu_args, cuda_args, what):
    try:
        want = fn(*cpu_args)
    except Exception:
        with pytest.raises(Exception):
            fn(*cuda_args)
        return
    got = fn(*cuda_args)
    tol = {ember.float16: 2e-3, ember.bfloat16: 1e-2, ember.float32: 1e-5, ember.float64: 1e-12}.get(want.dtype, 0)
    assert got.dtype == want.dtype, what
    np.testing.assert_allclose(host(got).astype(np.float64), host(want).astype(np.float64), rtol=tol, atol=tol,
                               equal_nan=True, err_msg=what)


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
def test_every_elementwise_op_matches_cpu(dt):
    a, b = _operand(dt, 1), _operand(dt, 2)
    ga, gb = a.cuda(), b.cuda()
    for name in ALL_UNARY:
        f = getattr(ember, name)
        _same_or_both_raise(f, (a,), (ga,), f"{name} {dt}")
        _same_or_both_raise(f, (a[::2],), (ga[::2],), f"{name} strided {dt}")
    for name in ALL_BINARY:
        f = getattr(ember, name)
        _same_or_both_raise(f, (a, b), (ga, gb), f"{name} {dt}")
        _same_or_both_raise(f, (a[::2], b[1::2]), (ga[::2], gb[1::2]), f"{name} strided {dt}")
