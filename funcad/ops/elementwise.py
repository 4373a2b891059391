"""Elementwise transcendental functions: exponentials and logarithms, roots, trigonometric
and hyperbolic functions and their inverses, ``logistic``, ``erf``, ``pow`` and ``atan2``
(arithmetic is in ``funcad.ops.arithmetic``, comparisons and logic in
``funcad.ops.logical``).

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> rules of the
transforms -> facts for the IR passes, the executor and explain.
"""
from __future__ import annotations

import numpy as np

from funcad.core.rules import (
    Call,
    Infix,
    Prec,
    explain_notation,
    jvp_rules,
)
from funcad.core.symbolic import Zero
from funcad.ops._base import (
    add_any,
    defjvp,
    defjvp2,
    select_n,
)
from funcad.ops._definers import standard_binop, standard_unop
from funcad.ops._operands import const_like, lax_args
from funcad.ops._shapes import (
    FLOAT,
)
from funcad.ops.arithmetic import add, div, mul, neg, square, sub
from funcad.ops.logical import eq


def exp(x):
    return exp_p.bind(x)


exp_p = standard_unop("exp", np.exp)
defjvp2(exp_p, lambda t, ans, x: mul(t, ans))


def exp2(x):
    return exp2_p.bind(x)


exp2_p = standard_unop("exp2", np.exp2)
defjvp2(exp2_p, lambda t, ans, x: mul(t, mul(ans, const_like(x, np.log(2.0)))))


def log(x):
    return log_p.bind(x)


log_p = standard_unop("log", np.log)
defjvp(log_p, lambda t, x: div(t, x))


def log1p(x):
    return log1p_p.bind(x)


log1p_p = standard_unop("log1p", np.log1p)
defjvp(log1p_p, lambda t, x: div(t, add(x, const_like(x, 1))))


def expm1(x):
    return expm1_p.bind(x)


expm1_p = standard_unop("expm1", np.expm1)
defjvp2(expm1_p, lambda t, ans, x: mul(t, add(ans, const_like(x, 1))))


def sqrt(x):
    return sqrt_p.bind(x)


sqrt_p = standard_unop("sqrt", np.sqrt)
# d sqrt(x) = dx / (2 sqrt(x)): infinite at 0, as JAX's.
defjvp2(sqrt_p, lambda t, ans, x: div(t, mul(const_like(x, 2), ans)))


def rsqrt(x):
    return rsqrt_p.bind(x)


rsqrt_p = standard_unop("rsqrt", lambda x: np.reciprocal(np.sqrt(x)))
defjvp2(rsqrt_p, lambda t, ans, x: mul(t, mul(const_like(x, -0.5), div(ans, x))))


def cbrt(x):
    return cbrt_p.bind(x)


cbrt_p = standard_unop("cbrt", np.cbrt, FLOAT)
defjvp2(cbrt_p, lambda t, ans, x: mul(t, div(const_like(x, 1 / 3), square(ans))))


def sin(x):
    return sin_p.bind(x)


sin_p = standard_unop("sin", np.sin)
defjvp(sin_p, lambda t, x: mul(t, cos(x)))


def cos(x):
    return cos_p.bind(x)


cos_p = standard_unop("cos", np.cos)
defjvp(cos_p, lambda t, x: mul(t, neg(sin(x))))


def tan(x):
    return tan_p.bind(x)


tan_p = standard_unop("tan", np.tan)
defjvp2(tan_p, lambda t, ans, x: mul(t, add(const_like(x, 1), square(ans))))


def asin(x):
    return asin_p.bind(x)


asin_p = standard_unop("asin", np.arcsin)
defjvp(asin_p, lambda t, x: mul(t, rsqrt(sub(const_like(x, 1), square(x)))))
explain_notation[asin_p] = Call("arcsin")


def acos(x):
    return acos_p.bind(x)


acos_p = standard_unop("acos", np.arccos)
defjvp(acos_p, lambda t, x: mul(t, neg(rsqrt(sub(const_like(x, 1), square(x))))))
explain_notation[acos_p] = Call("arccos")


def atan(x):
    return atan_p.bind(x)


atan_p = standard_unop("atan", np.arctan)
defjvp(atan_p, lambda t, x: div(t, add(const_like(x, 1), square(x))))
explain_notation[atan_p] = Call("arctan")


def sinh(x):
    return sinh_p.bind(x)


sinh_p = standard_unop("sinh", np.sinh)
defjvp(sinh_p, lambda t, x: mul(t, cosh(x)))


def cosh(x):
    return cosh_p.bind(x)


cosh_p = standard_unop("cosh", np.cosh)
defjvp(cosh_p, lambda t, x: mul(t, sinh(x)))


def tanh(x):
    return tanh_p.bind(x)


tanh_p = standard_unop("tanh", np.tanh)
defjvp2(tanh_p, lambda t, ans, x: mul(t, sub(const_like(x, 1), square(ans))))


def asinh(x):
    return asinh_p.bind(x)


asinh_p = standard_unop("asinh", np.arcsinh)
defjvp(asinh_p, lambda t, x: mul(t, rsqrt(add(square(x), const_like(x, 1)))))
explain_notation[asinh_p] = Call("arcsinh")


def acosh(x):
    return acosh_p.bind(x)


acosh_p = standard_unop("acosh", np.arccosh)
defjvp(acosh_p, lambda t, x: mul(t, rsqrt(mul(sub(x, const_like(x, 1)), add(x, const_like(x, 1))))))
explain_notation[acosh_p] = Call("arccosh")


def atanh(x):
    return atanh_p.bind(x)


atanh_p = standard_unop("atanh", np.arctanh)
defjvp(atanh_p, lambda t, x: div(t, sub(const_like(x, 1), square(x))))
explain_notation[atanh_p] = Call("arctanh")


def logistic(x):
    return logistic_p.bind(x)


def _logistic_impl(x):
    # Evaluate exp only at non-positive arguments so it never overflows.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


logistic_p = standard_unop("logistic", _logistic_impl, FLOAT)
defjvp2(logistic_p, lambda t, ans, x: mul(t, mul(ans, sub(const_like(x, 1), ans))))
explain_notation[logistic_p] = Call("sigmoid")


def erf(x):
    return erf_p.bind(x)


def _erf_impl(x):
    # NumPy has no erf: SciPy's (imported on first use), in the operand's dtype.
    import scipy.special

    if x.dtype.kind != "f":
        raise TypeError("erf")  # apply_impl re-raises it as the shape rule's error
    return np.asarray(scipy.special.erf(x), x.dtype)


erf_p = standard_unop("erf", _erf_impl, FLOAT)
defjvp(erf_p, lambda t, x: mul(t, mul(const_like(x, 2 / np.sqrt(np.pi)), exp(neg(square(x))))))



def pow(x, y):  # noqa: A001 - lax name
    return pow_p.bind(*lax_args(x, y))


pow_p = standard_binop("pow", np.power)


def _pow_jvp_base(t, x, y):
    # y * x**(y-1), with the y == 0 case exactly zero (x**-1 would be inf at x == 0).
    y_is_zero = eq(y, const_like(y, 0))
    safe_y = select_n(y_is_zero, y, const_like(y, 1))
    d = select_n(y_is_zero, mul(y, pow(x, sub(safe_y, const_like(y, 1)))), const_like(x, 0))
    return mul(t, d)


def _pow_jvp_exponent(t, ans, x, y):
    # ans * log(x), taking log(0) * 0**y as 0 (the limit for y > 0).
    x_is_zero = eq(x, const_like(x, 0))
    safe_x = select_n(x_is_zero, x, const_like(x, 1))
    return mul(t, mul(ans, log(safe_x)))


def _pow_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    ans = pow(x, y)
    out = None
    if type(tx) is not Zero:
        out = _pow_jvp_base(tx, x, y)
    if type(ty) is not Zero:
        term = _pow_jvp_exponent(ty, ans, x, y)
        out = term if out is None else add_any(out, term)
    return ans, Zero.like(ans) if out is None else out


jvp_rules[pow_p] = _pow_jvp
explain_notation[pow_p] = Infix("**", Prec.POW)


def atan2(x, y):
    return atan2_p.bind(*lax_args(x, y))


atan2_p = standard_binop("atan2", np.arctan2, FLOAT)
defjvp(
    atan2_p,
    lambda t, x, y: mul(t, div(y, add(square(x), square(y)))),
    lambda t, x, y: mul(t, neg(div(x, add(square(x), square(y))))),
)
explain_notation[atan2_p] = Call("arctan2")


