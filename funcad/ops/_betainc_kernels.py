"""NumPy kernel of the derivatives of the regularized incomplete beta function ``I_x(a, b)``
with respect to its shape parameters, of every order (SciPy has ``betainc`` but none of
these).

The classical continued fraction of ``I_x(a, b)`` (evaluated with the modified Lentz
method, where it converges fast: ``x < (a + 1) / (a + b + 2)``; elsewhere through
``I_x(a, b) = 1 - I_{1-x}(b, a)``) is run on truncated bivariate Taylor series in ``a`` and
``b`` (``funcad.ops._jets``), so the derivatives up to order ``(i, j)`` come out of the
expansion itself, with no finite difference.
"""
from __future__ import annotations

import numpy as np

from funcad.ops import _jets

_EPS = np.finfo(np.float64).eps
_MAX_TERMS = 100_000


def _front(a, b, x, order):
    """The jet of ``x^a (1-x)^b / (a B(a, b))``."""
    log_front = (_jets.scale(_jets.variable(a, order, 0), np.log(x))
                 + _jets.scale(_jets.variable(b, order, 1), np.log1p(-x))
                 - _jets.shifted_log(a, order, 0) - _jets.lgamma(a, order, 0)
                 - _jets.lgamma(b, order, 1) + _jets.lgamma(a + b, order, None))
    return _jets.exp(log_front)


def _step_coefficient(a, b, x, order, m: int, step: int):
    """The partial numerator of the continued fraction at ``(m, step)``."""
    A, B = _jets.variable(a, order, 0), _jets.variable(b, order, 1)
    if step == 0:  # m (b - m) x / ((a + 2m - 1)(a + 2m))
        num = _jets.scale(_jets.plus(B, -m), m * x)
        den = _jets.mul(_jets.plus(A, 2 * m - 1), _jets.plus(A, 2 * m))
    else:  # -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
        num = _jets.scale(_jets.mul(_jets.plus(A, m), _jets.plus(A + B, m)), -x)
        den = _jets.mul(_jets.plus(A, 2 * m), _jets.plus(A, 2 * m + 1))
    return _jets.mul(num, _jets.inverse(den))


def _continued_fraction(a, b, x, order):
    """The jet of the continued fraction of ``I_x(a, b) / front``."""
    A, B = _jets.variable(a, order, 0), _jets.variable(b, order, 1)
    c = _jets.constant(np.ones_like(x), order)
    # d = 1 / (1 - (a + b) x / (a + 1))
    ratio = _jets.mul(_jets.scale(A + B, x), _jets.inverse(_jets.plus(A, 1.0)))
    d = _jets.inverse(_jets.guarded(_jets.plus(-ratio, 1.0)))
    h = d
    active = np.ones(x.shape, bool)
    m = 0
    while active.any() and m < _MAX_TERMS:
        m += 1
        old_h = h
        for step in (0, 1):
            coef = _step_coefficient(a, b, x, order, m, step)
            d = _jets.inverse(_jets.guarded(_jets.plus(_jets.mul(coef, d), 1.0)))
            c = _jets.guarded(_jets.plus(_jets.mul(coef, _jets.inverse(c)), 1.0))
            h = np.where(active, _jets.mul(h, _jets.mul(d, c)), h)
        change = np.abs(h - old_h)
        floor = 1e-5 * np.abs(h).sum(axis=(0, 1))
        active &= ~(change <= _EPS * (np.abs(h) + floor)).all(axis=(0, 1))
    return h


def _direct(a, b, x, order):
    """The jet of ``I_x(a, b)`` where the continued fraction converges fast."""
    return _jets.mul(_front(a, b, x, order), _continued_fraction(a, b, x, order))


def betainc_dab(a: np.ndarray, b: np.ndarray, x: np.ndarray,
                order: tuple[int, int] = (1, 0)) -> np.ndarray:
    """``d^(i+j)/da^i db^j betainc(a, b, x)`` elementwise for ``order = (i, j) != (0, 0)``
    (float64 inside; NaN outside ``a, b > 0, 0 <= x <= 1``; 0 at ``x = 0`` and ``x = 1``)."""
    dtype = np.result_type(a, b, x)
    a64, b64, x64 = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    out = np.full(a64.shape, np.nan)
    valid = (a64 > 0) & (b64 > 0) & (x64 >= 0) & (x64 <= 1) & np.isfinite(a64 + b64)
    edge = valid & ((x64 == 0) | (x64 == 1))
    out[edge] = 0.0
    inner = valid & ~edge
    direct = inner & (x64 < (a64 + 1) / (a64 + b64 + 2))
    mirrored = inner & ~direct
    i, j = order
    with np.errstate(all="ignore"):
        if direct.any():
            jet = _direct(a64[direct], b64[direct], x64[direct], order)
            out[direct] = _jets.derivative(jet, order)
        if mirrored.any():
            # I_x(a, b) = 1 - I_{1-x}(b, a): the roles of a and b swap, the sign flips
            jet = _direct(b64[mirrored], a64[mirrored], 1 - x64[mirrored], (j, i))
            out[mirrored] = -_jets.derivative(jet, (j, i))
    return np.asarray(out, dtype)


def betainc_grads(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(d/da, d/db) betainc(a, b, x)``."""
    return betainc_dab(a, b, x, (1, 0)), betainc_dab(a, b, x, (0, 1))


__all__ = ["betainc_dab", "betainc_grads"]
