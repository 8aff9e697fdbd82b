"""F.unfold / F.fold and nn.Unfold / nn.Fold against PyTorch (values and gradients)."""
import pytest

import ember
from helpers import assert_raises_in_child, compare_with_torch

CASES = [dict(kernel_size=3), dict(kernel_size=(2, 3), stride=2, padding=1, dilation=(1, 2)),
         dict(kernel_size=2, stride=2), dict(kernel_size=1)]


@pytest.mark.parametrize("kw", CASES)
def test_unfold_matches_torch(kw):
    compare_with_torch(lambda lib, x: lib.nn.functional.unfold(x, **kw), (2, 3, 7, 8))


@pytest.mark.parametrize("kw", CASES)
def test_fold_matches_torch(kw):
    import torch
    n_cols = torch.nn.functional.unfold(torch.zeros(1, 3, 7, 8), **kw).shape
    compare_with_torch(lambda lib, c: lib.nn.functional.fold(c, (7, 8), **kw), (2,) + tuple(n_cols[1:]))


def test_unbatched_and_modules():
    compare_with_torch(lambda lib, x: lib.nn.Unfold(2, stride=1)(x), (3, 5, 5))
    compare_with_torch(lambda lib, c: lib.nn.Fold((5, 5), 2)(c), (12, 16))


def test_fold_of_unfold_counts_window_overlaps():
    x = ember.ones(1, 1, 4, 4)
    y = ember.nn.functional.fold(ember.nn.functional.unfold(x, 2), (4, 4), 2)
    assert y[0, 0].tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]


def test_bad_input():
    assert_raises_in_child("ember.nn.functional.unfold(ember.zeros(2, 3), 2)", "RuntimeError", "[unfold]", "2D")
    assert_raises_in_child("ember.nn.functional.fold(ember.zeros(1, 7, 9), (4, 4), 2)", "RuntimeError", "[fold]",
                           "divisible")
    assert_raises_in_child("ember.nn.functional.fold(ember.zeros(1, 8, 5), (4, 4), 2)", "RuntimeError", "[fold]",
                           "sliding blocks")
