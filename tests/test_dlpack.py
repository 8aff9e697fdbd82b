"""DLPack interop on the CPU: zero-copy both ways with NumPy (and PyTorch when
installed), every dtype, strided views, capsule ownership rules, no leaks."""
import gc
import weakref

import numpy as np
import pytest

import ember
from ember import _C
from ember.tensor import _wrap

from helpers import assert_raises_in_child

NP_DTYPES = [np.bool_, np.uint8, np.int32, np.int64, np.float16, np.float32, np.float64]


def _sample(dtype, shape=(3, 4)):
    n = int(np.prod(shape))
    if dtype == np.bool_:
        return (np.arange(n) % 3 == 0).reshape(shape)
    return (np.arange(n) * 3 % 7).astype(dtype).reshape(shape)


# ---------------------------------------------------------------- NumPy -> ember


@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_numpy_to_ember_all_dtypes(dtype):
    a = _sample(dtype)
    t = ember.from_dlpack(a)
    assert isinstance(t, ember.Tensor)
    assert t.shape == a.shape
    assert t.dtype == ember.from_numpy(a).dtype
    assert t.data_ptr() == a.ctypes.data
    np.testing.assert_array_equal(t.numpy(), a)


def test_numpy_to_ember_is_zero_copy_both_directions():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = ember.from_dlpack(a)
    a[1, 2] = 100.0
    assert t.numpy()[1, 2] == 100.0
    t.fill_(7.0)  # a write through ember is seen by NumPy
    assert (a == 7.0).all()


def test_numpy_transposed_and_sliced_inputs():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    for a in (base.T, base[1:, ::2], base[:, 3], base.T[2:, 1:3]):
        t = ember.from_dlpack(a)
        assert t.shape == a.shape
        assert t.stride() == tuple(s // a.itemsize for s in a.strides)
        np.testing.assert_array_equal(t.numpy(), a)
        assert t.data_ptr() == a.ctypes.data


def test_numpy_scalar_and_empty():
    t = ember.from_dlpack(np.array(3.5))
    assert t.shape == () and t.item() == 3.5
    for shape in [(0,), (2, 0, 3)]:
        t = ember.from_dlpack(np.zeros(shape, np.float32))
        assert t.shape == shape and t.numel() == 0


def test_numpy_legacy_and_versioned_capsules():
    a = np.arange(6.0)
    for cap in (a.__dlpack__(), a.__dlpack__(max_version=(1, 0))):
        t = ember.from_dlpack(cap)
        np.testing.assert_array_equal(t.numpy(), a)
        assert t.data_ptr() == a.ctypes.data


def test_from_dlpack_keeps_producer_alive():
    a = np.arange(1000, dtype=np.float64)
    r = weakref.ref(a)
    t = ember.from_dlpack(a)
    del a
    gc.collect()
    assert r() is not None  # the ember tensor keeps the NumPy array alive
    assert t.numpy()[999] == 999.0
    del t
    gc.collect()
    assert r() is None  # ... and lets it go with the last view


def test_views_of_imported_tensor_keep_it_alive():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    r = weakref.ref(a)
    v = _wrap(ember.from_dlpack(a)._a.transpose(0, 1))
    del a
    gc.collect()
    assert r() is not None
    np.testing.assert_array_equal(v.numpy(), np.arange(12, dtype=np.float32).reshape(3, 4).T)
    del v
    gc.collect()
    assert r() is None


# ---------------------------------------------------------------- ember -> NumPy


@pytest.mark.parametrize("dtype", NP_DTYPES)
def test_ember_to_numpy_all_dtypes(dtype):
    src = _sample(dtype)
    t = ember.tensor(src)
    a = np.from_dlpack(t)
    assert a.dtype == src.dtype and a.shape == src.shape
    assert a.ctypes.data == t.data_ptr()
    np.testing.assert_array_equal(a, src)


def test_ember_to_numpy_is_zero_copy():
    t = ember.zeros(3, 4)
    a = np.from_dlpack(t)
    a[2, 3] = 5.0
    assert t.numpy()[2, 3] == 5.0
    t.fill_(2.0)
    assert (a == 2.0).all()


def test_ember_transposed_and_offset_views_to_numpy():
    src = np.arange(20, dtype=np.float32).reshape(4, 5)
    t = ember.tensor(src)
    views = {
        "T": (_wrap(t._a.transpose(0, 1)), src.T),
        "slice": (_wrap(t._a.slice(0, 1, 4, 2)), src[1:4:2]),
        "select": (_wrap(t._a.select(1, 3)), src[:, 3]),
        "expand": (_wrap(t._a.select(0, 0).unsqueeze(0).expand([3, 5])), np.broadcast_to(src[0], (3, 5))),
    }
    for name, (v, ref) in views.items():
        a = np.from_dlpack(v)
        assert a.shape == ref.shape, name
        np.testing.assert_array_equal(a, ref, err_msg=name)
        assert a.ctypes.data == v.data_ptr(), name


def test_ember_scalar_and_empty_to_numpy():
    a = np.from_dlpack(ember.tensor(2.5))
    assert a.shape == () and a[()] == 2.5
    a = np.from_dlpack(ember.zeros(0, 3))
    assert a.shape == (0, 3)


def test_exported_capsule_keeps_storage_alive():
    gc.collect()
    base = _C.cpu_allocated_bytes()
    t = ember.zeros(1 << 16)  # 256 KiB
    a = np.from_dlpack(t)
    del t
    gc.collect()
    assert _C.cpu_allocated_bytes() >= base + (1 << 18)
    a[-1] = 1.0  # the memory is still ours to write
    assert a.sum() == 1.0
    del a
    gc.collect()
    assert _C.cpu_allocated_bytes() == base


def test_unconsumed_capsules_are_freed():
    gc.collect()
    base = _C.cpu_allocated_bytes()
    for versioned in (False, True):
        for _ in range(50):
            cap = _C.to_dlpack(ember.zeros(1000)._a, versioned)
            del cap
    gc.collect()
    assert _C.cpu_allocated_bytes() == base


def test_many_round_trips_do_not_leak():
    gc.collect()
    base = _C.cpu_allocated_bytes()
    src = np.arange(4096, dtype=np.float32)
    r = weakref.ref(src)
    for _ in range(100):
        t = ember.from_dlpack(src)          # numpy -> ember
        a = np.from_dlpack(t)               # ember -> numpy
        t2 = ember.from_dlpack(a)           # numpy -> ember again
        t3 = ember.from_dlpack(t2)          # ember -> ember
        assert t3.data_ptr() == src.ctypes.data
        del t, a, t2, t3
    for _ in range(50):
        t = ember.ones(512)
        t = ember.from_dlpack(np.from_dlpack(ember.from_dlpack(t)))
        del t
    gc.collect()
    assert _C.cpu_allocated_bytes() == base
    del src
    gc.collect()
    assert r() is None


# ---------------------------------------------------------------- ember <-> ember, protocol


def test_capsule_round_trip_all_dtypes_including_bfloat16():
    for dt in (ember.bool, ember.uint8, ember.int32, ember.int64, ember.float16, ember.bfloat16, ember.float32,
               ember.float64):
        t = ember.tensor([[1, 0, 3], [4, 5, 0]]).to(dt)
        for versioned in (False, True):
            cap = _C.to_dlpack(t._a, versioned)
            assert "dltensor_versioned" in repr(cap) if versioned else '"dltensor"' in repr(cap)
            u = ember.from_dlpack(cap)
            assert u.dtype == dt and u.shape == t.shape
            assert u.data_ptr() == t.data_ptr()
            np.testing.assert_array_equal(u.float().numpy(), t.float().numpy())
            assert "used_dltensor" in repr(cap)


def test_capsule_can_be_consumed_only_once():
    cap = ember.to_dlpack(ember.ones(3))
    ember.from_dlpack(cap)
    with pytest.raises(ValueError, match=r"\[from_dlpack\].*already consumed"):
        ember.from_dlpack(cap)


def test_dlpack_device_and_protocol_arguments():
    t = ember.arange(6.0) if hasattr(ember, "arange") else ember.tensor([0.0, 1, 2, 3, 4, 5])
    assert t.__dlpack_device__() == (1, 0)
    assert _C.dlpack_device(t._a) == (1, 0)
    # copy=True gives an independent buffer; copy=None/False share memory.
    a = np.from_dlpack(t, copy=True)
    a[0] = 42.0
    assert t.numpy()[0] == 0.0
    b = np.from_dlpack(t, copy=False)
    assert b.ctypes.data == t.data_ptr()
    # Asking for the CPU device of a CPU tensor is fine; a CUDA device is not.
    ember.from_dlpack(t.__dlpack__(dl_device=(1, 0)))
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(2, 0))


def test_requires_grad_tensor_is_not_exported():
    t = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="require gradient"):
        t.__dlpack__()
    a = np.from_dlpack(t.detach())
    assert a.shape == (3,)


def test_cuda_array_interface_absent_on_cpu():
    t = ember.ones(2)
    assert not hasattr(t, "__cuda_array_interface__")


def test_bad_inputs_raise():
    with pytest.raises(TypeError, match=r"\[from_dlpack\]"):
        ember.from_dlpack(123)
    with pytest.raises(TypeError, match=r"\[from_dlpack\]"):
        ember.from_dlpack([1, 2, 3])
    with pytest.raises(TypeError):
        ember.to_dlpack(np.ones(3))
    # Unsupported NumPy dtypes raise instead of importing garbage (NumPy refuses
    # some itself with BufferError/TypeError: either is fine, never a crash).
    for arr in (np.ones(3, np.int16), np.ones(3, np.complex64), np.ones(3, np.uint32)):
        with pytest.raises((TypeError, BufferError)):
            ember.from_dlpack(arr)


def test_bad_capsules_do_not_crash_in_child():
    assert_raises_in_child(
        "import ctypes\n"
        "PyCapsule_New = ctypes.pythonapi.PyCapsule_New\n"
        "PyCapsule_New.restype = ctypes.py_object\n"
        "PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]\n"
        "buf = ctypes.create_string_buffer(64)\n"
        "cap = PyCapsule_New(ctypes.addressof(buf), b'not_a_tensor', None)\n"
        "ember.from_dlpack(cap)\n",
        "TypeError", "[from_dlpack]", "dltensor")
    assert_raises_in_child("ember.from_dlpack(np.ones((2, 2))[::-1])\n", "ValueError", "[from_dlpack]", "negative")


# ---------------------------------------------------------------- PyTorch


def test_torch_interop_zero_copy():
    torch = pytest.importorskip("torch")
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    t = ember.from_dlpack(x)
    assert t.data_ptr() == x.data_ptr()
    x[0, 0] = -1.0
    assert t.numpy()[0, 0] == -1.0
    y = torch.from_dlpack(t)
    assert y.data_ptr() == t.data_ptr()
    t.fill_(3.0)
    assert bool((y == 3.0).all()) and bool((x == 3.0).all())
    # transposed view
    xt = torch.arange(6, dtype=torch.float64).reshape(2, 3).t()
    et = ember.from_dlpack(xt)
    assert et.stride() == xt.stride()
    np.testing.assert_array_equal(et.numpy(), xt.numpy())


def test_torch_interop_bfloat16_and_bool():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.5, -2.0, 3.25], dtype=torch.bfloat16)
    t = ember.from_dlpack(x)
    assert t.dtype == ember.bfloat16
    np.testing.assert_array_equal(t.float().numpy(), x.float().numpy())
    back = torch.from_dlpack(t)
    assert back.dtype == torch.bfloat16 and bool((back == x).all())
    m = torch.tensor([True, False, True])
    tm = ember.from_dlpack(m)
    assert tm.dtype == ember.bool
    np.testing.assert_array_equal(tm.numpy(), m.numpy())
    assert torch.from_dlpack(tm).dtype == torch.bool
