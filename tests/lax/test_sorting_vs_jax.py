"""Derivatives at ties, where the value is piecewise, against JAX float64: sorts and order
statistics send each tied element's tangent through the permutation as JAX's do; max
pooling sends a window's cotangent to its first maximal element (JAX's gradient)."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad import lax

jnp = pytest.importorskip("jax.numpy")
jlax = pytest.importorskip("jax.lax")


def _tied(rng, shape):
    return np.round(rng.standard_normal(shape) * 2) / 2 + 0.0  # +0.0: no negative zeros


CASES = [
    ("sort", lambda m: lambda x: m.sort(x, axis=0)),
    ("sort descending", lambda m: lambda x: m.sort(x, axis=-1, descending=True)),
    ("sort flattened", lambda m: lambda x: m.sort(x, axis=None)),
    ("median", lambda m: lambda x: m.median(x, axis=1)),
    ("median all", lambda m: lambda x: m.median(x)),
    ("quantile", lambda m: lambda x: m.quantile(x, np.array([0.2, 0.5, 0.75]), axis=0)),
    ("percentile keepdims", lambda m: lambda x: m.percentile(x, 35.0, axis=1, keepdims=True)),
    ("nanmedian", lambda m: lambda x: m.nanmedian(x, axis=0)),
    ("take by argsort", lambda m: lambda x: m.take_along_axis(x, m.argsort(x, axis=1), 1)
     if m is jnp else x[np.arange(x.shape[0])[:, None], m.argsort(x, axis=1)]),
]


@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_derivatives_at_ties_match_jax(name, make):
    rng = np.random.default_rng(1)
    x = _tied(rng, (6, 5))
    if name == "nanmedian":
        x[::3, 1] = np.nan
    t = rng.standard_normal(x.shape)
    ours, theirs = make(fnp), make(jnp)
    y, y_dot = funcad.jvp(ours, (x,), (t,))
    y_j, y_dot_j = jax.jvp(theirs, (x,), (t,))
    np.testing.assert_allclose(y, y_j, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(y_dot, y_dot_j, rtol=1e-12, atol=1e-12, equal_nan=True)
    ct = rng.standard_normal(np.shape(y))
    for backend in (None, "numpy", "xla"):
        pull = funcad.vjp(ours, x)[1] if backend is None else None
        grad = (pull(ct)[0] if backend is None else funcad.jit(
            lambda x, ct: funcad.vjp(ours, x)[1](ct)[0], backend=backend)(x, ct))
        np.testing.assert_allclose(grad, jax.vjp(theirs, x)[1](ct)[0], rtol=1e-12,
                                   atol=1e-12, equal_nan=True)


def test_lax_sort_and_top_k_ties_match_jax():
    rng = np.random.default_rng(2)
    k1, k2, v = _tied(rng, (9, 2)), _tied(rng, (9, 2)), rng.standard_normal((9, 2))
    tk = [rng.standard_normal((9, 2)) for _ in range(3)]

    def ours(a, b, c):
        return lax.sort((a, b, c), dimension=0, num_keys=2)

    def theirs(a, b, c):
        return jlax.sort((a, b, c), dimension=0, num_keys=2)

    out, out_dot = funcad.jvp(ours, (k1, k2, v), tuple(tk))
    out_j, out_dot_j = jax.jvp(theirs, (k1, k2, v), tuple(tk))
    for a, b in zip((*out, *out_dot), (*out_j, *out_dot_j)):
        np.testing.assert_array_equal(a, b)
    x = _tied(rng, (3, 8))
    np.testing.assert_array_equal(lax.top_k(x, 5)[1], jlax.top_k(x, 5)[1])
    t = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(funcad.jvp(lambda x: lax.top_k(x, 5)[0], (x,), (t,))[1],
                                  jax.jvp(lambda x: jlax.top_k(x, 5)[0], (x,), (t,))[1])


def test_argsort_and_partition_of_ties():
    rng = np.random.default_rng(3)
    x = _tied(rng, (4, 11))
    np.testing.assert_array_equal(fnp.argsort(x, axis=1),
                                  np.asarray(jnp.argsort(x, axis=1, stable=True)))
    np.testing.assert_array_equal(fnp.argsort(x, axis=1, descending=True),
                                  np.asarray(jnp.argsort(x, axis=1, descending=True)))
    for kth in (0, 4, 10):
        p = fnp.partition(x, kth, axis=1)
        np.testing.assert_array_equal(p[:, kth], np.partition(x, kth, axis=1)[:, kth])
        assert np.all(p[:, :kth] <= p[:, kth:kth + 1]) and np.all(p[:, kth:] >= p[:, kth:kth + 1])
        ip = fnp.argpartition(x, kth, axis=1)
        np.testing.assert_array_equal(np.take_along_axis(x, ip, 1), p)


@pytest.mark.parametrize("backend", [None, "numpy", "xla"])
def test_max_pool_gradient_at_ties_matches_jax(backend):
    rng = np.random.default_rng(4)
    x = _tied(rng, (2, 7, 6, 3))

    def ours(x):
        y = lax.reduce_window(x, -np.inf, lax.max, (1, 3, 2, 1), (1, 2, 1, 1), "SAME")
        return fnp.sum(fnp.sin(y))

    def theirs(x):
        y = jlax.reduce_window(x, -np.inf, jlax.max, (1, 3, 2, 1), (1, 2, 1, 1), "SAME")
        return jnp.sum(jnp.sin(y))

    g = funcad.grad(ours) if backend is None else funcad.jit(funcad.grad(ours),
                                                             backend=backend)
    np.testing.assert_allclose(g(x), jax.grad(theirs)(x), rtol=1e-12, atol=1e-12)


def test_sort_keeps_the_order_of_signed_zeros_and_puts_nans_last():
    z = np.array([0.0, -0.0, 1.0, np.nan, -1.0, 0.0, -0.0])
    for ours, theirs in ((lax.sort(z), jlax.sort(z)), (fnp.sort(z), jnp.sort(z)),
                         (funcad.jit(lax.sort, backend="xla")(z), jlax.sort(z))):
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(np.asarray(theirs)))
