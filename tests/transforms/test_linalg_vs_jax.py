"""Linear algebra differentiated by funcad and by JAX in float64: gradients (and Hessians) of
gauge-invariant functions of eigh, svd, qr, pinv, lstsq, expm, the scipy.linalg solves and
the SVD norms; and the degenerate points (repeated eigenvalues, repeated and zero singular
values, rank-deficient matrices), where funcad's numbers, NaNs included, are JAX's."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # this module only compares in float64
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402

import funcad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
import funcad.scipy.linalg as fsl  # noqa: E402


def _eigh_fn(ns):
    def f(a):
        w, v = ns.linalg.eigh(a)
        return ns.sum(w ** 3) + ns.sum(((v * ns.tanh(w)) @ v.T) * a) + ns.sum(v[:, :1] @ v[:, :1].T)
    return f


def _svd_fn(ns):
    def f(a):
        u, s, vh = ns.linalg.svd(a, full_matrices=False)
        return ns.sum(s ** 2) + ns.sum((u * ns.sin(s)) @ vh) + ns.sum(u[:, :1] @ vh[:1])
    return f


def _qr_fn(ns):
    def f(a):
        q, r = ns.linalg.qr(a)
        return ns.sum(ns.sin(q)) + ns.sum(r ** 2)
    return f


def _scipy(ns):
    return fsl if ns is fnp else jsl


def _gp_fn(ns):
    def f(log_ls, x, y):
        k = ns.exp(-((x[:, None] - x[None, :]) ** 2) / ns.exp(2 * log_ls)) + 0.1 * ns.eye(5)
        c = _scipy(ns).cho_factor(k, lower=True)
        alpha = _scipy(ns).cho_solve(c, y)
        return 0.5 * y @ alpha + 0.5 * ns.linalg.slogdet(k)[1]
    return f


CORPUS = {
    # name: (function of the namespace, argument makers)
    "eigh": (_eigh_fn, [lambda r: r.standard_normal((4, 4))]),
    "eigvalsh": (lambda ns: lambda a: ns.sum(ns.linalg.eigvalsh(a) ** 3),
                 [lambda r: r.standard_normal((4, 4))]),
    "svd_tall": (_svd_fn, [lambda r: r.standard_normal((5, 3))]),
    "svd_wide": (_svd_fn, [lambda r: r.standard_normal((3, 5))]),
    "singular_values": (lambda ns: lambda a: ns.sum(ns.linalg.svd(a, compute_uv=False) ** 3),
                        [lambda r: r.standard_normal((4, 3))]),
    "qr_tall": (_qr_fn, [lambda r: r.standard_normal((5, 3))]),
    "qr_square": (_qr_fn, [lambda r: r.standard_normal((3, 3))]),
    "eigvals": (lambda ns: lambda a: ns.sum(ns.real(ns.linalg.eigvals(a)) ** 2
                                            + 3 * ns.imag(ns.linalg.eigvals(a)) ** 2),
                [lambda r: r.standard_normal((4, 4))]),
    "pinv": (lambda ns: lambda a: ns.sum(ns.sin(ns.linalg.pinv(a))),
             [lambda r: r.standard_normal((4, 3))]),
    "lstsq": (lambda ns: lambda a, b: ns.sum(ns.linalg.lstsq(a, b)[0] ** 2),
              [lambda r: r.standard_normal((5, 3)), lambda r: r.standard_normal(5)]),
    "norms": (lambda ns: lambda a: ns.linalg.norm(a, 2) + ns.linalg.norm(a, "nuc")
              + ns.linalg.norm(a, -2) + ns.linalg.cond(a),
              [lambda r: r.standard_normal((4, 4))]),
    "matrix_power": (lambda ns: lambda a: ns.sum(ns.linalg.matrix_power(a, 5)),
                     [lambda r: 0.5 * r.standard_normal((3, 3))]),
    "expm": (lambda ns: lambda a: ns.sum(ns.sin(_scipy(ns).expm(a))),
             [lambda r: r.standard_normal((3, 3))]),
    "solve_triangular": (
        lambda ns: lambda a, b: ns.sum(_scipy(ns).solve_triangular(a, b, trans=1, lower=True)),
        [lambda r: r.standard_normal((3, 3)) + 4 * np.eye(3), lambda r: r.standard_normal(3)]),
    "lu_solve": (lambda ns: lambda a, b: ns.sum(_scipy(ns).lu_solve(_scipy(ns).lu_factor(a), b)),
                 [lambda r: r.standard_normal((3, 3)) + 3 * np.eye(3),
                  lambda r: r.standard_normal((3, 2))]),
    "gp_marginal_likelihood": (_gp_fn, [lambda r: np.array(0.3), lambda r: r.standard_normal(5),
                                        lambda r: r.standard_normal(5)]),
    # a symmetric matrix made from m: JAX's solve differentiates through its matvec with the
    # whole matrix, funcad's through the Cholesky factor of the symmetric part; they agree
    # along symmetric directions
    "spd_solve": (lambda ns: lambda m: ns.sum(
        _scipy(ns).solve(m @ m.T + 4 * ns.eye(4), ns.ones(4), assume_a="pos")),
        [lambda r: r.standard_normal((4, 4))]),
}


def _case(name, seed=0):
    fn, makers = CORPUS[name]
    rng = np.random.default_rng(seed)
    return fn(fnp), fn(jnp), [np.asarray(m(rng), np.float64) for m in makers]


@pytest.mark.parametrize("name", list(CORPUS))
def test_value_and_gradient_match_jax(name):
    ours, theirs, args = _case(name)
    argnums = tuple(range(len(args)))
    value, want = jax.jit(jax.value_and_grad(theirs, argnums))(*args)
    np.testing.assert_allclose(ours(*args), value, rtol=1e-10, atol=1e-10)
    got = funcad.grad(ours, argnums)(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-9)


# JAX's Hessians take seconds to compile each: a few cases (every row of the op-spec table
# has its second derivatives checked against finite differences).
@pytest.mark.parametrize("name", ["eigh", "svd_wide", "qr_tall", "pinv",
                                  "gp_marginal_likelihood"])
def test_hessian_matches_jax(name):
    ours, theirs, args = _case(name)
    h_ours = funcad.hessian(ours)(*args)
    h_jax = jax.jit(jax.hessian(theirs))(*args)
    np.testing.assert_allclose(h_ours, h_jax, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", ["eigh", "svd_tall", "gp_marginal_likelihood"])
def test_jitted_gradient_matches_jax(name):
    ours, theirs, args = _case(name, seed=1)
    want = jax.jit(jax.grad(theirs))(*args)
    for backend in ("numpy", "xla"):
        got = funcad.jit(funcad.grad(ours), backend=backend)(*args)
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-9)


# --- degenerate points ---------------------------------------------------------------------

_WEIGHTS = np.arange(9.0).reshape(3, 3)
_REPEATED = np.diag([1.0, 1.0, 2.0])
_ZERO_SV = np.diag([2.0, 1.0, 0.0])
_RANK_ONE = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])

DEGENERATE = {
    # name: (function of the namespace, point); NaN where JAX gives NaN, finite elsewhere
    "eigvalsh_repeated": (lambda ns: lambda a: ns.sum(ns.linalg.eigvalsh(a) ** 2), _REPEATED),
    "eigh_vectors_repeated": (
        lambda ns: lambda a: ns.sum(ns.linalg.eigh(a)[1] ** 2 * _WEIGHTS), _REPEATED),
    "eigh_identity_values": (lambda ns: lambda a: ns.sum(ns.linalg.eigh(a)[0] * ns.arange(3.0)),
                             np.eye(3)),
    "singular_values_zero": (
        lambda ns: lambda a: ns.sum(ns.linalg.svd(a, compute_uv=False)), _ZERO_SV),
    "singular_vectors_zero": (
        lambda ns: lambda a: ns.sum(2 * ns.linalg.svd(a, full_matrices=False)[0]), _ZERO_SV),
    "singular_vectors_repeated": (
        lambda ns: lambda a: ns.sum(2 * ns.linalg.svd(a, full_matrices=False)[0]),
        np.diag([2.0, 2.0, 1.0])),
    "nuclear_norm_rank_deficient": (lambda ns: lambda a: ns.linalg.norm(a, "nuc"), _ZERO_SV),
    "qr_rank_deficient": (lambda ns: lambda a: ns.sum(ns.linalg.qr(a)[1]), _RANK_ONE),
    "pinv_rank_deficient": (
        lambda ns: lambda a: ns.sum(ns.linalg.pinv(a, rtol=1e-15) if ns is jnp
                                    else ns.linalg.pinv(a)), _ZERO_SV),
}


@pytest.mark.parametrize("name", list(DEGENERATE))
def test_degenerate_points_match_jax(name):
    fn, x = DEGENERATE[name]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        got = funcad.grad(fn(fnp))(x)
        jitted = funcad.jit(funcad.grad(fn(fnp)), backend="xla")(x)
    want = np.asarray(jax.grad(fn(jnp))(x))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(jitted, want, rtol=1e-10, atol=1e-12, equal_nan=True)
    # NaN exactly where the gap of a repeated value enters (as JAX); finite elsewhere
    assert np.isnan(got).any() == name.endswith("vectors_repeated")
