"""Smaller torch.nn pieces: shrink activations, normalize, channel shuffle, gumbel_softmax,
margin losses, pdist, triu/tril_indices, feature alpha dropout; against PyTorch."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from helpers import compare_with_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


@pytest.mark.parametrize("name", ["hardshrink", "softshrink"])
@pytest.mark.parametrize("lambd", [0.5, 1.2])
def test_shrink_matches_torch(name, lambd):
    compare_with_torch(lambda lib, x: getattr(lib.nn.functional, name)(x, lambd), (6, 7))


def test_shrink_modules_and_softmax2d_repr():
    if torch is None:
        pytest.skip("PyTorch is not installed")
    for e, t in [(ember.nn.Hardshrink(0.3), torch.nn.Hardshrink(0.3)), (ember.nn.Softshrink(), torch.nn.Softshrink()),
                 (ember.nn.Softmax2d(), torch.nn.Softmax2d()), (ember.nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3)),
                 (ember.nn.FeatureAlphaDropout(0.2), torch.nn.FeatureAlphaDropout(0.2))]:
        assert repr(e) == repr(t)


def test_softmax2d_matches_torch():
    compare_with_torch(lambda lib, x: lib.nn.Softmax2d()(x), (2, 3, 4, 5))


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, -1), (3.0, 0)])
def test_normalize_matches_torch(p, dim):
    compare_with_torch(lambda lib, x: lib.nn.functional.normalize(x, p=p, dim=dim), (4, 5, 3))


def test_channel_shuffle_matches_torch():
    compare_with_torch(lambda lib, x: lib.nn.functional.channel_shuffle(x, 3), (2, 6, 4, 4))


def test_gumbel_softmax_is_a_distribution_and_hard_is_one_hot():
    ember.manual_seed(0)
    x = ember.randn(8, 5, requires_grad=True)
    y = F.gumbel_softmax(x, tau=0.5)
    np.testing.assert_allclose(y.detach().numpy().sum(1), 1.0, rtol=1e-5)
    h = F.gumbel_softmax(x, hard=True)
    hn = h.detach().numpy()
    assert set(np.unique(hn)) <= {0.0, 1.0} and (hn.sum(1) == 1).all()
    h.sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none", "sum"])
def test_multi_margin_loss_matches_torch(p, weighted, reduction):
    t = np.array([0, 3, 2, 4, 1])
    w = np.linspace(0.5, 2.0, 5).astype(np.float32)

    def fn(lib, x):
        kw = {"weight": lib.tensor(w)} if weighted else {}
        return lib.nn.MultiMarginLoss(p=p, margin=0.7, reduction=reduction, **kw)(x, lib.tensor(t))
    compare_with_torch(fn, (5, 5))


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_multilabel_margin_loss_matches_torch(reduction):
    t = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 2, 3]])
    compare_with_torch(lambda lib, x: lib.nn.MultiLabelMarginLoss(reduction=reduction)(x, lib.tensor(t)), (3, 4))


def test_multilabel_margin_loss_unbatched_matches_torch():
    compare_with_torch(lambda lib, x: lib.nn.functional.multilabel_margin_loss(x, lib.tensor(np.array([2, -1, 0]))),
                       (3,))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss_matches_torch(swap):
    def fn(lib, a, p, n):
        d = lambda x, y: 1.0 - lib.nn.functional.cosine_similarity(x, y)  # noqa: E731
        return lib.nn.TripletMarginWithDistanceLoss(distance_function=d, margin=0.5, swap=swap)(a, p, n)
    compare_with_torch(fn, (6, 4), (6, 4), (6, 4))
    compare_with_torch(lambda lib, a, p, n: lib.nn.functional.triplet_margin_with_distance_loss(a, p, n),
                       (6, 4), (6, 4), (6, 4))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_pdist_matches_torch(p):
    compare_with_torch(lambda lib, x: lib.nn.functional.pdist(x, p), (6, 3), rtol=1e-4)


@needs_torch
@pytest.mark.parametrize("args", [(4, 4, 0), (3, 5, 1), (5, 3, -1), (0, 0, 0), (4, 4, 5), (1, 6, -2)])
def test_tri_indices_match_torch(args):
    assert ember.triu_indices(*args).tolist() == torch.triu_indices(*args).tolist()
    assert ember.tril_indices(*args).tolist() == torch.tril_indices(*args).tolist()


def test_feature_alpha_dropout_drops_whole_channels_and_keeps_moments():
    ember.manual_seed(0)
    x = ember.randn(64, 32, 8, 8)
    y = F.feature_alpha_dropout(x, 0.3, training=True).numpy()
    xn = x.numpy()
    changed = (np.abs(y - xn).reshape(64, 32, -1) > 1e-6)
    per_channel = changed.mean(2)
    assert set(np.unique(per_channel)) <= {0.0, 1.0}  # a channel is dropped whole or kept whole
    assert abs(y.mean()) < 0.1 and abs(y.std() - 1.0) < 0.1
    assert F.feature_alpha_dropout(x, 0.3, training=False) is x
