"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, unique.

Values that carry gradients are re-read with ``gather`` at the returned indices, so
their backward (a scatter of the gradient to those indices) comes from gather's.
Results with two parts are named tuples with ``.values`` and ``.indices``.
"""
import numbers
from collections import namedtuple

from .. import _C
from ..tensor import Tensor, _wrap, needs_grad, register_methods

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "unique"]

_sort_t = namedtuple("sort", ["values", "indices"])
_topk_t = namedtuple("topk", ["values", "indices"])
_kth_t = namedtuple("kthvalue", ["values", "indices"])
_median_t = namedtuple("median", ["values", "indices"])


def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] expected a Tensor, got {type(x).__name__}")


def _k(k, op):
    """k as a C++ int64, checked here so bad values never reach pybind11's raw TypeError."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"[{op}] argument 'k' must be int, not {type(k).__name__}")
    k = int(k)
    if not -(2**63) <= k < 2**63:
        raise ValueError(f"[{op}] Overflow when unpacking long long: k={k} does not fit in int64")
    return k


def _values(x, v, i, dim, keepdim=True):
    """The values, through gather (differentiable) when x needs grad."""
    if not needs_grad(x):
        return _wrap(v)
    from .index import gather

    idx = _wrap(i)
    if not keepdim:
        idx = idx.unsqueeze(dim)
    out = gather(x, dim, idx)
    return out if keepdim else out.squeeze(dim)


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    _check(input, "sort")
    v, i = _C.sort(input._a, dim, bool(descending))
    r = _sort_t(_values(input, v, i, dim), _wrap(i))
    if out is not None:
        out[0]._a, out[1]._a = r.values._a, r.indices._a
        return _sort_t(*out)
    return r


def argsort(input, dim=-1, descending=False, stable=False):
    _check(input, "argsort")
    return _wrap(_C.sort(input._a, dim, bool(descending))[1])


def msort(input):
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    _check(input, "topk")
    k = _k(k, "topk")
    if k == 0 and input.dim() == 0:
        k = 1  # torch's topk of a 0-d tensor with k=0 still returns the element, shape ()
    v, i = _C.topk(input._a, k, dim, bool(largest), bool(sorted))
    return _topk_t(_values(input, v, i, dim), _wrap(i))


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    _check(input, "kthvalue")
    v, i = _C.kthvalue(input._a, _k(k, "kthvalue"), dim, bool(keepdim))
    return _kth_t(_values(input, v, i, dim, keepdim), _wrap(i))


def median(input, dim=None, keepdim=False):
    _check(input, "median")
    if dim is None:
        if needs_grad(input):
            flat = input.reshape(-1)
            _, i = _C.median(flat._a, 0, False)
            from .index import gather

            return gather(flat, 0, _wrap(i).reshape(1)).reshape(())
        return _wrap(_C.median_all(input._a))
    v, i = _C.median(input._a, dim, bool(keepdim))
    return _median_t(_values(input, v, i, dim, keepdim), _wrap(i))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    _check(input, "unique")
    if dim is not None:
        raise ValueError("[unique] dim= is not supported; unique works on the flattened tensor")
    v, inv, cnt = _C.unique(input._a, bool(return_inverse), bool(return_counts))
    res = [_wrap(v)]
    if return_inverse:
        res.append(_wrap(inv))
    if return_counts:
        res.append(_wrap(cnt))
    return res[0] if len(res) == 1 else tuple(res)


def _sort_method(self, dim=-1, descending=False, stable=False):
    return sort(self, dim, descending, stable)


register_methods({
    "sort": _sort_method, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue, "median": median,
    "unique": unique,
})
