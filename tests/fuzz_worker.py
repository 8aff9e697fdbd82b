"""Child process of tests/test_fuzz.py: runs fuzz calls through ember and PyTorch.

Protocol: one JSON call per line on stdin, one JSON result per line on the fd given
as argv[1] (stdout is sent to stderr so that prints cannot corrupt the channel). A
crash kills only this process; the parent names the call it was running.

A call is {"fn": NAME, "args": [...], "kwargs": {...}, "cmp": "values"|"shape"|"none",
"out": K (optional)}. NAME is a dotted path looked up on the library ("sum",
"nn.functional.conv2d") or, when it starts with ".", a method of the first argument
(".view"). Values are JSON with these tagged objects:
  {"T": {"shape", "dtype", "vals", "seed", "tf", "base"}}  a tensor (see make_tensor)
  {"dtype": "float32"}   {"slice": [start, stop, step]}   {"tuple": [...]}
  {"ellipsis": 1}        {"none": 1} (None inside an index tuple)
With "out": K the result compared is tensor argument K after the call (in-place ops).

The answer is {"e": [type, message] | null, "t": [type, message] | null,
"mismatch": text | null} for ember (e) and torch (t).
"""
import json
import os
import resource
import sys

import numpy as np

# Bound what a call can allocate so a huge-but-valid size fails with an exception in
# both libraries instead of eating the machine. ASan reserves terabytes of virtual
# memory, so under it the allocator limit (max_allocation_size_mb) does this instead.
_LIMIT = int(os.environ.get("EMBER_FUZZ_MEM_MB", "1536")) << 20
if "libasan" not in os.environ.get("LD_PRELOAD", ""):
    def _vm_size():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) << 10
        return 0

import torch  # noqa: E402

import ember  # noqa: E402

torch.set_num_threads(1)
if "libasan" not in os.environ.get("LD_PRELOAD", ""):
    _as = _vm_size() + _LIMIT
    resource.setrlimit(resource.RLIMIT_AS, (_as, _as))

_CMP_LIMIT = 1 << 20  # values are compared only for outputs up to this many elements


def make_array(spec):
    shape = tuple(spec["shape"])
    dtype = spec.get("dtype", "float32")
    rng = np.random.default_rng(spec.get("seed", 0))
    vals = spec.get("vals", "normal")
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "bool":
        a = rng.integers(0, 2, size=shape).astype(bool)
    elif vals == "perm":  # distinct values: no ties for argmax, sort, topk...
        a = (rng.permutation(n) - n // 3).reshape(shape).astype(dtype)
    elif isinstance(vals, list):  # integers in [lo, hi)
        a = rng.integers(vals[0], vals[1], size=shape).astype(dtype)
    elif vals == "positive":
        a = rng.uniform(0.05, 1.0, size=shape).astype(dtype)
    elif vals == "prob":
        a = rng.uniform(0.02, 0.98, size=shape).astype(dtype)
    elif dtype.startswith("int") or dtype == "uint8":
        a = rng.integers(-5, 6, size=shape).astype(dtype)
    else:
        a = rng.standard_normal(shape).astype(dtype)
    return a


def apply_tf(t, tf):
    """Layout transforms that give a strided view: ["T", d0, d1], ["perm", [...]],
    ["slice", dim, start, stop, step], ["expand", [...]], ["unsqueeze", d], ["select", d, i]."""
    for op in tf:
        kind = op[0]
        if kind == "T":
            t = t.transpose(op[1], op[2])
        elif kind == "perm":
            t = t.permute(*op[1])
        elif kind == "slice":
            idx = [slice(None)] * op[1] + [slice(op[2], op[3], op[4])]
            t = t[tuple(idx)]
        elif kind == "expand":
            t = t.expand(*op[1])
        elif kind == "unsqueeze":
            t = t.unsqueeze(op[1])
        elif kind == "select":
            t = t.select(op[1], op[2])
        else:
            raise AssertionError(f"unknown transform {op}")
    return t


class Builder:
    def __init__(self, lib):
        self.lib = lib
        self.tensors = []
        self.leaves = []

    def tensor(self, spec):
        if "base" in spec:  # a view of an earlier tensor argument (overlapping writes)
            t = self.tensors[spec["base"]]
        else:
            a = make_array(spec)
            t = self.lib.tensor(a) if a.ndim else self.lib.tensor(a[()], dtype=getattr(self.lib, str(a.dtype)))
            if spec.get("grad"):
                t.requires_grad_(True)
                self.leaves.append(t)
        t = apply_tf(t, spec.get("tf", []))
        self.tensors.append(t)
        return t

    def value(self, v):
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            if "T" in v:
                return self.tensor(v["T"])
            if "dtype" in v:
                return getattr(self.lib, v["dtype"])
            if "slice" in v:
                return slice(*v["slice"])
            if "tuple" in v:
                return tuple(self.value(x) for x in v["tuple"])
            if "ellipsis" in v:
                return Ellipsis
            if "none" in v:
                return None
            return {k: self.value(x) for k, x in v.items()}
        return v


def resolve(lib, name, args):
    if name.startswith("."):
        return getattr(args[0], name[1:]), args[1:]
    obj = lib
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj, args


def run(lib, call):
    b = Builder(lib)
    args = b.value(call.get("args", []))
    kwargs = b.value(call.get("kwargs", {}))
    if "self" in call:  # a method of argument k; the arguments before k only build tensors
        args = args[call["self"]:]
    fn, args = resolve(lib, call["fn"], args)
    out = fn(*args, **kwargs)
    if "out" in call:
        out = b.tensors[call["out"]]
    if call.get("backward") and b.leaves:  # gradients flow: compare the leaves' grads too
        outs = [o for o in flatten(out) if isinstance(o, (ember.Tensor, torch.Tensor)) and o.requires_grad]
        if outs:
            loss = outs[0].sum()
            for o in outs[1:]:
                loss = loss + o.sum()
            loss.backward()
            out = (out, [leaf.grad for leaf in b.leaves])
    return out


def flatten(x):
    if isinstance(x, (tuple, list)):
        res = []
        for o in x:
            res.extend(flatten(o))
        return res
    return [x]


def describe(x):
    """Comparable form: tensors -> (shape, dtype, array or None)."""
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        shape = tuple(int(s) for s in x.shape)
        dtype = str(x.dtype).split(".")[-1]
        arr = None
        if x.numel() <= _CMP_LIMIT and all(s < 2**31 for s in shape):  # NumPy refuses (0, 2**62)
            arr = x.detach().numpy() if isinstance(x, torch.Tensor) else x.detach().numpy()
        return ("tensor", shape, dtype, arr)
    if isinstance(x, (torch.Size, ember.Size)):
        return ("size", tuple(int(s) for s in x))
    if isinstance(x, (bool, int, float)) or x is None:
        return ("scalar", x)
    return ("other", type(x).__name__)


def compare(e, t, mode):
    ef, tf = flatten(e), flatten(t)
    if len(ef) != len(tf):
        return f"ember returned {len(ef)} outputs, torch {len(tf)}"
    for i, (a, b) in enumerate(zip(ef, tf)):
        da, db = describe(a), describe(b)
        if da[0] != db[0]:
            return f"output {i}: ember {da[0]} vs torch {db[0]}"
        if da[0] == "tensor":
            if da[1] != db[1]:
                return f"output {i}: shape {da[1]} vs torch {db[1]}"
            if da[2] != db[2]:
                return f"output {i}: dtype {da[2]} vs torch {db[2]}"
            if mode == "values" and da[3] is not None:
                x, y = da[3], db[3]
                rtol, atol = 2e-4, 2e-5
                if x.dtype == np.float16 or y.dtype == np.float16:  # half: ~3 decimal digits
                    x, y = x.astype(np.float32), y.astype(np.float32)
                    rtol, atol = 1e-2, 1e-3
                if x.dtype.kind in "fc":
                    ok = np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
                else:
                    ok = np.array_equal(x, y)
                if not ok:
                    bad = np.argwhere(~np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)) if x.dtype.kind in "fc" \
                        else np.argwhere(x != y)
                    j = tuple(bad[0]) if len(bad) else ()
                    return f"output {i}: values differ at {j}: ember {x[j] if j else x} vs torch {y[j] if j else y}"
        elif mode == "values" and da != db:
            if da[0] == "scalar" and isinstance(da[1], float) and isinstance(db[1], float) \
                    and np.isclose(da[1], db[1], rtol=2e-4, atol=2e-5, equal_nan=True):
                continue
            return f"output {i}: ember {da[1:]} vs torch {db[1:]}"
    return None


def one(call):
    res = {"e": None, "t": None, "mismatch": None}
    # Which library is running goes to stderr first, so that a crash report names it.
    sys.stderr.write("@@running torch\n")
    sys.stderr.flush()
    try:
        tout = run(torch, call)
    except Exception as ex:  # noqa: BLE001  (any torch error means torch rejects the call)
        res["t"] = [type(ex).__name__, str(ex)[:300]]
        tout = None
    sys.stderr.write("@@running ember\n")
    sys.stderr.flush()
    try:
        eout = run(ember, call)
    except Exception as ex:  # noqa: BLE001  (the parent judges the type)
        res["e"] = [type(ex).__name__, str(ex)[:300]]
        res["e_allowed"] = isinstance(ex, (ValueError, TypeError, IndexError, RuntimeError))
        eout = None
    if res["e"] is None and res["t"] is None and call.get("cmp", "values") != "none":
        try:
            res["mismatch"] = compare(eout, tout, call.get("cmp", "values"))
        except Exception as ex:  # noqa: BLE001  (e.g. .numpy() of a broken result)
            res["mismatch"] = f"comparing raised {type(ex).__name__}: {ex}"
    return res


def main():
    chan = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    sys.stdout = sys.stderr
    chan.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        call = json.loads(line)
        chan.write(json.dumps(one(call), default=str) + "\n")


if __name__ == "__main__":
    main()
