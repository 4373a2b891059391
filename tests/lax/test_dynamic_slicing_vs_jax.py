"""``funcad.lax.dynamic_slice``, ``dynamic_update_slice`` and the ``*_in_dim`` helpers
read start indices as ``jax.lax`` does: a negative start counts from the end of its axis
(``allow_negative_indices=True``, the default), then every window is clamped into bounds.
Checked against jax.lax (float64) eagerly, under jit on both backends, under vmap with
per-example starts, and in reverse mode; with ``allow_negative_indices=False`` a known
negative start is an error and a traced one is clamped, as in JAX."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
from funcad import lax
from funcad.errors import FuncadValueError

X = np.arange(24.0).reshape(2, 12)
STARTS = [-2, -11, -13, -40, 0, 3, 11, 40, np.int64(-3), np.array(-5)]


def _programs(L):
    return {
        "dynamic_slice": lambda x, s: L.dynamic_slice(x, (0, s), (2, 4)),
        "dynamic_slice per axis": lambda x, s: L.dynamic_slice(
            x, (s, s), (1, 4), allow_negative_indices=(True, True)),
        "dynamic_update_slice": lambda x, s: L.dynamic_update_slice(x, x[:, :3] * -1.0, (0, s)),
        "dynamic_slice_in_dim": lambda x, s: L.dynamic_slice_in_dim(x, s, 5, axis=1),
        "dynamic_index_in_dim": lambda x, s: L.dynamic_index_in_dim(x, s, 1, False),
        "dynamic_update_slice_in_dim": lambda x, s: L.dynamic_update_slice_in_dim(
            x, x[:, :2] + 100.0, s, axis=1),
        "dynamic_update_index_in_dim": lambda x, s: L.dynamic_update_index_in_dim(
            x, x[:, 0] + 100.0, s, 1),
    }


@pytest.mark.parametrize("name", list(_programs(jax.lax)))
def test_negative_starts_count_from_the_end_as_jax(name):
    ours, theirs = _programs(lax)[name], _programs(jax.lax)[name]
    for s in STARTS:
        expected = theirs(X, s)
        np.testing.assert_array_equal(ours(X, s), expected, err_msg=f"eager {s}")
        for backend in ("numpy", "xla"):
            np.testing.assert_array_equal(funcad.jit(ours, backend=backend)(X, s), expected,
                                          err_msg=f"jit {backend} {s}")
    starts = np.array([-2, 3, -11, 20, -40, 7])
    xs = np.stack([X * k for k in range(len(starts))])
    np.testing.assert_array_equal(funcad.vmap(ours)(xs, starts), jax.vmap(theirs)(xs, starts))
    ours_g = funcad.grad(lambda x, s: (ours(x, s) ** 2).sum())
    theirs_g = jax.grad(lambda x, s: (theirs(x, s) ** 2).sum())
    for s in (-2, np.array(-5)):
        np.testing.assert_allclose(ours_g(X, s), theirs_g(X, s), rtol=1e-15)
        np.testing.assert_allclose(funcad.jit(ours_g, backend="xla")(X, s), theirs_g(X, s),
                                   rtol=1e-15)


def test_start_indices_of_mixed_integer_dtypes():
    """int32 and int64 starts together (jax.lax refuses the mix; funcad takes it, on every
    backend): the same windows as all-int64 starts."""
    for s in (np.int32(-3), np.array(5, np.int32), np.uint8(3)):
        expected = jax.lax.dynamic_slice(X, (0, np.int64(s)), (2, 4))
        ours = lambda x, s: lax.dynamic_slice(x, (np.int64(0), s), (2, 4))  # noqa: E731
        np.testing.assert_array_equal(ours(X, s), expected)
        for backend in ("numpy", "xla"):
            np.testing.assert_array_equal(funcad.jit(ours, backend=backend)(X, s), expected)
        update = lambda x, s: lax.dynamic_update_slice(x, -x[:, :3], (np.int64(0), s))  # noqa: E731
        np.testing.assert_array_equal(
            funcad.jit(update, backend="xla")(X, s),
            jax.lax.dynamic_update_slice(X, -X[:, :3], (0, np.int64(s))))


def test_without_negative_indices_a_known_negative_start_is_refused():
    for L, error in ((lax, FuncadValueError), (jax.lax, ValueError)):
        with pytest.raises(error, match="out of bounds"):
            L.dynamic_slice(X, (0, -2), (2, 4), allow_negative_indices=False)
        with pytest.raises(error):
            L.dynamic_update_slice(X, X[:, :2], (0, -2), allow_negative_indices=(True, False))
    # A traced negative start is clamped (to the first index), as in JAX.
    for backend in ("numpy", "xla"):
        ours = funcad.jit(lambda x, s: lax.dynamic_slice(x, (0, s), (2, 4),
                                                         allow_negative_indices=False),
                          backend=backend)
        theirs = jax.jit(lambda x, s: jax.lax.dynamic_slice(x, (0, s), (2, 4),
                                                            allow_negative_indices=False))
        np.testing.assert_array_equal(ours(X, -2), theirs(X, -2))
    with pytest.raises(FuncadValueError, match="allow_negative_indices has 1 entries"):
        lax.dynamic_slice(X, (0, 1), (2, 4), allow_negative_indices=(True,))
