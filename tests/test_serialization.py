"""ember.save / ember.load: safetensors checkpoints, atomic writes, PyTorch .pt files
through the restricted unpickler, bit-identical training resume, load_state_dict errors."""
import io
import json
import os
import pickle
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest

import ember
from ember import serialization
from helpers import assert_raises_in_child, needs_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _same(a, b):
    """Deep equality of containers with tensors compared by dtype, shape and exact bits."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, ember.Tensor):
        assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
        assert a.requires_grad == b.requires_grad
        fa = a.detach().float() if a.dtype == ember.bfloat16 else a.detach()
        fb = b.detach().float() if b.dtype == ember.bfloat16 else b.detach()
        np.testing.assert_array_equal(fa.numpy(), fb.numpy())
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


ALL_DTYPES = [ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int64, ember.int32, ember.uint8,
              ember.bool]


def _sample(dt, shape=(2, 3)):
    vals = np.arange(int(np.prod(shape))).reshape(shape) - 2
    if dt == ember.bool:
        return ember.tensor(vals % 2 == 0)
    if dt == ember.uint8:
        return ember.tensor((vals + 2).astype(np.uint8))
    t = ember.tensor(vals.astype(np.float64) * 0.75) if dt.is_floating_point else ember.tensor(vals)
    return t.to(dt)


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=lambda d: d.name)
def test_round_trip_every_dtype(tmp_path, dt):
    p = tmp_path / "t.safetensors"
    for shape in [(2, 3), (), (0, 4), (5,)]:
        t = _sample(dt, shape)
        ember.save(t, p)
        _same(t, ember.load(p))


def test_bfloat16_bits_exact(tmp_path):
    x = ember.tensor(np.array([1.0, -2.5, 3.140625, 1e-3, 65280.0, -0.0], np.float32)).to(ember.bfloat16)
    ember.save({"x": x}, tmp_path / "b.st")
    y = ember.load(tmp_path / "b.st")["x"]
    assert y.dtype == ember.bfloat16
    np.testing.assert_array_equal(x.float().numpy().view(np.uint32), y.float().numpy().view(np.uint32))


def test_round_trip_nested_containers(tmp_path):
    sd = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4)).state_dict()
    obj = {
        "model": sd,
        "optimizer": {"state": {0: {"step": 3, "momentum_buffer": ember.ones(4, 3)}, 1: {"step": ember.tensor(2.0)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "foreach": None,
                                        "params": [0, 1]}]},
        "scheduler": {"last_epoch": 5, "base_lrs": [0.1], "best": float("inf"), "worst": float("-inf"),
                      "nan": float("nan"), "milestones": Counter({3: 2, 7: 1}), "name": "cos", "big": 2 ** 62},
        "list": [1, [2, [3, ember.zeros(2)]], (None, True, "x")],
        (1, "tuple-key"): "v",
        "np": np.float64(0.5),
    }
    p = tmp_path / "ckpt.pt"
    ember.save(obj, p)
    back = ember.load(p)
    obj["np"] = 0.5
    _same(obj, back)
    assert isinstance(back["model"], OrderedDict) and back["model"]._metadata == sd._metadata
    assert isinstance(back["scheduler"]["milestones"], Counter)
    assert isinstance(back["optimizer"]["state"][0]["step"], int)


def test_aliased_tensors_saved_once_and_params_kept(tmp_path):
    w = ember.nn.Parameter(ember.ones(3, 3))
    t = ember.zeros(2, requires_grad=True)
    ember.save({"a": w, "b": w, "t": t}, tmp_path / "a.st")
    back = ember.load(tmp_path / "a.st")
    assert back["a"] is back["b"]
    assert isinstance(back["a"], ember.nn.Parameter) and back["a"].requires_grad
    assert back["t"].requires_grad and back["t"].is_leaf
    with open(tmp_path / "a.st", "rb") as f:
        data = f.read()
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    assert sorted(k for k in header if k != "__metadata__") == ["a", "t"]


def test_file_objects_and_standard_safetensors(tmp_path):
    buf = io.BytesIO()
    ember.save({"w": ember.ones(2)}, buf)
    buf.seek(0)
    _same({"w": ember.ones(2)}, ember.load(buf))
    # Another tool's safetensors file (no ember metadata) loads as a flat dict.
    from safetensors.numpy import save_file

    save_file({"a.weight": np.ones((2, 2), np.float32), "b": np.arange(3, dtype=np.int64)}, str(tmp_path / "o.st"))
    back = ember.load(tmp_path / "o.st")
    assert set(back) == {"a.weight", "b"} and back["b"].dtype == ember.int64


@needs_torch
def test_ember_file_reads_in_torch_safetensors(tmp_path):
    from safetensors.torch import load_file

    sd = ember.nn.Linear(3, 2).state_dict()
    sd["h"] = ember.ones(2, dtype=ember.bfloat16) * 1.5
    ember.save(sd, tmp_path / "m.safetensors")
    t = load_file(str(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(t["weight"].numpy(), sd["weight"].numpy())
    assert t["h"].dtype == torch.bfloat16 and t["h"].float().tolist() == [1.5, 1.5]


def test_unsupported_objects_refused_on_save(tmp_path):
    with pytest.raises(TypeError, match=r"\[save\] cannot save an object of type"):
        ember.save({"f": lambda x: x}, tmp_path / "x.st")
    with pytest.raises(TypeError, match=r"\[save\] cannot save an object of type"):
        ember.save(ember.nn.Linear(2, 2), tmp_path / "x.st")
    assert not os.path.exists(tmp_path / "x.st")
    with pytest.raises(TypeError, match=r"\[save\] expected a path"):
        ember.save({}, 42)


# ------------------------------------------------------------------ atomicity


def test_failed_save_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "model.st"
    old = {"w": ember.ones(64, 64)}
    ember.save(old, p)
    calls = {"n": 0}
    real = serialization._write_chunk

    def failing(fh, chunk):
        calls["n"] += 1
        if calls["n"] == 2:
            real(fh, chunk[: len(chunk) // 2])
            raise OSError(28, "No space left on device")
        real(fh, chunk)

    monkeypatch.setattr(serialization, "_CHUNK", 1024)
    monkeypatch.setattr(serialization, "_write_chunk", failing)
    with pytest.raises(OSError, match="No space left"):
        ember.save({"w": ember.zeros(64, 64), "extra": ember.ones(10)}, p)
    assert calls["n"] == 2
    assert os.listdir(tmp_path) == ["model.st"]
    _same(old, ember.load(p))
    # An error at fsync time (data written, not yet renamed) leaves it intact as well.
    monkeypatch.setattr(serialization, "_write_chunk", real)

    def bad_fsync(fd):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(serialization.os, "fsync", bad_fsync)
    with pytest.raises(OSError, match="I/O error"):
        ember.save({"w": ember.zeros(1)}, p)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.st"]
    _same(old, ember.load(p))


# ------------------------------------------------------------------ bad files


def test_truncated_corrupt_missing_files(tmp_path):
    p = tmp_path / "good.st"
    ember.save({"w": ember.ones(100), "opt": {"lr": 0.1}}, p)
    data = p.read_bytes()
    for i, cut in enumerate([0, 5, 12, len(data) // 2, len(data) - 1]):
        q = tmp_path / f"trunc{i}.st"
        q.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match=r"\[load\].*trunc%d\.st.*(truncated|empty)" % i):
            ember.load(q)
    n = int.from_bytes(data[:8], "little")
    bad_header = bytearray(data)
    bad_header[8 + n // 2] = ord("}")
    (tmp_path / "hdr.st").write_bytes(bytes(bad_header))
    with pytest.raises(RuntimeError, match=r"\[load\].*hdr\.st"):
        ember.load(tmp_path / "hdr.st")
    # Valid safetensors, garbage ember metadata.
    from safetensors.numpy import save_file

    save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "meta.st"), metadata={"ember": "{not json"})
    with pytest.raises(RuntimeError, match=r"\[load\].*meta\.st.*corrupted ember metadata"):
        ember.load(tmp_path / "meta.st")
    save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "meta2.st"),
              metadata={"ember": json.dumps({"version": 1, "tensors": {}, "tree": {"$t": "tensor", "name": "zz"}})})
    with pytest.raises(RuntimeError, match=r"meta2\.st.*missing"):
        ember.load(tmp_path / "meta2.st")
    (tmp_path / "badpk.pt").write_bytes(b"\x80\x02\xff\xfe garbage")
    with pytest.raises(RuntimeError, match=r"\[load\].*badpk\.pt.*corrupted"):
        ember.load(tmp_path / "badpk.pt")
    (tmp_path / "junk.bin").write_bytes(b"hello world, not a checkpoint at all")
    with pytest.raises(RuntimeError, match=r"\[load\].*junk\.bin.*not a checkpoint"):
        ember.load(tmp_path / "junk.bin")
    with pytest.raises(FileNotFoundError, match=r"\[load\] no such file.*nope\.pt"):
        ember.load(tmp_path / "nope.pt")


def test_bad_input_in_child(tmp_path):
    p = tmp_path / "t.st"
    ember.save({"w": ember.ones(1000)}, p)
    (tmp_path / "half.st").write_bytes(p.read_bytes()[:600])
    big = bytearray(p.read_bytes())
    big[:8] = (2 ** 62).to_bytes(8, "little")  # a huge header length
    (tmp_path / "huge.st").write_bytes(bytes(big))
    assert_raises_in_child(f"ember.load({str(tmp_path / 'half.st')!r})", "RuntimeError", "[load]", "half.st")
    assert_raises_in_child(f"ember.load({str(tmp_path / 'huge.st')!r})", "RuntimeError", "[load]", "huge.st")
    assert_raises_in_child(f"ember.load({str(p)!r}, map_location='cuda')", "RuntimeError", "[load]", "CUDA")
    assert_raises_in_child(f"ember.load({str(p)!r}, map_location=3.5)", "TypeError", "[load]", "map_location")
    assert_raises_in_child("ember.load(-1)", "TypeError", "[load]")
    assert_raises_in_child(f"ember.load({str(tmp_path)!r})", "IsADirectoryError", "[load]")
    assert_raises_in_child(f"ember.save(ember.ones(2), {str(tmp_path / 'no' / 'dir.st')!r})",
                           "FileNotFoundError", "[save]")


@needs_torch
def test_truncated_and_corrupt_torch_files(tmp_path):
    p = tmp_path / "t.pt"
    torch.save({"w": torch.ones(50)}, p)
    data = p.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match=r"\[load\].*cut\.pt"):
        ember.load(tmp_path / "cut.pt")
    torch.save({"w": torch.ones(50)}, tmp_path / "leg.pt", _use_new_zipfile_serialization=False)
    legacy = (tmp_path / "leg.pt").read_bytes()
    (tmp_path / "legcut.pt").write_bytes(legacy[:-20])
    with pytest.raises(RuntimeError, match=r"\[load\].*legcut\.pt.*truncated"):
        ember.load(tmp_path / "legcut.pt")


# ------------------------------------------------------------------ PyTorch files


@needs_torch
@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_torch_pt_loads_into_ember_model(tmp_path, zip_format):
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    tm(torch.randn(16, 4))  # moves the BN statistics
    tm.eval()
    p = tmp_path / "torch_model.pth"
    torch.save(tm.state_dict(), p, _use_new_zipfile_serialization=zip_format)
    sd = ember.load(p)
    assert list(sd.keys()) == list(tm.state_dict().keys())
    em = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.BatchNorm1d(8), ember.nn.ReLU(), ember.nn.Linear(8, 3))
    em.load_state_dict(sd)
    em.eval()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert int(sd["1.num_batches_tracked"]) == 1 and sd["1.num_batches_tracked"].dtype == ember.int64


@needs_torch
def test_torch_pt_dtypes_views_params_and_optimizer(tmp_path):
    m = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(m.parameters())
    m(torch.randn(4, 3)).sum().backward()
    opt.step()
    base = torch.arange(12.0)
    obj = {"opt": opt.state_dict(), "view": base[2:9:3], "tr": base.reshape(3, 4).t(),
           "bf": torch.tensor([1.5, -2.0], dtype=torch.bfloat16), "h": torch.ones(2, dtype=torch.float16),
           "i": torch.tensor([1, 2], dtype=torch.int32), "b": torch.tensor([True]), "u8": torch.tensor([7],
                                                                                                  dtype=torch.uint8),
           "param": torch.nn.Parameter(torch.ones(2)), "scalar": torch.tensor(3.5), "empty": torch.zeros(0, 2),
           "tup": (1, 2.0, "s", None), "d64": torch.ones(1, dtype=torch.float64)}
    for zip_format in (True, False):
        p = tmp_path / f"all{zip_format}.pt"
        torch.save(obj, p, _use_new_zipfile_serialization=zip_format)
        back = ember.load(p)
        np.testing.assert_array_equal(back["view"].numpy(), [2.0, 5.0, 8.0])
        np.testing.assert_array_equal(back["tr"].numpy(), base.reshape(3, 4).t().numpy())
        assert back["bf"].dtype == ember.bfloat16 and back["bf"].float().tolist() == [1.5, -2.0]
        assert back["h"].dtype == ember.float16 and back["i"].dtype == ember.int32
        assert back["b"].dtype == ember.bool and back["u8"].tolist() == [7]
        assert isinstance(back["param"], ember.nn.Parameter) and back["param"].requires_grad
        assert back["scalar"].shape == () and back["scalar"].item() == 3.5
        assert tuple(back["empty"].shape) == (0, 2) and back["d64"].dtype == ember.float64
        assert back["tup"] == (1, 2.0, "s", None)
        st = back["opt"]["state"][0]
        np.testing.assert_array_equal(st["exp_avg"].numpy(), opt.state_dict()["state"][0]["exp_avg"].numpy())
        assert back["opt"]["param_groups"][0]["betas"] == (0.9, 0.999)


@needs_torch
def test_torch_pt_loads_without_torch_importable(tmp_path):
    from helpers import run_in_subprocess

    p = tmp_path / "m.pt"
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "n": 3}, p)
    r = run_in_subprocess(
        "import sys\n"
        "sys.modules['torch'] = None  # any 'import torch' now fails\n"
        "import ember\n"
        f"d = ember.load({str(p)!r})\n"
        "print(d['w'].tolist(), d['n'], 'torch' in sys.modules and sys.modules['torch'] is not None)\n")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] 3 False"


def _evil_zip(tmp_path, payload, name):
    """A torch zip checkpoint whose data.pkl is replaced by ``payload``."""
    good = tmp_path / "good_for_evil.pt"
    if torch is not None:
        torch.save({"w": torch.ones(2)}, good)
        src = zipfile.ZipFile(good)
        members = {n: src.read(n) for n in src.namelist()}
        prefix = [n for n in members if n.endswith("data.pkl")][0][: -len("data.pkl")]
    else:
        members, prefix = {}, "archive/"
    members[prefix + "data.pkl"] = payload
    out = tmp_path / name
    with zipfile.ZipFile(out, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)
    return out


class _SystemCall:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _EvalCall:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').close()",))


def test_malicious_pickles_refused_without_running(tmp_path):
    for i, cls in enumerate([_SystemCall, _EvalCall]):
        marker = tmp_path / f"pwned{i}"
        payload = pickle.dumps({"w": cls(str(marker))}, protocol=2)
        for path in [_evil_zip(tmp_path, payload, f"evil{i}.pt"), tmp_path / f"evil{i}.pkl"]:
            if path.suffix == ".pkl":
                path.write_bytes(payload)
            with pytest.raises(pickle.UnpicklingError,
                               match=r"\[load\].*refuses to load .*only tensors and plain containers"):
                ember.load(path, weights_only=False)
            assert not marker.exists()
    # A legacy-looking pickle that is just a plain pickle of data is not a checkpoint.
    (tmp_path / "plain.pkl").write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(RuntimeError, match="not a PyTorch checkpoint"):
        ember.load(tmp_path / "plain.pkl")


def test_malicious_pickle_in_child(tmp_path):
    marker = tmp_path / "child_pwned"
    p = tmp_path / "evil.pt"
    p.write_bytes(pickle.dumps(_SystemCall(str(marker)), protocol=2))
    assert_raises_in_child(f"ember.load({str(p)!r})", "UnpicklingError", "refuses to load", "posix.system")
    assert not marker.exists()


# ------------------------------------------------------------------ resume


def _data():
    rng = np.random.default_rng(42)
    x = rng.standard_normal((32, 5)).astype(np.float32)
    y = (x @ rng.standard_normal((5, 3)).astype(np.float32)).astype(np.float32)
    return [(ember.tensor(x[i:i + 8]), ember.tensor(y[i:i + 8])) for i in range(0, 32, 8)]


def _fresh(kind):
    ember.manual_seed(7)
    model = ember.nn.Sequential(ember.nn.Linear(5, 16), ember.nn.Tanh(), ember.nn.Linear(16, 3))
    if kind == "sgd":
        opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        sched = ember.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    else:
        opt = ember.optim.Adam(model.parameters(), lr=0.01)
        sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=40)
    return model, opt, sched


def _train(model, opt, sched, batches, epochs, per_step):
    for _ in range(epochs):
        for x, y in batches:
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            if per_step:
                sched.step()
        if not per_step:
            sched.step()


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_resume_is_bit_identical(tmp_path, kind):
    batches = _data()
    per_step = kind == "adam"  # OneCycleLR steps per batch, StepLR per epoch
    m1, o1, s1 = _fresh(kind)
    _train(m1, o1, s1, batches, 10, per_step)

    m2, o2, s2 = _fresh(kind)
    _train(m2, o2, s2, batches, 5, per_step)
    ember.save({"model": m2.state_dict(), "optimizer": o2.state_dict(), "scheduler": s2.state_dict(),
                "epoch": 5}, tmp_path / "ckpt.pt")
    del m2, o2, s2
    ck = ember.load(tmp_path / "ckpt.pt")
    m3, o3, s3 = _fresh(kind)
    m3.load_state_dict(ck["model"])
    o3.load_state_dict(ck["optimizer"])
    s3.load_state_dict(ck["scheduler"])
    assert ck["epoch"] == 5
    _train(m3, o3, s3, batches, 5, per_step)
    for (k, a), (_, b) in zip(m1.state_dict().items(), m3.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), k
    assert s1.get_last_lr() == s3.get_last_lr()
    assert o1.param_groups[0]["lr"] == o3.param_groups[0]["lr"]


# ------------------------------------------------------------------ load_state_dict


def test_load_state_dict_size_mismatch_names_key_and_shapes():
    m = ember.nn.Linear(4, 2)
    bad = ember.nn.Linear(4, 3).state_dict()
    with pytest.raises(RuntimeError) as ei:
        m.load_state_dict(bad)
    msg = str(ei.value)
    assert "Error(s) in loading state_dict for Linear:" in msg
    assert ("size mismatch for weight: copying a param with shape ember.Size([3, 4]) from checkpoint, the shape in "
            "current model is ember.Size([2, 4]).") in msg
    assert "size mismatch for bias" in msg


def test_load_state_dict_loads_nothing_on_error():
    m = ember.nn.Sequential(ember.nn.Linear(4, 2), ember.nn.Linear(2, 2))
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    sd = {k: ember.ones(*v.shape) for k, v in m.state_dict().items()}
    sd["1.weight"] = ember.ones(3, 2)  # the last key is bad: the first layer must stay untouched
    with pytest.raises(RuntimeError, match=r"size mismatch for 1\.weight"):
        m.load_state_dict(sd)
    sd2 = {k: ember.ones(*v.shape) for k, v in m.state_dict().items()}
    del sd2["1.bias"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "1.bias"'):
        m.load_state_dict(sd2)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    r = m.load_state_dict(sd2, strict=False)  # non-strict: the present keys load
    assert r.missing_keys == ["1.bias"]
    np.testing.assert_array_equal(m[0].weight.detach().numpy(), np.ones((2, 4), np.float32))


def test_every_scheduler_state_round_trips(tmp_path):
    import warnings

    from ember.optim import lr_scheduler as L
    from ember.optim import swa_utils

    def opt():
        return ember.optim.SGD([ember.nn.Parameter(ember.zeros(2))], lr=0.1, momentum=0.9)

    makers = [
        lambda o: L.StepLR(o, 3), lambda o: L.MultiStepLR(o, [2, 5, 5]), lambda o: L.ReduceLROnPlateau(o),
        lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=20), lambda o: L.CyclicLR(o, 0.01, 0.1, 4),
        lambda o: L.CosineAnnealingWarmRestarts(o, 3, 2), lambda o: L.LambdaLR(o, lambda e: 0.9 ** e),
        lambda o: L.SequentialLR(o, [L.ConstantLR(o), L.ExponentialLR(o, 0.9)], [4]),
        lambda o: L.ChainedScheduler([L.LinearLR(o), L.CosineAnnealingLR(o, 10)]),
        lambda o: swa_utils.SWALR(o, swa_lr=0.05, anneal_epochs=3),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, make in enumerate(makers):
            s = make(opt())
            for k in range(4):
                s.step(1.0 / (k + 1)) if isinstance(s, L.ReduceLROnPlateau) else s.step()
            sd = s.state_dict()
            ember.save(sd, tmp_path / f"s{i}.st")
            back = ember.load(tmp_path / f"s{i}.st")
            _same(sd, back)
            s2 = make(opt())
            s2.load_state_dict(back)
            assert s2.get_last_lr() == s.get_last_lr()


def test_safetensors_header_length_starting_with_0x80(tmp_path):
    # The low byte of the header length can be 0x80, the byte a pickle starts with:
    # such a file is still read as safetensors. Pad the metadata until it is.
    for pad in range(256):
        path = tmp_path / f"t{pad}.safetensors"
        ember.save({"w": ember.ones(2), "note": "x" * pad}, path)
        if path.read_bytes()[:1] == b"\x80":
            out = ember.load(path)
            assert out["note"] == "x" * pad and out["w"].tolist() == [1.0, 1.0]
            return
    pytest.fail("no padding gave a header length starting with 0x80")
