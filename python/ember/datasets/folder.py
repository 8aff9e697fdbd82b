"""ImageFolder: images sorted into one sub-folder per class (torchvision's layout).

``root/<class>/<file>``: class names are the sub-folder names, sorted, mapped to 0..C-1;
files are listed sorted within each class. PNG/JPEG/... are decoded by Pillow, an optional
extra (``pip install ember[images]``); by default a sample's image is a float32 tensor
(C, H, W) in [0, 1] with 3 (RGB) channels. Pass ``loader=`` (path -> anything, e.g.
``PIL.Image.open``) to load files another way.
"""
import os

import numpy as np

from ..utils.data import Dataset
from ._common import to_image_tensor

__all__ = ["ImageFolder", "IMG_EXTENSIONS", "pil_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _pil(op):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"[{op}] decoding images needs Pillow: install it with pip install ember[images]") from None
    return Image


def pil_loader(path):
    """Decodes an image file to a float32 RGB tensor (3, H, W) in [0, 1]."""
    Image = _pil("ImageFolder")
    try:
        with Image.open(path) as img:
            arr = np.asarray(img.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as e:
        raise ValueError(f"[ImageFolder] cannot decode image {path}: {e}") from None
    return to_image_tensor(arr)


class ImageFolder(Dataset):
    """``ImageFolder(root, transform=None, target_transform=None, loader=None, is_valid_file=None,
    allow_empty=False)``; ``classes``, ``class_to_idx``, ``samples`` / ``imgs`` and ``targets``
    as in torchvision."""

    def __init__(self, root, transform=None, target_transform=None, loader=None, is_valid_file=None,
                 allow_empty=False):
        root = os.path.expanduser(os.fspath(root))
        if not os.path.isdir(root):
            raise FileNotFoundError(f"[ImageFolder] root folder not found: {root}")
        if loader is None:
            _pil("ImageFolder")
            loader = pil_loader
        elif not callable(loader):
            raise TypeError(f"[ImageFolder] loader must be callable, got {type(loader).__name__}")
        classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
        if not classes:
            raise FileNotFoundError(f"[ImageFolder] couldn't find any class folder in {root}")
        class_to_idx = {c: i for i, c in enumerate(classes)}
        valid = is_valid_file or (lambda p: p.lower().endswith(IMG_EXTENSIONS))
        samples, empty = [], []
        for c in classes:
            found = []
            for dirpath, _, fnames in sorted(os.walk(os.path.join(root, c), followlinks=True)):
                for fname in sorted(fnames):
                    path = os.path.join(dirpath, fname)
                    if valid(path):
                        found.append((path, class_to_idx[c]))
            if not found:
                empty.append(c)
            samples.extend(found)
        if empty and not allow_empty:
            raise FileNotFoundError(f"[ImageFolder] found no valid file for the classes {', '.join(empty)} in {root}. "
                                    f"Supported extensions are: {', '.join(IMG_EXTENSIONS)}")
        self.root, self.loader = root, loader
        self.transform, self.target_transform = transform, target_transform
        self.classes, self.class_to_idx = classes, class_to_idx
        self.samples = samples
        self.imgs = samples
        self.targets = [s[1] for s in samples]

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target
