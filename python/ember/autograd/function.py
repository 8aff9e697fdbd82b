"""autograd.Function: user-defined and built-in differentiable ops.

How an op is written (the pattern every ember op follows)::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                  # x: Tensor; runs with grad mode off
            out = _wrap(_C.exp(x._a))         # call the kernel on the _C.Array
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):              # grads are Tensors; return one per input
            (out,) = ctx.saved_tensors
            return grad * out                 # written with Tensor ops: differentiable again

    def exp(input):
        return Exp.apply(input)

Rules:
- ``apply`` records a graph node only when grad mode is on and some Tensor argument
  requires grad; otherwise forward runs with a throw-away ctx. A hot op may skip
  ``apply`` entirely when ``needs_grad(a, b)`` is False and call the kernel directly.
- backward returns one gradient (or None) per forward argument, in order; extra
  non-tensor arguments get None. A gradient whose shape differs from its input's by
  broadcasting is summed back to the input's shape by the engine, so elementwise
  backward formulas need no reduction of their own. Like PyTorch's validate_outputs,
  the engine raises on a wrong count, a shape that does not broadcast or a wrong
  device, and casts a gradient of another dtype to the input's.
- Tensors made in inference mode cannot be saved for backward.
- In-place ops call ``ctx.mark_dirty(t)`` on the tensor they modify and return it.
- Outputs of integer/bool dtype never require grad.
"""
import functools

from .grad_mode import _inf_ever, _state

_seq = [0]


class _SavedTensorsFreed(RuntimeError):
    pass


_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Node:
    """A recorded op: the graph's node and the ``ctx`` its Function sees."""

    def __init__(self, fn):
        self._fn = fn
        self.next_functions = ()
        self.needs_input_grad = ()
        self._saved = None
        self._freed = False
        self._pre_hooks = None  # {output_nr: [hook, ...]}
        self._hooks = None
        self._dirty = ()
        self._non_diff = ()
        self._out_meta = ()
        self._in_shapes = ()
        self._in_dtypes = ()
        self.materialize_grads = True
        _seq[0] += 1
        self._seq = _seq[0]

    # ---- ctx API (PyTorch's FunctionCtx) ----
    def save_for_backward(self, *tensors):
        self._saved = tensors

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        saved = self._saved
        if not saved:
            return ()
        out = []
        for s in saved:
            if type(s) is _SavedOutput:
                out.append(s.unpack(self))
            elif s is None:
                out.append(None)
            else:
                t, version = s
                if t._a.version != version:
                    raise RuntimeError(
                        "one of the variables needed for gradient computation has been modified by an "
                        f"inplace operation: [{_type_name(t)} {list(t.shape)}] is at version {t._a.version}; "
                        f"expected version {version} instead. Hint: the op was {self.name()}."
                    )
                out.append(t)
        return tuple(out)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    # ---- node API ----
    def name(self):
        return self._fn.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after this node runs; may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) before this node runs; may return new grad_outputs."""
        return self._add_pre_hook(-1, fn)

    def _add_pre_hook(self, nr, fn):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        lst = self._pre_hooks.setdefault(nr, [])
        lst.append(fn)
        return _RemovableHandle(lst, fn)

    def _release(self):
        self._saved = None
        self._freed = True

    def apply(self, grads):
        """Input gradients for the given output gradients (a list, None for missing)."""
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        if self.materialize_grads:
            for i, g in enumerate(grads):
                if g is None:
                    shape, dt, dev = self._out_meta[i]
                    grads[i] = _zeros(shape, dt, dev)
        res = self._fn.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.next_functions)
        if len(res) != n:
            # Like PyTorch, extra trailing gradients are accepted only when they are all None.
            if len(res) < n or any(r is not None for r in res[n:]):
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients (expected {n}, got {len(res)})"
                )
            res = res[:n]
        return res


class _SavedOutput:
    """A saved output of the node itself, kept without a reference cycle."""

    __slots__ = ("arr", "nr", "version", "requires_grad")

    def __init__(self, t, nr):
        self.arr = t._a
        self.nr = nr
        self.version = t._a.version
        self.requires_grad = t.requires_grad

    def unpack(self, node):
        if self.arr.version != self.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: output {self.nr} of {node.name()} is at version {self.arr.version}; expected "
                f"version {self.version} instead."
            )
        t = _wrap(self.arr)
        if self.requires_grad:
            t.requires_grad = True
            t.grad_fn = node
            t._output_nr = self.nr
        return t


class _RemovableHandle:
    def __init__(self, lst, item):
        self._lst, self._item = lst, item

    def remove(self):
        try:
            self._lst.remove(self._item)
        except ValueError:
            pass


class AccumulateGrad:
    """The sink node of a leaf tensor: sums incoming gradients into ``.grad``."""

    __slots__ = ("variable", "next_functions", "__weakref__")

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class _NullCtx:
    """The ctx of a forward that records nothing."""

    needs_input_grad = ()
    materialize_grads = True

    def save_for_backward(self, *tensors):
        pass

    def mark_dirty(self, *tensors):
        pass

    def mark_non_differentiable(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        pass


class FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        # Gradients of user-defined Functions get PyTorch's dtype/device validation in
        # the engine; ember's own backward formulas are tested to return the input's
        # dtype and device, and skipping the check keeps backward cheap.
        cls._validate_grads = not cls.__module__.startswith("ember.")


class Function(metaclass=FunctionMeta):
    """Base class of differentiable ops (PyTorch's torch.autograd.Function API)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("subclasses of Function must implement backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad:
                if _state[0]:
                    return _apply_recording(cls, args, kwargs)
                break
        return cls.forward(_NullCtx(), *args, **kwargs)


def _apply_recording(cls, args, kwargs):
    node = Node(cls)
    edges = []
    needs = []
    in_shapes = []
    in_dtypes = []
    for a in args:
        if isinstance(a, Tensor) and a.requires_grad:
            vb = a._vbase
            if vb is not None and vb[0].grad_fn is not vb[2]:
                _refresh_view(a)  # the base was changed in place after this view was taken
            g = a.grad_fn
            edges.append((a._accumulator(), 0) if g is None else (g, a._output_nr))
            needs.append(True)
            in_shapes.append(a._a.shape)
            in_dtypes.append(a._a.dtype)
        else:
            edges.append(None)
            needs.append(False)
            in_shapes.append(None)
            in_dtypes.append(None)
    node.next_functions = tuple(edges)
    node.needs_input_grad = tuple(needs)
    node._in_shapes = in_shapes
    node._in_dtypes = in_dtypes
    _state[0] = False
    try:
        out = cls.forward(node, *args, **kwargs)
    finally:
        _state[0] = True

    single = type(out) is not tuple
    outs = (out,) if single else out
    dirty = node._dirty
    non_diff = node._non_diff
    result = []
    metas = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            result.append(o)
            metas.append(None)
            continue
        is_dirty = False
        if dirty:
            for d in dirty:
                if o is d:
                    is_dirty = True
                    if o.grad_fn is None and o.requires_grad:
                        raise RuntimeError(
                            "a leaf Variable that requires grad is being used in an in-place operation.")
        if not is_dirty:
            for a in args:
                if o is a:  # returned an input unchanged: give the output its own history
                    o = _wrap(o._a)
                    break
        arr = o._a
        metas.append((arr.shape, arr.dtype, (arr.device_type, arr.device_index)))
        differentiable = arr.dtype in _FLOAT_C
        if differentiable and non_diff:
            for nd in non_diff:
                if o is nd:
                    differentiable = False
        if not differentiable:
            if not is_dirty:
                o.requires_grad = False
            result.append(o)
            continue
        o.requires_grad = True
        o.grad_fn = node
        o._output_nr = i
        result.append(o)
    node._out_meta = metas
    # Saved tensors: outputs of this node are kept without a reference cycle, the
    # rest with the version they had, to catch in-place changes before backward.
    saved = node._saved
    if saved:
        conv = []
        for s in saved:
            if s is None:
                conv.append(None)
                continue
            for i, o in enumerate(result):
                if s is o and o.grad_fn is node:
                    conv.append(_SavedOutput(o, i))
                    break
            else:
                if _inf_ever[0] and _is_inference(s):
                    raise RuntimeError(_INFERENCE_SAVE_MSG)
                conv.append((s, s._a.version))
        node._saved = conv
    if dirty:
        for d in dirty:
            if d._vbase is not None and d.requires_grad:
                _rebase_view(d)
    return result[0] if single else tuple(result)


def _is_input_leaf(o, args):
    return any(o is a for a in args)


_FLOAT_C = None


def _is_float(t):
    return t._a.dtype in _FLOAT_C


def _type_name(t):
    return {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor"}.get(
        t.dtype.name, "Tensor"
    )


_INFERENCE_SAVE_MSG = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
    "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it "
    "in autograd, or use `ember.no_grad()` instead of `ember.inference_mode()`."
)


def _is_inference(t):
    from ..tensor import _is_inference as f

    return f(t)


class DelayedError(Function):
    """Passes gradients through; differentiating its backward raises ``msg``."""

    @staticmethod
    def forward(ctx, msg, *xs):
        ctx.msg = msg
        return tuple(_wrap(x._a) if isinstance(x, Tensor) else x for x in xs)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ctx.msg)


_ONCE_MSG = "trying to differentiate twice a function that was marked with @once_differentiable"


def once_differentiable(fn):
    """Marks a backward as not differentiable: it runs under no_grad, and with
    create_graph=True its results carry a node that raises when differentiated
    (PyTorch's DelayedError)."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = _state[0]
        _state[0] = False
        try:
            outputs = fn(ctx, *args)
        finally:
            _state[0] = prev
        if not prev:
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        # Only tensors pass through DelayedError: a None gradient stays None.
        pos = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
        if not pos:
            return outputs
        fake = [_wrap(outs[i]._a, outs[i]._a.dtype in _FLOAT_C) for i in pos]
        res = DelayedError.apply(_ONCE_MSG, *fake)
        res = res if isinstance(res, tuple) else (res,)
        merged = list(outs)
        for i, r in zip(pos, res):
            merged[i] = r
        return merged[0] if single else tuple(merged)

    return wrapper


# Filled in by ember.tensor to avoid an import cycle.
Tensor = None
# Filled in by ember._ops.indexing: moves an in-place change made through a view into
# the history of the view's base (PyTorch's CopySlices).
_rebase_view = None
_refresh_view = None
_wrap = None
_zeros = None


def _bind(tensor_cls, wrap, zeros, float_dtypes):
    global Tensor, _wrap, _zeros, _FLOAT_C
    Tensor, _wrap, _zeros, _FLOAT_C = tensor_cls, wrap, zeros, float_dtypes
