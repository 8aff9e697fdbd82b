"""Property-based fuzzing of ember's public ops against PyTorch (issue 7, item 5).

Hypothesis draws calls (shapes with 0, 1, 2**31, 2**62 and negative sizes; strided,
transposed, sliced and expanded inputs; dims in and out of range; dtypes; index
values in and out of range) for every op family, and tests/fuzz_harness.py runs each
in a long-lived child process and checks the exception-or-equal property: ember
raises a Python exception with a message where torch raises, or returns torch's
result; never a crash. Known bugs found by it are pinned in test_known_bugs (xfail).

Deterministic (derandomize) and bounded for CI: EXAMPLES (120) times a per-family
factor calls per family, about 1,260 calls in all; the terminal summary line
"ember fuzz: N generated calls, M distinct ops" gives the numbers of a run.
`pytest --fuzz-long` draws 20 times more with a random seed; EMBER_FUZZ_EXAMPLES=N
sets the base count. EMBER_FUZZ_COLLECT=path records every failure in a file instead
of stopping at the first; EMBER_FUZZ_SHRINK=1 lets hypothesis shrink a failure.
"""
import os

import pytest

hypothesis = pytest.importorskip("hypothesis")
pytest.importorskip("torch")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fuzz_harness import Stats, Worker, check  # noqa: E402

EXAMPLES = int(os.environ.get("EMBER_FUZZ_EXAMPLES", "120"))


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.stop()


@pytest.fixture
def run(worker, request):
    stats = Stats(request.node.name)
    yield lambda call: check(worker, stats, call)
    stats.record(request.node)


def fuzz(n=1.0):
    """settings of one family test: n times EXAMPLES calls."""
    long = os.environ.get("EMBER_FUZZ_LONG") == "1"
    phases = [Phase.explicit, Phase.generate]
    if os.environ.get("EMBER_FUZZ_SHRINK") == "1":
        phases.append(Phase.shrink)
    return settings(max_examples=max(1, int(EXAMPLES * n * (20 if long else 1))), derandomize=not long,
                    database=None, deadline=None, phases=phases, print_blob=False,
                    suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------- value strategies
HUGE = [2**31, 2**31 - 1, 2**32 + 1, 2**62, 2**63 - 1, -(2**63), 2**64]
small_size = st.integers(0, 4)
weird_int = st.one_of(st.integers(-3, 6), st.sampled_from(HUGE + [-1, -2]))
size_arg = st.one_of(small_size, small_size, small_size, weird_int)  # mostly sane, sometimes wild
FLOAT_DTYPES = ["float32", "float64"]
ALL_DTYPES = ["float32", "float32", "float64", "int64", "int32", "bool", "uint8", "float16"]


def shapes(min_dims=0, max_dims=4, size=small_size):
    return st.lists(size, min_size=min_dims, max_size=max_dims)


def shape_arg():
    """A size argument as given to zeros/view/expand...: list of sane and wild ints."""
    return st.lists(size_arg, min_size=0, max_size=4)


@st.composite
def tensor(draw, shape=None, dtypes=None, vals=None, min_dims=0, max_dims=4, layout=True, grad=False, expand=True):
    """A tensor spec (see fuzz_worker.make_tensor) and the shape of the tensor it makes.

    With layout, the tensor may be a transposed / permuted / sliced / expanded view.
    """
    dtype = draw(st.sampled_from(dtypes or ALL_DTYPES))
    if shape is None:
        shape = draw(shapes(min_dims, max_dims))
    shape = list(shape)
    base = list(shape)
    tf = []
    if layout and shape and draw(st.integers(0, 2)) == 0:
        kind = draw(st.sampled_from(["T", "perm", "slice", "expand"] if expand else ["T", "perm", "slice"]))
        nd = len(shape)
        if kind == "T" and nd >= 2:
            # transpose a base whose dims are swapped: logical shape is unchanged
            a, b = draw(st.sampled_from([(i, j) for i in range(nd) for j in range(nd) if i < j]))
            base[a], base[b] = base[b], base[a]
            tf.append(["T", a, b])
        elif kind == "perm" and nd >= 2:
            perm = draw(st.permutations(range(nd)))
            base = [0] * nd
            for i, p in enumerate(perm):
                base[p] = shape[i]
            tf.append(["perm", list(perm)])
        elif kind == "slice":
            d = draw(st.integers(0, nd - 1))
            step = draw(st.sampled_from([1, 2, 3]))
            start = draw(st.integers(0, 1))
            base[d] = start + shape[d] * step
            tf.append(["slice", d, start, start + shape[d] * step, step])
        elif kind == "expand":
            d = draw(st.integers(0, nd - 1))
            base[d] = 1
            tf.append(["expand", list(shape)])
    spec = {"shape": base, "dtype": dtype, "seed": draw(st.integers(0, 2**16)), "tf": tf}
    if vals is not None:
        spec["vals"] = vals
    if grad and dtype in FLOAT_DTYPES:
        spec["grad"] = True
    return {"T": spec}, shape


def dim_for(nd):
    """A dim argument: usually in range, sometimes just out of it, rarely wild."""
    lo, hi = -max(nd, 1), max(nd, 1) - 1
    return st.one_of(st.integers(lo, hi), st.integers(lo, hi), st.integers(lo - 2, hi + 2), st.sampled_from(HUGE))


def dtype_arg(choices=None):
    return st.sampled_from(choices or ALL_DTYPES).map(lambda d: {"dtype": d})


# ---------------------------------------------------------------- creation
@st.composite
def creation_call(draw):
    kind = draw(st.sampled_from(["zeros", "ones", "empty", "full", "arange", "linspace", "eye", "randn", "rand",
                                 "randint", "zeros_like", "tril_indices", "one_hot"]))
    dt = {"dtype": draw(dtype_arg())} if draw(st.booleans()) else {}
    if kind in ("zeros", "ones", "empty", "randn", "rand"):
        if kind in ("randn", "rand"):
            dt = {"dtype": draw(dtype_arg(FLOAT_DTYPES + ["int64"]))} if dt else {}
        cmp = "shape" if kind in ("empty", "randn", "rand") else "values"
        return {"fn": kind, "args": draw(shape_arg()), "kwargs": dt, "cmp": cmp}
    if kind == "full":
        return {"fn": "full", "args": [draw(shape_arg()), draw(st.sampled_from([0, 1.5, -2, True]))], "kwargs": dt}
    if kind == "arange":
        num = st.one_of(st.integers(-5, 10), st.sampled_from([0.5, 2.5, -1.5] + HUGE))
        args = draw(st.lists(num, min_size=1, max_size=3))
        return {"fn": "arange", "args": args, "kwargs": dt}
    if kind == "linspace":
        return {"fn": "linspace", "args": [draw(st.integers(-3, 3)), draw(st.integers(-3, 3)), draw(size_arg)],
                "kwargs": {"dtype": draw(dtype_arg(FLOAT_DTYPES))} if dt else {}}
    if kind == "eye":
        args = [draw(size_arg)] + ([draw(size_arg)] if draw(st.booleans()) else [])
        return {"fn": "eye", "args": args, "kwargs": dt}
    if kind == "randint":
        return {"fn": "randint", "args": [draw(st.integers(-3, 3)), draw(st.sampled_from([-1, 0, 1, 5] + HUGE[:3])),
                                          draw(shape_arg())], "cmp": "shape"}
    if kind == "zeros_like":
        t, _ = draw(tensor())
        fn = draw(st.sampled_from(["zeros_like", "ones_like", "full_like"]))
        return {"fn": fn, "args": [t] + ([2.0] if fn == "full_like" else []), "kwargs": dt}
    if kind == "tril_indices":
        return {"fn": draw(st.sampled_from(["tril_indices", "triu_indices"])),
                "args": [draw(size_arg), draw(size_arg), draw(st.integers(-3, 3))]}
    t, _ = draw(tensor(dtypes=["int64", "int64", "int32", "float32"], vals=[-2, 6], layout=True))
    return {"fn": "nn.functional.one_hot", "args": [t, draw(st.one_of(st.integers(-2, 7), st.sampled_from(HUGE)))]}


@fuzz()
@given(call=creation_call())
def test_fuzz_creation(run, call):
    run(call)


# ---------------------------------------------------------------- views
@st.composite
def view_call(draw):
    t, shape = draw(tensor(grad=True))
    nd = len(shape)
    op = draw(st.sampled_from(["view", "reshape", "expand", "permute", "transpose", "narrow", "unfold", "flatten",
                               "squeeze", "unsqueeze", "select", "split", "chunk", "movedim", "unflatten", "repeat",
                               "flip", "roll", "diagonal", "t", "tile", "contiguous", "getitem", "as_strided"]))
    d = dim_for(nd)
    if op in ("view", "reshape", "expand", "repeat", "tile"):
        target = draw(shape_arg())
        if op in ("view", "reshape") and draw(st.booleans()):  # -1 inference with a consistent size
            target = [s if s >= 0 else -1 for s in draw(st.permutations(shape + [-1]))]
        if op == "expand" and draw(st.booleans()):
            target = [draw(st.sampled_from([s, -1, 3, 2**31])) if s == 1 else s for s in shape]
        args = [target]
    elif op == "permute":
        args = [draw(st.one_of(st.permutations(range(nd)), st.lists(d, max_size=nd + 1)))]
    elif op in ("transpose", "movedim"):
        args = [draw(d), draw(d)]
    elif op == "narrow":
        args = [draw(d), draw(st.one_of(st.integers(-4, 4), st.sampled_from(HUGE))), draw(size_arg)]
    elif op == "unfold":
        args = [draw(d), draw(size_arg), draw(st.one_of(st.integers(-1, 3), st.sampled_from(HUGE)))]
    elif op == "flatten":
        args = [draw(d), draw(d)]
    elif op in ("squeeze", "unsqueeze"):
        args = [draw(dim_for(nd + 1))] if op == "unsqueeze" or draw(st.booleans()) else []
    elif op == "select":
        args = [draw(d), draw(st.one_of(st.integers(-5, 5), st.sampled_from(HUGE)))]
    elif op in ("split", "chunk"):
        args = [draw(st.one_of(st.integers(-1, 4), st.sampled_from(HUGE))), draw(d)]
    elif op == "unflatten":
        args = [draw(d), draw(st.lists(st.one_of(st.integers(-1, 4), st.sampled_from(HUGE)), min_size=0, max_size=3))]
    elif op == "flip":
        args = [draw(st.lists(d, max_size=3))]
    elif op == "roll":
        args = [draw(st.lists(st.integers(-5, 5), min_size=1, max_size=2)), draw(st.lists(d, min_size=1, max_size=2))]
    elif op == "diagonal":
        args = [draw(st.integers(-3, 3)), draw(d), draw(d)]
    elif op == "getitem":
        return {"fn": ".__getitem__", "args": [t, draw(index_arg(shape))], "backward": True}
    elif op == "as_strided":  # strides that may reach past the storage: torch checks the bounds
        size = draw(st.lists(st.one_of(st.integers(0, 4), st.sampled_from(HUGE[:4] + [-1])), max_size=3))
        stride = draw(st.lists(st.one_of(st.integers(0, 3), st.sampled_from(HUGE[:4] + [-1])), min_size=len(size),
                               max_size=len(size)))
        args = [size, stride] + ([draw(st.one_of(st.integers(0, 5), st.sampled_from([-1, 2**62])))]
                                 if draw(st.booleans()) else [])
    else:
        args = []
    return {"fn": "." + op, "args": [t] + args, "backward": True}


@fuzz(1.5)
@given(call=view_call())
def test_fuzz_views(run, call):
    run(call)


# ---------------------------------------------------------------- indexing
@st.composite
def index_arg(draw, shape):
    nd = len(shape)
    items = []
    for i in range(draw(st.integers(1, max(1, nd + 1)))):
        n = shape[i] if i < nd else 1
        kind = draw(st.sampled_from(["int", "slice", "slice", "none", "ellipsis", "tensor", "mask"]))
        if kind == "int":
            items.append(draw(st.one_of(st.integers(-n - 1, n), st.sampled_from(HUGE[:4]))))
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-n - 2, n + 2), st.sampled_from(HUGE[:5]))
            items.append({"slice": [draw(bound), draw(bound), draw(st.one_of(st.none(), st.integers(-1, 3)))]})
        elif kind == "none":
            items.append({"none": 1})
        elif kind == "ellipsis":
            items.append({"ellipsis": 1})
        elif kind == "tensor":
            it, _ = draw(tensor(dtypes=["int64", "int32"], vals=[-n - 1, n + 1], max_dims=2, layout=False))
            items.append(it)
        else:
            it, _ = draw(tensor(shape=shape[i:i + 1] if draw(st.booleans()) else [draw(small_size)], dtypes=["bool"],
                                layout=False))
            items.append(it)
    return {"tuple": items}


@st.composite
def index_call(draw):
    op = draw(st.sampled_from(["gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill",
                               "index_copy", "masked_fill", "masked_select", "take", "take_along_dim", "where",
                               "nonzero", "setitem", "getitem"]))
    x, shape = draw(tensor(dtypes=["float32", "float64", "int64"], grad=op in ("gather", "index_select", "getitem")))
    nd = len(shape)
    d = draw(dim_for(nd))
    dim_n = shape[d] if -nd <= d < nd else 3
    idx_vals = [-1, dim_n + 1] if draw(st.integers(0, 3)) == 0 else [0, max(dim_n, 1)]
    if op in ("gather", "scatter", "scatter_add", "take_along_dim"):
        ishape = [draw(st.integers(0, s)) for s in shape] if draw(st.booleans()) else draw(shapes())
        idx, _ = draw(tensor(shape=ishape, dtypes=["int64", "int64", "int32", "float32"], vals=idx_vals))
        if op == "gather":
            return {"fn": "gather", "args": [x, d, idx], "backward": True}
        if op == "take_along_dim":
            return {"fn": "take_along_dim", "args": [x, idx, d]}
        src, _ = draw(tensor(shape=draw(st.sampled_from([ishape, shape])), dtypes=["float32", "float64", "int64"]))
        return {"fn": "." + op, "args": [x, d, idx, src]}
    if op in ("index_select", "index_add", "index_fill", "index_copy"):
        k = draw(st.integers(0, 4))
        idx, _ = draw(tensor(shape=draw(st.sampled_from([[k], [k], [], [1, k]])), dtypes=["int64", "int64", "int32"],
                             vals=idx_vals))
        if op == "index_select":
            return {"fn": "index_select", "args": [x, d, idx], "backward": True}
        if op == "index_fill":
            return {"fn": ".index_fill", "args": [x, d, idx, draw(st.sampled_from([1.5, -2, 0]))]}
        sshape = list(shape)
        if -nd <= d < nd:
            sshape[d] = k
        if draw(st.integers(0, 3)) == 0:
            sshape = draw(shapes())
        src, _ = draw(tensor(shape=sshape, dtypes=["float32", "float64", "int64"]))
        return {"fn": "." + op, "args": [x, d, idx, src]}
    if op in ("masked_fill", "masked_select", "where"):
        mshape = shape if draw(st.booleans()) else draw(shapes())
        m, _ = draw(tensor(shape=mshape, dtypes=["bool", "bool", "uint8", "int64"]))
        if op == "masked_fill":
            return {"fn": ".masked_fill", "args": [x, m, draw(st.sampled_from([0.5, -1, True]))]}
        if op == "masked_select":
            return {"fn": "masked_select", "args": [x, m]}
        y, _ = draw(tensor(shape=draw(st.sampled_from([shape, mshape, []])), dtypes=["float32", "float64", "int64"]))
        return {"fn": "where", "args": [m, x, y]}
    if op == "take":
        idx, _ = draw(tensor(dtypes=["int64"], vals=[-8, 8], max_dims=2))
        return {"fn": "take", "args": [x, idx]}
    if op == "nonzero":
        return {"fn": "nonzero", "args": [x]}
    if op == "getitem":
        return {"fn": ".__getitem__", "args": [x, draw(index_arg(shape))], "backward": True}
    v, _ = draw(tensor(shape=draw(shapes(max_dims=2)), dtypes=["float32", "int64"]))
    val = draw(st.sampled_from([v, 1.5, -3]))
    return {"fn": ".__setitem__", "args": [x, draw(index_arg(shape)), val], "out": 0}


@fuzz(1.5)
@given(call=index_call())
def test_fuzz_indexing(run, call):
    run(call)


# ---------------------------------------------------------------- reductions
@st.composite
def reduce_call(draw):
    op = draw(st.sampled_from(["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std",
                               "cumsum", "cumprod", "logsumexp", "all", "any", "norm", "nansum", "count_nonzero",
                               "sort", "argsort", "topk", "kthvalue", "median"]))
    float_only = op in ("mean", "var", "std", "logsumexp", "norm")
    # ops that return indices see distinct values (ties may break either way)
    indices = op in ("max", "min", "argmax", "argmin", "median", "sort", "argsort", "topk", "kthvalue")
    dtypes = FLOAT_DTYPES if float_only else ["float32", "float64", "int64", "int32"] + ([] if indices else ["bool"])
    x, shape = draw(tensor(dtypes=dtypes, vals="perm" if indices or draw(st.booleans()) else None, grad=True,
                           expand=not indices))
    nd = len(shape)
    d = dim_for(nd)
    kw = {}
    if op in ("sum", "mean", "prod", "amax", "amin", "var", "std", "logsumexp", "all", "any", "norm", "nansum",
              "count_nonzero"):
        dim = draw(st.one_of(st.none(), d, st.lists(d, max_size=3)))
        if dim is not None:
            kw["dim"] = dim
        elif op in ("amax", "amin", "logsumexp"):
            kw["dim"] = []
        if op not in ("count_nonzero",) and draw(st.booleans()):
            kw["keepdim"] = draw(st.booleans())
        if op in ("var", "std") and draw(st.booleans()):
            kw["correction"] = draw(st.integers(-1, 3))
        if op in ("sum", "prod", "mean") and draw(st.integers(0, 3)) == 0:
            kw["dtype"] = draw(dtype_arg(["float64", "float32", "int64"]))
        return {"fn": op, "args": [x], "kwargs": kw, "backward": True}
    if op in ("max", "min", "argmax", "argmin", "median"):
        if draw(st.booleans()):
            kw["dim"] = draw(d)
            kw["keepdim"] = draw(st.booleans())
        return {"fn": op, "args": [x], "kwargs": kw, "backward": True}
    if op in ("cumsum", "cumprod"):
        kw = {"dtype": draw(dtype_arg(["float64", "int64"]))} if draw(st.integers(0, 3)) == 0 else {}
        return {"fn": op, "args": [x, draw(d)], "kwargs": kw, "backward": True}
    if op in ("sort", "argsort"):
        return {"fn": op, "args": [x, draw(d), draw(st.booleans())]}
    if op == "topk":
        return {"fn": "topk", "args": [x, draw(st.one_of(st.integers(-1, 5), st.sampled_from(HUGE))), draw(d)]}
    return {"fn": "kthvalue", "args": [x, draw(st.one_of(st.integers(-1, 5), st.sampled_from(HUGE))), draw(d)]}


@fuzz(1.5)
@given(call=reduce_call())
def test_fuzz_reductions(run, call):
    run(call)


# ---------------------------------------------------------------- elementwise
def broadcast_shape_pair(draw):
    a = draw(shapes())
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return a, list(a)
    if kind == 1:  # broadcastable: drop leading dims and set some to 1
        b = a[draw(st.integers(0, len(a))):]
        return a, [1 if draw(st.booleans()) else s for s in b]
    return a, draw(shapes())  # often not broadcastable


@st.composite
def elementwise_call(draw):
    op = draw(st.sampled_from(["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "lt", "atan2", "fmod",
                               "remainder", "floor_divide", "logical_and", "bitwise_and", "exp", "log", "neg", "abs",
                               "sqrt", "sigmoid", "tanh", "clamp", "add_", "mul_", "copy_", "clamp_", "neg_",
                               "overlap"]))
    a, b = broadcast_shape_pair(draw)
    x, _ = draw(tensor(shape=a, grad=not op.endswith("_")))
    if op in ("exp", "log", "neg", "abs", "sqrt", "sigmoid", "tanh"):
        return {"fn": op, "args": [x], "backward": True}
    if op == "clamp":
        lo = draw(st.one_of(st.none(), st.just(-0.5), st.just(1)))
        hi = draw(st.one_of(st.none(), st.just(0.5)))
        return {"fn": "clamp", "args": [x, lo, hi], "backward": True}
    if op in ("clamp_", "neg_"):
        x["T"]["tf"] = x["T"]["tf"] or [["unsqueeze", 0], ["expand", [2] + list(a)]]
        return {"fn": "." + op, "args": [x] + ([0.0, 0.5] if op == "clamp_" else []), "out": 0}
    if op == "overlap":  # in-place write whose source overlaps the destination
        x, _ = draw(tensor(shape=[draw(st.integers(2, 6))], dtypes=FLOAT_DTYPES + ["int64"], layout=False))
        n = x["T"]["shape"][0]
        k = draw(st.integers(1, n - 1))
        fn = draw(st.sampled_from([".copy_", ".add_", ".mul_"]))
        dst = {"T": {"base": 0, "tf": [["slice", 0, k, n, 1]]}}
        src = {"T": {"base": 0, "tf": [["slice", 0, 0, n - k, 1]]}}
        x["T"]["tf"] = []
        return {"fn": fn, "args": [x, dst, src], "self": 1, "out": 0}
    y, _ = draw(tensor(shape=b, grad=not op.endswith("_")))
    if draw(st.integers(0, 4)) == 0:  # scalar operand
        y = draw(st.sampled_from([2, 0.5, -1, True, 0]))
    if op in ("add_", "mul_", "copy_"):
        return {"fn": "." + op, "args": [x, y], "out": 0}
    return {"fn": op, "args": [x, y], "backward": True}


@fuzz(1.5)
@given(call=elementwise_call())
def test_fuzz_elementwise(run, call):
    run(call)


# ---------------------------------------------------------------- conv / pool / pad / interpolate
def pair_arg(lo=-1, hi=3):
    one = st.one_of(st.integers(lo, hi), st.integers(lo, hi), st.sampled_from(HUGE[:5]))
    return st.one_of(one, st.lists(one, min_size=1, max_size=3))


@st.composite
def nn_call(draw):
    op = draw(st.sampled_from(["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
                               "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
                               "adaptive_avg_pool2d", "adaptive_max_pool2d", "pad", "interpolate", "unfold",
                               "pixel_shuffle", "softmax", "log_softmax", "layer_norm", "linear"]))
    two = op.endswith("2d") or op in ("unfold", "pixel_shuffle")
    sp = 2 if two else 1
    good = draw(st.integers(0, 2)) > 0
    if good:
        shape = [draw(st.integers(1, 2)), draw(st.integers(1, 4))] + [draw(st.integers(1, 6)) for _ in range(sp)]
        if draw(st.booleans()):
            shape = shape[1:]  # unbatched
    else:
        shape = draw(shapes(0, 5))
    x, shape = draw(tensor(shape=shape, dtypes=["float32", "float32", "float64", "int64"], grad=True))
    F = "nn.functional."
    if op.startswith("conv"):
        cin = shape[-sp - 1] if len(shape) > sp else 1
        groups = draw(st.sampled_from([1, 1, 1, 2, 0, -1]))
        k = [draw(st.integers(0, 3)) for _ in range(sp)]
        if op.startswith("conv_transpose"):
            wshape = [cin, draw(st.integers(1, 3))] + k
        else:
            wshape = [draw(st.integers(1, 4)), max(cin // max(groups, 1), 0)] + k
        if not good or draw(st.integers(0, 4)) == 0:
            wshape = draw(shapes(1, 5))
        w, _ = draw(tensor(shape=wshape, dtypes=["float32", "float32", "float64"], grad=True))
        kw = {"stride": draw(pair_arg(0, 3)), "padding": draw(pair_arg(-1, 2)), "dilation": draw(pair_arg(0, 2)),
              "groups": groups}
        if draw(st.booleans()):
            kw["padding"] = draw(st.sampled_from(["same", "valid", "full"]))
        if op.startswith("conv_transpose"):
            kw["output_padding"] = draw(pair_arg(-1, 2))
            if isinstance(kw["padding"], str):
                kw["padding"] = 0
        if draw(st.booleans()):
            b, _ = draw(tensor(shape=[draw(st.integers(0, 4))], dtypes=["float32", "float64"]))
            kw["bias"] = b
        return {"fn": F + op, "args": [x, w], "kwargs": kw, "backward": True}
    if op in ("max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"):
        kw = {"kernel_size": draw(pair_arg(0, 3))}
        if draw(st.booleans()):
            kw["stride"] = draw(pair_arg(0, 3))
        kw["padding"] = draw(pair_arg(-1, 2))
        kw["ceil_mode"] = draw(st.booleans())
        if op.startswith("max") and draw(st.booleans()):
            kw["dilation"] = draw(pair_arg(0, 2))
        if op.startswith("avg"):
            kw["count_include_pad"] = draw(st.booleans())
        return {"fn": F + op, "args": [x], "kwargs": kw, "backward": True}
    if op.startswith("adaptive"):
        return {"fn": F + op, "args": [x, draw(pair_arg(-1, 5))], "backward": True}
    if op == "pad":
        pad = draw(st.lists(st.one_of(st.integers(-3, 3), st.sampled_from(HUGE[:4])), min_size=0, max_size=7))
        mode = draw(st.sampled_from(["constant", "constant", "reflect", "replicate", "circular"]))
        kw = {"mode": mode}
        if mode == "constant" and draw(st.booleans()):
            kw["value"] = 1.5
        return {"fn": F + "pad", "args": [x, pad], "kwargs": kw, "backward": True}
    if op == "interpolate":
        mode = draw(st.sampled_from(["nearest", "nearest", "linear", "bilinear", "bicubic", "nearest-exact", "area"]))
        kw = {"mode": mode}
        if draw(st.booleans()):
            kw["size"] = draw(pair_arg(-1, 7))
        else:
            kw["scale_factor"] = draw(st.one_of(st.sampled_from([0.5, 1.0, 2.0, 1.5, 0.0, -1.0, 1e10]),
                                                st.lists(st.sampled_from([0.5, 2.0, 3.0]), min_size=1, max_size=3)))
        if mode in ("linear", "bilinear", "bicubic") and draw(st.booleans()):
            kw["align_corners"] = draw(st.booleans())
        return {"fn": F + "interpolate", "args": [x], "kwargs": kw, "backward": True}
    if op == "unfold":
        return {"fn": F + "unfold", "args": [x, draw(pair_arg(0, 3))],
                "kwargs": {"dilation": draw(pair_arg(0, 2)), "padding": draw(pair_arg(-1, 2)),
                           "stride": draw(pair_arg(0, 2))}, "backward": True}
    if op == "pixel_shuffle":
        return {"fn": F + "pixel_shuffle", "args": [x, draw(st.one_of(st.integers(-1, 3), st.sampled_from(HUGE)))],
                "backward": True}
    if op in ("softmax", "log_softmax"):
        return {"fn": F + op, "args": [x, draw(dim_for(len(shape)))], "backward": True}
    if op == "layer_norm":
        ns = shape[len(shape) - draw(st.integers(0, len(shape))):] if draw(st.booleans()) else draw(shape_arg())
        return {"fn": F + "layer_norm", "args": [x, ns], "backward": True}
    fin = shape[-1] if shape else 1
    w, _ = draw(tensor(shape=[draw(st.integers(0, 3)), fin if good else draw(small_size)], dtypes=FLOAT_DTYPES,
                       grad=True))
    return {"fn": F + "linear", "args": [x, w], "backward": True}


@fuzz(2)
@given(call=nn_call())
def test_fuzz_nn(run, call):
    run(call)


# ---------------------------------------------------------------- losses and embedding
@st.composite
def loss_call(draw):
    op = draw(st.sampled_from(["cross_entropy", "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss",
                               "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
                               "embedding", "embedding", "one_hot"]))
    F = "nn.functional."
    red = draw(st.sampled_from(["mean", "sum", "none", "mean", "batchmean"]))
    if op in ("cross_entropy", "nll_loss"):
        n, c = draw(st.integers(0, 3)), draw(st.integers(0, 4))
        extra = draw(st.lists(st.integers(1, 3), max_size=2))
        ishape = [n, c] + extra if draw(st.integers(0, 3)) else [c]
        if draw(st.integers(0, 5)) == 0:
            ishape = draw(shapes())
        x, _ = draw(tensor(shape=ishape, dtypes=["float32", "float32", "float64", "int64"], grad=True))
        tshape = [ishape[0]] + ishape[2:] if len(ishape) > 1 else []
        if draw(st.integers(0, 5)) == 0:
            tshape = draw(shapes())
        tvals = [0, max(c, 1)] if draw(st.integers(0, 3)) else [-2, c + 2]
        tdt = ["int64", "int64", "int32", "float32"]
        if op == "cross_entropy" and draw(st.integers(0, 3)) == 0:  # class probabilities
            tshape, tdt, tvals = ishape, ["float32"], "prob"
        t, _ = draw(tensor(shape=tshape, dtypes=tdt, vals=tvals))
        kw = {"reduction": red}
        if draw(st.booleans()):
            kw["ignore_index"] = draw(st.sampled_from([-100, 0, 1, -1, 2**31]))
        if draw(st.integers(0, 3)) == 0:
            wt, _ = draw(tensor(shape=[draw(st.sampled_from([c, c, c + 1, 0]))], dtypes=FLOAT_DTYPES, vals="positive"))
            kw["weight"] = wt
        if op == "cross_entropy" and draw(st.booleans()):
            kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 1.0, -0.1, 1.5]))
        return {"fn": F + op, "args": [x, t], "kwargs": kw, "backward": True}
    if op in ("embedding", "one_hot"):
        nw = draw(st.integers(0, 5))
        idx, _ = draw(tensor(dtypes=["int64", "int64", "int32", "float32"],
                             vals=[-2, nw + 2] if draw(st.integers(0, 3)) == 0 else [0, max(nw, 1)], max_dims=3))
        if op == "one_hot":
            return {"fn": F + "one_hot", "args": [idx, draw(st.one_of(st.integers(-2, 7), st.sampled_from(HUGE)))]}
        wshape = [nw, draw(st.integers(0, 3))] if draw(st.integers(0, 4)) else draw(shapes())
        w, _ = draw(tensor(shape=wshape, dtypes=FLOAT_DTYPES + ["int64"], grad=True))
        kw = {}
        if draw(st.booleans()):
            kw["padding_idx"] = draw(st.one_of(st.integers(-nw - 1, nw), st.sampled_from(HUGE[:2])))
        return {"fn": F + "embedding", "args": [idx, w], "kwargs": kw, "backward": True}
    a, b = broadcast_shape_pair(draw)
    if draw(st.integers(0, 2)):
        b = list(a)
    probs = op == "binary_cross_entropy"
    x, _ = draw(tensor(shape=a, dtypes=["float32", "float32", "float64", "int64"], vals="prob" if probs else None,
                       grad=True))
    y, _ = draw(tensor(shape=b, dtypes=["float32", "float32", "float64", "int64"], vals="prob" if probs else None))
    if op == "kl_div":
        return {"fn": F + op, "args": [x, y], "kwargs": {"reduction": red, "log_target": True}, "backward": True}
    if red == "batchmean":
        red = "mean"
    return {"fn": F + op, "args": [x, y], "kwargs": {"reduction": red}, "backward": True}


@fuzz(1.5)
@given(call=loss_call())
def test_fuzz_losses(run, call):
    run(call)


# ---------------------------------------------------------------- known bugs (see fuzz_harness.KNOWN_BUGS)
def _t(shape, dtype="float32", **kw):
    return {"T": {"shape": shape, "dtype": dtype, **kw}}


# Reproducers of bugs the fuzzer found and that are fixed now (issue 7): each must pass.
FIXED_REPRO = {
    "narrow_0d": {"fn": ".narrow", "args": [_t([]), 0, 0, 1]},
    "transpose_0d": {"fn": ".transpose", "args": [_t([]), -1, -(2**63)]},
    "var_backward_dof": {"fn": "var", "args": [_t([2], "float64", seed=1, vals="perm", grad=True)],
                         "kwargs": {"correction": 2}, "backward": True},
    "cumprod_backward_zero": {"fn": "cumprod", "args": [_t([3], vals="perm", grad=True), 0], "backward": True},
    "topk_0d": {"fn": "topk", "args": [_t([]), 0, 0]},
    "linear_zero_out": {"fn": "nn.functional.linear", "args": [_t([2, 3], grad=True), _t([0, 3], grad=True)],
                        "backward": True},
    "grad_dtype_promotion": {"fn": "mul", "args": [_t([2], grad=True), _t([2], "float64")], "backward": True},
    "as_strided_missing": {"fn": ".as_strided", "args": [_t([4]), [2, 2], [1, 1]]},
    "binary_scalar_attr": {"fn": "atan2", "args": [_t([], seed=2, grad=True), True], "backward": True},
    "cross_entropy_zero_classes": {"fn": "nn.functional.cross_entropy",
                                   "args": [_t([2, 0, 1, 3], seed=429, grad=True),
                                            _t([2, 1, 3], "int64", seed=9258, vals=[0, 1])],
                                   "kwargs": {"reduction": "sum", "ignore_index": 0, "label_smoothing": 0.1},
                                   "backward": True},
    "adaptive_pool_empty": {"fn": "nn.functional.adaptive_max_pool2d", "args": [_t([0, 4, 2]), 2]},
    "grad_dtype_minimum_f16": {"fn": "minimum", "args": [_t([], grad=True), _t([3], "float16", grad=True)],
                               "backward": True},
    "as_strided_overlap": {"fn": ".as_strided", "args": [_t([6], grad=True), [2, 3], [1, 1], 1], "backward": True},
    "topk_huge_k": {"fn": "topk", "args": [_t([3]), 2**63]},
    "kthvalue_huge_k": {"fn": "kthvalue", "args": [_t([3]), 2**63]},
}

# Bugs still open: id -> reproducer, one per entry of fuzz_harness.KNOWN_BUGS.
KNOWN_REPRO = {}


def _known_ids():
    from fuzz_harness import KNOWN_BUGS
    return [(bug_id, what) for bug_id, _, what in KNOWN_BUGS]


@pytest.mark.parametrize("bug_id,what", [
    pytest.param(b, w, id=b, marks=pytest.mark.xfail(strict=False, reason=w)) for b, w in _known_ids()])
def test_known_bugs(worker, bug_id, what):
    """Each bug in KNOWN_BUGS, reproduced by one call checked without the known-bug pass."""
    from fuzz_harness import violation
    call = KNOWN_REPRO[bug_id]
    res = worker.call(call)
    problem = violation(call, res, Stats("known"))
    assert problem is None, f"{bug_id}: {problem}: {res}"


@pytest.mark.parametrize("bug_id", sorted(FIXED_REPRO))
def test_fixed_bugs(worker, bug_id):
    """Each fixed bug's reproducer now agrees with torch (a crash would kill the worker)."""
    from fuzz_harness import violation
    call = FIXED_REPRO[bug_id]
    res = worker.call(call)
    problem = violation(call, res, Stats("fixed"))
    assert problem is None, f"{bug_id}: {problem}: {res}"


def test_known_bugs_have_reproducers():
    assert sorted(KNOWN_REPRO) == sorted(b for b, _ in _known_ids())
