"""``funcad.scipy.stats.dirichlet``: the Dirichlet distribution with concentrations
``alpha`` (``K`` of them); ``x`` holds the components along its first axis, as SciPy: ``K``
of them, or ``K - 1`` with the last one ``1 - sum``. Off the simplex the log-density is
``-inf`` (SciPy raises there, which a traced value cannot)."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.errors import FuncadValueError, with_user_line
from funcad.numpy._core import aval, promote_dtypes_inexact
from funcad.scipy import special
from funcad.scipy.stats._common import nan_unless


def logpdf(x, alpha):
    fname = "funcad.scipy.stats.dirichlet.logpdf"
    x, alpha = fnp.asarray(x), fnp.asarray(alpha)
    if aval(alpha).ndim != 1:
        raise FuncadValueError(with_user_line(
            f"{fname}: alpha must be one-dimensional, got shape {aval(alpha).shape}"))
    k = aval(alpha).shape[0]
    if aval(x).ndim == 0 or aval(x).shape[0] not in (k, k - 1):
        raise FuncadValueError(with_user_line(
            f"{fname}: x must have {k} or {k - 1} components along its first axis (alpha has "
            f"{k}), got shape {aval(x).shape}"))
    x, alpha = promote_dtypes_inexact(x, alpha)
    if aval(x).shape[0] == k - 1:
        x = fnp.concatenate([x, 1 - fnp.sum(x, axis=0, keepdims=True)], axis=0)
    a = fnp.reshape(alpha, (k,) + (1,) * (x.ndim - 1))
    on_simplex = fnp.all(x > 0, axis=0) & (fnp.abs(fnp.sum(x, axis=0) - 1) < 1e-6)
    safe_x = fnp.where(on_simplex, x, fnp.full_like(x, 1 / k))
    log_norm = fnp.sum(special.gammaln(alpha)) - special.gammaln(fnp.sum(alpha))
    value = fnp.sum(special.xlogy(a - 1, safe_x), axis=0) - log_norm
    return nan_unless(fnp.all(alpha > 0), fnp.where(on_simplex, value, -fnp.inf))


def pdf(x, alpha):
    return fnp.exp(logpdf(x, alpha))


__all__ = ["logpdf", "pdf"]
