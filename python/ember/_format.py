"""PyTorch-style printing of tensors: tensor([[1.0000, 2.5000], ...], dtype=..., grad_fn=<...>)."""
import numpy as np

_opts = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile == "default":
        _opts.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        _opts.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        _opts.update(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            _opts[k] = v
    _opts["sci_mode"] = sci_mode


def _float_formatter(values):
    p = _opts["precision"]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda x: _special(x) or f"{x:.{p}f}"
    absf = np.abs(finite)
    nonzero = absf[absf > 0]
    ints = np.all(finite == np.round(finite))
    sci = _opts["sci_mode"]
    if sci is None:
        sci = bool(nonzero.size) and (nonzero.max() >= 1e8 or nonzero.min() < 1e-4 or nonzero.max() / nonzero.min() > 1000)
        if ints and nonzero.size and nonzero.max() < 1e8:
            sci = False
    if sci:
        return lambda x: _special(x) or f"{x:.{p}e}"
    if ints:
        return lambda x: _special(x) or f"{x:.0f}."
    return lambda x: _special(x) or f"{x:.{p}f}"


def _special(x):
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return None


def _body(arr, prefix):
    threshold = _opts["threshold"]
    summarize = arr.size > threshold
    if arr.dtype == np.bool_:
        fmt = lambda x: "True" if x else "False"  # noqa: E731
        vals = arr
    elif np.issubdtype(arr.dtype, np.integer):
        fmt = str
        vals = arr
    else:
        vals = arr.astype(np.float64)
        shown = vals if not summarize else _edges(vals)
        fmt = _float_formatter(shown.ravel())
    shown = vals if not summarize else _edges(vals)
    width = max((len(fmt(x)) for x in shown.ravel()), default=1)
    return np.array2string(
        vals, separator=", ", prefix=prefix, max_line_width=_opts["linewidth"],
        threshold=threshold if threshold != float("inf") else np.iinfo(np.int64).max,
        edgeitems=_opts["edgeitems"], formatter={"all": lambda x: fmt(x).rjust(width)},
    )


def _edges(a):
    e = _opts["edgeitems"]
    for d in range(a.ndim):
        if a.shape[d] > 2 * e:
            idx = list(range(e)) + list(range(a.shape[d] - e, a.shape[d]))
            a = np.take(a, idx, axis=d)
    return a


def format_tensor(t):
    prefix = "tensor("
    arr = t.detach().numpy(force=True) if t.dtype.name != "bfloat16" else t.detach().float().numpy(force=True)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if arr.size == 0:
        body = "[]"
        if arr.shape != (0,):
            suffixes.insert(0, f"size={tuple(arr.shape)}")
    elif arr.ndim == 0:
        body = _body(arr.reshape(1), prefix)[1:-1].strip()
    else:
        body = _body(arr, prefix)
    name = t.dtype.name
    if name not in ("float32", "int64", "bool"):
        suffixes.append(f"dtype=ember.{name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + ", ".join([body] + suffixes) + ")"
