"""Random sampling: Philox known answers, reproducibility (seeds, generators,
rng state, thread counts, layouts), distribution moments and ranges, the
PyTorch-style API, and bad input."""
import numpy as np
import pytest

import ember
from ember import _C
from ember.tensor import _wrap

from helpers import run_in_subprocess

# ---------------------------------------------------------------- Philox reference

_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
_MASK = 0xFFFFFFFF


def philox_ref(ctr, key):
    """Philox4x32-10 written from the Random123 paper, independent of ember."""
    c, k = list(ctr), list(key)
    for r in range(10):
        if r:
            k = [(k[0] + _W0) & _MASK, (k[1] + _W1) & _MASK]
        p0, p1 = _M0 * c[0], _M1 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k[0]) & _MASK, p1 & _MASK, ((p0 >> 32) ^ c[3] ^ k[1]) & _MASK, p0 & _MASK]
    return c


KAT = [  # Random123 kat_vectors, philox4x32 10 rounds
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([_MASK] * 4, [_MASK] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]


@pytest.mark.parametrize("ctr,key,expected", KAT)
def test_philox_known_answers(ctr, key, expected):
    assert philox_ref(ctr, key) == expected
    assert list(_C._philox4x32_10(ctr, key)) == expected


def test_philox_matches_reference_on_random_inputs():
    rng = np.random.default_rng(1)
    for _ in range(50):
        ctr = [int(x) for x in rng.integers(0, 1 << 32, 4)]
        key = [int(x) for x in rng.integers(0, 1 << 32, 2)]
        assert list(_C._philox4x32_10(ctr, key)) == philox_ref(ctr, key)


def _stream_words(seed, first_block, nblocks):
    out = []
    for b in range(first_block, first_block + nblocks):
        out += philox_ref([b & _MASK, b >> 32, 0, 0], [seed & _MASK, seed >> 32])
    return out


def test_rand_is_the_documented_philox_stream():
    # float32 uniform: element i = (word i >> 8) * 2^-24, word i = lane i % 4 of block i // 4.
    seed = 0x123456789ABCDEF
    ember.manual_seed(seed)
    x = ember.rand(10).numpy()
    words = _stream_words(seed, 0, 3)
    np.testing.assert_array_equal(x, np.array([(w >> 8) * 2.0 ** -24 for w in words[:10]], np.float32))
    # The call reserved ceil(10 / 4) = 3 blocks: the next draw starts at block 3.
    y = ember.rand(4).numpy()
    np.testing.assert_array_equal(y, np.array([(w >> 8) * 2.0 ** -24 for w in _stream_words(seed, 3, 1)], np.float32))
    # float64 uniform: 53 bits from two words (low word first).
    ember.manual_seed(seed)
    z = ember.rand(2, dtype=ember.float64).numpy()
    w = _stream_words(seed, 0, 1)
    ref = [((w[1] << 32 | w[0]) >> 11) * 2.0 ** -53, ((w[3] << 32 | w[2]) >> 11) * 2.0 ** -53]
    np.testing.assert_array_equal(z, np.array(ref))


# ---------------------------------------------------------------- reproducibility

SAMPLERS = {
    "rand": lambda n: ember.rand(n),
    "rand64": lambda n: ember.rand(n, dtype=ember.float64),
    "randn": lambda n: ember.randn(n),
    "randn64": lambda n: ember.randn(n, dtype=ember.float64),
    "randint": lambda n: ember.randint(-5, 1000, (n,)),
    "randperm": lambda n: ember.randperm(n),
    "bernoulli": lambda n: ember.bernoulli(ember.full((n,), 0.3)),
    "exponential": lambda n: ember.empty(n).exponential_(2.0),
    "multinomial": lambda n: ember.multinomial(ember.ones(n // 100, 50), 20, replacement=True),
    "multinomial_norep": lambda n: ember.multinomial(ember.ones(n // 100, 50), 20),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_same_seed_same_numbers(name):
    f = SAMPLERS[name]
    ember.manual_seed(42)
    a = f(50000).numpy()
    b = f(50000).numpy()
    ember.manual_seed(42)
    c = f(50000).numpy()
    ember.manual_seed(43)
    d = f(50000).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # the offset advanced
    assert not np.array_equal(a, d)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_independent_of_thread_count(name):
    f = SAMPLERS[name]
    old = _C.get_num_threads()
    try:
        res = []
        for nt in (1, 2, 3):
            _C.set_num_threads(nt)
            ember.manual_seed(7)
            res.append(f(200003).numpy())
    finally:
        _C.set_num_threads(old)
    np.testing.assert_array_equal(res[0], res[1])
    np.testing.assert_array_equal(res[0], res[2])


def test_generator_objects():
    g = ember.Generator().manual_seed(5)
    assert g.initial_seed() == 5
    a = ember.rand(100, generator=g).numpy()
    ember.manual_seed(5)
    ember.rand(3)  # the default generator is a separate stream
    g2 = ember.Generator()
    g2.manual_seed(5)
    np.testing.assert_array_equal(ember.rand(100, generator=g2).numpy(), a)
    ember.manual_seed(5)
    np.testing.assert_array_equal(ember.rand(100).numpy(), a)
    # generator= is accepted by every sampler and the in-place methods
    g.manual_seed(1)
    t1 = ember.empty(10).normal_(generator=g).numpy()
    g.manual_seed(1)
    t2 = ember.randn(10, generator=g).numpy()
    np.testing.assert_array_equal(t1, t2)
    for call in (lambda: ember.randint(3, (4,), generator=g), lambda: ember.randperm(4, generator=g),
                 lambda: ember.bernoulli(ember.rand(4), generator=g),
                 lambda: ember.multinomial(ember.ones(3), 2, generator=g),
                 lambda: ember.empty(3).uniform_(generator=g), lambda: ember.empty(3).bernoulli_(0.5, generator=g),
                 lambda: ember.empty(3).random_(generator=g), lambda: ember.empty(3).exponential_(generator=g)):
        call()


def test_seed_and_initial_seed():
    s = ember.seed()
    assert 0 <= s < 2 ** 64 and ember.initial_seed() == s
    ember.manual_seed(123)
    assert ember.initial_seed() == 123
    ember.manual_seed(-1)  # PyTorch maps negatives to 2^64 - 1 + seed
    assert ember.initial_seed() == 2 ** 64 - 2
    ember.manual_seed(2 ** 64 - 1)
    assert isinstance(ember.manual_seed(0), ember.Generator)


def test_rng_state_round_trip():
    ember.manual_seed(99)
    ember.rand(17)
    state = ember.get_rng_state()
    assert state.dtype == ember.uint8 and tuple(state.shape) == (16,)
    a = ember.randn(1000).numpy()
    b = ember.randint(0, 100, (50,)).numpy()
    ember.manual_seed(0)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(ember.randn(1000).numpy(), a)
    np.testing.assert_array_equal(ember.randint(0, 100, (50,)).numpy(), b)
    g = ember.Generator()
    g.set_state(state)
    np.testing.assert_array_equal(ember.randn(1000, generator=g).numpy(), a)


def test_startup_seed_is_nondeterministic():
    code = "import ember; print(ember.initial_seed(), ember.rand(1).item())"
    outs = {run_in_subprocess(code).stdout for _ in range(2)}
    assert len(outs) == 2


def test_noncontiguous_output_gets_the_contiguous_values():
    ember.manual_seed(3)
    ref = ember.rand(4, 6).numpy()
    ember.manual_seed(3)
    base = ember.zeros(6, 4)
    view = base.t()
    view.uniform_()
    np.testing.assert_array_equal(view.numpy(), ref)
    # A strided slice (every other column) too.
    ember.manual_seed(3)
    big = ember.zeros(4, 12)
    sl = _wrap(big._a.slice(1, 0, 12, 2))
    sl.normal_()
    ember.manual_seed(3)
    np.testing.assert_array_equal(big.numpy()[:, ::2], ember.randn(4, 6).numpy())
    assert (big.numpy()[:, 1::2] == 0).all()


@pytest.mark.skipif(_C.cuda.device_count() == 0, reason="needs a CUDA device")
def test_cuda_draws_the_cpu_numbers():
    for f in (lambda d: ember.rand(100003, device=d), lambda d: ember.rand(1001, dtype=ember.float64, device=d),
              lambda d: ember.randint(-9, 1000, (5001,), device=d), lambda d: ember.randperm(1000, device=d),
              lambda d: ember.bernoulli(ember.full((999,), 0.4, device=d)),
              lambda d: ember.empty(777, device=d).bernoulli_(0.7)):
        ember.manual_seed(21)
        c = f("cpu").numpy()
        ember.manual_seed(21)
        g = f("cuda").cpu().numpy()
        np.testing.assert_array_equal(c, g)
    ember.manual_seed(22)
    c = ember.randn(10001, dtype=ember.float64).numpy()
    ember.manual_seed(22)
    np.testing.assert_allclose(ember.randn(10001, dtype=ember.float64, device="cuda").cpu().numpy(), c,
                               rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- moments

N = 1_000_000


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_uniform_moments_and_range(dtype):
    ember.manual_seed(0)
    x = ember.empty(N, dtype=dtype).uniform_(-2.0, 3.0).numpy().astype(np.float64)
    assert x.min() >= -2.0 and x.max() < 3.0
    assert abs(x.mean() - 0.5) < 0.01
    assert abs(x.var() - 25 / 12) < 0.01
    r = ember.rand(N, dtype=dtype).numpy()
    assert r.min() >= 0.0 and r.max() < 1.0
    # A narrow interval where rounding could reach the upper bound stays half-open.
    y = ember.empty(N, dtype=dtype).uniform_(1.0, float(np.nextafter(np.array(1.0, dtype.name), 2))).numpy()
    assert (y == 1.0).all()


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_normal_moments(dtype):
    ember.manual_seed(1)
    x = ember.randn(N, dtype=dtype).numpy().astype(np.float64)
    assert np.isfinite(x).all()
    assert abs(x.mean()) < 0.005 and abs(x.std() - 1) < 0.005
    assert abs(((x - x.mean()) ** 3).mean()) < 0.02  # skewness
    assert abs((x ** 4).mean() - 3) < 0.05  # kurtosis
    y = ember.empty(N, dtype=dtype).normal_(5.0, 0.5).numpy().astype(np.float64)
    assert abs(y.mean() - 5) < 0.005 and abs(y.std() - 0.5) < 0.005


def test_bernoulli_moments():
    ember.manual_seed(2)
    for p in (0.0, 0.1, 0.5, 0.97, 1.0):
        x = ember.empty(N).bernoulli_(p).numpy()
        assert set(np.unique(x)) <= {0.0, 1.0}
        assert abs(x.mean() - p) < 0.003
    probs = ember.tensor(np.repeat([[0.2, 0.8]], N // 2, axis=0), dtype=ember.float32)
    s = ember.bernoulli(probs).numpy()
    assert s.dtype == np.float32
    np.testing.assert_allclose(s.mean(axis=0), [0.2, 0.8], atol=0.005)
    # p tensor broadcast over self, any output dtype
    b = ember.zeros(N // 2, 2, dtype=ember.int64).bernoulli_(ember.tensor([0.25, 0.75]))
    np.testing.assert_allclose(b.numpy().mean(axis=0), [0.25, 0.75], atol=0.005)
    m = ember.zeros(1000, dtype=ember.bool).bernoulli_(0.5).numpy()
    assert m.dtype == np.bool_ and 0.4 < m.mean() < 0.6


def test_exponential_and_other_fills():
    ember.manual_seed(4)
    x = ember.empty(N, dtype=ember.float64).exponential_(2.0).numpy()
    assert x.min() >= 0
    assert abs(x.mean() - 0.5) < 0.003 and abs(x.var() - 0.25) < 0.005
    c = ember.empty(N).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1.0) < 0.02
    assert abs(np.median(np.abs(c - 1.0)) - 2.0) < 0.03  # half the IQR = sigma
    ln = ember.empty(N, dtype=ember.float64).log_normal_(0.0, 0.5).numpy()
    assert ln.min() > 0 and abs(np.log(ln).mean()) < 0.003 and abs(np.log(ln).std() - 0.5) < 0.003
    g = ember.empty(N).geometric_(0.25).numpy()
    assert g.min() >= 1 and (g == np.round(g)).all()
    assert abs(g.mean() - 4.0) < 0.03
    gi = ember.empty(1000, dtype=ember.int64).geometric_(0.5).numpy()
    assert gi.min() >= 1


def test_half_precision_fills():
    ember.manual_seed(5)
    for dt in (ember.float16, ember.bfloat16):
        x = ember.empty(100000, dtype=dt).uniform_().float().numpy()
        assert x.min() >= 0 and x.max() <= 1 and abs(x.mean() - 0.5) < 0.01
        y = ember.empty(100000, dtype=dt).normal_().float().numpy()
        assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


# ---------------------------------------------------------------- integers and permutations


@pytest.mark.parametrize("dtype", [ember.int64, ember.int32, ember.uint8, ember.float32, ember.float64])
def test_randint_range_and_uniformity(dtype):
    ember.manual_seed(6)
    low, high = (3, 13) if dtype == ember.uint8 else (-7, 3)
    x = ember.randint(low, high, (N // 4,), dtype=dtype)
    assert x.dtype == dtype
    v = x.numpy()
    assert v.min() == low and v.max() == high - 1
    counts = np.bincount((v.astype(np.int64) - low), minlength=high - low)
    expected = len(v) / (high - low)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 40  # 9 degrees of freedom: p ~ 1e-5


def test_randint_wide_and_forms():
    ember.manual_seed(7)
    big = ember.randint(-(2 ** 62), 2 ** 62, (10000,)).numpy()
    assert big.min() >= -(2 ** 62) and big.max() < 2 ** 62 and np.abs(big).max() > 2 ** 60
    assert ember.randint(5, (3, 2)).shape == (3, 2)
    assert ember.randint(2, 5, size=(4,)).dtype == ember.int64
    assert ember.randint(low=2, high=5, size=(4,)).numpy().min() >= 2
    assert ember.randint(0, 1, (0,)).shape == (0,)
    like = ember.randint_like(ember.zeros(2, 3), 10)
    assert like.shape == (2, 3) and like.dtype == ember.float32 and like.numpy().max() < 10
    like2 = ember.randint_like(ember.zeros(5, dtype=ember.int32), 4, 6).numpy()
    assert like2.min() >= 4 and like2.max() < 6


def test_random_default_ranges():
    ember.manual_seed(8)
    i = ember.empty(10000, dtype=ember.int64).random_().numpy()
    assert i.min() >= 0 and i.max() > 2 ** 60
    f = ember.empty(10000).random_().numpy()
    assert f.min() >= 0 and f.max() <= 2 ** 24 and (f == np.round(f)).all()
    u = ember.empty(10000, dtype=ember.uint8).random_().numpy()
    assert u.min() == 0 and u.max() == 255
    b = ember.empty(1000, dtype=ember.bool).random_().numpy()
    assert b.any() and not b.all()
    t = ember.empty(10000, dtype=ember.int32).random_(10).numpy()
    assert t.min() == 0 and t.max() == 9
    s = ember.empty(10000, dtype=ember.int64).random_(-3, 2).numpy()
    assert s.min() == -3 and s.max() == 1
    top = ember.empty(10000, dtype=ember.int32).random_(2 ** 31 - 5, None).numpy()
    assert top.min() >= 2 ** 31 - 5


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000, 100001])
def test_randperm_is_a_permutation(n):
    ember.manual_seed(9)
    p = ember.randperm(n)
    assert p.dtype == ember.int64 and p.shape == (n,)
    np.testing.assert_array_equal(np.sort(p.numpy()), np.arange(n))


def test_randperm_dtypes_and_uniformity():
    p = ember.randperm(300, dtype=ember.int32)
    assert p.dtype == ember.int32
    np.testing.assert_array_equal(np.sort(p.numpy()), np.arange(300))
    pf = ember.randperm(50, dtype=ember.float32).numpy()
    np.testing.assert_array_equal(np.sort(pf), np.arange(50, dtype=np.float32))
    # Every value lands in every position about equally often.
    ember.manual_seed(10)
    counts = np.zeros((4, 4))
    for _ in range(4000):
        counts[np.arange(4), ember.randperm(4).numpy()] += 1
    assert np.abs(counts - 1000).max() < 150


# ---------------------------------------------------------------- multinomial


def test_multinomial_with_replacement_frequencies():
    ember.manual_seed(11)
    w = np.array([1.0, 0.0, 3.0, 6.0])
    s = ember.multinomial(ember.tensor(w), 200000, replacement=True).numpy()
    assert s.dtype == np.int64 and s.shape == (200000,)
    np.testing.assert_allclose(np.bincount(s, minlength=4) / len(s), w / w.sum(), atol=0.005)
    rows = ember.multinomial(ember.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=ember.float64), 50, True).numpy()
    assert (rows[0] == 1).all() and (rows[1] == 0).all()


def test_multinomial_without_replacement():
    ember.manual_seed(12)
    w = ember.tensor([[1.0, 2.0, 0.0, 4.0, 8.0]] * 2000)
    s = ember.multinomial(w, 3).numpy()
    assert s.shape == (2000, 3)
    assert all(len(set(r)) == 3 for r in s)
    assert (s != 2).all()
    # The first pick follows the weights.
    np.testing.assert_allclose(np.bincount(s[:, 0], minlength=5) / 2000, [1 / 15, 2 / 15, 0, 4 / 15, 8 / 15],
                               atol=0.04)
    full = ember.multinomial(ember.ones(10), 10).numpy()
    np.testing.assert_array_equal(np.sort(full), np.arange(10))


# ---------------------------------------------------------------- API details


def test_creation_api():
    ember.manual_seed(13)
    assert ember.rand(2, 3).shape == (2, 3) and ember.rand((2, 3)).shape == (2, 3)
    assert ember.rand(()).shape == () and ember.rand(0, 3).shape == (0, 3)
    assert ember.randn(4, dtype=ember.float64).dtype == ember.float64
    t = ember.rand(3, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    ref = ember.zeros(2, 5, dtype=ember.float64)
    assert ember.rand_like(ref).dtype == ember.float64 and ember.randn_like(ref).shape == (2, 5)
    assert ember.bernoulli(ember.rand(3), 0.5).shape == (3,)
    assert ember.rand(3).bernoulli().shape == (3,)
    assert ember.ones(2, 3).multinomial(2).shape == (2, 2)
    n = ember.normal(2.0, 3.0, size=(1000,))
    assert n.shape == (1000,) and n.dtype == ember.float32


def test_normal_overloads():
    ember.manual_seed(14)
    mean = ember.tensor(np.linspace(-5, 5, 11))
    x = ember.normal(mean, 1e-3).numpy()
    np.testing.assert_allclose(x, np.linspace(-5, 5, 11), atol=0.01)
    y = ember.normal(0.0, ember.full((1000,), 2.0)).numpy()
    assert abs(y.std() - 2) < 0.2
    z = ember.normal(ember.zeros(1, 3), ember.full((4, 1), 1e-6)).numpy()
    assert z.shape == (4, 3) and np.abs(z).max() < 1e-4
    m = ember.zeros(3, requires_grad=True)
    assert not ember.normal(m, 1.0).requires_grad


def test_inplace_returns_self_and_bumps_version():
    t = ember.zeros(5)
    v = t._version
    assert t.uniform_() is t and t._version > v
    for fn in (lambda: t.normal_(), lambda: t.bernoulli_(), lambda: t.random_(0, 5), lambda: t.exponential_(),
               lambda: t.cauchy_(), lambda: t.log_normal_(), lambda: t.geometric_(0.3),
               lambda: t.uniform_(**{"from": -1, "to": 1})):
        assert fn() is t
    with ember.no_grad():
        w = ember.zeros(3, requires_grad=True)
        w.normal_()
    assert w.requires_grad


def test_matches_torch_api_dtypes():
    torch = pytest.importorskip("torch")
    pairs = [
        (lambda m: m.randint(0, 5, (3,)), None),
        (lambda m: m.randperm(5), None),
        (lambda m: m.rand(3, dtype=m.float64), None),
        (lambda m: m.bernoulli(m.full((3,), 0.5, dtype=m.float64)), None),
        (lambda m: m.multinomial(m.ones(4), 2), None),
        (lambda m: m.randint_like(m.zeros(3, dtype=m.int32), 5), None),
        (lambda m: m.normal(m.zeros(2, dtype=m.float64), 1.0), None),
    ]
    for f, _ in pairs:
        e, t = f(ember), f(torch)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(e.shape) == tuple(t.shape)


# ---------------------------------------------------------------- bad input


BAD_INPUT = [
    ("ember.randint(5, 5, (3,))", "ValueError", "[randint]"),
    ("ember.randint(7, 2, (3,))", "ValueError", "[randint]"),
    ("ember.randint(0, 300, (3,), dtype=ember.uint8)", "ValueError", "[randint]"),
    ("ember.randperm(-1)", "ValueError", "[randperm]"),
    ("ember.empty(3).bernoulli_(1.5)", "ValueError", "[bernoulli_]"),
    ("ember.empty(3).bernoulli_(-0.1)", "ValueError", "[bernoulli_]"),
    ("ember.bernoulli(ember.tensor([0.5, 1.2]))", "ValueError", "[bernoulli]"),
    ("ember.bernoulli(ember.tensor([0.5, float('nan')]))", "ValueError", "[bernoulli]"),
    ("ember.empty(3).bernoulli_(ember.rand(4))", "ValueError", "[bernoulli_]"),
    ("ember.bernoulli(ember.tensor([1, 0]))", "TypeError", "[bernoulli]"),
    ("ember.empty(3, dtype=ember.int64).uniform_()", "TypeError", "[uniform_]"),
    ("ember.empty(3).uniform_(2, 1)", "ValueError", "[uniform_]"),
    ("ember.empty(3).normal_(0, -1)", "ValueError", "[normal_]"),
    ("ember.empty(3).exponential_(0)", "ValueError", "[exponential_]"),
    ("ember.empty(3).geometric_(1.5)", "ValueError", "[geometric_]"),
    ("ember.empty(3).random_(3, 3)", "ValueError", "[random_]"),
    ("ember.multinomial(ember.tensor([0.5, -1.0]), 1)", "RuntimeError", "[multinomial]"),
    ("ember.multinomial(ember.zeros(3), 1)", "RuntimeError", "[multinomial]"),
    ("ember.multinomial(ember.ones(3), 4)", "RuntimeError", "[multinomial]"),
    ("ember.multinomial(ember.ones(3), 0)", "RuntimeError", "[multinomial]"),
    ("ember.multinomial(ember.ones(2, 2, 2), 1)", "RuntimeError", "[multinomial]"),
    ("ember.multinomial(ember.tensor([1, 2]), 1)", "RuntimeError", "[multinomial]"),
    ("ember.set_rng_state(ember.zeros(3, dtype=ember.uint8))", "TypeError", "[set_rng_state]"),
    ("ember.manual_seed(2 ** 64)", "ValueError", "[manual_seed]"),
    ("ember.manual_seed(1.5)", "TypeError", "[manual_seed]"),
    ("ember.rand(2, device='cuda')", "RuntimeError", "CUDA"),
    ("ember.rand(3, generator=5)", "TypeError", "[rand]"),
    ("w = ember.zeros(3, requires_grad=True); w.uniform_()", "RuntimeError", "[uniform_]"),
]


def test_bad_input_raises():
    """Every case raises the expected exception naming the op (one child process for all)."""
    has_gpu = _C.cuda.device_count() > 0
    cases = [c for c in BAD_INPUT if not (has_gpu and "cuda" in c[0])]
    code = (
        "import ember\n"
        "for code in " + repr([c[0] for c in cases]) + ":\n"
        "    try:\n"
        "        exec(code)\n"
        "    except Exception as e:\n"
        "        print('EXC', type(e).__name__, '|', str(e).replace(chr(10), ' '))\n"
        "    else:\n"
        "        print('NOEXC')\n"
    )
    r = run_in_subprocess(code)
    assert r.returncode == 0, f"child crashed (rc={r.returncode}):\n{r.stderr[-2000:]}"
    lines = r.stdout.strip().splitlines()
    assert len(lines) == len(cases), r.stdout
    for (c, exc, msg), line in zip(cases, lines):
        assert line.startswith(f"EXC {exc} |"), f"{c}: expected {exc}, got {line}"
        assert msg in line, f"{c}: message lacks {msg!r}: {line}"


def test_float_normal_is_identical_at_every_simd_level():
    # float32/16 normals run Box-Muller through a per-ISA vectorised kernel: every path
    # (and any thread count) must give the same samples, with N(0, 1)'s moments.
    from ember import _C

    old = _C.simd_level()
    outs = []
    try:
        for level in ["scalar", "avx2", "avx512"]:
            if level == "avx512" and _C.cpu_max_simd_level() != "avx512":
                continue
            _C.set_simd_level(level)
            for threads in (1, 2):
                ember.set_num_threads(threads)
                ember.manual_seed(11)
                outs.append(ember.randn(200_003).numpy())
    finally:
        _C.set_simd_level(old)
        ember.set_num_threads(2)
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])
    x = outs[0].astype(np.float64)
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01
    assert abs((x ** 3).mean()) < 0.03 and abs((x ** 4).mean() - 3) < 0.05
