"""``jet`` against ``jax.experimental.jet`` on a corpus, through control flow and calls
(against nested ``jvp``), under ``jit`` (both backends), ``vmap`` and ``grad``, and its
errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.core.rules import taylor_rules
from funcad.errors import FuncadTypeError, FuncadValueError
from funcad.ops import linalg as ops_linalg
from funcad.ops.linalg import cholesky_p, lu_p, triangular_solve_p
from funcad.taylor.jet_trace import generic_rule

jnp = jax.numpy
jax_jet = pytest.importorskip("jax.experimental.jet").jet

X = np.array([0.3, -0.7, 1.1])
V = np.array([1.0, 0.5, -0.2])

# (funcad version, jax version): each uses only primitives both libraries share.
CORPUS = {
    "exp_sin": (lambda x: fnp.exp(fnp.sin(x)), lambda x: jnp.exp(jnp.sin(x))),
    "tanh_log": (lambda x: fnp.tanh(fnp.log(2.0 + x)) / (1.5 + x),
                 lambda x: jnp.tanh(jnp.log(2.0 + x)) / (1.5 + x)),
    "sqrt_pow": (lambda x: fnp.sqrt(1.0 + x * x) ** 3, lambda x: jnp.sqrt(1.0 + x * x) ** 3),
    "cosh_sinh": (lambda x: fnp.cosh(x) * fnp.sinh(x) - x ** 2,
                  lambda x: jnp.cosh(x) * jnp.sinh(x) - x ** 2),
    "logistic": (lambda x: funcad.nn.sigmoid(3.0 * x), lambda x: jax.nn.sigmoid(3.0 * x)),
    "reductions": (lambda x: fnp.sum(fnp.cos(x)) * fnp.max(x) + fnp.cumsum(x),
                   lambda x: jnp.sum(jnp.cos(x)) * jnp.max(x) + jnp.cumsum(x)),
    "matmul": (lambda x: fnp.tanh(fnp.outer(x, x) @ x), lambda x: jnp.tanh(jnp.outer(x, x) @ x)),
    "indexing": (lambda x: x[::-1] * x[1] + fnp.concatenate([x, x[:2]])[1:4],
                 lambda x: x[::-1] * x[1] + jnp.concatenate([x, x[:2]])[1:4]),
    "erf_div": (lambda x: lax.erf(x) / (1.0 + fnp.exp(x)),
                lambda x: jax.scipy.special.erf(x) / (1.0 + jnp.exp(x))),
    "integer_pow": (lambda x: x ** 5 - 1.0 / x ** 2, lambda x: x ** 5 - 1.0 / x ** 2),
    "log1p_expm1": (lambda x: fnp.log1p(fnp.expm1(x) ** 2), lambda x: jnp.log1p(jnp.expm1(x) ** 2)),
}


def test_rules_jax_experimental_jet_lacks():
    """jax.experimental.jet (0.10.2) has no rule for atan or reduce_prod; funcad's jet
    handles them (checked against nested jvp below)."""
    for ours, theirs in [(fnp.arctan, jnp.arctan), (fnp.prod, jnp.prod)]:
        with pytest.raises(KeyError):
            jax_jet(theirs, (X,), ([V, V],))
        _check_against_jvp(ours)


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("factorial_scaled", [True, False])
def test_jet_matches_jax_experimental_jet(name, factorial_scaled):
    ours, theirs = CORPUS[name]
    rng = np.random.default_rng(0)
    terms = [V, *[rng.normal(size=3) for _ in range(4)]]
    p, s = funcad.jet(ours, (X,), (terms,), factorial_scaled=factorial_scaled)
    jp, js = jax_jet(theirs, (X,), (terms,), factorial_scaled=factorial_scaled)
    np.testing.assert_allclose(p, np.asarray(jp), rtol=1e-12)
    for k, (a, b) in enumerate(zip(s, js)):
        b = np.asarray(b)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * (1 + np.abs(b).max()),
                                   err_msg=f"order {k + 1}")


def test_factorial_convention():
    """The default terms are derivatives: exp along t gives 1, 1, 1; unscaled 1, 1/2, 1/6."""
    _, s = funcad.jet(fnp.exp, (0.0,), ([1.0, 0.0, 0.0],))
    np.testing.assert_allclose(s, [1.0, 1.0, 1.0])
    _, s = funcad.jet(fnp.exp, (0.0,), ([1.0, 0.0, 0.0],), factorial_scaled=False)
    np.testing.assert_allclose(s, [1.0, 1 / 2, 1 / 6])


def _nested(f, x, v, k):
    g = f
    for _ in range(k):
        g = (lambda h: lambda y: funcad.jvp(h, (y,), (v,))[1])(g)
    return g(x)


def _check_against_jvp(f, x=X, v=V, order=4):
    _, s = funcad.jet(f, (x,), ([v] + [np.zeros_like(x)] * (order - 1),))
    for k in range(1, order + 1):
        np.testing.assert_allclose(s[k - 1], _nested(f, x, v, k), rtol=1e-9, atol=1e-9,
                                   err_msg=f"order {k}")


def _scan_program(x):
    c, ys = lax.scan(lambda c, xi: (c * xi + fnp.sin(c), c * 2.0), x[0], x)
    return c + ys.sum() * x


def _custom_softplus():
    @funcad.custom_jvp
    def softplus(x):
        return fnp.log1p(fnp.exp(x))

    softplus.defjvp(lambda p, t: (softplus(p[0]), t[0] * funcad.nn.sigmoid(p[0])))
    return softplus


def _custom_vjp_fn():
    @funcad.custom_vjp
    def f(x):
        return fnp.sin(x) * x

    f.defvjp(lambda x: (f(x), x), lambda x, g: (g * (fnp.cos(x) * x + fnp.sin(x)),))
    return f


PROGRAMS = {
    "cond_true": lambda x: lax.cond(x.sum() > 0, lambda y: fnp.sin(y) * y, fnp.exp, x),
    "cond_false": lambda x: lax.cond(x.sum() < 0, lambda y: fnp.sin(y) * y, fnp.exp, x),
    "scan": _scan_program,
    "fori_loop": lambda x: lax.fori_loop(0, 3, lambda i, c: fnp.tanh(c) * x + i, x),
    "while_loop": lambda x: lax.while_loop(
        lambda c: c[1] < 3, lambda c: (fnp.sin(c[0]) * x, c[1] + 1), (x, 0))[0],
    "jit_inside": lambda x: funcad.jit(lambda y: fnp.exp(fnp.sin(y)) / (1 + y ** 2))(x),
    "remat": funcad.checkpoint(lambda y: fnp.exp(fnp.sin(y)) / (1 + y ** 2)),
    "custom_jvp": lambda x: _custom_softplus()(x) * x,
    "custom_vjp": lambda x: _custom_vjp_fn()(x) + x,
    "select_dynamic_slice": lambda x: lax.dynamic_slice(fnp.where(x > 0, x ** 3, fnp.sin(x)),
                                                       (1,), (2,)) * x[0],
    "convert": lambda x: fnp.exp(x.astype(np.float32)).astype(np.float64) * x * 1e-3,
    "cholesky": lambda x: fnp.linalg.cholesky(fnp.outer(x, x) + 3.0 * fnp.eye(3)),
    "solve": lambda x: fnp.linalg.solve(fnp.outer(x, x) + 3.0 * fnp.eye(3), fnp.sin(x)),
    "det": lambda x: fnp.linalg.det(fnp.outer(x, x ** 2) + 2.0 * fnp.eye(3)),
    "gather_scatter": lambda x: x.at[np.array([0, 2, 0])].add(x[np.array([1, 1, 2])] ** 2),
    "where_clip": lambda x: fnp.where(x > 0, fnp.exp(x), fnp.clip(x, -0.5, 0.5) ** 3),
    "cumprod": lambda x: fnp.cumprod(fnp.cos(x)) + fnp.cumsum(x ** 2),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_jet_through_control_flow_and_calls(name):
    _check_against_jvp(PROGRAMS[name])


def test_high_order():
    """Order 8 of exp(sin) at 0 along 1: the Taylor coefficients of exp(sin t)."""
    _, s = funcad.jet(lambda x: fnp.exp(fnp.sin(x)), (0.0,), ([1.0] + [0.0] * 7,))
    _, js = jax_jet(lambda x: jnp.exp(jnp.sin(x)), (0.0,), ([1.0] + [0.0] * 7,))
    np.testing.assert_allclose(s, np.asarray(js), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(s[:4], [1.0, 1.0, 0.0, -3.0], atol=1e-12)
    assert math.isclose(s[7], np.asarray(js)[7], rel_tol=1e-10)


F = lambda x: fnp.log1p(fnp.exp(x)) * fnp.cos(x)  # noqa: E731


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_jet_under_jit(backend):
    if backend == "xla":
        pytest.importorskip("funcad_xla")
    eager = funcad.jet(F, (X,), ([V, V, V],))
    jitted = funcad.jit(lambda x, v: funcad.jet(F, (x,), ([v, v, v],)), backend=backend)(X, V)
    np.testing.assert_allclose(jitted[0], eager[0], rtol=1e-12)
    np.testing.assert_allclose(jitted[1], eager[1], rtol=1e-10)
    # jet of a jitted function keeps the call (its body jetted once)
    inner = funcad.jet(funcad.jit(F, backend=backend), (X,), ([V, V, V],))
    np.testing.assert_allclose(inner[1], eager[1], rtol=1e-10)


def test_jet_under_vmap_and_grad():
    xs = np.random.default_rng(1).normal(size=(5, 3))
    third = funcad.vmap(lambda x: funcad.jet(F, (x,), ([V, V, V],))[1][2])(xs)
    loop = np.stack([funcad.jet(F, (x,), ([V, V, V],))[1][2] for x in xs])
    np.testing.assert_allclose(third, loop, rtol=1e-12)
    # vmap inside jet
    out = funcad.jet(funcad.vmap(F), (xs,), ([xs, xs],))[1][1]
    np.testing.assert_allclose(out[2], funcad.jet(F, (xs[2],), ([xs[2], xs[2]],))[1][1])

    def third_sum(x):
        return funcad.jet(F, (x,), ([V, V, V],))[1][2].sum()

    g = funcad.grad(third_sum)(X)
    eps = 1e-6
    fd = [(third_sum(X + eps * e) - third_sum(X - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7)


def test_jet_pytrees_and_integer_outputs():
    def f(d):
        return {"y": fnp.sin(d["a"]) * d["b"], "n": fnp.argmax(d["a"])}

    d = {"a": X, "b": 2.0 * X}
    _, s = funcad.jet(f, (d,), ([{"a": V, "b": V}, {"a": V, "b": -V}],))
    assert set(s) == {"y", "n"} and len(s["y"]) == 2
    np.testing.assert_allclose(s["n"][0], 0.0)
    exp1 = funcad.jvp(lambda a, b: fnp.sin(a) * b, (X, 2 * X), (V, V))[1]
    np.testing.assert_allclose(s["y"][0], exp1, rtol=1e-12)


def test_jet_errors():
    with pytest.raises(FuncadTypeError, match="tuples or lists"):
        funcad.jet(fnp.sin, X, ([V],))
    with pytest.raises(FuncadValueError, match="2 primals but 1 series"):
        funcad.jet(lambda a, b: a * b, (X, X), ([V],))
    with pytest.raises(FuncadValueError, match="same number of terms"):
        funcad.jet(lambda a, b: a * b, (X, X), ([V], [V, V]))
    with pytest.raises(FuncadValueError, match="shape"):
        funcad.jet(fnp.sin, (X,), ([np.ones(2)],))


def _spd(rng):
    m = rng.normal(size=(2, 3, 3))
    return m @ np.swapaxes(m, -1, -2) + 3 * np.eye(3)


def _sym_terms(rng):
    return [(lambda r: r + np.swapaxes(r, -1, -2))(rng.normal(size=(2, 3, 3)))
            for _ in range(5)]


def _triangular_case(left_side, lower, transpose_a, unit_diagonal):
    def f(a, b):
        return ops_linalg.triangular_solve(a, b, left_side=left_side, lower=lower,
                                           transpose_a=transpose_a,
                                           unit_diagonal=unit_diagonal)

    def make(rng):
        a = rng.normal(size=(2, 3, 3)) + 4 * np.eye(3)
        b = rng.normal(size=(2, 3, 2) if left_side else (2, 2, 3))
        return (a, b), ([rng.normal(size=a.shape) for _ in range(5)],
                        [rng.normal(size=b.shape) for _ in range(5)])

    return triangular_solve_p, f, make


DECOMPOSITIONS = {
    "cholesky": (cholesky_p, fnp.linalg.cholesky,
                 lambda rng: ((_spd(rng),), (_sym_terms(rng),))),
    "lu": (lu_p, lambda a: ops_linalg.lu(a)[0],
           lambda rng: ((rng.normal(size=(2, 3, 3)),),
                        ([rng.normal(size=(2, 3, 3)) for _ in range(5)],))),
    **{f"triangular_solve{flags}": _triangular_case(*map(bool, flags))
       for flags in [(1, 1, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1), (0, 0, 1, 1)]},
}


@pytest.mark.parametrize("name", sorted(DECOMPOSITIONS))
def test_decomposition_recurrences_equal_the_generic_rule(name):
    """The specialised rules (each coefficient from the tangent equation) against the
    generic one (nested JVPs), order 5, batches of matrices, every input term random."""
    prim, fn, make = DECOMPOSITIONS[name]
    primals, series = make(np.random.default_rng(3))
    _, fast = funcad.jet(fn, primals, series)
    saved = taylor_rules[prim]
    taylor_rules[prim] = generic_rule(prim)
    try:
        _, slow = funcad.jet(fn, primals, series)
    finally:
        taylor_rules[prim] = saved
    for k, (x, y) in enumerate(zip(fast, slow)):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9 * (1 + np.abs(y).max()),
                                   err_msg=f"order {k + 1}")


def test_a_primitive_param_named_order_does_not_collide_with_the_jet_order():
    # The rules take the jet's order positionally, so a primitive's own param `order`
    # (a name several families would like) reaches the primitive intact.
    from funcad.ops import _base as base
    from funcad.ops import elementwise as ew
    from funcad.ops._shapes import new_primitive

    powered_sin_p = new_primitive(
        "test_powered_sin", lambda x, *, order: np.sin(x) ** order,
        lambda x, *, order: x)
    base.defjvp(powered_sin_p, lambda t, x, *, order: (
        t * order * ew.sin(x) ** (order - 1) * ew.cos(x)))

    def f(x):
        return powered_sin_p.bind(x, order=3)

    x0 = 0.7
    primal, (c1, c2) = funcad.jet(f, (x0,), ((1.0, 0.0),))
    d1 = 3 * np.sin(x0) ** 2 * np.cos(x0)
    d2 = 6 * np.sin(x0) * np.cos(x0) ** 2 - 3 * np.sin(x0) ** 3
    np.testing.assert_allclose([primal, c1, c2], [np.sin(x0) ** 3, d1, d2], rtol=1e-12)
