"""Elementwise primitives: unary math, binary arithmetic, comparisons, logic, select, casts.

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> rules of the
transforms (added by the interpreters' issues in the same block).
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval
from funcad.ops._definers import (
    ANY,
    BOOL_OR_INT,
    FLOAT,
    INEXACT,
    NUMERIC,
    REAL_NUMERIC,
    check_kind,
    check_same_dtypes,
    check_same_shapes,
    new_primitive,
    standard_binop,
    standard_unop,
    type_error,
)


def _lax_args(*args):
    """Give Python scalars the dtype and shape of the array operands (as jax.lax does)."""
    if not any(dtypes.is_python_scalar(a) for a in args):
        return args
    ref = next((a for a in args if not dtypes.is_python_scalar(a)), None)
    if ref is None:
        return tuple(np.asarray(a) for a in args)
    from funcad.ops.structural import broadcast_in_dim

    aval = get_aval(ref)
    out = []
    for a in args:
        if dtypes.is_python_scalar(a):
            a = np.asarray(a, dtype=aval.dtype)
            if aval.shape:
                a = broadcast_in_dim(a, aval.shape, ())
        out.append(a)
    return tuple(out)


# --- unary math -------------------------------------------------------------------------

def neg(x):
    return neg_p.bind(x)


neg_p = standard_unop("neg", np.negative, NUMERIC)


def sign(x):
    return sign_p.bind(x)


sign_p = standard_unop("sign", np.sign, NUMERIC)


def floor(x):
    return floor_p.bind(x)


floor_p = standard_unop("floor", np.floor, FLOAT)


def ceil(x):
    return ceil_p.bind(x)


ceil_p = standard_unop("ceil", np.ceil, FLOAT)


ROUND_AWAY_FROM_ZERO = 0
ROUND_TO_NEAREST_EVEN = 1


def round(x, rounding_method: int = ROUND_AWAY_FROM_ZERO):  # noqa: A001 - lax name
    return round_p.bind(x, rounding_method=int(rounding_method))


def _round_impl(x, *, rounding_method):
    if rounding_method == ROUND_TO_NEAREST_EVEN:
        return np.round(x)
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t).astype(x.dtype)


def _round_abstract_eval(x, *, rounding_method):
    check_kind(round_p, [x], FLOAT)
    return x


round_p = new_primitive("round", _round_impl, _round_abstract_eval)


def abs(x):  # noqa: A001 - lax name
    return abs_p.bind(x)


def _abs_abstract_eval(x):
    check_kind(abs_p, [x], NUMERIC)
    if x.dtype.kind == "c":
        return ShapedArray(x.shape, np.finfo(x.dtype).dtype, x.weak_type)
    return x


abs_p = new_primitive("abs", np.abs, _abs_abstract_eval)


def exp(x):
    return exp_p.bind(x)


exp_p = standard_unop("exp", np.exp)


def exp2(x):
    return exp2_p.bind(x)


exp2_p = standard_unop("exp2", np.exp2)


def log(x):
    return log_p.bind(x)


log_p = standard_unop("log", np.log)


def log1p(x):
    return log1p_p.bind(x)


log1p_p = standard_unop("log1p", np.log1p)


def expm1(x):
    return expm1_p.bind(x)


expm1_p = standard_unop("expm1", np.expm1)


def sqrt(x):
    return sqrt_p.bind(x)


sqrt_p = standard_unop("sqrt", np.sqrt)


def rsqrt(x):
    return rsqrt_p.bind(x)


rsqrt_p = standard_unop("rsqrt", lambda x: np.reciprocal(np.sqrt(x)))


def cbrt(x):
    return cbrt_p.bind(x)


cbrt_p = standard_unop("cbrt", np.cbrt, FLOAT)


def sin(x):
    return sin_p.bind(x)


sin_p = standard_unop("sin", np.sin)


def cos(x):
    return cos_p.bind(x)


cos_p = standard_unop("cos", np.cos)


def tan(x):
    return tan_p.bind(x)


tan_p = standard_unop("tan", np.tan)


def asin(x):
    return asin_p.bind(x)


asin_p = standard_unop("asin", np.arcsin)


def acos(x):
    return acos_p.bind(x)


acos_p = standard_unop("acos", np.arccos)


def atan(x):
    return atan_p.bind(x)


atan_p = standard_unop("atan", np.arctan)


def sinh(x):
    return sinh_p.bind(x)


sinh_p = standard_unop("sinh", np.sinh)


def cosh(x):
    return cosh_p.bind(x)


cosh_p = standard_unop("cosh", np.cosh)


def tanh(x):
    return tanh_p.bind(x)


tanh_p = standard_unop("tanh", np.tanh)


def asinh(x):
    return asinh_p.bind(x)


asinh_p = standard_unop("asinh", np.arcsinh)


def acosh(x):
    return acosh_p.bind(x)


acosh_p = standard_unop("acosh", np.arccosh)


def atanh(x):
    return atanh_p.bind(x)


atanh_p = standard_unop("atanh", np.arctanh)


def logistic(x):
    return logistic_p.bind(x)


def _logistic_impl(x):
    # Evaluate exp only at non-positive arguments so it never overflows.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


logistic_p = standard_unop("logistic", _logistic_impl, FLOAT)


def erf(x):
    return erf_p.bind(x)


_erf_ufunc = np.frompyfunc(math.erf, 1, 1)


def _erf_impl(x):
    # NumPy has no erf; math.erf is correctly rounded in double precision.
    return _erf_ufunc(x.astype(np.float64)).astype(x.dtype)


erf_p = standard_unop("erf", _erf_impl, FLOAT)


def square(x):
    return square_p.bind(x)


square_p = standard_unop("square", np.square, NUMERIC)


def integer_pow(x, y: int):
    return integer_pow_p.bind(x, y=int(y))


def _integer_pow_impl(x, *, y):
    if y < 0 and x.dtype.kind in "iu":
        raise ValueError("integer_pow: integers to negative integer powers are not allowed")
    return np.power(x, x.dtype.type(y)) if x.dtype.kind in "iu" else np.power(x, y).astype(x.dtype)


def _integer_pow_abstract_eval(x, *, y):
    check_kind(integer_pow_p, [x], NUMERIC)
    if y < 0 and x.dtype.kind in "iu":
        raise type_error(integer_pow_p, [x], f"integers cannot be raised to the negative power {y}")
    return x


integer_pow_p = new_primitive("integer_pow", _integer_pow_impl, _integer_pow_abstract_eval)


def is_finite(x):
    return is_finite_p.bind(x)


is_finite_p = standard_unop("is_finite", np.isfinite, FLOAT, result_dtype=dtypes.bool_)


# --- binary arithmetic ------------------------------------------------------------------

def add(x, y):
    return add_p.bind(*_lax_args(x, y))


add_p = standard_binop("add", np.add)


def sub(x, y):
    return sub_p.bind(*_lax_args(x, y))


sub_p = standard_binop("sub", np.subtract)


def mul(x, y):
    return mul_p.bind(*_lax_args(x, y))


mul_p = standard_binop("mul", np.multiply)


def div(x, y):
    """Division; integers round toward zero (C semantics, as XLA)."""
    return div_p.bind(*_lax_args(x, y))


def _div_impl(x, y):
    if x.dtype.kind in "iu":
        with np.errstate(divide="ignore"):
            q = np.floor_divide(x, y)
            inexact = (np.remainder(x, y) != 0) & ((x < 0) != (y < 0))
        return np.where(inexact, q + 1, q).astype(x.dtype)
    return np.true_divide(x, y)


div_p = standard_binop("div", _div_impl)


def rem(x, y):
    """Remainder with the sign of the dividend (C ``fmod`` semantics, as XLA)."""
    return rem_p.bind(*_lax_args(x, y))


def _rem_impl(x, y):
    if x.dtype.kind in "iu":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(x, y)
    return np.fmod(x, y)


rem_p = standard_binop("rem", _rem_impl, REAL_NUMERIC)


def pow(x, y):  # noqa: A001 - lax name
    return pow_p.bind(*_lax_args(x, y))


pow_p = standard_binop("pow", np.power)


def max(x, y):  # noqa: A001 - lax name
    """Elementwise maximum; NaN propagates."""
    return max_p.bind(*_lax_args(x, y))


max_p = standard_binop("max", np.maximum, ANY)


def min(x, y):  # noqa: A001 - lax name
    """Elementwise minimum; NaN propagates."""
    return min_p.bind(*_lax_args(x, y))


min_p = standard_binop("min", np.minimum, ANY)


def atan2(x, y):
    return atan2_p.bind(*_lax_args(x, y))


atan2_p = standard_binop("atan2", np.arctan2, FLOAT)


# --- comparisons ------------------------------------------------------------------------

def eq(x, y):
    return eq_p.bind(*_lax_args(x, y))


eq_p = standard_binop("eq", np.equal, ANY, result_dtype=dtypes.bool_)


def ne(x, y):
    return ne_p.bind(*_lax_args(x, y))


ne_p = standard_binop("ne", np.not_equal, ANY, result_dtype=dtypes.bool_)


def lt(x, y):
    return lt_p.bind(*_lax_args(x, y))


lt_p = standard_binop("lt", np.less, "biuf", result_dtype=dtypes.bool_)


def le(x, y):
    return le_p.bind(*_lax_args(x, y))


le_p = standard_binop("le", np.less_equal, "biuf", result_dtype=dtypes.bool_)


def gt(x, y):
    return gt_p.bind(*_lax_args(x, y))


gt_p = standard_binop("gt", np.greater, "biuf", result_dtype=dtypes.bool_)


def ge(x, y):
    return ge_p.bind(*_lax_args(x, y))


ge_p = standard_binop("ge", np.greater_equal, "biuf", result_dtype=dtypes.bool_)


# --- logic (bitwise on integers, logical on booleans) ------------------------------------

def bitwise_and(x, y):
    return and_p.bind(*_lax_args(x, y))


and_p = standard_binop("and", np.bitwise_and, BOOL_OR_INT)


def bitwise_or(x, y):
    return or_p.bind(*_lax_args(x, y))


or_p = standard_binop("or", np.bitwise_or, BOOL_OR_INT)


def bitwise_xor(x, y):
    return xor_p.bind(*_lax_args(x, y))


xor_p = standard_binop("xor", np.bitwise_xor, BOOL_OR_INT)


def bitwise_not(x):
    return not_p.bind(x)


not_p = standard_unop("not", np.invert, BOOL_OR_INT)


# --- select and casts -------------------------------------------------------------------

def select_n(which, *cases):
    """``cases[which]`` elementwise; ``which`` is boolean (two cases) or int32."""
    return select_n_p.bind(which, *cases)


def _select_n_impl(which, *cases):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which, cases)


def _select_n_abstract_eval(which, *cases):
    avals = [which, *cases]
    if not cases:
        raise type_error(select_n_p, avals, "needs at least one case")
    check_same_shapes(select_n_p, cases)
    check_same_dtypes(select_n_p, cases)
    if which.shape != cases[0].shape:
        raise type_error(select_n_p, avals, "the selector must have the shape of the cases")
    if which.dtype == np.bool_:
        if len(cases) > 2:
            raise type_error(select_n_p, avals, "a boolean selector picks between two cases")
    elif which.dtype != np.int32:
        raise type_error(select_n_p, avals, "the selector must be bool or int32")
    return ShapedArray(cases[0].shape, cases[0].dtype, all(c.weak_type for c in cases))


select_n_p = new_primitive("select_n", _select_n_impl, _select_n_abstract_eval)


def convert_element_type(operand, new_dtype, *, weak_type: bool = False):
    return convert_element_type_p.bind(
        operand, new_dtype=np.dtype(new_dtype), weak_type=bool(weak_type)
    )


def _convert_impl(x, *, new_dtype, weak_type):
    return x.astype(new_dtype)


def _convert_abstract_eval(x, *, new_dtype, weak_type):
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        raise type_error(
            convert_element_type_p, [x], f"cannot convert complex to {new_dtype.name}; take .real"
        )
    return ShapedArray(x.shape, new_dtype, weak_type)


convert_element_type_p = new_primitive(
    "convert_element_type", _convert_impl, _convert_abstract_eval
)
