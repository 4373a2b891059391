"""Arithmetic on truncated power series, written with funcad operations so that every rule
built on it can be traced, batched and differentiated again.

A series is the list ``[x_0, x_1, ..., x_K]`` of the Taylor coefficients of
``x(t) = sum_k x_k t^k`` (not factorial-scaled; ``jet``'s front end converts). Rules see
the operand's primal apart from its coefficients ``1..K``; the helpers here take whole
series, index 0 included. A coefficient may be ``None``, a symbolic zero (the higher terms
of a straight line, say): the helpers skip the products it would enter, and give ``None``
where a coefficient is zero for that reason.
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
    if x is None or c == 1:
        return x
    if c == -1:
        return neg(x)
    return mul(x, const_like(x, c))


def add_all(terms: list):
    """The sum of the arrays among ``terms`` (``None``: zero; all ``None``: ``None``)."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else add_any(out, t)
    return out


def sub_z(x, y):
    """``x - y`` with ``None`` for zero."""
    if y is None:
        return x
    return neg(y) if x is None else sub(x, y)


def mul_z(x, y):
    return None if x is None or y is None else mul(x, y)


def div_z(x, y):
    return None if x is None else div(x, y)


def instantiate_terms(primal, terms: list | None, order: int) -> list:
    """``order`` coefficients of ``primal``'s type, zeros materialized."""
    if terms is not None and all(t is not None for t in terms):
        return list(terms)
    z = zeros_of(get_aval(primal).strip_weak_type())
    return [z] * order if terms is None else [z if t is None else t for t in terms]


def normalize(terms: list | None) -> list | None:
    """``None`` for a series whose coefficients are all symbolic zeros."""
    if terms is None or all(t is None for t in terms):
        return None
    return terms


def full_series(primal, terms: list | None, order: int) -> list:
    """``[x_0, x_1, ..., x_order]`` (zero coefficients ``None``)."""
    if terms is None:
        return [primal, *[None] * order]
    return [primal, *terms]


def cauchy(a: list, b: list, k: int, lo: int = 0, hi: int | None = None):
    """``sum_{j=lo}^{hi} a_j b_{k-j}`` (default: the whole coefficient ``k`` of ``a * b``)."""
    hi = k if hi is None else hi
    return add_all([mul_z(a[j], b[k - j]) for j in range(lo, hi + 1)])


def square_cauchy(a: list, k: int, lo: int = 0):
    """``sum_{j=lo}^{k-lo} a_j a_{k-j}`` (a coefficient of ``a * a``) with half the
    products: the pairs ``(j, k-j)`` and ``(k-j, j)`` are one product counted twice."""
    pairs = add_all([mul_z(a[j], a[k - j]) for j in range(lo, (k + 1) // 2)])
    middle = mul_z(a[k // 2], a[k // 2]) if k % 2 == 0 and k // 2 >= lo else None
    return add_all([scale(pairs, 2.0), middle])


def ode_series(y0, x: list, coef_fn) -> list:
    """Coefficients of ``y`` with ``y' = u(y) x'``, ``y(0) = y0``: ``coef_fn(y, k)`` returns the
    coefficient ``k`` of ``u`` from ``y_0..y_k``; ``k y_k = sum_{j=1}^k j x_j u_{k-j}``."""
    y, u, xt = [y0], [], index_weighted(x)
    for k in range(1, len(x)):
        u.append(coef_fn(y, k - 1))
        y.append(scale(cauchy(xt, u, k, lo=1), 1.0 / k))
    return y


def index_weighted(x: list) -> list:
    """``[0, 1 x_1, 2 x_2, ...]`` (index 0 unused): the weights of the first-order
    recurrences applied once, so each coefficient costs one scaling, not one per term."""
    return [None, *[scale(x[j], j) for j in range(1, len(x))]]


def quotient_series(a: list, b: list) -> list:
    """``a / b``: ``q_k = (a_k - sum_{j=1}^k b_j q_{k-j}) / b_0``."""
    q = [div(a[0], b[0])]
    for k in range(1, len(a)):
        q.append(div_z(sub_z(a[k], cauchy(b, q, k, lo=1)), b[0]))
    return q


def product_series(a: list, b: list) -> list:
    if a is b:
        return [square_cauchy(a, k) for k in range(len(a))]
    return [cauchy(a, b, k) for k in range(len(a))]


def to_taylor(terms: list, factorial_scaled: bool) -> list:
    """Derivatives ``x^(k)`` (``jet``'s default convention) -> coefficients ``x^(k) / k!``."""
    if not factorial_scaled:
        return list(terms)
    return [None if t is None else scale_value(t, 1.0 / math.factorial(k + 1))
            for k, t in enumerate(terms)]


def from_taylor(terms: list, factorial_scaled: bool) -> list:
    if not factorial_scaled:
        return list(terms)
    return [None if t is None else scale_value(t, float(math.factorial(k + 1)))
            for k, t in enumerate(terms)]


def scale_value(x, c: float):
    """``scale`` that also accepts NumPy arrays and Python numbers (the user's terms)."""
    if isinstance(x, (int, float, complex, np.ndarray, np.generic)):
        arr = np.asarray(x)
        if arr.dtype.kind not in "fc":
            arr = arr.astype(float)
        return arr * arr.dtype.type(c)
    return scale(x, c)


__all__ = [
    "add_all", "cauchy", "div_z", "from_taylor", "full_series", "index_weighted",
    "instantiate_terms", "mul_z", "normalize", "ode_series", "product_series",
    "quotient_series", "scale", "scale_value", "square_cauchy", "sub_z", "to_taylor",
]
