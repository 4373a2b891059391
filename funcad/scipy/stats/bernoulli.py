"""``funcad.scipy.stats.bernoulli``: ``P(K = 1) = p``, ``P(K = 0) = 1 - p``, shifted by
``loc``; differentiable in ``p``."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.scipy import special
from funcad.scipy.stats._common import log_probability, nan_unless, promote


def _args(fname, k, p, loc):
    k, p, loc = promote(f"bernoulli.{fname}", k, p, loc)
    return k - loc, p


def _valid(p):
    return (p >= 0) & (p <= 1)


def logpmf(k, p, loc=0):
    k, p = _args("logpmf", k, p, loc)
    support = (k == 0) | (k == 1)
    safe_k = fnp.where(support, k, fnp.zeros_like(k))
    value = special.xlogy(safe_k, p) + special.xlog1py(1 - safe_k, -p)
    return nan_unless(_valid(p), fnp.where(support, value, -fnp.inf))


def pmf(k, p, loc=0):
    return fnp.exp(logpmf(k, p, loc))


def cdf(k, p, loc=0):
    k, p = _args("cdf", k, p, loc)
    value = fnp.where(k < 0, fnp.zeros_like(p), fnp.where(k < 1, 1 - p, fnp.ones_like(p)))
    return nan_unless(_valid(p), value)


def sf(k, p, loc=0):
    k, p = _args("sf", k, p, loc)
    value = fnp.where(k < 0, fnp.ones_like(p), fnp.where(k < 1, p, fnp.zeros_like(p)))
    return nan_unless(_valid(p), value)


def logcdf(k, p, loc=0):
    return log_probability(cdf(k, p, loc), sf(k, p, loc))


def logsf(k, p, loc=0):
    return log_probability(sf(k, p, loc), cdf(k, p, loc))


def ppf(q, p, loc=0):
    """The least ``k`` with ``cdf(k) >= q``: 0 or 1 (``-1`` at ``q = 0`` and 1 at ``q = 1``,
    as SciPy), plus
    ``loc``; NaN outside ``0 <= q <= 1``."""
    q, p, loc = promote("bernoulli.ppf", q, p, loc)
    k = fnp.where(q > 1 - p, fnp.ones_like(q), fnp.zeros_like(q))
    k = fnp.where(q == 0, -fnp.ones_like(q), fnp.where(q == 1, fnp.ones_like(q), k))
    return nan_unless(_valid(p) & (q >= 0) & (q <= 1), k + loc)


__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]
