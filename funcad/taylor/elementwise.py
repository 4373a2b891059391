"""Specialised Taylor rules of elementwise primitives: the classical recurrences (Griewank &
Walther, ch. 13), each O(K^2) in the order K instead of the generic rule's nested JVPs.

Every rule sees the operand's primal and coefficients ``1..K``; ``series.full_series``
joins them. Primitives without a recurrence here keep the generic rule.
"""
from __future__ import annotations

from funcad.core.rules import taylor_rules
from funcad.ops._operands import const_like
from funcad.ops.arithmetic import (
    div,
    div_p,
    integer_pow,
    integer_pow_p,
    neg,
    square,
    square_p,
    sub,
)
from funcad.ops.elementwise import (
    cos,
    cos_p,
    cosh,
    cosh_p,
    exp,
    exp_p,
    log,
    log_p,
    logistic,
    logistic_p,
    sin,
    sin_p,
    sinh,
    sinh_p,
    sqrt,
    sqrt_p,
    tanh,
    tanh_p,
)
from funcad.taylor.series import (
    cauchy,
    div_z,
    full_series,
    index_weighted,
    normalize,
    ode_series,
    product_series,
    quotient_series,
    scale,
    square_cauchy,
    sub_z,
)

# Elementwise primitives whose family tag a specialised rule replaces in ``taylor_rules``
# (``laplacian`` still treats them as elementwise).
ELEMENTWISE: set = set()


def _register(prim, rule) -> None:
    ELEMENTWISE.add(prim)
    taylor_rules[prim] = rule


def _unary(prim, fn, series_fn):
    """A rule from ``series_fn(x_full, y0) -> y_full``."""

    def rule(primals, series, order, /, **params):
        (x0,), (sx,) = primals, series
        y0 = fn(x0, **params)
        y = series_fn(full_series(x0, sx, order), y0, **params)
        return y0, normalize(y[1:])

    _register(prim, rule)


# exp: y' = y x'.
_unary(exp_p, exp, lambda x, y0: ode_series(y0, x, lambda y, k: y[k]))



# log: y = log x, x y' = x' -> y_k = (x_k - (1/k) sum_{j=1}^{k-1} j y_j x_{k-j}) / x_0.
def _log_series(x, y0):
    y, yt = [y0], [None]  # yt[j] = j y_j
    for k in range(1, len(x)):
        acc = sub_z(x[k], scale(cauchy(yt, x, k, lo=1, hi=k - 1), 1.0 / k))
        y.append(div_z(acc, x[0]))
        yt.append(scale(y[k], k))
    return y


_unary(log_p, log, _log_series)


# sqrt: y^2 = x -> y_k = (x_k - sum_{j=1}^{k-1} y_j y_{k-j}) / (2 y_0).
def _sqrt_series(x, y0):
    y = [y0]
    two_y0 = scale(y0, 2.0)
    for k in range(1, len(x)):
        acc = sub_z(x[k], square_cauchy(y, k, lo=1))
        y.append(div_z(acc, two_y0))
    return y


_unary(sqrt_p, sqrt, _sqrt_series)


# sin and cos together: s' = c x', c' = -s x'.
def _sin_cos_series(x, s0, c0):
    s, c, xt = [s0], [c0], index_weighted(x)
    for k in range(1, len(x)):
        s.append(scale(cauchy(xt, c, k, lo=1), 1.0 / k))
        c.append(scale(cauchy(xt, s, k, lo=1), -1.0 / k))
    return s, c


def _sinh_cosh_series(x, s0, c0):
    s, c, xt = [s0], [c0], index_weighted(x)
    for k in range(1, len(x)):
        s.append(scale(cauchy(xt, c, k, lo=1), 1.0 / k))
        c.append(scale(cauchy(xt, s, k, lo=1), 1.0 / k))
    return s, c


_unary(sin_p, sin, lambda x, y0: _sin_cos_series(x, y0, cos(x[0]))[0])
_unary(cos_p, cos, lambda x, y0: _sin_cos_series(x, sin(x[0]), y0)[1])
_unary(sinh_p, sinh, lambda x, y0: _sinh_cosh_series(x, y0, cosh(x[0]))[0])
_unary(cosh_p, cosh, lambda x, y0: _sinh_cosh_series(x, sinh(x[0]), y0)[1])


# tanh: y' = (1 - y^2) x'; logistic: y' = (y - y^2) x'.
def _one_minus_square(y, k):
    sq = square_cauchy(y, k)
    if k == 0:
        return sub(const_like(y[0], 1.0), sq)
    return None if sq is None else neg(sq)


_unary(tanh_p, tanh, lambda x, y0: ode_series(y0, x, _one_minus_square))
_unary(logistic_p, logistic,
       lambda x, y0: ode_series(y0, x, lambda y, k: sub_z(y[k], square_cauchy(y, k))))


# Powers by repeated Cauchy products (exact at x = 0, where the x^p recurrence divides by 0).
def _power_series(x, n: int):
    result, base = None, x
    while n:
        if n & 1:
            result = base if result is None else product_series(result, base)
        n >>= 1
        if n:
            base = product_series(base, base)
    return result


def _integer_pow_series(x, y0, *, y):
    if y == 0:
        return [y0, *[None] * (len(x) - 1)]
    if y > 0:
        return [y0, *_power_series(x, y)[1:]]
    p = _power_series(x, -y)
    one = [const_like(x[0], 1.0), *[None] * (len(x) - 1)]
    return [y0, *quotient_series(one, p)[1:]]


_unary(integer_pow_p, integer_pow, _integer_pow_series)
_unary(square_p, square, lambda x, y0: [y0, *product_series(x, x)[1:]])


def _div_rule(primals, series, order, /):
    (a0, b0), (sa, sb) = primals, series
    q0 = div(a0, b0)
    if sb is None:  # linear in the numerator
        return q0, normalize([div_z(t, b0) for t in sa])
    q = quotient_series(full_series(a0, sa, order), full_series(b0, sb, order))
    return q0, normalize(q[1:])


_register(div_p, _div_rule)

__all__ = ["ELEMENTWISE"]
