"""Shared test helpers.

compare_with_torch(fn, *inputs) runs the same function through ember and PyTorch
(tinygrad's helper_test_op idea) and checks the outputs and every input gradient;
fn takes tensors (and, if its first parameter is named ``lib``, the module: ember
or torch). run_in_subprocess runs code in a child process, so a crash on bad input
fails the test instead of killing the test runner.
"""
import inspect
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def to_numpy(x):
    if isinstance(x, ember.Tensor):
        return x.detach().numpy(force=True)
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def compare_with_torch(fn, *inputs, atol=1e-5, rtol=1e-5, grad=True, grad_atol=None, grad_rtol=None, seed=0):
    """Runs fn on ember and torch copies of ``inputs`` (NumPy arrays or shapes) and compares.

    Inputs given as shapes (tuples) become float32 standard normal arrays. Floating inputs
    require grad when ``grad`` is true; the sum of every output times a fixed random
    weight is backpropagated, and each input's gradient is compared.
    """
    if torch is None:
        pytest.skip("PyTorch is not installed")
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(x).astype(np.float32) if isinstance(x, tuple) else np.asarray(x) for x in inputs]
    pass_lib = next(iter(inspect.signature(fn).parameters), None) == "lib"

    def run(lib, make):
        ts = [make(a) for a in arrays]
        out = fn(lib, *ts) if pass_lib else fn(*ts)
        return ts, _flat(out)

    def make_e(a):
        t = ember.tensor(a)
        if grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        return t

    def make_t(a):
        t = torch.tensor(a)
        if grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        return t

    ets, eouts = run(ember, make_e)
    tts, touts = run(torch, make_t)
    assert len(eouts) == len(touts), f"output count {len(eouts)} vs torch {len(touts)}"
    for i, (eo, to) in enumerate(zip(eouts, touts)):
        en, tn = to_numpy(eo), to_numpy(to)
        assert en.shape == tn.shape, f"output {i}: shape {en.shape} vs torch {tn.shape}"
        if isinstance(eo, ember.Tensor):
            assert str(eo.dtype).split(".")[-1] == str(to.dtype).split(".")[-1], (
                f"output {i}: dtype {eo.dtype} vs torch {to.dtype}")
        np.testing.assert_allclose(en, tn, atol=atol, rtol=rtol, equal_nan=True, err_msg=f"output {i}")
    if not grad:
        return eouts
    weights = [rng.standard_normal(to_numpy(t).shape).astype(np.float32) for t in touts]
    e_loss = None
    t_loss = None
    for eo, to, w in zip(eouts, touts, weights):
        if isinstance(eo, ember.Tensor) and eo.requires_grad:
            ew = ember.tensor(w.astype(to_numpy(eo).dtype))
            e_loss = (eo * ew).sum() if e_loss is None else e_loss + (eo * ew).sum()
            tw = torch.tensor(w.astype(to_numpy(to).dtype))
            t_loss = (to * tw).sum() if t_loss is None else t_loss + (to * tw).sum()
    if e_loss is None:
        return eouts
    e_loss.backward()
    t_loss.backward()
    for i, (et, tt) in enumerate(zip(ets, tts)):
        if tt.grad is None:
            assert et.grad is None or np.allclose(to_numpy(et.grad), 0), f"input {i}: ember has a grad, torch none"
            continue
        assert et.grad is not None, f"input {i}: torch has a grad, ember none"
        np.testing.assert_allclose(to_numpy(et.grad), to_numpy(tt.grad), atol=grad_atol or atol * 10,
                                   rtol=grad_rtol or rtol * 10, equal_nan=True, err_msg=f"grad of input {i}")
    return eouts


def run_in_subprocess(code, timeout=120):
    """Runs Python code in a child process; returns CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


def assert_raises_in_child(code, exc_type, *substrings):
    """code must raise exc_type (by name) with each substring in its message, in a child process.

    A crash (signal, abort) fails with the child's stderr.
    """
    wrapped = (
        "import ember, numpy as np\n"
        "try:\n" + textwrap.indent(textwrap.dedent(code), "    ") + "\n"
        "except Exception as e:\n"
        "    print('EXC', type(e).__name__)\n"
        "    print('MSG', str(e))\n"
        "else:\n"
        "    print('NOEXC')\n"
    )
    r = run_in_subprocess(wrapped)
    assert r.returncode == 0, f"child crashed (rc={r.returncode}):\n{r.stderr[-2000:]}"
    out = r.stdout
    assert "NOEXC" not in out, f"no exception raised by:\n{code}"
    assert f"EXC {exc_type}" in out, f"expected {exc_type}, got:\n{out}"
    for s in substrings:
        assert s in out, f"message lacks {s!r}:\n{out}"
