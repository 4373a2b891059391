"""Elementwise functions beyond the core list, composed from primitives: the array-API
aliases (``acos`` ... ``pow``, ``bitwise_invert``), ``hypot logaddexp2 fmax fmin copysign
heaviside deg2rad rad2deg radians degrees frexp ldexp rint fix nan_to_num`` and the
comparisons ``isclose allclose array_equal array_equiv``; ``real_if_close``.

Each is exact where NumPy's is (the compositions only rescale, select and compare) and
differentiates as JAX's does at ties (``fmax``/``fmin`` through ``maximum``/``minimum``).
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import Tracer
from funcad.errors import ConcretizationError, FuncadValueError, with_user_line
from funcad.numpy import _reductions as rd
from funcad.numpy import _shape as sh
from funcad.numpy import _ufuncs as uf
from funcad.numpy._complex import conjugate, imag, real
from funcad.numpy._core import aval, cast, operand, promote_args
from funcad.numpy._index_plan import concrete_index
from funcad.ops.dot_options import dot_options

# --- array-API aliases --------------------------------------------------------------------
acos, asin, atan, atan2 = uf.arccos, uf.arcsin, uf.arctan, uf.arctan2
acosh, asinh, atanh = uf.arccosh, uf.arcsinh, uf.arctanh
pow = uf.power  # noqa: A001 - the array API's name
bitwise_invert = uf.invert


def concat(arrays, /, *, axis: int | None = 0):
    """The array API's ``concatenate`` (``axis=None`` joins the flattened arrays)."""
    if axis is None:
        return sh.concatenate([sh.ravel(operand(a, "concat")) for a in arrays], 0)
    return sh.concatenate(arrays, axis)


def astype(x, dtype, /, *, copy: bool = True, device=None):
    """``x`` as ``dtype`` (the array API's function form of ``x.astype``)."""
    return cast(operand(x, "astype"), dtype)


def matrix_transpose(x, /):
    """The last two axes swapped."""
    x = operand(x, "matrix_transpose")
    if aval(x).ndim < 2:
        raise FuncadValueError(with_user_line(
            f"matrix_transpose: needs at least 2 dimensions, got {aval(x).str_short()}"))
    return sh.swapaxes(x, -1, -2)


@dot_options("funcad.numpy.vecdot")
def vecdot(x1, x2, /, *, axis: int = -1):
    """``sum(conj(x1) * x2, axis)`` with broadcasting."""
    x1, x2 = operand(x1, "vecdot"), operand(x2, "vecdot")
    return rd.sum(uf.multiply(conjugate(x1), x2), axis=axis)


def _float_args(name, *xs):
    """``xs`` promoted together, then to a floating dtype (NumPy's float loops)."""
    xs = promote_args(name, *[operand(x, name) for x in xs])
    dt = np.result_type(*[aval(x).dtype for x in xs])
    if not dtypes.is_inexact(dt):
        xs = [uf.true_divide(x, 1) for x in xs]  # ints -> float64 as NumPy's loops
    return xs


def deg2rad(x, /):
    """``x * pi / 180``."""
    (x,) = _float_args("deg2rad", x)
    return uf.multiply(x, np.pi / 180)


def rad2deg(x, /):
    """``x * 180 / pi``."""
    (x,) = _float_args("rad2deg", x)
    return uf.multiply(x, 180 / np.pi)


radians, degrees = deg2rad, rad2deg


def hypot(x1, x2, /):
    """``sqrt(x1**2 + x2**2)`` without overflow: the larger magnitude is factored out (its
    zero replaced by one, so the origin has a zero, finite derivative)."""
    x1, x2 = _float_args("hypot", x1, x2)
    a, b = uf.absolute(x1), uf.absolute(x2)
    big, small = uf.maximum(a, b), uf.minimum(a, b)
    safe = uf.where(big == 0, 1, big)
    out = safe * uf.sqrt(1 + uf.square(small / safe))
    out = uf.where(big == 0, 0, out)
    return uf.where(uf.isinf(big), np.inf, out)


def logaddexp2(x1, x2, /):
    """``log2(2**x1 + 2**x2)``, through ``logaddexp`` in natural units."""
    x1, x2 = _float_args("logaddexp2", x1, x2)
    ln2 = float(np.log(2.0))
    return uf.logaddexp(x1 * ln2, x2 * ln2) / ln2


def _nan_ignoring(name: str, combine, x1, x2):
    """``combine`` elementwise, ignoring NaNs (NaN only where both are NaN)."""
    x1, x2 = promote_args(name, operand(x1, name), operand(x2, name))
    out = combine(x1, x2)
    if not dtypes.is_inexact(aval(out).dtype):
        return out
    return uf.where(uf.isnan(x2), x1, uf.where(uf.isnan(x1), x2, out))


def fmax(x1, x2, /):
    """Elementwise maximum that ignores NaNs (NaN only where both are NaN)."""
    return _nan_ignoring("fmax", uf.maximum, x1, x2)


def fmin(x1, x2, /):
    """Elementwise minimum that ignores NaNs (NaN only where both are NaN)."""
    return _nan_ignoring("fmin", uf.minimum, x1, x2)


def _negative_sign(x):
    """Whether ``x`` is negative, negative zero included (``atan2(0, -0) == pi``)."""
    return uf.arctan2(0.0, x) > 0


def copysign(x1, x2, /):
    """``|x1|`` with the sign of ``x2`` (negative zero counts as negative; the sign bit of
    a NaN ``x2`` is not read: it counts as positive)."""
    x1, x2 = _float_args("copysign", x1, x2)
    mag = uf.absolute(x1)
    return uf.where(_negative_sign(x2), uf.negative(mag), mag)


def heaviside(x1, x2, /):
    """0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0``, NaN at NaN."""
    x1, x2 = _float_args("heaviside", x1, x2)
    out = uf.where(x1 < 0, 0, uf.where(x1 > 0, 1, x2))
    return uf.where(uf.isnan(x1), np.nan, out)


def rint(x, /):
    """Round to the nearest integer, halves to even (as ``numpy.rint``)."""
    (x,) = _float_args("rint", x)
    return uf.round(x)


def fix(x, /):
    """Round toward zero, keeping the dtype (``numpy.fix``)."""
    x = operand(x, "fix")
    if not dtypes.is_inexact(aval(x).dtype):
        return x
    return uf.trunc(x)


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` in two factors, so that a result in range is not lost to an
    overflowing or underflowing power of two."""
    (x1,) = _float_args("ldexp", x1)
    x2 = operand(x2, "ldexp")
    half = uf.floor_divide(x2, 2)
    dt = aval(x1).dtype
    two = np.asarray(2.0, dt)
    return x1 * uf.power(two, cast(half, dt)) * uf.power(two, cast(x2 - half, dt))


def frexp(x, /):
    """``(mantissa, exponent)`` with ``x == mantissa * 2**exponent`` and ``0.5 <=
    |mantissa| < 1``; zeros, infinities and NaNs give ``(x, 0)``."""
    (x,) = _float_args("frexp", x)
    dt = aval(x).dtype
    finite = uf.logical_and(uf.isfinite(x), x != 0)
    mag = uf.where(finite, uf.absolute(x), 1)
    e = uf.floor(uf.log2(mag)) + 1
    m = ldexp(mag, cast(uf.negative(e), np.int32))
    # log2 may round across a power of two: one step fixes the exponent.
    e = uf.where(m >= 1, e + 1, uf.where(m < 0.5, e - 1, e))
    m = ldexp(mag, cast(uf.negative(e), np.int32))
    m = uf.where(finite, uf.where(x < 0, uf.negative(m), m), x)
    return cast(m, dt), cast(uf.where(finite, e, 0), np.int32)


def nan_to_num(x, copy: bool = True, nan=0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the largest finite), -inf ->
    ``neginf`` (default: the most negative finite); complex parts separately."""
    x = operand(x, "nan_to_num")
    dt = aval(x).dtype
    if dtypes.is_complex(dt):
        from_parts = [nan_to_num(p, nan=nan, posinf=posinf, neginf=neginf)
                      for p in (real(x), imag(x))]
        return from_parts[0] + 1j * from_parts[1]
    if not dtypes.is_inexact(dt):
        return x
    info = np.finfo(dt)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    out = uf.where(uf.isnan(x), np.asarray(nan, dt), x)
    out = uf.where(uf.logical_and(uf.isinf(x), x > 0), np.asarray(hi, dt), out)
    return uf.where(uf.logical_and(uf.isinf(x), x < 0), np.asarray(lo, dt), out)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False):
    """``|a - b| <= atol + rtol * |b|``, infinities equal only to themselves."""
    a, b = promote_args("isclose", operand(a, "isclose"), operand(b, "isclose"))
    if not dtypes.is_inexact(aval(a).dtype):
        a, b = uf.true_divide(a, 1), uf.true_divide(b, 1)
    finite = uf.logical_and(uf.isfinite(a), uf.isfinite(b))
    close = uf.absolute(a - b) <= atol + rtol * uf.absolute(b)
    out = uf.where(finite, close, a == b)
    if equal_nan:
        out = uf.logical_or(out, uf.logical_and(uf.isnan(a), uf.isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False):
    """Whether ``isclose`` holds everywhere (a 0-d boolean array)."""
    return rd.all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan: bool = False):
    """Same shape and equal elements (NaNs equal with ``equal_nan``)."""
    a1, a2 = operand(a1, "array_equal"), operand(a2, "array_equal")
    if aval(a1).shape != aval(a2).shape:
        return np.asarray(False)
    eq = uf.equal(a1, a2)
    if equal_nan and dtypes.is_inexact(np.result_type(aval(a1).dtype, aval(a2).dtype)):
        eq = uf.logical_or(eq, uf.logical_and(uf.isnan(a1), uf.isnan(a2)))
    return rd.all(eq)


def array_equiv(a1, a2):
    """Equal after broadcasting (False when the shapes do not broadcast)."""
    a1, a2 = operand(a1, "array_equiv"), operand(a2, "array_equiv")
    try:
        np.broadcast_shapes(aval(a1).shape, aval(a2).shape)
    except ValueError:
        return np.asarray(False)
    return rd.all(uf.equal(a1, a2))


def real_if_close(a, tol=100):
    """The real part when every imaginary part is within ``tol`` machine epsilons of zero
    (the result's dtype depends on the values, so traced values need a concrete one)."""
    a = operand(a, "real_if_close")
    if not dtypes.is_complex(aval(a).dtype):
        return a
    value = concrete_index(a)
    if value is None:
        raise ConcretizationError(
            "real_if_close", a, "Its result's dtype depends on the values: call it outside "
            "the transform, or take funcad.numpy.real explicitly.")
    if isinstance(a, Tracer):
        a = value
    return np.real_if_close(np.asarray(a), tol)


__all__ = [
    "acos",
    "acosh",
    "allclose",
    "array_equal",
    "array_equiv",
    "asin",
    "asinh",
    "astype",
    "atan",
    "atan2",
    "atanh",
    "bitwise_invert",
    "concat",
    "copysign",
    "deg2rad",
    "degrees",
    "fix",
    "fmax",
    "fmin",
    "frexp",
    "heaviside",
    "hypot",
    "isclose",
    "ldexp",
    "logaddexp2",
    "matrix_transpose",
    "nan_to_num",
    "pow",
    "rad2deg",
    "radians",
    "real_if_close",
    "rint",
    "vecdot",
]
