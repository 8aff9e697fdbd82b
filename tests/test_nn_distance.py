"""cosine_similarity / pairwise_distance and their modules against PyTorch."""
import math

import pytest

import ember
from helpers import compare_with_torch


@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((3, 4, 5), (1, 4, 5)), -1), (((6,), (6,)), 0),
                                        (((2, 3, 4), (2, 3, 4)), 0)])
def test_cosine_similarity_matches_torch(shapes, dim):
    compare_with_torch(lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=dim), *shapes)


def test_cosine_similarity_zero_vector_is_zero():
    out = ember.nn.CosineSimilarity(dim=0)(ember.zeros(3), ember.ones(3))
    assert out.item() == 0.0


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf, 0.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(p, keepdim):
    grad = p != 0.0
    compare_with_torch(lambda lib, a, b: lib.nn.PairwiseDistance(p=p, keepdim=keepdim)(a, b), (5, 7), (5, 7),
                       grad=grad, rtol=1e-4, atol=1e-5)
