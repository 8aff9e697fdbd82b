"""F.pad (constant / reflect / replicate / circular, csrc/ops/pad) and the padding layers:
values and gradients vs PyTorch including negative (cropping) pads, float64 gradcheck and
gradgradcheck, dtypes, reprs, PyTorch's argument rules and messages."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from helpers import assert_raises_in_child, compare_with_torch, needs_torch, torch

rng = np.random.default_rng(0)

# (input shape, pad) pairs valid for every non-constant mode.
MODE_CASES = [
    ((2, 3, 7), (2, 3)),
    ((3, 7), (1, 0)),
    ((2, 3, 7), (-2, 4)),
    ((2, 3, 7), (3, -3)),
    ((2, 3, 5, 6), (1, 2, 3, 1)),
    ((3, 5, 6), (2, 2, 0, 4)),
    ((2, 3, 5, 6), (-1, 2, 2, -1)),
    ((1, 2, 4, 5, 6), (1, 1, 2, 0, 3, 2)),
    ((2, 4, 5, 6), (0, 2, -1, 1, 1, 1)),
    ((0, 3, 5, 6), (1, 2, 1, 1)),
]


@needs_torch
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", MODE_CASES)
def test_modes_match_torch(mode, shape, pad):
    compare_with_torch(lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode), shape)


@needs_torch
@pytest.mark.parametrize("shape,pad,value", [
    ((2, 3, 7), (2, 3), 0.0),
    ((2, 3, 7), (-2, 4), 1.5),
    ((2, 3, 5, 6), (1, 2, 3, 1, 0, 1), -2.0),
    ((2, 3, 5, 6), (1, 2, 3, 1, 1, 1, 1, 0), 0.5),
    ((4, 6), (-3, -3), 0.0),
    ((4, 6), (-3, -2, 1, 0), 3.0),
    ((5,), (1, 2), None),
    ((2, 3), (), None),
])
def test_constant_matches_torch(shape, pad, value):
    compare_with_torch(lambda lib, x: lib.nn.functional.pad(x, pad, value=value), shape)


@needs_torch
def test_noncontiguous_and_large_inputs():
    for mode in ("constant", "reflect", "replicate", "circular"):
        compare_with_torch(lambda lib, x: lib.nn.functional.pad(x.transpose(2, 3), (2, 1, 1, 3), mode=mode),
                           (2, 3, 8, 5))
        compare_with_torch(lambda lib, x: lib.nn.functional.pad(x[:, ::2], (3, 3, 3, 3), mode=mode), (4, 6, 32, 40))


@needs_torch
def test_integer_and_bool_dtypes():
    x = np.arange(24).reshape(2, 3, 4)
    for mode in ("constant", "reflect", "replicate", "circular"):
        e = F.pad(ember.tensor(x), (2, 1), mode=mode).numpy()
        t = torch.nn.functional.pad(torch.tensor(x), (2, 1), mode=mode).numpy()
        np.testing.assert_array_equal(e, t)
    e = F.pad(ember.tensor(x), (1, 1), value=2.7).numpy()
    np.testing.assert_array_equal(e, torch.nn.functional.pad(torch.tensor(x), (1, 1), value=2.7).numpy())
    b = np.array([[True, False, True]])
    for mode in ("constant", "circular"):
        e = F.pad(ember.tensor(b), (1, 2), mode=mode).numpy()
        np.testing.assert_array_equal(e, torch.nn.functional.pad(torch.tensor(b), (1, 2), mode=mode).numpy())
    y = F.pad(ember.tensor(rng.standard_normal((2, 3)), dtype=ember.float16), (1, 1), mode="reflect")
    assert y.dtype == ember.float16


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_gradcheck_and_gradgradcheck(mode):
    x = ember.tensor(rng.standard_normal((2, 3, 4, 5)), requires_grad=True)
    for pad in ((1, 2, 2, -1), (-1, 3)):
        if mode != "constant" and len(pad) == 2:
            x3 = ember.tensor(rng.standard_normal((2, 3, 5)), requires_grad=True)
            assert gradcheck(lambda x: F.pad(x, pad, mode=mode), (x3,))
            continue
        assert gradcheck(lambda x: F.pad(x, pad, mode=mode), (x,))
        assert gradgradcheck(lambda x: F.pad(x, pad, mode=mode), (x,))


def test_reflect_and_circular_known_values():
    x = ember.tensor(np.arange(5.0).reshape(1, 1, 5))
    np.testing.assert_array_equal(F.pad(x, (2, 3), mode="reflect").numpy().ravel(), [2, 1, 0, 1, 2, 3, 4, 3, 2, 1])
    np.testing.assert_array_equal(F.pad(x, (2, 1), mode="replicate").numpy().ravel(), [0, 0, 0, 1, 2, 3, 4, 4])
    np.testing.assert_array_equal(F.pad(x, (2, 1), mode="circular").numpy().ravel(), [3, 4, 0, 1, 2, 3, 4, 0])
    # circular crops first and wraps inside what is left (PyTorch's order)
    np.testing.assert_array_equal(F.pad(x, (-1, 2), mode="circular").numpy().ravel(), [1, 2, 3, 4, 1, 2])
    # reflect and replicate index the original input
    np.testing.assert_array_equal(F.pad(x, (3, -3), mode="reflect").numpy().ravel(), [3, 2, 1, 0, 1])
    g = ember.tensor(np.arange(4.0).reshape(1, 1, 4), requires_grad=True)
    F.pad(g, (-1, 2), mode="circular").sum().backward()
    np.testing.assert_array_equal(g.grad.numpy().ravel(), [0, 2, 2, 1])


# ---------------------------------------------------------------- layers
LAYERS = [
    ("ZeroPad1d", (2,)), ("ZeroPad1d", ((1, 3),)), ("ZeroPad2d", (1,)), ("ZeroPad2d", ((1, 2, 3, 4),)),
    ("ZeroPad3d", (1,)), ("ConstantPad1d", (2, 3.5)), ("ConstantPad2d", ((1, 0, 2, 1), -1.0)),
    ("ConstantPad3d", (1, 2)), ("ReflectionPad1d", ((1, 2),)), ("ReflectionPad2d", (2,)),
    ("ReflectionPad3d", (1,)), ("ReplicationPad1d", (3,)), ("ReplicationPad2d", ((1, 1, 2, 0),)),
    ("ReplicationPad3d", ((1, 0, 1, 0, 2, 1),)), ("CircularPad1d", (1,)), ("CircularPad2d", ((2, 1, 0, 3),)),
    ("CircularPad3d", (1,)),
]


@needs_torch
@pytest.mark.parametrize("name,args", LAYERS)
def test_layers_match_torch(name, args):
    em, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(em) == repr(tm)
    assert em.padding == tm.padding
    nd = int(name[-2])
    shape = (2, 3) + (4, 5, 6)[:nd]
    compare_with_torch(lambda lib, x: (em if lib is ember else tm)(x), shape)


def test_circular_layer_checks_rank():
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        nn.CircularPad2d(1)(ember.zeros((1, 2, 3, 4, 5)))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("code,exc,subs", [
    ("F.pad(ember.zeros((2, 3)), (1,))", "RuntimeError", ["[pad]", "divisible by 2"]),
    ("F.pad(ember.zeros((2, 3)), (1, 1, 1, 1, 1, 1))", "RuntimeError", ["[pad]", "at most twice", "(2, 3)"]),
    ("F.pad(ember.zeros((2, 3)), (-2, -2))", "RuntimeError", ["[pad]", "negative output size", "(2, 3)"]),
    ("F.pad(ember.zeros((2, 3)), (1.0, 1))", "TypeError", ["[pad]", "tuple of ints"]),
    ("F.pad(ember.zeros((2, 3)), 1)", "TypeError", ["[pad]", "tuple of ints"]),
    ("F.pad(np.zeros((2, 3)), (1, 1))", "TypeError", ["[pad]", "Tensor"]),
    ("F.pad(ember.zeros((2, 3)), (1, 1), mode='mirror')", "NotImplementedError", ["[pad]", "mirror"]),
    ("F.pad(ember.zeros((2, 3, 5)), (1, 1), mode='reflect', value=1.0)", "RuntimeError",
     ["[pad]", "reflect", "value"]),
    ("F.pad(ember.zeros((2, 3, 4, 5)), (1, 1), mode='reflect')", "NotImplementedError",
     ["[pad]", "padding size 2", "4-D"]),
    ("F.pad(ember.zeros((5,)), (1, 1), mode='replicate')", "NotImplementedError", ["[pad]", "1-D"]),
    ("F.pad(ember.zeros((1, 3, 5)), (5, 0), mode='reflect')", "RuntimeError",
     ["[pad]", "smaller than the input size 5", "(1, 3, 5)"]),
    ("F.pad(ember.zeros((1, 3, 5)), (6, 0), mode='circular')", "RuntimeError", ["[pad]", "wraps around"]),
    ("F.pad(ember.zeros((1, 3, 5)), (-5, 0), mode='replicate')", "RuntimeError", ["[pad]", "output size of 0"]),
    ("F.pad(ember.zeros((2, 0, 4, 5)), (1, 1, 1, 1), mode='reflect')", "RuntimeError",
     ["[pad]", "non-zero", "(2, 0, 4, 5)"]),
    ("ember._C.pad_backward(ember.zeros((2, 3))._a, [2, 2], [1, 1], 'reflect')", "RuntimeError",
     ["[pad_backward]", "grad of shape (2, 4)"]),
])
def test_bad_input_raises(code, exc, subs):
    assert_raises_in_child("import ember.nn.functional as F\n" + code, exc, *subs)
