"""``funcad.scipy.stats.beta``: the beta distribution with shapes ``a``, ``b`` on
``[loc, loc + scale]``.

Every function is differentiable in every argument; ``logpdf``/``pdf`` to every order,
``cdf``, ``sf`` and ``ppf`` too, also in ``a`` and ``b`` (JAX has no derivative there at
all)."""
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


def _valid(a, b, scale):
    return (a > 0) & (b > 0) & (scale > 0)


def logpdf(x, a, b, loc=0.0, scale=1.0):
    z, scale, a, b = standardize("beta.logpdf", x, loc, scale, a, b)
    inside = (z >= 0) & (z <= 1)
    safe_z = fnp.where(inside, z, fnp.full_like(z, 0.5))
    value = special.xlogy(a - 1, safe_z) + special.xlog1py(b - 1, -safe_z) - special.betaln(a, b)
    return nan_unless((a > 0) & (b > 0), log_scaled(fnp.where(inside, value, -fnp.inf), scale))


def pdf(x, a, b, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x, a, b, loc=0.0, scale=1.0):
    z, scale, a, b = standardize("beta.cdf", x, loc, scale, a, b)
    return nan_unless(_valid(a, b, scale), sp.betainc(a, b, clip_to_support(z, 0.0, 1.0)))


def logcdf(x, a, b, loc=0.0, scale=1.0):
    return log_probability(cdf(x, a, b, loc, scale), sf(x, a, b, loc, scale))


def sf(x, a, b, loc=0.0, scale=1.0):
    # I_{1-z}(b, a): no rounding of 1 - cdf where the cdf is close to 1
    z, scale, a, b = standardize("beta.sf", x, loc, scale, a, b)
    return nan_unless(_valid(a, b, scale), sp.betainc(b, a, clip_to_support(1 - z, 0.0, 1.0)))


def logsf(x, a, b, loc=0.0, scale=1.0):
    return log_probability(sf(x, a, b, loc, scale), cdf(x, a, b, loc, scale))


def ppf(q, a, b, loc=0.0, scale=1.0):
    q, a, b, loc, scale = promote("beta.ppf", q, a, b, loc, scale)
    return nan_unless((a > 0) & (b > 0), from_quantile(q, loc, scale, sp.betaincinv(a, b, q)))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
