"""``scan``/``fori_loop`` with ``unroll``, ``map`` with ``batch_size``, ``associative_scan``,
``cumlogsumexp`` and the bitwise reductions, against JAX float64 (values and gradients) and
against their rolled / unbatched forms; the staged unrolled loop really holds ``k`` steps."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.control.loops import scan_p
from funcad.tree_util import tree_leaves

jnp = pytest.importorskip("jax.numpy")
jlax = pytest.importorskip("jax.lax")


def _step(m):
    def f(c, x):
        return c * m.tanh(x) + m.sin(c), {"a": c + x, "b": x * 2}

    return f


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [2, 3, 7, 9, True])
def test_unrolled_scan_equals_jax(unroll, reverse):
    rng = np.random.default_rng(0)
    xs, c0 = rng.standard_normal((7, 3)), rng.standard_normal(3)

    def loss(m, lx, scan_kw):
        return lambda c: m.sum(lx.scan(_step(m), c, xs, reverse=reverse, **scan_kw)[1]["a"] ** 2)

    ours = funcad.value_and_grad(loss(fnp, lax, {"unroll": unroll}))(c0)
    theirs = jax.value_and_grad(loss(jnp, jlax, {"unroll": unroll}))(c0)
    for a, b in zip(tree_leaves(ours), tree_leaves(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    jitted = funcad.jit(funcad.grad(loss(fnp, lax, {"unroll": unroll})), backend="xla")(c0)
    np.testing.assert_allclose(jitted, theirs[1], rtol=1e-12)


def test_unrolled_scan_body_holds_k_steps():
    xs = np.ones((8, 2))
    jaxpr = funcad.make_jaxpr(lambda c: lax.scan(_step(fnp), c, xs, unroll=4))(np.ones(2)).jaxpr
    scans = [e for e in jaxpr.eqns if e.primitive is scan_p]
    assert [e.params["length"] for e in scans] == [2]
    body = scans[0].params["jaxpr"].jaxpr
    rolled = funcad.make_jaxpr(lambda c: lax.scan(_step(fnp), c, xs))(np.ones(2)).jaxpr
    rolled_body = next(e for e in rolled.eqns if e.primitive is scan_p).params["jaxpr"].jaxpr
    sines = [e for e in body.eqns if e.primitive.name == "sin"]
    assert len(sines) == 4 * len([e for e in rolled_body.eqns if e.primitive.name == "sin"])
    with pytest.raises(funcad.errors.FuncadValueError, match="unroll"):
        lax.scan(_step(fnp), np.ones(2), xs, unroll=-2)


def test_fori_loop_unroll():
    def body(m):
        return lambda i, v: m.sin(v) * (i + 1.0)

    for unroll in (1, 2, 4, True):
        ours = funcad.value_and_grad(
            lambda x, u=unroll: lax.fori_loop(0, 5, body(fnp), x, unroll=u))
        theirs = jax.value_and_grad(
            lambda x, u=unroll: jlax.fori_loop(0, 5, body(jnp), x, unroll=u))
        np.testing.assert_allclose(ours(0.3), theirs(0.3), rtol=1e-12)
    with pytest.raises(funcad.errors.FuncadValueError, match="concrete"):
        funcad.jit(lambda n: lax.fori_loop(0, n, body(fnp), 0.3, unroll=2))(5)


@pytest.mark.parametrize("batch_size", [1, 3, 5, 10, 12])
def test_map_batch_size(batch_size):
    xs = np.random.default_rng(1).standard_normal((10, 4))

    def loss(m, lx):
        return lambda xs: m.sum(lx.map(lambda x: m.sin(x) * x[0], xs, batch_size=batch_size))

    np.testing.assert_allclose(funcad.grad(loss(fnp, lax))(xs), jax.grad(loss(jnp, jlax))(xs),
                               rtol=1e-12)
    out = lax.map(lambda x: (fnp.sum(x ** 2), x[::-1]), xs, batch_size=batch_size)
    ref = lax.map(lambda x: (fnp.sum(x ** 2), x[::-1]), xs)
    for a, b in zip(out, ref):
        np.testing.assert_array_equal(a, b)


def _affine(p, q):  # composition of x -> a x + b maps: associative, not commutative
    return p[0] * q[0], q[0] * p[1] + q[1]


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
@pytest.mark.parametrize("reverse", [False, True])
def test_associative_scan_equals_jax(n, reverse):
    rng = np.random.default_rng(n)
    a, b = rng.standard_normal((3, n)), rng.standard_normal((3, n))
    out = lax.associative_scan(_affine, (a, b), reverse=reverse, axis=1)
    ref = jlax.associative_scan(_affine, (a, b), reverse=reverse, axis=1)
    for x, y in zip(out, ref):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)

    def loss(m, lx):
        return lambda a: m.sum(lx.associative_scan(_affine, (a, b), reverse=reverse,
                                                   axis=1)[1] ** 2)

    want = jax.grad(loss(jnp, jlax))(a)
    np.testing.assert_allclose(funcad.grad(loss(fnp, lax))(a), want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(funcad.jit(funcad.grad(loss(fnp, lax)), backend="xla")(a), want,
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        funcad.vmap(lambda a: lax.associative_scan(lax.add, a, reverse=reverse))(a),
        np.flip(np.cumsum(np.flip(a, 1), 1), 1) if reverse else np.cumsum(a, 1), rtol=1e-12)


@pytest.mark.parametrize("axis,reverse", [(0, False), (1, True), (-1, False)])
def test_cumlogsumexp_equals_jax(axis, reverse):
    x = np.random.default_rng(2).standard_normal((4, 6)) * 30  # wide range: stability

    def loss(m, lx):
        return lambda x: m.sum(m.sin(lx.cumlogsumexp(x, axis, reverse)))

    np.testing.assert_allclose(lax.cumlogsumexp(x, axis, reverse),
                               jlax.cumlogsumexp(x, axis % 2, reverse), rtol=1e-12)
    want = jax.grad(loss(jnp, jlax))(x) if axis >= 0 else None
    if want is not None:
        np.testing.assert_allclose(funcad.grad(loss(fnp, lax))(x), want, rtol=1e-10, atol=1e-30)
        np.testing.assert_allclose(funcad.jit(funcad.grad(loss(fnp, lax)), backend="xla")(x),
                                   want, rtol=1e-10, atol=1e-30)


def test_bitwise_reductions_and_reciprocal():
    rng = np.random.default_rng(3)
    b = rng.integers(0, 2, (3, 4)).astype(bool)
    i = rng.integers(-50, 100, (3, 4)).astype(np.int32)
    for ours, theirs in ((lax.reduce_and, jlax.reduce_and), (lax.reduce_or, jlax.reduce_or),
                         (lax.reduce_xor, jlax.reduce_xor)):
        for x in (b, i):
            for axes in ((0,), (1,), (0, 1)):
                want = np.asarray(theirs(x, axes))
                np.testing.assert_array_equal(ours(x, axes), want)
                np.testing.assert_array_equal(
                    funcad.jit(lambda x, f=ours, a=axes: f(x, a), backend="xla")(x), want)
            np.testing.assert_array_equal(funcad.vmap(lambda x, f=ours: f(x, (0,)), in_axes=1)(x),
                                          np.asarray(theirs(x, (0,))))
    x = np.array([2.0, -0.5])
    np.testing.assert_allclose(lax.reciprocal(x), jlax.reciprocal(x))
    np.testing.assert_allclose(funcad.grad(lambda x: fnp.sum(lax.reciprocal(x)))(x),
                               jax.grad(lambda x: jnp.sum(jlax.reciprocal(x)))(x))
