"""Parent side of the fuzz tests: a long-lived worker process and the property check.

The worker (tests/fuzz_worker.py) imports ember and torch once and then answers one
call per request, so thousands of generated calls cost milliseconds each, while a
crash (signal, abort, sanitizer report) still kills only the worker: the harness
names the call that killed it and starts a fresh worker for the next one.

Property checked for each call (`check`):
  * the worker survives the call (no crash, no hang);
  * ember either raises ValueError/TypeError/IndexError/RuntimeError (or MemoryError
    where torch also fails) with a non-empty message, and then torch raises too, or
    returns what torch returns (shapes, dtypes, values);
  * where torch raises, ember raises too.
A call matching an entry of `DIVERGENCES` (documented, deliberate differences) may
break the last two points.

Counters of calls, distinct ops and outcomes travel in each test's user_properties, and
the terminal summary (tests/conftest.py) adds them up and prints them.
"""
import json
import os
import select
import subprocess
import sys
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_ALLOWED = {"ValueError", "TypeError", "IndexError", "RuntimeError"}
# A sanitized ember (and torch under LD_PRELOAD) is several times slower.
_SLOW = "libasan" in os.environ.get("LD_PRELOAD", "")
CALL_TIMEOUT = 120 if _SLOW else 30
START_TIMEOUT = 300 if _SLOW else 120


class WorkerDied(Exception):
    pass


class Worker:
    def __init__(self):
        self.proc = None

    def start(self):
        env = dict(os.environ)
        if _SLOW:  # ASan: bound allocations (RLIMIT_AS cannot be used with ASan)
            mb = env.get("EMBER_FUZZ_MEM_MB", "1536")
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + f":allocator_may_return_null=1:max_allocation_size_mb={mb}"
        env.setdefault("EMBER_NUM_THREADS", "2")
        env["PYTHONWARNINGS"] = "ignore"
        rfd, wfd = os.pipe()
        self.err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, os.path.join(_HERE, "fuzz_worker.py"), str(wfd)],
                                     stdin=subprocess.PIPE, stdout=self.err, stderr=self.err, pass_fds=(wfd,),
                                     env=env, text=True, cwd=_HERE)
        os.close(wfd)
        self.chan = os.fdopen(rfd, "r")
        msg = self._read(START_TIMEOUT)
        if msg is None or not msg.get("ready"):
            raise WorkerDied(f"fuzz worker failed to start:\n{self.stderr_tail()}")

    def stderr_tail(self, n=3000):
        try:
            self.err.seek(0)
            return self.err.read()[-n:]
        except (OSError, ValueError):
            return ""

    def _read(self, timeout):
        r, _, _ = select.select([self.chan], [], [], timeout)
        if not r:
            return "timeout"
        line = self.chan.readline()
        if not line:
            return None
        return json.loads(line)

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.chan.close()
            self.err.close()
            self.proc = None

    def call(self, call):
        """The worker's answer, or {"crash": text} when the call killed or hung it."""
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.start()
        self.err.seek(0)
        self.err.truncate()
        try:
            self.proc.stdin.write(json.dumps(call) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        t0 = time.monotonic()
        msg = self._read(CALL_TIMEOUT)
        if isinstance(msg, dict):
            return msg
        if msg == "timeout":
            what = f"hung for more than {CALL_TIMEOUT} s"
            self.proc.kill()
        else:
            self.proc.wait(timeout=30)
            what = f"killed the worker (exit status {self.proc.returncode}) after {time.monotonic() - t0:.1f} s"
        tail = self.stderr_tail()
        self.stop()
        return {"crash": f"{what}\n--- worker stderr ---\n{tail}"}


# torch errors that mean a call is unsafe (not merely unsupported): ember accepting such
# a call reads or writes out of bounds, or silently aliases. Other calls that ember
# accepts and torch rejects (ember is more lenient: e.g. a bool scalar operand, an
# integer loss input) are counted, not failed.
_UNSAFE = ("memory location", "out of range", "out of bounds", "overflow")


def unsafe_to_accept(t):
    return t[0] == "IndexError" or any(w in t[1] for w in _UNSAFE)


def tensors_of(call):
    """Every tensor spec in a call's arguments."""
    found = []

    def walk(v):
        if isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            if "T" in v:
                found.append(v["T"])
            else:
                for x in v.values():
                    walk(x)
    walk(call.get("args", []))
    walk(call.get("kwargs", {}))
    return found


def has_empty(call):
    return any(0 in t.get("shape", []) or any(0 in op[1] for op in t.get("tf", []) if op[0] == "expand")
               for t in tensors_of(call))


def ndim_of(spec):
    nd = len(spec.get("shape", []))
    for op in spec.get("tf", []):
        nd = len(op[1]) if op[0] == "expand" else nd + (op[0] == "unsqueeze") - (op[0] == "select")
    return nd


def arg_ndim(call, i):
    """ndim of positional argument i when it is a tensor, else None."""
    a = call.get("args", [])
    return ndim_of(a[i]["T"]) if i < len(a) and isinstance(a[i], dict) and "T" in a[i] else None


def _fn(call, *names):
    return call["fn"] in names


# Deliberate, documented differences from torch: (predicate(call, answer), reason). A
# call for which one holds may be rejected by ember where torch accepts it.
DIVERGENCES = [
    (lambda c, r: has_empty(c) and r["e"][0] == "TypeError",
     "torch skips the kernel, and with it the dtype check, when a tensor is empty (e.g. log_softmax "
     "of an empty int64 tensor); ember checks dtypes first"),
    (lambda c, r: has_empty(c) and _fn(c, "gather", "take_along_dim", ".scatter", ".scatter_add"),
     "torch does not check the index's dims against the input's when the index is empty"),
    (lambda c, r: has_empty(c) and _fn(c, "fmod", "remainder", "floor_divide", "div"),
     "an empty integer tensor divided by 0: torch returns the empty result, ember raises"),
    (lambda c, r: has_empty(c) and _fn(c, "median"),
     "median of an empty tensor: torch returns nan (int: INT_MIN), ember raises"),
    (lambda c, r: _fn(c, "where") and "uint8" in r["e"][1],
     "torch.where still takes a uint8 condition (deprecated since 1.2); ember asks for bool"),
]

# Bugs the fuzzer found that are not fixed yet: (id, predicate(call, answer), what). A
# generated call that fails and matches one is counted, not failed; test_known_bugs in
# tests/test_fuzz.py pins a reproducer of each as xfail(strict=False).
KNOWN_BUGS = [
]


def divergence(call, res):
    for pred, reason in DIVERGENCES:
        if pred(call, res):
            return reason
    return None


def known_bug(call, res):
    for bug_id, pred, _ in KNOWN_BUGS:
        try:
            if pred(call, res):
                return bug_id
        except (KeyError, IndexError, TypeError):
            continue
    return None


class Stats:
    def __init__(self, name):
        self.name = name
        self.calls = 0
        self.ops = set()
        self.outcomes = {"both_ok": 0, "both_raise": 0, "exc_type_differs": 0, "ember_lenient": 0,
                         "diverged_allowed": 0, "known_bug": 0}

    def record(self, item):
        """Hands the counters to the terminal summary through the test's user_properties."""
        if self.calls:
            item.user_properties.append(("ember_fuzz", json.dumps(
                {"test": self.name, "calls": self.calls, "ops": sorted(self.ops), **self.outcomes})))


class _Collected(Exception):
    pass


def check(worker, stats, call):
    """Runs one call and asserts the property; returns the worker's answer."""
    stats.calls += 1
    stats.ops.add(call["fn"])
    res = worker.call(call)
    problem = violation(call, res, stats)
    if problem is None:
        return res
    if known_bug(call, res):
        stats.outcomes["known_bug"] += 1
        return res
    try:
        _fail(f"{problem}: {json.dumps(call)}" + (f"\n{res['crash']}" if "crash" in res else ""))
    except _Collected:
        pass
    return res


def violation(call, res, stats):
    """What is wrong with the answer to a call, or None (and counts the outcome)."""
    if "crash" in res:
        running = [ln for ln in res["crash"].splitlines() if ln.startswith("@@running ")]
        if running and running[-1].endswith("torch"):
            if _SLOW:  # torch's own huge operator new aborts under ASan (see tools/sanitize_tests.sh)
                stats.outcomes["torch_aborted_under_asan"] = stats.outcomes.get("torch_aborted_under_asan", 0) + 1
                return None
            return "CRASH in torch (the reference), not ember"
        return "CRASH"
    e, t = res["e"], res["t"]
    if e is not None:
        if not e[1].strip():
            return f"ember raised {e[0]} with an empty message"
        # another type only where torch raises the same (torch's own AssertionError for
        # embedding's padding_idx) or runs out of memory too
        if not res.get("e_allowed") and not (t is not None and (e[0] == t[0] or e[0] == "MemoryError")):
            return f"ember raised {e[0]}: {e[1]!r} (torch: {t})"
        if t is None:
            if divergence(call, res):
                stats.outcomes["diverged_allowed"] += 1
                return None
            return f"ember raised {e[0]}: {e[1]!r} where torch accepts"
        stats.outcomes["both_raise"] += 1
        if e[0] != t[0]:
            stats.outcomes["exc_type_differs"] += 1
            if os.environ.get("EMBER_FUZZ_TYPES"):  # a log of them, for parity work
                with open(os.environ["EMBER_FUZZ_TYPES"], "a") as f:
                    f.write(json.dumps({"fn": call["fn"], "ember": e, "torch": t}) + "\n")
        return None
    if t is not None:
        if unsafe_to_accept(t):
            return f"ember accepted what torch rejects ({t[0]}: {t[1]!r})"
        stats.outcomes["ember_lenient"] += 1
        return None
    if res["mismatch"]:
        return f"wrong result: {res['mismatch']}"
    stats.outcomes["both_ok"] += 1
    return None


def _fail(msg):
    path = os.environ.get("EMBER_FUZZ_COLLECT")
    if path:  # bug hunting: record every failure and keep going
        with open(path, "a") as f:
            f.write(msg.replace("\n", "\n    ") + "\n")
        raise _Collected
    raise AssertionError(msg)


def stats_summary(reports):
    """One line for the terminal summary from the teardown reports' "ember_fuzz" user
    properties (xdist ships those from its workers): calls made, distinct ops reached."""
    calls, ops, outcomes = 0, set(), {}
    for rep in reports:
        if getattr(rep, "when", None) != "teardown":
            continue
        for key, rec in getattr(rep, "user_properties", ()):
            if key != "ember_fuzz":
                continue
            rec = json.loads(rec)
            calls += rec.pop("calls")
            ops.update(rec.pop("ops"))
            rec.pop("test")
            for k, v in rec.items():
                outcomes[k] = outcomes.get(k, 0) + v
    if not calls:
        return None
    parts = ", ".join(f"{k} {v}" for k, v in outcomes.items())
    return f"ember fuzz: {calls} generated calls, {len(ops)} distinct ops ({parts})"
