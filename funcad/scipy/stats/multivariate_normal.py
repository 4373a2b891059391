"""``funcad.scipy.stats.multivariate_normal``: the normal distribution in ``d`` dimensions
with ``mean`` and covariance ``cov`` (a scalar times the identity, a vector of variances,
or a positive-definite matrix), as SciPy takes them; ``x`` holds points along its last axis.

The density goes through the Cholesky factor (``log det`` from its diagonal, the
Mahalanobis distance from one triangular solve), so it is differentiable in ``x``,
``mean`` and ``cov`` to every order.

``allow_singular=True`` follows SciPy: the eigenvalues of ``cov`` at most
``cond * max|eigenvalue|`` (``cond`` = 1e6 float64 epsilons, 1e3 float32 ones) count as
zero; the density is that of the degenerate normal on the range of ``cov`` (its rank in
place of ``d``, the pseudo-determinant, the pseudo-inverse), and ``-inf`` for points off
that subspace (by more than 1e3 times the cutoff). See ``_singular_parts`` for how it
stays differentiable.
"""
from __future__ import annotations

import math

import numpy as np

import funcad.numpy as fnp
from funcad.core.trace import Tracer
from funcad.errors import FuncadValueError, with_user_line
from funcad.lax import stop_gradient
from funcad.numpy._core import aval, operand, promote_dtypes_inexact
from funcad.ops import linalg as la

_LOG_2PI = math.log(2 * math.pi)


def _dimension(mean, cov) -> int:
    if mean is not None and aval(mean).ndim:
        return aval(mean).shape[-1]
    if aval(cov).ndim:
        return aval(cov).shape[-1]
    return 1


def _prepare(fname, x, mean, cov):
    name = f"funcad.scipy.stats.multivariate_normal.{fname}"
    if mean is None:
        x, cov = promote_dtypes_inexact(operand(x, name), operand(cov, name))
    else:
        x, cov, mean = promote_dtypes_inexact(
            operand(x, name), operand(cov, name), operand(mean, name))
    x, cov = fnp.asarray(x), fnp.asarray(cov)
    d = _dimension(mean, cov)
    if mean is None:
        mean = fnp.zeros(d, aval(x).dtype)
    if d == 1 and (aval(x).ndim == 0 or aval(x).shape[-1] != 1):
        x = x[..., None]  # scalars are points of a one-dimensional distribution
    return x - mean, cov, d


def _log_det_and_mahalanobis(dev, cov, d):
    if aval(cov).ndim < 2:  # a multiple of the identity, or the variances of the components
        var = fnp.broadcast_to(cov, (d,))
        return fnp.sum(fnp.log(var)), fnp.sum(dev * dev / var, axis=-1)
    # Symmetrized first (as JAX's): the gradient in cov is then symmetric, not lower
    # triangular (the factorization reads one triangle).
    factor = fnp.linalg.cholesky(0.5 * (cov + fnp.swapaxes(cov, -1, -2)))
    log_det = 2 * fnp.sum(fnp.log(fnp.einsum("ii->i", factor)))
    points = fnp.reshape(dev, (-1, d)).T
    solved = la.triangular_solve(factor, points, left_side=True, lower=True)
    return log_det, fnp.reshape(fnp.sum(solved * solved, axis=0), dev.shape[:-1])


def _as_matrix(cov, d):
    if aval(cov).ndim == 0:
        return cov * fnp.eye(d, dtype=aval(cov).dtype)
    if aval(cov).ndim == 1:
        return fnp.diag(fnp.broadcast_to(cov, (d,)))
    return 0.5 * (cov + fnp.swapaxes(cov, -1, -2))


def _singular_parts(fname, dev, cov, d):
    """``(rank, log pdet, Mahalanobis distance, in support)`` of a possibly singular
    ``cov``, with SciPy's cutoff for zero eigenvalues.

    The eigenvectors ``U = [Q N]`` (range, null space) are held fixed (``stop_gradient``);
    with ``A = Q^T C Q`` and ``B = Q^T C N``, every ``C`` of the same rank nearby is
    ``L A L^T`` with ``L = Q + N B^T A^-1``, so ``pdet C = det A det(L^T L)`` and
    ``C^+ = L (L^T L)^-1 A^-1 (L^T L)^-1 L^T``: smooth formulas, exact to every order
    along perturbations that keep the rank (off them, in the ``N^T C N`` block, the
    derivative is 0), and the plain ``log det`` and ``C^-1`` where ``cov`` is regular.
    The split into Q and N is done with masks, so the rank may be a traced value."""
    cov = _as_matrix(cov, d)
    w, u = fnp.linalg.eigh(stop_gradient(cov))
    cond = 1e3 if aval(w).dtype == fnp.float32 else 1e6
    eps = cond * np.finfo(aval(w).dtype).eps * fnp.max(fnp.abs(w))
    if not isinstance(w, Tracer) and fnp.min(w) < -eps:
        raise FuncadValueError(with_user_line(
            f"funcad.scipy.stats.multivariate_normal.{fname}: cov must be symmetric positive "
            f"semidefinite, it has the eigenvalue {fnp.min(w)} (as scipy.stats)"))
    kept = (w > eps).astype(aval(w).dtype)  # 1 on the range, 0 on the null space
    dropped = 1 - kept
    rotated = u.T @ cov @ u
    a = rotated * kept[:, None] * kept[None, :] + fnp.diag(dropped)
    b_t = rotated * dropped[:, None] * kept[None, :]  # B^T: null rows, range columns
    k = fnp.diag(kept) + fnp.linalg.solve(a.T, b_t.T).T  # L = U k
    gram = k.T @ k + fnp.diag(dropped)  # L^T L on the range block, identity elsewhere
    y = fnp.reshape(dev, (-1, d)) @ u  # points in the eigenbasis, one a row
    z = fnp.linalg.solve(gram, (y @ k).T)
    maha = fnp.reshape(fnp.sum(z * fnp.linalg.solve(a, z), axis=0), dev.shape[:-1])
    log_pdet = fnp.linalg.slogdet(a)[1] + fnp.linalg.slogdet(gram)[1]
    residual = fnp.sqrt(fnp.sum(stop_gradient(y) ** 2 * dropped, axis=-1))
    residual = fnp.reshape(residual, dev.shape[:-1])
    in_support = residual < 1e3 * eps
    ok = fnp.min(w) >= -eps
    return fnp.sum(kept), log_pdet, maha, in_support & ok, ok


def logpdf(x, mean=None, cov=1, allow_singular=False):
    dev, cov, d = _prepare("logpdf", x, mean, cov)
    if allow_singular:
        rank, log_pdet, maha, inside, ok = _singular_parts("logpdf", dev, cov, d)
        value = -0.5 * (rank * _LOG_2PI + log_pdet + maha)
        return fnp.where(inside, value, fnp.where(ok, -fnp.inf, fnp.nan))
    log_det, maha = _log_det_and_mahalanobis(dev, cov, d)
    return -0.5 * (d * _LOG_2PI + log_det + maha)


def pdf(x, mean=None, cov=1, allow_singular=False):
    return fnp.exp(logpdf(x, mean, cov, allow_singular))


__all__ = ["logpdf", "pdf"]
