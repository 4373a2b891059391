"""``funcad.scipy.stats.cauchy``: the Cauchy distribution, density
``1 / (pi scale (1 + z^2))``; the tails use ``atan2`` so ``cdf(-1e20)`` is not rounded to 0."""
from __future__ import annotations

import math

import funcad.numpy as fnp
from funcad.scipy.stats._common import (
    from_quantile,
    log_probability,
    log_scaled,
    positive_scale,
    promote,
    standardize,
)

_LOG_PI = math.log(math.pi)


def logpdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("cauchy.logpdf", x, loc, scale)
    return log_scaled(-_LOG_PI - fnp.log1p(z * z), scale)


def pdf(x, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, loc, scale))


def _cdf(z):
    # 1/2 + atan(z)/pi = atan2(1, -z)/pi, which keeps the relative precision as z -> -inf
    return fnp.arctan2(fnp.ones_like(z), -z) / math.pi


def cdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("cauchy.cdf", x, loc, scale)
    return positive_scale(_cdf(z), scale)


def logcdf(x, loc=0.0, scale=1.0):
    return log_probability(cdf(x, loc, scale), sf(x, loc, scale))


def sf(x, loc=0.0, scale=1.0):
    z, scale = standardize("cauchy.sf", x, loc, scale)
    return positive_scale(_cdf(-z), scale)


def logsf(x, loc=0.0, scale=1.0):
    return log_probability(sf(x, loc, scale), cdf(x, loc, scale))


def _standard_ppf(q):
    # tan(pi (q - 1/2)) = -1 / tan(pi q) = 1 / tan(pi (1 - q)): each form on its half,
    # where q or 1 - q is exact; the poles at 0 and 1 exactly infinite
    lower = q < 0.5
    z = fnp.where(lower, -1 / fnp.tan(math.pi * fnp.where(lower, q, 0.25)),
                  1 / fnp.tan(math.pi * (1 - fnp.where(lower, 0.75, q))))
    return fnp.where(q == 1, fnp.inf, fnp.where(q == 0, -fnp.inf, z))


def ppf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("cauchy.ppf", q, loc, scale)
    # tan(pi (q - 1/2)) = -1 / tan(pi q): exact poles at 0 and 1
    return from_quantile(q, loc, scale, _standard_ppf(q))


def isf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("cauchy.isf", q, loc, scale)
    return from_quantile(q, loc, scale, -_standard_ppf(q))


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
