"""``funcad.scipy.stats.logistic``: the logistic distribution, CDF ``expit((x - loc) /
scale)``, computed with ``log(1 + exp)`` in its overflow-free form."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.scipy import special
from funcad.scipy.stats._common import (
    from_quantile,
    log_scaled,
    positive_scale,
    promote,
    standardize,
)


def _softplus(z):
    return fnp.logaddexp(z, 0.0)


def logpdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("logistic.logpdf", x, loc, scale)
    # log(e^-z / (1 + e^-z)^2) = -|z| - 2 log(1 + e^-|z|) (symmetric)
    a = fnp.abs(z)
    return log_scaled(-a - 2 * fnp.log1p(fnp.exp(-a)), scale)


def pdf(x, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("logistic.cdf", x, loc, scale)
    return positive_scale(special.expit(z), scale)


def logcdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("logistic.logcdf", x, loc, scale)
    return positive_scale(-_softplus(-z), scale)


def sf(x, loc=0.0, scale=1.0):
    z, scale = standardize("logistic.sf", x, loc, scale)
    return positive_scale(special.expit(-z), scale)


def logsf(x, loc=0.0, scale=1.0):
    z, scale = standardize("logistic.logsf", x, loc, scale)
    return positive_scale(-_softplus(z), scale)


def ppf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("logistic.ppf", q, loc, scale)
    return from_quantile(q, loc, scale, special.logit(q))


def isf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("logistic.isf", q, loc, scale)
    return from_quantile(q, loc, scale, -special.logit(q))


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
