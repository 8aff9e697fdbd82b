"""F.ctc_loss on the C++ alpha/beta recursions (csrc/ops/loss/ctc_cpu.cpp)."""
import ember

from ... import _C
from ...autograd.function import Function
from ...tensor import Tensor, _wrap
from ..functional import _c, _check, _reduction_code
from ...amp.autocast_mode import _active as _amp_active, _run as _amp_run, _tls as _amp_tls

__all__ = ["ctc_loss"]


class _CTC(Function):
    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        nll, log_alpha = _C.ctc_loss_forward(log_probs._a, targets._a, input_lengths._a, target_lengths._a, blank)
        nll = _wrap(nll)
        ctx.save_for_backward(log_probs)
        ctx.meta = (targets, input_lengths, target_lengths, nll, _wrap(log_alpha), blank, zero_infinity)
        if zero_infinity:
            nll = ember.where(nll.isinf(), ember.zeros_like(nll), nll)
        return nll

    @staticmethod
    def backward(ctx, g):
        (lp,) = ctx.saved_tensors
        targets, il, tl, nll, la, blank, zi = ctx.meta
        grad = _C.ctc_loss_backward(g._a, lp._a, targets._a, il._a, tl._a, nll._a, la._a, blank, zi)
        return _wrap(grad), None, None, None, None, None


def _lengths(x, n, name):
    if isinstance(x, Tensor):
        t = _c(x)
    else:
        t = ember.tensor(list(x) if not isinstance(x, int) else [x], dtype=ember.int64)
    t = t.reshape(-1)
    if t.dtype not in (ember.int64, ember.int32):
        raise RuntimeError(f"[ctc_loss] {name} must be integers, got {t.dtype}")
    if t.shape[0] != n:
        raise RuntimeError(f"[ctc_loss] expected {name} of {n} elements (the batch size), got {t.shape[0]}")
    return t.to(ember.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist temporal classification loss (torch.nn.functional.ctc_loss).

    log_probs: (T, N, C) or unbatched (T, C) log-probabilities (log_softmax output);
    targets: (N, S) padded, or 1-D concatenated, class indices (never ``blank``).
    'mean' divides each sample's loss by its target length, then averages the batch.
    """
    if _amp_active[0] and _amp_tls.on:  # autocast (ember.amp)
        return _amp_run("ctc_loss", ctc_loss, log_probs, targets, input_lengths, target_lengths, blank, reduction,
                        zero_infinity)
    _check(log_probs, "ctc_loss")
    _check(targets, "ctc_loss")
    code = _reduction_code(reduction, "ctc_loss")
    if not log_probs.is_floating_point():
        raise TypeError(f"[ctc_loss] expected floating point log_probs, got {log_probs.dtype}")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.ndim == 1 else targets
    if log_probs.ndim != 3:
        raise RuntimeError(f"[ctc_loss] expected log_probs of shape (T, N, C) or (T, C), got "
                           f"{tuple(log_probs.shape)}")
    n = log_probs.shape[1]
    il = _lengths(input_lengths, n, "input_lengths")
    tl = _lengths(target_lengths, n, "target_lengths")
    loss = _CTC.apply(log_probs, _c(targets), il, tl, int(blank), bool(zero_infinity))
    if code == 0:
        return loss.squeeze(0) if unbatched else loss
    if code == 2:
        return loss.sum()
    if tl.device != loss.device:  # lengths given as host data (lists) with CUDA log_probs
        tl = tl.pin_memory().to(loss.device, non_blocking=True)
    return (loss / tl.clamp(min=1).to(loss.dtype)).mean()
