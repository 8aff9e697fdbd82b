"""In-place ops through views rewrite the base's history (PyTorch's CopySlices)."""
import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _cases(lib):
    def inplace_on_row():
        x = lib.ones(3, 4, requires_grad=True)
        y = x * 2
        y[0].mul_(3)
        y.sum().backward()
        return x.grad.tolist()

    def setitem_slice():
        x = lib.ones(3, 4, requires_grad=True)
        y = x * 2
        y[1:, :2] = lib.zeros(2, 2)
        y.sum().backward()
        return x.grad.tolist()

    def transposed_slice():
        x = lib.arange(12.).reshape(3, 4).requires_grad_()
        y = x * 2
        v = y.t()[1:3]
        v.mul_(v.detach() + 1)
        (y * y).sum().backward()
        return x.grad.tolist()

    def copy_into_plain_base():
        x = lib.ones(3, 4, requires_grad=True)
        w = lib.full((4,), 3., requires_grad=True)
        y = lib.zeros(3, 4)
        y[1].copy_(w * x[0])
        (y * y).sum().backward()
        return x.grad.tolist(), w.grad.tolist()

    def zero_through_reshape_view():
        x = lib.ones(2, 3, requires_grad=True)
        y = x.clone()
        y.view(6)[2:4].zero_()
        (y * y).sum().backward()
        return x.grad.tolist()

    def setitem_on_view():
        x = lib.ones(2, 3, requires_grad=True)
        y = x.clone()
        v = y[0]
        v[1] = 5 * x[1, 1]
        (y * y).sum().backward()
        return x.grad.tolist()

    def view_of_view():
        x = lib.ones(2, 3, requires_grad=True)
        y = x * 1
        v = y[:, 1]
        v.add_(1)
        v[0:1].mul_(4)
        y.sum().backward()
        return x.grad.tolist()

    def view_of_leaf_raises():
        x = lib.ones(2, 3, requires_grad=True)
        try:
            x[0].mul_(2)
        except RuntimeError as e:
            return "view of a leaf" in str(e)
        return False

    def base_changed_after_view():
        x = lib.ones(2, 3, requires_grad=True)
        y = x * 2
        v = y[0]
        y.mul_(3)
        v.sum().backward()
        return x.grad.tolist()

    def sibling_view_changed():
        x = lib.ones(2, 3, requires_grad=True)
        y = x * 2
        v1, v2 = y[0], y[1]
        v1.mul_(5)
        (v2 * v1).sum().backward()
        return x.grad.tolist()

    def setitem_on_base_then_transposed_view():
        x = lib.ones(2, 3, requires_grad=True)
        y = x * 2
        v = y.t()
        y[1] = 7.0
        (v * v).sum().backward()
        return x.grad.tolist()

    return [inplace_on_row, setitem_slice, transposed_slice, copy_into_plain_base, zero_through_reshape_view,
            setitem_on_view, view_of_view, view_of_leaf_raises, base_changed_after_view, sibling_view_changed,
            setitem_on_base_then_transposed_view]


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("i", range(len(_cases(ember))))
def test_inplace_through_view_matches_torch(i):
    assert _cases(ember)[i]() == _cases(torch)[i]()


def test_view_knows_its_base():
    x = ember.ones(3, 4)
    v = x[1:].t()[0]
    assert v._base is x and x._base is None
    assert x.detach()._base is None
