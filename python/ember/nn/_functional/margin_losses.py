"""multi_margin_loss, multilabel_margin_loss, triplet_margin_with_distance_loss and
pdist, composed from ember's gather/scatter, elementwise and reduction kernels."""
import ember

from ..functional import _c, _check, _legacy_reduction, _reduce, pairwise_distance
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss", "pdist"]


def _class_scores(input, target, op):
    _check(input, op)
    _check(target, op)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"[{op}] expected a 1-D or 2-D input, got shape {tuple(input.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    return x, input.ndim == 1


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum_{i != y} max(0, margin - x[y] + x[i])^p / C per sample (p is 1 or 2)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("multi_margin_loss", multi_margin_loss, input, target, p, margin, weight, size_average, reduce,
                        reduction)
    x, unbatched = _class_scores(input, target, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("[multi_margin_loss] only p == 1 and p == 2 supported")
    n, c = x.shape
    y = _c(target).reshape(-1).to(ember.int64)
    if y.shape[0] != n:
        raise RuntimeError(f"[multi_margin_loss] expected a target of {n} elements, got shape {tuple(target.shape)}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= c):
        raise IndexError(f"[multi_margin_loss] target out of range for {c} classes")
    xy = x.gather(1, y.reshape(-1, 1))
    z = (margin - xy + x).clamp(min=0.0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * ember.index_select(weight, 0, y).reshape(-1, 1)
    not_target = 1.0 - ember.nn.functional.one_hot(y, c).to(z.dtype)
    loss = (z * not_target).sum(1) / c
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "multi_margin_loss")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Hinge loss between each target class (the indices before the first -1) and every non-target class."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("multilabel_margin_loss", multilabel_margin_loss, input, target, size_average, reduce,
                        reduction)
    x, unbatched = _class_scores(input, target, "multilabel_margin_loss")
    n, c = x.shape
    t = _c(target).reshape(n, -1).to(ember.int64)
    if tuple(t.shape) != (n, c):
        raise RuntimeError(f"[multilabel_margin_loss] expected a target of shape {(n, c)}, got "
                           f"{tuple(target.shape)}")
    valid = ((t == -1).to(ember.int64).cumsum(1) == 0)  # positions before the first -1
    tv = ember.where(valid, t, 0)
    if tv.numel() and (int(tv.min()) < 0 or int(tv.max()) >= c):
        raise IndexError(f"[multilabel_margin_loss] target out of range for {c} classes")
    vf = valid.to(x.dtype)
    is_target = ember.zeros_like(_c(x)).scatter_add(1, tv, vf) > 0
    xy = x.gather(1, tv)  # (N, C): the score of the j-th target class
    hinge = (1.0 - xy.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0.0)  # (N, j, i)
    mask = vf.unsqueeze(2) * (~is_target).to(x.dtype).unsqueeze(1)
    loss = (hinge * mask).sum((1, 2)) / c
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, _legacy_reduction(size_average, reduce, reduction), "multilabel_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    if margin <= 0:
        raise ValueError(f"[triplet_margin_with_distance_loss] margin must be greater than 0, got {margin}")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_ap = dist(anchor, positive)
    d_an = dist(anchor, negative)
    if swap:
        d_an = ember.minimum(d_an, dist(positive, negative))
    loss = (margin + d_ap - d_an).clamp(min=0.0)
    return _reduce(loss, reduction, "triplet_margin_with_distance_loss")


def pdist(input, p=2.0):
    """||x_i - x_j||_p for every pair of rows i < j, in row-major order (N(N-1)/2 values)."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("pdist", pdist, input, p)
    _check(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"[pdist] only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("[pdist] only supports non-negative p values")
    ij = ember.triu_indices(input.shape[0], input.shape[0], 1)
    d = ember.index_select(input, 0, ij[0]) - ember.index_select(input, 0, ij[1])
    return ember.linalg.vector_norm(d, p, dim=1)
