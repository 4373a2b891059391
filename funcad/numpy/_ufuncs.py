"""Elementwise functions of ``funcad.numpy`` with NumPy's exact dtype rules.

Each function asks ``numpy.<ufunc>.resolve_dtypes`` which loop NumPy would run for its
operands (weak Python scalars included), casts to that loop's input dtypes, broadcasts, and
binds the matching primitive. So ``fnp.sin(int8) -> float16`` and ``f32 * 2.0 -> f32``
exactly as in NumPy 2.
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes as _dtypes  # private: the package star-imports this module
from funcad.core.trace import Tracer, get_aval
from funcad.errors import FuncadTypeError, with_user_line
from funcad.numpy._core import (
    aval,
    cast,
    operand,
    promote_args,
    promote_shapes,
    ufunc_dtype_arg,
)
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import bits, float_bits
from funcad.ops import complex_parts as cp
from funcad.ops import elementwise as ew
from funcad.ops import logical as lg
from funcad.ops._operands import const_like

_resolved: dict = {}
_ARRAYS = (Tracer, np.ndarray)
_REAL_SCALARS = (int, float)


def _resolve(ufunc: np.ufunc, args) -> tuple:
    key = (ufunc, *(ufunc_dtype_arg(a) for a in args))
    loop = _resolved.get(key)
    if loop is None:
        try:
            loop = ufunc.resolve_dtypes(key[1:] + (None,) * ufunc.nout)
            if any(d == np.object_ for d in loop):
                # All-weak operands can pick NumPy's object loop (int < int): use the
                # default dtypes those Python scalars stand for.
                concrete = tuple(np.dtype(k) if isinstance(k, type) else k for k in key[1:])
                loop = ufunc.resolve_dtypes(concrete + (None,) * ufunc.nout)
        except TypeError as e:
            types = ", ".join(aval(a).str_short() for a in args)
            raise FuncadTypeError(
                with_user_line(f"funcad.numpy.{ufunc.__name__}: not defined for {types} ({e})")
            ) from None
        _resolved[key] = loop
    return loop


def _loop_args(ufunc: np.ufunc, args) -> tuple[list, np.dtype]:
    """Operands cast to NumPy's loop dtypes and broadcast; and the output dtype."""
    args = [operand(a, ufunc.__name__) for a in args]
    loop = _resolve(ufunc, args)
    cast_args = [cast(a, d) for a, d in zip(args, loop[: ufunc.nin])]
    return promote_shapes(ufunc.__name__, *cast_args), loop[-1]


def _bool_or_integer(dtype: np.dtype) -> bool:
    return dtype == np.bool_ or _dtypes.is_integer(dtype)


def _bool_or_unsigned(dtype: np.dtype) -> bool:
    return dtype == np.bool_ or _dtypes.is_unsigned(dtype)


def _unary(ufunc: np.ufunc, lax_fn, *, identity_on=None):
    """``identity_on``: the dtypes on which the function is the identity (floor of int)."""

    def fn(x, /):
        if isinstance(x, _ARRAYS) and _dtypes.is_float(get_aval(x).dtype):
            return lax_fn(x)  # fast path: NumPy's loop for a float is that float
        (x,), _ = _loop_args(ufunc, (x,))
        if identity_on is not None and identity_on(aval(x).dtype):
            return x
        return lax_fn(x)

    fn.__name__ = fn.__qualname__ = ufunc.__name__
    fn.__doc__ = f"Elementwise ``numpy.{ufunc.__name__}`` on arrays and traced values."
    return fn


def _binary(ufunc: np.ufunc, lax_fn, *, bool_fn=None, composite: bool = False,
            fast: bool = True):
    """``bool_fn``: the primitive NumPy's boolean loop amounts to (``add`` is ``or``).
    ``composite``: ``lax_fn`` is built of several primitives and needs operands of one
    shape and dtype (so a Python scalar operand takes the slow path). ``fast=False``: the
    NumPy loop may change a float dtype (``float_power``), so always resolve it."""
    scalar_fast = fast and not composite

    def fn(x1, x2, /):
        # Fast paths: equal float types, or a float and a real Python scalar (NEP 50: the
        # scalar takes the float's dtype), need no promotion and no broadcasting here. (The
        # kind letters are read inline: this runs for every binary operation.)
        if fast and isinstance(x1, _ARRAYS):
            a1 = get_aval(x1)
            if a1.dtype.kind == "f":
                if isinstance(x2, _ARRAYS):
                    a2 = get_aval(x2)
                    if a1.shape == a2.shape and a1.dtype == a2.dtype:
                        return lax_fn(x1, x2)
                elif scalar_fast and type(x2) in _REAL_SCALARS:
                    return lax_fn(x1, x2)
        elif (scalar_fast and type(x1) in _REAL_SCALARS and isinstance(x2, _ARRAYS)
              and get_aval(x2).dtype.kind == "f"):
            return lax_fn(x1, x2)
        (x1, x2), _ = _loop_args(ufunc, (x1, x2))
        if bool_fn is not None and aval(x1).dtype == np.bool_:
            return bool_fn(x1, x2)
        return lax_fn(x1, x2)

    fn.__name__ = fn.__qualname__ = ufunc.__name__
    fn.__doc__ = f"Elementwise ``numpy.{ufunc.__name__}`` with broadcasting and NumPy promotion."
    return fn


# --- arithmetic ---------------------------------------------------------------------------

add = _binary(np.add, ar.add, bool_fn=lg.bitwise_or)
subtract = _binary(np.subtract, ar.sub)
multiply = _binary(np.multiply, ar.mul, bool_fn=lg.bitwise_and)
true_divide = _binary(np.true_divide, ar.div)
divide = true_divide
maximum = _binary(np.maximum, ar.max)
minimum = _binary(np.minimum, ar.min)
arctan2 = _binary(np.arctan2, ew.atan2)
negative = _unary(np.negative, ar.neg)
sign = _unary(np.sign, ar.sign)
floor = _unary(np.floor, ar.floor, identity_on=_bool_or_integer)
ceil = _unary(np.ceil, ar.ceil, identity_on=_bool_or_integer)
absolute = _unary(np.absolute, ar.abs, identity_on=_bool_or_unsigned)
abs = absolute  # noqa: A001 - NumPy name
fabs = _unary(np.fabs, ar.abs)
exp = _unary(np.exp, ew.exp)
exp2 = _unary(np.exp2, ew.exp2)
expm1 = _unary(np.expm1, ew.expm1)
log = _unary(np.log, ew.log)
log1p = _unary(np.log1p, ew.log1p)
sqrt = _unary(np.sqrt, ew.sqrt)
cbrt = _unary(np.cbrt, ew.cbrt)
sin = _unary(np.sin, ew.sin)
cos = _unary(np.cos, ew.cos)
tan = _unary(np.tan, ew.tan)
arcsin = _unary(np.arcsin, ew.asin)
arccos = _unary(np.arccos, ew.acos)
arctan = _unary(np.arctan, ew.atan)
sinh = _unary(np.sinh, ew.sinh)
cosh = _unary(np.cosh, ew.cosh)
tanh = _unary(np.tanh, ew.tanh)
arcsinh = _unary(np.arcsinh, ew.asinh)
arccosh = _unary(np.arccosh, ew.acosh)
arctanh = _unary(np.arctanh, ew.atanh)
square = _unary(np.square, ar.square)
positive = _unary(np.positive, lambda x: x)


def _log_base(ufunc, base: float):
    def lax_fn(x):
        return ar.div(ew.log(x), const_like(x, np.log(base)))

    return _unary(ufunc, lax_fn)


log2 = _log_base(np.log2, 2.0)
log10 = _log_base(np.log10, 10.0)


def _reciprocal(x):
    return ar.div(const_like(x, 1), x)


reciprocal = _unary(np.reciprocal, _reciprocal)
trunc = _unary(
    np.trunc,
    lambda x: base.select_n(lg.lt(x, const_like(x, 0)), ar.floor(x), ar.ceil(x)),
    identity_on=_bool_or_integer,
)


def _floor_divide_lax(x, y):
    if _dtypes.is_integer(aval(x).dtype):
        q, r = ar.div(x, y), ar.rem(x, y)
        zero = const_like(x, 0)
        adjust = lg.bitwise_and(lg.ne(r, zero), lg.ne(lg.lt(r, zero), lg.lt(y, zero)))
        return base.select_n(adjust, q, ar.sub(q, const_like(x, 1)))
    # Floats, as NumPy's npy_divmod: exact quotient of (x - fmod(x, y)) / y, then floored.
    mod = ar.rem(x, y)
    zero = const_like(x, 0)
    div = ar.div(ar.sub(x, mod), y)
    adjust = lg.bitwise_and(lg.ne(mod, zero), lg.ne(lg.lt(y, zero), lg.lt(mod, zero)))
    div = base.select_n(adjust, div, ar.sub(div, const_like(x, 1)))
    fl = ar.floor(div)
    fl = base.select_n(lg.gt(ar.sub(div, fl), const_like(x, 0.5)), fl, ar.add(fl, const_like(x, 1)))
    return base.select_n(lg.eq(y, zero), fl, ar.div(x, y))


def _remainder_lax(x, y):
    r = ar.rem(x, y)
    zero = const_like(x, 0)
    adjust = lg.bitwise_and(lg.ne(r, zero), lg.ne(lg.lt(r, zero), lg.lt(y, zero)))
    return base.select_n(adjust, r, ar.add(r, y))


floor_divide = _binary(np.floor_divide, _floor_divide_lax, composite=True)
remainder = _binary(np.remainder, _remainder_lax, composite=True)
mod = remainder
fmod = _binary(np.fmod, ar.rem)


def divmod(x1, x2, /):  # noqa: A001 - NumPy name
    return floor_divide(x1, x2), remainder(x1, x2)


def _power_lax(x, y):
    return ew.pow(x, y)


_power = _binary(np.power, _power_lax)


def power(x1, x2, /):
    """``x1 ** x2``; a Python integer exponent becomes ``integer_pow`` (exact, and with a
    derivative that is defined at ``x1 == 0``)."""
    x1 = operand(x1, "power")
    if type(x2) is int and not (x2 < 0 and _bool_or_integer(aval(x1).dtype)):
        loop = _resolve(np.power, (x1, x2))
        return ar.integer_pow(cast(x1, loop[0]), x2)
    return _power(x1, x2)


float_power = _binary(np.float_power, _power_lax, fast=False)

# --- comparisons and logic ----------------------------------------------------------------

equal = _binary(np.equal, lg.eq)
not_equal = _binary(np.not_equal, lg.ne)


def _ordering(strict, weak):
    """An order comparison; complex operands compare as NumPy's, lexicographically by
    (real, imag): ``x < y`` iff ``re x < re y``, or equal real parts and ``im x < im y``."""

    def compare(x1, x2):
        if not _dtypes.is_complex(aval(x1).dtype):
            return strict(x1, x2) if weak is None else weak(x1, x2)
        re1, re2, im1, im2 = base.real(x1), base.real(x2), cp.imag(x1), cp.imag(x2)
        last = strict(im1, im2) if weak is None else weak(im1, im2)
        return lg.bitwise_or(strict(re1, re2), lg.bitwise_and(lg.eq(re1, re2), last))

    return compare


less = _binary(np.less, _ordering(lg.lt, None))
less_equal = _binary(np.less_equal, _ordering(lg.lt, lg.le))
greater = _binary(np.greater, _ordering(lg.gt, None))
greater_equal = _binary(np.greater_equal, _ordering(lg.gt, lg.ge))
bitwise_and = _binary(np.bitwise_and, lg.bitwise_and)
bitwise_or = _binary(np.bitwise_or, lg.bitwise_or)
bitwise_xor = _binary(np.bitwise_xor, lg.bitwise_xor)
invert = _unary(np.invert, lg.bitwise_not)
bitwise_not = invert


def _right_shift_lax(x, y):
    # NumPy shifts a signed integer arithmetically (filling with the sign), an unsigned one
    # logically; shifts by the bit width or more give 0 or -1 in both (as the primitives).
    if _dtypes.is_unsigned(aval(x).dtype):
        return bits.shift_right_logical(x, y)
    return bits.shift_right_arithmetic(x, y)


left_shift = _binary(np.left_shift, bits.shift_left, fast=False)
right_shift = _binary(np.right_shift, _right_shift_lax, fast=False)
bitwise_left_shift = left_shift
bitwise_right_shift = right_shift
nextafter = _binary(np.nextafter, float_bits.nextafter)


def _to_bool(x):
    x = operand(x)
    return x if aval(x).dtype == np.bool_ else lg.ne(x, const_like(x, 0))


def logical_and(x1, x2, /):
    x1, x2 = promote_shapes("logical_and", _to_bool(x1), _to_bool(x2))
    return lg.bitwise_and(x1, x2)


def logical_or(x1, x2, /):
    x1, x2 = promote_shapes("logical_or", _to_bool(x1), _to_bool(x2))
    return lg.bitwise_or(x1, x2)


def logical_xor(x1, x2, /):
    x1, x2 = promote_shapes("logical_xor", _to_bool(x1), _to_bool(x2))
    return lg.bitwise_xor(x1, x2)


def logical_not(x, /):
    return lg.bitwise_not(_to_bool(x))


def isfinite(x, /):
    """Complex: both parts finite (as NumPy)."""
    x = operand(x, "isfinite")
    if _dtypes.is_complex(aval(x).dtype):
        return lg.bitwise_and(isfinite(base.real(x)), isfinite(cp.imag(x)))
    return ar.is_finite(x) if _dtypes.is_float(aval(x).dtype) else lg.eq(x, x)


def isnan(x, /):
    x = operand(x, "isnan")
    return lg.ne(x, x)


def isinf(x, /):
    """Complex: either part infinite (as NumPy)."""
    x = operand(x, "isinf")
    if _dtypes.is_complex(aval(x).dtype):
        return lg.bitwise_or(isinf(base.real(x)), isinf(cp.imag(x)))
    if not _dtypes.is_float(aval(x).dtype):
        return lg.ne(x, x)
    return lg.bitwise_and(lg.bitwise_not(ar.is_finite(x)), lg.eq(x, x))


# --- selection ----------------------------------------------------------------------------

def where(condition, x=None, y=None, /):
    """``x`` where ``condition`` holds, else ``y``, with broadcasting and promotion."""
    if x is None or y is None:
        if x is None and y is None:
            raise NotImplementedError(
                "funcad.numpy.where(condition) with one argument (nonzero) has a "
                "data-dependent shape and is not supported; pass x and y"
            )
        raise FuncadTypeError(with_user_line("where: pass both x and y, or neither"))
    cond = _to_bool(condition)
    x, y = promote_args("where", x, y)
    cond, x, y = promote_shapes("where", cond, x, y)
    return base.select_n(cond, y, x)


def clip(a, a_min=None, a_max=None, /, *, min=None, max=None):  # noqa: A002 - NumPy names
    """``minimum(maximum(a, a_min), a_max)``; either bound may be ``None``."""
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    out = operand(a, "clip")
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return out


def round(a, decimals: int = 0):  # noqa: A001 - NumPy name
    """Round half to even, as ``numpy.round``."""
    a = operand(a, "round")
    dtype = aval(a).dtype
    if _bool_or_integer(dtype):
        if decimals >= 0:
            return a
        raise NotImplementedError("funcad.numpy.round of integers with negative decimals")
    if _dtypes.is_complex(dtype):  # NumPy rounds each part
        return cp.complex(round(base.real(a), decimals), round(cp.imag(a), decimals))
    if decimals == 0:
        return ar.round(a, ar.ROUND_TO_NEAREST_EVEN)
    scale = cast(10.0**decimals, dtype)
    scaled = multiply(a, scale)
    return true_divide(ar.round(scaled, ar.ROUND_TO_NEAREST_EVEN), scale)


around = round


def logaddexp(x1, x2, /):
    """``log(exp(x1) + exp(x2))`` without overflow, with exact derivatives at every order
    (ties included): shifted by a maximum held constant, and with the ``log1p`` form on the
    side of the larger operand for precision."""
    (x1, x2), _ = _loop_args(np.logaddexp, (x1, x2))
    amax = ar.max(x1, x2)
    shift = ar.stop_gradient(base.select_n(ar.is_finite(amax), const_like(amax, 0), amax))
    a, b = ar.sub(x1, shift), ar.sub(x2, shift)
    first_larger = ew.log1p(ar.add(ew.expm1(a), ew.exp(b)))
    second_larger = ew.log1p(ar.add(ew.exp(a), ew.expm1(b)))
    out = ar.add(shift, base.select_n(lg.ge(x1, x2), second_larger, first_larger))
    # Equal infinities give a NaN difference; their sum is the right answer there.
    delta = ar.sub(x1, x2)
    return base.select_n(lg.ne(delta, delta), out, ar.add(x1, x2))
