"""cosine_similarity (pairwise_distance lives with the losses that use it)."""
import ember

from ..functional import _check
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["cosine_similarity"]


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2, dim) / (max(||x1||, eps) * max(||x2||, eps)), broadcasting x1 against x2."""
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("cosine_similarity", cosine_similarity, x1, x2, dim, eps)
    _check(x1, "cosine_similarity")
    _check(x2, "cosine_similarity")
    shape = ember.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    nd = len(shape)
    if not -max(nd, 1) <= dim < max(nd, 1):
        n = max(nd, 1)
        raise IndexError(f"[cosine_similarity] Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got "
                         f"{dim}) for inputs of shape {tuple(shape)}")
    n1 = ember.sqrt((x1 * x1).sum(dim, keepdim=True)).clamp(min=eps)
    n2 = ember.sqrt((x2 * x2).sum(dim, keepdim=True)).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)
