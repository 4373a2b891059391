"""``funcad.scipy.stats.poisson``: the Poisson distribution with mean ``mu``, shifted by
``loc``; differentiable in ``mu`` (the pmf and cdf are step functions of ``k``)."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.ops import special as sp
from funcad.scipy import special
from funcad.scipy.stats._common import log_probability, nan_unless, promote


def _args(fname, k, mu, loc):
    k, mu, loc = promote(f"poisson.{fname}", k, mu, loc)
    return k - loc, mu


def logpmf(k, mu, loc=0):
    k, mu = _args("logpmf", k, mu, loc)
    support = (k >= 0) & (k == fnp.floor(k))
    safe_k = fnp.where(support, k, fnp.zeros_like(k))
    value = special.xlogy(safe_k, mu) - mu - special.gammaln(safe_k + 1)
    return nan_unless(mu >= 0, fnp.where(support, value, -fnp.inf))


def pmf(k, mu, loc=0):
    return fnp.exp(logpmf(k, mu, loc))


def _counts(k):
    """``floor(k) + 1`` where ``k >= 0`` (else 1, a safe point): the first argument of the
    incomplete gamma functions."""
    return fnp.floor(fnp.maximum(k, 0.0)) + 1


def cdf(k, mu, loc=0):
    # P(K <= k) = Q(floor(k) + 1, mu)
    k, mu = _args("cdf", k, mu, loc)
    value = sp.igammac(_counts(k), mu)
    return nan_unless(mu >= 0, fnp.where(k >= 0, value, fnp.zeros_like(value)))


def sf(k, mu, loc=0):
    k, mu = _args("sf", k, mu, loc)
    value = sp.igamma(_counts(k), mu)
    return nan_unless(mu >= 0, fnp.where(k >= 0, value, fnp.ones_like(value)))


def logcdf(k, mu, loc=0):
    return log_probability(cdf(k, mu, loc), sf(k, mu, loc))


def logsf(k, mu, loc=0):
    return log_probability(sf(k, mu, loc), cdf(k, mu, loc))


def ppf(q, mu, loc=0):
    q, mu, loc = promote("poisson.ppf", q, mu, loc)
    return sp.poisson_ppf(q, mu) + loc


__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]
