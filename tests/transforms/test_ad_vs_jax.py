"""A corpus of functions differentiated by funcad and by JAX in float64: grad, jvp, vjp,
linearize, and nested derivatives of orders 2 to 4."""
from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # this module only compares in float64
import jax.numpy as jnp  # noqa: E402

import funcad  # noqa: E402
import funcad.nn  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
import funcad.scipy.special  # noqa: E402


def _softmax_xent(ns, nn, w, x):
    logits = ns.tanh(x @ w)
    return -ns.sum(nn.log_softmax(logits, axis=-1)[:, 0])


CORPUS = {
    # name: (function of (namespace, nn, *args), argument shapes)
    "poly_trig": (lambda ns, nn, x: ns.sum(ns.sin(x) * x**3 - ns.cos(2.0 * x)), [(5,)]),
    "exp_log": (lambda ns, nn, x: ns.sum(ns.log1p(ns.exp(x)) / (1.0 + x * x)), [(4,)]),
    "two_args": (lambda ns, nn, x, y: ns.sum(ns.tanh(x * y) + ns.sqrt(1.0 + y**2) * x),
                 [(3,), (3,)]),
    "matmul_tanh": (lambda ns, nn, a, x: ns.sum(ns.tanh(a @ x) ** 2), [(3, 4), (4,)]),
    "softmax_xent": (_softmax_xent, [(4, 3), (5, 4)]),
    "logsumexp": (lambda ns, nn, x: _lse(ns, x), [(2, 5)]),
    "max_min_where": (
        lambda ns, nn, x: ns.sum(ns.where(x > 0.1, ns.maximum(x, 0.3) ** 2, ns.minimum(x, -0.2))),
        [(6,)],
    ),
    "arctan2_pow": (
        lambda ns, nn, x, y: ns.sum(ns.arctan2(x, y + 3.0) * ns.abs(y) ** 1.5), [(3,), (3,)]
    ),
    "broadcast_mean": (lambda ns, nn, x, y: ns.mean((x[:, None] - y[None, :]) ** 2), [(3,), (4,)]),
    "prod_cumsum": (lambda ns, nn, x: ns.sum(ns.cumsum(x) * ns.prod(x)), [(4,)]),
}


def _lse(ns, x):
    if ns is fnp:
        return fnp.sum(funcad.scipy.special.logsumexp(x, axis=1))
    return jnp.sum(jax.scipy.special.logsumexp(x, axis=1))


def _fns(name):
    fn, shapes = CORPUS[name]
    ours = lambda *a: fn(fnp, funcad.nn, *a)  # noqa: E731
    theirs = lambda *a: fn(jnp, jax.nn, *a)  # noqa: E731
    return ours, theirs, shapes


def _args(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, s) for s in shapes]


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_grad_jvp_vjp_linearize(name):
    ours, theirs, shapes = _fns(name)
    args = _args(shapes)
    argnums = tuple(range(len(args)))
    for g, h in zip(funcad.grad(ours, argnums)(*args), jax.grad(theirs, argnums)(*args)):
        _close(g, h)
    tangents = _args(shapes, seed=1)
    out, t = funcad.jvp(ours, args, tangents)
    out_j, t_j = jax.jvp(theirs, tuple(args), tuple(tangents))
    _close(out, out_j)
    _close(t, t_j)
    _, lin = funcad.linearize(ours, *args)
    _close(lin(*tangents), t_j)
    _, pullback = funcad.vjp(ours, *args)
    _, pullback_j = jax.vjp(theirs, *args)
    for a, b in zip(pullback(np.float64(0.7)), pullback_j(np.float64(0.7))):
        _close(a, b)


@pytest.mark.parametrize("name", ["poly_trig", "exp_log", "two_args", "matmul_tanh", "logsumexp"])
@pytest.mark.parametrize("order", [2, 3, 4])
def test_nested_orders(name, order):
    """Directional derivatives of order 2-4: forward-over-reverse, reverse-over-reverse."""
    ours, theirs, shapes = _fns(name)
    args = _args(shapes)
    v = _args(shapes, seed=2)

    def directional(grad, f):
        # <grad f(x), v>: a scalar function whose gradient is the next order's.
        def g(*a):
            return sum((gi * vi).sum() for gi, vi in zip(grad(f, tuple(range(len(a))))(*a), v))

        return g

    def nest(grad, f):
        for _ in range(order - 1):
            f = directional(grad, f)
        return grad(f, tuple(range(len(args))))

    ours_k = nest(funcad.grad, ours)(*args)
    theirs_k = nest(jax.grad, theirs)(*args)
    for a, b in zip(ours_k, theirs_k):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-11)

    # Forward over reverse at order 2: jvp of grad.
    if order == 2:
        hv = funcad.jvp(funcad.grad(ours, tuple(range(len(args)))), args, v)[1]
        hv_j = jax.jvp(jax.grad(theirs, tuple(range(len(args)))), tuple(args), tuple(v))[1]
        for a, b in zip(hv, hv_j):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-11)
