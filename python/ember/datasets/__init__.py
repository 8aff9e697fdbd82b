"""ember.datasets: data sets that need no download.

- ``load_digits`` / ``Digits``: 1,797 8x8 hand-written digits shipped inside ember
  (UCI ML hand-written digits, Alpaydin & Kaynak 1998, via scikit-learn; see
  data/README.md for the credit and licences).
- Readers for files you already have, from a path you give (ember never downloads):
  ``MNIST`` / ``FashionMNIST`` (IDX, gzipped or not), ``CIFAR10`` / ``CIFAR100`` (binary
  batches), ``ImageFolder`` (one folder per class; needs ``pip install ember[images]``)
  and ``CSVDataset`` (numeric CSV tables).

Image samples are float32 tensors (C, H, W) in [0, 1]; targets are ints.
"""
from .cifar import CIFAR10, CIFAR100
from .digits import Digits, load_digits
from .folder import IMG_EXTENSIONS, ImageFolder
from .mnist import MNIST, FashionMNIST, read_idx
from .tabular import CSVDataset

__all__ = ["load_digits", "Digits", "MNIST", "FashionMNIST", "read_idx", "CIFAR10", "CIFAR100", "ImageFolder",
           "IMG_EXTENSIONS", "CSVDataset"]
