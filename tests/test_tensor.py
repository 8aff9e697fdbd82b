"""Tensor basics: creation, dtypes, devices, conversions, NumPy interop, repr, errors."""
import gc
import pickle

import numpy as np
import pytest

import ember
from helpers import assert_raises_in_child, needs_torch, torch


def test_tensor_infers_dtypes_like_torch():
    assert ember.tensor([1, 2]).dtype == ember.int64
    assert ember.tensor([1.0, 2]).dtype == ember.float32
    assert ember.tensor([True, False]).dtype == ember.bool
    assert ember.tensor(np.zeros(3, np.float64)).dtype == ember.float64
    assert ember.tensor(3.5).shape == ()
    assert ember.tensor([[1, 2], [3, 4]], dtype=ember.float64).dtype == ember.float64


def test_tensor_copies_and_from_numpy_shares():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ember.tensor(a)
    s = ember.from_numpy(a)
    a[0, 0] = 100
    assert t.numpy()[0, 0] == 0
    assert s.numpy()[0, 0] == 100
    back = s.numpy()
    back[1, 2] = -1
    assert a[1, 2] == -1


def test_from_numpy_keeps_array_alive():
    s = ember.from_numpy(np.arange(1000, dtype=np.float64))
    gc.collect()
    assert s.numpy()[999] == 999


def test_creation_functions():
    assert ember.zeros(2, 3).shape == (2, 3)
    assert ember.zeros((2, 3)).numpy().sum() == 0
    assert ember.ones([4]).numpy().tolist() == [1, 1, 1, 1]
    assert ember.full((2,), 7).dtype == ember.int64
    assert ember.full((2,), 7.0).numpy().tolist() == [7.0, 7.0]
    assert ember.empty(0, 5).shape == (0, 5)
    x = ember.ones(2, 2, dtype=ember.float64)
    assert ember.zeros_like(x).dtype == ember.float64
    assert ember.full_like(x, 3).numpy().tolist() == [[3, 3], [3, 3]]


def test_dtype_conversions_round_trip():
    x = ember.tensor([1.5, -2.25, 3.0])
    for d in (ember.float64, ember.float16, ember.bfloat16, ember.int32, ember.int64):
        y = x.to(d)
        assert y.dtype == d
    assert x.half().float().numpy().tolist() == [1.5, -2.25, 3.0]
    assert x.int().numpy().tolist() == [1, -2, 3]
    assert x.bool().numpy().tolist() == [True, True, True]
    assert x.to(ember.float32) is x


def test_item_and_scalars():
    assert ember.tensor(2.5).item() == 2.5
    assert ember.tensor([7]).item() == 7
    assert float(ember.tensor([1.25])) == 1.25
    assert int(ember.tensor(3)) == 3
    assert [0, 1, 2][ember.tensor(1)] == 1
    with pytest.raises(ValueError):
        ember.tensor([1, 2]).item()
    with pytest.raises(RuntimeError):
        bool(ember.tensor([1, 2]))


def test_size_and_metadata():
    x = ember.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(-1) == 4 and x.dim() == 3 and x.numel() == 24
    assert repr(x.shape) == "ember.Size([2, 3, 4])"
    assert x.stride() == (12, 4, 1)
    assert x.is_contiguous() and x.is_leaf and not x.requires_grad
    assert x.device == ember.device("cpu") and str(x.device) == "cpu"
    assert x.element_size() == 4


def test_repr_matches_torch_style():
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.tensor([1.5, 2.25])) == "tensor([1.5000, 2.2500])"
    assert repr(ember.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ember.tensor(3.5)) == "tensor(3.5000)"
    assert repr(ember.tensor([True])) == "tensor([True])"
    assert repr(ember.tensor([1.0], dtype=ember.float64)) == "tensor([1.], dtype=ember.float64)"
    assert repr(ember.zeros(2, requires_grad=True)) == "tensor([0., 0.], requires_grad=True)"
    assert repr(ember.zeros(0, 3)) == "tensor([], size=(0, 3))"


def test_pickle_round_trip():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64)
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype == ember.float64 and y.numpy().tolist() == x.numpy().tolist()


def test_numpy_refuses_requires_grad():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1, 1]


def test_requires_grad_only_for_floats():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()


def test_cuda_reports_unavailable_without_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    assert ember.cuda.is_available() is False
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.zeros(2, device="cuda")


def test_bad_inputs_raise_cleanly():
    assert_raises_in_child("ember.zeros(-1, 2)", "RuntimeError", "[zeros]", "negative")
    assert_raises_in_child("ember.zeros(2, 3).view(4, 2)", "RuntimeError", "[view]", "(4, 2)")
    assert_raises_in_child("ember.tensor([[1, 2], [3]])", "ValueError", "[tensor]")
    assert_raises_in_child("ember.zeros(2, 3).size(5)", "IndexError", "[size]")
    assert_raises_in_child("ember.zeros('a')", "TypeError", "[zeros]")
    assert_raises_in_child("ember.device('gpu')", "ValueError", "[device]")
    assert_raises_in_child("ember.zeros(2).to('cuda:0')", "RuntimeError", "CUDA")
    assert_raises_in_child("ember.from_numpy(np.arange(4)[::-1])", "ValueError", "[from_numpy]", "negative")


@needs_torch
def test_to_and_from_torch_via_numpy():
    t = torch.arange(6.0).reshape(2, 3)
    e = ember.tensor(t.numpy())
    assert e.numpy().tolist() == t.tolist()
