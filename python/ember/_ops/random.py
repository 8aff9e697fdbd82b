"""Random sampling: the Philox generator (manual_seed, Generator, rng state) and
the samplers (rand, randn, randint, randperm, bernoulli, multinomial, normal and
the in-place Tensor fills uniform_, normal_, bernoulli_, random_, exponential_...).

All sampling runs in ember's C++ kernels (csrc/ops/random). One counter-based
generator serves every device, so after ``manual_seed(s)`` the same call draws the
same numbers on the CPU and on CUDA, whatever the thread count. Like PyTorch, the
default generator is seeded from a non-deterministic source at import.
"""
import numbers

import numpy as np

from .. import _C
from .._device import as_device, from_array
from .._dtype import FROM_C, as_dtype, get_default_dtype, int64
from ..autograd.grad_mode import _state
from ..tensor import Tensor, _wrap, register_methods
from .creation import _check_alloc, _finish, _size_args

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "bernoulli",
    "multinomial", "normal",
]

_U64 = (1 << 64) - 1


def _seed_value(seed, op):
    """PyTorch's seed rule: an int in [-2^63, 2^64); negatives map to 2^64 - 1 + seed."""
    if isinstance(seed, Tensor):
        seed = seed.item()
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(f"[{op}] expected an int seed, got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError(f"[{op}] seed must be within [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff], got {seed}")
    return _U64 + seed if seed < 0 else seed


class Generator:
    """A Philox generator state (seed, offset): pass it as ``generator=`` to any sampler.

    ``device`` is recorded for PyTorch compatibility; the same stream serves every device.
    """

    def __init__(self, device="cpu", *, _c=None):
        from .._device import device as _device_cls

        self.device = _device_cls(device) if not isinstance(device, _device_cls) else device
        self._g = _c if _c is not None else _C.Generator()

    def manual_seed(self, seed):
        self._g.manual_seed(_seed_value(seed, "manual_seed"))
        return self

    def seed(self):
        return self._g.seed()

    def initial_seed(self):
        return self._g.initial_seed()

    def get_state(self):
        return _wrap(self._g.get_state())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor):
            raise TypeError(f"[set_state] expected a uint8 Tensor, got {type(new_state).__name__}")
        self._g.set_state(new_state._a)
        return self

    def clone_state(self):
        return self.get_state()

    def __repr__(self):
        return f"<ember.Generator object at {hex(id(self))}>"


default_generator = Generator(_c=_C.default_generator())


def _gen(generator, op):
    if generator is None:
        return None
    if isinstance(generator, Generator):
        return generator._g
    raise TypeError(f"[{op}] generator must be an ember.Generator, got {type(generator).__name__}")


def manual_seed(seed):
    """Seeds the default generator (every device): the following draws are reproducible."""
    default_generator.manual_seed(seed)
    return default_generator


def seed():
    """Reseeds the default generator from a non-deterministic source; returns the seed."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor (restore with set_rng_state)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


# ---------------------------------------------------------------- creation


def _new(op, size, dtype, device, default_dtype=None):
    d = as_dtype(dtype, op) if dtype is not None else (default_dtype or get_default_dtype())
    dt, di = as_device(device)
    _check_alloc(size, d, op)
    return _wrap(_C.empty(size, d._c, dt, di))


def _pop_common(op, kwargs):
    kwargs.pop("layout", None)
    kwargs.pop("pin_memory", None)
    kwargs.pop("memory_format", None)
    out = kwargs.pop("out", None)
    if kwargs:
        raise TypeError(f"[{op}] unexpected keyword arguments {sorted(kwargs)}")
    return out


def _finish_out(t, out, requires_grad):
    if out is not None:
        out._a = t._a
        return out
    return _finish(t, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """Uniform samples in [0, 1)."""
    shape = _size_args(size, "rand", kwargs.pop("size", None))
    out = _pop_common("rand", kwargs)
    t = _new("rand", shape, dtype, device)
    _C.uniform_(t._a, 0.0, 1.0, _gen(generator, "rand"))
    return _finish_out(t, out, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """Standard normal samples."""
    shape = _size_args(size, "randn", kwargs.pop("size", None))
    out = _pop_common("randn", kwargs)
    t = _new("randn", shape, dtype, device)
    _C.normal_(t._a, 0.0, 1.0, _gen(generator, "randn"))
    return _finish_out(t, out, requires_grad)


def _int_arg(v, op, what):
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)):
        if isinstance(v, float) and v.is_integer():
            return int(v)
        raise TypeError(f"[{op}] {what} must be an int, got {type(v).__name__}")
    return int(v)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """randint(high, size) or randint(low, high, size): integers in [low, high) (int64 by default)."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if "low" in kwargs:
        args.insert(0, kwargs.pop("low"))
    if "high" in kwargs:
        args.append(kwargs.pop("high"))
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("[randint] expected randint(high, size) or randint(low, high, size)")
    if size is None:
        raise TypeError("[randint] missing the size argument")
    low, high = _int_arg(low, "randint", "low"), _int_arg(high, "randint", "high")
    out = _pop_common("randint", kwargs)
    t = _new("randint", _size_args((size,), "randint"), dtype, device, int64)
    _C.random_(t._a, low, high, _gen(generator, "randint"), "randint")
    return _finish_out(t, out, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """A random permutation of 0..n-1 (int64 by default)."""
    n = _int_arg(n, "randperm", "n")
    out = _pop_common("randperm", kwargs)
    d = as_dtype(dtype, "randperm") if dtype is not None else int64
    dt, di = as_device(device)
    t = _wrap(_C.randperm(n, d._c, dt, di, _gen(generator, "randperm")))
    return _finish_out(t, out, requires_grad)


def _like(op, input, dtype, device):
    if not isinstance(input, Tensor):
        raise TypeError(f"[{op}] expected a Tensor, got {type(input).__name__}")
    return _new(op, list(input._a.shape), dtype if dtype is not None else input.dtype,
                device if device is not None else from_array(input._a))


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, generator=None):
    t = _like("rand_like", input, dtype, device)
    _C.uniform_(t._a, 0.0, 1.0, _gen(generator, "rand_like"))
    return _finish(t, requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, generator=None):
    t = _like("randn_like", input, dtype, device)
    _C.normal_(t._a, 0.0, 1.0, _gen(generator, "randn_like"))
    return _finish(t, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None,
                 generator=None):
    """randint_like(input, high) or randint_like(input, low, high)."""
    if high is None:
        low, high = 0, low
    t = _like("randint_like", input, dtype, device)
    _C.random_(t._a, _int_arg(low, "randint_like", "low"), _int_arg(high, "randint_like", "high"),
               _gen(generator, "randint_like"), "randint_like")
    return _finish(t, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples: with probabilities ``input`` (a tensor in [0, 1]), or with a scalar ``p``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"[bernoulli] expected a Tensor, got {type(input).__name__}")
    g = _gen(generator, "bernoulli")
    if p is None:
        t = _wrap(_C.bernoulli(input._a, g))
    else:
        t = _like("bernoulli", input, None, None)
        _fill_bernoulli(t, p, g, "bernoulli")
    return _finish_out(t, out, False)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Category indices drawn from the rows of ``input`` (non-negative weights), int64."""
    if not isinstance(input, Tensor):
        raise TypeError(f"[multinomial] expected a Tensor, got {type(input).__name__}")
    n = _int_arg(num_samples, "multinomial", "num_samples")
    t = _wrap(_C.multinomial(input._a, n, bool(replacement), _gen(generator, "multinomial")))
    return _finish_out(t, out, False)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None, requires_grad=False,
           **kwargs):
    """normal(mean, std) with tensor or float mean/std (broadcast), or normal(mean, std, size) with floats.

    As in PyTorch, the result carries no gradient to mean and std.
    """
    _pop_common("normal", kwargs)
    g = _gen(generator, "normal")
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("[normal] normal(float mean, float std) needs a size")
        shape = _size_args((size,), "normal")
        t = _new("normal", shape, dtype, device)
        _C.normal_(t._a, float(mean), float(std), g)
        return _finish_out(t, out, requires_grad)
    if st and std.numel() and bool((std.detach() < 0).any()):
        raise ValueError("[normal] expects all elements of std >= 0.0")
    if not st and std < 0:
        raise ValueError(f"[normal] expects std >= 0.0, but found std={std}")
    ref = mean if mt else std
    if not ref.is_floating_point():
        raise TypeError(f"[normal] expected floating point mean/std, got {ref.dtype}")
    m = mean.detach() if mt else mean
    s = std.detach() if st else std
    if mt and st:
        shape = _C.broadcast_shapes(mean._a.shape, std._a.shape)
        d = FROM_C[_C.promote_types(mean._a.dtype, std._a.dtype)]
    else:
        shape, d = ref._a.shape, ref.dtype
    z = _wrap(_C.empty(list(shape), d._c, ref._a.device_type, ref._a.device_index))
    _C.normal_(z._a, 0.0, 1.0, g)
    t = (z * s + m).detach()
    return _finish_out(t, out, requires_grad)


# ---------------------------------------------------------------- in-place Tensor methods


def _check_inplace(self, op):
    if self.requires_grad and _state[0]:
        if self.grad_fn is None:
            raise RuntimeError(f"[{op}] a leaf Variable that requires grad is being used in an in-place operation.")
        # The sample no longer depends on the graph that produced the tensor.
        self.grad_fn = None
        self.requires_grad = False


def _fill_bernoulli(t, p, g, op):
    if isinstance(p, Tensor):
        _C.bernoulli_tensor_(t._a, p._a, g)
    else:
        if not isinstance(p, numbers.Real):
            raise TypeError(f"[{op}] p must be a float or a Tensor, got {type(p).__name__}")
        _C.bernoulli_(t._a, float(p), g)


def _uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    _pop_common("uniform_", kwargs)
    _check_inplace(self, "uniform_")
    _C.uniform_(self._a, float(from_), float(to), _gen(generator, "uniform_"))
    return self


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    _check_inplace(self, "normal_")
    _C.normal_(self._a, float(mean), float(std), _gen(generator, "normal_"))
    return self


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _check_inplace(self, "log_normal_")
    _C.log_normal_(self._a, float(mean), float(std), _gen(generator, "log_normal_"))
    return self


def _exponential_(self, lambd=1.0, *, generator=None):
    _check_inplace(self, "exponential_")
    _C.exponential_(self._a, float(lambd), _gen(generator, "exponential_"))
    return self


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    _check_inplace(self, "cauchy_")
    _C.cauchy_(self._a, float(median), float(sigma), _gen(generator, "cauchy_"))
    return self


def _geometric_(self, p, *, generator=None):
    _check_inplace(self, "geometric_")
    _C.geometric_(self._a, float(p), _gen(generator, "geometric_"))
    return self


def _bernoulli_(self, p=0.5, *, generator=None):
    _check_inplace(self, "bernoulli_")
    _fill_bernoulli(self, p, _gen(generator, "bernoulli_"), "bernoulli_")
    return self


def _random_(self, *args, generator=None, **kwargs):
    """random_() / random_(to) / random_(from, to): integers in [from, to)."""
    if "from" in kwargs:
        args = (kwargs.pop("from"),) + args
    if "to" in kwargs:
        args = args + (kwargs.pop("to"),)
    if kwargs:
        raise TypeError(f"[random_] unexpected keyword arguments {sorted(kwargs)}")
    _check_inplace(self, "random_")
    g = _gen(generator, "random_")
    if len(args) == 0:
        _C.random_(self._a, None, None, g)
    elif len(args) == 1:
        _C.random_(self._a, 0, _int_arg(args[0], "random_", "to"), g)
    elif len(args) == 2:
        to = None if args[1] is None else _int_arg(args[1], "random_", "to")
        _C.random_(self._a, _int_arg(args[0], "random_", "from"), to, g)
    else:
        raise TypeError("[random_] expected random_(), random_(to) or random_(from, to)")
    return self


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


register_methods({
    "uniform_": _uniform_,
    "normal_": _normal_,
    "log_normal_": _log_normal_,
    "exponential_": _exponential_,
    "cauchy_": _cauchy_,
    "geometric_": _geometric_,
    "bernoulli_": _bernoulli_,
    "random_": _random_,
    "bernoulli": _bernoulli_method,
    "multinomial": _multinomial_method,
})
