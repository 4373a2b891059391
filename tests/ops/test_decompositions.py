"""Decompositions and the functions built on them, beyond the op-spec table: algebraic
identities of the factors (batched, complex), derivatives at constant rank of rank-deficient
matrices, expm to third order, the transpose identity of expm_frechet, NumPy's own
functions on traced values, and the errors."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import funcad
import funcad.numpy as fnp
import funcad.scipy.linalg as fsl
from funcad.errors import FuncadNotImplementedError, FuncadValueError, PrimitiveTypeError
from funcad.ops import decompositions as dc
from funcad.ops import matrix_functions as mf
from funcad.testing import check_grads

RNG = np.random.default_rng(7)


def _herm(x):
    return (x + np.conj(np.swapaxes(x, -1, -2))) / 2


def _t(x):
    return np.swapaxes(x, -1, -2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_factors_reconstruct_their_matrix(dtype):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    x = RNG.standard_normal((2, 3, 4, 4))
    if dtype == np.complex128:
        x = x + 1j * RNG.standard_normal(x.shape)
    x = x.astype(dtype)
    h = _herm(x)
    w, v = fnp.linalg.eigh(h)
    np.testing.assert_allclose((v * w[..., None, :]) @ np.conj(_t(v)), h, atol=tol)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(h), atol=tol)
    for shape in [(2, 4, 3), (3, 5)]:
        a = x.reshape(-1)[: np.prod(shape)].reshape(shape)
        u, s, vh = fnp.linalg.svd(a, full_matrices=False)
        np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, atol=tol)
        q, r = fnp.linalg.qr(a, "complete")
        np.testing.assert_allclose(q @ r, a, atol=tol)
        eye = np.eye(q.shape[-1])
        np.testing.assert_allclose(np.conj(_t(q)) @ q, np.broadcast_to(eye, q.shape), atol=tol)
        np.testing.assert_allclose(r, np.triu(r), atol=0)
    we, ve = fnp.linalg.eig(x)
    assert we.dtype == ve.dtype == np.result_type(dtype, np.complex64)
    np.testing.assert_allclose(x @ ve, ve * we[..., None, :], atol=10 * tol)


def test_eig_is_always_complex_and_matches_numpy():
    x = np.diag([3.0, 1.0, 2.0])  # real eigenvalues: NumPy would answer a real array
    np.testing.assert_allclose(fnp.linalg.eigvals(x), np.linalg.eigvals(x))
    assert fnp.linalg.eigvals(x).dtype == np.complex128
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    np.testing.assert_allclose(np.sort_complex(fnp.linalg.eigvals(rot)), [-1j, 1j])


def test_svd_and_eigh_outputs_under_jit_and_vmap():
    x = RNG.standard_normal((3, 4, 4))
    for backend in ("numpy", "xla"):
        s = funcad.jit(lambda a: fnp.linalg.svd(a, compute_uv=False), backend=backend)(x)
        np.testing.assert_allclose(s, np.linalg.svd(x, compute_uv=False), rtol=1e-12)
    y = RNG.standard_normal((4, 3, 4))
    w = funcad.vmap(fnp.linalg.eigvalsh, in_axes=1)(y)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(_herm(np.moveaxis(y, 1, 0))), atol=1e-12)


# --- rank-deficient matrices: derivatives along the constant-rank manifold --------------------

def test_pinv_and_lstsq_derivatives_at_constant_rank():
    u, v = RNG.standard_normal((5, 2)), RNG.standard_normal((2, 4))  # a = u v has rank 2
    b = RNG.standard_normal(5)

    def pinv_of(u, v):
        return fnp.linalg.pinv(u @ v)

    def lstsq_of(u, v, b):
        x, resid, _, s = fnp.linalg.lstsq(u @ v, b)
        return x, resid, s[:2]

    np.testing.assert_allclose(pinv_of(u, v), np.linalg.pinv(u @ v), atol=1e-12)
    check_grads(pinv_of, [u, v], order=2, modes=("fwd", "rev"), eps=1e-5)
    check_grads(lstsq_of, [u, v, b], order=2, modes=("fwd", "rev"), eps=1e-5)


def test_lstsq_rank_deficient_matches_numpy():
    a = RNG.standard_normal((6, 2)) @ RNG.standard_normal((2, 4))
    b = RNG.standard_normal((6, 3))
    x, resid, rank, s = fnp.linalg.lstsq(a, b)
    xn, _, rank_n, sn = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(x, xn, atol=1e-10)  # the minimum-norm solution
    assert int(rank) == rank_n == 2
    np.testing.assert_allclose(s, sn, atol=1e-12)
    np.testing.assert_allclose(resid, np.sum((b - a @ xn) ** 2, axis=0), atol=1e-10)
    # NumPy's residuals: empty below full column rank, and for m <= n.
    assert fnp.linalg.lstsq(a, b, numpy_resid=True)[1].shape == (0,)
    full = RNG.standard_normal((6, 3))
    got = fnp.linalg.lstsq(full, b[:, 0], numpy_resid=True)[1]
    np.testing.assert_allclose(got, np.linalg.lstsq(full, b[:, 0])[1], rtol=1e-10)
    with pytest.raises(funcad.errors.ConcretizationError):
        funcad.jit(lambda a: fnp.linalg.lstsq(a, b, numpy_resid=True)[1])(full)


def test_matrix_rank_of_rank_deficient_batches():
    a = RNG.standard_normal((3, 5, 2)) @ RNG.standard_normal((3, 2, 4))
    np.testing.assert_array_equal(fnp.linalg.matrix_rank(a), np.linalg.matrix_rank(a))
    assert int(fnp.linalg.matrix_rank(np.zeros(3))) == 0
    assert int(fnp.linalg.matrix_rank(a[0], tol=1e9)) == 0


def test_complex_pinv_and_lstsq_second_derivatives_at_constant_rank():
    # finite differences along random complex, real and imaginary directions (check_grads)
    u = RNG.standard_normal((5, 2)) + 1j * RNG.standard_normal((5, 2))
    v = RNG.standard_normal((2, 4)) + 1j * RNG.standard_normal((2, 4))
    b = RNG.standard_normal(5) + 1j * RNG.standard_normal(5)
    check_grads(lambda u, v: fnp.linalg.pinv(u @ v), [u, v], order=2, modes=("fwd", "rev"),
                eps=1e-5)
    check_grads(lambda u, v, b: fnp.linalg.lstsq(u @ v, b)[:2], [u, v, b], order=2,
                modes=("fwd", "rev"), eps=1e-5)
    for shape in ((3, 3), (4, 3), (3, 4)):
        z = RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)
        check_grads(fnp.linalg.pinv, [z], order=2, modes=("fwd", "rev"), eps=1e-5)


# --- expm ----------------------------------------------------------------------------------

def test_expm_closed_forms():
    n = np.triu(RNG.standard_normal((4, 4)), 1)  # nilpotent: the series stops
    np.testing.assert_allclose(fsl.expm(n), np.eye(4) + n + n @ n / 2 + n @ n @ n / 6,
                               atol=1e-12)
    d = np.diag([0.5, -1.0, 2.0])
    np.testing.assert_allclose(fsl.expm(d), np.diag(np.exp([0.5, -1.0, 2.0])), rtol=1e-13)
    # d/dt expm(t a) = a expm(t a)
    a = RNG.standard_normal((3, 3))
    _, dt = funcad.jvp(lambda t: fsl.expm(t * a), (0.7,), (1.0,))
    np.testing.assert_allclose(dt, a @ sl.expm(0.7 * a), rtol=1e-10)


def test_expm_derivatives_of_order_three():
    a = 0.6 * RNG.standard_normal((3, 3))
    check_grads(lambda a: fnp.sum(fnp.sin(fsl.expm(a))), [a], order=3, modes=("fwd", "rev"),
                eps=1e-3, atol=1e-4, rtol=1e-4)
    # the third derivative along t: d^3/dt^3 expm(t a) = a^3 expm(t a)
    def third(t):
        d1 = lambda s: funcad.jvp(lambda r: fsl.expm(r * a), (s,), (1.0,))[1]  # noqa: E731
        d2 = lambda s: funcad.jvp(d1, (s,), (1.0,))[1]  # noqa: E731
        return funcad.jvp(d2, (t,), (1.0,))[1]
    np.testing.assert_allclose(third(0.3), a @ a @ a @ sl.expm(0.3 * a), rtol=1e-9, atol=1e-10)


def test_complex_expm_derivatives_of_order_three():
    a = 0.5 * (RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3)))
    e = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
    check_grads(fsl.expm, [a], order=3, modes=("fwd", "rev"), eps=1e-3, atol=1e-4, rtol=1e-4)
    check_grads(mf.expm_frechet, [a, e], order=2, modes=("fwd", "rev"), eps=1e-4, atol=1e-5,
                rtol=1e-5)
    # d^3/dt^3 expm(t a) = a^3 expm(t a) along a real t, for a complex a
    def third(t):
        d1 = lambda s: funcad.jvp(lambda r: fsl.expm(r * a), (s,), (1.0,))[1]  # noqa: E731
        d2 = lambda s: funcad.jvp(d1, (s,), (1.0,))[1]  # noqa: E731
        return funcad.jvp(d2, (t,), (1.0,))[1]
    np.testing.assert_allclose(third(0.3), a @ a @ a @ sl.expm(0.3 * a), rtol=1e-9, atol=1e-10)


def test_complex_expm_frechet_transpose_is_the_plain_transpose():
    # <c, L(a, e)> = <L(a^T, c), e> under the bilinear pairing sum(x * y), no conjugation
    a, e, c = (RNG.standard_normal((2, 3, 3)) + 1j * RNG.standard_normal((2, 3, 3))
               for _ in range(3))
    want = np.stack([sl.expm_frechet(ai, ei)[1] for ai, ei in zip(a, e)])
    np.testing.assert_allclose(mf.expm_frechet(a, e), want, rtol=1e-11)
    _, pullback = funcad.vjp(lambda e: mf.expm_frechet(a, e), e)
    (ct_e,) = pullback(c)
    np.testing.assert_allclose(np.sum(c * want), np.sum(ct_e * e), rtol=1e-11)
    np.testing.assert_allclose(ct_e, mf.expm_frechet(_t(a), c), rtol=1e-12)
    for backend in ("numpy", "xla"):
        got = funcad.jit(lambda a, e: mf.expm_frechet(a, e), backend=backend)(a, e)
        np.testing.assert_allclose(got, want, rtol=1e-10)
        got = funcad.jit(pullback, backend=backend)(c)[0]
        np.testing.assert_allclose(got, ct_e, rtol=1e-10)
    batched = funcad.vmap(mf.expm_frechet, in_axes=(0, None))(a, e[0])
    np.testing.assert_allclose(batched[1], sl.expm_frechet(a[1], e[0])[1], rtol=1e-11)


def test_expm_frechet_transpose_identity_and_scipy():
    a, e, c = (RNG.standard_normal((3, 3)) for _ in range(3))
    np.testing.assert_allclose(mf.expm_frechet(a, e), sl.expm_frechet(a, e)[1], rtol=1e-11)
    _, pullback = funcad.vjp(lambda e: mf.expm_frechet(a, e), e)
    (ct_e,) = pullback(c)
    np.testing.assert_allclose(np.vdot(c, mf.expm_frechet(a, e)), np.vdot(ct_e, e), rtol=1e-11)
    # scaled tangents: L is linear in e, so huge e loses no accuracy
    np.testing.assert_allclose(mf.expm_frechet(a, 1e8 * e), 1e8 * sl.expm_frechet(a, e)[1],
                               rtol=1e-10)


# --- NumPy's own functions on traced values --------------------------------------------------

def test_numpy_linalg_dispatches_on_tracers():
    a = RNG.standard_normal((4, 3))
    sq = a[:3] + 3 * np.eye(3)

    def f(x):
        s = np.linalg.svd(x, compute_uv=False)
        _, r = np.linalg.qr(x)
        w, _ = np.linalg.eigh(x.T @ x)
        p = np.linalg.pinv(x)
        xs = np.linalg.lstsq(x, np.ones(4))[0]
        return (np.sum(s) + np.sum(r ** 2) + np.sum(w) + np.sum(p) + np.sum(xs)
                + np.linalg.norm(x, "nuc") + np.linalg.cond(x)
                + np.sum(np.linalg.multi_dot([x.T, x, x.T])))

    def g(x):
        return np.sum(np.linalg.matrix_power(x, 3)) + np.sum(np.linalg.eigvalsh(x + x.T))

    np.testing.assert_allclose(funcad.grad(f)(a), funcad.grad(lambda x: f_funcad(x))(a),
                               rtol=1e-12)
    check_grads(f, [a], order=1, modes=("rev",))
    check_grads(g, [sq], order=2, modes=("fwd", "rev"))


def f_funcad(x):
    la = fnp.linalg
    s = la.svd(x, compute_uv=False)
    _, r = la.qr(x)
    w, _ = la.eigh(x.T @ x)
    return (fnp.sum(s) + fnp.sum(r ** 2) + fnp.sum(w) + fnp.sum(la.pinv(x))
            + fnp.sum(la.lstsq(x, np.ones(4))[0]) + la.norm(x, "nuc") + la.cond(x)
            + fnp.sum(la.multi_dot([x.T, x, x.T])))


# --- errors ------------------------------------------------------------------------------------

def test_misuse_raises_funcad_errors():
    with pytest.raises(FuncadValueError, match=r"linalg.eigh.*square"):
        fnp.linalg.eigh(np.ones((2, 3)))
    with pytest.raises(FuncadValueError, match=r"linalg.svd.*two-dimensional"):
        fnp.linalg.svd(np.ones(3))
    with pytest.raises(FuncadNotImplementedError, match="raw"):  # (values work; see below)
        funcad.grad(lambda a: fnp.sum(fnp.linalg.qr(a, "raw")[0]))(np.eye(3) + 1.0)
    with pytest.raises(FuncadValueError, match="mode"):
        fnp.linalg.qr(np.ones((3, 3)), "bogus")
    with pytest.raises(FuncadValueError, match="integer"):
        fnp.linalg.matrix_power(np.eye(2), 1.5)
    with pytest.raises(FuncadValueError, match="multi_dot"):
        fnp.linalg.multi_dot([np.ones(2)])
    with pytest.raises(FuncadValueError, match="trans"):
        fsl.solve_triangular(np.eye(2), np.ones(2), trans=3)
    with pytest.raises(FuncadValueError, match="solve_triangular"):
        fsl.solve_triangular(np.eye(2), np.ones(3))
    with pytest.raises(PrimitiveTypeError, match="eigh"):
        dc.eigh(np.ones((2, 3)))
    with pytest.raises(funcad.errors.NumpyNameNotImplementedError, match=r"linalg\.tensorinv"):
        fnp.linalg.tensorinv(np.eye(4))
    with pytest.raises(FuncadValueError, match="one-dimensional"):
        fnp.linalg.outer(np.eye(2), np.ones(2))
    with pytest.raises(PrimitiveTypeError, match="expm_frechet"):
        mf.expm_frechet(np.eye(2), np.eye(3))


def test_unsupported_derivatives_raise_clearly():
    x = RNG.standard_normal((4, 3))
    with pytest.raises(FuncadNotImplementedError, match="full_matrices"):
        funcad.grad(lambda a: fnp.sum(fnp.linalg.svd(a)[0]))(x)
    with pytest.raises(FuncadNotImplementedError, match="full_matrices"):
        funcad.grad(lambda a: fnp.sum(fnp.linalg.qr(a, "complete")[0]))(x)
    with pytest.raises(FuncadNotImplementedError, match="eigenvectors of `eig`"):
        funcad.grad(lambda a: fnp.sum(fnp.real(fnp.linalg.eig(a)[1])))(x[:3])
    # eigenvalues differentiate to every order (test_eig_derivatives)
    check_grads(lambda a: fnp.abs(fnp.linalg.eigvals(a)) ** 2, [x[:3]], order=2,
                modes=("fwd", "rev"))
    # Square matrices with full_matrices=True differentiate (U and Vh are the reduced ones).
    sq = x[:3]
    check_grads(lambda a: fnp.linalg.svd(a)[0] @ fnp.linalg.svd(a)[2], [sq], order=1)


def test_lax_linalg_matches_jax_lax_linalg():
    jax = pytest.importorskip("jax")
    from jax.lax import linalg as jll

    from funcad import lax
    x = RNG.standard_normal((2, 4, 4))
    with jax.enable_x64(True):
        v, w = lax.linalg.eigh(x)
        vj, wj = jll.eigh(x)
        np.testing.assert_allclose(w, wj, rtol=1e-12)
        np.testing.assert_allclose(np.abs(_t(v) @ np.asarray(vj)), np.eye(4) + 0 * v, atol=1e-10)
        for ours, theirs in zip(lax.linalg.svd(x, full_matrices=False),
                                jll.svd(x, full_matrices=False)):
            assert ours.shape == theirs.shape
        np.testing.assert_allclose(lax.linalg.svd(x, compute_uv=False),
                                   jll.svd(x, compute_uv=False), rtol=1e-12)
        spd = x @ _t(x) + 4 * np.eye(4)
        np.testing.assert_allclose(lax.linalg.cholesky(spd), jll.cholesky(spd), rtol=1e-12)
        piv = lax.linalg.lu(x)[1]
        np.testing.assert_array_equal(lax.linalg.lu_pivots_to_permutation(piv, 4),
                                      jll.lu_pivots_to_permutation(piv, 4))
        w_eig = lax.linalg.eig(x[0], compute_left_eigenvectors=False)[0]
        np.testing.assert_allclose(np.sort_complex(w_eig), np.sort_complex(jll.eig(
            x[0], compute_left_eigenvectors=False, compute_right_eigenvectors=False)[0]),
            rtol=1e-10)
    with pytest.raises(FuncadNotImplementedError, match="left eigenvectors"):
        lax.linalg.eig(x)


def test_complex_values_match_numpy_and_scipy():
    z = RNG.standard_normal((4, 3)) + 1j * RNG.standard_normal((4, 3))
    b = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    sq = z[:3] + 3 * np.eye(3)
    h = sq @ np.conj(sq.T)
    pairs = [
        (fnp.linalg.pinv(z), np.linalg.pinv(z)),
        (fnp.linalg.lstsq(z, b)[0], np.linalg.lstsq(z, b)[0]),
        (fnp.linalg.cond(sq), np.linalg.cond(sq)),
        (fnp.linalg.norm(sq, "nuc"), np.linalg.norm(sq, "nuc")),
        (fnp.linalg.matrix_power(sq, -2), np.linalg.matrix_power(sq, -2)),
        (fnp.linalg.slogdet(sq)[1], np.linalg.slogdet(sq)[1]),
        (fsl.expm(sq), sl.expm(sq)),
        (fsl.solve(h, b[:3], assume_a="pos"), sl.solve(h, b[:3], assume_a="pos")),
        (fsl.eigh(h, h + np.eye(3))[0], sl.eigh(h, h + np.eye(3))[0]),
    ]
    for lower in (True, False):
        pairs.append((fsl.cholesky(h, lower=lower), sl.cholesky(h, lower=lower)))
        pairs.append((fsl.cho_solve(fsl.cho_factor(h, lower), b[:3]), np.linalg.solve(h, b[:3])))
    for trans in (0, 1, 2):
        pairs.append((fsl.solve_triangular(sq, b[:3], trans, True),
                      sl.solve_triangular(sq, b[:3], trans, True)))
        pairs.append((fsl.lu_solve(fsl.lu_factor(sq), b[:3], trans),
                      sl.lu_solve(sl.lu_factor(sq), b[:3], trans)))
    for i, (ours, theirs) in enumerate(pairs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=str(i))
