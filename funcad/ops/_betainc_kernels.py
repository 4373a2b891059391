"""NumPy kernel of the derivatives of the regularized incomplete beta function ``I_x(a, b)``
with respect to its shape parameters (SciPy has ``betainc`` but not these derivatives).

The classical continued fraction of ``I_x(a, b)`` (evaluated with the modified Lentz
method, where it converges fast: ``x < (a + 1) / (a + b + 2)``; elsewhere through
``I_x(a, b) = 1 - I_{1-x}(b, a)``) is differentiated in forward mode: every quantity
carries its derivatives in ``a`` and ``b`` beside it, so no finite difference is involved.
"""
from __future__ import annotations

import numpy as np

_EPS = np.finfo(np.float64).eps
_TINY = 1e-300
_MAX_TERMS = 100_000


class _Dual:
    """A value with its derivatives in ``a`` and ``b`` (arrays of one shape)."""

    __slots__ = ("v", "da", "db")

    def __init__(self, v, da, db):
        self.v, self.da, self.db = v, da, db

    def __add__(self, o):
        return _Dual(self.v + o.v, self.da + o.da, self.db + o.db)

    def __mul__(self, o):
        return _Dual(self.v * o.v, self.da * o.v + self.v * o.da, self.db * o.v + self.v * o.db)

    def inverse(self):
        r = 1 / self.v
        return _Dual(r, -self.da * r * r, -self.db * r * r)

    def guarded(self):
        """Lentz's guard: a value too close to 0 is replaced by a tiny one."""
        small = np.abs(self.v) < _TINY
        return _Dual(np.where(small, _TINY, self.v), self.da, self.db)


def _const(v, like):
    z = np.zeros_like(like)
    return _Dual(np.broadcast_to(v, like.shape).astype(np.float64), z, z)


def _continued_fraction(a, b, x):
    """The continued fraction of ``I_x(a, b)`` with its a- and b-derivatives."""
    one, zero = np.ones_like(x), np.zeros_like(x)
    A, B = _Dual(a, one, zero), _Dual(b, zero, one)
    X = _const(x, x)
    c = _const(1.0, x)
    # d = 1 / (1 - (a + b) x / (a + 1))
    d = (_const(1.0, x) + (A + B) * X * (A + _const(1.0, x)).inverse() * _const(-1.0, x))
    d = d.guarded().inverse()
    h = d
    active = np.ones(x.shape, bool)
    m = 0
    while active.any() and m < _MAX_TERMS:
        m += 1
        for step in (0, 1):
            if step == 0:  # m (b - m) x / ((a + 2m - 1)(a + 2m))
                num = _const(float(m), x) * (B + _const(-m, x)) * X
                den = (A + _const(2 * m - 1, x)) * (A + _const(2 * m, x))
            else:  # -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
                num = _const(-1.0, x) * (A + _const(m, x)) * (A + B + _const(m, x)) * X
                den = (A + _const(2 * m, x)) * (A + _const(2 * m + 1, x))
            coef = num * den.inverse()
            d = (_const(1.0, x) + coef * d).guarded().inverse()
            c = (_const(1.0, x) + coef * c.inverse()).guarded()
            delta = d * c
            new_h = h * delta
            h = _Dual(*(np.where(active, n, o) for n, o in
                        ((new_h.v, h.v), (new_h.da, h.da), (new_h.db, h.db))))
        scale = np.abs(h.v) + np.abs(h.da) + np.abs(h.db)
        change = np.abs(delta.v - 1) + (np.abs(h.v * delta.da) + np.abs(h.v * delta.db)) / scale
        active &= change > _EPS
    return h


def _direct(a, b, x):
    """``(dI/da, dI/db)`` where the continued fraction converges fast."""
    import scipy.special as sc

    h = _continued_fraction(a, b, x)
    log_front = a * np.log(x) + b * np.log1p(-x) - np.log(a) - sc.betaln(a, b)
    front = np.exp(log_front)
    psi_ab = sc.digamma(a + b)
    dfront_a = np.log(x) - 1 / a - sc.digamma(a) + psi_ab
    dfront_b = np.log1p(-x) - sc.digamma(b) + psi_ab
    return front * (dfront_a * h.v + h.da), front * (dfront_b * h.v + h.db)


def betainc_grads(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(d/da, d/db) betainc(a, b, x)`` elementwise (float64 inside; NaN outside
    ``a, b > 0, 0 <= x <= 1``; 0 at ``x = 0`` and ``x = 1``)."""
    dtype = np.result_type(a, b, x)
    a64, b64, x64 = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    ga, gb = np.full(a64.shape, np.nan), np.full(a64.shape, np.nan)
    valid = (a64 > 0) & (b64 > 0) & (x64 >= 0) & (x64 <= 1) & np.isfinite(a64 + b64)
    edge = valid & ((x64 == 0) | (x64 == 1))
    ga[edge], gb[edge] = 0.0, 0.0
    inner = valid & ~edge
    direct = inner & (x64 < (a64 + 1) / (a64 + b64 + 2))
    mirrored = inner & ~direct
    with np.errstate(all="ignore"):
        if direct.any():
            ga[direct], gb[direct] = _direct(a64[direct], b64[direct], x64[direct])
        if mirrored.any():
            # I_x(a, b) = 1 - I_{1-x}(b, a): the roles of a and b swap, the sign flips
            gb_m, ga_m = _direct(b64[mirrored], a64[mirrored], 1 - x64[mirrored])
            ga[mirrored], gb[mirrored] = -ga_m, -gb_m
    return np.asarray(ga, dtype), np.asarray(gb, dtype)


__all__ = ["betainc_grads"]
