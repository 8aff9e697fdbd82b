"""The Python layer on CUDA tensors: modules, optimizers, checkpoints, data loading,
metrics, keras fit and the conversions follow their inputs' device, as in PyTorch.

Each training-step test builds one model, deep-copies it to the GPU and checks that one
step (loss, every parameter's gradient, the parameters after the optimizer step) equals
the same step on the CPU. Skips without a GPU; EMBER_CUDA_TEST_DEVICE=cpu runs what can
run with both sides on the CPU (a dry run of the tests themselves)."""
import copy
import os
import sys
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.models  # noqa: F401  (ember.models.MLP, LeNet5)

sys.path.insert(0, os.path.dirname(__file__))
from cuda_compare import DEV, DRY_RUN, host, skip_without_gpu, torch_cuda  # noqa: E402

pytestmark = pytest.mark.cuda
skip_without_gpu()

needs_gpu = pytest.mark.skipif(DRY_RUN, reason="checks CUDA-only behaviour")
DEVICE_TYPE = "cpu" if DRY_RUN else "cuda"


def on_dev(t):
    return t.device.type == DEVICE_TYPE


def rng(seed=0):
    return np.random.default_rng(seed)


def randn(*shape, seed=0):
    return ember.tensor(rng(seed).standard_normal(shape).astype(np.float32))


# ---------------------------------------------------------------- Module.to


class _Everything(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
        self.pos = nn.SinusoidalPositionalEncoding(8, max_len=16, dropout=0.0)
        self.rot = nn.RotaryEmbedding(8)
        self.register_buffer("plain", ember.arange(6))
        self.register_buffer("scratch", ember.zeros(2), persistent=False)


def _all_tensors(m):
    return list(m.named_parameters()) + list(m.named_buffers())


def test_module_to_moves_every_parameter_buffer_and_grad():
    m = _Everything()
    params = {n: p for n, p in m.named_parameters()}
    m.lin(randn(2, 4)).sum().backward()
    assert m.lin.weight.grad is not None
    r = m.to(DEV)
    assert r is m
    for name, t in _all_tensors(m):
        assert on_dev(t), name
    assert on_dev(m.lin.weight.grad) and on_dev(m.lin.bias.grad)
    assert on_dev(m.bn.num_batches_tracked) and m.bn.num_batches_tracked.dtype == ember.int64
    assert all(on_dev(w) for w in m.lstm._flat_weights)
    # parameters stay the same objects (an optimizer built before the move keeps them)
    for n, p in m.named_parameters():
        assert p is params[n]
    m.cpu()
    for name, t in _all_tensors(m):
        assert t.device.type == "cpu", name
    assert m.lin.weight.grad.device.type == "cpu"


@needs_gpu
def test_module_cuda_and_to_dtype_device():
    m = nn.Linear(3, 2)
    m.cuda()
    assert m.weight.device == ember.device("cuda", ember.cuda.current_device())
    m.to("cpu", ember.float64)
    assert m.weight.dtype == ember.float64 and m.weight.device.type == "cpu"
    m.to(ember.zeros(1, device="cuda", dtype=ember.float32))
    assert m.weight.is_cuda and m.weight.dtype == ember.float32


# ---------------------------------------------------------------- one training step, CPU vs CUDA


def _step_matches(model, make_batch, loss_fn, opt_cls=ember.optim.Adam, rtol=1e-4, atol=1e-5, **opt_kw):
    ember.manual_seed(0)
    cpu = model
    gpu = copy.deepcopy(model).to(DEV)
    x, y = make_batch()
    results = []
    for m, dev in ((cpu, "cpu"), (gpu, DEV)):
        opt = opt_cls(m.parameters(), **opt_kw)
        xb = x.to(dev) if isinstance(x, ember.Tensor) else x
        loss = loss_fn(m, xb, y.to(dev))
        opt.zero_grad()
        loss.backward()
        grads = {n: host(p.grad) for n, p in m.named_parameters() if p.grad is not None}
        opt.step()
        for p in m.parameters():
            assert p.device.type == ("cpu" if dev == "cpu" else DEVICE_TYPE)
            st = opt.state[p]
            for k, v in st.items():
                if isinstance(v, ember.Tensor) and v.dim() > 0:
                    assert v.device == p.device, (k, v.device, p.device)  # buffers live with the param
            if "step" in st:
                assert st["step"].device.type == "cpu"  # torch: the step count stays on the CPU
        results.append((float(loss.item()), grads, {n: host(p) for n, p in m.named_parameters()},
                        {n: host(b) for n, b in m.named_buffers()}))
    (lc, gc_, pc, bc), (lg, gg, pg, bg) = results
    assert abs(lc - lg) <= atol + rtol * abs(lc), (lc, lg)
    assert gc_.keys() == gg.keys()
    for n in gc_:
        np.testing.assert_allclose(gg[n], gc_[n], rtol=rtol, atol=atol, err_msg=n)
    for n in pc:
        np.testing.assert_allclose(pg[n], pc[n], rtol=rtol, atol=atol, err_msg=n)
    for n in bc:
        np.testing.assert_allclose(bg[n], bc[n], rtol=rtol, atol=atol, err_msg=n)


def _ce(m, x, y):
    return F.cross_entropy(m(x), y)


def test_mlp_step_matches_cpu():
    model = ember.models.MLP(in_features=20, num_classes=5, hidden=32, num_layers=2, dropout=0.0)
    _step_matches(model, lambda: (randn(16, 20), ember.tensor(rng(1).integers(0, 5, 16))), _ce, lr=1e-2)


def test_lenet_step_matches_cpu():
    model = ember.models.LeNet5(dropout=0.0)  # batch norm in training mode: running stats compared too
    _step_matches(model, lambda: (randn(8, 1, 8, 8), ember.tensor(rng(2).integers(0, 10, 8))), _ce,
                  opt_cls=ember.optim.SGD, lr=0.1, momentum=0.9, rtol=2e-4, atol=2e-5)


def test_lstm_step_matches_cpu():
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(11, 6)
            self.lstm = nn.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=True)
            self.head = nn.Linear(16, 4)

        def forward(self, idx):
            out, (h, c) = self.lstm(self.emb(idx))  # h0/c0 made on the input's device
            return self.head(out)

    def loss(m, x, y):
        return F.cross_entropy(m(x).reshape(-1, 4), y.reshape(-1))

    _step_matches(Tagger(), lambda: (ember.tensor(rng(3).integers(0, 11, (3, 7))),
                                     ember.tensor(rng(4).integers(0, 4, (3, 7)))), loss, rtol=2e-4, atol=2e-5)


def test_transformer_step_matches_cpu():
    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(13, 16)
            self.pos = nn.SinusoidalPositionalEncoding(16, max_len=32, dropout=0.0)
            layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, batch_first=True)
            self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(16, 13)

        def forward(self, idx):
            L = idx.shape[1]
            mask = nn.Transformer.generate_square_subsequent_mask(L, device=idx.device)
            return self.head(self.enc(self.pos(self.emb(idx)), mask=mask, is_causal=True))

    def loss(m, x, y):
        return F.cross_entropy(m(x).reshape(-1, 13), y.reshape(-1))

    _step_matches(Tiny(), lambda: (ember.tensor(rng(5).integers(0, 13, (2, 9))),
                                   ember.tensor(rng(6).integers(0, 13, (2, 9)))), loss,
                  opt_cls=ember.optim.AdamW, lr=1e-3, rtol=5e-4, atol=5e-5)


def test_causal_mask_detection_on_device():
    from ember.nn.modules.transformer import _detect_is_causal_mask, _generate_square_subsequent_mask

    mask = _generate_square_subsequent_mask(5, device=DEV)
    assert _detect_is_causal_mask(mask) is True  # compared on the mask's device, not the CPU


def test_kv_cache_and_rotary_on_device():
    cache = nn.KVCache(1)
    k = randn(1, 2, 3, 8).to(DEV)
    cache.update(0, k, k)
    cache.update(0, randn(1, 2, 2, 8, seed=1).to(DEV), randn(1, 2, 2, 8, seed=2).to(DEV))
    m = cache.mask(2)
    assert on_dev(m) and tuple(m.shape) == (2, 5)
    rot = nn.RotaryEmbedding(8)  # not moved: the table follows the queries
    q = randn(1, 2, 4, 8, seed=3).to(DEV)
    rq, rk = rot(q, q, offset=3)
    assert on_dev(rq) and on_dev(rk)
    cq, _ = rot(q.cpu(), q.cpu(), offset=3)
    np.testing.assert_allclose(host(rq), host(cq), rtol=1e-5, atol=1e-6)
    rq2, _ = rot(q, q, positions=ember.arange(3, 7))  # CPU positions, device queries
    np.testing.assert_allclose(host(rq2), host(cq), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- optimizer state, checkpoints


@pytest.mark.parametrize("opt_cls", [ember.optim.SGD, ember.optim.Adam, ember.optim.NAdam, ember.optim.ASGD,
                                     ember.optim.RMSprop, ember.optim.Adagrad])
def test_optimizer_state_on_param_device_and_reload(opt_cls, tmp_path):
    kw = {"lr": 0.01, "momentum": 0.9} if opt_cls is ember.optim.SGD else {"lr": 0.01}
    m = nn.Linear(5, 3).to(DEV)
    opt = opt_cls(m.parameters(), **kw)
    for s in range(2):
        opt.zero_grad()
        m(randn(4, 5, seed=s).to(DEV)).pow(2).sum().backward()
        opt.step()
    for p in m.parameters():
        for k, v in opt.state[p].items():
            if isinstance(v, ember.Tensor) and v.dim() > 0:
                assert v.device == p.device, k
    path = str(tmp_path / "ckpt.safetensors")
    ember.save({"model": m.state_dict(), "opt": opt.state_dict()}, path)
    ck = ember.load(path, map_location="cpu")
    assert all(t.device.type == "cpu" for t in ck["model"].values())
    # into a CPU copy and into a device copy: both continue identically (each reads the
    # file again: like torch, a loaded optimizer shares same-device state tensors with the dict)
    outs = []
    for dev in ("cpu", DEV):
        ck = ember.load(path, map_location="cpu")
        m2 = nn.Linear(5, 3).to(dev)
        m2.load_state_dict(ck["model"])
        o2 = opt_cls(m2.parameters(), **kw)
        o2.load_state_dict(ck["opt"])
        for p in m2.parameters():
            for k, v in o2.state[p].items():
                if isinstance(v, ember.Tensor) and v.dim() > 0:
                    assert v.device == p.device, k
        o2.zero_grad()
        m2(randn(4, 5, seed=9).to(dev)).pow(2).sum().backward()
        o2.step()
        outs.append(host(m2.weight))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


def test_module_state_dict_save_on_device_load_on_cpu(tmp_path):
    m = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)).to(DEV)
    m(randn(6, 4).to(DEV))
    path = str(tmp_path / "m.safetensors")
    ember.save(m.state_dict(), path)
    sd = ember.load(path, map_location="cpu")
    assert all(t.device.type == "cpu" for t in sd.values())
    m2 = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    m2.load_state_dict(sd)
    for (n, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        np.testing.assert_array_equal(host(a), host(b), err_msg=n)
    sd_dev = ember.load(path, map_location=DEV)
    assert all(on_dev(t) for t in sd_dev.values())


def test_clip_grad_norm_result_on_grads_device():
    ref = []
    for dev in ("cpu", DEV):
        m = nn.Linear(6, 4).to(dev)
        with ember.no_grad():
            m.weight.copy_(randn(4, 6, seed=1))
            m.bias.copy_(randn(4, seed=2))
        m(randn(3, 6).to(dev)).pow(2).sum().backward()
        total = nn.utils.clip_grad_norm_(m.parameters(), 0.5)
        assert total.device == m.weight.device
        ref.append((float(total), host(m.weight.grad)))
        inf = nn.utils.clip_grad_norm_(m.parameters(), 0.5, norm_type="inf")
        assert inf.device == m.weight.device
    assert abs(ref[0][0] - ref[1][0]) <= 1e-5 * abs(ref[0][0])
    np.testing.assert_allclose(ref[1][1], ref[0][1], rtol=1e-5, atol=1e-6)
    assert on_dev(nn.utils.penalty([ember.zeros(2, device=DEV)], 0.0, 0.0))


# ---------------------------------------------------------------- data loading


@needs_gpu
def test_dataloader_pin_memory_pins_batches():
    ds = ember.utils.data.TensorDataset(randn(10, 3), ember.arange(10))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batches = list(ember.utils.data.DataLoader(ds, batch_size=4, pin_memory=True))
    assert not [w for w in caught if "pin_memory" in str(w.message)]  # no "no accelerator" warning
    for x, y in batches:
        assert x.is_pinned() and y.is_pinned()
        xd = x.to("cuda", non_blocking=True)
        assert xd.is_cuda
    ember.cuda.synchronize()
    np.testing.assert_array_equal(host(batches[0][0]), host(ds.tensors[0][:4]))
    # dict batches through a custom collate are pinned too
    loader = ember.utils.data.DataLoader(ds, batch_size=5, pin_memory=True,
                                         collate_fn=lambda b: {"x": ember.stack([s[0] for s in b])})
    assert all(b["x"].is_pinned() for b in loader)


def test_dataloader_over_device_tensors():
    ds = ember.utils.data.TensorDataset(randn(10, 3).to(DEV), ember.arange(10).to(DEV))
    for x, y in ember.utils.data.DataLoader(ds, batch_size=4, shuffle=True):
        assert on_dev(x) and on_dev(y)


# ---------------------------------------------------------------- conversions and printing


@needs_gpu
def test_repr_item_tolist_numpy_on_cuda():
    t = ember.tensor([[1.5, -2.0], [3.0, 4.25]], device="cuda")
    assert "device='cuda:0'" in repr(t) and "1.5000" in repr(t)
    assert "device='cuda:0'" in repr(t.to(ember.bfloat16))
    assert t[1, 1].item() == 4.25 and isinstance(t[0, 0].item(), float)
    assert t.tolist() == [[1.5, -2.0], [3.0, 4.25]]
    assert int(ember.tensor(7, device="cuda")) == 7
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu\(\)"):
        t.numpy()
    np.testing.assert_array_equal(t.cpu().numpy(), [[1.5, -2.0], [3.0, 4.25]])
    assert t.type() == "ember.cuda.FloatTensor"
    assert ember.zeros(2, dtype=ember.int64, device="cuda").type() == "ember.cuda.LongTensor"


@needs_gpu
def test_mixed_device_error_names_both_devices():
    m = nn.Linear(3, 2).cuda()
    with pytest.raises(RuntimeError, match=r"(?s)(cpu.*cuda|cuda.*cpu)"):
        m(ember.zeros(4, 3))


# ---------------------------------------------------------------- ops the Python layer composes


def test_indexing_with_cpu_indices_and_values():
    x = randn(5, 4).to(DEV)
    idx = ember.tensor([4, 0, 2])  # CPU indices index a device tensor (torch's rule)
    np.testing.assert_array_equal(host(x[idx]), host(x.cpu()[idx]))
    mask = ember.tensor([True, False, True, False, True])
    np.testing.assert_array_equal(host(x[mask]), host(x.cpu()[mask]))
    y = x.clone()
    y[idx] = ember.zeros(3, 4)  # a CPU value into a device tensor
    assert on_dev(y) and float(y[0].abs().sum()) == 0.0
    y[[1, 3]] = 2.0
    assert float(y[1, 0]) == 2.0


def test_repeat_interleave_on_device():
    x = randn(3, 2).to(DEV)
    r = x.repeat_interleave(2, dim=0)
    assert on_dev(r)
    np.testing.assert_array_equal(host(r), host(x.cpu().repeat_interleave(2, dim=0)))
    reps = ember.tensor([1, 0, 3]).to(DEV)
    np.testing.assert_array_equal(host(x.repeat_interleave(reps, dim=0)),
                                  host(x.cpu().repeat_interleave(reps.cpu(), dim=0)))
    ri = ember.repeat_interleave(reps)
    assert on_dev(ri) and host(ri).tolist() == [0, 2, 2, 2]


def test_as_strided_backward_on_device():
    x = randn(6).to(DEV).requires_grad_(True)
    x.as_strided((3, 2), (1, 1)).sum().backward()  # overlapping windows
    xc = x.detach().cpu().requires_grad_(True)
    xc.as_strided((3, 2), (1, 1)).sum().backward()
    assert on_dev(x.grad)
    np.testing.assert_allclose(host(x.grad), host(xc.grad))


def test_functional_helpers_follow_input_device():
    x = randn(4, 5).to(DEV)
    y = F.rrelu(x, training=True)
    assert on_dev(y)
    t = randn(4, 5, seed=1).to(DEV)
    loss = F.gaussian_nll_loss(x, t, 0.5)  # a float var becomes a tensor on x's device
    ref = F.gaussian_nll_loss(x.cpu(), t.cpu(), 0.5)
    assert on_dev(loss) and abs(float(loss) - float(ref)) < 1e-5
    lrn = nn.LocalResponseNorm(3)
    a = randn(2, 4, 3, 3).to(DEV).requires_grad_(True)
    out = lrn(a)
    g, = ember.autograd.grad(out.sum(), [a], create_graph=True)  # composite backward (zeros on a's device)
    assert on_dev(g)
    fm = ember.fmax(x, t, out=ember.empty(4, 5, device=x.device))
    np.testing.assert_allclose(host(fm), np.fmax(host(x), host(t)))


def test_gradcheck_on_device():
    x = ember.tensor(rng(7).standard_normal((3, 2))).to(DEV).requires_grad_(True)
    assert ember.autograd.gradcheck(lambda a: (a * a).sum(dim=1).sin(), (x,))


# ---------------------------------------------------------------- metrics, keras, examples


def test_metrics_with_host_labels_and_device_predictions():
    y_pred = ember.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]).to(DEV)
    y_true = np.array([1, 0, 0])
    acc = ember.metrics.SparseCategoricalAccuracy()
    acc.update_state(y_true, y_pred)
    assert abs(acc.result() - 2 / 3) < 1e-6
    auc = ember.metrics.AUC(num_thresholds=50)
    auc.update_state(np.array([1, 0, 1]), y_pred[:, 1])
    assert 0.0 <= auc.result() <= 1.0
    f1 = ember.metrics.F1Score(threshold=0.5)
    f1.update_state(np.eye(2)[[1, 0, 0]], y_pred)
    assert f1.result().shape == (2,)  # per-class values come back as NumPy


def test_keras_fit_on_device_model_with_numpy_data():
    from ember import keras

    model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    x = rng(8).standard_normal((32, 4)).astype(np.float32)
    y = rng(9).integers(0, 3, 32)
    model(ember.tensor(x[:2]))  # build on the CPU, then move
    model.to(DEV)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0, class_weight={0: 1.0, 1: 2.0, 2: 1.0})
    assert len(hist.history["loss"]) == 2
    assert all(on_dev(p) for p in model.parameters())
    pred = model.predict(x, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (32, 3)
    # a model built by its first call on device data gets its weights there
    m2 = keras.Sequential([keras.layers.Dense(2)])
    m2(ember.tensor(x[:2]).to(DEV))
    assert all(on_dev(p) for p in m2.parameters())


@pytest.mark.parametrize("name", ["lenet_digits", "seed_simplenn"])
def test_examples_train_on_device(name):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
    mod = __import__(name)
    kw = {"verbose": False} if name == "lenet_digits" else {}
    acc = mod.main(num_epochs=2, device=DEV, **kw)
    assert acc > 0.5


@needs_gpu
def test_torch_reference_mlp_step():
    torch = torch_cuda()
    if torch is None:
        pytest.skip("torch without CUDA")
    m = nn.Linear(7, 3).cuda()
    tm = torch.nn.Linear(7, 3).cuda()
    with torch.no_grad():
        tm.weight.copy_(torch.as_tensor(host(m.weight)))
        tm.bias.copy_(torch.as_tensor(host(m.bias)))
    x = rng(10).standard_normal((5, 7)).astype(np.float32)
    y = rng(11).integers(0, 3, 5)
    loss = F.cross_entropy(m(ember.tensor(x, device="cuda")), ember.tensor(y, device="cuda"))
    loss.backward()
    tl = torch.nn.functional.cross_entropy(tm(torch.as_tensor(x).cuda()), torch.as_tensor(y).cuda())
    tl.backward()
    assert abs(float(loss) - float(tl)) < 1e-5
    np.testing.assert_allclose(host(m.weight.grad), tm.weight.grad.cpu().numpy(), rtol=1e-5, atol=1e-6)
