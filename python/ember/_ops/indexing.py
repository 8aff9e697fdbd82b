"""Tensor.__getitem__ / __setitem__ with PyTorch's (NumPy-style) indexing rules.

A key is parsed once into (1) a chain of basic view steps on the _C.Array (int ->
select, slice -> slice, None -> unsqueeze; Ellipsis fills the gap) and (2) the
advanced indices (int/bool tensors, lists, Python bools) at their dims in that view.
Basic indexing alone returns a view sharing storage; with advanced indices the
result is a copy from _C.index (its placement rules: broadcast index dims in place
when the advanced indices are adjacent, else first). Ints are applied as selects
first, as PyTorch does. Assignment writes through the same view with copy_/fill_
or _C.index_put_, bumping the version; those run torch's overlap checks first
(an expanded target, a value sharing part of the target's memory raise).
"""
import numbers
import sys

import numpy as np

from .. import _C
from ..autograd import function as _function
from ..autograd.function import Function
from ..tensor import Tensor, _wrap, needs_grad, register_methods, sum_to_shape
from .index import _index
from .shape import _mark_view, _sub_view, _view

_INT_C = (_C.DType.int64, _C.DType.int32)
_BOOL_C = (_C.DType.bool, _C.DType.uint8)
_BIG = sys.maxsize


def _to_index_tensor(k, device=None):
    from .creation import tensor

    arr = np.asarray(k)
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.dtype == object:
        raise IndexError("[index] could not convert a nested sequence of mixed types to an index tensor")
    if arr.dtype.kind not in "biu":
        raise IndexError(
            f"[index] tensors used as indices must be long, int or bool tensors, got a sequence of {arr.dtype}")
    return tensor(arr if arr.dtype.kind == "b" else arr.astype(np.int64), device=device)


def _clamp_i64(v):
    """Slice bounds beyond int64 clamp like Python's slicing does (torch truncates them too)."""
    return min(max(int(v), -(1 << 63)), (1 << 63) - 1)


def _items(key, device=None):
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if k is None or k is Ellipsis or isinstance(k, slice):
            out.append(k)
        elif isinstance(k, (bool, np.bool_)):
            out.append(bool(k))
        elif isinstance(k, numbers.Integral):
            out.append(int(k))
        elif isinstance(k, Tensor):
            dt = k._a.dtype
            if dt not in _INT_C and dt not in _BOOL_C:
                raise IndexError(f"[index] tensors used as indices must be long, int or bool tensors, got {k.dtype}")
            if k.ndim == 0:
                out.append(bool(k.item()) if dt in _BOOL_C else int(k.item()))
            elif device is not None and device.type == "cuda" and k._a.device_type == 0:
                out.append(k.to(device))  # torch: CPU indices may index a CUDA tensor (copied to its device)
            else:
                out.append(k)
        elif isinstance(k, (list, tuple, np.ndarray)):
            out.append(_to_index_tensor(k, device))  # on the indexed tensor's device
        else:
            raise IndexError(
                "[index] only integers, slices (`:`), ellipsis (`...`), None and long, int or bool tensors are "
                f"valid indices (got {type(k).__name__})")
    return out


def _plan(x, key):
    """(steps, adv, ndim_after): steps map an Array to the basic view; adv = [(dim, Tensor)]."""
    items = _items(key, x.device)
    nd = x._a.ndim
    consumed = 0
    for k in items:
        if k is Ellipsis:
            continue
        if isinstance(k, Tensor):
            consumed += k.ndim if k._a.dtype in _BOOL_C else 1
        elif k is not None and not isinstance(k, bool):
            consumed += 1
    # torch accepts several ellipses: each one skips the dims no other item consumes.
    if consumed > nd:
        raise IndexError(f"[index] too many indices for tensor of dimension {nd}")
    steps, adv = [], []
    d = 0  # current dim in the view being built
    src = 0  # dim of x the next consuming item refers to
    shape = x._a.shape
    for k in items:
        if k is Ellipsis:
            skip = nd - consumed
            d += skip
            src += skip
        elif k is None:
            steps.append(("unsqueeze", d))
            d += 1
        elif isinstance(k, bool):
            steps.append(("unsqueeze", d))
            adv.append((d, _wrap(_C.full([1 if k else 0], 0.0, _C.DType.int64, x._a.device_type,
                                         x._a.device_index))))
            d += 1
        elif isinstance(k, int):
            if src >= nd:
                raise IndexError(f"[index] index {k} is out of bounds for dimension {src} with size 0")
            n = shape[src]
            if not -n <= k < n:
                raise IndexError(f"[index] index {k} is out of bounds for dimension {src} with size {n}")
            steps.append(("select", d, k))
            src += 1
        elif isinstance(k, slice):
            start, stop, step = k.start, k.stop, k.step
            start = 0 if start is None else _clamp_i64(start)
            stop = _BIG if stop is None else _clamp_i64(stop)
            step = 1 if step is None else _clamp_i64(step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            if not (start == 0 and stop == _BIG and step == 1):
                steps.append(("slice", d, start, stop, step))
            d += 1
            src += 1
        else:  # index tensor
            m = k.ndim if k._a.dtype in _BOOL_C else 1
            adv.append((d, k))
            d += m
            src += m
    return steps, adv


def _apply_steps(steps):
    def fn(a):
        for s in steps:
            if s[0] == "select":
                a = a.select(s[1], s[2])
            elif s[0] == "slice":
                a = a.slice(s[1], s[2], s[3], s[4])
            else:
                a = a.unsqueeze(s[1])
        return a

    return fn


def _index_list(adv):
    """The per-dim list _C.index takes: None for untouched dims, masks take their ndim dims."""
    out, pos = [], 0
    for d, t in adv:
        out.extend([None] * (d - pos))
        out.append(t)
        pos = d + (t.ndim if t._a.dtype in _BOOL_C else 1)
    return out


def _getitem(self, key):
    steps, adv = _plan(self, key)
    fn = _apply_steps(steps)
    if needs_grad(self):
        x = _sub_view(self, fn) if steps else _view(self, lambda a: a, lambda g: g)
    else:
        x = _mark_view(_wrap(fn(self._a)), self, fn)
    if not adv:
        return x
    return _index(x, _index_list(adv))


def _assign(a, fn, indices, value_a):
    """Writes value_a (an Array) into fn(a) at indices (in place)."""
    v = fn(a)
    if indices is None:
        while value_a.ndim > v.ndim and value_a.shape[0] == 1:  # torch drops leading 1s of the value
            value_a = value_a.squeeze(0)
        v.copy_(value_a)
    else:
        _C.index_put_(v, [None if t is None else t._a for t in indices], value_a, False)


class _SetItem(Function):
    @staticmethod
    def forward(ctx, x, value, fn, indices):
        ctx.meta = (fn, indices, tuple(value._a.shape))
        _assign(x._a, fn, indices, value._a)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        fn, indices, vshape = ctx.meta
        gx = gv = None
        if ctx.needs_input_grad[0]:
            zero = _wrap(_C.zeros([], g._a.dtype, g._a.device_type, g._a.device_index))
            gx = _SetItem.apply(g.clone(), zero, fn, indices)
        if ctx.needs_input_grad[1]:
            r = _sub_view(g, fn)
            if indices is not None:
                r = _index(r, indices)
            gv = sum_to_shape(r, vshape) if len(vshape) <= r.ndim else r.reshape(vshape)
        return gx, gv, None, None


class _ViewWrite(Function):
    """The base's history after an in-place op changed its elements at fn(base) through a
    view: those elements' gradient goes to the view's new history, the rest to the old."""

    @staticmethod
    def forward(ctx, base, value, fn):
        ctx.fn = fn
        ctx.mark_dirty(base)
        return base

    @staticmethod
    def backward(ctx, g):
        fn = ctx.fn
        gb = gv = None
        if ctx.needs_input_grad[0]:
            zero = _wrap(_C.zeros([], g._a.dtype, g._a.device_type, g._a.device_index))
            gb = _SetItem.apply(g.clone(), zero, fn, None)
        if ctx.needs_input_grad[1]:
            gv = _sub_view(g, fn)
        return gb, gv, None


def _rebase_view(t):
    """After an in-place op gave the view t a new history, make its base's history include
    it (the data already sits in the base's memory), then re-derive t from the base."""
    base, fn, _ = t._vbase
    if base.requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    _ViewWrite.apply(base, t, fn)
    _refresh_view(t)


def _refresh_view(t):
    """Re-derives the view t from its base, whose history changed after t was made."""
    base, fn, _ = t._vbase
    nv = _sub_view(base, fn)
    t.grad_fn, t._output_nr, t._vbase = nv.grad_fn, nv._output_nr, nv._vbase
    t.requires_grad = True


_function._rebase_view = _rebase_view
_function._refresh_view = _refresh_view


def _setitem(self, key, value):
    steps, adv = _plan(self, key)
    fn = _apply_steps(steps)
    indices = _index_list(adv) if adv else None
    if not isinstance(value, Tensor):
        if isinstance(value, (list, tuple, np.ndarray)):
            from .creation import tensor

            value = tensor(value, dtype=self.dtype, device=self.device)
        elif isinstance(value, numbers.Number):
            if not needs_grad(self) and indices is None:
                v = fn(self._a)
                _C._assert_no_internal_overlap(v, "setitem")  # torch's copy_ of the number checks it
                v.fill_(float(value))
                return
            value = _wrap(_C.full([], float(value), self._a.dtype, self._a.device_type, self._a.device_index))
        else:
            raise TypeError(f"[setitem] can't assign a {type(value).__name__} to a Tensor")
    elif value._a.device_type == 0 and self._a.device_type != 0:
        value = value.to(self.device)  # torch: a CPU value may be assigned into a CUDA tensor
    if needs_grad(self, value):
        if value._a.dtype != self._a.dtype:
            value = value.to(self.dtype)
        _SetItem.apply(self, value, fn, indices)
        return
    _assign(self._a, fn, indices, value._a)


register_methods({"__getitem__": _getitem, "__setitem__": _setitem})
