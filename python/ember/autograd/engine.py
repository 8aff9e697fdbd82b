"""The backward pass: walks the recorded graph from the roots in dependency order.

Each node runs once, after every node that feeds it a gradient has run; incoming
gradients for the same output are summed in a buffer. Leaves receive their sum
through their AccumulateGrad node. With retain_graph=False the saved tensors of
every node that ran are freed, so a second backward raises like PyTorch's.
"""
from . import function as _function
from .function import AccumulateGrad, Node
from .grad_mode import _state

# Filled in by ember.tensor.
_wrap = None
_add = None
_add_out = None  # (out, a, b) in place: out = a + b
_sum_to_shape = None
_ones_like = None
_cast = None  # (Tensor, _C.DType) -> Tensor, differentiable
_type_name = None  # Tensor -> "ember.FloatTensor"


def _accumulate(a, b):
    return b if a is None else a + b


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None, allow_unused=False, accumulate=True):
    """Backpropagates from ``tensors``. With ``inputs`` and accumulate=False, returns their gradients."""
    roots = []
    user_grads = set()
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._a.numel != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = _ones_like(t)
        else:
            if tuple(g.shape) != tuple(t.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and output[{i}] has a "
                    f"shape of {tuple(t.shape)}."
                )
            user_grads.add(id(g))
        node = t.grad_fn if t.grad_fn is not None else t._accumulator()
        roots.append((node, t._output_nr if t.grad_fn is not None else 0, g))

    # Where to capture gradients for autograd.grad: {(id(node), nr): position}.
    capture = None
    results = None
    if inputs is not None:
        capture = {}
        for k, x in enumerate(inputs):
            if not x.requires_grad:
                raise RuntimeError(f"One of the differentiated Tensors (input {k}) does not require grad")
            node = x.grad_fn if x.grad_fn is not None else x._accumulator()
            nr = x._output_nr if x.grad_fn is not None else 0
            capture.setdefault((id(node), nr), []).append(k)
        results = [None] * len(inputs)

    # Count, for every reachable node, the edges that feed it.
    deps = {}
    nodes = {}
    stack = []
    for node, _, _ in roots:
        if id(node) not in nodes:
            nodes[id(node)] = node
            deps[id(node)] = 0
            stack.append(node)
    while stack:
        for e in stack.pop().next_functions:
            if e is None:
                continue
            nxt = e[0]
            k = id(nxt)
            if k in deps:
                deps[k] += 1
            else:
                deps[k] = 1
                nodes[k] = nxt
                stack.append(nxt)

    buffers = {}
    for node, nr, g in roots:
        buf = buffers.get(id(node))
        if buf is None:
            buf = buffers[id(node)] = [None] * _n_outputs(node)
        buf[nr] = _accumulate(buf[nr], g)

    ready = [nodes[k] for k, d in deps.items() if d == 0]
    executed = []
    given = set(user_grads)  # gradient objects already handed to a leaf or given by the user
    prev_mode = _state[0]
    _state[0] = bool(create_graph)
    try:
        while ready:
            node = ready.pop()
            nid = id(node)
            buf = buffers.pop(nid, None)
            if type(node) is AccumulateGrad:
                if buf is None:
                    continue
                hooks = node.variable._hooks
                if hooks:
                    for h in list(hooks):
                        r = h(buf[0])
                        if r is not None:
                            _check_hook_result(h, buf[0], r)
                            buf[0] = r
                if capture is not None:
                    pos = capture.get((nid, 0))
                    if pos is not None:
                        for p in pos:
                            results[p] = buf[0]
                if accumulate and buf[0] is not None:
                    _accumulate_into_leaf(node.variable, buf[0], create_graph, given)
                continue
            if buf is None:
                buf = [None] * _n_outputs(node)
            if node._pre_hooks:
                _run_pre_hooks(node, buf)
            if capture is not None:
                for nr, g in enumerate(buf):
                    pos = capture.get((nid, nr))
                    if pos is not None:
                        for p in pos:
                            results[p] = g
            grads_in = None
            for g in buf:
                if g is not None:
                    grads_in = node.apply(buf)
                    if node._hooks:
                        for h in node._hooks:
                            r = h(grads_in, tuple(buf))
                            if r is not None:
                                grads_in = tuple(r)
                    break
            executed.append(node)
            in_shapes = node._in_shapes
            in_dtypes = node._in_dtypes
            validate = node._fn._validate_grads
            j = -1
            for e in node.next_functions:
                j += 1
                if e is None:
                    continue
                nxt, nr = e
                k = id(nxt)
                if grads_in is not None:
                    g = grads_in[j]
                    if g is not None:
                        shape = in_shapes[j]
                        ga = g._a
                        if ga.shape != shape:
                            if not _expandable(shape, ga.shape):
                                raise RuntimeError(
                                    f"Function {node.name()} returned an invalid gradient at index {j} - got "
                                    f"{list(ga.shape)} but expected shape compatible with {list(shape)}"
                                )
                            g = _sum_to_shape(g, shape, node)
                        if validate:
                            g = _check_dtype_device(node, j, g, nxt, nr)
                        elif in_dtypes and ga.dtype != in_dtypes[j]:
                            # A type-promoting op (f32 * f64) hands back its gradient in the
                            # promoted dtype; torch casts it to the input's dtype. Only cast on a mismatch.
                            g = _cast(g, in_dtypes[j])
                        b = buffers.get(k)
                        if b is None:
                            b = buffers[k] = [None] * _n_outputs(nxt)
                        b[nr] = g if b[nr] is None else b[nr] + g
                d = deps[k] - 1
                deps[k] = d
                if d == 0:
                    ready.append(nxt)
    finally:
        _state[0] = prev_mode
        if not retain_graph:
            for node in executed:
                node._release()

    if inputs is not None:
        for k, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {k}) appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        return tuple(results)
    return None


def _n_outputs(node):
    if type(node) is AccumulateGrad:
        return 1
    return len(node._out_meta) or 1


def _run_pre_hooks(node, buf):
    for nr, hooks in node._pre_hooks.items():
        if nr < 0:
            for h in list(hooks):
                r = h(tuple(buf))
                if r is not None:
                    buf[:] = list(r)
            continue
        # Like PyTorch, the retain_grad hook runs after every other hook on the tensor.
        for h in sorted(hooks, key=lambda h: getattr(h, "_ember_retain", False)):
            if buf[nr] is None:
                break
            r = h(buf[nr])
            if r is not None:
                _check_hook_result(h, buf[nr], r)
                buf[nr] = r


def _expandable(shape, gshape):
    """True when ``shape`` broadcasts to ``gshape`` (PyTorch's is_expandable_to)."""
    lead = len(gshape) - len(shape)
    if lead < 0:
        return False
    for s, gs in zip(shape, gshape[lead:]):
        if s != gs and s != 1:
            return False
    return True


def _check_dtype_device(node, j, g, nxt, nr):
    """PyTorch's validate_outputs for one gradient: same device as the input, cast to its dtype."""
    # The input's dtype and device are those of the edge's target (a leaf, or an output
    # of another node), so nothing is stored at forward time.
    dt, dty, di = _edge_meta(nxt, nr)
    ga = g._a
    if ga.device_type != dty or (dty and ga.device_index != di):
        if ga.ndim == 0:
            # A 0-d CPU tensor that joined GPU tensors gets its gradient back on its
            # own device (PyTorch moves 0-d gradients the same way).
            g = g.to(_dev_name(dty, di))
            return _cast(g, dt) if g._a.dtype != dt else g
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {j} - expected "
            f"device {_dev_name(dty, di)} but got {_dev_name(ga.device_type, ga.device_index)}"
        )
    return _cast(g, dt) if ga.dtype != dt else g


def _edge_meta(nxt, nr):
    if type(nxt) is AccumulateGrad:
        a = nxt.variable._a
        return a.dtype, a.device_type, a.device_index
    _, dt, dev = nxt._out_meta[nr]
    return dt, dev[0], dev[1]


def _dev_name(dev_type, index):
    return f"cuda:{index}" if dev_type == 1 else "cpu"


def _hook_name(h):
    return getattr(h, "__name__", None) or type(h).__name__


def _check_hook_result(h, old, new):
    """A tensor hook may replace the gradient, but not change its shape, dtype or device (PyTorch's rule)."""
    if not isinstance(new, _function.Tensor):
        raise TypeError(f"expected Tensor or None (got {type(new).__name__}) from hook '{_hook_name(h)}'")
    a, b = old._a, new._a
    if a.dtype != b.dtype or a.device_type != b.device_type:
        raise RuntimeError(
            f"hook '{_hook_name(h)}' has changed the type of value (was {_type_name(old)} got {_type_name(new)})"
        )
    if a.shape != b.shape:
        raise RuntimeError(f"hook '{_hook_name(h)}' has changed the size of value")


def _accumulate_into_leaf(t, g, create_graph, given):
    """PyTorch's AccumulateGrad: the first gradient is stolen or copied into ``.grad``; later ones are
    added into the existing ``.grad`` in place (so references to it see the sum), except with
    create_graph=True, where ``.grad`` becomes a new, differentiable sum."""
    if t.grad is None:
        if create_graph:
            t.grad = g.clone()
        else:
            a = g._a
            if id(g) in given or a.storage_use_count != 1 or not a.is_contiguous() or g.grad_fn is not None:
                a = a.clone()
            t.grad = _wrap(a)
            given.add(id(g))
    elif create_graph:
        t.grad = t.grad + g
    else:
        old = t.grad._a
        _add_out(old, old, g._a)
