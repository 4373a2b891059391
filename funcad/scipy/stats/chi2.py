"""``funcad.scipy.stats.chi2``: the chi-squared distribution with ``df`` degrees of
freedom, the gamma distribution with shape ``df / 2`` and scale ``2 scale``."""
from __future__ import annotations

from funcad.scipy.stats import gamma
from funcad.scipy.stats._common import promote


def _gamma_args(fname, x, df, loc, scale):
    x, df, loc, scale = promote(f"chi2.{fname}", x, df, loc, scale)
    return x, df / 2, loc, 2 * scale


def logpdf(x, df, loc=0.0, scale=1.0):
    return gamma.logpdf(*_gamma_args("logpdf", x, df, loc, scale))


def pdf(x, df, loc=0.0, scale=1.0):
    return gamma.pdf(*_gamma_args("pdf", x, df, loc, scale))


def cdf(x, df, loc=0.0, scale=1.0):
    return gamma.cdf(*_gamma_args("cdf", x, df, loc, scale))


def logcdf(x, df, loc=0.0, scale=1.0):
    return gamma.logcdf(*_gamma_args("logcdf", x, df, loc, scale))


def sf(x, df, loc=0.0, scale=1.0):
    return gamma.sf(*_gamma_args("sf", x, df, loc, scale))


def logsf(x, df, loc=0.0, scale=1.0):
    return gamma.logsf(*_gamma_args("logsf", x, df, loc, scale))


def ppf(q, df, loc=0.0, scale=1.0):
    return gamma.ppf(*_gamma_args("ppf", q, df, loc, scale))


__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]
