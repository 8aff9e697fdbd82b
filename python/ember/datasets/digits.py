"""The hand-written digits that ship with ember: load_digits() and the Digits dataset.

1,797 8x8 grey images (values 0..16) of the digits 0-9, from the UCI ML hand-written
digits data set (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0) as distributed with
scikit-learn (BSD-3-Clause); see data/README.md. No download, no extra install.
"""
import os

import numpy as np

from .._ops.creation import from_numpy
from ..utils.data import Dataset, TensorDataset

__all__ = ["load_digits", "Digits"]

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.npz")
_N = 1797
# The fixed split: a permutation drawn once with NumPy's default_rng(0); the last 360
# samples (20%) are the test set.
_N_TEST = 360


def _arrays():
    if not os.path.isfile(_PATH):
        raise FileNotFoundError(f"[load_digits] the packaged data file is missing: {_PATH}")
    with np.load(_PATH) as f:
        images, labels = f["images"], f["labels"]
    if images.shape != (_N, 8, 8) or labels.shape != (_N,):
        raise ValueError(f"[load_digits] {_PATH} is malformed: images {images.shape}, labels {labels.shape}")
    return images, labels


def load_digits(*, as_dataset=False, flatten=True):
    """The 1,797 digits as ``(X, y)`` tensors, or a TensorDataset when ``as_dataset=True``.

    X is float32 with the raw pixel values 0..16 (as scikit-learn's load_digits), of shape
    (1797, 64) when ``flatten`` (the default) or (1797, 1, 8, 8) for convolutional nets;
    y is int64 in 0..9.
    """
    if not isinstance(as_dataset, bool) or not isinstance(flatten, bool):
        raise TypeError(f"[load_digits] as_dataset and flatten must be bools, got {as_dataset!r}, {flatten!r}")
    images, labels = _arrays()
    x = images.astype(np.float32).reshape((_N, 64) if flatten else (_N, 1, 8, 8))
    X, y = from_numpy(x), from_numpy(labels.astype(np.int64))
    return TensorDataset(X, y) if as_dataset else (X, y)


class Digits(Dataset):
    """The packaged digits with a fixed train/test split (1,437 / 360 samples).

    A sample is ``(image, target)``: image a float32 tensor (1, 8, 8) scaled to [0, 1]
    (pixel / 16), target an int; ``transform`` / ``target_transform`` are applied to them.
    ``data`` (uint8, N x 8 x 8) and ``targets`` (int64) hold the whole split.
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, train=True, transform=None, target_transform=None):
        if not isinstance(train, bool):
            raise TypeError(f"[Digits] train must be a bool, got {type(train).__name__}")
        images, labels = _arrays()
        perm = np.random.default_rng(0).permutation(_N)
        idx = perm[: _N - _N_TEST] if train else perm[_N - _N_TEST:]
        self.train = train
        self.data = from_numpy(np.ascontiguousarray(images[idx]))
        self.targets = from_numpy(labels[idx].astype(np.int64))
        self._images = (images[idx].astype(np.float32) / 16.0)[:, None]
        self._labels = labels[idx].astype(np.int64)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        img = from_numpy(self._images[index].copy())
        target = int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
