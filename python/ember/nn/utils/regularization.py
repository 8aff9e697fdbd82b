"""L1 / L2 weight penalty (an ember extra; torch has no equivalent)."""
import ember

from ...tensor import Tensor

__all__ = ["penalty"]


def penalty(parameters, l1=0.0, l2=0.0):
    """Returns ``l1 * sum(|w|) + l2 * sum(w ** 2)`` over every tensor in ``parameters``.

    ``parameters`` is a Tensor or an iterable of Tensors (e.g. ``model.parameters()``).
    The result is a differentiable scalar tensor: add it to a loss before ``backward()``
    to get L1 (lasso) and/or L2 (ridge) regularisation. Note that the L2 term here is the
    plain sum of squares, so its gradient is ``2 * l2 * w`` (optimizers' ``weight_decay=wd``
    equals ``l2 = wd / 2``). With no parameters, or l1 == l2 == 0, returns ``tensor(0.)``.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    total = None
    device = None  # the zero result goes on the parameters' device
    for p in parameters:
        device = p.device if device is None else device
        term = None
        if l1:
            term = p.abs().sum() * l1
        if l2:
            t2 = p.pow(2).sum() * l2
            term = t2 if term is None else term + t2
        if term is not None:
            total = term if total is None else total + term
    return ember.tensor(0.0, device=device) if total is None else total
