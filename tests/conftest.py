"""Test configuration: hypothesis profiles (``HYPOTHESIS_PROFILE=ci|dev``) and a fixed
seed for every test that draws random numbers outside hypothesis."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile(
    "ci",
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The op-spec table now has ~950 rows per generic test; late in a run over the whole table,
# hypothesis's own settings lookups overflow CPython's default recursion limit of 1000
# (RecursionError inside hypothesis/_settings.py, on whichever rows come last). The cause is
# in the test machinery, not in funcad (funcad never recurses over graphs:
# tests/core/test_deep_graphs.py runs with a limit of 400); give it headroom.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 4000))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests that use it are deterministic."""
    return np.random.default_rng(0)
