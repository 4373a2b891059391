"""Arithmetic on truncated power series, written with funcad operations so that every rule
built on it can be traced, batched and differentiated again.

A series is the list ``[x_0, x_1, ..., x_K]`` of the Taylor coefficients of
``x(t) = sum_k x_k t^k`` (not factorial-scaled; ``jet``'s front end converts). Rules see
the operand's primal apart from its coefficients ``1..K``; the helpers here take whole
series, index 0 included.
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core.trace import get_aval
from funcad.ops._base import add_any, zeros_of
from funcad.ops._operands import const_like
from funcad.ops.arithmetic import div, mul, neg, sub


def scale(x, c: float):
    """``c * x`` in ``x``'s dtype (skipped for ``c == 1``)."""
    if c == 1:
        return x
    if c == -1:
        return neg(x)
    return mul(x, const_like(x, c))


def add_all(terms: list):
    """The sum of a non-empty list of arrays of one type."""
    out = terms[0]
    for t in terms[1:]:
        out = add_any(out, t)
    return out


def zeros_series(x, order: int) -> list:
    """``order`` zero coefficients of ``x``'s type."""
    z = zeros_of(get_aval(x).strip_weak_type())
    return [z] * order


def full_series(primal, terms: list | None, order: int) -> list:
    """``[x_0, x_1, ..., x_order]`` with the missing (zero) coefficients materialized."""
    if terms is None:
        return [primal, *zeros_series(primal, order)]
    return [primal, *terms]


def cauchy(a: list, b: list, k: int, lo: int = 0, hi: int | None = None, mul_fn=mul):
    """``sum_{j=lo}^{hi} a_j b_{k-j}`` (default: the whole coefficient ``k`` of ``a * b``)."""
    hi = k if hi is None else hi
    return add_all([mul_fn(a[j], b[k - j]) for j in range(lo, hi + 1)])


def weighted_cauchy(a: list, b: list, k: int, weight) -> list:
    """``sum_{j=1}^{k} weight(j) a_j b_{k-j}``: the sums of the first-order recurrences."""
    return add_all([scale(mul(a[j], b[k - j]), weight(j)) for j in range(1, k + 1)])


def derivative_series(x: list) -> list:
    """The coefficients of ``x'(t)``: ``(k+1) x_{k+1}``, one fewer than ``x``'s."""
    return [scale(x[k + 1], k + 1) for k in range(len(x) - 1)]


def ode_series(y0, x: list, coef_fn) -> list:
    """Coefficients of ``y`` with ``y' = u(y) x'``, ``y(0) = y0``: ``coef_fn(y, k)`` returns the
    coefficient ``k`` of ``u`` from ``y_0..y_k``; ``k y_k = sum_{j=1}^k j x_j u_{k-j}``."""
    y, u = [y0], []
    for k in range(1, len(x)):
        u.append(coef_fn(y, k - 1))
        y.append(scale(weighted_cauchy(x, u, k, lambda j: j), 1.0 / k))
    return y


def quotient_series(a: list, b: list) -> list:
    """``a / b``: ``q_k = (a_k - sum_{j=1}^k b_j q_{k-j}) / b_0``."""
    q = [div(a[0], b[0])]
    for k in range(1, len(a)):
        q.append(div(sub(a[k], cauchy(b, q, k, lo=1)), b[0]))
    return q


def product_series(a: list, b: list, mul_fn=mul) -> list:
    return [cauchy(a, b, k, mul_fn=mul_fn) for k in range(len(a))]


def to_taylor(terms: list, factorial_scaled: bool) -> list:
    """Derivatives ``x^(k)`` (``jet``'s default convention) -> coefficients ``x^(k) / k!``."""
    if not factorial_scaled:
        return list(terms)
    return [scale_value(t, 1.0 / math.factorial(k + 1)) for k, t in enumerate(terms)]


def from_taylor(terms: list, factorial_scaled: bool) -> list:
    if not factorial_scaled:
        return list(terms)
    return [scale_value(t, float(math.factorial(k + 1))) for k, t in enumerate(terms)]


def scale_value(x, c: float):
    """``scale`` that also accepts NumPy arrays and Python numbers (the user's terms)."""
    if isinstance(x, (int, float, complex, np.ndarray, np.generic)):
        arr = np.asarray(x)
        if arr.dtype.kind not in "fc":
            arr = arr.astype(float)
        return arr * arr.dtype.type(c)
    return scale(x, c)


__all__ = [
    "add_all", "cauchy", "derivative_series", "from_taylor", "full_series", "ode_series",
    "product_series", "quotient_series", "scale", "to_taylor", "weighted_cauchy",
    "zeros_series",
]
