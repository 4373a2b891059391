"""jacfwd / jacrev / hessian of a corpus of functions against JAX in float64, and per-example
gradients of a small MLP with vmap(grad)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # this module only compares in float64
import jax.numpy as jnp  # noqa: E402

import funcad  # noqa: E402
import funcad.nn  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
import funcad.scipy.special  # noqa: E402


def _spd(n, seed):
    a = np.random.default_rng(seed).uniform(-1, 1, (n, n))
    return a @ a.T + n * np.eye(n)


def _lse(ns):
    if ns is fnp:
        return lambda x: funcad.scipy.special.logsumexp(x, axis=-1)
    return lambda x: jax.scipy.special.logsumexp(x, axis=-1)


def _softmax(ns):
    return (funcad.nn if ns is fnp else jax.nn).softmax


CORPUS = {
    "softmax": (lambda ns, x: _softmax(ns)(x), [(4,)]),
    "logsumexp": (lambda ns, x: _lse(ns)(x.reshape(2, 3)), [(6,)]),
    "cumsum": (lambda ns, x: ns.cumsum(x * x), [(5,)]),
    "matmul_broadcast": (lambda ns, x: ns.matmul(x.reshape(2, 1, 3), ns.ones((3, 2)) * x[:3, None]), [(6,)]),
    "indexing": (lambda ns, x: x[1:4] * x[::-2][:3] + x[ns.array([0, 0, 2])], [(6,)]),
    "concat_stack": (lambda ns, x: ns.stack([ns.concatenate([x, x[:2] ** 2]), ns.sin(ns.concatenate([x[::-1], x[:2]]))]), [(4,)]),
    "solve": (lambda ns, x: ns.linalg.solve(_spd(3, 0) + x.reshape(3, 3) * 0.1, x[:3]), [(9,)]),
    "inv": (lambda ns, x: ns.linalg.inv(_spd(3, 1) + x.reshape(3, 3) * 0.1), [(9,)]),
    "det": (lambda ns, x: ns.linalg.det(_spd(3, 2) + x.reshape(3, 3) * 0.1), [(9,)]),
    "slogdet": (lambda ns, x: ns.linalg.slogdet(_spd(3, 3) + x.reshape(3, 3) * 0.1)[1], [(9,)]),
    "cholesky": (lambda ns, x: ns.linalg.cholesky(_spd(3, 4) + (x.reshape(3, 3) + x.reshape(3, 3).T) * 0.1), [(9,)]),
}


def _pair(name):
    fn, shapes = CORPUS[name]
    return (lambda *a: fn(fnp, *a)), (lambda *a: fn(jnp, *a)), shapes


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_jacobians_and_hessian(name):
    ours, theirs, shapes = _pair(name)
    x = np.random.default_rng(0).uniform(-0.5, 0.5, shapes[0])
    ref = np.asarray(jax.jacfwd(theirs)(x))
    for jac in (funcad.jacfwd, funcad.jacrev, funcad.jacobian):
        np.testing.assert_allclose(jac(ours)(x), ref, rtol=1e-9, atol=1e-11, err_msg=jac.__name__)
    scalar_ours = lambda x: fnp.sum(ours(x) ** 2)  # noqa: E731
    scalar_theirs = lambda x: jnp.sum(theirs(x) ** 2)  # noqa: E731
    np.testing.assert_allclose(funcad.hessian(scalar_ours)(x), jax.hessian(scalar_theirs)(x),
                               rtol=1e-8, atol=1e-10)


def _mlp(ns, params, x, y):
    h = x
    for w, b in params[:-1]:
        h = ns.tanh(h @ w + b)
    w, b = params[-1]
    return ns.sum((h @ w + b - y) ** 2)


def test_per_example_gradients_of_mlp():
    rng = np.random.default_rng(0)
    sizes = [3, 5, 2]
    params = [(rng.standard_normal((m, n)), rng.standard_normal(n)) for m, n in itertools.pairwise(sizes)]
    xs, ys = rng.standard_normal((7, 3)), rng.standard_normal((7, 2))
    ours = funcad.vmap(funcad.grad(lambda p, x, y: _mlp(fnp, p, x, y)), in_axes=(None, 0, 0))(params, xs, ys)
    theirs = jax.vmap(jax.grad(lambda p, x, y: _mlp(jnp, p, x, y)), in_axes=(None, 0, 0))(params, xs, ys)
    for (gw, gb), (hw, hb) in zip(ours, theirs):
        assert gw.shape == (7, *hw.shape[1:])
        np.testing.assert_allclose(gw, hw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gb, hb, rtol=1e-10, atol=1e-12)
    # ... and the transforms commute: grad of the summed vmapped loss is the summed gradients.
    total = funcad.grad(lambda p: fnp.sum(funcad.vmap(lambda x, y: _mlp(fnp, p, x, y))(xs, ys)))(params)
    for (tw, tb), (gw, gb) in zip(total, ours):
        np.testing.assert_allclose(tw, gw.sum(0), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(tb, gb.sum(0), rtol=1e-10, atol=1e-12)
