import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_raises_in_child, needs_torch, torch


def test_dropout_statistics_and_scale():
    ember.manual_seed(0)
    x = ember.ones(200, 500)
    y = F.dropout(x, p=0.3).numpy()
    frac = (y == 0).mean()
    assert abs(frac - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_reproducible_with_manual_seed():
    x = ember.randn(50, 40)
    ember.manual_seed(123)
    a = F.dropout(x, 0.5).numpy()
    ember.manual_seed(123)
    b = F.dropout(x, 0.5).numpy()
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_edge_p_and_eval():
    x = ember.randn(10, 10)
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((10, 10), np.float32))
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.5, training=False) is x
    m = nn.Dropout(0.5)
    m.eval()
    assert m(x) is x
    for cls in (nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout):
        mm = cls(0.4).eval()
        xx = ember.randn(2, 3, 4, 4) if cls is nn.Dropout2d else ember.randn(2, 3, 4)
        np.testing.assert_array_equal(mm(xx).numpy(), xx.numpy())


def test_dropout_gradient_is_mask_times_scale():
    ember.manual_seed(1)
    x = ember.randn(30, 30, requires_grad=True)
    y = F.dropout(x, 0.25)
    y.sum().backward()
    yn, xn = y.detach().numpy(), x.detach().numpy()
    mask = (yn != 0)
    np.testing.assert_allclose(x.grad.numpy(), mask / 0.75, rtol=1e-6)
    np.testing.assert_allclose(yn[mask], xn[mask] / 0.75, rtol=1e-5)


def test_dropout_inplace():
    ember.manual_seed(2)
    x = ember.ones(20, 20)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (8, 16, 5)), (F.dropout1d, (16, 5)),
                                      (F.dropout2d, (8, 16, 3, 3)), (F.dropout2d, (16, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    ember.manual_seed(3)
    y = fn(ember.ones(*shape), 0.5).numpy()
    lead = 2 if len(shape) in (3, 4) and shape[0] == 8 else 1
    per_chan = y.reshape(int(np.prod(shape[:lead])), -1)
    for row in per_chan:
        assert len(np.unique(row)) == 1 and row[0] in (0.0, 2.0)
    assert 0 < (per_chan[:, 0] == 0).mean() < 1


def test_channel_dropout_bad_rank():
    with pytest.raises(RuntimeError, match="dropout2d"):
        F.dropout2d(ember.ones(3, 3), 0.5)


def test_alpha_dropout_keeps_mean_and_std():
    ember.manual_seed(4)
    x = ember.randn(200000)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    assert F.alpha_dropout(x, 0.2) is x  # training defaults to False


@needs_torch
def test_alpha_dropout_affine_constants_match_torch():
    # every output is either a * x + b (kept) or the constant a * alpha * (p - 1) (dropped), in both libraries
    p, alpha = 0.3, 1.7580993408473766
    a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    xn = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
    ye = F.alpha_dropout(ember.tensor(xn), p, training=True).numpy()
    yt = torch.nn.functional.alpha_dropout(torch.tensor(xn), p, training=True).numpy()
    for y in (ye, yt):
        kept = np.isclose(y, a * xn + alpha * a * p, atol=1e-5)
        np.testing.assert_allclose(y[~kept], a * alpha * (p - 1), rtol=1e-5)
        assert abs((~kept).mean() - p) < 0.03


@needs_torch
def test_module_reprs_match_torch():
    for name, args in [("Dropout", ()), ("Dropout", (0.2, True)), ("Dropout1d", (0.1,)), ("Dropout2d", ()),
                       ("AlphaDropout", (0.3,))]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_bad_p_raises():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(ember.ones(2), -0.1)
    assert_raises_in_child("ember.nn.functional.dropout(ember.ones(3), p=1.5)", "ValueError",
                           "dropout probability has to be between 0 and 1, but got 1.5")
