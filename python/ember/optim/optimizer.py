"""Optimizer: the base class of every optimizer (PyTorch's torch.optim.Optimizer API).

param_groups is a list of dicts, each holding "params" (a list of tensors) and its
hyper-parameters (missing ones filled from ``defaults``). ``state`` maps each parameter
to a dict of its buffers. ``state_dict()`` gives PyTorch's format: parameters are
replaced by their index in the order they appear across the groups, so a checkpoint
loads into an optimizer built the same way, in ember or in PyTorch.
"""
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

from .. import _C
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]

# 0-d state tensors that the native steps read and write on the host (see _cast_state_value)
_HOST_SCALAR_STATE = frozenset({"mu_product", "eta", "mu"})


class _RequiredParameter:
    """Marks a hyper-parameter a group must specify (like torch.optim.optimizer.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(x):
    return type(x).__module__ + "." + type(x).__name__ if not isinstance(x, Tensor) else "ember.Tensor"


class Optimizer:
    """Base class: subclasses define ``step`` and pass their hyper-parameter defaults.

    A fused optimizer instead declares ``_kernel`` (the name of its ``_C`` step),
    ``_state_inits(group)`` and ``_kernel_args(group, state, fresh)``; the inherited
    ``step`` gathers each group's lists and makes the one native call. Keys of
    ``_group_defaults`` are filled into groups of an older pickled state (torch's
    per-class ``__setstate__`` setdefaults), in order.
    """

    _kernel = None
    _group_defaults = {}

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                + _typename(params)
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())
        for group in self.param_groups if self._group_defaults else ():
            for key, value in self._group_defaults.items():
                group.setdefault(key, value)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Adds a group of parameters (a dict with "params" and optional hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in "
                "sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for p in param_group["params"]:
            if isinstance(p, tuple):  # named parameters: (name, tensor)
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause an "
                "error; see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {txt} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------ grads
    def zero_grad(self, set_to_none=True):
        """Clears every parameter's gradient (sets it to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g = g.detach()
                        p.grad = g
                    else:
                        g.requires_grad = False
                    g.zero_()

    # ------------------------------------------------------------ step + hooks
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        if self._kernel is None:
            raise NotImplementedError(f"{type(self).__name__} does not implement step()")
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        """The fused step of one group: gather its lists, then one native call."""
        params, grads, state, fresh, unique = self._gather(group, self._state_inits(group))
        if not params:
            return
        lists, scalars = self._kernel_args(group, state, fresh)
        self._launch(getattr(_C, self._kernel), unique, [params, grads, *lists], *scalars)

    def _state_inits(self, group):
        """{state key: factory f(p)} in torch's order, or None for a stateless step."""
        return None

    def _kernel_args(self, group, state, fresh):
        """(state lists after params and grads, scalar arguments) of the native call."""
        raise NotImplementedError

    def _run_step(self, closure, update):
        """Shared body of subclasses' step: pre hooks, closure under grad, update under
        no_grad, post hooks."""
        for hook in list(self._optimizer_step_pre_hooks.values()):
            r = hook(self, (), {})
            if r is not None:
                raise RuntimeError("optimizer step pre-hooks returning new arguments are not supported by ember")
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                update(group)
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, (), {})
        return loss

    def _gather(self, group, inits):
        """The parameters of ``group`` that have a gradient, as the lists a fused kernel
        takes: (param arrays, grad arrays, {key: arrays of state[key]}, fresh, unique).

        ``inits`` maps each state key, in torch's order, to a factory ``f(p)``; keys
        missing from a parameter's state are created first (that parameter is then
        "fresh"). None: the optimizer keeps no state (SGD without momentum). State
        tensors are made contiguous once, in place in the state. One pass of list
        building, like torch's ``_init_group``: the update itself is one native call
        over all of them. ``unique`` is False when a parameter repeats in the group."""
        params, grads, fresh = [], [], []
        keys = list(inits) if inits else []
        cols = {k: [] for k in keys}
        seen, created = set(), set()
        unique = True
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if id(p) in seen:
                unique = False
            seen.add(id(p))
            params.append(p._a)
            if not g._a.is_contiguous():
                g = g.contiguous()
            grads.append(g._a)
            if not keys:
                fresh.append(False)
                continue
            state = self.state[p]
            # a repeated parameter whose state this pass created is fresh again, as in
            # torch, whose lists are gathered before any update
            new = id(p) in created
            for k in keys:
                t = state.get(k)
                if t is None:
                    t = state[k] = inits[k](p)
                    new = True
                    created.add(id(p))
                elif not t._a.is_contiguous():
                    t = state[k] = t.contiguous()
                cols[k].append(t._a)
            fresh.append(new)
        return params, grads, cols, fresh, unique

    @staticmethod
    def _launch(kernel, unique, lists, *args):
        """kernel(*lists, *args) over all tensors at once; a parameter listed twice in
        one group (torch warns and updates it twice) is updated one entry at a time,
        in order, since one fused call must not write a buffer twice."""
        if unique or not lists or not lists[0]:
            kernel(*lists, *args)
            return
        for i in range(len(lists[0])):
            kernel(*[lst[i:i + 1] if lst else lst for lst in lists], *args)

    @staticmethod
    def _check_fused_args(foreach, fused, differentiable):
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) before each step."""
        from ..nn.modules.module import RemovableHandle

        h = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[h.id] = hook
        return h

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) after each step."""
        from ..nn.modules.module import RemovableHandle

        h = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[h.id] = hook
        return h

    # ------------------------------------------------------------ state_dict
    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]} (PyTorch's format).

        The state tensors are the optimizer's own (not copies), as in PyTorch.
        """
        mapping = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": param_groups}

    @staticmethod
    def _cast_state_value(param, value, key):
        # Floating buffers follow the parameter's dtype and device; "step" stays as saved.
        # The 0-d scalar states the fused steps read on the host (NAdam's mu_product,
        # ASGD's eta and mu) take the dtype but stay on the CPU, like "step".
        if key == "step":
            return value
        if param.is_floating_point():
            if key in _HOST_SCALAR_STATE and value.dim() == 0:
                return value.to(dtype=param.dtype)
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict):
        """Loads a state_dict() (ember's or PyTorch's converted to ember tensors)."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("[load_state_dict] expected a dict with 'state' and 'param_groups' keys")
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                             "group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                return self._cast_state_value(param, value, key)
            if _is_array(value):
                from .._ops.creation import tensor

                return self._cast_state_value(param, tensor(value), key)
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})


def _is_array(x):
    import numpy as np

    return isinstance(x, np.ndarray)
