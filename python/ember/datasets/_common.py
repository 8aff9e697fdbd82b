"""Helpers shared by the file-format datasets: locating files and wrapping images."""
import os

import numpy as np

from .._ops.creation import from_numpy

__all__ = ["find_file", "check_no_download", "to_image_tensor"]


def find_file(op, dirs, names):
    """The first existing path among dirs x names, else FileNotFoundError listing them."""
    tried = []
    for d in dirs:
        for n in names:
            p = os.path.join(d, n)
            if os.path.isfile(p):
                return p
            tried.append(p)
    raise FileNotFoundError(f"[{op}] file not found: expected {names[0]}; looked for {', '.join(tried)}")


def check_no_download(op, download):
    if download:
        raise ValueError(f"[{op}] ember never downloads: fetch the files yourself and pass their folder as root")


def to_image_tensor(arr):
    """uint8 (H, W) or (H, W, C) array -> float32 tensor (C, H, W) in [0, 1] (like ToTensor)."""
    if arr.ndim == 2:
        arr = arr[None]
    else:
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
    return from_numpy(np.ascontiguousarray(arr)).float().div_(255.0)
