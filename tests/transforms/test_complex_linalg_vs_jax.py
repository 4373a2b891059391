"""Derivatives of linear algebra of complex matrices, funcad against JAX (float64 /
complex128) and against finite differences along real and imaginary directions.

Each row is a function written once for both namespaces (funcad.numpy / jax.numpy), of
complex arguments, whose outputs do not depend on the phases a decomposition is free to
choose (eigenvalues, projectors, reconstructions, singular values, |det|), or are unique
(solve, inv, det, cholesky, lu, qr as LAPACK normalizes it). For each row: the values,
``jvp`` with complex tangents, ``vjp`` with complex cotangents (JAX's convention: the plain
transpose of the complex-linear map), ``grad`` of a real loss (also under ``jit`` with both
backends and ``vmap``), and central differences
along a complex, a real and an imaginary direction.
"""
from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # this module only compares in float64
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402

import funcad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
import funcad.scipy.linalg as fsl  # noqa: E402
from funcad.errors import FuncadNotImplementedError  # noqa: E402


def _scipy(ns):
    return fsl if ns is fnp else jsl


def _cplx(r, shape):
    return r.standard_normal(shape) + 1j * r.standard_normal(shape)


def _hermitian(ns, a):
    return (a + ns.conj(a.T)) / 2


def _pd(ns, a):
    return a @ ns.conj(a.T) + 3 * ns.eye(a.shape[0])


def _from_triangle(ns, a, lower=True):
    """The Hermitian matrix LAPACK reads from one triangle of ``a`` (the real part of the
    diagonal): what funcad's cholesky and eigh stand for, spelled out for JAX's."""
    if ns is fnp:
        return a
    t = ns.tril(a, -1) if lower else ns.triu(a, 1)
    return t + ns.conj(t.T) + ns.diag(ns.real(ns.diag(a)))


def _raw_triangle_rows():
    def chol(ns):
        # Both symmetrize by default (JAX's rule): the input is spelled out for both.
        def f(a):
            m = 0.3 * a + 3 * ns.eye(3)
            t = ns.tril(m, -1)
            return ns.linalg.cholesky(t + ns.conj(t.T) + ns.diag(ns.real(ns.diag(m))))
        return f

    def eigh(uplo):
        def make(ns):
            def f(a):
                if ns is fnp:
                    w, v = ns.linalg.eigh(a, UPLO=uplo, symmetrize_input=False)
                else:
                    w, v = ns.linalg.eigh(_from_triangle(ns, a, uplo == "L"))
                return (v * w ** 2) @ ns.conj(v.T), w
            return f
        return make
    return {
        "cholesky of one triangle": (chol, [(3, 3)]),
        "eigh of the lower triangle": (eigh("L"), [(3, 3)]),
        "eigh of the upper triangle": (eigh("U"), [(3, 3)]),
    }


def _eigh_rows():
    def proj(ns):
        def f(a):
            w, v = ns.linalg.eigh(_hermitian(ns, a))
            return (v * ns.tanh(w)) @ ns.conj(v.T), w
        return f
    return {
        "eigh projector": (proj, [(4, 4)]),
        "eigvalsh |w|^2": (lambda ns: lambda a: ns.sum(ns.abs(ns.linalg.eigvalsh(
            _hermitian(ns, a))) ** 2), [(4, 4)]),
        "eigh real(tr(V^H A V))": (lambda ns: lambda a: ns.real(ns.trace(
            (lambda v: ns.conj(v.T) @ a @ v)(ns.linalg.eigh(_hermitian(ns, a))[1]))), [(3, 3)]),
    }


def _svd_rows():
    def recon(shape):
        def fn(ns):
            def f(a):
                u, s, vh = ns.linalg.svd(a, full_matrices=False)
                return (u * s ** 3) @ vh, s
            return f
        return fn, [shape]
    return {
        "svd square": recon((3, 3)),
        "svd tall": recon((5, 3)),
        "svd wide": recon((3, 5)),
        "svdvals sum|s|": (lambda ns: lambda a: ns.sum(ns.abs(ns.linalg.svd(
            a, compute_uv=False))), [(4, 3)]),
        "svd U V^H": (lambda ns: lambda a: (lambda u, s, vh: u @ vh)(
            *ns.linalg.svd(a, full_matrices=False)), [(4, 4)]),
    }


def _qr_rows():
    def qr_fn(shape):
        return (lambda ns: lambda a: tuple(ns.linalg.qr(a))), [shape]
    return {
        "qr square": qr_fn((3, 3)),
        "qr tall": qr_fn((5, 3)),
        "qr wide": qr_fn((3, 5)),
        "qr real(tr(Q^H A Q))": (lambda ns: lambda a: ns.real(ns.trace(
            (lambda q: ns.conj(q.T) @ a @ q)(ns.linalg.qr(a)[0]))), [(4, 4)]),
    }


def _triangular(trans, lower):
    def make(ns):
        return lambda a, b: _scipy(ns).solve_triangular(a + 4 * ns.eye(3), b, trans=trans,
                                                        lower=lower)
    return make


def _pinv_rows():
    def pinv(ns):
        return lambda a: ns.linalg.pinv(a)

    def rank_deficient(ns):
        # rank 2 by construction: the derivative at constant rank (both cut the zero
        # singular values, far below the tolerance)
        return lambda u, v: ns.linalg.pinv(u @ v, rtol=1e-10)

    def lstsq(ns):
        return lambda a, b: tuple(ns.linalg.lstsq(a, b)[:2])
    return {
        "pinv square": (pinv, [(3, 3)]),
        "pinv tall": (pinv, [(5, 3)]),
        "pinv wide": (pinv, [(3, 5)]),
        "pinv rank deficient": (rank_deficient, [(4, 2), (2, 5)]),
        "pinv sum|P|^2": (lambda ns: lambda a: ns.sum(ns.abs(ns.linalg.pinv(a)) ** 2), [(4, 3)]),
        "lstsq tall": (lstsq, [(5, 3), (5, 2)]),
        "lstsq wide": (lstsq, [(3, 4), (3, 2)]),
        "lstsq vector": (lambda ns: lambda a, b: ns.linalg.lstsq(a, b)[0], [(3, 4), (3,)]),
        "lstsq |x|^2": (lambda ns: lambda a, b: ns.sum(ns.abs(ns.linalg.lstsq(a, b)[0]) ** 2),
                        [(5, 3), (5,)]),
    }


def _expm_rows():
    def frechet(ns):
        return lambda a, e: _scipy(ns).expm_frechet(0.5 * a, e, compute_expm=False)
    return {
        "expm": (lambda ns: lambda a: _scipy(ns).expm(0.5 * a), [(3, 3)]),
        "expm sum|sin expm|^2": (lambda ns: lambda a: ns.sum(ns.abs(ns.sin(
            _scipy(ns).expm(0.5 * a))) ** 2), [(3, 3)]),
        "expm_frechet": (frechet, [(3, 3), (3, 3)]),
        "expm_frechet |L|^2": (lambda ns: lambda a, e: ns.sum(ns.abs(frechet(ns)(a, e)) ** 2),
                               [(3, 3), (3, 3)]),
    }


ROWS = {
    # name: (function of the namespace, shapes of its complex arguments)
    "solve": (lambda ns: lambda a, b: ns.linalg.solve(a, b), [(4, 4), (4, 2)]),
    "inv": (lambda ns: lambda a: ns.linalg.inv(a), [(3, 3)]),
    "det": (lambda ns: lambda a: ns.linalg.det(a), [(3, 3)]),
    "abs(det)": (lambda ns: lambda a: ns.abs(ns.linalg.det(a)), [(4, 4)]),
    "slogdet": (lambda ns: lambda a: tuple(ns.linalg.slogdet(a)), [(3, 3)]),
    "cholesky": (lambda ns: lambda a: ns.linalg.cholesky(_pd(ns, a)), [(3, 3)]),
    "cholesky upper": (lambda ns: lambda a: ns.linalg.cholesky(_pd(ns, a), upper=True)
                       if ns is fnp else ns.conj(ns.linalg.cholesky(_pd(ns, a)).T), [(3, 3)]),
    "cho_solve": (lambda ns: lambda a, b: _scipy(ns).cho_solve(
        _scipy(ns).cho_factor(_pd(ns, a), lower=True), b), [(3, 3), (3, 2)]),
    **{f"solve_triangular trans={tr} lower={lo}": (_triangular(tr, lo), [(3, 3), (3, 2)])
       for tr in (0, 1, 2) for lo in (True, False)},
    "lu_factor": (lambda ns: lambda a: _scipy(ns).lu_factor(a)[0], [(4, 4)]),
    "lu": (lambda ns: lambda a: tuple(_scipy(ns).lu(a)[1:]), [(3, 3)]),
    **_raw_triangle_rows(),
    **_eigh_rows(),
    **_svd_rows(),
    **_qr_rows(),
    **_pinv_rows(),
    **_expm_rows(),
    "eigvals sum w^2": (lambda ns: lambda a: ns.sum(ns.linalg.eigvals(a) ** 2), [(3, 3)]),
    "eigvals sum |w|^2": (lambda ns: lambda a: ns.sum(ns.abs(ns.linalg.eigvals(a)) ** 2),
                          [(4, 4)]),
}


def _leaves(tree):
    return funcad.tree_util.tree_leaves(tree)


def _close(ours, theirs, rtol=1e-7, atol=1e-9, what=""):
    la, lb = _leaves(ours), jax.tree_util.tree_leaves(theirs)
    assert len(la) == len(lb), what
    for x, y in zip(la, lb):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol,
                                   err_msg=what)


def _like(r, leaf):
    """A random value of ``leaf``'s shape and dtype (complex when it is complex)."""
    leaf = np.asarray(leaf)
    if np.iscomplexobj(leaf):
        return _cplx(r, leaf.shape)
    return r.standard_normal(leaf.shape).astype(leaf.dtype)


@pytest.mark.parametrize("name", list(ROWS))
def test_complex_linalg_matches_jax_and_finite_differences(name):
    make, shapes = ROWS[name]
    ours, theirs = make(fnp), make(jnp)
    r = np.random.default_rng(abs(hash(name)) % 2**32)
    args = [_cplx(r, s) for s in shapes]
    tangents = [_cplx(r, s) for s in shapes]
    value = ours(*args)
    with jax.disable_jit():
        _close(value, theirs(*args), what="value")
        # jvp with complex tangents
        out, tan = funcad.jvp(ours, args, tangents)
        _, jtan = jax.jvp(theirs, args, tangents)
        _close(out, value, what="jvp primal")
        _close(tan, jtan, what="jvp tangent")
        # vjp with complex cotangents (real ones for real outputs)
        cts = funcad.tree_util.tree_map(lambda leaf: _like(r, leaf), value)
        _, vjp_fun = funcad.vjp(ours, *args)
        _, jvjp_fun = jax.vjp(theirs, *args)
        _close(vjp_fun(cts), jvjp_fun(cts), what="vjp")
        real_loss = not isinstance(value, tuple) and np.ndim(value) == 0
        if real_loss and not np.iscomplexobj(value):  # grad
            argnums = tuple(range(len(args)))
            grad = funcad.grad(ours, argnums)
            _close(grad(*args), jax.grad(theirs, argnums)(*args), what="grad")
            for backend in ("numpy", "xla"):
                _close(funcad.jit(grad, backend=backend)(*args), grad(*args), what=backend)
            stacked = [np.stack([a, 2 * a]) for a in args]
            _close(funcad.vmap(grad)(*stacked)[0][1], grad(*[2 * a for a in args])[0],
                   what="vmap")
    # central differences along a complex, a real and an imaginary direction
    eps = 1e-6
    for direction in (tangents, [t.real + 0j for t in tangents], [1j * t.imag for t in tangents]):
        _, tan = funcad.jvp(ours, args, direction)
        hi = ours(*[a + eps * t for a, t in zip(args, direction)])
        lo = ours(*[a - eps * t for a, t in zip(args, direction)])
        for x, h, lw in zip(_leaves(tan), _leaves(hi), _leaves(lo)):
            fd = (np.asarray(h) - np.asarray(lw)) / (2 * eps)
            np.testing.assert_allclose(np.asarray(x), fd, rtol=1e-5, atol=1e-6,
                                       err_msg="finite differences")


REFUSALS = {
    # name: (function of funcad.numpy, argument shape, what the error names); JAX refuses
    # these too (NotImplementedError).
    "eig eigenvectors (without enable_eigvec_derivs)": (
        lambda a: fnp.sum(fnp.abs(fnp.linalg.eig(a)[1][0])), (3, 3), "eigenvectors"),
    "svd full_matrices of a tall matrix": (
        lambda a: fnp.sum(fnp.abs(fnp.linalg.svd(a)[0])), (4, 3), "full_matrices"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_refusals_name_the_feature(name):
    f, shape, what = REFUSALS[name]
    a = _cplx(np.random.default_rng(0), shape)
    transform = funcad.hessian if "second" in name else funcad.grad
    with pytest.raises(FuncadNotImplementedError, match=what):
        transform(f)(a)


SECOND_ORDER = {
    # name: (function of the namespace, argument shape); each output's second directional
    # derivative (jvp of jvp, complex tangents) against JAX's
    "slogdet": (lambda ns: lambda a: tuple(ns.linalg.slogdet(a)), (3, 3)),
    "det": (lambda ns: lambda a: ns.linalg.det(a), (3, 3)),
    "pinv": (lambda ns: lambda a: ns.linalg.pinv(a), (4, 3)),
    "expm": (lambda ns: lambda a: _scipy(ns).expm(0.5 * a), (3, 3)),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivatives_match_jax(name):
    make, shape = SECOND_ORDER[name]
    r = np.random.default_rng(3)
    a, t1, t2 = (_cplx(r, shape) for _ in range(3))

    def second(lib, f):
        return lib.jvp(lambda x: lib.jvp(f, (x,), (t1,))[1], (a,), (t2,))[1]

    with jax.disable_jit():
        want = second(jax, make(jnp))
    _close(second(funcad, make(fnp)), want, rtol=1e-8, atol=1e-9, what="second jvp")
