"""``custom_jvp`` and ``custom_vjp``: the user's rule is exactly the derivative, under every
transform (jit on both backends, vmap, grad, nesting), against JAX (float64); symbolic
zeros; nondiff_argnums; forward mode of a ``custom_vjp`` function by transposing its bwd;
the errors of bad rules."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax, jax_eager
from source_markers import marker_line

import funcad
import funcad.numpy as fnp
from funcad import (
    custom_jvp,
    custom_vjp,
    grad,
    hessian,
    jacfwd,
    jacrev,
    jit,
    jvp,
    lax,
    make_jaxpr,
    vjp,
    vmap,
)
from funcad.custom_derivatives import SymbolicZero
from funcad.errors import FuncadError, FuncadTypeError
from funcad.ir import typecheck_jaxpr

jnp = jax.numpy
close = functools.partial(assert_close_to_jax, rtol=1e-12, atol=1e-14)
where = functools.partial(marker_line, __file__)

BACKENDS = ["numpy", "xla"]
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- a safe log1p(exp(x)) ------------------------------------------------------------------

def make_softplus(T, N):
    @T.custom_jvp
    def softplus(x):
        return N.log1p(N.exp(x))

    @softplus.defjvp
    def softplus_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        safe = N.where(x > 30.0, x, N.log1p(N.exp(N.minimum(x, 30.0))))
        return safe, t * (1.0 / (1.0 + N.exp(-x)))

    return softplus


softplus = make_softplus(funcad, fnp)
X = np.array([-3.0, 0.5, 40.0, 800.0])


def test_safe_softplus_gives_exactly_the_custom_derivative():
    with np.errstate(over="ignore", invalid="ignore"):
        naive = grad(lambda x: fnp.log1p(fnp.exp(x)).sum())(X)
    assert np.isnan(naive[-1])  # inf / inf without the rule
    g = grad(lambda x: softplus(x).sum())(X)
    np.testing.assert_array_equal(g, 1.0 / (1.0 + np.exp(-X)))
    out, t = jvp(softplus, (X,), (np.ones(4),))
    np.testing.assert_array_equal(t, g)
    np.testing.assert_allclose(out[:2], np.log1p(np.exp(X[:2])), rtol=1e-15)
    assert out[3] == 800.0  # the rule's primal output is used under differentiation
    np.testing.assert_array_equal(jacfwd(softplus)(X), np.diag(g))
    np.testing.assert_array_equal(jacrev(softplus)(X), np.diag(g))
    np.testing.assert_array_equal(vmap(grad(softplus))(X), g)
    s = sigmoid(X[:3])
    np.testing.assert_allclose(vmap(hessian(softplus))(X[:3]), s * (1 - s), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("backend", BACKENDS)
def test_custom_jvp_under_jit(backend):
    g = 1.0 / (1.0 + np.exp(-X))
    close(jit(grad(lambda x: softplus(x).sum()), backend=backend)(X), g)
    close(grad(jit(lambda x: softplus(x).sum(), backend=backend))(X), g)
    close(jit(vmap(jacfwd(softplus)), backend=backend)(X), g)
    close(jit(softplus, backend=backend)(X[:3]), np.log1p(np.exp(X[:3])))


def test_custom_jvp_vs_jax():
    jsoftplus = make_softplus(jax, jnp)
    f = lambda x: softplus(x) * fnp.sin(x)  # noqa: E731
    jf = lambda x: jsoftplus(x) * jnp.sin(x)  # noqa: E731
    x = X[:3]
    close(f(x), jax_eager(jf, x))
    close(grad(lambda x: f(x).sum())(x), jax_eager(jax.grad(lambda x: jf(x).sum()), x))
    close(jacfwd(f)(x), jax_eager(jax.jacfwd(jf), x))
    close(jacrev(f)(x), jax_eager(jax.jacrev(jf), x))
    close(vmap(f)(x), jax_eager(jax.vmap(jf), x))
    close(hessian(lambda x: f(x).sum())(x), jax_eager(jax.hessian(lambda x: jf(x).sum()), x),
          rtol=1e-10)


def test_symbolic_zeros_reach_the_rule():
    seen = []

    @custom_jvp
    def f(x, y):
        return x * y

    def f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        seen.append((type(tx) is SymbolicZero, type(ty) is SymbolicZero))
        if type(ty) is SymbolicZero:
            assert ty.shape == np.shape(y) and ty.dtype == np.float64
        t = 0.0
        if type(tx) is not SymbolicZero:
            t = t + tx * y
        if type(ty) is not SymbolicZero:
            t = t + x * ty
        return x * y, t

    f.defjvp(f_jvp, symbolic_zeros=True)
    assert grad(f)(2.0, 3.0) == 3.0 and seen[-1] == (False, True)
    assert grad(f, 1)(2.0, 3.0) == 2.0 and seen[-1] == (True, False)
    assert jvp(f, (2.0, 3.0), (1.0, 1.0))[1] == 5.0 and seen[-1] == (False, False)
    f.defjvp(f_jvp)  # without symbolic zeros, zero tangents arrive as arrays of zeros
    assert grad(f)(2.0, 3.0) == 3.0 and seen[-1] == (False, False)

    @custom_jvp
    def g(x):
        return x

    g.defjvp(lambda p, t: (p[0], SymbolicZero(t[0].aval)), symbolic_zeros=True)
    assert grad(lambda x: g(x) + x)(2.0) == 1.0


def test_defjvps_and_nondiff_argnums():
    @custom_jvp
    def f(x, y):
        return fnp.sin(x) * y

    f.defjvps(lambda tx, ans, x, y: 10.0 * tx, lambda ty, ans, x, y: 100.0 * ty)
    assert grad(f, (0, 1))(0.3, 2.0) == (10.0, 100.0)
    assert grad(f)(0.3, 2.0) == 10.0

    @custom_jvp
    def apply(fun, x):
        return fun(x)

    @apply.defjvp
    def apply_jvp(fun, primals, tangents):
        (x,), (t,) = primals, tangents
        return fun(x), 7.0 * t

    apply_nd = custom_jvp(apply.fun, nondiff_argnums=(0,))
    apply_nd.defjvp(apply_jvp)
    assert grad(lambda x: apply_nd(fnp.sin, x))(0.3) == 7.0
    assert vmap(grad(lambda x: apply_nd(fnp.cos, x)))(np.ones(2)).tolist() == [7.0, 7.0]


# --- gradient clipping -----------------------------------------------------------------------

def make_clip(T, N):
    @T.custom_vjp
    def clip_gradient(x):
        return x

    def fwd(x):
        return x, None

    def bwd(_, g):
        return (N.clip(g, -1.0, 1.0),)

    clip_gradient.defvjp(fwd, bwd)
    return clip_gradient


clip_gradient = make_clip(funcad, fnp)


def test_gradient_clipping_gives_exactly_the_custom_derivative():
    x = np.array([0.1, 0.5, 2.0, -3.0])

    def f(x):
        return (clip_gradient(x) ** 3).sum()

    expected = np.clip(3 * x ** 2, -1.0, 1.0)
    close(grad(f)(x), expected)
    assert grad(f)(x)[2:].tolist() == [1.0, 1.0]  # clipped
    close(vmap(grad(lambda v: clip_gradient(v) ** 3))(x), expected)
    close(jacrev(lambda v: clip_gradient(v) ** 3)(x), np.diag(expected))
    close(grad(lambda v: vmap(clip_gradient)(v ** 3).sum())(x), 3 * x ** 2)
    jclip = make_clip(jax, jnp)
    close(grad(f)(x), jax_eager(jax.grad(lambda x: (jclip(x) ** 3).sum()), x))
    for backend in BACKENDS:
        close(jit(grad(f), backend=backend)(x), expected)
        close(grad(jit(f, backend=backend))(x), expected)
    # second order: the clip is piecewise linear in the cotangent
    close(hessian(lambda v: (clip_gradient(v) ** 2).sum() * 0.1)(x[:2]), 0.2 * np.eye(2))


def test_custom_vjp_nondiff_argnums_and_pytrees():
    def scaled(scale, p):
        return p["a"] * scale + p["b"]

    def fwd(scale, p):
        return scaled(scale, p), p["a"]

    def bwd(scale, a, g):
        return ({"a": g * scale * 2.0, "b": None},)

    scaled_nd = custom_vjp(scaled, nondiff_argnums=(0,))
    scaled_nd.defvjp(fwd, bwd)
    p = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])}
    g = grad(lambda p: scaled_nd(3.0, p).sum())(p)
    np.testing.assert_array_equal(g["a"], [6.0, 6.0])
    np.testing.assert_array_equal(g["b"], [0.0, 0.0])


# --- forward mode of a custom_vjp function, by transposing its bwd ---------------------------

@custom_vjp
def double_sin(x):
    return fnp.sin(x)


double_sin.defvjp(lambda x: (fnp.sin(x), fnp.cos(x)), lambda c, g: (2.0 * c * g,))


def test_forward_mode_of_custom_vjp_transposes_bwd():
    x = np.array([0.3, 1.2, -0.7])
    d = 2.0 * np.cos(x)
    close(grad(lambda x: double_sin(x).sum())(x), d)
    close(jvp(double_sin, (x,), (np.ones(3),))[1], d)
    close(jacfwd(double_sin)(x), np.diag(d))
    close(vmap(jacfwd(double_sin))(x), d)
    close(jacfwd(lambda v: vmap(double_sin)(v))(x), np.diag(d))
    close(hessian(lambda x: double_sin(x).sum())(x), np.diag(-2.0 * np.sin(x)))
    close(jacrev(jacrev(lambda x: double_sin(x).sum()))(x), np.diag(-2.0 * np.sin(x)))
    for backend in BACKENDS:
        close(jit(lambda x, t: jvp(double_sin, (x,), (t,))[1], backend=backend)(x, np.ones(3)), d)
        close(jit(jacfwd(double_sin), backend=backend)(x), np.diag(d))


def test_forward_mode_of_custom_vjp_with_nonlinear_bwd_is_a_clear_error():
    with pytest.raises(FuncadTypeError) as info:
        jvp(clip_gradient, (1.0,), (1.0,))  # the jvp line
    msg = str(info.value)
    assert "custom_vjp" in msg and "clip_gradient" in msg and "bwd" in msg and "linear" in msg
    assert where("# the jvp line") in msg


# --- nesting with control flow and with each other ------------------------------------------

def test_custom_rules_inside_control_flow():
    def f(x):
        def step(c, xi):
            return c + softplus(xi * c) + double_sin(xi), None

        c, _ = lax.scan(step, 0.1, x)
        return lax.cond(c > 0, lambda v: clip_gradient(v) ** 2, lambda v: v, c)

    def ref(x):  # the gradient by the custom rules, accumulated forward by hand
        c, dc = 0.1, np.zeros_like(x)
        for i, xi in enumerate(x):
            e = np.eye(len(x))[i]
            s = sigmoid(xi * c)
            dc = dc + s * (e * c + xi * dc) + 2.0 * np.cos(xi) * e
            c = c + np.log1p(np.exp(xi * c)) + np.sin(xi)
        assert c > 0.5  # the cond takes the clipped branch, and the clip applies
        return np.clip(2 * c, -1.0, 1.0) * dc

    x = np.array([0.3, -0.2, 0.5])
    close(grad(f)(x), ref(x), rtol=1e-12)
    close(vmap(grad(f))(np.stack([x, x])), np.stack([ref(x), ref(x)]), rtol=1e-12)
    close(jit(grad(f), backend="numpy")(x), ref(x), rtol=1e-12)


def test_custom_functions_nest():
    @custom_vjp
    def outer(x):
        return softplus(x) * 2.0

    outer.defvjp(lambda x: (softplus(x) * 2.0, x), lambda x, g: (g * 3.0 * sigmoid_f(x),))

    def sigmoid_f(x):
        return grad(softplus)(x)  # a custom_jvp derivative inside a custom_vjp rule

    close(grad(outer)(0.4), 3.0 * sigmoid(0.4))
    close(grad(grad(softplus))(0.4), sigmoid(0.4) * (1 - sigmoid(0.4)))
    close(jacrev(jacfwd(lambda x: softplus(x) * x))(0.4),
          2 * sigmoid(0.4) + 0.4 * sigmoid(0.4) * (1 - sigmoid(0.4)))


def test_staged_custom_calls_print_and_typecheck():
    jaxpr = make_jaxpr(lambda x: softplus(x) + clip_gradient(x))(X)
    text = str(jaxpr)
    assert "custom_jvp_call[" in text and "custom_vjp_call[" in text
    assert "jvp=softplus_jvp" in text and "call_jaxpr=" in text
    typecheck_jaxpr(jaxpr)
    typecheck_jaxpr(make_jaxpr(grad(lambda x: (softplus(x) * clip_gradient(x)).sum()))(X))
    _, f_vjp = vjp(lambda x: double_sin(x), X)
    close(f_vjp(np.ones(4))[0], 2.0 * np.cos(X))


# --- bad rules --------------------------------------------------------------------------------

def _error(fun):
    with pytest.raises(FuncadTypeError) as info:
        fun()
    assert isinstance(info.value, FuncadError)
    return str(info.value)


def test_bwd_returning_the_wrong_structure():
    @custom_vjp
    def f(x, y):
        return x * y

    def fwd(x, y):
        return x * y, (x, y)

    def bwd_short(res, g):
        return (g * res[1],)

    def bwd_nested(res, g):
        return (g * res[1], (g, g))

    def bwd_shape(res, g):
        return (g * res[1], np.ones(3))

    f.defvjp(fwd, bwd_short)
    msg = _error(lambda: grad(f)(1.0, 2.0))  # b1
    assert "custom_vjp" in msg and "bwd_short" in msg and "(*, *)" in msg
    assert "length 1" in msg and where("# b1") in msg
    f.defvjp(fwd, bwd_nested)
    msg = _error(lambda: grad(f)(1.0, 2.0))  # b2
    assert "bwd_nested" in msg and "tuple" in msg and "(*, *)" in msg and where("# b2") in msg
    f.defvjp(fwd, bwd_shape)
    msg = _error(lambda: grad(f)(1.0, 2.0))  # b3
    assert "bwd_shape" in msg and "f64[3]" in msg and "f64[]" in msg and where("# b3") in msg
    f.defvjp(fwd, lambda res, g: g)
    msg = _error(lambda: grad(f)(1.0, 2.0))
    assert "must return a tuple" in msg


def test_bad_custom_jvp_rules():
    @custom_jvp
    def f(x):
        return x

    msg = _error(lambda: grad(f)(1.0))  # j0
    assert "no JVP rule" in msg and where("# j0") in msg
    f.defjvp(lambda p, t: (p[0], (t[0], t[0])))
    msg = _error(lambda: grad(f)(1.0))  # j1
    assert "custom_jvp" in msg and "tangent output" in msg and where("# j1") in msg
    f.defjvp(lambda p, t: (fnp.stack([p[0], p[0]]), t[0]))
    # Eagerly the rule alone defines the output (as JAX's): its tangent must match it.
    msg = _error(lambda: grad(f)(1.0))
    assert "tangent output" in msg and "f64[2]" in msg
    # Staged, the function's output type is known: the rule's primal output must have it.
    msg = _error(lambda: jit(grad(f))(1.0))
    assert "primal output" in msg and "f64[2]" in msg

    @custom_jvp
    def closes_over(x):
        return x * y_outer

    closes_over.defjvp(lambda p, t: (closes_over(p[0]), t[0]))
    y_outer = 2.0
    assert grad(closes_over)(1.0) == 1.0  # the rule says so

    def g(y):
        @custom_jvp
        def h(x):
            return x * y

        h.defjvp(lambda p, t: (h(p[0]), t[0]))
        return h(1.0)

    msg = _error(lambda: grad(g)(2.0))
    assert "closes over a value that is being differentiated" in msg


# --- eager semantics: concrete primal values under eager grad / jvp / vjp --------------------

def _make_branchy(T, N):
    """A function, and rules, that branch in Python on their (concrete) primal values."""

    @T.custom_jvp
    def relu_ish(x):
        return x * 2.0 if float(N.sum(x)) > 0 else x * 0.5

    @relu_ish.defjvp
    def relu_ish_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        scale = 2.0 if float(N.sum(x)) > 0 else 0.5
        return relu_ish(x), scale * t

    @T.custom_vjp
    def clip_by_sign(x):
        return x ** 2 if float(x) > 0 else -x

    def fwd(x):
        return clip_by_sign(x), x

    def bwd(x, g):
        if float(x) > 0:  # concrete residual
            return (2.0 * x * g,)
        return (-g if float(g) != 0 else g,)  # concrete cotangent

    clip_by_sign.defvjp(fwd, bwd)
    return relu_ish, clip_by_sign


def test_eager_rules_see_concrete_primal_values():
    relu_ish, clip_by_sign = _make_branchy(funcad, fnp)
    j_relu, j_clip = _make_branchy(jax, jnp)
    for x in (1.5, -1.5):
        assert grad(relu_ish)(x) == jax.grad(j_relu)(x)
        assert grad(clip_by_sign)(x) == jax.grad(j_clip)(x)
        close(jvp(relu_ish, (x,), (1.0,)), jax.jvp(j_relu, (x,), (1.0,)))
        out, pullback = vjp(clip_by_sign, x)
        j_out, j_pullback = jax.vjp(j_clip, x)
        close((out, pullback(3.0)), (j_out, j_pullback(3.0)))
        # Nested: the inner rule sees the outer JVP's primal, concrete too (beyond JAX,
        # whose outer grad hands the rule an abstract value): d2/dv2 (s v^2) = 2 s.
        scale = 2.0 if x > 0 else 0.5
        assert grad(grad(lambda v: relu_ish(v) * v))(x) == 2 * scale
        assert grad(lambda v: v * grad(relu_ish)(v))(x) == scale
    close(vjp(relu_ish, np.array([1.0, -3.0]))[1](np.array([1.0, 2.0])),
          jax.vjp(j_relu, np.array([1.0, -3.0]))[1](np.array([1.0, 2.0])))


def test_staged_calls_of_custom_rules_still_stage():
    relu_ish, _ = _make_branchy(funcad, fnp)
    with pytest.raises(FuncadError, match="float"):
        jit(grad(relu_ish))(1.5)  # Python control flow on a staged value: JAX raises too

    @custom_jvp
    def f(x):
        return fnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 3.0 * t[0]))
    for b in BACKENDS:
        assert jit(grad(f), backend=b)(0.2) == 3.0
    assert vmap(grad(f))(np.ones(3)).tolist() == [3.0] * 3


def _defjvps_variants(T, N, which):
    """``f(x, y) = sin(x) y`` with per-argument rules: a real rule, ``None`` or a rule that
    returns an explicit zero, for each argument as ``which`` says."""

    @T.custom_jvp
    def f(x, y):
        return N.sin(x) * y

    rules = {
        "rule0": lambda tx, ans, x, y: N.cos(x) * y * tx,
        "rule1": lambda ty, ans, x, y: N.sin(x) * ty,
        "zero": lambda t, ans, x, y: 0.0 * t,
        None: None,
    }
    f.defjvps(rules[which[0]], rules[which[1]])
    return f


@pytest.mark.parametrize("which", [(a, b) for a in ("rule0", "zero", None)
                                   for b in ("rule1", "zero", None)])
def test_every_combination_of_defjvps_rules_matches_jax(which):
    f = _defjvps_variants(funcad, fnp, which)
    # JAX rejects defjvps(None, None) (its rule then returns a bare symbolic zero); its
    # reference there is the same function with explicit zero rules.
    g = _defjvps_variants(jax, jnp, ("zero", "zero") if which == (None, None) else which)
    x, y = 0.7, 1.3
    for argnums in (0, 1, (0, 1)):
        close(grad(f, argnums)(x, y), jax.grad(g, argnums)(x, y))
        close(jit(grad(f, argnums))(x, y), jax.grad(g, argnums)(x, y))
        close(jacrev(f, argnums)(x, y), jax.jacrev(g, argnums)(x, y))
        close(jacfwd(f, argnums)(x, y), jax.jacfwd(g, argnums)(x, y))
    for tangents in ((1.0, 0.0), (0.0, 1.0), (0.5, 2.0)):
        close(jvp(f, (x, y), tangents), jax.jvp(g, (x, y), tangents))
    close(vmap(grad(f, 1))(np.array([0.1, 0.2]), np.array([1.0, 2.0])),
          jax.vmap(jax.grad(g, 1))(np.array([0.1, 0.2]), np.array([1.0, 2.0])))


@pytest.mark.parametrize("zero", [None, "explicit"])
def test_custom_vjp_bwd_with_zero_cotangents_matches_jax(zero):
    def make(T, N):
        @T.custom_vjp
        def f(x, y):
            return x * y

        def bwd(res, g):
            _, y = res
            return (g * y, None if zero is None else 0.0 * g)

        f.defvjp(lambda x, y: (f(x, y), (x, y)), bwd)
        return f

    f, g = make(funcad, fnp), make(jax, jnp)
    for argnums in (0, 1, (0, 1)):
        close(grad(f, argnums)(2.0, 3.0), jax.grad(g, argnums)(2.0, 3.0))
        close(jit(grad(f, argnums))(2.0, 3.0), jax.grad(g, argnums)(2.0, 3.0))


# --- batching: unmapped arguments and outputs ----------------------------------------------

def _scaled_products(T, N):
    """Custom rules whose outputs include one that no mapped argument reaches."""
    @T.custom_vjp
    def f_vjp(x, c):
        return x * c ** 2, N.sin(c)

    f_vjp.defvjp(lambda x, c: (f_vjp(x, c), (x, c)),
                 lambda r, g: (g[0] * r[1] ** 2, 2 * g[0] * r[0] * r[1] + N.cos(r[1]) * g[1]))

    @T.custom_jvp
    def f_jvp(x, c):
        return x * c ** 2, N.sin(c)

    f_jvp.defjvp(lambda p, t: (f_jvp(*p), (t[0] * p[1] ** 2 + 2 * p[0] * p[1] * t[1],
                                           N.cos(p[1]) * t[1])))
    return {"custom_vjp": f_vjp, "custom_jvp": f_jvp}


@pytest.mark.parametrize("kind", ["custom_vjp", "custom_jvp"])
def test_custom_rules_under_grad_of_vmap_with_unmapped_arguments_match_jax(kind):
    """The cotangent of an argument the vmap does not map is summed over the examples
    (a custom_vjp once returned it per example: a wrong shape and number), one mapped along
    axis 1 gets its batch axis back there, and an output no mapped argument reaches stays
    unbatched."""
    ours_f, theirs_f = _scaled_products(funcad, fnp)[kind], _scaled_products(jax, jnp)[kind]
    x2, c2 = np.linspace(-1.0, 2.0, 8).reshape(2, 4), np.array([[1.5, -0.5, 0.3, 0.9]] * 2)
    cases = [((0, None), X, np.array(1.5)), ((None, 0), np.array(0.7), X),
             ((1, None), x2, np.array([1.5, -0.5])), ((1, 1), x2, c2), ((0, 0), X, X)]
    for in_axes, x, c in cases:
        def loss(vmap_, f, x, c, in_axes=in_axes):
            a, b = vmap_(f, in_axes=in_axes)(x, c)
            return (a ** 2).sum() + (b * 3.0).sum()

        for argnum in (0, 1):
            theirs = jax.grad(functools.partial(loss, jax.vmap, theirs_f), argnum)(x, c)
            close(grad(functools.partial(loss, vmap, ours_f), argnum)(x, c), theirs)
            close(jit(grad(functools.partial(loss, vmap, ours_f), argnum),
                      backend="numpy")(x, c), theirs)
