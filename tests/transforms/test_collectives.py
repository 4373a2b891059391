"""Collectives over a named ``vmap`` axis (``lax.psum pmean pmax pmin all_gather
axis_index``): each program is written once against a namespace and run with funcad and with
JAX (float64): eagerly, under ``jit`` outside and inside the vmap on both backends, nested
named axes, and derivatives (inside the vmap, outside it, and JVPs against finite
differences where JAX has no rule). Errors name the axis and the names in scope."""
from __future__ import annotations

import importlib.util
import types

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.errors import FuncadError, FuncadValueError

jnp = jax.numpy
FUNCAD = types.SimpleNamespace(vmap=funcad.vmap, grad=funcad.grad, lax=lax, np=fnp)
JAX = types.SimpleNamespace(vmap=jax.vmap, grad=jax.grad, lax=jax.lax, np=jnp)
BACKENDS = ["numpy"] + (["xla"] if importlib.util.find_spec("funcad_xla") else [])


def _programs(ns):
    """name -> (function of the batch arrays, built against namespace ``ns``)."""
    vmap, grad, L, xp = ns.vmap, ns.grad, ns.lax, ns.np
    return {
        "psum_normalize": vmap(lambda x: x / L.psum(x, "i"), axis_name="i"),
        "pmean_center": vmap(lambda x: x - L.pmean(x, "i"), axis_name="i"),
        "pmax_pmin": vmap(lambda x: (L.pmax(x, "i") - x) * L.pmin(x, "i"), axis_name="i"),
        "psum_constant": vmap(lambda x: x + L.psum(2.0, "i"), axis_name="i"),
        "psum_tree": vmap(lambda x: L.psum({"a": x, "b": (xp.sin(x),)}, "i"), axis_name="i"),
        "all_gather": vmap(lambda x: L.all_gather(x, "i") @ x, axis_name="i"),
        "all_gather_axis1": vmap(lambda x: L.all_gather(xp.cos(x), "i", axis=1),
                                 axis_name="i"),
        "all_gather_tiled": vmap(lambda x: L.all_gather(x * x, "i", tiled=True),
                                 axis_name="i"),
        "axis_index": vmap(lambda x: x * L.axis_index("i"), axis_name="i"),
        "in_axes_1": vmap(lambda x: x - L.pmean(x, "i"), in_axes=1, out_axes=1,
                          axis_name="i"),
        "nested": vmap(vmap(lambda x: L.psum(x, "i") * L.pmean(x, ("i", "j"))
                            + L.axis_index("j") - L.pmax(x, "j"), axis_name="j"),
                       axis_name="i"),
        "nested_unnamed_inner": vmap(vmap(lambda x: x / L.psum(x, "i")), axis_name="i"),
        "grad_psum": vmap(grad(lambda x: L.psum(xp.sin(x) * x, "i").sum()), axis_name="i"),
        "grad_pmean": vmap(grad(lambda x: (L.pmean(x, "i") * x ** 2).sum()), axis_name="i"),
        "grad_all_gather": vmap(grad(lambda x: (L.all_gather(x, "i") ** 2).sum()
                                     * x.sum()), axis_name="i"),
        "grad_outside": grad(lambda xs: vmap(lambda x: (x * L.pmean(xp.exp(x), "i")).sum()
                                             + L.all_gather(x, "i")[0].sum(),
                                             axis_name="i")(xs).sum()),
        "grad_of_grad": vmap(grad(lambda x: grad(lambda y: L.psum(y ** 3, "i").sum())(x)
                                  .sum()), axis_name="i"),
    }


CASES = {
    "in_axes_1": np.arange(1.0, 13.0).reshape(3, 4) / 7.0,
    "nested": np.random.default_rng(1).normal(size=(3, 4, 2)),
    "nested_unnamed_inner": np.random.default_rng(2).uniform(1, 2, size=(4, 3)),
}
DEFAULT = np.random.default_rng(0).uniform(0.5, 2.0, size=(5, 3))
OURS, THEIRS = _programs(FUNCAD), _programs(JAX)


def _check(ours, theirs):
    la, lb = funcad.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)
    assert len(la) == len(lb)
    for a, b in zip(la, lb):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(OURS))
def test_collective_program_matches_jax(name):
    x = CASES.get(name, DEFAULT)
    expected = THEIRS[name](x)
    _check(OURS[name](x), expected)
    for backend in BACKENDS:
        _check(funcad.jit(OURS[name], backend=backend)(x), expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_collectives_inside_jit_inside_the_vmap(backend):
    """A jitted function called on batched values inside the named vmap: its IR is batched
    with the axis name, so the collectives reduce (also when differentiated)."""
    f = funcad.jit(lambda x: x - lax.pmean(x, "i") * lax.axis_index("i"), backend=backend)
    g = jax.jit(lambda x: x - jax.lax.pmean(x, "i") * jax.lax.axis_index("i"))
    _check(funcad.vmap(f, axis_name="i")(DEFAULT), jax.vmap(g, axis_name="i")(DEFAULT))
    h = funcad.jit(lambda x: lax.psum(x ** 2, "i").sum(), backend=backend)
    k = jax.jit(lambda x: jax.lax.psum(x ** 2, "i").sum())
    _check(funcad.vmap(funcad.grad(h), axis_name="i")(DEFAULT),
           jax.vmap(jax.grad(k), axis_name="i")(DEFAULT))
    # The same jitted function under vmaps of other sizes: no size is baked into its cache.
    for n in (2, 4):
        _check(funcad.vmap(f, axis_name="i")(DEFAULT[:n]),
               jax.vmap(g, axis_name="i")(DEFAULT[:n]))


def test_collectives_inside_scan_and_cond():
    def ours(x):
        def body(c, _):
            return c + lax.pmean(c * c, "i"), lax.psum(c, "i")
        c, ys = lax.scan(body, x, None, length=3)
        return lax.cond(x.sum() > 0, lambda: c + ys.sum(), lambda: c)

    def theirs(x):
        def body(c, _):
            return c + jax.lax.pmean(c * c, "i"), jax.lax.psum(c, "i")
        c, ys = jax.lax.scan(body, x, None, length=3)
        return jax.lax.cond(x.sum() > 0, lambda: c + ys.sum(), lambda: c)

    x = DEFAULT / 10
    _check(funcad.vmap(ours, axis_name="i")(x), jax.vmap(theirs, axis_name="i")(x))
    _check(funcad.vmap(funcad.grad(lambda v: ours(v).sum()), axis_name="i")(x),
           jax.vmap(jax.grad(lambda v: theirs(v).sum()), axis_name="i")(x))


@pytest.mark.parametrize("prim", ["pmax", "pmin"])
def test_pmax_pmin_jvp_matches_finite_differences(prim):
    """JAX has no derivative for pmax/pmin; ours is reduce_max's (ties share the tangent):
    checked against central differences of the vmapped function (no ties here)."""
    op = getattr(lax, prim)
    f = funcad.vmap(lambda x: op(fnp.sin(x) * x, "i") * x, axis_name="i")
    x = DEFAULT
    t = np.random.default_rng(3).normal(size=x.shape)
    _, tangent = funcad.jvp(f, (x,), (t,))
    eps = 1e-6
    fd = (f(x + eps * t) - f(x - eps * t)) / (2 * eps)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-8)
    # And the VJP agrees with the JVP (dot-product identity).
    ct = np.random.default_rng(4).normal(size=x.shape)
    _, pullback = funcad.vjp(f, x)
    np.testing.assert_allclose(np.sum(pullback(ct)[0] * t), np.sum(ct * tangent), rtol=1e-10)


def test_unknown_axis_name_names_the_axis_and_the_names_in_scope():
    with pytest.raises(FuncadValueError, match=r"psum.*'j'.*in scope: 'i'"):
        funcad.vmap(lambda x: lax.psum(x, "j"), axis_name="i")(DEFAULT)
    with pytest.raises(FuncadValueError, match=r"axis_index.*'i'.*in scope: none"):
        lax.axis_index("i")
    with pytest.raises(FuncadValueError, match=r"pmean.*'k'.*in scope: 'i', 'j'"):
        funcad.vmap(funcad.vmap(lambda x: lax.pmean(x, "k"), axis_name="j"),
                    axis_name="i")(np.ones((2, 2)))
    with pytest.raises(FuncadValueError, match="unbound axis name 'i'"):
        funcad.jit(lambda x: lax.psum(x, "i"))(np.ones(3))


def test_chunk_size_with_axis_name_is_refused():
    f = funcad.vmap(lambda x: lax.psum(x, "i"), axis_name="i", chunk_size=2)
    with pytest.raises(FuncadError, match="chunk_size=2 with axis_name='i'"):
        f(DEFAULT)
    # A chunk at least as large as the batch is one chunk: allowed.
    f = funcad.vmap(lambda x: lax.psum(x, "i"), axis_name="i", chunk_size=5)
    _check(f(DEFAULT), jax.vmap(lambda x: jax.lax.psum(x, "i"), axis_name="i")(DEFAULT))


def test_inner_transforms_that_batch_other_axes_pass_collectives_through():
    """jacfwd / hessian / laplacian inside the named vmap batch over directions, not
    examples: the collective still reduces over the examples."""
    def f(lax_, xp):
        return lambda y: xp.sin(y).sum() * lax_.psum(y ** 2, "i").sum()

    x = DEFAULT
    ours = funcad.vmap(funcad.jacfwd(f(lax, fnp)), axis_name="i")(x)
    theirs = jax.vmap(jax.jacfwd(f(jax.lax, jnp)), axis_name="i")(x)
    _check(ours, theirs)
    ours = funcad.vmap(funcad.hessian(f(lax, fnp)), axis_name="i")(x)
    theirs = jax.vmap(jax.hessian(f(jax.lax, jnp)), axis_name="i")(x)
    _check(ours, theirs)
    # The Laplacian is forward over forward: the trace of jacfwd(jacfwd) (psum's transpose
    # convention makes forward-over-reverse Hessians differ here, in JAX as in funcad).
    fwd2 = jax.vmap(jax.jacfwd(jax.jacfwd(f(jax.lax, jnp))), axis_name="i")(x)
    lap = funcad.vmap(funcad.laplacian(f(lax, fnp)), axis_name="i")(x)
    _check(lap, jnp.trace(fwd2, axis1=1, axis2=2))
