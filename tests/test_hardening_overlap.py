"""Overlap checks before every write (csrc/core/overlap.h): in-place ops, out=, copy_,
setitem, index_put_, masked_fill_, scatter/index_add.

Each case runs the same lambda on torch and ember and asserts torch's behaviour: the
same exception type with torch's message (ember prefixes "[op] "), or the same
values. Every case runs with 1 and 2 threads. Writes whose overlap torch cannot
classify (strided views of one buffer) are compared with NumPy computing through a
temporary: ember's answer must not depend on the thread count.
"""
import warnings

import numpy as np
import pytest

import ember
from helpers import assert_raises_in_child, needs_torch

torch = pytest.importorskip("torch")

INTERNAL = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location. Please clone() the tensor before performing the operation.")
PARTIAL = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
           "memory location. Please clone() the tensor before performing the operation.")


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"], autouse=True)
def threads(request):
    old = ember.get_num_threads()
    ember.set_num_threads(request.param)
    yield request.param
    ember.set_num_threads(old)


def _run(lib, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "deprecated on expanded tensors" warnings
        try:
            return "ok", fn(lib)
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            return "raised", e


def _values(r):
    if isinstance(r, ember.Tensor):
        return r.detach().numpy()
    if isinstance(r, torch.Tensor):
        return r.detach().numpy()
    return r


def check(fn):
    """fn(lib) -> tensor (or None); ember must do what torch does."""
    tk, tr = _run(torch, fn)
    ek, er = _run(ember, fn)
    if tk == "raised":
        assert ek == "raised", f"torch raised {type(tr).__name__}: {tr}; ember returned {_values(er)}"
        assert type(er).__name__ == type(tr).__name__, f"{type(er).__name__}: {er} vs torch {type(tr).__name__}: {tr}"
        tmsg = str(tr).split("\n")[0]
        assert str(er).startswith("[") and str(er).endswith(tmsg), f"ember: {er}\ntorch: {tmsg}"
        return er
    assert ek == "ok", f"ember raised {type(er).__name__}: {er}; torch returned {_values(tr)}"
    if tr is not None:
        np.testing.assert_allclose(_values(er), _values(tr), rtol=1e-6)  # exp etc. may differ by an ulp
    return er


def raises(fn, msg):
    """check(fn), and torch's error is `msg` (guards the case table itself)."""
    e = check(fn)
    assert isinstance(e, RuntimeError) and str(e).endswith(msg), e


def x8(L, dtype=None):
    return L.arange(8.0) if dtype is None else L.arange(8).to(getattr(L, dtype))


def _grad_x(L):
    return L.arange(8.0).requires_grad_().clone()


def _ret(x, f):
    f(x)
    return x


# ------------------------------------------------------------------ the reported bugs
def test_running_sum_through_overlapping_views_raises():
    def f(L):
        x = L.arange(8.0)
        x[1:] += x[:-1]
        return x

    raises(f, PARTIAL)
    x = ember.arange(8.0)
    with pytest.raises(RuntimeError):
        x[1:] += x[:-1]
    np.testing.assert_array_equal(x.numpy(), np.arange(8.0))  # nothing was written


def test_write_to_expanded_tensor_raises():
    raises(lambda L: L.zeros(1).expand(4_000_000).add_(1), INTERNAL)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_copy_between_overlapping_dense_ranges_raises_like_torch(dtype, direction):
    n = 1 << 20

    def f(L):
        x = L.arange(n, dtype=getattr(L, dtype))
        if direction == "forward":
            x[1:].copy_(x[:-1])
        else:
            x[:-1].copy_(x[1:])
        return x

    raises(f, PARTIAL)


# ------------------------------------------------------------------ in-place elementwise
BINARY_PARTIAL = {
    "add_": lambda L: _ret(x8(L), lambda x: x[1:].add_(x[:-1])),
    "add_alpha": lambda L: _ret(x8(L), lambda x: x[1:].add_(x[:-1], alpha=2)),
    "sub_": lambda L: _ret(x8(L), lambda x: x[:-1].sub_(x[1:])),
    "mul_": lambda L: _ret(x8(L), lambda x: x[1:].mul_(x[:-1])),
    "div_": lambda L: _ret(x8(L), lambda x: x[1:].div_(x[:-1])),
    "pow_": lambda L: _ret(x8(L), lambda x: x[1:].pow_(x[:-1])),
    "atan2_": lambda L: _ret(x8(L), lambda x: x[1:].atan2_(x[:-1])),
    "iadd": lambda L: _ret(x8(L), lambda x: x[1:].__iadd__(x[:-1])),
    "imul": lambda L: _ret(x8(L), lambda x: x[1:].__imul__(x[:-1])),
    "bitwise_and_": lambda L: _ret(x8(L, "int64"), lambda x: x[1:].bitwise_and_(x[:-1])),
    "eq_int": lambda L: _ret(x8(L, "int64"), lambda x: x[1:].eq_(x[:-1])),
    "scalar view": lambda L: _ret(x8(L), lambda x: x.add_(x[0])),
    "broadcast row": lambda L: _ret(L.arange(8.0).reshape(2, 4), lambda x: x.add_(x[0])),
    "transpose": lambda L: _ret(L.arange(16.0).reshape(4, 4), lambda x: x.add_(x.t())),
    "same start, other strides": lambda L: _ret(x8(L), lambda x: x[0:1].add_(x[0])),
    "lerp_": lambda L: _ret(x8(L), lambda x: x[1:].lerp_(x[:-1], 0.5)),
    "lerp_ weight": lambda L: _ret(x8(L), lambda x: x[1:].lerp_(L.zeros(7), x[:-1])),
    "addcmul_": lambda L: _ret(x8(L), lambda x: x[1:].addcmul_(x[:-1], L.ones(7))),
    "addcdiv_": lambda L: _ret(x8(L), lambda x: x[1:].addcdiv_(L.ones(7), x[:-1])),
    "clamp_ tensor min": lambda L: _ret(x8(L), lambda x: x[1:].clamp_(min=x[:-1])),
}


@pytest.mark.parametrize("case", list(BINARY_PARTIAL))
def test_inplace_binary_partial_overlap_raises(case):
    raises(BINARY_PARTIAL[case], PARTIAL)


@pytest.mark.parametrize("op", ["neg_", "exp_", "abs_", "sqrt_", "sigmoid_", "floor_", "relu_", "nan_to_num_",
                                "round_", "zero_add"])
def test_inplace_unary_on_expanded_raises(op):
    def f(L):
        x = L.zeros(1).expand(5)
        if op == "zero_add":
            return x.add_(0)
        return getattr(x, op)()

    raises(f, INTERNAL)


@pytest.mark.parametrize("case", ["clamp_", "clamp_min_", "mul_ tensor", "addcmul_", "where out"])
def test_other_writes_to_expanded_raise(case):
    def f(L):
        x = L.zeros(1).expand(4)
        if case == "clamp_":
            return x.clamp_(0, 1)
        if case == "clamp_min_":
            return x.clamp_min_(0)
        if case == "mul_ tensor":
            return x.mul_(L.ones(4))
        if case == "addcmul_":
            return x.addcmul_(L.ones(4), L.ones(4))
        return L.where(L.ones(4, dtype=L.bool), L.ones(4), L.zeros(4), out=x)

    raises(f, INTERNAL)


ALLOWED = {
    "add_ self": lambda L: _ret(x8(L), lambda x: x.add_(x)),
    "mul_ self": lambda L: _ret(x8(L), lambda x: x.mul_(x)),
    "sub_ same view": lambda L: _ret(x8(L), lambda x: x[2:6].sub_(x[2:6])),
    "mul_ number": lambda L: _ret(x8(L), lambda x: x.mul_(2)),
    "neg_": lambda L: _ret(x8(L), lambda x: x.neg_()),
    "neg_ strided": lambda L: _ret(x8(L), lambda x: x[::2].neg_()),
    "disjoint halves": lambda L: _ret(x8(L), lambda x: x[:4].add_(x[4:])),
    "disjoint scalar": lambda L: _ret(x8(L), lambda x: x[1:].add_(x[0])),
    "disjoint broadcast": lambda L: _ret(x8(L), lambda x: x[1:].add_(x[:1])),
    "expanded input": lambda L: _ret(x8(L), lambda x: x[1:].mul_(x[:1].expand(7))),
    "clamp_ self bounds": lambda L: _ret(x8(L), lambda x: x.clamp_(min=x)),
    "lerp_ self": lambda L: _ret(x8(L), lambda x: x.lerp_(x, 0.5)),
    "0-d view of itself": lambda L: _ret(x8(L), lambda x: x[3].add_(x[3:4].view(()))),
    "empty": lambda L: L.zeros(0).add_(L.zeros(0)),
    "fill_ expanded": lambda L: L.zeros(1).expand(4).fill_(2),
    "zero_ expanded": lambda L: L.ones(1).expand(4).zero_(),
    "fill_ expanded 2d": lambda L: _ret(L.zeros(3, 1), lambda x: x.expand(3, 5).fill_(7)),
}


@pytest.mark.parametrize("case", list(ALLOWED))
def test_allowed_overlaps_match_torch_values(case):
    check(ALLOWED[case])


# ------------------------------------------------------------------ out=
OUT_PARTIAL = {
    "add": lambda L: (lambda x: L.add(x[:-1], 1, out=x[1:]))(x8(L)),
    "mul tensors": lambda L: (lambda x: L.mul(L.ones(7), x[:-1], out=x[1:]))(x8(L)),
    "neg": lambda L: (lambda x: L.neg(x[:-1], out=x[1:]))(x8(L)),
    "exp": lambda L: (lambda x: L.exp(x[1:], out=x[:-1]))(x8(L)),
    "clamp": lambda L: (lambda x: L.clamp(x[:-1], 0, 3, out=x[1:]))(x8(L)),
    "round decimals": lambda L: (lambda x: L.round(x[:-1], decimals=2, out=x[1:]))(x8(L)),
    "nan_to_num int": lambda L: (lambda x: L.nan_to_num(x[:-1], out=x[1:]))(x8(L, "int64")),
    "where": lambda L: (lambda x: L.where(x[:-1] > 2, x[:-1], L.zeros(7), out=x[1:]))(x8(L)),
    "where cond": lambda L: (lambda b: L.where(b[:-1], L.ones(7, dtype=L.bool), L.ones(7, dtype=L.bool), out=b[1:]))(
        L.zeros(8, dtype=L.bool)),
    "lerp": lambda L: (lambda x: L.lerp(L.zeros(7), L.ones(7), x[:-1], out=x[1:]))(x8(L)),
    "addcdiv": lambda L: (lambda x: L.addcdiv(x[:-1], L.ones(7), L.ones(7), out=x[1:]))(x8(L)),
}


@pytest.mark.parametrize("case", list(OUT_PARTIAL))
def test_out_partial_overlap_raises(case):
    raises(OUT_PARTIAL[case], PARTIAL)


def test_out_may_be_an_input():
    check(lambda L: (lambda x: (L.add(x, x, out=x), x)[1])(x8(L)))
    check(lambda L: (lambda x: (L.exp(x, out=x), x)[1])(x8(L)))
    check(lambda L: (lambda x: (L.add(x[:4], x[4:], out=x[4:]), x)[1])(x8(L)))


# ------------------------------------------------------------------ copy_
def test_copy_checks():
    raises(lambda L: L.zeros(1).expand(4).copy_(L.arange(4.0)), INTERNAL)
    raises(lambda L: _ret(x8(L), lambda x: x.copy_(x[0])), PARTIAL)
    raises(lambda L: _ret(L.arange(16.0).reshape(4, 4), lambda x: x.copy_(x.t())), PARTIAL)
    check(lambda L: (lambda a: a.copy_(a))(L.zeros(1).expand(4)))  # the very same tensor: a no-op
    check(lambda L: _ret(x8(L), lambda x: x.copy_(x)))
    check(lambda L: _ret(x8(L), lambda x: x[:4].copy_(x[4:])))
    check(lambda L: _ret(x8(L), lambda x: x[1:].copy_(x[:1].expand(7))))
    check(lambda L: _ret(x8(L), lambda x: x[1:].copy_(x[:-1].double())))


STRIDED = {  # dst, src slices of one buffer of n elements whose ranges overlap (torch: "too hard" to classify)
    "dst strided": (np.s_[::2], np.s_[: (1 << 19)]),
    "src strided": (np.s_[: (1 << 19)], np.s_[::2]),
    "dst strided, src after": (np.s_[1::2], np.s_[(1 << 19):]),
    "src strided, dst after": (np.s_[(1 << 19):], np.s_[1::2]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(STRIDED))
def test_copy_between_overlapping_strided_views_goes_through_a_temporary(case, dtype):
    """NumPy's copy semantics (the source read whole before the destination is written)."""
    n = 1 << 20
    dsl, ssl = STRIDED[case]
    ref = np.arange(n, dtype=dtype)
    ref[dsl] = ref[ssl].copy()
    x = ember.arange(n, dtype=ember.float32 if dtype == np.float32 else ember.float64)
    x[dsl].copy_(x[ssl])
    np.testing.assert_array_equal(x.numpy(), ref)
    y = ember.arange(n, dtype=ember.float32 if dtype == np.float32 else ember.float64)
    y[dsl] = y[ssl]  # setitem writes through the same copy
    np.testing.assert_array_equal(y.numpy(), ref)


@pytest.mark.parametrize("case", list(STRIDED))
def test_elementwise_between_overlapping_strided_views_goes_through_a_temporary(case):
    """NumPy's ufunc semantics: as if the inputs were copied first, at any thread count."""
    n = 1 << 20
    dsl, ssl = STRIDED[case]
    ref = np.arange(n, dtype=np.float64)
    np.add(ref[dsl], ref[ssl], out=ref[dsl])
    x = ember.arange(n, dtype=ember.float64)
    x[dsl].add_(x[ssl])
    np.testing.assert_array_equal(x.numpy(), ref)
    ref = np.arange(n, dtype=np.float64)
    np.negative(ref[ssl], out=ref[dsl])
    x = ember.arange(n, dtype=ember.float64)
    ember.neg(x[ssl], out=x[dsl])
    np.testing.assert_array_equal(x.numpy(), ref)


def test_copy_from_a_numpy_alias_is_detected():
    a = np.arange(8.0, dtype=np.float32)
    x, y = ember.from_numpy(a), ember.from_numpy(a)  # two storages borrowing one buffer
    with pytest.raises(RuntimeError, match=r"^\[copy_\] " + PARTIAL.replace("(", r"\(").replace(")", r"\)")):
        x[1:].copy_(y[:-1])
    x[::2].copy_(y[:4])
    np.testing.assert_array_equal(a, [0, 1, 1, 3, 2, 5, 3, 7])


# ------------------------------------------------------------------ setitem
SETITEM = {
    "slice partial": (lambda L: _ret(x8(L), lambda x: x.__setitem__(slice(1, None), x[:-1])), PARTIAL),
    "expanded number": (lambda L: L.zeros(1).expand(4).__setitem__(slice(0, 2), 1.0), INTERNAL),
    "expanded tensor": (lambda L: L.zeros(1).expand(4).__setitem__(slice(0, 2), L.ones(2)), INTERNAL),
    "advanced partial": (lambda L: _ret(x8(L), lambda x: x.__setitem__(L.tensor([1, 2, 3]), x[:3])), PARTIAL),
    "advanced one value": (lambda L: _ret(x8(L), lambda x: x.__setitem__(L.tensor([0, 1]), x[0])), PARTIAL),
    "mask partial": (lambda L: _ret(x8(L), lambda x: x.__setitem__(x > 5, x[:2])), PARTIAL),
    "index is self": (lambda L: _ret(L.arange(3), lambda x: x.__setitem__(x, x)), PARTIAL),
    "with grad": (lambda L: _ret(_grad_x(L), lambda x: x.__setitem__(slice(1, None), x[:-1])), PARTIAL),
}


@pytest.mark.parametrize("case", list(SETITEM))
def test_setitem_overlap_raises(case):
    fn, msg = SETITEM[case]
    raises(fn, msg)


@pytest.mark.parametrize("case", ["disjoint", "mask one value", "same view", "expanded advanced", "number"])
def test_setitem_allowed(case):
    def f(L):
        x = x8(L)
        if case == "disjoint":
            x[:4] = x[4:]
        elif case == "mask one value":
            b = L.tensor([True, False, True])
            b[b] = b[1:2]
            return b
        elif case == "same view":
            x[2:5] = x[2:5]
        elif case == "expanded advanced":
            e = L.zeros(1).expand(4)
            e[L.tensor([0, 1])] = L.ones(2)
            return e
        else:
            x[1:3] = 5.0
        return x

    check(f)


# ------------------------------------------------------------------ index_put_, masked_fill_, scatter, index_add
INDEX_RAISES = {
    "index_put_ partial": (lambda L: _ret(x8(L), lambda x: x[1:].index_put_((L.arange(7),), x[:-1])), PARTIAL),
    "index_put_ index is self": (lambda L: _ret(L.arange(3), lambda x: x.index_put_((x,), L.tensor(5))), PARTIAL),
    "index_put_ index partial": (lambda L: _ret(L.arange(3), lambda x: x[1:].index_put_((x[:2],), L.tensor(5))),
                                 PARTIAL),
    "index_put_ accumulate": (lambda L: _ret(x8(L), lambda x: x.index_put_((L.tensor([1, 2]),), x[0:2],
                                                                             accumulate=True)), PARTIAL),
    "index_put_ with grad": (lambda L: _ret(_grad_x(L), lambda x: x[1:].index_put_((L.arange(7),), x[:-1])),
                             PARTIAL),
    "masked_fill_ mask partial": (lambda L: _ret(L.zeros(8, dtype=L.bool),
                                                 lambda x: x[1:].masked_fill_(x[:-1], True)), PARTIAL),
    "scatter_ src partial": (lambda L: _ret(x8(L), lambda x: x[1:].scatter_(0, L.arange(7), x[:-1])), PARTIAL),
    "scatter_ src full": (lambda L: _ret(x8(L), lambda x: x.scatter_(0, L.arange(8), x)), PARTIAL),
    "scatter_ index full": (lambda L: _ret(x8(L, "int64"), lambda x: x.scatter_(0, x, 1)), PARTIAL),
    "scatter_ index partial": (lambda L: _ret(x8(L, "int64"), lambda x: x[1:].scatter_(0, x[:-1], 1)), PARTIAL),
    "scatter_ expanded": (lambda L: L.zeros(1).expand(4).scatter_(0, L.arange(2), L.arange(2.0)), INTERNAL),
    "scatter_ with grad": (lambda L: _ret(_grad_x(L), lambda x: x[1:].scatter_(0, L.arange(7), x[:-1])), PARTIAL),
    "scatter_add_ partial": (lambda L: _ret(x8(L), lambda x: x[1:].scatter_add_(0, L.arange(7), x[:-1])), PARTIAL),
    "scatter_reduce_ partial": (lambda L: _ret(x8(L), lambda x: x[1:].scatter_reduce_(0, L.arange(7), x[:-1],
                                                                                      "sum")), PARTIAL),
    "scatter_reduce_ expanded": (lambda L: L.zeros(1).expand(4).scatter_reduce_(0, L.arange(2), L.ones(2), "sum"),
                                 INTERNAL),
    "index_add_ partial": (lambda L: _ret(x8(L), lambda x: x[1:].index_add_(0, L.arange(7), x[:-1])), PARTIAL),
    "index_add_ full": (lambda L: _ret(x8(L), lambda x: x.index_add_(0, L.arange(8), x)), PARTIAL),
    "index_add_ expanded": (lambda L: L.zeros(1).expand(4).index_add_(0, L.arange(2), L.arange(2.0)), INTERNAL),
    "index_copy_ expanded": (lambda L: L.zeros(1).expand(4).index_copy_(0, L.arange(2), L.arange(2.0)), INTERNAL),
}


@pytest.mark.parametrize("case", list(INDEX_RAISES))
def test_index_ops_overlap_raises(case):
    fn, msg = INDEX_RAISES[case]
    raises(fn, msg)


INDEX_ALLOWED = {
    "index_put_ expanded": lambda L: L.zeros(1).expand(4).index_put_((L.arange(2),), L.arange(2.0)),
    "index_put_ disjoint view": lambda L: _ret(x8(L), lambda x: x[:4].index_put_((L.arange(4),), x[4:])),
    "masked_fill_ expanded": lambda L: L.zeros(1).expand(4).masked_fill_(L.tensor([True, False, True, False]), 1.0),
    "masked_fill_ mask is self": lambda L: _ret(L.tensor([True, False, True]), lambda x: x.masked_fill_(x, False)),
    "masked_fill_ value view": lambda L: _ret(x8(L), lambda x: x[1:].masked_fill_(L.ones(7, dtype=L.bool), x[0])),
    "scatter_ disjoint": lambda L: _ret(x8(L), lambda x: x[:4].scatter_(0, L.tensor([3, 2, 1, 0]), x[4:])),
    "index_add_ disjoint": lambda L: _ret(x8(L), lambda x: x[:4].index_add_(0, L.tensor([0, 0, 1, 1]), x[4:])),
}


@pytest.mark.parametrize("case", list(INDEX_ALLOWED))
def test_index_ops_allowed(case):
    check(INDEX_ALLOWED[case])


OUT_INDEX = {
    "gather out=input": (lambda L: (lambda x: L.gather(x, 0, L.arange(8), out=x))(x8(L)), PARTIAL),
    "gather out partial": (lambda L: (lambda x: L.gather(x[:-1], 0, L.arange(7), out=x[1:]))(x8(L)), PARTIAL),
    "gather out expanded": (lambda L: L.gather(x8(L), 0, L.arange(4), out=L.zeros(1).expand(4)), INTERNAL),
    "index_select out=input": (lambda L: (lambda x: L.index_select(x, 0, L.arange(8), out=x))(x8(L)), PARTIAL),
    "index_select out expanded": (lambda L: L.index_select(x8(L), 0, L.arange(4), out=L.zeros(1).expand(4)),
                                  INTERNAL),
    "masked_select out partial": (lambda L: (lambda x: L.masked_select(x[:-1], x[:-1] > -1, out=x[1:]))(x8(L)),
                                  PARTIAL),
}


@pytest.mark.parametrize("case", list(OUT_INDEX))
def test_index_out_overlap_raises(case):
    fn, msg = OUT_INDEX[case]
    raises(fn, msg)


def test_index_out_writes_into_a_view():
    def f(L):
        y = L.zeros(8)
        L.gather(L.arange(8.0), 0, L.arange(4), out=y[2:6])
        L.index_select(L.arange(8.0), 0, L.tensor([7, 6]), out=y[:2])
        return y

    check(f)


def test_masked_scatter_if_present():
    if not hasattr(ember.Tensor, "masked_scatter_"):
        pytest.skip("ember has no masked_scatter_ yet")
    raises(lambda L: L.zeros(1).expand(4).masked_scatter_(L.ones(4, dtype=L.bool), L.arange(4.0)), INTERNAL)


# ------------------------------------------------------------------ autograd's in-place path
GRAD = {
    "add_": lambda L: _ret(_grad_x(L), lambda x: x[1:].add_(x[:-1])),
    "mul_": lambda L: _ret(_grad_x(L), lambda x: x[1:].mul_(x[:-1])),
    "copy_": lambda L: _ret(_grad_x(L), lambda x: x[1:].copy_(x[:-1])),
    "clamp_": lambda L: _ret(_grad_x(L), lambda x: x[1:].clamp_(min=x[:-1])),
    "addcmul_": lambda L: _ret(_grad_x(L), lambda x: x[1:].addcmul_(x[:-1], L.ones(7))),
}


@pytest.mark.parametrize("case", list(GRAD))
def test_autograd_inplace_checks_overlap(case):
    raises(GRAD[case], PARTIAL)


def test_autograd_inplace_on_expanded_raises():
    raises(lambda L: L.zeros(1, requires_grad=True).clone().expand(4).neg_(), INTERNAL)
    raises(lambda L: L.nn.functional.relu(L.zeros(1, requires_grad=True).clone().expand(4), inplace=True),
           INTERNAL)


def test_autograd_full_overlap_still_differentiates():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    y.add_(y)  # (mul_(y) would need y's old value in backward: torch raises there, and so does ember)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


# ------------------------------------------------------------------ bad input never crashes
@needs_torch
def test_huge_and_odd_writes_raise_cleanly_in_child(threads):
    if threads != 1:
        pytest.skip("the child processes run with the default thread count: once is enough")
    assert_raises_in_child("ember.zeros(1).expand(1 << 40).add_(1)", "RuntimeError", "[add]", "more than one element")
    assert_raises_in_child("ember.zeros(1).expand(1 << 40).copy_(ember.zeros(1))", "RuntimeError", "[copy_]",
                           "more than one element")
    assert_raises_in_child("x = ember.zeros(1).expand(1 << 40); x[:] = 1.0", "RuntimeError", "[setitem]",
                           "more than one element")
    assert_raises_in_child("x = ember.arange(1 << 20, dtype=ember.float64); x[1:].copy_(x[:-1])", "RuntimeError",
                           "[copy_]", "some elements of the input tensor")
    assert_raises_in_child("ember.zeros(4).add_(ember.zeros(4, device='cuda'))", "RuntimeError")  # no GPU here
    assert_raises_in_child("x = ember.zeros(4); x.add_(x.view(2, 2))", "RuntimeError", "[add]")


def test_fill_of_huge_expanded_view_writes_each_location_once():
    x = ember.zeros(3)
    x.expand(1 << 40, 3).fill_(2.5)  # torch allows fill_ on expanded views
    np.testing.assert_array_equal(x.numpy(), [2.5, 2.5, 2.5])
    x[None].expand(1 << 40, 3).zero_()
    np.testing.assert_array_equal(x.numpy(), [0, 0, 0])
