"""Derivatives of ``eig`` beyond the first: second and third derivatives of gauge-invariant
functions of the eigenvalues (real and complex spectra, real and complex matrices) against
central differences of the first derivative and against JAX (float64, where JAX computes
them: with ``enable_eigvec_derivs=True``); the eigenvector derivatives under LAPACK's
normalization (``enable_eigvec_derivs=True``) against JAX's, forward and reverse; jit (NumPy,
XLA) and vmap of the Hessians."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.errors import FuncadNotImplementedError
from funcad.testing import check_grads

HAVE_JAX = importlib.util.find_spec("jax") is not None
_RNG = np.random.default_rng(13)
_REAL_SPECTRUM = _RNG.standard_normal((4, 4)) + np.diag([3.0, 1.0, -1.0, -3.0]) * 2
_COMPLEX_SPECTRUM = _RNG.standard_normal((4, 4))  # two complex-conjugate pairs or so
_COMPLEX_MATRIX = _RNG.standard_normal((3, 3)) + 1j * _RNG.standard_normal((3, 3))
MATRICES = {"real spectrum": _REAL_SPECTRUM, "complex spectrum": _COMPLEX_SPECTRUM,
            "complex matrix": _COMPLEX_MATRIX}


def _spectral(ns, eigvals):
    """A gauge-invariant function of the eigenvalues (symmetric in them)."""
    def f(a):
        w = eigvals(a)
        return ns.sum(ns.real(w**3)) + ns.sum(ns.abs(w) ** 2) + ns.real(ns.prod(w))
    return f


def _ours(a):
    return _spectral(fnp, fnp.linalg.eigvals)(a)


def test_spectra_are_what_the_names_say():
    assert np.all(np.abs(np.linalg.eigvals(_REAL_SPECTRUM).imag) < 1e-12)
    assert np.any(np.abs(np.linalg.eigvals(_COMPLEX_SPECTRUM).imag) > 0.1)


@pytest.mark.parametrize("name", list(MATRICES))
def test_eigvals_second_derivatives_match_differences(name):
    a = MATRICES[name]
    if np.iscomplexobj(a):  # a real function of a complex matrix: real and imaginary parts
        def f(re, im):
            return _ours(re + 1j * im)
        args = (a.real, a.imag)
    else:
        f, args = _ours, (a,)
    check_grads(f, args, order=2, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)
    # the Hessian against central differences of the gradient, entry by entry
    grad = funcad.grad(f, argnums=tuple(range(len(args))))
    hess = funcad.jacfwd(grad, argnums=0)(*args)
    eps = 1e-6
    for idx in [(0, 0), (1, 2), (3 % a.shape[0], 1)]:
        e = np.zeros_like(args[0])
        e[idx] = eps
        up = grad(args[0] + e, *args[1:])
        down = grad(args[0] - e, *args[1:])
        for h, u, d in zip(hess, up, down):
            np.testing.assert_allclose(h[(..., *idx)], (u - d) / (2 * eps), rtol=1e-6,
                                       atol=1e-7)


@pytest.mark.skipif(not HAVE_JAX, reason="jax is not installed")
@pytest.mark.parametrize("name", list(MATRICES))
def test_eigvals_hessian_and_third_derivative_match_jax(name):
    from jax_reference import jax

    def jax_eigvals(a):
        return jax.lax.linalg.eig(a, compute_left_eigenvectors=False,
                                  compute_right_eigenvectors=False,
                                  enable_eigvec_derivs=True)[0]

    theirs = _spectral(jax.numpy, jax_eigvals)
    a = MATRICES[name]
    direction = _RNG.standard_normal(a.shape).astype(a.dtype)

    def along(f, grad, jvp):  # d^3/dt^3 f(a + t direction) at 0, nested JVPs
        def d1(t):
            return jvp(lambda s: f(a + s * direction), (t,), (1.0,))[1]

        def d2(t):
            return jvp(d1, (t,), (1.0,))[1]

        return jvp(d2, (0.0,), (1.0,))[1]

    if np.iscomplexobj(a):
        np.testing.assert_allclose(along(_ours, funcad.grad, funcad.jvp),
                                   float(along(theirs, jax.grad, jax.jvp)), rtol=1e-9)
        return
    h = funcad.hessian(_ours)(a)
    hj = jax.hessian(theirs)(a)
    np.testing.assert_allclose(h, np.asarray(hj), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(along(_ours, funcad.grad, funcad.jvp),
                               float(along(theirs, jax.grad, jax.jvp)), rtol=1e-9)


def _eigvectors(a):
    return lax.linalg.eig(a, compute_left_eigenvectors=False, enable_eigvec_derivs=True)[1]


@pytest.mark.skipif(not HAVE_JAX, reason="jax is not installed")
@pytest.mark.parametrize("name", list(MATRICES))
def test_eigenvector_derivatives_follow_lapack_normalization_as_jax(name):
    from jax_reference import jax

    def theirs(a):
        return jax.lax.linalg.eig(a, compute_left_eigenvectors=False,
                                  enable_eigvec_derivs=True)[1]

    a = MATRICES[name]
    t = _RNG.standard_normal(a.shape).astype(a.dtype)
    v, dv = funcad.jvp(_eigvectors, (a,), (t,))
    vj, dvj = jax.jvp(theirs, (a,), (t,))
    np.testing.assert_allclose(v, np.asarray(vj), atol=1e-13)
    np.testing.assert_allclose(dv, np.asarray(dvj), rtol=1e-10, atol=1e-12)
    # LAPACK's normalization is kept: Re(v_j^H dv_j) = 0 and Im(dv) = 0 where |v| is largest
    np.testing.assert_allclose(np.real(np.sum(np.conj(v) * dv, axis=0)), 0, atol=1e-12)
    k = np.argmax(np.abs(v), axis=0)
    np.testing.assert_allclose(dv[k, np.arange(a.shape[0])].imag, 0, atol=1e-12)
    # reverse mode: the dot-product identity, and against JAX's VJP
    ct = _RNG.standard_normal(v.shape) + 1j * _RNG.standard_normal(v.shape)
    (g,) = funcad.vjp(_eigvectors, a)[1](ct)
    (gj,) = jax.vjp(theirs, a)[1](ct)
    np.testing.assert_allclose(g, np.asarray(gj), rtol=1e-10, atol=1e-12)


def test_eigenvectors_still_refuse_without_the_flag():
    with pytest.raises(FuncadNotImplementedError, match="enable_eigvec_derivs"):
        funcad.jvp(lambda a: fnp.linalg.eig(a)[1], (_REAL_SPECTRUM,), (_REAL_SPECTRUM,))


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_eigvals_hessian_under_jit_and_vmap(backend):
    if backend == "xla" and not HAVE_JAX:
        pytest.skip("jax is not installed")
    stack = np.stack([_REAL_SPECTRUM, _COMPLEX_SPECTRUM])
    hess = funcad.jit(funcad.vmap(funcad.hessian(_ours)), backend=backend)(stack)
    for i in range(2):
        np.testing.assert_allclose(hess[i], funcad.hessian(_ours)(stack[i]), rtol=1e-10,
                                   atol=1e-10)
