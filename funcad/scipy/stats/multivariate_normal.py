"""``funcad.scipy.stats.multivariate_normal``: the normal distribution in ``d`` dimensions
with ``mean`` and covariance ``cov`` (a scalar times the identity, a vector of variances,
or a positive-definite matrix), as SciPy takes them; ``x`` holds points along its last axis.

The density goes through the Cholesky factor (``log det`` from its diagonal, the
Mahalanobis distance from one triangular solve), so it is differentiable in ``x``,
``mean`` and ``cov`` to every order.
"""
from __future__ import annotations

import math

import funcad.numpy as fnp
from funcad.errors import FuncadNotImplementedError
from funcad.numpy._core import aval, operand, promote_dtypes_inexact
from funcad.ops import linalg as la

_LOG_2PI = math.log(2 * math.pi)


def _dimension(mean, cov) -> int:
    if mean is not None and aval(mean).ndim:
        return aval(mean).shape[-1]
    if aval(cov).ndim:
        return aval(cov).shape[-1]
    return 1


def _prepare(fname, x, mean, cov, allow_singular):
    if allow_singular:
        raise FuncadNotImplementedError(
            f"funcad.scipy.stats.multivariate_normal.{fname}(allow_singular=True)")
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


def logpdf(x, mean=None, cov=1, allow_singular=False):
    dev, cov, d = _prepare("logpdf", x, mean, cov, allow_singular)
    log_det, maha = _log_det_and_mahalanobis(dev, cov, d)
    return -0.5 * (d * _LOG_2PI + log_det + maha)


def pdf(x, mean=None, cov=1, allow_singular=False):
    return fnp.exp(logpdf(x, mean, cov, allow_singular))


__all__ = ["logpdf", "pdf"]
