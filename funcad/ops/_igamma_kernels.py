"""NumPy kernel of ``d^k/da^k P(a, x)``, the derivatives of the regularized lower incomplete
gamma function with respect to its shape ``a`` (SciPy has ``gammainc`` but none of these).

Both classical expansions of ``P`` are run on truncated Taylor series in ``a``
(``funcad.ops._jets``), so every derivative up to order ``k`` comes out of the expansion
itself, with no finite difference:

* for ``x < a + 1`` the power series ``P = x^a e^-x / Gamma(a+1) * sum_n x^n / ((a+1)..(a+n))``
  (every term's a-derivatives of one order share a sign: no cancellation in the sum);
* otherwise the continued fraction of ``Q = 1 - P`` (modified Lentz), whose terms decay
  fast there; ``d^k P = -d^k Q`` for ``k >= 1``, which avoids the cancellation of ``1 - Q``.
"""
from __future__ import annotations

import numpy as np

from funcad.ops import _jets

_EPS = np.finfo(np.float64).eps
_MAX_TERMS = 100_000


def _front(a, x, order, lgamma_shift: float):
    """The jet of ``x^a e^-x / Gamma(a + lgamma_shift)``."""
    log_x = np.log(x)
    a_jet = _jets.variable(a, order, 0)
    log_front = _jets.scale(a_jet, log_x) - _jets.lgamma(a + lgamma_shift, order, 0)
    log_front[0, 0] -= x
    return _jets.exp(log_front)


def _series(a, x, order):
    """The jet of ``P`` from the power series (``0 < x < a + 1``)."""
    term = _jets.constant(np.ones_like(x), order)
    total = term.copy()
    active = np.ones(x.shape, bool)
    n = 0
    while active.any() and n < _MAX_TERMS:
        n += 1
        ratio = _jets.scale(_jets.inverse(_jets.variable(a + n, order, 0)), x)
        term = _jets.mul(term, ratio)
        total = total + np.where(active, term, 0.0)
        small = np.abs(term) <= _EPS * np.abs(total)
        active &= ~small.all(axis=(0, 1))
    return _jets.mul(_front(a, x, order, 1.0), total)


def _continued_fraction(a, x, order):
    """The jet of ``Q`` from its continued fraction (``x >= a + 1``)."""
    b = _jets.plus(-_jets.variable(a, order, 0), x + 1)
    c = _jets.constant(np.full_like(x, 1 / 1e-300), order)
    d = _jets.inverse(b)
    h = d.copy()
    active = np.ones(x.shape, bool)
    i = 0
    while active.any() and i < _MAX_TERMS:
        i += 1
        an = _jets.scale(_jets.variable(a - i, order, 0), float(i))
        b = _jets.plus(b, 2.0)
        d = _jets.inverse(_jets.guarded(_jets.mul(an, d) + b))
        c = _jets.guarded(b + _jets.mul(an, _jets.inverse(c)))
        new_h = _jets.mul(h, _jets.mul(d, c))
        change = np.abs(new_h - h)
        h = np.where(active, new_h, h)
        floor = 1e-5 * np.abs(h).sum(axis=(0, 1))
        active &= ~(change <= _EPS * (np.abs(h) + floor)).all(axis=(0, 1))
    return _jets.mul(_front(a, x, order, 0.0), h)


def igamma_da(a: np.ndarray, x: np.ndarray, order: int = 1) -> np.ndarray:
    """``d^order/da^order gammainc(a, x)`` elementwise, ``order >= 1`` (float64 inside; NaN
    outside ``a > 0, x >= 0``; 0 at ``x = 0`` and ``x = inf``)."""
    dtype = np.result_type(a, x)
    a64, x64 = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a64.shape, np.nan)
    valid = (a64 > 0) & (x64 >= 0) & np.isfinite(a64)
    out[valid & ((x64 == 0) | np.isinf(x64))] = 0.0
    series = valid & (x64 > 0) & (x64 < a64 + 1)
    cf = valid & np.isfinite(x64) & (x64 >= a64 + 1)
    jet_order = (order, 0)
    with np.errstate(all="ignore"):
        if series.any():
            jet = _series(a64[series], x64[series], jet_order)
            out[series] = _jets.derivative(jet, jet_order)
        if cf.any():
            jet = _continued_fraction(a64[cf], x64[cf], jet_order)
            out[cf] = -_jets.derivative(jet, jet_order)
    return np.asarray(out, dtype)


def igamma_grad_a(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``d/da gammainc(a, x)``."""
    return igamma_da(a, x, 1)


__all__ = ["igamma_da", "igamma_grad_a"]
