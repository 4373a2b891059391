"""``funcad.scipy.stats.uniform``: the uniform distribution on ``[loc, loc + scale]``."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.scipy.stats._common import (
    clip_to_support,
    from_quantile,
    log_probability,
    log_scaled,
    positive_scale,
    promote,
    standardize,
)


def logpdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("uniform.logpdf", x, loc, scale)
    inside = (z >= 0) & (z <= 1)
    return log_scaled(fnp.where(inside, 0.0 * z, -fnp.inf), scale)


def pdf(x, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    z, scale = standardize("uniform.cdf", x, loc, scale)
    return positive_scale(clip_to_support(z, 0.0, 1.0), scale)


def logcdf(x, loc=0.0, scale=1.0):
    return log_probability(cdf(x, loc, scale), sf(x, loc, scale))


def sf(x, loc=0.0, scale=1.0):
    z, scale = standardize("uniform.sf", x, loc, scale)
    return positive_scale(clip_to_support(1 - z, 0.0, 1.0), scale)


def logsf(x, loc=0.0, scale=1.0):
    return log_probability(sf(x, loc, scale), cdf(x, loc, scale))


def ppf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("uniform.ppf", q, loc, scale)
    return from_quantile(q, loc, scale, q)


def isf(q, loc=0.0, scale=1.0):
    q, loc, scale = promote("uniform.isf", q, loc, scale)
    return from_quantile(q, loc, scale, 1 - q)


__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
