"""CUDA backend core: device transfers for every dtype, dtype conversion and
strided copies on the GPU, fill, elementwise kernels against NumPy, the caching
allocator, device errors, DLPack / __cuda_array_interface__ on CUDA tensors.

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


# ---------------------------------------------------------------- caching allocator


def test_caching_allocator_stats():
    gc.collect()
    ember.cuda.synchronize()
    ember.cuda.empty_cache()
    base = ember.cuda.memory_allocated()
    assert ember.cuda.memory_reserved() == base  # nothing cached after empty_cache
    nbytes = 4 << 20
    x = ember.empty(nbytes // 4, device="cuda")
    assert ember.cuda.memory_allocated() >= base + nbytes
    ptr = x.data_ptr()
    del x
    gc.collect()
    assert ember.cuda.memory_allocated() == base
    assert ember.cuda.memory_reserved() >= base + nbytes  # kept in the cache
    reserved = ember.cuda.memory_reserved()
    y = ember.empty(nbytes // 4, device="cuda")  # same size class: reused block
    assert y.data_ptr() == ptr
    assert ember.cuda.memory_reserved() == reserved
    del y
    gc.collect()
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() == ember.cuda.memory_allocated() == base


def test_many_allocations_reuse_cache():
    gc.collect()
    ember.cuda.empty_cache()
    for _ in range(200):
        t = ember.ones(1000, device="cuda") * 2.0
        del t
    gc.collect()
    assert ember.cuda.memory_reserved() < 1 << 20


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
