"""``funcad.scipy.stats.t``: Student's t distribution with ``df`` degrees of freedom.

Every function is differentiable in every argument; ``logpdf``/``pdf`` to every order,
``cdf``, ``sf`` and ``ppf`` too, also in ``df`` (they are incomplete beta functions of ``df``,
whose shape derivatives are primitives of their own, order by order; JAX has no ``t.cdf`` at
all)."""
from __future__ import annotations

import math

import funcad.numpy as fnp
from funcad.ops import special as sp
from funcad.scipy import special
from funcad.scipy.stats._common import (
    from_quantile,
    log_probability,
    log_scaled,
    nan_unless,
    promote,
    standardize,
)


def _standard_logpdf(z, df):
    half = (df + 1) / 2
    return (special.gammaln(half) - special.gammaln(df / 2) - 0.5 * fnp.log(df * math.pi)
            - half * fnp.log1p(z * z / df))


def logpdf(x, df, loc=0.0, scale=1.0):
    z, scale, df = standardize("t.logpdf", x, loc, scale, df)
    return nan_unless(df > 0, log_scaled(_standard_logpdf(z, df), scale))


def pdf(x, df, loc=0.0, scale=1.0):
    return fnp.exp(logpdf(x, df, loc, scale))


def _cdf_away_from_zero(z, df):
    """The CDF at ``z != 0``: near the center ``1/2 + sign(z) I_y(1/2, df/2) / 2`` with
    ``y = z^2 / (df + z^2)``; in the tails from ``I_{df/(df+z^2)}(df/2, 1/2) / 2`` (each form
    where its argument is not rounded)."""
    z2 = z * z
    near = z2 < df
    center = 0.5 + 0.5 * fnp.sign(z) * sp.betainc(fnp.full_like(z, 0.5), df / 2,
                                                  fnp.where(near, z2 / (df + z2), 0.5))
    tail = 0.5 * sp.betainc(df / 2, fnp.full_like(z, 0.5), fnp.where(near, 0.5, df / (df + z2)))
    return fnp.where(near, center, fnp.where(z < 0, tail, 1 - tail))


def _standard_cdf(z, df):
    # At z == 0 the rules of the forms above are 0 * inf: use the first-order Taylor form
    # there (value 1/2, slope pdf(0)), and the general form at a safe point elsewhere.
    at_zero = z == 0
    safe_z = fnp.where(at_zero, fnp.ones_like(z), z)
    taylor = 0.5 + z * fnp.exp(_standard_logpdf(fnp.zeros_like(z), df))
    return fnp.where(at_zero, taylor, _cdf_away_from_zero(safe_z, df))


def cdf(x, df, loc=0.0, scale=1.0):
    z, scale, df = standardize("t.cdf", x, loc, scale, df)
    return nan_unless((df > 0) & (scale > 0), _standard_cdf(z, df))


def logcdf(x, df, loc=0.0, scale=1.0):
    return log_probability(cdf(x, df, loc, scale), sf(x, df, loc, scale))


def sf(x, df, loc=0.0, scale=1.0):
    z, scale, df = standardize("t.sf", x, loc, scale, df)
    return nan_unless((df > 0) & (scale > 0), _standard_cdf(-z, df))


def logsf(x, df, loc=0.0, scale=1.0):
    return log_probability(sf(x, df, loc, scale), cdf(x, df, loc, scale))


def _standard_ppf(q, df):
    """The inverse of ``_standard_cdf``, through ``betaincinv`` on the same two forms."""
    p = fnp.minimum(q, 1 - q)  # the lower tail probability, sign restored below
    sign = fnp.where(q < 0.5, -fnp.ones_like(q), fnp.ones_like(q))
    far = p < 0.25
    # tails: 2p = I_w(df/2, 1/2) with w = df / (df + z^2)
    w = sp.betaincinv(df / 2, fnp.full_like(q, 0.5), fnp.where(far, 2 * p, 0.25))
    z_far = fnp.sqrt(df * (1 - w) / w)
    # center: 1 - 2p = I_y(1/2, df/2) with y = z^2 / (df + z^2)
    y = sp.betaincinv(fnp.full_like(q, 0.5), df / 2, fnp.where(far, 0.5, 1 - 2 * p))
    z_near = fnp.sqrt(df * y / (1 - y))
    return sign * fnp.where(far, z_far, z_near)


def _standard_ppf_all(q, df):
    # At q == 1/2 the form above is sqrt(0) (an infinite rule times a zero one): use the
    # first-order Taylor form there (value 0, slope 1 / pdf(0)).
    at_half = q == 0.5
    safe_q = fnp.where(at_half, 0.25, q)
    taylor = (q - 0.5) / fnp.exp(_standard_logpdf(fnp.zeros_like(q), df))
    return fnp.where(at_half, taylor, _standard_ppf(safe_q, df))


def ppf(q, df, loc=0.0, scale=1.0):
    q, df, loc, scale = promote("t.ppf", q, df, loc, scale)
    return nan_unless(df > 0, from_quantile(q, loc, scale, _standard_ppf_all(q, df)))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
