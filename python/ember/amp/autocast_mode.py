"""ember.autocast: mixed-precision regions (torch.autocast's API and op lists).

Inside ``with ember.autocast('cuda'):`` (float16 by default) or
``with ember.autocast('cpu'):`` (bfloat16 by default), ops on tensors of that device
type run in an op-specific dtype:

- "lower precision" ops (matmul, linear, conv, bmm, addmm, attention, ...) cast their
  floating inputs to the autocast dtype;
- "float32" ops (the losses, and on CUDA exp/log/pow, norms, softplus, ...) cast them
  to float32; the CUDA reductions (sum, prod, cumsum, softmax...) run in float32
  unless a ``dtype`` is given;
- "promote" ops (CUDA: addcmul, addcdiv, atan2, cross, dot...) cast every floating
  input to the widest floating dtype among them;
- every other op runs in its inputs' dtypes.

float64 tensors and tensors of the other device type are never cast. The lists follow
PyTorch's (ATen's autocast_mode.h for CUDA; autocast_mode.cpp's CPU lists) for the ops
ember has. Casts are ordinary differentiable ``Tensor.to`` calls, so gradients reach
each input in its own dtype. Within one region (outermost enter to outermost exit) a
float32 leaf that requires grad (a parameter) is cast to the lower dtype once and the
cast reused (``cache_enabled``), like torch's weight cache.

How ops consult it: each listed Python function starts with

    if _amp_active[0] and _amp_tls.on:
        return _amp_run("linear", linear, input, weight, bias)

``_amp_active[0]`` counts enabled regions over all threads (0: one list read, the
whole cost when autocast is unused); ``_amp_tls.on`` says this thread has an enabled
region and is not already inside an autocast op. ``_amp_run`` casts the arguments by
the op's rule for the tensors' device type and calls the op again with autocast
suppressed for its body (torch excludes the autocast key the same way), so ops that an
op calls internally keep the dtypes it chose.

State is per thread (each thread starts with autocast off), like grad mode.
"""
import collections.abc
import functools
import threading
import warnings

from .. import _C
from .._dtype import FROM_C, bfloat16, dtype as _dtype_cls, float16, float32
from ..autograd.grad_mode import _state as _grad_state

__all__ = [
    "autocast", "is_autocast_enabled", "get_autocast_dtype", "set_autocast_enabled", "set_autocast_dtype",
    "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache", "is_autocast_available",
    "custom_fwd", "custom_bwd",
]

_D = _C.DType
_ELIGIBLE = frozenset([_D.float16, _D.bfloat16, _D.float32])  # floating, not float64
_DEVICES = ("cpu", "cuda")
_SUPPORTED = {"cpu": (bfloat16, float16), "cuda": (float16, bfloat16)}
# Device-type code of _C.Array.device_type -> name (tests remap it to run the CUDA
# rules on CPU tensors).
_DEV_NAME = {0: "cpu", 1: "cuda"}


class _State(threading.local):
    """This thread's autocast state."""

    on = False  # some device enabled here, and not inside an autocast op

    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = {"cpu": bfloat16, "cuda": float16}
        self.cache_enabled = True
        self.nesting = 0
        self.in_op = False
        self.cache = {}  # id(leaf) -> (leaf, its cast)
        self.stack = []  # saved state of each entered autocast


_tls = _State()
_active = [0]
_active_lock = threading.Lock()


def _refresh(st):
    st.on = (st.enabled["cpu"] or st.enabled["cuda"]) and not st.in_op


def _bump_active(delta):
    with _active_lock:
        _active[0] += delta


def _device_type(device_type, op):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    name = device_type.split(":", 1)[0]
    if name not in _DEVICES:
        raise RuntimeError(f"[{op}] User specified an unsupported autocast device_type '{device_type}' "
                           f"(ember supports 'cpu' and 'cuda')")
    return name


# ---------------------------------------------------------------------- public state API
def is_autocast_available(device_type):
    return isinstance(device_type, str) and device_type.split(":", 1)[0] in _DEVICES


def is_autocast_enabled(device_type=None):
    """Whether autocast is on for ``device_type`` ('cuda' when omitted, like torch) in this thread."""
    return _tls.enabled[_device_type("cuda" if device_type is None else device_type, "is_autocast_enabled")]


def get_autocast_dtype(device_type):
    return _tls.dtype[_device_type(device_type, "get_autocast_dtype")]


def set_autocast_enabled(device_type, enabled):
    """Low-level switch (prefer ``with ember.autocast(...)``)."""
    st = _tls
    dev = _device_type(device_type, "set_autocast_enabled")
    enabled = bool(enabled)
    if st.enabled[dev] != enabled:
        st.enabled[dev] = enabled
        _bump_active(1 if enabled else -1)
        _refresh(st)


def set_autocast_dtype(device_type, dtype):
    dev = _device_type(device_type, "set_autocast_dtype")
    _tls.dtype[dev] = _check_dtype(dtype, "set_autocast_dtype")


def is_autocast_cache_enabled():
    return _tls.cache_enabled


def set_autocast_cache_enabled(enabled):
    _tls.cache_enabled = bool(enabled)


def clear_autocast_cache():
    _tls.cache.clear()


def _check_dtype(dtype, op):
    if not isinstance(dtype, _dtype_cls):
        raise TypeError(f"[{op}] expected an ember.dtype, got {type(dtype).__name__} ({dtype!r})")
    return dtype


# ---------------------------------------------------------------------- autocast
class autocast:
    """Context manager and decorator: ops inside run in mixed precision (torch.autocast).

    ``device_type``: 'cpu' or 'cuda'. ``dtype``: the lower-precision dtype (default:
    float16 for CUDA, bfloat16 for CPU). ``enabled=False`` turns autocast off inside
    (regions nest). ``cache_enabled``: reuse the lower-precision casts of parameters
    within the region (default: on).
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        dev = _device_type(device_type, "autocast")
        self.device = dev
        self.fast_dtype = _tls.dtype[dev] if dtype is None else _check_dtype(dtype, "autocast")
        self._cache_enabled = _tls.cache_enabled if cache_enabled is None else bool(cache_enabled)
        enabled = bool(enabled)
        if enabled:
            if dev == "cuda" and _C.cuda.device_count() == 0:
                warnings.warn("CUDA is not available. Disabling autocast.", stacklevel=2)
                enabled = False
            elif self.fast_dtype not in _SUPPORTED[dev]:
                name = dev.upper()
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                              f"{name} Autocast only supports dtypes of "
                              + ", ".join(str(d) for d in _SUPPORTED[dev]) + " currently.", stacklevel=2)
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        st = _tls
        dev = self.device
        # Saved on the thread's stack, so one instance may be entered by several
        # threads (a decorated function) or recursively.
        st.stack.append((dev, st.enabled[dev], st.dtype[dev], st.cache_enabled))
        if st.enabled[dev] != self._enabled:
            _bump_active(1 if self._enabled else -1)
        st.enabled[dev] = self._enabled
        st.dtype[dev] = self.fast_dtype
        st.cache_enabled = self._cache_enabled
        st.nesting += 1
        _refresh(st)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        st = _tls
        dev, prev_enabled, prev_dtype, prev_cache = st.stack.pop()
        st.nesting -= 1
        if st.nesting == 0:  # the cache lives for the outermost region
            st.cache.clear()
        if st.enabled[dev] != prev_enabled:
            _bump_active(1 if prev_enabled else -1)
        st.enabled[dev] = prev_enabled
        st.dtype[dev] = prev_dtype
        st.cache_enabled = prev_cache
        _refresh(st)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(f"autocast()(func) requires a callable, but got {type(func).__name__}. Did you mean to "
                            "use autocast as a context manager? For example:\n"
                            "    with ember.autocast(device_type=...):\n"
                            "        output = model(input)")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorate_autocast


# ---------------------------------------------------------------------- casting rules
def _tensor_cls():
    from ..tensor import Tensor

    return Tensor


Tensor = None  # bound on first use (ember.tensor imports come later than this module)


def _eligible(t, code):
    a = t._a
    return a.device_type == code and a.dtype in _ELIGIBLE


def _cast_one(st, t, code, target, cache):
    """t cast to target when eligible (a differentiable Tensor.to), else t."""
    a = t._a
    if a.device_type != code or a.dtype not in _ELIGIBLE or a.dtype == target._c:
        return t
    if cache and st.cache_enabled and a.dtype == _D.float32 and t.requires_grad and t.grad_fn is None \
            and t._vbase is None and _grad_state[0]:
        hit = st.cache.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        r = t.to(target)
        node = r.grad_fn
        if node is not None:
            # The cast saves nothing (torch's ToCopyBackward neither), so every graph built
            # on the cached copy within the region may run backward through it: the
            # engine's "freed after backward" mark is kept off this one node.
            node._release = _keep_node
        st.cache[id(t)] = (t, r)
        return r
    return t.to(target)


def _keep_node():
    pass


def _cast_all(st, args, kwargs, code, target, cache=False):
    T = Tensor

    def one(v):
        if isinstance(v, T):
            return _cast_one(st, v, code, target, cache)
        if isinstance(v, (list, tuple)) and v and isinstance(v[0], T):
            return type(v)(_cast_one(st, x, code, target, cache) if isinstance(x, T) else x for x in v)
        return v

    return tuple(one(v) for v in args), {k: one(v) for k, v in kwargs.items()}


def _lower(st, dev, code, op, args, kwargs):
    return _cast_all(st, args, kwargs, code, st.dtype[dev], cache=True)


def _fp32(st, dev, code, op, args, kwargs):
    return _cast_all(st, args, kwargs, code, float32)


# Position of the dtype argument where an op takes it positionally (_softmax_impl).
_DTYPE_POS = {"softmax": 2, "log_softmax": 2, "softmin": 2}


def _fp32_opt_dtype(st, dev, code, op, args, kwargs):
    """torch's fp32_set_opt_dtype: float32 unless the call names a dtype."""
    pos = _DTYPE_POS.get(op)
    if kwargs.get("dtype") is not None or (pos is not None and len(args) > pos and args[pos] is not None):
        return args, kwargs
    first = args[0] if args else None
    if isinstance(first, Tensor) and _eligible(first, code):
        return (_cast_one(st, first, code, float32, False),) + tuple(args[1:]), kwargs
    return args, kwargs


def _promote(st, dev, code, op, args, kwargs):
    """torch's promote: the widest floating dtype among the inputs (at least the autocast dtype)."""
    T = Tensor
    widest = st.dtype[dev]._c
    for v in list(args) + list(kwargs.values()):
        for t in (v if isinstance(v, (list, tuple)) else (v,)):
            if isinstance(t, T) and t._a.device_type == code and t._a.dtype in _FLOATS_C:
                widest = _C.promote_types(widest, t._a.dtype)
    # A float64 target casts every other floating input up too (torch's promote does).
    return _cast_all(st, args, kwargs, code, FROM_C[widest])


def _fp32_area_3d(st, dev, code, op, args, kwargs):
    """CPU interpolate(mode='area') of a 5-D input: torch runs adaptive_avg_pool3d (CPU float32
    list); 3-D and 4-D inputs run adaptive_avg_pool1d/2d (not listed) in their own dtype."""
    first = args[0] if args else kwargs.get("input")
    if isinstance(first, Tensor) and first._a.ndim == 5:
        return _fp32(st, dev, code, op, args, kwargs)
    return args, kwargs


def _banned(st, dev, code, op, args, kwargs):
    raise RuntimeError(
        f"[{op}] ember.nn.functional.binary_cross_entropy and ember.nn.BCELoss are unsafe to autocast.\n"
        "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
        "In this case, combine the two layers using ember.nn.functional.binary_cross_entropy_with_logits\n"
        "or ember.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
        "safe to autocast.")


_FLOATS_C = frozenset([_D.float16, _D.bfloat16, _D.float32, _D.float64])

# Op lists, by the names ember's functions pass to _run (torch's names). Ops that ember
# composes from others (mm/bmm/mv/dot through matmul, softmin through softmax...) are
# listed under their own name, so their inner calls do not re-cast.
_CPU_LOWER = (
    "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d bmm mm matmul baddbmm addmm addbmm "
    "linear prelu scaled_dot_product_attention linalg_vecdot"
)
_CPU_FP32 = (
    "mse_loss l1_loss smooth_l1_loss huber_loss cross_entropy nll_loss binary_cross_entropy "
    "binary_cross_entropy_with_logits kl_div poisson_nll_loss cosine_embedding_loss margin_ranking_loss "
    "hinge_embedding_loss soft_margin_loss triplet_margin_loss multi_margin_loss multilabel_margin_loss ctc_loss "
    "cdist trace quantile nanquantile prod grid_sample max_unpool1d max_unpool2d pad_reflect pad_replicate "
    "avg_pool3d max_pool3d adaptive_avg_pool3d adaptive_max_pool3d"
)
_CUDA_LOWER = (
    "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d prelu addmm addmv addr matmul einsum "
    "mm mv linalg_vecdot linear addbmm baddbmm bmm chain_matmul linalg_multi_dot lstm_cell gru_cell rnn_tanh_cell "
    "rnn_relu_cell scaled_dot_product_attention"
)
_CUDA_FP32 = (
    "acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan pow softplus layer_norm "
    "rms_norm group_norm norm cosine_similarity poisson_nll_loss cosine_embedding_loss nll_loss cross_entropy "
    "hinge_embedding_loss kl_div l1_loss smooth_l1_loss huber_loss mse_loss margin_ranking_loss "
    "multilabel_margin_loss soft_margin_loss triplet_margin_loss multi_margin_loss binary_cross_entropy_with_logits "
    "dist pdist cdist renorm logsumexp interpolate"
)
_CUDA_FP32_OPT = "prod softmax log_softmax softmin cumprod cumsum vector_norm matrix_norm sum"
_CUDA_PROMOTE = "addcdiv addcmul atan2 bilinear cross dot vdot grid_sample index_put tensordot scatter_add"


def _table(*groups):
    t = {}
    for names, rule in groups:
        for n in names.split():
            t[n] = rule
    return t


_RULES = {
    "cpu": _table((_CPU_LOWER, _lower), (_CPU_FP32, _fp32), ("interpolate_area", _fp32_area_3d)),
    "cuda": _table((_CUDA_LOWER, _lower), (_CUDA_FP32, _fp32), (_CUDA_FP32_OPT, _fp32_opt_dtype),
                   (_CUDA_PROMOTE, _promote), ("binary_cross_entropy", _banned)),
}
_DEV_CODE = {"cpu": 0, "cuda": 1}


def _first_device(args, kwargs):
    T = Tensor
    for v in args:
        if isinstance(v, T):
            return v._a.device_type
        if isinstance(v, (list, tuple)) and v and isinstance(v[0], T):
            return v[0]._a.device_type
    for v in kwargs.values():
        if isinstance(v, T):
            return v._a.device_type
    return None


def _run(op, fn, *args, **kwargs):
    """Calls fn(*args, **kwargs) with its arguments cast by op's autocast rule and with
    autocast suppressed inside (only called when _tls.on)."""
    global Tensor
    if Tensor is None:
        Tensor = _tensor_cls()
    st = _tls
    code = _first_device(args, kwargs)
    if code is not None:
        dev = _DEV_NAME.get(code)
        if dev is not None and st.enabled[dev]:
            rule = _RULES[dev].get(op)
            if rule is not None:
                args, kwargs = rule(st, dev, code, op, args, kwargs)
    st.in_op = True
    st.on = False
    try:
        return fn(*args, **kwargs)
    finally:
        st.in_op = False
        _refresh(st)


# ---------------------------------------------------------------------- recurrent layers
# torch lists no lstm/gru/rnn op for CPU autocast: its CPU layers and cells are
# composites whose projections (at::linear, and oneDNN's mkldnn_rnn_layer that runs a
# padded LSTM without projection on a float32/bfloat16 input, or on float16 without
# grad) are in the CPU lower-precision list, while the pointwise steps promote the
# gates against the hidden/cell state. Their output dtypes (checked against torch):
#   RNN (tanh/relu), RNNCell: the autocast dtype;
#   GRU, GRUCell: promote(autocast dtype, h_0's dtype) (h_0 defaults to the input's);
#   LSTMCell: promote(autocast dtype, c_0's dtype), for h and c;
#   LSTM on oneDNN: the autocast dtype; with proj_size: output and h_n in the autocast
#   dtype, c_n promoted; otherwise (packed input, float16 input with grad): promoted.
# ember runs the whole layer on autocast-dtype inputs (its float32 loops rounded back,
# csrc/core/lowp_compute.h) and casts the results to those dtypes.
def _rnn_autocast_dtype(x):
    """The CPU autocast dtype a recurrent layer or cell on x runs in, or None."""
    st = _tls
    if not (_active[0] and st.on):
        return None
    a = x._a
    if _DEV_NAME.get(a.device_type) != "cpu" or not st.enabled["cpu"] or a.dtype not in _ELIGIBLE:
        return None
    return st.dtype["cpu"]


def _rnn_out_dtypes(kind, ac, x_dtype, h_dtype, c_dtype, proj=False, packed=False):
    """(output, h, c) dtypes of a recurrent layer under CPU autocast of dtype ac; kind is a
    layer mode ('RNN_TANH', 'RNN_RELU', 'GRU', 'LSTM') or a cell ('RNNCell', 'GRUCell',
    'LSTMCell'); see above."""
    def wide(d):
        return FROM_C[_C.promote_types(ac._c, d._c)]

    if kind in ("RNN_TANH", "RNN_RELU", "RNNCell"):
        return ac, ac, None
    if kind in ("GRU", "GRUCell"):
        return wide(h_dtype), wide(h_dtype), None
    if kind == "LSTMCell":
        return (wide(c_dtype),) * 3
    if proj:
        return ac, ac, wide(c_dtype)
    onednn = not packed and (x_dtype in (float32, bfloat16) or (x_dtype == float16 and not _grad_state[0]))
    return (ac, ac, ac) if onednn else (wide(c_dtype),) * 3


def _rnn_run(ac, fn, x, h0, c0, weights, out_dtypes):
    """fn(x, h0, c0, weights) -> (y, h, c or None) with x, the states and the weights (a
    list of tuples, None entries allowed) cast to ac (parameters through the region's
    cast cache) and autocast suppressed inside; each result cast to out_dtypes."""
    st = _tls
    code = x._a.device_type

    def cast(t, cache=False):
        return None if t is None else _cast_one(st, t, code, ac, cache)

    x, h0, c0 = cast(x), cast(h0), cast(c0)
    weights = [tuple(cast(w, True) for w in ws) for ws in weights]
    st.in_op = True
    st.on = False
    try:
        res = fn(x, h0, c0, weights)
    finally:
        st.in_op = False
        _refresh(st)
    return tuple(None if r is None else r.to(d) for r, d in zip(res, out_dtypes))


def _cast(value, device_type, dtype):
    """torch.amp.autocast_mode._cast: floating (non-float64) tensors of device_type, in containers too."""
    T = _tensor_cls()
    code = _DEV_CODE[device_type]
    if isinstance(value, T):
        return value.to(dtype) if _eligible(value, code) else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable) and not hasattr(value, "__array__"):
        it = (_cast(v, device_type, dtype) for v in value)
        return type(value)(it) if isinstance(value, (list, tuple)) else it
    return value


# ---------------------------------------------------------------------- custom Functions
def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom Function's ``forward`` (torch.amp.custom_fwd): with
    ``cast_inputs``, floating inputs are cast to it and forward runs with autocast off;
    without, forward runs under the current autocast state, which backward then reuses."""
    dev = _device_type(device_type, "custom_fwd")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(dev)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(dev)
            return fwd(*args, **kwargs)
        autocast_context = is_autocast_enabled(dev)
        args[0]._fwd_used_autocast = False
        if autocast_context:
            with autocast(device_type=dev, enabled=False):
                return fwd(*_cast(args, dev, cast_inputs), **_cast(kwargs, dev, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom Function's ``backward``: runs it with forward's autocast state."""
    dev = _device_type(device_type, "custom_bwd")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=dev, enabled=args[0]._fwd_used_autocast, dtype=args[0]._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd

