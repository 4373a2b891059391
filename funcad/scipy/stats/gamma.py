"""``funcad.scipy.stats.gamma``: the gamma distribution with shape ``a``, density
``z^(a-1) e^-z / Gamma(a) / scale`` at ``z = (x - loc) / scale >= 0``.

Differentiable in every argument to every order, ``cdf``/``sf``/``ppf`` in ``a`` too (the
derivatives of the incomplete gamma function in ``a`` are primitives of their own, order by
order; JAX differentiates them in ``a`` to first order only)."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.ops import special as sp
from funcad.scipy import special
from funcad.scipy.stats._common import (
    clip_to_support,
    from_quantile,
    log_probability,
    log_scaled,
    nan_unless,
    promote,
    standardize,
)


def logpdf(x, a, loc=0.0, scale=1.0):
    z, scale, a = standardize("gamma.logpdf", x, loc, scale, a)
    inside = z >= 0
    safe_z = fnp.where(inside, z, fnp.ones_like(z))
    value = special.xlogy(a - 1, safe_z) - safe_z - special.gammaln(a)
    return nan_unless(a > 0, log_scaled(fnp.where(inside, value, -fnp.inf), scale))


def pdf(x, a, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, a, loc, scale))


def cdf(x, a, loc=0.0, scale=1.0):
    z, scale, a = standardize("gamma.cdf", x, loc, scale, a)
    return nan_unless((a > 0) & (scale > 0), sp.igamma(a, clip_to_support(z)))


def logcdf(x, a, loc=0.0, scale=1.0):
    return log_probability(cdf(x, a, loc, scale), sf(x, a, loc, scale))


def sf(x, a, loc=0.0, scale=1.0):
    z, scale, a = standardize("gamma.sf", x, loc, scale, a)
    return nan_unless((a > 0) & (scale > 0), sp.igammac(a, clip_to_support(z)))


def logsf(x, a, loc=0.0, scale=1.0):
    return log_probability(sf(x, a, loc, scale), cdf(x, a, loc, scale))


def ppf(q, a, loc=0.0, scale=1.0):
    q, a, loc, scale = promote("gamma.ppf", q, a, loc, scale)
    return nan_unless(a > 0, from_quantile(q, loc, scale, sp.gammaincinv(a, q)))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
