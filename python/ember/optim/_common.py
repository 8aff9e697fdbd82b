"""Shared pieces of the optimizer files: torch's argument checks and state factories."""
from .._ops.creation import full_like, tensor, zeros_like

__all__ = []


def check_lr(lr):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_eps(eps):
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")


def check_weight_decay(wd):
    if not 0.0 <= wd:
        raise ValueError(f"Invalid weight_decay value: {wd}")


def check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def new_step(p):
    """torch's state['step']: a 0-d tensor of the default float dtype, on the CPU."""
    return tensor(0.0)


def scalar_state(value):
    return lambda p: tensor(float(value))


def zeros(p):
    return zeros_like(p)


def filled(value):
    return lambda p: full_like(p, float(value))
