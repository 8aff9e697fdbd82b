"""The 32-bit fast division of the CUDA index math (csrc/core/cuda_divmod.h: a
magic-number multiply-high, add and shift; used by StridedIndex on the device), run
on the host through _C._test_fast_divmod against exact integer division."""
import numpy as np
import pytest

from ember import _C

LIMIT = 1 << 31


def check(d, ns):
    ns = [int(n) for n in ns]
    got = _C._test_fast_divmod(d, ns)
    want = [n // d for n in ns]
    bad = [(n, g, w) for n, g, w in zip(ns, got, want) if g != w]
    assert not bad, f"d={d}: {bad[:5]}"


EDGE_DIVISORS = [1, 2, 3, 5, 7, 10, 16, 17, 255, 256, 257, 1000, 4095, 4096, 4097, 65535, 65536, 65537,
                 (1 << 30) - 1, 1 << 30, (1 << 30) + 1, LIMIT - 1, LIMIT]


@pytest.mark.parametrize("d", EDGE_DIVISORS)
def test_edge_divisors(d):
    ns = set(range(0, 2000)) | {LIMIT - 1 - i for i in range(2000)}
    for k in (1, 2, 3, 1000):
        for m in (k * d - 1, k * d, k * d + 1):
            if 0 <= m < LIMIT:
                ns.add(m)
    check(d, sorted(ns))


def test_random_divisors_and_numerators():
    rng = np.random.default_rng(0)
    for d in rng.integers(1, LIMIT, 300):
        d = int(d)
        ns = list(rng.integers(0, LIMIT, 500)) + [d - 1, min(d, LIMIT - 1), LIMIT - 1, 0]
        check(d, ns)
    for d in rng.integers(1, 5000, 300):  # small divisors: typical dim sizes
        check(int(d), rng.integers(0, LIMIT, 300))


def test_out_of_range_rejected():
    with pytest.raises(ValueError):
        _C._test_fast_divmod(0, [1])
    with pytest.raises(ValueError):
        _C._test_fast_divmod(3, [LIMIT])
