"""ember.Tensor: a _C.Array plus autograd fields, with PyTorch's API.

The class body holds what every tensor needs (properties, conversions, autograd
entry points, repr). Ops live in ember/_ops/<family>.py and attach their Tensor
methods through ``register_methods``, so each family stays in its own file.

Hot-path helpers for op authors:
- ``_wrap(arr)`` makes a Tensor around a _C.Array without any checks.
- ``needs_grad(*xs)`` says whether an op on xs must be recorded.
- ``sum_to_shape(g, shape)`` reduces a broadcast gradient back to ``shape``.
"""
import weakref

import numpy as np

from . import _C
from ._device import CPU, as_device, device, from_array
from ._dtype import FROM_C, as_dtype, bool_, float32, get_default_dtype, int64, to_numpy_dtype
from .autograd import engine as _engine
from .autograd import function as _function
from .autograd import grad_mode as _grad_mode
from .autograd.grad_mode import _inf_ever, _state

__all__ = ["Tensor", "Size", "register_methods"]

_new = object.__new__
_FLOAT_C = frozenset([_C.DType.float16, _C.DType.bfloat16, _C.DType.float32, _C.DType.float64])


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size``."""

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, k):
        r = tuple.__getitem__(self, k)
        return Size(r) if isinstance(k, slice) else r


class Tensor:
    """An n-dimensional array with autograd, PyTorch's ``torch.Tensor`` API."""

    # _inf is set only on tensors made in inference mode (read through _is_inference).
    __slots__ = ("_a", "requires_grad", "grad", "grad_fn", "_output_nr", "_accum", "_hooks", "_vbase", "_inf",
                 "__weakref__")

    def __new__(cls, *args, **kwargs):
        # Tensor(data) / Tensor(2, 3) / Tensor(): like torch.Tensor, float32 by default.
        from ._ops.creation import _legacy_new

        return _legacy_new(cls, args, kwargs)

    # ---------------------------------------------------------------- metadata
    @property
    def shape(self):
        return Size(self._a.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._a.shape)
        return self._a.shape[_C_wrap_dim(dim, self._a.ndim, "size")]

    @property
    def dtype(self):
        return FROM_C[self._a.dtype]

    @property
    def device(self):
        return from_array(self._a)

    @property
    def is_cuda(self):
        return self._a.device_type == 1

    @property
    def is_cpu(self):
        return self._a.device_type == 0

    def pin_memory(self, device=None):
        """A copy in pinned (page-locked) host memory, self when already pinned: the
        source of fast, asynchronous ``.to('cuda', non_blocking=True)`` copies."""
        return _wrap(_C.cuda.pin_memory(self._a), self.requires_grad) if not self.is_pinned() else self

    def is_pinned(self, device=None):
        return self._a.device_type == 0 and _C.cuda.is_pinned(self._a)

    def record_stream(self, stream):
        """Marks this CUDA tensor's memory as used by work queued on ``stream``: when
        the tensor is freed, the allocator reuses its block only after that work."""
        _C.cuda.record_stream(self._a, int(getattr(stream, "cuda_stream", stream)))

    @property
    def ndim(self):
        return self._a.ndim

    def dim(self):
        return self._a.ndim

    ndimension = dim

    def numel(self):
        return self._a.numel

    nelement = numel

    def element_size(self):
        return self._a.itemsize

    @property
    def itemsize(self):
        return self._a.itemsize

    @property
    def nbytes(self):
        return self._a.itemsize * self._a.numel

    def stride(self, dim=None):
        st = self._a.strides
        return st if dim is None else st[_C_wrap_dim(dim, self._a.ndim, "stride")]

    def storage_offset(self):
        return self._a.offset

    def is_contiguous(self, memory_format=None):
        return self._a.is_contiguous()

    def data_ptr(self):
        return self._a.data_ptr

    def is_floating_point(self):
        return self._a.dtype in _FLOAT_C

    def is_complex(self):
        return False

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def layout(self):
        return "strided"

    @property
    def data(self):
        return _wrap(self._a)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"[data] expected a Tensor, got {type(value).__name__}")
        self._a = value._a

    @property
    def _version(self):
        return self._a.version

    @property
    def _base(self):
        vb = self._vbase
        return vb[0] if vb is not None else None

    def _is_view(self):
        return self._vbase is not None

    # ---------------------------------------------------------------- autograd
    def _accumulator(self):
        r = self._accum
        acc = r() if r is not None else None
        if acc is None:
            acc = _function.AccumulateGrad(self)
            self._accum = weakref.ref(acc)
        return acc

    def is_inference(self):
        return _is_inference(self)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and _inf_ever[0] and not _state[1] and _is_inference(self):
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if requires_grad and self._a.dtype not in _FLOAT_C:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        t = _wrap(self._a)
        if _inf_ever[0] and _is_inference(self):
            t._inf = True
        return t

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            from .autograd import _backward_to_inputs

            return _backward_to_inputs([self], [gradient], retain_graph, create_graph, inputs)
        _engine.run_backward([self], [gradient], retain_graph, create_graph)

    def register_hook(self, hook):
        """hook(grad) -> Tensor or None, called with this tensor's gradient."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_pre_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _function._RemovableHandle(self._hooks, hook)

    def retain_grad(self):
        if self.grad_fn is None:
            return
        if self.retains_grad:
            return
        ref = weakref.ref(self)

        def _retain(g):
            t = ref()
            if t is not None:
                t.grad = g.detach() if t.grad is None else t.grad + g.detach()

        _retain._ember_retain = True
        self.grad_fn._add_pre_hook(self._output_nr, _retain)

    @property
    def retains_grad(self):
        if self.grad_fn is None or not self.grad_fn._pre_hooks:
            return False
        return any(getattr(h, "_ember_retain", False) for h in self.grad_fn._pre_hooks.get(self._output_nr, ()))

    # ---------------------------------------------------------------- conversion
    def item(self):
        return self._a.item()

    def tolist(self):
        return self.numpy(force=True).tolist() if self._a.ndim else self._a.item()

    def numpy(self, *, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        a = self._a
        if a.device_type != 0:
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the "
                    "tensor to host memory first."
                )
            a = a.to_device(0, 0)
        if a.dtype == _C.DType.bfloat16:
            if not force:
                raise TypeError("[numpy] NumPy has no bfloat16 dtype: convert with .float() first")
            a = a.to_dtype(_C.DType.float32)
        return a.numpy()

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy(force=True)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._a.shape[0]

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._a.numel != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._a.numel} values is ambiguous")
        return bool(self._a.item())

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if self._a.dtype not in (_C.DType.int64, _C.DType.int32, _C.DType.uint8, _C.DType.bool):
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._scalar("index"))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def _scalar(self, what):
        if self._a.numel != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars ({what})")
        return self._a.item()

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, proto):
        # Pickling (multiprocessing DataLoader workers) goes through NumPy bytes.
        arr = self.detach().cpu().float().numpy() if self.dtype.name == "bfloat16" else self.detach().cpu().numpy()
        return (_rebuild, (arr.copy(), self.dtype.name, str(self.device), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        t = _wrap(self._a.clone(), self.requires_grad)
        if type(self) is not Tensor:
            t = type(self).__new__(type(self), t, self.requires_grad) if hasattr(type(self), "_from_tensor") else t
        if self.grad is not None:
            t.grad = _wrap(self.grad._a.clone())
        memo[id(self)] = t
        return t

    def __repr__(self, *, tensor_contents=None):
        from ._format import format_tensor

        return format_tensor(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._a.ndim == 0:
            return format(self._a.item(), spec)
        return object.__format__(self, spec)

    def __dir__(self):
        return sorted(set(dir(type(self))))


def _rebuild(arr, dtype_name, dev, requires_grad):
    from ._dtype import _dtype_by_name

    t = _wrap(_C.from_numpy(arr).clone())
    d = _dtype_by_name(dtype_name)
    if t.dtype != d:
        t = _wrap(t._a.to_dtype(d._c))
    if dev != "cpu":
        t = _wrap(t._a.to_device(*as_device(dev)))
    t.requires_grad = requires_grad
    return t


def _C_wrap_dim(dim, ndim, op):
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"[{op}] Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def _wrap(arr, requires_grad=False):
    t = _new(Tensor)
    t._a = arr
    t.requires_grad = requires_grad
    t.grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._accum = None
    t._hooks = None
    t._vbase = None
    return t


def _wrap_marking(arr, requires_grad=False):
    """_wrap while some thread is in inference mode: also marks inference tensors."""
    t = _new(Tensor)
    t._a = arr
    t.requires_grad = requires_grad
    t.grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._accum = None
    t._hooks = None
    t._vbase = None
    if _state[1]:
        t._inf = True
    return t


_WRAP_PLAIN = _wrap.__code__


def _inference_active(on):
    # Every op calls _wrap, which modules import by name, so inference marking swaps the
    # function's code instead of adding a test to it: the common path stays as fast as
    # before, and the marking code checks the per-thread flag itself.
    _wrap.__code__ = _wrap_marking.__code__ if on else _WRAP_PLAIN


_grad_mode._on_inference_active = _inference_active


def _check_inplace_inference(t):
    """In-place ops call this (when ``_inf_ever[0]``): inference tensors change only in inference mode."""
    if not _state[1] and _is_inference(t):
        raise RuntimeError(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get "
            "a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more "
            "details."
        )


def _is_inference(t):
    """True for a tensor made in inference mode, or a view or detach of one."""
    if not _inf_ever[0]:
        return False
    try:
        return t._inf
    except AttributeError:
        vb = t._vbase
        return vb is not None and vb[0] is not t and _is_inference(vb[0])


def needs_grad(*xs):
    """True when grad mode is on and some Tensor among xs requires grad."""
    if not _state[0]:
        return False
    for x in xs:
        if isinstance(x, Tensor) and x.requires_grad:
            return True
    return False


def sum_to_shape(g, shape, node=None):
    """Sums gradient g over the dims it was broadcast along, giving ``shape``."""
    gshape = g._a.shape
    shape = tuple(shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    ok = lead >= 0 and all(s == 1 or s == gs for s, gs in zip(shape, gshape[lead:]))
    if not ok:
        who = node.name() if node is not None else "sum_to_shape"
        raise RuntimeError(f"[{who}] gradient of shape {gshape} does not broadcast to the input shape {shape}")
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    r = g.sum(dim=dims, keepdim=True) if dims else g
    return r.reshape(shape)


def register_methods(methods):
    """Attaches {name: function} to Tensor (ops call this at import)."""
    for name, fn in methods.items():
        setattr(Tensor, name, fn)


def _zeros_meta(shape, dt, dev):
    return _wrap(_C.zeros(list(shape), dt, dev[0], dev[1]))


def _ones_like(t):
    return _wrap(_C.full(list(t._a.shape), 1.0, t._a.dtype, t._a.device_type, t._a.device_index))


_function._bind(Tensor, _wrap, _zeros_meta, _FLOAT_C)
_engine._wrap = _wrap
_engine._add = lambda a, b: _C.add(a, b)
_engine._add_out = lambda out, a, b: _C.add_out(out, a, b, 1)
_engine._cast = lambda g, dt: g.to(FROM_C[dt])
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
_engine._type_name = lambda t: ("ember.cuda." if t._a.device_type == 1 else "ember.") + _TYPE_NAMES.get(
    t.dtype.name, "Tensor")
_engine._sum_to_shape = sum_to_shape
_engine._ones_like = _ones_like
