"""ember.device: 'cpu', 'cuda', 'cuda:N'."""

__all__ = ["device"]


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"[device] expected a string like 'cpu' or 'cuda:0', got {type!r}")
        s = type
        if ":" in s:
            s, _, idx = s.partition(":")
            if index is not None:
                raise ValueError(f"[device] index given twice in {type!r}")
            try:
                index = int(idx)
            except ValueError:
                raise ValueError(f"[device] invalid device string {type!r}") from None
        if s not in ("cpu", "cuda"):
            raise ValueError(f"[device] expected device type 'cpu' or 'cuda', got {s!r}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"[device] device index must be a non-negative int, got {index!r}")
        self.type = s
        self.index = index if s == "cuda" else None

    @property
    def _key(self):
        return (1, self.index or 0) if self.type == "cuda" else (0, 0)

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self):
        return hash(self._key)

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")
_CUDA_DEVICES = {}


def from_array(arr):
    """The ember.device of a _C.Array."""
    if arr.device_type == 0:
        return CPU
    i = arr.device_index
    d = _CUDA_DEVICES.get(i)
    if d is None:
        d = _CUDA_DEVICES[i] = device("cuda", i)
    return d


def as_device(d):
    """(device_type, index) for the C++ side from a device, string, int or None (cpu)."""
    if d is None:
        return 0, 0
    if isinstance(d, int):
        return 1, d
    if not isinstance(d, device):
        d = device(d)
    return (1, d.index or 0) if d.type == "cuda" else (0, 0)
