"""``funcad.scipy.stats.expon``: the exponential distribution, density
``exp(-(x - loc) / scale) / scale`` on ``x >= loc``."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.scipy.stats._common import (
    from_quantile,
    log_scaled,
    positive_scale,
    promote,
    standardize,
)


def _inside(z):
    return z >= 0


def logpdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("expon.logpdf", x, loc, scale)
    return log_scaled(fnp.where(_inside(z), -z, -fnp.inf), scale)


def pdf(x, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, loc, scale))


def _inside_or_zero(z):
    # z on the support, 0 left of it (the derivative at 0 is the one inside the support)
    return fnp.where(z >= 0, z, 0.0)


def _positive(z):
    # z where it is positive, else 1 (a safe point for the unselected branch)
    return fnp.where(z > 0, z, fnp.ones_like(z))


def cdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("expon.cdf", x, loc, scale)
    return positive_scale(fnp.where(z >= 0, -fnp.expm1(-_inside_or_zero(z)), 0.0), scale)


def logcdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("expon.logcdf", x, loc, scale)
    # log(1 - e^-z): log(-expm1(-z)) for small z, log1p(-e^-z) once e^-z < 1/2
    zp = _positive(z)
    far = zp > 0.6931471805599453
    value = fnp.where(far, fnp.log1p(-fnp.exp(-fnp.where(far, zp, 1.0))),
                      fnp.log(-fnp.expm1(-fnp.where(far, 0.5, zp))))
    return positive_scale(fnp.where(z > 0, value, -fnp.inf), scale)


def sf(x, loc=0.0, scale=1.0):
    z, scale = standardize("expon.sf", x, loc, scale)
    return positive_scale(fnp.exp(-_inside_or_zero(z)), scale)


def logsf(x, loc=0.0, scale=1.0):
    z, scale = standardize("expon.logsf", x, loc, scale)
    return positive_scale(-_inside_or_zero(z), scale)


def ppf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("expon.ppf", q, loc, scale)
    return from_quantile(q, loc, scale, -fnp.log1p(-q))


def isf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("expon.isf", q, loc, scale)
    return from_quantile(q, loc, scale, -fnp.log(q))


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
