"""MNIST and FashionMNIST from IDX files the user already has (no download).

IDX layout (big-endian): two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64), the number of dims, one uint32 per dim, then
the data in row-major order. Files may be gzipped (``.gz``); both the usual
``train-images-idx3-ubyte`` names and the ``train-images.idx3-ubyte`` spelling are found,
in ``root``, ``root/<ClassName>/raw`` (torchvision's layout) or ``root/<ClassName>``.
"""
import gzip
import os

import numpy as np

from .._ops.creation import from_numpy
from ..utils.data import Dataset
from ._common import check_no_download, find_file, to_image_tensor

__all__ = ["read_idx", "MNIST", "FashionMNIST"]

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """An IDX file (optionally gzipped) as a NumPy array; ValueError names a malformed file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[read_idx] file not found: {path}")
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(f"[read_idx] {path}: corrupt gzip data ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise ValueError(f"[read_idx] {path} is not an IDX file: expected magic 00 00 <type> <ndim>, "
                         f"got {raw[:4].hex(' ') or 'an empty file'}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"[read_idx] {path}: truncated header ({len(raw)} bytes for {ndim} dims)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = header + int(np.prod(shape, dtype=object)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"[read_idx] {path}: expected {expected} bytes for shape {shape} of {dtype.name}, "
                         f"got {len(raw)}")
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


class MNIST(Dataset):
    """MNIST from local IDX files: ``MNIST(root, train=True, transform=None, target_transform=None)``.

    A sample is ``(image, target)``: image a float32 tensor (1, 28, 28) in [0, 1] (what
    torchvision's ToTensor gives), target an int. ``data`` (uint8, N x 28 x 28) and
    ``targets`` (int64) hold the whole split, as in torchvision.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        op = type(self).__name__
        check_no_download(op, download)
        if not isinstance(train, bool):
            raise TypeError(f"[{op}] train must be a bool, got {type(train).__name__}")
        root = os.path.expanduser(os.fspath(root))
        dirs = [root, os.path.join(root, op, "raw"), os.path.join(root, op)]
        prefix = "train" if train else "t10k"
        files = []
        for kind, suffix in (("images", "idx3-ubyte"), ("labels", "idx1-ubyte")):
            names = [f"{prefix}-{kind}-{suffix}", f"{prefix}-{kind}-{suffix}.gz", f"{prefix}-{kind}.{suffix}",
                     f"{prefix}-{kind}.{suffix}.gz"]
            files.append(find_file(op, dirs, names))
        images, labels = read_idx(files[0]), read_idx(files[1])
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"[{op}] {files[0]}: expected uint8 images of 3 dims (N, H, W), "
                             f"got {images.dtype} {images.shape}")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(f"[{op}] {files[1]}: expected {images.shape[0]} labels of 1 dim, got shape {labels.shape}")
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        self.data = from_numpy(np.ascontiguousarray(images))
        self.targets = from_numpy(labels.astype(np.int64))
        self._images, self._labels = images, labels.astype(np.int64)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        img, target = to_image_tensor(self._images[index]), int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class FashionMNIST(MNIST):
    """Fashion-MNIST from local IDX files (same format and API as MNIST)."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
