"""Shared helpers of the CUDA op tests: run one function on CPU tensors and on CUDA
tensors, compare results and input gradients (and against torch CUDA when present).

EMBER_CUDA_TEST_DEVICE=cpu runs the CUDA test modules on the CPU (both sides CPU):
a dry run that checks the tests themselves on a machine without a GPU."""
import os

import numpy as np
import pytest

import ember

DEV = os.environ.get("EMBER_CUDA_TEST_DEVICE", "cuda")
DRY_RUN = DEV == "cpu"


def skip_without_gpu():
    if DRY_RUN:
        return
    if not ember.cuda.is_available():
        from ember import _C

        pytest.skip(f"no CUDA GPU: {_C.cuda.unavailable_reason()}", allow_module_level=True)


def host(t):
    """NumPy copy of a tensor on any device (16-bit floats widened to float32)."""
    t = t.detach().cpu()
    if t.dtype in (ember.bfloat16, ember.float16):
        t = t.float()
    return t.numpy()


def tol(dtype):
    return {ember.float16: (2e-3, 2e-3), ember.bfloat16: (1.6e-2, 1.6e-2), ember.float32: (1e-5, 1e-5),
            ember.float64: (1e-12, 1e-12)}.get(dtype, (0, 0))


def rng(seed=0):
    return np.random.default_rng(seed)


def make(arr, dtype=None, grad=False, device="cpu"):
    t = ember.tensor(arr) if dtype is None else ember.tensor(arr).to(dtype)
    t = t.to(device)
    if grad:
        t.requires_grad_(True)
    return t


def _flat(out):
    if isinstance(out, (tuple, list)):
        r = []
        for o in out:
            r.extend(_flat(o))
        return r
    return [out]


def compare(fn, inputs, grad_inputs=(), rtol=None, atol=None, exact_float=False, check_torch=None):
    """inputs: list of (numpy array, dtype or None). grad_inputs: indices of the inputs that
    require grad. fn(*tensors) -> tensor or tuple. Compares CUDA with CPU (values, dtypes,
    shapes; then the gradients of sum(out * w) for the float outputs)."""
    res = {}
    for dev in ("cpu", DEV):
        ts = [make(a, dt, i in grad_inputs, dev) for i, (a, dt) in enumerate(inputs)]
        out = fn(*ts)
        outs = _flat(out)
        grads = None
        if grad_inputs:
            loss = None
            for k, o in enumerate(outs):
                if not o.dtype.is_floating_point or not o.requires_grad:
                    continue
                w = ember.tensor(rng(100 + k).uniform(-1, 1, size=tuple(o.shape))).to(o.dtype).to(dev)
                term = (o * w).sum()
                loss = term if loss is None else loss + term
            loss.backward()
            grads = [ts[i].grad for i in grad_inputs]
        res[dev] = (outs, grads)
    (c_outs, c_grads), (g_outs, g_grads) = res["cpu"], res[DEV]
    assert len(c_outs) == len(g_outs)
    for c, g in zip(c_outs, g_outs):
        assert g.device.type == ("cpu" if DRY_RUN else "cuda")
        assert c.dtype == g.dtype and tuple(c.shape) == tuple(g.shape), (c.dtype, g.dtype, c.shape, g.shape)
        r, a = tol(c.dtype)
        if exact_float:
            r = a = 0
        np.testing.assert_allclose(host(g), host(c), rtol=r if rtol is None else rtol,
                                   atol=a if atol is None else atol, equal_nan=True)
    if c_grads is not None:
        for c, g in zip(c_grads, g_grads):
            assert (c is None) == (g is None)
            if c is None:
                continue
            r, a = tol(c.dtype)
            np.testing.assert_allclose(host(g), host(c), rtol=max(r, 1e-5) if rtol is None else rtol,
                                       atol=max(a, 1e-5) if atol is None else atol, equal_nan=True)
    if check_torch is not None:
        torch_compare(check_torch, inputs, g_outs)
    return g_outs


def torch_cuda():
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


_TORCH_DT = {ember.float32: "float32", ember.float64: "float64", ember.float16: "float16",
             ember.bfloat16: "bfloat16", ember.int64: "int64", ember.int32: "int32", ember.uint8: "uint8",
             ember.bool: "bool"}


def torch_compare(tfn, inputs, ember_outs):
    """tfn(*torch_cuda_tensors) against ember's CUDA outputs, when torch has CUDA."""
    torch = torch_cuda()
    if torch is None or DRY_RUN:
        return
    ts = []
    for a, dt in inputs:
        t = torch.as_tensor(np.ascontiguousarray(a)).cuda()
        if dt is not None:
            t = t.to(getattr(torch, _TORCH_DT[dt]))
        ts.append(t)
    try:
        outs = _flat(tfn(*ts))
    except (RuntimeError, TypeError, ValueError, IndexError, NotImplementedError):
        return  # torch (this version) rejects the call: nothing to compare against
    assert len(outs) == len(ember_outs), (len(outs), len(ember_outs))
    for t, e in zip(outs, ember_outs):
        tv = t.detach().cpu()
        if tv.dtype in (torch.bfloat16, torch.float16):
            tv = tv.float()
        r, a = tol(e.dtype)
        np.testing.assert_allclose(host(e), tv.numpy(), rtol=r, atol=a, equal_nan=True)


def mixed_device_raises(fn, match=None):
    """fn() mixes a CPU and a CUDA tensor: it must raise naming both devices."""
    if DRY_RUN:
        return
    with pytest.raises((RuntimeError, ValueError)) as e:
        fn()
    msg = str(e.value)
    assert "cpu" in msg and "cuda" in msg, msg
    if match:
        assert match in msg, msg
