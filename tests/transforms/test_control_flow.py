"""Control flow (``funcad.lax``): cond, switch, while_loop, fori_loop, scan.

Each program is written once against a ``lax``/``numpy`` pair and run both with funcad and
with JAX (float64) for value, grad, jacfwd, jacrev, vmap, jit (both backends) and nesting;
finite differences check the derivatives independently. Then: a tanh RNN, a Newton
iteration, cond under vmap, while loops with batched predicates and ``max_steps``, printing,
type checking, and the errors of bad input.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax, jax_eager
from source_markers import marker_line

import funcad
import funcad.numpy as fnp
from funcad import grad, hessian, jacfwd, jacrev, jit, lax, make_jaxpr, vmap
from funcad.control.cond import cond_p
from funcad.control.loops import scan_p, while_p
from funcad.errors import FuncadError, FuncadTypeError, FuncadValueError, JaxprTypeError
from funcad.ir import typecheck_jaxpr
from funcad.testing import check_grads

jnp = jax.numpy
close = functools.partial(assert_close_to_jax, rtol=1e-9, atol=1e-11)
where = functools.partial(marker_line, __file__)

BACKENDS = ["numpy", "xla"]
# --- the programs, written once for funcad and for JAX -------------------------------------------

def p_cond(L, N):
    def f(x, y):
        return L.cond(N.sum(x) > 0.2, lambda a, b: N.sin(a) * b + a ** 2,
                      lambda a, b: N.exp(-a) - N.tanh(b), x, y)
    return f


def p_switch(L, N):
    def f(x, y):
        i = (x[0] > 0).astype(np.int32) + (x[1] > 0).astype(np.int32)
        return L.switch(i, [lambda a, b: a * b, lambda a, b: N.cos(a) + b ** 3,
                            lambda a, b: N.sinh(a - b)], x, y)
    return f


def p_fori(L, N):
    def f(x, y):  # a Newton iteration for sqrt(x * x + y * y + 1) per element
        a = x * x + y * y + 1.0
        return L.fori_loop(0, 8, lambda i, r: 0.5 * (r + a / r), a)
    return f


def p_scan(L, N):
    def f(x, y):
        def step(carry, xi):
            h, s = carry
            h = N.tanh(h * xi + y + s)
            return (h, s + 0.1 * h.sum()), {"h": h, "s": s}
        (h, s), ys = L.scan(step, (N.zeros_like(y), 0.0), x)
        return h * s + ys["h"].sum(axis=0) - ys["s"][1:].sum()
    return f


def p_scan_reverse(L, N):
    def f(x, y):
        carry, ys = L.scan(lambda c, xi: (c * N.cos(xi) + y, c * xi), y, x, reverse=True)
        return carry + ys.sum(axis=0)
    return f


def p_nested(L, N):
    def f(x, y):
        def body(i, c):
            return L.cond(i % 2 == 0, lambda c: N.sin(c) * y,
                          lambda c: L.scan(lambda s, xi: (s * xi + c, None), c, x)[0], c)
        return L.fori_loop(0, 3, body, x * y)
    return f


def p_while_max(L, N):
    def f(x, y):
        def body(c):
            i, v = c
            return i + 1, v * 0.9 + N.sin(v) * y
        return L.while_loop(lambda c: (c[0] < 4) & (N.sum(c[1]) < 10.0), body,
                            (np.int64(0), x), **({"max_steps": 6} if L is lax else {}))[1]
    return f


def p_while(L, N):
    def f(x, y):
        def body(c):
            i, v = c
            return i + 1, N.cos(v) * y + 0.1 * v
        return L.while_loop(lambda c: c[0] < 5, body, (np.int64(0), x))[1]
    return f


PROGRAMS = {"cond": p_cond, "switch": p_switch, "fori": p_fori, "scan": p_scan,
            "scan_reverse": p_scan_reverse, "nested": p_nested, "while_max_steps": p_while_max,
            "while": p_while}
REVERSE_OK = set(PROGRAMS) - {"while"}
ARGS = {
    "cond": [(np.array([0.3, 0.4, -0.2]), np.array([1.1, -0.7, 0.5])),
             (np.array([-0.3, 0.1, -0.2]), np.array([0.6, -0.7, 0.5]))],
    "switch": [(np.array([0.3, 0.4, -0.2]), np.array([0.6, -0.7, 0.5])),
               (np.array([0.3, -0.4, -0.2]), np.array([0.6, -0.2, 0.5])),
               (np.array([-0.3, -0.4, -0.2]), np.array([0.9, -0.2, 0.5]))],
}
DEFAULT_ARGS = [(np.array([0.3, 0.4, -0.2]), np.array([0.6, -0.7, 0.5]))]

# Transforms of a two-argument, vector-valued program, as funcad and as JAX applies them.
TRANSFORMS = {
    "value": lambda T, f: f,
    "grad": lambda T, f: T.grad(lambda x, y: (f(x, y) ** 2).sum(), argnums=(0, 1)),
    "jacfwd": lambda T, f: T.jacfwd(f, argnums=(0, 1)),
    "jacrev": lambda T, f: T.jacrev(f, argnums=(0, 1)),
    "vmap": lambda T, f: T.vmap(f),
    "vmap_grad": lambda T, f: T.vmap(T.grad(lambda x, y: f(x, y).sum())),
    "grad_vmap": lambda T, f: T.grad(lambda x, y: T.vmap(f, (0, None))(x, y[0]).sum()),
    "hessian": lambda T, f: T.hessian(lambda x, y: f(x, y).sum()),
    "jvp_of_vjp": lambda T, f: lambda x, y: T.jvp(
        lambda x: T.vjp(lambda x: f(x, y), x)[1](y)[0], (x,), (y,)),
}
FORWARD_ONLY = {"value", "jacfwd", "vmap"}
BATCHED = {"vmap", "vmap_grad", "grad_vmap"}
# Every program meets JAX under the first-order transforms; the nested ones are spread over
# the programs (all of them are checked against finite differences to second order below).
MATRIX = [(n, t) for n in PROGRAMS for t in ("value", "grad", "jacfwd", "jacrev", "vmap")] + [
    ("cond", "hessian"), ("fori", "hessian"), ("nested", "jvp_of_vjp"), ("scan", "vmap_grad"),
    ("switch", "grad_vmap"), ("while_max_steps", "vmap_grad"), ("while", "hessian"),
]


class _Jax:
    grad, jacfwd, jacrev, vmap, hessian, jvp, vjp = (jax.grad, jax.jacfwd, jax.jacrev, jax.vmap,
                                                     jax.hessian, jax.jvp, jax.vjp)


def _cases(name, transform):
    args = ARGS.get(name, DEFAULT_ARGS)
    if transform in BATCHED:
        return [(np.stack([a[0] for a in args]), np.stack([a[1] for a in args]))]
    return args


@functools.cache
def _reference(name, transform, case: int):
    """JAX's result (run op by op: cheaper than compiling each small program)."""
    # A while loop is not reverse-differentiable in JAX: the reference is the same
    # computation as a fori_loop (the loops do not end early for these inputs).
    prog = PROGRAMS[name]
    if name in ("while", "while_max_steps") and transform not in FORWARD_ONLY:
        prog = _while_as_fori(name)
    with jax.disable_jit():
        return TRANSFORMS[transform](_Jax, prog(jax.lax, jnp))(*_cases(name, transform)[case])


def _while_as_fori(name):
    def prog(L, N):
        def f(x, y):
            if name == "while":
                return L.fori_loop(0, 5, lambda i, v: N.cos(v) * y + 0.1 * v, x)
            return L.fori_loop(0, 4, lambda i, v: v * 0.9 + N.sin(v) * y, x)
        return f
    return prog


def _call_both(name, transform, wrap=lambda g: g):
    fun = wrap(TRANSFORMS[transform](funcad, PROGRAMS[name](lax, fnp)))
    for i, args in enumerate(_cases(name, transform)):
        close(fun(*args), _reference(name, transform, i))


@pytest.mark.parametrize(("name", "transform"), MATRIX)
def test_program_vs_jax(name, transform):
    if name == "while" and transform not in FORWARD_ONLY:
        with pytest.raises(FuncadValueError, match=r"fori_loop.*scan"):
            _call_both(name, transform)
        return
    _call_both(name, transform)


# On the XLA backend, one program per construct (each compile costs tens of milliseconds).
UNDER_JIT = [(n, "numpy") for n in sorted(PROGRAMS)] + [
    (n, "xla") for n in ("cond", "switch", "fori", "scan", "while", "while_max_steps")]


@pytest.mark.parametrize(("name", "backend"), UNDER_JIT)
def test_program_under_jit_vs_jax(name, backend):
    """jit of the program and of its derivative, and the derivative of the jitted program
    (the jit call is split into a known and a staged part, then transposed)."""
    transforms = ("value", "jacfwd") if name == "while" else ("value", "grad")
    if backend == "numpy":
        transforms += ("vmap",)
    for transform in transforms:
        _call_both(name, transform, lambda g: jit(g, backend=backend))
    if name in REVERSE_OK:
        f = jit(PROGRAMS[name](lax, fnp), backend=backend)
        fun = grad(lambda x, y: (f(x, y) ** 2).sum(), argnums=(0, 1))
        for i, args in enumerate(_cases(name, "grad")):
            close(fun(*args), _reference(name, "grad", i))
    else:
        with pytest.raises(FuncadValueError, match="while_loop"):
            grad(lambda x, y: jit(PROGRAMS[name](lax, fnp), backend=backend)(x, y).sum())(
                *_cases(name, "value")[0])


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_derivatives_vs_finite_differences(name):
    f = PROGRAMS[name](lax, fnp)
    modes = ("fwd", "rev") if name in REVERSE_OK else ("fwd",)
    order = 2 if name in REVERSE_OK else 1
    for x, y in _cases(name, "value")[:1]:
        check_grads(f, (x, y), order=order, modes=modes)


# --- the examples of the issue ---------------------------------------------------------------

def _rnn(L, N, params, xs):
    w, u, b, v = params

    def step(h, x):
        h = N.tanh(w @ h + u @ x + b)
        return h, v @ h

    h, ys = L.scan(step, N.zeros(w.shape[0]), xs)
    return N.sum(ys ** 2) + N.sum(h)


def test_tanh_rnn_and_its_gradient_vs_jax(rng):
    params = (0.5 * rng.normal(size=(4, 4)), rng.normal(size=(4, 3)), rng.normal(size=4),
              rng.normal(size=4))
    xs = rng.normal(size=(7, 3))
    loss = functools.partial(_rnn, lax, fnp)
    jloss = functools.partial(_rnn, jax.lax, jnp)
    close(loss(params, xs), jax_eager(jloss, params, xs))
    close(grad(loss, argnums=(0, 1))(params, xs), jax_eager(jax.grad(jloss, argnums=(0, 1)), params, xs))
    close(jit(grad(loss), backend="numpy")(params, xs), jax_eager(jax.grad(jloss), params, xs))
    # per-sequence gradients
    batch = np.stack([xs, -xs, 2 * xs])
    per_seq = vmap(grad(loss), (None, 0))(params, batch)
    for i in range(3):
        close(jax.tree_util.tree_map(lambda g, i=i: g[i], per_seq), grad(loss)(params, batch[i]))
    check_grads(lambda w: loss((w, *params[1:]), xs), (params[0],), order=1)


def test_tanh_rnn_gradient_is_a_backward_scan():
    """The gradient runs the loop twice (forward, then reversed), never unrolled."""
    params = (np.eye(3) * 0.5, np.ones((3, 2)), np.zeros(3), np.ones(3))
    jaxpr = make_jaxpr(grad(functools.partial(_rnn, lax, fnp)))(params, np.ones((50, 2)))
    scans = [e for e in jaxpr.jaxpr.eqns if e.primitive is scan_p]
    assert [e.params["reverse"] for e in scans] == [False, True]
    assert all(e.params["length"] == 50 for e in scans)
    assert len(jaxpr.jaxpr.eqns) < 40


def _newton_sqrt(L, a):
    return L.fori_loop(0, 7, lambda i, r: 0.5 * (r + a / r), a)


def test_newton_iteration_in_fori_loop():
    a = np.array([2.0, 9.0, 0.25, 10.0])
    np.testing.assert_allclose(_newton_sqrt(lax, a), np.sqrt(a), rtol=1e-12)
    close(_newton_sqrt(lax, a), jax_eager(_newton_sqrt, jax.lax, a))
    # The derivative of the converged iteration is that of sqrt.
    g = vmap(grad(functools.partial(_newton_sqrt, lax)))(a)
    np.testing.assert_allclose(g, 0.5 / np.sqrt(a), rtol=1e-10)
    close(g, jax_eager(jax.vmap(jax.grad(functools.partial(_newton_sqrt, jax.lax))), a))
    h = vmap(hessian(functools.partial(_newton_sqrt, lax)))(a)
    np.testing.assert_allclose(h, -0.25 * a ** -1.5, rtol=1e-8)
    for backend in BACKENDS:
        close(jit(vmap(grad(functools.partial(_newton_sqrt, lax))), backend=backend)(a), g)


def test_fori_loop_with_traced_bounds_is_a_while_loop():
    def f(x, n):
        return lax.fori_loop(0, n, lambda i, v: v * x + i, 1.0)

    assert any(e.primitive is while_p for e in make_jaxpr(f)(2.0, 3).jaxpr.eqns)
    assert any(e.primitive is scan_p for e in make_jaxpr(lambda x: f(x, 3))(2.0).jaxpr.eqns)
    jf = jit(f, backend="numpy")
    close(jf(2.0, 3), ((1.0 * 2 + 0) * 2 + 1) * 2 + 2)
    close(jacfwd(jf)(2.0, 3), jax_eager(jax.jacfwd(lambda x: jax.lax.fori_loop(
        0, 3, lambda i, v: v * x + i, 1.0)), 2.0))
    with pytest.raises(FuncadValueError, match="fori_loop"):
        grad(jf)(2.0, 3)


def test_cond_with_different_branches_under_vmap():
    def f(x):
        return lax.cond(x[0] > 0, lambda v: fnp.sin(v).sum() * v,
                        lambda v: fnp.exp(v) - fnp.prod(v), x)

    def jf(x):
        return jax.lax.cond(x[0] > 0, lambda v: jnp.sin(v).sum() * v,
                            lambda v: jnp.exp(v) - jnp.prod(v), x)

    xs = np.array([[0.5, 1.0, -2.0], [-0.5, 1.0, 2.0], [0.1, -0.3, 0.2]])
    close(vmap(f)(xs), jax_eager(jax.vmap(jf), xs))
    jac = vmap(jacrev(f))(xs)
    close(jac, jax_eager(jax.vmap(jax.jacrev(jf)), xs))
    close(np.einsum("iaib->iab", jacfwd(vmap(f))(xs)), jac)
    for x, j in zip(xs, jac):
        close(jacfwd(f)(x), j)
    # A batched predicate becomes a select of both branches; an unbatched one stays a cond.
    batched = make_jaxpr(vmap(f))(xs).jaxpr.eqns
    assert not any(e.primitive is cond_p for e in batched)
    assert any(e.primitive.name == "select_n" for e in batched)
    def g(v, s):
        return lax.cond(s > 0, lambda v: fnp.sin(v), lambda v: v * 2.0, v)

    shared = make_jaxpr(vmap(g, (0, None)))(xs, 1.0)
    assert any(e.primitive is cond_p for e in shared.jaxpr.eqns)
    close(vmap(g, (0, None))(xs, -1.0), xs * 2.0)


def test_switch_clamps_and_batches_its_index():
    branches = [lambda v: v + 1.0, lambda v: v * 3.0, lambda v: -v]
    for i in (-3, 0, 1, 2, 7):
        close(lax.switch(i, branches, 2.0), jax_eager(jax.lax.switch, i, branches, 2.0))
    idx = np.array([0, 1, 2, 5, -1])
    close(vmap(lambda i, x: lax.switch(i, branches, x))(idx, np.arange(5.0)),
          jax_eager(jax.vmap(lambda i, x: jax.lax.switch(i, branches, x)), idx, np.arange(5.0)))


def test_while_loop_with_batched_predicate_runs_until_every_lane_is_done():
    def f(x):
        return lax.while_loop(lambda c: c[1] < 10.0, lambda c: (c[0] + 1, c[1] * 2.0 + 0.5),
                              (np.int64(0), x))

    def jf(x):
        return jax.lax.while_loop(lambda c: c[1] < 10.0,
                                  lambda c: (c[0] + 1, c[1] * 2.0 + 0.5), (np.int64(0), x))

    xs = np.array([0.1, 3.0, 20.0, 1.0])
    steps, vals = vmap(f)(xs)
    close((steps, vals), jax_eager(jax.vmap(jf), xs))
    assert steps.tolist() == [5, 2, 0, 3]
    close(vmap(jacfwd(lambda x: f(x)[1]))(xs), jax_eager(jax.vmap(jax.jacfwd(lambda x: jf(x)[1])), xs))
    for backend in BACKENDS:
        close(jit(vmap(f), backend=backend)(xs), (steps, vals))


def test_while_loop_reverse_mode_error_names_the_alternatives():
    def f(x):
        return lax.while_loop(lambda v: v < 5.0, lambda v: v * 2.0, x)

    with pytest.raises(FuncadValueError) as info:
        grad(f)(1.0)  # the grad line
    msg = str(info.value)
    assert "while_loop" in msg and "fori_loop" in msg and "scan" in msg and "max_steps" in msg
    assert where("# the grad line") in msg
    close(jacfwd(f)(1.0), 8.0)


def test_while_loop_max_steps_is_reverse_differentiable_and_truncates():
    def f(x, n):
        return lax.while_loop(lambda v: v < 100.0, lambda v: v * 2.0 + fnp.sin(v), x,
                              max_steps=n)

    def ref(x, n):
        for _ in range(n):
            if x >= 100.0:
                break
            x = x * 2.0 + np.sin(x)
        return x

    for n in (0, 2, 50):
        close(f(1.5, n), ref(1.5, n))
        h = 1e-6
        close(grad(f)(1.5, n), (ref(1.5 + h, n) - ref(1.5 - h, n)) / (2 * h), rtol=1e-6)
    close(jit(grad(f), static_argnums=1, backend="xla")(1.5, 50), grad(f)(1.5, 50))
    close(grad(lambda x: vmap(f, (0, None))(x, 50).sum())(np.array([1.5, 30.0])),
          np.array([grad(f)(1.5, 50), grad(f)(30.0, 50)]))
    with pytest.raises(FuncadValueError, match="max_steps"):
        lax.while_loop(lambda v: v < 1, lambda v: v, 0.0, max_steps=-1)


def test_scan_features_match_jax(rng):
    xs = {"a": rng.normal(size=(5, 2)), "b": rng.normal(size=5)}

    def body(N):
        def step(c, x):
            return c + x["a"].sum() * x["b"], None
        return step

    close(lax.scan(body(fnp), 0.0, xs), jax_eager(jax.lax.scan, body(jnp), 0.0, xs))
    close(lax.scan(lambda c, _: (c * 2.0, c), 1.0, None, length=4),
          (16.0, np.array([1.0, 2.0, 4.0, 8.0])))
    close(lax.scan(lambda c, x: (c + x, c), 0.0, np.zeros(0)),
          jax.lax.scan(lambda c, x: (c + x, c), 0.0, np.zeros(0)))
    close(lax.map(lambda r: fnp.sin(r).sum(), xs["a"]), np.sin(xs["a"]).sum(1))
    # Loop-invariant residuals (w, exp(w[0])) are passed once, not stacked per iteration.
    w = rng.normal(size=(3, 3))

    def f(h):
        return lax.scan(lambda c, _: (fnp.tanh(w @ c) * fnp.exp(w[0, 0]), None), h, None,
                        length=20)[0]

    _, f_lin = funcad.linearize(f, np.ones(3))
    stacked = [c for c in f_lin.linear_jaxpr.consts if np.shape(c)[:1] == (20,)]
    assert len(stacked) == 1  # only 1 - tanh^2 per step
    close(f_lin(np.eye(3)[0]), jacfwd(f)(np.ones(3))[:, 0])


def test_linear_transpose_through_scan_and_cond():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])

    def lin(x):
        c, ys = lax.scan(lambda c, xi: (w @ c + xi, 2.0 * c), x[0], x)
        return lax.cond(True, lambda a: a + ys.sum(0), lambda a: -a, c)

    x = np.arange(6.0).reshape(3, 2)
    ct = np.array([1.0, -1.0])
    (got,) = funcad.linear_transpose(lin, x)(ct)
    close(got, jax_eager(jax.linear_transpose(lambda x: lin_j(x, w), x), ct)[0])


def lin_j(x, w):
    c, ys = jax.lax.scan(lambda c, xi: (w @ c + xi, 2.0 * c), x[0], x)
    return jax.lax.cond(True, lambda a: a + ys.sum(0), lambda a: -a, c)


def test_closures_over_traced_values_become_operands():
    def f(x, y):
        return lax.cond(x > 0, lambda: x * y, lambda: y - x) + lax.scan(
            lambda c, _: (c * y, None), x, None, length=3)[0]

    def jf(x, y):
        return jax.lax.cond(x > 0, lambda: x * y, lambda: y - x) + jax.lax.scan(
            lambda c, _: (c * y, None), x, None, length=3)[0]

    for x in (0.5, -0.5):
        close(grad(f, (0, 1))(x, 1.3), jax_eager(jax.grad(jf, (0, 1)), x, 1.3))
        close(hessian(f, 1)(x, 1.3), jax_eager(jax.hessian(jf, 1), x, 1.3))


def test_weak_typed_init_takes_the_body_dtype():
    out = lax.fori_loop(0, 3, lambda i, v: v + np.float32(1.5), 0.0)
    assert out.dtype == np.float32 and out == 4.5
    assert lax.cond(True, lambda: np.float32(1.0), lambda: 2.0).dtype == np.float32


# --- printing and type checking ---------------------------------------------------------------

def test_make_jaxpr_prints_sub_irs_indented():
    text = str(make_jaxpr(lambda x: lax.cond(x > 0, fnp.sin, fnp.cos, x) + lax.scan(
        lambda c, xi: (c * xi, c), x, np.ones(3))[0])(1.0))
    lines = text.splitlines()
    assert any(ln.lstrip().startswith("branches=(") for ln in lines)
    inner = [ln for ln in lines if ln.strip().startswith(("b:f64[]~ = cos", "b:f64[]~ = sin"))]
    assert len(inner) == 2 and all(ln.startswith(" " * 10) for ln in inner)
    assert "scan[" in text and "num_carry=1" in text and "length=3" in text
    while_text = str(make_jaxpr(lambda x: lax.while_loop(lambda v: v < 3.0, lambda v: v + 1.0,
                                                         x, max_steps=9))(0.0))
    assert "cond_jaxpr=" in while_text and "body_jaxpr=" in while_text
    assert "max_steps=9" in while_text


def test_staged_control_flow_typechecks_and_bad_sub_irs_are_caught():
    f = grad(lambda x: lax.scan(lambda c, xi: (fnp.sin(c) * xi, c), x, np.ones(4))[0])
    typecheck_jaxpr(make_jaxpr(f)(0.5))
    closed = make_jaxpr(lambda x: lax.cond(x > 0, fnp.sin, fnp.cos, x))(1.0)
    eqn = next(e for e in closed.jaxpr.eqns if e.primitive is cond_p)
    other = make_jaxpr(lambda x: x.astype(np.float32))(1.0)
    bad = eqn.replace(params={"branches": (eqn.params["branches"][0], other)})
    from funcad.ir.core import ClosedJaxpr, Jaxpr

    broken = ClosedJaxpr(Jaxpr.new(closed.jaxpr.constvars, closed.jaxpr.invars,
                                   closed.jaxpr.outvars,
                                   [bad if e is eqn else e for e in closed.jaxpr.eqns]),
                         closed.consts)
    with pytest.raises(JaxprTypeError, match="branch 1 returns"):
        typecheck_jaxpr(broken)


# --- bad input ------------------------------------------------------------------------------------

def _error(exc_type, fun):
    with pytest.raises(exc_type) as info:
        fun()
    assert isinstance(info.value, FuncadError)
    return str(info.value)


def test_branches_returning_different_types_or_trees():
    x = np.ones(3)
    msg = _error(FuncadTypeError, lambda: lax.cond(True, lambda v: v, lambda v: v.sum(), x))  # c1
    assert "cond" in msg and "f64[3]" in msg and "f64[]" in msg and where("# c1") in msg
    msg = _error(FuncadTypeError, lambda: lax.cond(True, lambda v: v, lambda v: v.astype(np.float32), x))  # c2
    assert "f32[3]" in msg and "f64[3]" in msg and where("# c2") in msg
    assert "true_fun" in msg and "false_fun" in msg
    msg = _error(FuncadTypeError, lambda: lax.switch(1, [lambda v: (v, v), lambda v: [v, v]], x))  # c3
    assert "switch" in msg and "structure" in msg and "(*, *)" in msg and "[*, *]" in msg
    assert where("# c3") in msg


def test_loop_body_changing_the_carry_type():
    def shrink(c):
        return c.sum()

    msg = _error(FuncadTypeError, lambda: lax.while_loop(lambda c: c.sum() < 3, shrink, np.ones(3)))  # w1
    assert "while_loop" in msg and "body_fun shrink" in msg and where("# w1") in msg
    assert "f64[3] on input and f64[] on output" in msg
    msg = _error(FuncadTypeError, lambda: lax.fori_loop(0, 3, lambda i, c: c.astype(np.float32), np.ones(2)))  # w2
    assert "fori_loop" in msg and "carry leaf 0 is f64[2] on input and f32[2]" in msg
    assert where("# w2") in msg
    msg = _error(FuncadTypeError, lambda: lax.scan(lambda c, x: ((c, c), x), 0.0, np.ones(3)))  # w3
    assert "scan" in msg and "structure" in msg and where("# w3") in msg
    msg = _error(FuncadTypeError, lambda: lax.scan(lambda c, x: c, 0.0, np.ones(3)))
    assert "pair (carry, y)" in msg


def test_bad_predicates():
    x = np.ones(3)
    msg = _error(FuncadTypeError, lambda: lax.cond(x > 0, lambda v: v, lambda v: v, x))  # p1
    assert "cond" in msg and "bool[3]" in msg and "scalar" in msg and where("# p1") in msg
    msg = _error(FuncadTypeError, lambda: jit(lambda v: lax.cond(v.sum(), lambda v: v, lambda v: v, v))(x))  # p2
    assert "boolean" in msg and "f64[]" in msg and where("# p2") in msg
    msg = _error(FuncadTypeError, lambda: lax.while_loop(lambda c: c.sum(), lambda c: c + 1, x))  # p3
    assert "while_loop" in msg and "cond_fun" in msg and "f64[]" in msg and where("# p3") in msg
    msg = _error(FuncadTypeError, lambda: lax.switch(1.0, [lambda: 1.0, lambda: 2.0]))
    assert "switch" in msg and "integer" in msg


def test_scan_xs_with_disagreeing_leading_axes():
    xs = (np.ones(3), np.ones((4, 2)))
    msg = _error(FuncadValueError, lambda: lax.scan(lambda c, x: (c, x), 0.0, xs))  # s1
    assert "scan" in msg and "f64[3]" in msg and "f64[4,2]" in msg and where("# s1") in msg
    msg = _error(FuncadValueError, lambda: lax.scan(lambda c, x: (c, x), 0.0, np.ones(3), length=5))
    assert "length=5" in msg
    msg = _error(FuncadValueError, lambda: lax.scan(lambda c, x: (c, x), 0.0, None))
    assert "length" in msg
