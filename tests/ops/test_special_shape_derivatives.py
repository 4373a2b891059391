"""The derivatives of every order of the incomplete gamma and beta functions in their shape
parameters (the ``igamma_da`` and ``betainc_dab`` primitives): the kernels against mpmath's
numerical differentiation at high precision (orders 1 to 3, a and b in [0.1, 50], x across
the support and near a = x) and against central differences of the kernel one order down;
the derivatives that funcad's rules compose (grad of grad, the x-derivatives, mixed
ones) against the kernel and central differences; jit on both backends and vmap."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import funcad
from funcad import lax
from funcad.errors import FuncadValueError
from funcad.ops import _betainc_kernels, _igamma_kernels
from funcad.ops import special as sp

mp = pytest.importorskip("mpmath")

_RNG = np.random.default_rng(20261205)
# shape parameters log-uniform over [0.1, 50]; x across the support, a third near a = x
_A = np.exp(_RNG.uniform(np.log(0.1), np.log(50.0), 24))
_X = np.concatenate([_A[:8] * _RNG.uniform(0.97, 1.03, 8), _A[8:16] + 1.0,
                     _RNG.uniform(0.01, 80.0, 8)])
_B = np.exp(_RNG.uniform(np.log(0.1), np.log(50.0), 24))
_XB = np.concatenate([(_A / (_A + _B))[:8], _RNG.uniform(0.002, 0.998, 16)])


def _mp_igamma_da(a, x, k):
    with mp.workdps(50):
        return float(mp.diff(lambda s: mp.gammainc(s, 0, x, regularized=True), mp.mpf(a), k))


def _mp_betainc_dab(a, b, x, order):
    """The derivative of the smaller of I_x(a, b) and 1 - I_x(a, b) (the other one is 1
    less that, so its derivatives are the negatives): mpmath cannot resolve a tiny
    complement next to 1 at any fixed precision."""
    with mp.workdps(60):
        lower = mp.betainc(a, b, 0, x, regularized=True) < 0.5

        def tail(s, u):
            if lower:
                return mp.betainc(s, u, 0, x, regularized=True)
            return -mp.betainc(s, u, x, 1, regularized=True)

        return float(mp.diff(tail, (mp.mpf(a), mp.mpf(b)), order))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_igamma_da_kernel_matches_mpmath(k):
    ours = _igamma_kernels.igamma_da(_A, _X, k)
    ref = np.array([_mp_igamma_da(a, x, k) for a, x in zip(_A, _X)])
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("order", [(2, 0), (1, 1), (0, 2), (2, 1), (3, 0)])
def test_betainc_dab_kernel_matches_mpmath(order):
    ours = _betainc_kernels.betainc_dab(_A, _B, _XB, order)
    ref = np.array([_mp_betainc_dab(a, b, x, order) for a, b, x in zip(_A, _B, _XB)])
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-300)


def test_kernels_match_differences_of_the_order_below():
    h = 1e-5 * _A
    for k in (2, 3):
        fd = (_igamma_kernels.igamma_da(_A + h, _X, k - 1)
              - _igamma_kernels.igamma_da(_A - h, _X, k - 1)) / (2 * h)
        np.testing.assert_allclose(_igamma_kernels.igamma_da(_A, _X, k), fd, rtol=1e-6,
                                   atol=1e-11)
    hb = 1e-5 * _B
    for below, up, step in (((1, 0), (2, 0), 0), ((1, 0), (1, 1), 1), ((0, 1), (0, 2), 1)):
        da = (h, 0 * h)[step]
        db = (0 * hb, hb)[step]
        fd = (_betainc_kernels.betainc_dab(_A + da, _B + db, _XB, below)
              - _betainc_kernels.betainc_dab(_A - da, _B - db, _XB, below)) / (2 * (da + db))
        np.testing.assert_allclose(_betainc_kernels.betainc_dab(_A, _B, _XB, up), fd,
                                   rtol=1e-6, atol=1e-11)


def test_kernel_edges():
    assert _igamma_kernels.igamma_da(np.array(2.0), np.array(0.0), 2) == 0.0
    assert _igamma_kernels.igamma_da(np.array(2.0), np.array(np.inf), 3) == 0.0
    assert np.isnan(_igamma_kernels.igamma_da(np.array(-1.0), np.array(1.0), 2))
    edges = _betainc_kernels.betainc_dab(np.array([2.0, 2.0, -1.0]), np.array([3.0, 3.0, 1.0]),
                                         np.array([0.0, 1.0, 0.5]), (1, 1))
    assert edges[0] == 0 and edges[1] == 0 and np.isnan(edges[2])


def _central(f, v, h):
    return (f(v + h) - f(v - h)) / (2 * h)


def test_nested_grads_in_a_are_the_kernel_of_that_order():
    a, x = np.float64(3.7), np.float64(2.9)
    g = lambda s: lax.igamma(s, x)  # noqa: E731
    for k in range(1, 5):
        g = funcad.grad(g)
        np.testing.assert_allclose(g(a), _igamma_kernels.igamma_da(a, x, k), rtol=1e-13)
    b, xb = np.float64(1.3), np.float64(0.4)
    hess = funcad.hessian(lambda s, u: lax.betainc(s, u, xb), argnums=(0, 1))(a, b)
    for (i, j) in ((0, 0), (0, 1), (1, 0), (1, 1)):
        order = (2 - i - j, i + j) if i == j else (1, 1)
        np.testing.assert_allclose(hess[i][j], _betainc_kernels.betainc_dab(a, b, xb, order),
                                   rtol=1e-13)


def test_x_derivatives_of_the_shape_derivatives():
    """d/dx of igamma_da and betainc_dab is the shape derivative of the density (written
    in funcad ops): against central differences of the kernels, orders 1 to 3."""
    a, x = np.float64(2.5), np.float64(1.7)
    for k in (1, 2, 3):
        d = funcad.grad(lambda v, k=k: sp.igamma_da(a, v, order=k))(x)
        fd = _central(lambda v, k=k: _igamma_kernels.igamma_da(a, v, k), x, 1e-6)
        np.testing.assert_allclose(d, fd, rtol=1e-7)
    b, xb = np.float64(1.3), np.float64(0.4)
    for order in ((1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (2, 1)):
        d = funcad.grad(lambda v, o=order: sp.betainc_dab(a, b, v, order=o))(xb)
        fd = _central(lambda v, o=order: _betainc_kernels.betainc_dab(a, b, v, o), xb, 1e-6)
        np.testing.assert_allclose(d, fd, rtol=1e-7)


def test_second_derivatives_of_gammainc_and_betainc_in_all_arguments():
    a, x = 2.5, 1.7
    h = funcad.hessian(lambda v: lax.igamma(v[0], v[1]))(np.array([a, x]))
    hc = funcad.hessian(lambda v: lax.igammac(v[0], v[1]))(np.array([a, x]))
    fd = funcad.jacfwd(funcad.grad(lambda v: lax.igamma(v[0], v[1])))
    np.testing.assert_allclose(h, fd(np.array([a, x])), rtol=1e-13)
    np.testing.assert_allclose(hc, -h, rtol=1e-13)
    eps = 1e-4
    grad_fd = np.array([_central(lambda s: sc.gammainc(s, x), a, eps),
                        _central(lambda s: sc.gammainc(a, s), x, eps)])
    grad_ours = funcad.grad(lambda v: lax.igamma(v[0], v[1]))(np.array([a, x]))
    np.testing.assert_allclose(grad_ours, grad_fd, rtol=1e-7)
    for i in range(2):
        e = np.eye(2)[i] * eps
        col = (funcad.grad(lambda v: lax.igamma(v[0], v[1]))(np.array([a, x]) + e)
               - funcad.grad(lambda v: lax.igamma(v[0], v[1]))(np.array([a, x]) - e)) / (2 * eps)
        np.testing.assert_allclose(h[:, i], col, rtol=1e-7)
    p = np.array([2.5, 1.3, 0.4])
    hb = funcad.hessian(lambda v: lax.betainc(v[0], v[1], v[2]))(p)
    for i in range(3):
        e = np.eye(3)[i] * eps
        g = funcad.grad(lambda v: lax.betainc(v[0], v[1], v[2]))
        np.testing.assert_allclose(hb[:, i], (g(p + e) - g(p - e)) / (2 * eps), rtol=1e-7)


def test_inverse_functions_have_second_derivatives_in_the_shapes():
    eps = 1e-4
    a, q = 2.5, 0.3
    h = funcad.hessian(lambda v: sp.gammaincinv(v[0], v[1]))(np.array([a, q]))
    fd = np.array([[(sc.gammaincinv(a + eps * (i == 0) + eps * (j == 0),
                                    q + eps * (i == 1) + eps * (j == 1))
                     - sc.gammaincinv(a + eps * (i == 0) - eps * (j == 0),
                                      q + eps * (i == 1) - eps * (j == 1))
                     - sc.gammaincinv(a - eps * (i == 0) + eps * (j == 0),
                                      q - eps * (i == 1) + eps * (j == 1))
                     + sc.gammaincinv(a - eps * (i == 0) - eps * (j == 0),
                                      q - eps * (i == 1) - eps * (j == 1))) / (4 * eps**2)
                    for j in range(2)] for i in range(2)])
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-6)
    p = np.array([2.5, 1.3, 0.3])
    hb = funcad.hessian(lambda v: sp.betaincinv(v[0], v[1], v[2]))(p)
    g = funcad.grad(lambda v: sp.betaincinv(v[0], v[1], v[2]))
    for i in range(3):
        e = np.eye(3)[i] * eps
        np.testing.assert_allclose(hb[:, i], (g(p + e) - g(p - e)) / (2 * eps), rtol=1e-6,
                                   atol=1e-8)


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_jit_and_vmap_of_the_higher_orders(backend):
    if backend == "xla":
        pytest.importorskip("jax")
    a = np.array([0.5, 2.0, 7.0, 30.0])
    x = np.array([0.4, 3.5, 7.1, 29.0])
    b, xb = np.array([1.5, 0.3, 4.0, 20.0]), np.array([0.2, 0.5, 0.7, 0.6])

    def second(a, x, b, xb):
        ga = funcad.grad(funcad.grad(lax.igamma))(a, x)
        gb = funcad.grad(funcad.grad(lax.betainc, argnums=1), argnums=0)(a, b, xb)
        return ga, gb

    eager = [second(*v) for v in zip(a, x, b, xb)]
    batched = funcad.jit(funcad.vmap(second), backend=backend)(a, x, b, xb)
    np.testing.assert_allclose(batched[0], [e[0] for e in eager], rtol=1e-13)
    np.testing.assert_allclose(batched[1], [e[1] for e in eager], rtol=1e-13)
    np.testing.assert_allclose(batched[0], _igamma_kernels.igamma_da(a, x, 2), rtol=1e-13)
    np.testing.assert_allclose(batched[1], _betainc_kernels.betainc_dab(a, b, xb, (1, 1)),
                               rtol=1e-13)


def test_order_is_checked():
    with pytest.raises(FuncadValueError, match="igamma_da"):
        sp.igamma_da(2.0, 1.0, order=0)
    with pytest.raises(FuncadValueError, match="betainc_dab"):
        sp.betainc_dab(2.0, 1.0, 0.5, order=(0, 0))
    with pytest.raises(FuncadValueError, match="betainc_dab"):
        sp.betainc_dab(2.0, 1.0, 0.5, order=2)
