"""gradcheck: compares autograd's gradients with central finite differences.

Inputs should be float64 tensors. Perturbation goes through NumPy views of the
inputs' memory (test tooling only: the ops under test run ember's kernels); inputs on a
CUDA device are perturbed element by element through a flat view on the device, and
outputs and gradients are copied to the host for the comparison.
"""
import numpy as np


def _host(t):
    """A tensor's values as a NumPy array (copied to the host from a GPU)."""
    t = t.detach()
    return t.numpy() if t.is_cpu else t.cpu().numpy()


class _Perturb:
    """Reads and writes element j of input x in place: through a NumPy view of its memory on
    the CPU, through a flat view (x must be contiguous) on a CUDA device."""

    def __init__(self, x):
        self.x = x
        if x.is_cpu:
            self.xv = x.detach().numpy()  # shares memory with x
            self.idx = list(np.ndindex(*self.xv.shape)) if self.xv.ndim else [()]
        else:
            if not x.is_contiguous():
                raise ValueError("[gradcheck] a CUDA input must be contiguous")
            self.flat = x.detach().view(-1)
            self.host = self.flat.cpu().numpy()
            self.idx = list(range(self.host.size))

    def get(self, j):
        return self.xv[self.idx[j]].copy() if self.x.is_cpu else self.host[j]

    def set(self, j, v):
        if self.x.is_cpu:
            self.xv[self.idx[j]] = v
        else:
            self.flat[j] = float(v)
        self.x._a.bump_version()


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _outputs(fn, inputs):
    out = fn(*inputs)
    return _as_tuple(out)


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, check_undefined_grad=False,
              nondet_tol=0.0, fast_mode=False, **kwargs):
    """True when analytic and numerical Jacobians agree; raises (or returns False) otherwise."""
    from .. import Tensor
    from . import grad as autograd_grad

    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("[gradcheck] at least one input tensor must require grad")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            import warnings

            warnings.warn(f"[gradcheck] input {i} is {inputs[i].dtype}, not float64: the check may be imprecise")

    outs = _outputs(fn, inputs)
    outs = [o for o in outs if isinstance(o, Tensor)]
    for oi, out in enumerate(outs):
        n_out = out.numel()
        # Numerical Jacobian column by column: d out / d x_j.
        num = {i: np.zeros((inputs[i].numel(), n_out)) for i in diff}
        for i in diff:
            pert = _Perturb(inputs[i])
            for j in range(len(pert.idx)):
                orig = pert.get(j)
                # Grad mode stays on: fn may itself differentiate (gradgradcheck).
                pert.set(j, orig + eps)
                # np.array copies: an output that is a view of x would change with it
                fp = np.array(_host(_outputs(fn, inputs)[oi]), dtype=np.float64).ravel()
                pert.set(j, orig - eps)
                fm = np.array(_host(_outputs(fn, inputs)[oi]), dtype=np.float64).ravel()
                pert.set(j, orig)
                num[i][j] = (fp - fm) / (2 * eps)
        # Analytical Jacobian row by row: one backward per output element.
        ana = {i: np.zeros((inputs[i].numel(), n_out)) for i in diff}
        out = _outputs(fn, inputs)[oi]
        if not out.requires_grad:
            for i in diff:
                if np.abs(num[i]).max(initial=0) > atol:
                    return _fail(raise_exception, f"output {oi} does not require grad but depends on input {i}")
            continue
        from .. import from_numpy

        for k in range(n_out):
            go_np = np.zeros(tuple(out.shape), dtype=_host(out).dtype)
            go_np.flat[k] = 1.0
            go = from_numpy(go_np).to(out.device)
            gs = autograd_grad([out], [inputs[i] for i in diff], [go], retain_graph=True, allow_unused=True)
            for i, g in zip(diff, gs):
                if g is not None:
                    ana[i][:, k] = np.asarray(_host(g), dtype=np.float64).ravel()
        for i in diff:
            a, n = ana[i], num[i]
            if not np.allclose(a, n, atol=atol, rtol=rtol, equal_nan=True):
                err = np.abs(a - n).max()
                return _fail(
                    raise_exception,
                    f"Jacobian mismatch for output {oi} with respect to input {i}: max abs error {err:.3e}\n"
                    f"numerical:\n{n}\nanalytical:\n{a}",
                )
    return True


def _fail(raise_exception, msg):
    if raise_exception:
        raise RuntimeError("[gradcheck] " + msg)
    return False


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kw):
    """Checks second derivatives: gradcheck of the function x -> d(fn(x)·v)/dx."""
    from .. import Tensor, randn_like
    from . import grad as autograd_grad

    inputs = _as_tuple(inputs)
    outs = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor)]
    if grad_outputs is None:
        grad_outputs = [randn_like(o).double() if o.dtype.name == "float64" else randn_like(o) for o in outs]
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]

    def first_grad(*xs):
        o = [t for t in _outputs(fn, xs) if isinstance(t, Tensor)]
        dx = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = autograd_grad(o, dx, list(grad_outputs), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
