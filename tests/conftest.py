"""Test-wide fixtures.

Many test modules draw data from a module-level ``rng = np.random.default_rng(...)``.
pytest-xdist hands tests to workers in a different order each run, so without help a
test would see different data from run to run; reseeding that generator from the
test's id before each test makes every test's data the same in every run.
"""
import zlib

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _deterministic_module_rng(request):
    mod = request.module
    if isinstance(getattr(mod, "rng", None), np.random.Generator):
        mod.rng = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
    yield
