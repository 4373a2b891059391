"""Rules of the reduction and linear-algebra primitives, at the lax level.

- Transposes of every linear primitive satisfy <ct, L t> = <L^T ct, t> to rounding, for
  many parameter settings; dot_general's transpose is one dot_general and at most one
  transpose per operand.
- Subgradient conventions and exactness against JAX (float64): reduce_max/min split ties
  evenly; products and cumulative products are exact where elements are zero; cholesky, lu,
  triangular_solve and the solve/inv/det/slogdet built on them match JAX's derivatives.
- vmap of each primitive equals a Python loop, for every mix of batched and unbatched
  operands and batch positions 0, 1 and -1; batching rules move no axis they need not.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.ad import float0
from funcad.ops import _base as base
from funcad.ops import linalg as la
from funcad.ops import reductions as red
from funcad.testing import check_grads

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

RNG = np.random.default_rng(1234)


def _randn(*shape):
    return RNG.standard_normal(shape)


def _inner(xs, ys) -> float:
    xs = xs if isinstance(xs, (tuple, list)) else (xs,)
    ys = ys if isinstance(ys, (tuple, list)) else (ys,)
    return float(sum(np.vdot(np.asarray(x), np.asarray(y)) for x, y in zip(xs, ys)))


def _check_transpose(f, t):
    """<ct, f(t)> == <f^T(ct), t> for random t and ct, f linear."""
    out = f(t)
    ct = _randn(*np.shape(out))
    (ct_t,) = funcad.linear_transpose(f, t)(ct)
    lhs, rhs = _inner(ct, out), _inner(ct_t, t)
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs)), (lhs, rhs)


def _eqn_names(f, *args) -> list[str]:
    return [e.primitive.name for e in funcad.make_jaxpr(f)(*args).jaxpr.eqns]


# --- transposes of the linear primitives -------------------------------------------------------

@pytest.mark.parametrize("axes", [(0,), (1, 2), (0, 2), (0, 1, 2)])
def test_reduce_sum_transpose(axes):
    _check_transpose(lambda x: base.reduce_sum(x, axes), _randn(2, 3, 4))


@pytest.mark.parametrize("axis,reverse", list(itertools.product([0, 1, 2], [False, True])))
def test_cumsum_transpose(axis, reverse):
    _check_transpose(lambda x: red.cumsum(x, axis, reverse), _randn(2, 3, 4))


# (lhs shape, rhs shape, ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch)))
DOT_CASES = [
    ((3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ((4, 3), (5, 4), (((0,), (1,)), ((), ()))),
    ((3, 2, 4, 5), (5, 6, 2, 4), (((2, 3), (3, 0)), ((1,), (2,)))),
    ((3, 2, 4, 5), (5, 6, 2, 4), (((3, 2), (0, 3)), ((1,), (2,)))),
    ((2, 3), (4,), (((), ()), ((), ()))),
    ((3, 2), (4, 3), (((), ()), ((0,), (1,)))),
    ((2, 5, 3), (3, 2, 5), (((1,), (2,)), ((0, 2), (1, 0)))),
    ((4,), (4,), (((0,), (0,)), ((), ()))),
]


@pytest.mark.parametrize("xs,ys,dims", DOT_CASES)
def test_dot_general_transpose_each_operand(xs, ys, dims):
    x, y = _randn(*xs), _randn(*ys)
    _check_transpose(lambda a: la.dot_general(a, y, dims), x)
    _check_transpose(lambda b: la.dot_general(x, b, dims), y)


@pytest.mark.parametrize("xs,ys,dims", DOT_CASES)
def test_dot_general_transpose_is_one_product(xs, ys, dims):
    """One dot_general and at most one transpose per cotangent, nothing else."""
    x, y = _randn(*xs), _randn(*ys)
    ct = la.dot_general(x, y, dims)
    for f, arg in ((lambda a: la.dot_general(a, y, dims), x),
                   (lambda b: la.dot_general(x, b, dims), y)):
        names = _eqn_names(funcad.linear_transpose(f, arg), ct)
        assert names.count("dot_general") == 1 and names.count("transpose") <= 1, names
        assert set(names) <= {"dot_general", "transpose"}, names


def test_matmul_gradient_has_no_transposes():
    """The MLP layer x @ W: both cotangents are a single dot_general, already in layout."""
    x, w = _randn(5, 3), _randn(3, 4)
    names = _eqn_names(funcad.grad(lambda x, w: fnp.sum(x @ w), argnums=(0, 1)), x, w)
    assert "transpose" not in names and names.count("dot_general") == 3, names


FLAGS = list(itertools.product([False, True], repeat=5))


def _tri_operands(left_side, batch=(2,)):
    a = _randn(*batch, 3, 3) + 3 * np.eye(3)
    b = _randn(*batch, 3, 4) if left_side else _randn(*batch, 4, 3)
    return a, b


def _tri(flags):
    ls, lo, ta, ca, ud = flags
    return dict(left_side=ls, lower=lo, transpose_a=ta, conjugate_a=ca, unit_diagonal=ud)


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "".join("TF"[not v] for v in f))
def test_triangular_solve_transpose(flags):
    a, b = _tri_operands(flags[0])
    _check_transpose(lambda b: la.triangular_solve(a, b, **_tri(flags)), b)


# --- subgradients and exactness against JAX ---------------------------------------------------

def _jax_jvp(f, *primals_then_tangents):
    """The tangent output of ``jax.jvp`` (compiled: far cheaper than JAX's eager mode)."""
    n = len(primals_then_tangents) // 2
    args = primals_then_tangents
    return jax.jit(lambda *a: jax.jvp(f, a[:n], a[n:])[1])(*args)


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 0.5], [-1.0, 0.0, -1.0, -1.0]])


@pytest.mark.parametrize("fname", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_extrema_split_ties_evenly_as_jax(fname, axis):
    w = _randn(*np.shape(getattr(np, fname)(TIES, axis=axis)))
    g = funcad.grad(lambda x: fnp.sum(getattr(fnp, fname)(x, axis=axis) * w))(TIES)
    gj = jax.jit(jax.grad(lambda x: jnp.sum(getattr(jnp, fname)(x, axis=axis) * w)))(TIES)
    _close(g, gj)


def test_reduce_max_ties_value():
    g = funcad.grad(lambda x: red.reduce_max(x, (0,)))(np.array([2.0, 5.0, 5.0, 5.0]))
    _close(g, [0.0, 1 / 3, 1 / 3, 1 / 3])


ZEROS = [np.array([2.0, 0.0, 3.0, -1.5]), np.array([0.0, 1.5, 0.0, 2.0]),
         np.array([0.0, 0.0, 0.0, 2.0]), np.array([[0.0, 2.0], [3.0, 0.5]])]
ZEROS_3D = np.array([[[0.0, 2.0], [1.5, 0.5], [0.0, 0.0]], [[3.0, -1.0], [2.0, 0.0], [1.0, 1.0]]])


@pytest.mark.parametrize("x", ZEROS, ids=["one", "two", "three", "matrix"])
def test_prod_with_zeros_as_jax(x):
    _close(funcad.grad(fnp.prod)(x), jax.jit(jax.grad(jnp.prod))(x))
    if x.ndim == 1:
        _close(funcad.hessian(fnp.prod)(x), jax.jit(jax.hessian(jnp.prod))(x))
    else:
        _close(funcad.jacrev(lambda x: fnp.prod(x, axis=1))(x),
               jax.jit(jax.jacrev(lambda x: jnp.prod(x, axis=1)))(x))


@pytest.mark.parametrize("x", ZEROS[:3], ids=["one", "two", "three"])
def test_cumprod_with_zeros_as_jax(x):
    jac = jax.jit(jax.jacfwd(jnp.cumprod))(x)
    _close(funcad.jacfwd(fnp.cumprod)(x), jac)
    _close(funcad.jacrev(fnp.cumprod)(x), jac)
    _close(funcad.hessian(lambda x: fnp.cumprod(x)[-2])(x),
           jax.jit(jax.hessian(lambda x: jnp.cumprod(x)[-2]))(x))
    _close(funcad.jacrev(lambda x: red.cumprod(x, 0, reverse=True))(x),
           jax.jit(jax.jacfwd(lambda x: jnp.cumprod(x[::-1])[::-1]))(x))


@pytest.mark.parametrize("ours,theirs,axis,reverse", [
    (red.cummax, jax.lax.cummax, 1, False), (red.cummin, jax.lax.cummin, 0, True)])
def test_cummax_cummin_without_ties_as_jax(ours, theirs, axis, reverse):
    x = _randn(2, 5)
    _close(funcad.jacrev(lambda x: ours(x, axis, reverse))(x),
           jax.jit(jax.jacfwd(lambda x: theirs(x, axis, reverse=reverse)))(x))


def test_prod_over_separated_axes_with_zeros_as_jax():
    ours = funcad.jacrev(lambda x: red.reduce_prod(x, (0, 2)))(ZEROS_3D)
    _close(ours, jax.jit(jax.jacrev(lambda x: jnp.prod(x, axis=(0, 2))))(ZEROS_3D))
    check_grads(lambda x: red.reduce_prod(x, (0, 2)), (ZEROS_3D,), order=2,
                modes=("fwd", "rev"))


@pytest.mark.parametrize("prim", [red.cumprod, red.cummax, red.cummin])
@pytest.mark.parametrize("axis,reverse", [(0, True), (1, False)])
def test_scans_second_order_vs_finite_differences(prim, axis, reverse):
    x = _randn(3, 5)
    x[1, 2] = 0.0
    check_grads(lambda x: prim(x, axis, reverse), (x,), order=2, modes=("fwd", "rev"))


def test_cummax_takes_the_tangent_of_the_first_selected_element():
    x = np.array([1.0, 3.0, 2.0, 3.0, 4.0, 4.0])
    jac = funcad.jacfwd(lambda x: red.cummax(x, 0))(x)
    picked = [0, 1, 1, 1, 4, 4]
    _close(jac, np.eye(6)[picked])
    # From the end: the minimum -4 is first attained at index 5 and is never beaten.
    jac_rev = funcad.jacrev(lambda x: red.cummin(x, 0, reverse=True))(-x)
    _close(jac_rev, np.eye(6)[[5] * 6])
    y = np.array([2.0, 1.0, 3.0, 1.0])
    _close(funcad.jacrev(lambda y: red.cummin(y, 0, reverse=True))(y),
           np.eye(4)[[3, 3, 3, 3]])


@pytest.mark.parametrize("prim", [red.argmax, red.argmin])
def test_argmax_argmin_have_zero_tangents(prim):
    x = _randn(3, 4)
    out, t = funcad.jvp(lambda x: prim(x, 1, np.int32), (x,), (x,))
    # An integer output's tangent is float0 (no values at all), as jax.jvp gives.
    assert t.dtype == float0 and t.shape == out.shape


def _spd(*batch, n=4):
    m = _randn(*batch, n, n)
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def test_cholesky_derivatives_as_jax():
    a = _spd(2)
    t = _randn(2, 4, 4)
    t = t + np.swapaxes(t, -1, -2)  # JAX symmetrizes; a symmetric tangent means the same
    _close(funcad.jvp(la.cholesky, (a,), (t,))[1], _jax_jvp(jax.lax.linalg.cholesky, a, t))
    w = _randn(4, 4)
    x = _spd(n=4) / 2
    _close(funcad.grad(lambda x: fnp.sum(fnp.linalg.cholesky(x + x.T) * w))(x),
           jax.jit(jax.grad(lambda x: jnp.sum(jnp.linalg.cholesky(x + x.T) * w)))(x))


def test_cholesky_reads_the_lower_triangle_only():
    a = _spd(n=3)
    upper = np.triu(np.ones((3, 3)), 1)
    _, t = funcad.jvp(la.cholesky, (a,), (upper,))
    _close(t, np.zeros((3, 3)))


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3)])
def test_lu_derivatives_as_jax(shape):
    x, t = _randn(*shape), _randn(*shape)
    _, _, perm = la.lu(x)
    np.testing.assert_array_equal(perm, jax.jit(jax.lax.linalg.lu)(x)[2])
    lu_dot = funcad.jvp(lambda a: la.lu(a)[0], (x,), (t,))[1]
    _close(lu_dot, _jax_jvp(lambda a: jax.lax.linalg.lu(a)[0], x, t))
    # Reverse mode: the transpose of that very JVP.
    ct = _randn(*shape)
    _, pullback = funcad.vjp(lambda a: la.lu(a)[0], x)
    assert abs(_inner(ct, lu_dot) - _inner(pullback(ct), t)) < 1e-10


@pytest.mark.parametrize("flags", FLAGS[::3], ids=lambda f: "".join("TF"[not v] for v in f))
def test_triangular_solve_derivatives_as_jax(flags):
    a, b = _tri_operands(flags[0])
    ta, tb = _randn(*a.shape), _randn(*b.shape)
    p = _tri(flags)
    _, ours = funcad.jvp(lambda a, b: la.triangular_solve(a, b, **p), (a, b), (ta, tb))
    theirs = _jax_jvp(lambda a, b: jax.lax.linalg.triangular_solve(a, b, **p), a, b, ta, tb)
    _close(ours, theirs)


def _general(n, *batch):
    return _randn(*batch, n, n) + 0.5 * n * np.eye(n)[RNG.permutation(n)]


A4 = _general(4, 2)


@pytest.mark.parametrize("name", ["solve", "inv", "det", "slogdet"])
def test_numpy_linalg_derivatives_as_jax(name):
    b = _randn(2, 4, 3)
    if name == "solve":
        def ours(a):
            return fnp.sum(fnp.sin(fnp.linalg.solve(a, b)))

        def theirs(a):
            return jnp.sum(jnp.sin(jnp.linalg.solve(a, b)))
    elif name == "slogdet":
        def ours(a):
            return fnp.sum(fnp.linalg.slogdet(a)[1])

        def theirs(a):
            return jnp.sum(jnp.linalg.slogdet(a)[1])
    else:
        def ours(a):
            return fnp.sum(fnp.sin(getattr(fnp.linalg, name)(a)))

        def theirs(a):
            return jnp.sum(jnp.sin(getattr(jnp.linalg, name)(a)))
    _close(funcad.grad(ours)(A4), jax.jit(jax.grad(theirs))(A4), 1e-9)


def test_det_second_derivative_as_jax():
    """Hessian-vector product of det (through lu's JVP, differentiated again)."""
    v = _randn(*A4.shape)

    def ours(a):
        return fnp.sum(fnp.linalg.det(a))

    def theirs(a):
        return jnp.sum(jnp.linalg.det(a))

    _close(funcad.jvp(funcad.grad(ours), (A4,), (v,))[1],
           _jax_jvp(jax.grad(theirs), A4, v), 1e-9)


def test_matrix_primitives_second_order_vs_finite_differences():
    check_grads(lambda a: la.lu(a)[0], (_randn(3, 4),), order=2, modes=("fwd", "rev"))
    check_grads(la.cholesky, (_spd(n=3),), order=2, modes=("fwd", "rev"))
    a, b = _tri_operands(True, ())
    check_grads(lambda a, b: la.triangular_solve(a, b, left_side=True, lower=True), (a, b),
                order=2, modes=("fwd", "rev"))


# --- vmap against a loop ----------------------------------------------------------------------

B = 3


def _axes_choices(nargs: int):
    """Every assignment of {0, 1, -1, None} to the operands with some operand batched."""
    for axes in itertools.product((0, 1, -1, None), repeat=nargs):
        if any(a is not None for a in axes):
            yield axes


def _check_vmap(f, *args, make=None):
    """vmap(f) over each axes choice equals stacking f over the examples."""
    for in_axes in _axes_choices(len(args)):
        examples = [[make(a) if make else _randn(*np.shape(a)) for a in args] for _ in range(B)]
        batched = []
        for i, ax in enumerate(in_axes):
            if ax is None:
                for ex in examples:
                    ex[i] = examples[0][i]
                batched.append(examples[0][i])
            else:
                batched.append(np.stack([ex[i] for ex in examples], axis=ax))
        out = funcad.vmap(f, in_axes=in_axes)(*batched)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        want = [f(*ex) for ex in examples]
        want = [w if isinstance(w, (tuple, list)) else (w,) for w in want]
        for k, o in enumerate(outs):
            np.testing.assert_allclose(
                np.asarray(o), np.stack([np.asarray(w[k]) for w in want]),
                rtol=1e-10, atol=1e-10, err_msg=f"in_axes={in_axes} output {k}")


@pytest.mark.parametrize("prim", [base.reduce_sum, red.reduce_max, red.reduce_min,
                                  red.reduce_prod])
@pytest.mark.parametrize("axes", [(0,), (1,), (0, 2), (2,)])
def test_vmap_reducers(prim, axes):
    _check_vmap(lambda x: prim(x, axes), _randn(2, 3, 4))


@pytest.mark.parametrize("prim", [red.argmax, red.argmin])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_vmap_arg_extrema(prim, axis):
    _check_vmap(lambda x: prim(x, axis, np.int32), _randn(2, 3, 4))


@pytest.mark.parametrize("prim", [red.cumsum, red.cumprod, red.cummax, red.cummin])
@pytest.mark.parametrize("axis,reverse", list(itertools.product((0, 1), (False, True))))
def test_vmap_cumulative(prim, axis, reverse):
    _check_vmap(lambda x: prim(x, axis, reverse), _randn(3, 4))


@pytest.mark.parametrize("xs,ys,dims", DOT_CASES)
def test_vmap_dot_general(xs, ys, dims):
    _check_vmap(lambda x, y: la.dot_general(x, y, dims), _randn(*xs), _randn(*ys))


@pytest.mark.parametrize("in_axes", [(0, 0), (1, 2), (None, 1), (0, None), (2, None)])
def test_vmap_dot_general_moves_no_axis(in_axes):
    """One dot_general; at most one transpose, to bring the result to out_axes=0."""
    x, y = _randn(3, 4), _randn(4, 5)
    args = [v if ax is None else np.stack([v] * B, axis=ax) for v, ax in zip((x, y), in_axes)]
    names = _eqn_names(funcad.vmap(lambda a, b: a @ b, in_axes=in_axes), *args)
    assert names.count("dot_general") == 1 and set(names) <= {"dot_general", "transpose"}
    assert names.count("transpose") <= 1, names


def test_vmap_cholesky_and_lu():
    _check_vmap(la.cholesky, _spd(2), make=lambda a: _spd(*a.shape[:-2]))
    for shape in ((4, 4), (2, 3, 5), (5, 3)):
        _check_vmap(la.lu, _randn(*shape))


@pytest.mark.parametrize("flags", FLAGS[::2], ids=lambda f: "".join("TF"[not v] for v in f))
def test_vmap_triangular_solve(flags):
    a, b = _tri_operands(flags[0], batch=(2,))
    _check_vmap(lambda a, b: la.triangular_solve(a, b, **_tri(flags)), a, b,
                make=lambda x: _randn(*x.shape) + (3 * np.eye(3) if x.shape[-2:] == (3, 3)
                                                   and x.shape == a.shape else 0))


def test_vmap_triangular_solve_does_not_broadcast_an_unbatched_matrix():
    a = _randn(3, 3) + 3 * np.eye(3)
    for left_side, b in ((True, _randn(B, 3, 4)), (False, _randn(4, 3, B))):
        f = funcad.vmap(lambda b, s=left_side: la.triangular_solve(a, b, left_side=s, lower=True),
                        in_axes=0 if left_side else 2)
        names = _eqn_names(f, b)
        assert "broadcast_in_dim" not in names and names.count("triangular_solve") == 1, names
        want = np.stack([la.triangular_solve(a, np.take(b, i, 0 if left_side else 2),
                                             left_side=left_side, lower=True) for i in range(B)])
        _close(f(b), want)
