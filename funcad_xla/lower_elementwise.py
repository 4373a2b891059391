"""Lowerings of funcad's elementwise primitives to ``jax.lax``.

Each lowering takes jax values (and the equation's params) and returns jax values with the
semantics of the primitive's NumPy implementation; this module adds one row per primitive
to ``funcad_xla.rules``. Imported (with jax) only when something is compiled.
"""
from __future__ import annotations

import numpy as np
from jax import lax

from funcad.core.dtypes import is_complex, is_integer
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import complex_parts as cp
from funcad.ops import elementwise as ew
from funcad.ops import logical as lg
from funcad_xla.rules import register_lowerings


def _int_pow(x, y):
    """``x ** y`` for integer arrays (``y >= 0``) by binary exponentiation over the bits of
    ``y``, as NumPy computes it (lax.pow takes only floating bases)."""
    nbits = np.dtype(x.dtype).itemsize * 8

    def body(_, carry):
        acc, base, e = carry
        acc = lax.select(lax.ne(lax.bitwise_and(e, lax.full_like(e, 1)), lax.full_like(e, 0)),
                         lax.mul(acc, base), acc)
        return acc, lax.mul(base, base), lax.shift_right_logical(e, lax.full_like(e, 1))

    acc, _, _ = lax.fori_loop(0, nbits, body, (lax.full_like(x, 1), x, y))
    return acc


def _pow(x, y):
    return _int_pow(x, y) if is_integer(x.dtype) else lax.pow(x, y)


def _select_n(which, *cases):
    return lax.select_n(which, *cases)


def _convert(x, *, new_dtype, weak_type):
    return lax.convert_element_type(x, new_dtype)


def _round(x, *, rounding_method):
    return lax.round(x, lax.RoundingMethod(rounding_method))


def _integer_pow(x, *, y):
    return lax.integer_pow(x, y)


def _nan_first(x, y, r):
    """NumPy's complex maximum/minimum (unlike XLA's) is a NaN operand, the first if both."""
    if not is_complex(x.dtype):
        return r
    return lax.select(lax.ne(x, x), x, lax.select(lax.ne(y, y), y, r))


def _max(x, y):
    return _nan_first(x, y, lax.max(x, y))


def _min(x, y):
    return _nan_first(x, y, lax.min(x, y))


def _identity(x):
    return x


register_lowerings({
    ar.neg_p: lax.neg,
    ar.sign_p: lax.sign,
    ar.floor_p: lax.floor,
    ar.ceil_p: lax.ceil,
    ar.round_p: _round,
    ar.abs_p: lax.abs,
    ew.exp_p: lax.exp,
    ew.exp2_p: lax.exp2,
    ew.log_p: lax.log,
    ew.log1p_p: lax.log1p,
    ew.expm1_p: lax.expm1,
    ew.sqrt_p: lax.sqrt,
    ew.rsqrt_p: lax.rsqrt,
    ew.cbrt_p: lax.cbrt,
    ew.sin_p: lax.sin,
    ew.cos_p: lax.cos,
    ew.tan_p: lax.tan,
    ew.asin_p: lax.asin,
    ew.acos_p: lax.acos,
    ew.atan_p: lax.atan,
    ew.sinh_p: lax.sinh,
    ew.cosh_p: lax.cosh,
    ew.tanh_p: lax.tanh,
    ew.asinh_p: lax.asinh,
    ew.acosh_p: lax.acosh,
    ew.atanh_p: lax.atanh,
    ew.logistic_p: lax.logistic,
    ew.erf_p: lax.erf,
    ar.square_p: lax.square,
    ar.integer_pow_p: _integer_pow,
    ar.is_finite_p: lax.is_finite,
    ar.add_p: lax.add,
    base.add_any_p: lax.add,
    ar.sub_p: lax.sub,
    ar.mul_p: lax.mul,
    ar.div_p: lax.div,  # integers round toward zero, as the primitive
    ar.rem_p: lax.rem,  # the sign of the dividend (C fmod), as the primitive
    ew.pow_p: _pow,
    ar.max_p: _max,
    ar.min_p: _min,
    ew.atan2_p: lax.atan2,
    lg.eq_p: lax.eq,
    lg.ne_p: lax.ne,
    lg.lt_p: lax.lt,
    lg.le_p: lax.le,
    lg.gt_p: lax.gt,
    lg.ge_p: lax.ge,
    lg.and_p: lax.bitwise_and,
    lg.or_p: lax.bitwise_or,
    lg.xor_p: lax.bitwise_xor,
    lg.not_p: lax.bitwise_not,
    base.select_n_p: _select_n,
    base.convert_element_type_p: _convert,
    ar.stop_gradient_p: _identity,
    base.real_p: lax.real,
    cp.imag_p: lax.imag,
    cp.conj_p: lax.conj,
    cp.complex_p: lax.complex,
})
