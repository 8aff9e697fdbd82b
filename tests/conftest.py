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


def pytest_addoption(parser):
    parser.addoption("--fuzz-long", action="store_true",
                     help="tests/test_fuzz.py: 20x the examples, random seed (EMBER_FUZZ_EXAMPLES sets the base count)")


def pytest_configure(config):
    import os
    if config.getoption("--fuzz-long", default=False):
        os.environ["EMBER_FUZZ_LONG"] = "1"


def pytest_terminal_summary(terminalreporter):
    from fuzz_harness import stats_summary
    line = stats_summary(r for reps in terminalreporter.stats.values() for r in reps)
    if line:
        terminalreporter.write_line(line)
