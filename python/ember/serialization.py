"""ember.save / ember.load: checkpoints without pickle.

Format written by ``save``: a safetensors file (the ``safetensors`` package serializes
it). Every tensor in the object becomes one safetensors entry, named by its path in the
container ("fc.weight", "state.0.exp_avg", ...), and the container itself (dicts with
their key types, lists, tuples, ints, floats, bools, strings, None) is JSON in the
header's ``__metadata__["ember"]``. bfloat16 is stored as safetensors' BF16 (raw bits,
converted through float32, which holds every bfloat16 exactly). A tensor object that
appears several times is stored once and comes back as one object; distinct tensors
that merely share memory (views) are stored separately, each with its own data.
Writes to a path are atomic: a temporary file in the same directory, flushed and
fsync'ed, then ``os.replace``d over the target, so a failed save leaves the old file.

``load`` also reads PyTorch's ``torch.save`` files (the zip format and the legacy
format) without PyTorch, through a restricted unpickler that rebuilds tensors and
plain containers only and refuses every other global: loading never runs code.
A plain safetensors file from another tool loads as a dict of tensors.
"""
import io
import json
import math
import os
import pickle
import tempfile
import zipfile
from collections import Counter, OrderedDict

import numpy as np

from ._device import device as _device_cls
from ._dtype import ALL as _ALL_DTYPES
from ._dtype import _dtype_by_name, bfloat16, float32
from ._ops.creation import tensor as _tensor
from .tensor import Tensor

__all__ = ["save", "load"]

_FORMAT_VERSION = 1
_CHUNK = 1 << 20  # bytes per write call

# ember dtype name -> (safetensors header dtype, NumPy storage dtype)
_ST_DTYPES = {
    "float32": ("F32", np.float32), "float64": ("F64", np.float64), "float16": ("F16", np.float16),
    "bfloat16": ("BF16", np.uint16), "int64": ("I64", np.int64), "int32": ("I32", np.int32),
    "uint8": ("U8", np.uint8), "bool": ("BOOL", np.bool_),
}
_ST_TO_EMBER = {v[0]: k for k, v in _ST_DTYPES.items()}


_LoadError = RuntimeError  # bad checkpoints raise RuntimeError naming the file, as torch.load does


def _fname(f):
    if isinstance(f, (str, bytes, os.PathLike)):
        return os.fsdecode(f)
    return getattr(f, "name", None) or f"<{type(f).__name__}>"


# ============================================================== save


def _contig(a):
    # Not np.ascontiguousarray: it turns 0-d arrays into 1-d ones.
    a = np.asarray(a)
    return a if a.flags["C_CONTIGUOUS"] else np.array(a, order="C")


def _to_numpy_bits(t):
    """A contiguous NumPy array holding t's bytes (bfloat16: its uint16 bit patterns)."""
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.dtype == bfloat16:
        f = _contig(t.to(float32).numpy())  # exact: float32 holds every bfloat16
        return np.asarray((f.view(np.uint32) >> 16).astype(np.uint16))
    return _contig(t.numpy())


class _Encoder:
    """Turns a container tree into JSON, collecting its tensors under unique names."""

    def __init__(self):
        self.arrays = {}      # name -> NumPy array
        self.tensor_info = {}  # name -> dtype/device/requires_grad/parameter
        self._by_id = {}
        self._keep = []       # keeps encoded tensors alive so ids stay unique

    def _name_for(self, path):
        base = path or "tensor"
        name, n = base, 1
        while name in self.arrays or name == "__metadata__":
            name = f"{base}#{n}"
            n += 1
        return name

    def encode(self, obj, path="", depth=0):
        if depth > 200:
            raise ValueError("[save] the object nests deeper than 200 levels (a reference cycle?)")
        if isinstance(obj, Tensor):
            return {"$t": "tensor", "name": self._tensor(obj, path)}
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
            return int(obj)
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, (float, np.floating)):
            v = float(obj)
            return v if math.isfinite(v) else {"$t": "float", "v": repr(v)}
        if isinstance(obj, dict):
            kind = "OrderedDict" if isinstance(obj, OrderedDict) else "Counter" if isinstance(obj, Counter) \
                else "dict"
            keys, vals = [], []
            for k, v in obj.items():
                if isinstance(k, Tensor):
                    raise TypeError("[save] tensors cannot be dict keys in a checkpoint")
                keys.append(self.encode(k, path, depth + 1))
                vals.append(self.encode(v, f"{path}.{k}" if path else str(k), depth + 1))
            out = {"$t": "dict", "cls": kind, "k": keys, "v": vals}
            meta = getattr(obj, "_metadata", None)
            if isinstance(meta, dict):
                out["meta"] = self.encode(meta, path + "._metadata", depth + 1)
            return out
        if isinstance(obj, (list, tuple)):
            items = [self.encode(v, f"{path}.{i}" if path else str(i), depth + 1) for i, v in enumerate(obj)]
            if isinstance(obj, list):
                return items
            return {"$t": "tuple", "v": items}
        from ._dtype import dtype as _dtype_cls

        if isinstance(obj, _dtype_cls):
            return {"$t": "dtype", "v": obj.name}
        if isinstance(obj, _device_cls):
            return {"$t": "device", "v": str(obj)}
        raise TypeError(
            f"[save] cannot save an object of type {type(obj).__module__}.{type(obj).__qualname__}"
            f"{' at ' + repr(path) if path else ''}: a checkpoint holds tensors, dicts, lists, tuples, ints, "
            "floats, bools, strings and None only (ember never pickles)"
        )

    def _tensor(self, t, path):
        key = id(t)
        if key in self._by_id:
            return self._by_id[key]
        if t.dtype.name not in _ST_DTYPES:
            raise TypeError(f"[save] cannot save a tensor of dtype {t.dtype}")
        name = self._name_for(path)
        self._by_id[key] = name
        self._keep.append(t)
        self.arrays[name] = _to_numpy_bits(t)
        from .nn.parameter import Parameter

        self.tensor_info[name] = {"dtype": t.dtype.name, "device": str(t.device),
                                  "requires_grad": bool(t.requires_grad), "parameter": isinstance(t, Parameter)}
        return name


def _serialize(arrays, dtype_names, metadata):
    """safetensors bytes of {name: NumPy array}; dtype_names gives each entry's ember dtype."""
    import safetensors

    specs, keep = {}, []
    for name, a in arrays.items():
        dt = dtype_names[name]
        a = np.asarray(a)
        if a.size == 0:  # safetensors wants a valid pointer even for empty tensors
            a = np.zeros(1, dtype=a.dtype)[:0].reshape(a.shape)
        keep.append(a)
        if hasattr(safetensors, "TensorSpec"):
            specs[name] = safetensors.TensorSpec(dtype=dt, shape=list(a.shape), data_ptr=a.ctypes.data,
                                                 data_len=a.nbytes)
        else:  # safetensors < 0.6 takes the bytes
            specs[name] = {"dtype": dt, "shape": list(a.shape), "data": a.tobytes()}
    return bytes(safetensors.serialize(specs, metadata=metadata))


def _write_chunk(fh, chunk):
    fh.write(chunk)


def _write_all(fh, data):
    view = memoryview(data)
    for off in range(0, len(view), _CHUNK):
        _write_chunk(fh, view[off:off + _CHUNK])


def _atomic_write(path, data):
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"[save] directory {directory!r} of {path!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_all(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Saves tensors and containers of them (state dicts, optimizer and scheduler state)
    to ``f`` (a path, written atomically, or a binary file object) in safetensors format.

    The pickle arguments of torch.save are accepted and ignored: ember never pickles.
    """
    if not (isinstance(f, (str, os.PathLike)) or hasattr(f, "write")):
        raise TypeError(f"[save] expected a path or a writable binary file, got {type(f).__name__}")
    enc = _Encoder()
    tree = enc.encode(obj)
    meta = {"format": "ember",
            "ember": json.dumps({"version": _FORMAT_VERSION, "tree": tree, "tensors": enc.tensor_info},
                                separators=(",", ":"), allow_nan=False)}
    data = _serialize(enc.arrays, {n: i["dtype"] for n, i in enc.tensor_info.items()}, meta)
    if hasattr(f, "write"):
        _write_all(f, data)
        if hasattr(f, "flush"):
            f.flush()
    else:
        _atomic_write(f, data)


# ============================================================== load: devices


def _map_device(saved, map_location, fname):
    """The device a tensor saved on ``saved`` (a string) goes to."""
    if map_location is None:
        target = saved
    elif isinstance(map_location, (str, _device_cls)):
        target = str(map_location)
    elif isinstance(map_location, dict):
        target = str(map_location.get(saved, saved))
    elif callable(map_location):
        raise TypeError("[load] map_location as a function is not supported by ember: pass a device, a string "
                        "or a dict")
    else:
        raise TypeError(f"[load] expected map_location to be None, a device, a string or a dict, got "
                        f"{type(map_location).__name__}")
    target = str(_device_cls(target))
    if target.startswith("cuda"):
        from . import cuda as _cuda

        if not _cuda.is_available():
            raise RuntimeError(
                f"[load] {fname!r}: attempting to deserialize a tensor on a CUDA device ({target}) but "
                "ember.cuda.is_available() is False. If you are running on a CPU-only machine, please use "
                "ember.load with map_location='cpu' to map your storages to the CPU."
            )
    return target


def _finish_tensor(arr, dtype_name, dev, requires_grad, parameter):
    """An ember tensor (own memory) from a NumPy array of the stored bits."""
    if dtype_name == "bfloat16":
        bits = np.asarray(arr, dtype=np.uint16).astype(np.uint32) << 16
        t = _tensor(bits.view(np.float32)).to(bfloat16)
    else:
        t = _tensor(_contig(arr))
        want = _dtype_by_name(dtype_name)
        if t.dtype != want:
            t = t.to(want)
    if dev != "cpu":
        t = t.to(dev)
    if parameter:
        from .nn.parameter import Parameter

        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


# ============================================================== load: safetensors


def _load_safetensors(data, fname, map_location):
    import safetensors

    try:
        entries = safetensors.deserialize(data)
    except Exception as e:  # SafetensorError: truncated, overlapping or malformed
        raise _LoadError(f"[load] {fname!r} is truncated or corrupted (safetensors: {e})") from None
    n = int.from_bytes(data[:8], "little")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise _LoadError(f"[load] {fname!r} has a corrupted header: {e}") from None
    meta = header.get("__metadata__") or {}
    arrays = {}
    for name, info in entries:
        st_dt = info["dtype"]
        if st_dt not in _ST_TO_EMBER:
            raise _LoadError(f"[load] {fname!r}: tensor {name!r} has dtype {st_dt}, which ember does not support "
                             f"(expected one of {', '.join(sorted(_ST_TO_EMBER))})")
        npdt = _ST_DTYPES[_ST_TO_EMBER[st_dt]][1]
        arrays[name] = (np.frombuffer(info["data"], dtype=np.dtype(npdt).newbyteorder("<"))
                        .reshape(info["shape"]), _ST_TO_EMBER[st_dt])
    if "ember" not in meta:  # someone else's safetensors file: a flat dict of tensors
        out = OrderedDict()
        for name in sorted(arrays, key=lambda k: header[k]["data_offsets"][0]):
            arr, dt = arrays[name]
            out[name] = _finish_tensor(arr, dt, _map_device("cpu", map_location, fname), False, False)
        return out
    try:
        doc = json.loads(meta["ember"])
        tree, infos = doc["tree"], doc["tensors"]
        if not isinstance(infos, dict) or doc.get("version") != _FORMAT_VERSION:
            raise ValueError(f"unsupported ember format version {doc.get('version')!r}")
    except (ValueError, KeyError, TypeError) as e:
        raise _LoadError(f"[load] {fname!r} has corrupted ember metadata: {e}") from None

    built = {}

    def get_tensor(name):
        if name in built:
            return built[name]
        if name not in arrays or name not in infos:
            raise _LoadError(f"[load] {fname!r} is corrupted: tensor {name!r} is missing")
        arr, st_dt = arrays[name]
        info = infos[name]
        dt = info.get("dtype", st_dt)
        if _ST_DTYPES.get(dt, (None,))[0] != _ST_DTYPES[st_dt][0]:
            raise _LoadError(f"[load] {fname!r} is corrupted: tensor {name!r} stored as {st_dt}, recorded as {dt}")
        dev = _map_device(str(info.get("device", "cpu")), map_location, fname)
        t = _finish_tensor(arr, dt, dev, bool(info.get("requires_grad")), bool(info.get("parameter")))
        built[name] = t
        return t

    try:
        return _decode(tree, get_tensor)
    except _LoadError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise _LoadError(f"[load] {fname!r} has corrupted ember metadata: {type(e).__name__}: {e}") from None


def _decode(node, get_tensor, depth=0):
    if depth > 1000:
        raise ValueError("nesting too deep")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, get_tensor, depth + 1) for v in node]
    if not isinstance(node, dict):
        raise TypeError(f"unexpected JSON node {type(node).__name__}")
    tag = node["$t"]
    if tag == "tensor":
        return get_tensor(node["name"])
    if tag == "dict":
        cls = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}[node["cls"]]
        keys = [_decode(k, get_tensor, depth + 1) for k in node["k"]]
        vals = [_decode(v, get_tensor, depth + 1) for v in node["v"]]
        if len(keys) != len(vals):
            raise ValueError("dict keys and values differ in length")
        out = cls()
        for k, v in zip(keys, vals):
            out[k] = v
        if "meta" in node:
            out._metadata = _decode(node["meta"], get_tensor, depth + 1)
        return out
    if tag == "tuple":
        return tuple(_decode(v, get_tensor, depth + 1) for v in node["v"])
    if tag == "float":
        return float(node["v"])
    if tag == "dtype":
        return _dtype_by_name(node["v"])
    if tag == "device":
        return _device_cls(node["v"])
    raise ValueError(f"unknown node type {tag!r}")


# ============================================================== load: PyTorch files

_TORCH_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32", "ByteStorage": "uint8",
    "BoolStorage": "bool", "UntypedStorage": "uint8",
}
_TORCH_NP = {"float32": "<f4", "float64": "<f8", "float16": "<f2", "bfloat16": "<u2", "int64": "<i8",
             "int32": "<i4", "uint8": "u1", "bool": "?"}
_TORCH_DTYPE_NAMES = {d.name for d in _ALL_DTYPES} | {"float", "double", "half", "long", "int"}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType:
    def __init__(self, dtype_name):
        self.dtype_name = dtype_name


class _StorageRef:
    def __init__(self, key, dtype_name, location, numel):
        self.key, self.dtype_name, self.location, self.numel = key, dtype_name, location, numel


class _TensorRef:
    """A tensor whose storage bytes are read after unpickling (the legacy format stores
    them after the pickle)."""

    def __init__(self, storage, offset, size, stride, requires_grad):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad = requires_grad
        self.parameter = False


def _int_tuple(x, what, fname):
    if not isinstance(x, (tuple, list)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in x):
        raise pickle.UnpicklingError(f"[load] {fname!r} is corrupted: tensor {what} is not a tuple of ints")
    return tuple(x)


def _make_restricted_unpickler(fname, storage_dtypes_seen):
    def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                          metadata=None):
        if not isinstance(storage, _StorageRef):
            raise pickle.UnpicklingError(f"[load] {fname!r} is corrupted: a tensor without a storage")
        if not isinstance(storage_offset, int) or storage_offset < 0:
            raise pickle.UnpicklingError(f"[load] {fname!r} is corrupted: bad storage offset {storage_offset!r}")
        size = _int_tuple(size, "size", fname)
        stride = _int_tuple(stride, "stride", fname)
        if len(size) != len(stride) or any(s < 0 for s in size) or any(s < 0 for s in stride):
            raise pickle.UnpicklingError(f"[load] {fname!r} is corrupted: size {size} / stride {stride}")
        return _TensorRef(storage, storage_offset, size, stride, bool(requires_grad))

    def rebuild_parameter(data, requires_grad, backward_hooks, *state):
        if not isinstance(data, _TensorRef):
            raise pickle.UnpicklingError(f"[load] {fname!r} is corrupted: a parameter without tensor data")
        data.requires_grad = bool(requires_grad)
        data.parameter = True
        return data

    def torch_size(*args):
        return tuple(*args)

    allowed = {
        ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter,
        ("collections", "OrderedDict"): OrderedDict,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "list"): list,
        ("builtins", "dict"): dict,
        ("builtins", "tuple"): tuple,
        ("torch", "Size"): torch_size,
    }

    class RestrictedUnpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) in allowed:
                return allowed[(module, name)]
            if module in ("torch", "torch.storage") and name in _TORCH_STORAGE_DTYPES:
                return _StorageType(_TORCH_STORAGE_DTYPES[name])
            if module == "torch" and name in _TORCH_DTYPE_NAMES:
                return _dtype_by_name({"float": "float32", "double": "float64", "half": "float16",
                                       "long": "int64", "int": "int32"}.get(name, name))
            raise pickle.UnpicklingError(
                f"[load] {fname!r}: refuses to load global '{module}.{name}' (only tensors and plain "
                "containers are allowed; ember never runs code from a checkpoint)"
            )

        def persistent_load(self, pid):
            if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
                raise pickle.UnpicklingError(f"[load] {fname!r}: refuses to load persistent id {pid!r:.80} "
                                             "(only tensor storages are allowed)")
            stype, key, location, numel = pid[1], pid[2], pid[3], pid[4]
            if isinstance(stype, _StorageType):
                dtype_name = stype.dtype_name
            elif stype in _ALL_DTYPES:  # newer pickles may name a dtype
                dtype_name = stype.name
            else:
                raise pickle.UnpicklingError(f"[load] {fname!r} is corrupted: unknown storage type {stype!r:.80}")
            if not isinstance(key, str) or not isinstance(numel, int) or numel < 0 or \
                    not isinstance(location, str):
                raise pickle.UnpicklingError(f"[load] {fname!r} is corrupted: bad storage id {pid!r:.120}")
            storage_dtypes_seen[key] = dtype_name
            return _StorageRef(key, dtype_name, location, numel)

    return RestrictedUnpickler


def _materialize(obj, fetch, memo, depth=0):
    """Replaces every _TensorRef in the unpickled tree by an ember tensor."""
    if depth > 1000:
        raise pickle.UnpicklingError("[load] the checkpoint nests deeper than 1000 levels")
    if isinstance(obj, _TensorRef):
        if id(obj) not in memo:
            memo[id(obj)] = fetch(obj)
        return memo[id(obj)]
    if isinstance(obj, dict):
        for k in list(obj.keys()):
            obj[k] = _materialize(obj[k], fetch, memo, depth + 1)
        meta = getattr(obj, "_metadata", None)
        if meta is not None:
            obj._metadata = _materialize(meta, fetch, memo, depth + 1)
        return obj
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            obj[i] = _materialize(v, fetch, memo, depth + 1)
        return obj
    if isinstance(obj, tuple):
        return tuple(_materialize(v, fetch, memo, depth + 1) for v in obj)
    if isinstance(obj, (set, frozenset)):
        return type(obj)(_materialize(v, fetch, memo, depth + 1) for v in obj)
    if isinstance(obj, (_StorageRef, _StorageType)):
        raise pickle.UnpicklingError("[load] bare storages are not supported: save tensors instead")
    return obj


def _tensor_from_storage(ref, storage_bytes, byteorder, map_location, fname):
    st = ref.storage
    npdt = np.dtype(_TORCH_NP[st.dtype_name])
    if byteorder == "big":
        npdt = npdt.newbyteorder(">")
    if len(storage_bytes) < st.numel * npdt.itemsize:
        raise _LoadError(f"[load] {fname!r} is truncated: storage {st.key!r} holds {len(storage_bytes)} bytes, "
                         f"expected {st.numel * npdt.itemsize}")
    flat = np.frombuffer(storage_bytes, dtype=npdt, count=st.numel)
    if any(s == 0 for s in ref.size):
        arr = np.zeros(ref.size, dtype=npdt)
    else:
        last = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride))
        if last >= st.numel:
            raise _LoadError(f"[load] {fname!r} is corrupted: a tensor of size {ref.size}, stride {ref.stride}, "
                             f"offset {ref.offset} reaches past its storage of {st.numel} elements")
        arr = np.lib.stride_tricks.as_strided(flat[ref.offset:], shape=ref.size,
                                              strides=tuple(s * npdt.itemsize for s in ref.stride))
    arr = _contig(arr).astype(npdt.newbyteorder("="), copy=False)
    dev = _map_device(_torch_location(st.location), map_location, fname)
    return _finish_tensor(arr, st.dtype_name, dev, ref.requires_grad, ref.parameter)


def _torch_location(loc):
    return "cpu" if loc.startswith("cpu") else loc


def _load_torch_zip(data, fname, map_location):
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise _LoadError(f"[load] {fname!r} is a truncated or corrupted zip checkpoint: {e}") from None
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pkl:
        raise _LoadError(f"[load] {fname!r} is a zip file without data.pkl: not a PyTorch checkpoint")
    prefix = pkl[0][: -len("data.pkl")]
    byteorder = "little"
    try:
        if prefix + "byteorder" in names:
            byteorder = zf.read(prefix + "byteorder").decode("ascii").strip()
        pickled = zf.read(pkl[0])
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, EOFError) as e:
        raise _LoadError(f"[load] {fname!r} is a truncated or corrupted zip checkpoint: {e}") from None
    if byteorder not in ("little", "big"):
        raise _LoadError(f"[load] {fname!r} is corrupted: byteorder {byteorder!r}")
    Unpickler = _make_restricted_unpickler(fname, {})
    obj = _unpickle(Unpickler, io.BytesIO(pickled), fname)
    cache = {}

    def fetch(ref):
        key = ref.storage.key
        if key not in cache:
            member = prefix + "data/" + key
            try:
                cache[key] = zf.read(member)
            except KeyError:
                raise _LoadError(f"[load] {fname!r} is corrupted: storage {member!r} is missing") from None
            except (zipfile.BadZipFile, OSError, EOFError) as e:
                raise _LoadError(f"[load] {fname!r} is truncated or corrupted reading {member!r}: {e}") from None
        return _tensor_from_storage(ref, cache[key], byteorder, map_location, fname)

    return _materialize(obj, fetch, {})


def _unpickle(Unpickler, fh, fname):
    try:
        return Unpickler(fh).load()
    except pickle.UnpicklingError as e:
        if str(e).startswith("[load]"):
            raise  # our refusal of a global, or our own consistency checks
        raise _LoadError(f"[load] {fname!r} is truncated or corrupted: UnpicklingError: {e}") from None
    except _LoadError:
        raise
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
            MemoryError, UnicodeDecodeError, RecursionError) as e:
        raise _LoadError(f"[load] {fname!r} is truncated or corrupted: {type(e).__name__}: {e}") from None


def _load_torch_legacy(data, fname, map_location):
    fh = io.BytesIO(data)
    seen = {}
    Unpickler = _make_restricted_unpickler(fname, seen)
    magic = _unpickle(Unpickler, fh, fname)
    if magic != _LEGACY_MAGIC:
        raise _LoadError(f"[load] {fname!r} is not a PyTorch checkpoint (a plain pickle; ember loads tensors "
                         "and plain containers from torch.save files and safetensors only)")
    _unpickle(Unpickler, fh, fname)  # protocol version
    sys_info = _unpickle(Unpickler, fh, fname)
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    obj = _unpickle(Unpickler, fh, fname)
    keys = _unpickle(Unpickler, fh, fname)
    if not isinstance(keys, list):
        raise _LoadError(f"[load] {fname!r} is corrupted: the storage key list is missing")
    order = "little" if little else "big"
    storages = {}
    for key in keys:
        if key not in seen:
            raise _LoadError(f"[load] {fname!r} is corrupted: unknown storage {key!r}")
        head = fh.read(8)
        if len(head) != 8:
            raise _LoadError(f"[load] {fname!r} is truncated: storage {key!r} is missing")
        numel = int.from_bytes(head, order, signed=True)
        itemsize = np.dtype(_TORCH_NP[seen[key]]).itemsize
        if numel < 0 or numel * itemsize > len(data):
            raise _LoadError(f"[load] {fname!r} is corrupted: storage {key!r} claims {numel} elements")
        raw = fh.read(numel * itemsize)
        if len(raw) != numel * itemsize:
            raise _LoadError(f"[load] {fname!r} is truncated: storage {key!r} has {len(raw)} of "
                             f"{numel * itemsize} bytes")
        storages[key] = raw

    def fetch(ref):
        key = ref.storage.key
        if key not in storages:
            raise _LoadError(f"[load] {fname!r} is corrupted: storage {key!r} is missing")
        return _tensor_from_storage(ref, storages[key], order, map_location, fname)

    return _materialize(obj, fetch, {})


# ============================================================== load


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Loads what ``save`` wrote, a safetensors file, or a PyTorch ``.pt``/``.pth`` file.

    Tensors come back as ember tensors on their saved device (or ``map_location``: a
    device, a string or a dict {saved: target}). PyTorch files go through a restricted
    unpickler: only tensors, parameters and plain containers; any other object raises
    pickle.UnpicklingError without running anything. ``weights_only=False`` is accepted
    but changes nothing: ember never executes code from a checkpoint.
    """
    fname = _fname(f)
    if map_location is not None:
        _map_device("cpu", map_location, fname)  # argument errors surface before reading anything
    if isinstance(f, (str, bytes, os.PathLike)):
        if not os.path.exists(f):
            raise FileNotFoundError(f"[load] no such file: {fname!r}")
        if os.path.isdir(f):
            raise IsADirectoryError(f"[load] {fname!r} is a directory, expected a checkpoint file")
        with open(f, "rb") as fh:
            data = fh.read()
    elif hasattr(f, "read"):
        data = f.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"[load] expected a binary file, got one returning {type(data).__name__}")
    else:
        raise TypeError(f"[load] expected a path or a readable binary file, got {type(f).__name__}")
    if len(data) == 0:
        raise _LoadError(f"[load] {fname!r} is empty (a truncated checkpoint?)")
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _load_torch_zip(data, fname, map_location)
    # safetensors first: its 8-byte header length may start with 0x80 too, but only it
    # has a JSON header that fits in the file (a pickle's first 8 bytes read as a huge length).
    if len(data) >= 9 and data[8:9] == b"{" and 8 + int.from_bytes(data[:8], "little") <= len(data):
        return _load_safetensors(data, fname, map_location)
    if data[:1] == b"\x80":  # a pickle stream: the legacy torch.save format
        return _load_torch_legacy(data, fname, map_location)
    if len(data) >= 9 and data[8:9] == b"{":  # a safetensors header longer than the file
        return _load_safetensors(data, fname, map_location)
    if len(data) < 9:
        raise _LoadError(f"[load] {fname!r} is truncated: {len(data)} bytes")
    raise _LoadError(f"[load] {fname!r} is not a checkpoint ember can read (expected safetensors or a "
                     f"PyTorch .pt file; the file starts with {bytes(data[:8])!r})")
