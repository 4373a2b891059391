"""NumPy kernel of ``d/da P(a, x)``, the derivative of the regularized lower incomplete gamma
function with respect to its shape ``a`` (SciPy has ``gammainc`` but not this derivative).

Both classical expansions of ``P`` are differentiated in forward mode with respect to ``a``
(each quantity carries its derivative beside it), so no finite difference is involved:

* for ``x < a + 1`` the power series ``P = x^a e^-x / Gamma(a+1) * sum_n x^n / ((a+1)..(a+n))``;
* otherwise the continued fraction of ``Q = 1 - P`` (modified Lentz), whose terms decay
  fast there; ``dP/da = -dQ/da``, which avoids the cancellation of ``1 - Q``.
"""
from __future__ import annotations

import numpy as np

_EPS = np.finfo(np.float64).eps
_TINY = 1e-300
_MAX_TERMS = 100_000


def _series_grad(a, x):
    """``dP/da`` from the power series (``0 < x < a + 1``)."""
    import scipy.special as sc

    term, dterm = np.ones_like(x), np.zeros_like(x)
    total, dtotal = np.ones_like(x), np.zeros_like(x)
    active = np.ones(x.shape, bool)
    n = 0
    while active.any() and n < _MAX_TERMS:
        n += 1
        ratio = x / (a + n)
        # d/da of term_n = term_{n-1} * x / (a+n)
        new_dterm = dterm * ratio - term * ratio / (a + n)
        term = term * ratio
        dterm = new_dterm
        total = total + np.where(active, term, 0.0)
        dtotal = dtotal + np.where(active, dterm, 0.0)
        active &= (np.abs(term) > _EPS * np.abs(total)) | (np.abs(dterm) > _EPS * np.abs(dtotal))
    log_front = a * np.log(x) - x - sc.gammaln(a + 1)
    front = np.exp(log_front)
    return front * ((np.log(x) - sc.digamma(a + 1)) * total + dtotal)


def _continued_fraction_grad(a, x):
    """``dP/da = -dQ/da`` from the continued fraction of ``Q`` (``x >= a + 1``)."""
    import scipy.special as sc

    b = x + 1 - a  # db/da = -1 at every step
    c, dc = np.full_like(x, 1 / _TINY), np.zeros_like(x)
    d = 1 / b
    dd = d * d  # d(1/b)/da = 1/b^2
    h, dh = d.copy(), dd.copy()
    active = np.ones(x.shape, bool)
    i = 0
    while active.any() and i < _MAX_TERMS:
        i += 1
        an, dan = -i * (i - a), float(i)
        b = b + 2
        dpre = an * d + b
        ddpre = dan * d + an * dd - 1
        dpre = np.where(np.abs(dpre) < _TINY, _TINY, dpre)
        c_new = b + an / c
        dc = -1 + (dan * c - an * dc) / (c * c)
        c = np.where(np.abs(c_new) < _TINY, _TINY, c_new)
        d = 1 / dpre
        dd = -ddpre * d * d
        delta = d * c
        ddelta = dd * c + d * dc
        dh_new = dh * delta + h * ddelta
        h_new = h * delta
        h = np.where(active, h_new, h)
        dh = np.where(active, dh_new, dh)
        active &= (np.abs(delta - 1) > _EPS) | (np.abs(h * ddelta) > _EPS * np.abs(dh))
    front = np.exp(a * np.log(x) - x - sc.gammaln(a))
    dq = front * ((np.log(x) - sc.digamma(a)) * h + dh)
    return -dq


def igamma_grad_a(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``d/da gammainc(a, x)`` elementwise (float64 inside; NaN outside ``a > 0, x >= 0``)."""
    dtype = np.result_type(a, x)
    a64, x64 = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a64.shape, np.nan)
    valid = (a64 > 0) & (x64 >= 0) & np.isfinite(a64)
    out[valid & (x64 == 0)] = 0.0
    out[valid & np.isinf(x64)] = 0.0
    series = valid & (x64 > 0) & (x64 < a64 + 1)
    cf = valid & np.isfinite(x64) & (x64 >= a64 + 1)
    with np.errstate(all="ignore"):
        if series.any():
            out[series] = _series_grad(a64[series], x64[series])
        if cf.any():
            out[cf] = _continued_fraction_grad(a64[cf], x64[cf])
    return np.asarray(out, dtype)


__all__ = ["igamma_grad_a"]
