"""Elementwise arithmetic: negation, sign, rounding, absolute value, squares and integer
powers, the four operations, remainder, maximum and minimum, and ``stop_gradient``
(transcendental functions are in ``funcad.ops.elementwise``, comparisons and logic in
``funcad.ops.logical``).

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> rules of the
transforms -> facts for the IR passes, the executor and explain.
"""
from __future__ import annotations

import operator

import numpy as np

from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.core.dtypes import PYTHON_SCALARS, is_complex, is_integer
from funcad.core.rules import (
    Call,
    Elementwise,
    Infix,
    Power,
    Prec,
    Prefix,
    algebra_rules,
    commutative,
    explain_notation,
    identity_tests,
    jvp_rules,
    sparsity_curvature,
    sparsity_rules,
    term_scalers,
    transpose_rules,
)
from funcad.core.symbolic import UndefPrimal, Zero, is_undefined
from funcad.core.trace import get_aval
from funcad.ir.simplify import drops_unit, involution
from funcad.ops._base import (
    add_any,
    add_any_p,
    convert_element_type,
    defbilinear,
    defjvp,
    defjvp2,
    defjvp_zero,
    deflinear,
    defvectorized,
    real,
    select_n,
)
from funcad.ops._definers import standard_binop, standard_unop
from funcad.ops._kernels import arithmetic_kernel, defkernel, fixed_kernel
from funcad.ops._operands import const_like, lax_args
from funcad.ops._shapes import (
    ANY,
    FLOAT,
    NUMERIC,
    REAL_NUMERIC,
    SIGNED_NUMERIC,
    check_kind,
    new_primitive,
    type_error,
)
from funcad.ops.complex_parts import conj, imag
from funcad.ops.logical import bitwise_and, bitwise_or, eq, ge, gt, lt

# --- unary math -------------------------------------------------------------------------

def neg(x):
    return neg_p.bind(x)


neg_p = standard_unop("neg", np.negative, NUMERIC)
deflinear(neg_p, lambda ct, x: [neg(ct)])
algebra_rules[neg_p] = involution
defkernel(neg_p, fixed_kernel(operator.neg), inplace=np.negative)
explain_notation[neg_p] = Prefix("-")


def sign(x):
    return sign_p.bind(x)


sign_p = standard_unop("sign", np.sign, NUMERIC)


# Piecewise constant on the reals; on complex values too by JAX's convention (jax.lax's
# sign has a zero JVP everywhere), though z / |z| varies.
defjvp_zero(sign_p)


def floor(x):
    return floor_p.bind(x)


floor_p = standard_unop("floor", np.floor, FLOAT)
defjvp_zero(floor_p)


def ceil(x):
    return ceil_p.bind(x)


ceil_p = standard_unop("ceil", np.ceil, FLOAT)
defjvp_zero(ceil_p)


ROUND_AWAY_FROM_ZERO = 0
ROUND_TO_NEAREST_EVEN = 1


def round(x, rounding_method: int = ROUND_AWAY_FROM_ZERO):  # noqa: A001 - lax name
    return round_p.bind(x, rounding_method=int(rounding_method))


def _round_impl(x, *, rounding_method):
    if x.dtype.kind != "f":
        raise TypeError("round")  # apply_impl re-raises it as the shape rule's error
    if rounding_method == ROUND_TO_NEAREST_EVEN:
        return np.round(x)
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t).astype(x.dtype)


def _round_abstract_eval(x, *, rounding_method):
    check_kind(round_p, [x], FLOAT)
    return x


round_p = new_primitive("round", _round_impl, _round_abstract_eval)
defvectorized(round_p)
defjvp_zero(round_p)


def abs(x):  # noqa: A001 - lax name
    return abs_p.bind(x)


def _abs_abstract_eval(x):
    # Signed kinds only, as jax.lax.abs (funcad.numpy.abs passes bool and unsigned through).
    check_kind(abs_p, [x], SIGNED_NUMERIC)
    if is_complex(x.dtype):
        return ShapedArray(x.shape, np.finfo(x.dtype).dtype, x.weak_type)
    return x


def _abs_impl(x):
    if x.dtype.kind not in SIGNED_NUMERIC:
        raise TypeError("abs")  # apply_impl re-raises it as the shape rule's error
    return np.abs(x)


_abs_impl.unchecked = np.abs  # what the NumPy executor runs: staging checked the types


abs_p = new_primitive("abs", _abs_impl, _abs_abstract_eval)
sparsity_rules[abs_p] = Elementwise()
sparsity_curvature[abs_p] = "linear if real"  # piecewise linear; |z| of complex z is not
defvectorized(abs_p)


def _abs_jvp(t, ans, x):
    # Real: d|x| = dx where x >= 0 and -dx elsewhere, so the derivative at 0 is +1 (as JAX's).
    if not is_complex(get_aval(x).dtype):
        return select_n(ge(x, const_like(x, 0)), neg(t), t)
    # Complex: d|z| = real(dz conj(z) / |z|), with |z| replaced by 1 at z = 0 (a zero
    # derivative there), as JAX's.
    mag = convert_element_type(ans, get_aval(x).dtype)
    mag = select_n(eq(mag, const_like(mag, 0)), mag, const_like(mag, 1))
    return real(mul(t, div(conj(x), mag)))


defjvp2(abs_p, _abs_jvp)


def square(x):
    return square_p.bind(x)


square_p = standard_unop("square", np.square, NUMERIC)
defjvp(square_p, lambda t, x: mul(t, mul(const_like(x, 2), x)))
explain_notation[square_p] = Power(2)


def integer_pow(x, y: int):
    return integer_pow_p.bind(x, y=int(y))


def _integer_pow_impl(x, *, y):
    if y < 0 and is_integer(x.dtype):
        raise ValueError("integer_pow: integers to negative integer powers are not allowed")
    return np.power(x, x.dtype.type(y)) if is_integer(x.dtype) else np.power(x, y).astype(x.dtype)


def _integer_pow_abstract_eval(x, *, y):
    check_kind(integer_pow_p, [x], NUMERIC)
    if y < 0 and is_integer(x.dtype):
        raise type_error(integer_pow_p, [x], f"integers cannot be raised to the negative power {y}")
    return x


integer_pow_p = new_primitive("integer_pow", _integer_pow_impl, _integer_pow_abstract_eval)
sparsity_rules[integer_pow_p] = Elementwise()
defvectorized(integer_pow_p)


def _integer_pow_jvp(t, x, *, y):
    if y == 0:
        return Zero.like(x)
    scale = const_like(x, y)
    return mul(t, scale if y == 1 else mul(scale, integer_pow(x, y - 1)))


defjvp(integer_pow_p, _integer_pow_jvp)
identity_tests[integer_pow_p] = lambda eqn: eqn.params["y"] == 1
defkernel(integer_pow_p, lambda eqn: np.square if eqn.params["y"] == 2 else None, fresh=True)
explain_notation[integer_pow_p] = Power(param="y")


def is_finite(x):
    return is_finite_p.bind(x)


is_finite_p = standard_unop("is_finite", np.isfinite, FLOAT, result_dtype=dtypes.bool_)
defjvp_zero(is_finite_p)
explain_notation[is_finite_p] = Call("isfinite")


# --- binary arithmetic ------------------------------------------------------------------

def add(x, y):
    if type(x) in PYTHON_SCALARS or type(y) in PYTHON_SCALARS:  # rare: rules pass arrays
        x, y = lax_args(x, y)
    return add_p.bind(x, y)


add_p = standard_binop("add", np.add)
commutative.add(add_p)
deflinear(add_p, lambda ct, x, y: [ct, ct])


def _sum_jvp(prim, negate_second: bool):
    """``x ± y``: a symbolic-zero tangent is left out rather than added as zeros."""

    def rule(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        ans = prim.bind(x, y)
        if type(ty) is Zero:
            return ans, tx
        if negate_second:
            ty = neg(ty)
        return ans, ty if type(tx) is Zero else add_any(tx, ty)

    return rule


jvp_rules[add_p] = _sum_jvp(add_p, negate_second=False)
algebra_rules[add_p] = drops_unit(0)
defkernel(add_p, arithmetic_kernel(operator.add, np.add), inplace=np.add)
explain_notation[add_p] = Infix("+", Prec.ADD, assoc=True, unit=0)


def sub(x, y):
    if type(x) in PYTHON_SCALARS or type(y) in PYTHON_SCALARS:  # rare: rules pass arrays
        x, y = lax_args(x, y)
    return sub_p.bind(x, y)


sub_p = standard_binop("sub", np.subtract)
deflinear(sub_p, lambda ct, x, y: [ct, neg(ct)])
jvp_rules[sub_p] = _sum_jvp(sub_p, negate_second=True)
algebra_rules[sub_p] = drops_unit(0, left_unit_gives=neg_p)
defkernel(sub_p, arithmetic_kernel(operator.sub, np.subtract), inplace=np.subtract)
explain_notation[sub_p] = Infix("-", Prec.ADD)


def mul(x, y):
    if type(x) in PYTHON_SCALARS or type(y) in PYTHON_SCALARS:  # rare: rules pass arrays
        x, y = lax_args(x, y)
    return mul_p.bind(x, y)


mul_p = standard_binop("mul", np.multiply)
commutative.add(mul_p)


def _mul_transpose(ct, x, y):
    if type(x) is UndefPrimal:
        if type(y) is UndefPrimal:
            raise NotImplementedError("transpose of mul with both operands linear (not linear)")
        return [mul(ct, y), None]
    return [None, mul(x, ct)]


defbilinear(mul_p, _mul_transpose)
algebra_rules[mul_p] = drops_unit(1)
term_scalers[add_any_p] = mul_p  # fold_add_chains writes a term repeated k times as k * term
defkernel(mul_p, arithmetic_kernel(operator.mul, np.multiply), inplace=np.multiply)
explain_notation[mul_p] = Infix("*", Prec.MUL, assoc=True, unit=1)


def div(x, y):
    """Division; integers round toward zero (C semantics, as XLA)."""
    if type(x) in PYTHON_SCALARS or type(y) in PYTHON_SCALARS:  # rare: rules pass arrays
        x, y = lax_args(x, y)
    return div_p.bind(x, y)


def _div_impl(x, y):
    if is_integer(x.dtype):
        with np.errstate(divide="ignore"):
            q = np.floor_divide(x, y)
            inexact = (np.remainder(x, y) != 0) & ((x < 0) != (y < 0))
        return np.where(inexact, q + 1, q).astype(x.dtype)
    return np.true_divide(x, y)


div_p = standard_binop("div", _div_impl)
sparsity_curvature[div_p] = ((0, 1), (1, 1))  # x / y is linear in x
defjvp(
    div_p,
    lambda tx, x, y: div(tx, y),
    lambda ty, x, y: mul(ty, neg(div(div(x, y), y))),
)


def _div_transpose(ct, x, y):
    if is_undefined(y):
        raise NotImplementedError("transpose of div in its denominator (not linear)")
    return [div(ct, y), None]


transpose_rules[div_p] = _div_transpose
algebra_rules[div_p] = drops_unit(1, left_unit=False, only=dtypes.is_inexact)
defkernel(div_p, arithmetic_kernel(operator.truediv), inexact_inplace=np.true_divide)
explain_notation[div_p] = Infix("/", Prec.MUL)


def rem(x, y):
    """Remainder with the sign of the dividend (C ``fmod`` semantics, as XLA)."""
    return rem_p.bind(*lax_args(x, y))


def _rem_impl(x, y):
    if is_integer(x.dtype):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(x, y)
    return np.fmod(x, y)


rem_p = standard_binop("rem", _rem_impl, REAL_NUMERIC)
sparsity_curvature[rem_p] = "linear"  # x - y trunc(x / y): piecewise linear
# rem(x, y) = x - y * trunc(x / y): the quotient is locally constant.
defjvp(
    rem_p,
    lambda tx, x, y: tx,
    lambda ty, x, y: mul(ty, neg(_trunc(div(x, y)))),
)


def _trunc(x):
    return select_n(lt(x, const_like(x, 0)), floor(x), ceil(x))


def max(x, y):  # noqa: A001 - lax name
    """Elementwise maximum; NaN propagates."""
    return max_p.bind(*lax_args(x, y))


max_p = standard_binop("max", np.maximum, ANY)
sparsity_curvature[max_p] = "linear"  # piecewise linear
commutative.add(max_p)


def _lexicographic(compare):
    """``compare`` on complex operands in NumPy's order, (real, imag) lexicographically."""

    def ordered(x, y):
        if not is_complex(get_aval(x).dtype):
            return compare(x, y)
        rx, ry, ix, iy = real(x), real(y), imag(x), imag(y)
        return bitwise_or(compare(rx, ry), bitwise_and(eq(rx, ry), compare(ix, iy)))

    return ordered


def _minmax_jvp(pick):
    # Ties split the derivative evenly between the operands (as JAX's max/min).
    pick = _lexicographic(pick)

    def jvp(t, x, y):
        dtype = get_aval(x).dtype
        wins, ties = pick(x, y), eq(x, y)
        weight = add(convert_element_type(wins, dtype),
                     mul(const_like(x, 0.5), convert_element_type(ties, dtype)))
        return mul(t, weight)

    return jvp


defjvp(
    max_p,
    lambda t, x, y: _minmax_jvp(gt)(t, x, y),
    lambda t, x, y: _minmax_jvp(gt)(t, y, x),
)


def min(x, y):  # noqa: A001 - lax name
    """Elementwise minimum; NaN propagates."""
    return min_p.bind(*lax_args(x, y))


min_p = standard_binop("min", np.minimum, ANY)
sparsity_curvature[min_p] = "linear"  # piecewise linear
commutative.add(min_p)
defjvp(
    min_p,
    lambda t, x, y: _minmax_jvp(lt)(t, x, y),
    lambda t, x, y: _minmax_jvp(lt)(t, y, x),
)


# --- stop_gradient: identity whose derivative is zero ----------------------------------------

def stop_gradient(x):
    return stop_gradient_p.bind(x)


stop_gradient_p = new_primitive("stop_gradient", lambda x: x, lambda x: x)
defvectorized(stop_gradient_p)
defjvp_zero(stop_gradient_p)
