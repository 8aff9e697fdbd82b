"""ember.autograd: reverse-mode automatic differentiation with PyTorch's API."""
from . import engine as _engine
from .function import Function, Node, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck

__all__ = [
    "Function", "backward", "grad", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "once_differentiable",
]


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates gradients of ``tensors`` into the ``.grad`` of the leaves."""
    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors) or [None] * len(tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"[backward] got {len(tensors)} tensors but {len(grads)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        return _backward_to_inputs(tensors, grads, retain_graph, create_graph, inputs)
    _engine.run_backward(tensors, grads, retain_graph, create_graph)


def _backward_to_inputs(tensors, grads, retain_graph, create_graph, inputs):
    inputs = _as_list(inputs)
    res = _engine.run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, allow_unused=True,
                               accumulate=False)
    for x, g in zip(inputs, res):
        if g is not None:
            # Same rule as the leaves' AccumulateGrad: the gradient object is never stolen here
            # (it may be the user's), later ones are added in place.
            _engine._accumulate_into_leaf(x, g, create_graph, {id(g)})


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``."""
    outputs = _as_list(outputs)
    single = not isinstance(inputs, (list, tuple))
    inputs = _as_list(inputs)
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"[grad] got {len(outputs)} outputs but {len(grads)} grad_outputs")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    res = _engine.run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                               allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        from .. import zeros_like

        res = tuple(zeros_like(x) if g is None else g for x, g in zip(inputs, res))
    return res
