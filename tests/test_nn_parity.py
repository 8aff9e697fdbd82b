"""Every layer against torch.nn built with the same arguments: repr, state_dict keys,
shapes and dtypes, parameter count, and the default initialisation's distribution
(the range and the moments of each parameter)."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LAYERS = [
    "Linear(300, 200)", "Linear(64, 32, bias=False)", "Bilinear(20, 30, 40)",
    "Conv1d(16, 32, 5, stride=2, padding=2)", "Conv2d(32, 64, 3, padding=1)", "Conv2d(64, 64, 3, groups=64)",
    "Conv2d(8, 16, (3, 5), stride=(2, 1), dilation=2, bias=False)", "Conv2d(8, 8, 3, padding='same', dilation=2)",
    "Conv2d(4, 8, 3, padding=1, padding_mode='reflect')",
    "ConvTranspose1d(32, 16, 4, stride=2, padding=1)", "ConvTranspose2d(64, 32, 3, stride=2, output_padding=1)",
    "ConvTranspose2d(16, 16, 3, groups=4)",
    "BatchNorm1d(64)", "BatchNorm2d(32, momentum=None)", "BatchNorm2d(16, affine=False)",
    "BatchNorm2d(16, track_running_stats=False)", "LayerNorm((16, 8))", "LayerNorm(32, elementwise_affine=False)",
    "GroupNorm(4, 32)", "InstanceNorm2d(16, affine=True, track_running_stats=True)", "InstanceNorm1d(8)",
    "LocalResponseNorm(5)", "Embedding(1000, 64, padding_idx=3)", "EmbeddingBag(500, 32, mode='sum')",
    "PReLU(16)", "PReLU()", "RReLU()", "Dropout(0.3)", "Dropout2d()", "AlphaDropout(0.2)",
    "MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", "AvgPool2d(2, count_include_pad=False)",
    "AdaptiveAvgPool2d((5, 7))", "AdaptiveMaxPool2d(3)", "MaxPool1d(2)", "AvgPool1d(3, stride=2)",
    "Upsample(scale_factor=2, mode='bilinear', align_corners=False)", "PixelShuffle(2)", "PixelUnshuffle(3)",
    "ZeroPad2d((1, 2, 3, 4))", "ReflectionPad1d(2)", "ReplicationPad2d(1)", "ConstantPad1d(3, 0.5)",
    "CosineSimilarity(dim=0)", "PairwiseDistance(p=1.0)", "Flatten(0, 2)", "Unflatten(1, (2, 5))", "Identity()",
    "Softmax(dim=1)", "LogSoftmax(dim=-1)", "GELU(approximate='tanh')", "Softplus(beta=2, threshold=10)",
    "Unfold(3, padding=1)", "Fold((8, 8), 2, stride=2)", "CrossEntropyLoss(label_smoothing=0.1)", "CTCLoss(blank=1)", "MultiMarginLoss(p=2)", "HuberLoss(delta=0.5)",
    "RNN(10, 20)", "RNN(10, 20, 2, nonlinearity='relu', bias=False, batch_first=True)",
    "LSTM(10, 20, num_layers=2, bidirectional=True, dropout=0.1)", "LSTM(16, 32, proj_size=8)", "GRU(8, 16, 2)",
    "GRU(8, 16, bidirectional=True, batch_first=True)", "RNNCell(10, 20, nonlinearity='relu')", "LSTMCell(10, 20)",
    "GRUCell(10, 20, bias=False)",
    "MultiheadAttention(64, 8)", "MultiheadAttention(32, 4, bias=False, kdim=16, vdim=24, add_bias_kv=True)",
    "TransformerEncoderLayer(32, 4, 64)", "TransformerDecoderLayer(32, 4, 64, norm_first=True, activation='gelu')",
    "Transformer(32, 4, 2, 2, 64)",
]


def _build(expr, lib):
    return eval(expr, {"nn": lib.nn}, {}) if expr.startswith("nn.") else eval(f"nn.{expr}", {"nn": lib.nn}, {})


@pytest.mark.parametrize("expr", LAYERS)
def test_layer_matches_torch_structure_and_init(expr):
    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = _build(expr, ember), _build(expr, torch)
    assert repr(e) == repr(t)
    esd, tsd = e.state_dict(), t.state_dict()
    assert list(esd) == list(tsd)
    for k in tsd:
        assert tuple(esd[k].shape) == tuple(tsd[k].shape), k
        assert str(esd[k].dtype).split(".")[-1] == str(tsd[k].dtype).split(".")[-1], k
    assert sum(p.numel() for p in e.parameters()) == sum(p.numel() for p in t.parameters())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    for (name, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        a, b = ep.detach().numpy().astype(np.float64), tp.detach().numpy().astype(np.float64)
        if b.std() == 0:  # constant inits (norm weights/biases, PReLU's 0.25): equal values
            np.testing.assert_array_equal(a, b, err_msg=name)
            continue
        # Same distribution: the same range (uniform inits) and moments, within sampling error.
        n = a.size
        assert abs(a.std() / b.std() - 1) < 0.1 + 3 / np.sqrt(n), (name, a.std(), b.std())
        assert abs(a.mean() - b.mean()) < 5 * b.std() / np.sqrt(n) + 1e-7, (name, a.mean(), b.mean())
        assert np.abs(a).max() <= np.abs(b).max() * 1.1 + 1e-7 or n < 50, name
        assert np.abs(a).max() >= np.abs(b).max() * 0.8 or n < 50, name


@pytest.mark.parametrize("expr", ["Linear(30, 20)", "Conv2d(3, 8, 3)", "BatchNorm2d(8)", "LayerNorm(8)",
                                  "Embedding(10, 4)", "GroupNorm(2, 8)"])
def test_state_dict_loads_across_libraries(expr):
    e, t = _build(expr, ember), _build(expr, torch)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    for k, v in e.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), t.state_dict()[k].detach().numpy())
