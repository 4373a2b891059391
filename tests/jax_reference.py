"""JAX (float64) as the reference of the tests that compare funcad with it."""
from __future__ import annotations

import numpy as np
import pytest

import funcad

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)


def assert_close_to_jax(ours, theirs, rtol, atol):
    """Same tree of leaves; each of funcad's is a NumPy value close to JAX's."""
    la, lb = funcad.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        assert isinstance(x, (np.ndarray, np.generic, jax.Array)), type(x)
        np.testing.assert_allclose(x, np.asarray(y), rtol=rtol, atol=atol)


def jax_eager(fun, *args):
    """JAX's result, run op by op (cheaper than compiling each small program)."""
    with jax.disable_jit():
        return fun(*args)
