"""``funcad.scipy.stats.dirichlet``: the Dirichlet distribution with concentrations
``alpha`` (``K`` of them); ``x`` holds the components along its first axis, as SciPy: ``K``
of them, or ``K - 1`` with the last one ``1 - sum``.

Concrete (eager) arguments go through SciPy's checks and raise ``FuncadValueError`` (a
``ValueError``) where SciPy raises: ``alpha <= 0``, an entry of ``x`` below 0 or above 1, an
entry 0 where its ``alpha < 1``, components not summing to 1 within 1e-9. A traced value
cannot be checked: there an invalid ``alpha`` gives NaN, and ``x`` off the simplex (an
entry below 0, or a sum off 1 by 1e-6 or more, JAX's tolerance) gives ``-inf``; on the
simplex's faces (entries 0) the value is the density's limit, as SciPy's where it has one
(JAX returns ``-inf`` on every face).
"""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad.core.trace import Tracer
from funcad.errors import FuncadValueError, with_user_line
from funcad.numpy._core import aval, promote_dtypes_inexact
from funcad.scipy import special
from funcad.scipy.stats._common import nan_unless

_FNAME = "funcad.scipy.stats.dirichlet.logpdf"


def _scipy_checks(x: np.ndarray, alpha: np.ndarray) -> None:
    """SciPy's checks of concrete arguments, in SciPy's order (``x`` has its K components)."""
    alpha = alpha.astype(np.float64)
    x = x.astype(np.float64)
    failures = (
        (np.min(alpha) <= 0, f"every alpha must be > 0, got alpha = {alpha}"),
        (np.min(x) < 0, f"every entry of x must be >= 0, got min {np.min(x)}"),
        (np.max(x) > 1, f"every entry of x must be <= 1, got max {np.max(x)}"),
        (np.any((x == 0) & (alpha.reshape((-1,) + (1,) * (x.ndim - 1)) < 1)),
         "an entry of x is 0 where its alpha is < 1 (the density is infinite there)"),
        (np.any(np.abs(np.sum(x, axis=0) - 1) > 1e-9),
         f"x must lie on the simplex: its components sum to {np.sum(x, axis=0)}, not 1"),
    )
    for failed, message in failures:
        if failed:
            raise FuncadValueError(with_user_line(f"{_FNAME}: {message} (as scipy.stats)"))


def logpdf(x, alpha):
    x, alpha = fnp.asarray(x), fnp.asarray(alpha)
    if aval(alpha).ndim != 1:
        raise FuncadValueError(with_user_line(
            f"{_FNAME}: alpha must be one-dimensional, got shape {aval(alpha).shape}"))
    k = aval(alpha).shape[0]
    if aval(x).ndim == 0 or aval(x).shape[0] not in (k, k - 1):
        raise FuncadValueError(with_user_line(
            f"{_FNAME}: x must have {k} or {k - 1} components along its first axis (alpha "
            f"has {k}), got shape {aval(x).shape}"))
    x, alpha = promote_dtypes_inexact(x, alpha)
    if aval(x).shape[0] == k - 1:
        x = fnp.concatenate([x, 1 - fnp.sum(x, axis=0, keepdims=True)], axis=0)
    concrete = not isinstance(x, Tracer) and not isinstance(alpha, Tracer)
    if concrete:
        _scipy_checks(np.asarray(x), np.asarray(alpha))
    a = fnp.reshape(alpha, (k,) + (1,) * (x.ndim - 1))
    on_simplex = fnp.all(x >= 0, axis=0) & (fnp.abs(fnp.sum(x, axis=0) - 1) < 1e-6)
    safe_x = fnp.where(on_simplex, x, fnp.full_like(x, 1 / k))
    log_norm = fnp.sum(special.gammaln(alpha)) - special.gammaln(fnp.sum(alpha))
    value = fnp.sum(special.xlogy(a - 1, safe_x), axis=0) - log_norm
    return nan_unless(fnp.all(alpha > 0), fnp.where(on_simplex, value, -fnp.inf))


def pdf(x, alpha):
    return fnp.exp(logpdf(x, alpha))


__all__ = ["logpdf", "pdf"]
