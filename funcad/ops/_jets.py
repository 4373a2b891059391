"""Truncated bivariate Taylor arithmetic on NumPy arrays, for the kernels of the shape
derivatives of the incomplete gamma and beta functions (``_igamma_kernels``,
``_betainc_kernels``).

A jet is an array ``c`` of shape ``(I + 1, J + 1, *batch)``: ``c[p, q]`` is the coefficient
of ``da^p db^q`` in the expansion of a quantity around ``(a, b)``, so
``d^(p+q) f / da^p db^q = p! q! c[p, q]``. Running a series or a continued fraction on jets
instead of numbers gives every derivative up to ``(I, J)`` at once, exactly as the
expansion itself converges (no finite differences); a univariate jet has ``J = 0``.
"""
from __future__ import annotations

import math

import numpy as np

_TINY = 1e-300


def constant(value, order: tuple[int, int]) -> np.ndarray:
    """The jet of a quantity that does not depend on ``a`` or ``b``."""
    value = np.asarray(value, np.float64)
    out = np.zeros((order[0] + 1, order[1] + 1, *value.shape))
    out[0, 0] = value
    return out


def variable(value, order: tuple[int, int], which: int) -> np.ndarray:
    """The jet of ``a`` (``which = 0``) or ``b`` (``which = 1``) itself."""
    out = constant(value, order)
    if order[which] > 0:
        out[(1, 0) if which == 0 else (0, 1)] = 1.0
    return out


def mul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The product (a truncated two-dimensional Cauchy product)."""
    n_i, n_j = x.shape[:2]
    out = np.empty(np.broadcast_shapes(x.shape, y.shape))
    for p in range(n_i):
        for q in range(n_j):
            out[p, q] = np.sum(x[:p + 1, :q + 1] * y[p::-1, q::-1], axis=(0, 1))
    return out


def plus(x: np.ndarray, s) -> np.ndarray:
    """``x`` plus a jet-free term ``s`` (a scalar or an array of the batch shape)."""
    out = x.copy()
    out[0, 0] = out[0, 0] + s
    return out


def scale(x: np.ndarray, s) -> np.ndarray:
    """``x`` times a jet-free factor ``s`` (an array of the batch shape)."""
    return x * np.asarray(s)


def inverse(x: np.ndarray) -> np.ndarray:
    """``1 / x``, from ``x * y = 1`` solved coefficient by coefficient."""
    n_i, n_j = x.shape[:2]
    out = np.zeros_like(x)
    r = 1 / x[0, 0]
    for p in range(n_i):
        for q in range(n_j):
            if p == q == 0:
                out[0, 0] = r
                continue
            # out[p, q] is still 0, so the sum holds the other terms of (x * out)[p, q] only
            out[p, q] = -np.sum(x[:p + 1, :q + 1] * out[p::-1, q::-1], axis=(0, 1)) * r
    return out


def exp(x: np.ndarray) -> np.ndarray:
    """``exp(x)``, from ``d exp(x) = exp(x) dx`` in each variable."""
    n_i, n_j = x.shape[:2]
    out = np.zeros_like(x)
    out[0, 0] = np.exp(x[0, 0])
    for p in range(n_i):
        for q in range(n_j):
            if p > 0:  # p y[p, q] = sum_{p1 >= 1} p1 x[p1, q1] y[p - p1, q - q1]
                k = np.arange(1, p + 1).reshape((-1, 1) + (1,) * (x.ndim - 2))
                out[p, q] = np.sum(k * x[1:p + 1, :q + 1] * out[p - 1::-1, q::-1],
                                   axis=(0, 1)) / p
            elif q > 0:
                k = np.arange(1, q + 1).reshape((-1,) + (1,) * (x.ndim - 2))
                out[0, q] = np.sum(k * x[0, 1:q + 1] * out[0, q - 1::-1], axis=0) / q
    return out


def guarded(x: np.ndarray) -> np.ndarray:
    """Lentz's guard: a value too close to 0 is replaced by a tiny one."""
    out = x.copy()
    out[0, 0] = np.where(np.abs(x[0, 0]) < _TINY, _TINY, x[0, 0])
    return out


def shifted_log(value, order: tuple[int, int], which: int) -> np.ndarray:
    """The jet of ``log(v)`` in ``v = a`` or ``v = b``: ``d^k log v = (-1)^(k-1) (k-1)!/v^k``."""
    out = constant(np.log(value), order)
    for k in range(1, order[which] + 1):
        idx = (k, 0) if which == 0 else (0, k)
        out[idx] = (-1) ** (k - 1) / (k * np.asarray(value, np.float64) ** k)
    return out


def lgamma(value, order: tuple[int, int], which: int | None) -> np.ndarray:
    """The jet of ``lgamma(v)`` in ``v = a`` (``which = 0``), ``b`` (1) or ``a + b``
    (``None``): its derivatives are the polygamma functions."""
    import scipy.special as sc

    value = np.asarray(value, np.float64)
    out = constant(sc.gammaln(value), order)
    for p in range(order[0] + 1):
        for q in range(order[1] + 1):
            n = p + q
            if n == 0 or (which == 0 and q) or (which == 1 and p):
                continue
            out[p, q] = sc.polygamma(n - 1, value) / (math.factorial(p) * math.factorial(q))
    return out


def derivative(x: np.ndarray, order: tuple[int, int]) -> np.ndarray:
    """``d^(i+j)/da^i db^j`` of the quantity whose jet is ``x``."""
    i, j = order
    return x[i, j] * (math.factorial(i) * math.factorial(j))


__all__ = ["constant", "derivative", "exp", "guarded", "inverse", "lgamma", "mul", "plus", "scale",
           "shifted_log", "variable"]
