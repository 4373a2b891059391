"""``funcad.scipy.stats.laplace``: the Laplace distribution, density
``exp(-|x - loc| / scale) / (2 scale)``."""
from __future__ import annotations

import math

import funcad.numpy as fnp
from funcad.scipy.stats._common import (
    from_quantile,
    log_scaled,
    positive_scale,
    promote,
    standardize,
)

_LOG2 = math.log(2.0)


def logpdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("laplace.logpdf", x, loc, scale)
    return log_scaled(-fnp.abs(z) - _LOG2, scale)


def pdf(x, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, loc, scale))


def _halves(z):
    """``(left, z_left, z_right)``: each branch sees ``z`` where it is selected and 0
    elsewhere, so exp only meets non-positive arguments and the derivative at 0 is the
    density's (a minimum or maximum would split it at the tie)."""
    left = z < 0
    return left, fnp.where(left, z, 0.0), fnp.where(left, 0.0, z)


def _cdf(z):
    left, zl, zr = _halves(z)
    return fnp.where(left, 0.5 * fnp.exp(zl), 1 - 0.5 * fnp.exp(-zr))


def _logcdf(z):
    left, zl, zr = _halves(z)
    return fnp.where(left, zl - _LOG2, fnp.log1p(-0.5 * fnp.exp(-zr)))


def cdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("laplace.cdf", x, loc, scale)
    return positive_scale(_cdf(z), scale)


def logcdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("laplace.logcdf", x, loc, scale)
    return positive_scale(_logcdf(z), scale)


def sf(x, loc=0.0, scale=1.0):
    z, scale = standardize("laplace.sf", x, loc, scale)
    return positive_scale(_cdf(-z), scale)


def logsf(x, loc=0.0, scale=1.0):
    z, scale = standardize("laplace.logsf", x, loc, scale)
    return positive_scale(_logcdf(-z), scale)


def _lower_ppf(q):
    """The quantile for ``q <= 1/2``: ``log(2q)``, with ``log1p(2q - 1)`` near 1/2 (where
    ``2q - 1`` is exact)."""
    small = q < 0.25
    return fnp.where(small, fnp.log(2 * fnp.where(small, q, 0.25)),
                     fnp.log1p(2 * fnp.where(small, 0.25, q) - 1))


def _ppf(q):
    # The upper half by symmetry; 1 - q is exact for q >= 1/2.
    lower = q < 0.5
    return fnp.where(lower, _lower_ppf(fnp.where(lower, q, 0.5)),
                     -_lower_ppf(fnp.where(lower, 0.5, 1 - q)))


def ppf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("laplace.ppf", q, loc, scale)
    return from_quantile(q, loc, scale, _ppf(q))


def isf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("laplace.isf", q, loc, scale)
    return from_quantile(q, loc, scale, -_ppf(q))


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
