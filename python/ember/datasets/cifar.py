"""CIFAR-10 and CIFAR-100 from the binary versions the user already has (no download).

CIFAR-10 (cifar-10-batches-bin/): data_batch_1.bin .. data_batch_5.bin and test_batch.bin,
records of 1 label byte + 3072 image bytes (1024 red, 1024 green, 1024 blue, each 32x32
row-major). CIFAR-100 (cifar-100-binary/): train.bin and test.bin, records of a coarse
label byte, a fine label byte and the same 3072 image bytes. Files are looked up in
``root`` and in the folder the archive unpacks to.
"""
import os

import numpy as np

from .._ops.creation import from_numpy
from ..utils.data import Dataset
from ._common import check_no_download, find_file

__all__ = ["CIFAR10", "CIFAR100"]

_IMG = 3 * 32 * 32


def _read_records(op, path, n_labels):
    with open(path, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8)
    rec = n_labels + _IMG
    if raw.size == 0 or raw.size % rec:
        raise ValueError(f"[{op}] {path}: expected a whole number of {rec}-byte records, got {raw.size} bytes")
    raw = raw.reshape(-1, rec)
    return raw[:, n_labels:].reshape(-1, 3, 32, 32), raw[:, :n_labels].astype(np.int64)


class _CIFAR(Dataset):
    def _load(self, root, files, folder, n_labels):
        op = type(self).__name__
        dirs = [root, os.path.join(root, folder)]
        images, labels = [], []
        for name in files:
            im, lb = _read_records(op, find_file(op, dirs, [name]), n_labels)
            images.append(im)
            labels.append(lb)
        return np.concatenate(images), np.concatenate(labels)

    def _finish(self, root, train, transform, target_transform, images, targets):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        # torchvision keeps data as N x H x W x C uint8; samples are C x H x W floats.
        self.data = from_numpy(np.ascontiguousarray(images.transpose(0, 2, 3, 1)))
        self.targets = targets.tolist()
        self._images = images
        self._targets = targets

    def __len__(self):
        return len(self._images)

    def __getitem__(self, index):
        img = from_numpy(np.ascontiguousarray(self._images[index])).float().div_(255.0)
        target = self._target(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _target(self, index):
        return int(self._targets[index])

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}


def _label_names(root, name, n):
    """Class names from the archive's text file when present, else "0".."n-1"."""
    for d in (root, os.path.join(root, "cifar-100-binary")):
        p = os.path.join(d, name)
        if os.path.isfile(p):
            with open(p) as f:
                names = [line.strip() for line in f if line.strip()]
            if len(names) == n:
                return names
    return [str(i) for i in range(n)]


def _check_common(op, root, train, download):
    check_no_download(op, download)
    if not isinstance(train, bool):
        raise TypeError(f"[{op}] train must be a bool, got {type(train).__name__}")
    return os.path.expanduser(os.fspath(root))


class CIFAR10(_CIFAR):
    """CIFAR-10: ``CIFAR10(root, train=True, transform=None, target_transform=None)``.

    A sample is ``(image, target)``: a float32 tensor (3, 32, 32) in [0, 1] and an int.
    ``data`` is uint8 (N, 32, 32, 3) and ``targets`` a list of ints, as in torchvision.
    """

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        root = _check_common("CIFAR10", root, train, download)
        files = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
        images, labels = self._load(root, files, "cifar-10-batches-bin", 1)
        if labels.size and labels.max() > 9:
            raise ValueError(f"[CIFAR10] labels must be 0..9, found {int(labels.max())} in {root}")
        self._finish(root, train, transform, target_transform, images, labels[:, 0])


class CIFAR100(_CIFAR):
    """CIFAR-100: ``CIFAR100(root, train=True, transform=None, target_transform=None, target_type="fine")``.

    ``target_type`` picks the label: "fine" (100 classes, torchvision's default), "coarse"
    (20 superclasses) or "both" (a (fine, coarse) tuple). ``targets`` holds the fine
    labels and ``coarse_targets`` the coarse ones.
    """

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False,
                 target_type="fine"):
        root = _check_common("CIFAR100", root, train, download)
        if target_type not in ("fine", "coarse", "both"):
            raise ValueError(f"[CIFAR100] target_type must be 'fine', 'coarse' or 'both', got {target_type!r}")
        images, labels = self._load(root, ["train.bin" if train else "test.bin"], "cifar-100-binary", 2)
        coarse, fine = labels[:, 0], labels[:, 1]
        if fine.size and (fine.max() > 99 or coarse.max() > 19):
            raise ValueError(f"[CIFAR100] labels out of range (fine 0..99, coarse 0..19) in {root}")
        self.target_type = target_type
        self.coarse_targets = coarse.tolist()
        self._coarse = coarse
        self._finish(root, train, transform, target_transform, images, fine)
        self.classes = _label_names(root, "fine_label_names.txt", 100)
        self.coarse_classes = _label_names(root, "coarse_label_names.txt", 20)

    def _target(self, index):
        if self.target_type == "fine":
            return int(self._targets[index])
        if self.target_type == "coarse":
            return int(self._coarse[index])
        return int(self._targets[index]), int(self._coarse[index])
