"""``funcad.scipy.stats.norm``: the normal distribution with SciPy's ``loc``/``scale``."""
from __future__ import annotations

import math

import funcad.numpy as fnp
from funcad.scipy import special
from funcad.scipy.stats._common import (
    from_quantile,
    log_scaled,
    positive_scale,
    promote,
    standardize,
)

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def logpdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("norm.logpdf", x, loc, scale)
    return log_scaled(-0.5 * z * z - _LOG_SQRT_2PI, scale)


def pdf(x, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("norm.cdf", x, loc, scale)
    return positive_scale(special.ndtr(z), scale)


def logcdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("norm.logcdf", x, loc, scale)
    return positive_scale(special.log_ndtr(z), scale)


def sf(x, loc=0.0, scale=1.0):
    z, scale = standardize("norm.sf", x, loc, scale)
    return positive_scale(special.ndtr(-z), scale)


def logsf(x, loc=0.0, scale=1.0):
    z, scale = standardize("norm.logsf", x, loc, scale)
    return positive_scale(special.log_ndtr(-z), scale)


def ppf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("norm.ppf", q, loc, scale)
    return from_quantile(q, loc, scale, special.ndtri(q))


def isf(q, loc=0.0, scale=1.0):
    # By symmetry, exactly (1 - q would round for small q).
    q, loc, scale = promote("norm.isf", q, loc, scale)
    return from_quantile(q, loc, scale, -special.ndtri(q))


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
