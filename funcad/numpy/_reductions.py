"""Reductions of ``funcad.numpy`` with NumPy's axes, ``keepdims`` and dtype rules.

The accumulation and result dtypes are asked of NumPy itself (on a tiny probe array, once
per dtype), so ``sum(int8) -> int64``, ``mean(int) -> float64``, ``mean(float16)`` (computed
in float32) match NumPy exactly. The reduction is then one primitive in that dtype.
"""
from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from funcad.core import dtypes
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._core import (
    array_operand,
    aval,
    cast,
    normalize_axes,
    normalize_axis,
)
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import complex_parts as cp
from funcad.ops import elementwise as ew
from funcad.ops import logical as lg
from funcad.ops import reductions as red
from funcad.ops import structural as st

F64 = np.dtype(np.float64)
F32 = np.dtype(np.float32)


# --- helpers shared with the products and linalg modules --------------------------------------

def _unsupported(fname: str, **kwargs) -> None:
    for name, value in kwargs.items():
        if value is not None and value is not True:
            raise NotImplementedError(f"funcad.numpy.{fname}: {name}= is not supported")


@functools.cache
def _probe_dtype(fname: str, in_dtype: np.dtype, dtype) -> np.dtype:
    """The dtype ``numpy.<fname>`` gives for ``in_dtype`` and its ``dtype=`` argument."""
    return getattr(np, fname)(np.ones((2, 2), in_dtype), dtype=dtype).dtype


def result_dtype(fname: str, x, dtype) -> np.dtype:
    try:
        return _probe_dtype(fname, aval(x).dtype, None if dtype is None else np.dtype(dtype))
    except TypeError as e:
        raise FuncadTypeError(with_user_line(
            f"funcad.numpy.{fname}: not defined for {aval(x).str_short()} "
            f"with dtype={dtype!r} ({e})"
        )) from None


def full(value, dtype, shape):
    """``value`` broadcast to ``shape`` (staged as a literal and a broadcast)."""
    return base.broadcast_in_dim(np.asarray(value, dtype), tuple(shape), ())


def sum_as(x, axes):
    """``reduce_sum`` that also sums booleans (as a logical or, as NumPy's bool loop)."""
    if aval(x).dtype == np.bool_:
        return red.reduce_max(x, axes)
    return base.reduce_sum(x, axes)


def diagonal_mask(shape, axis1: int, axis2: int, offset: int = 0):
    """A boolean array of ``shape``: True where ``index[axis2] == index[axis1] + offset``."""
    rows = st.broadcasted_iota(np.int64, shape, axis1)
    cols = st.broadcasted_iota(np.int64, shape, axis2)
    if offset:
        rows = ar.add(rows, base.broadcast_in_dim(np.asarray(offset, np.int64), shape, ()))
    return lg.eq(rows, cols)


def masked(x, mask):
    """``x`` where ``mask`` holds, else zero (a select, so NaN/inf elsewhere do not leak)."""
    a = aval(x)
    zero = base.broadcast_in_dim(np.asarray(0, a.dtype), a.shape, ())
    return base.select_n(mask, zero, x)


def keep_dims(result, shape, axes, keepdims: bool):
    """Put the reduced ``axes`` of ``shape`` back as size-1 axes when ``keepdims``."""
    if not keepdims:
        return result
    return base.reshape(result, [1 if i in axes else d for i, d in enumerate(shape)])


def _count(shape, axes) -> int:
    return math.prod(shape[i] for i in axes)


def check_axis_arg(axis, fname: str, *, tuples: bool = True) -> None:
    """``axis`` must be None, an int or (where allowed) a tuple of ints."""
    ok = axis is None or isinstance(axis, (int, np.integer)) or (
        tuples and isinstance(axis, (tuple, list))
        and builtins.all(isinstance(a, (int, np.integer)) for a in axis)
    )
    if not ok or isinstance(axis, bool):
        what = "None, an int or a tuple of ints" if tuples else "None or an int"
        raise FuncadTypeError(with_user_line(
            f"funcad.numpy.{fname}: axis must be {what}, got {axis!r}"
        ))


def _reduce_args(a, axis, fname):
    check_axis_arg(axis, fname)
    x = array_operand(a, fname)
    shape = aval(x).shape
    return x, shape, normalize_axes(axis, len(shape), fname)


def _initial(initial, dtype, shape, fname: str):
    """The scalar ``initial`` of a reduction as ``dtype``, broadcast to ``shape``."""
    init = array_operand(initial, fname)
    if aval(init).shape:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.{fname}: initial must be a scalar, got shape {aval(init).shape}"
        ))
    return base.broadcast_in_dim(cast(init, dtype), shape, ())


# --- sums and products -------------------------------------------------------------------------

def _reduced_dtype(fname: str, x, dtype, promote_integers) -> np.dtype:
    """NumPy's accumulation dtype, or with JAX's ``promote_integers=False`` (and no
    ``dtype``) the input's: integers keep their dtype, booleans sum as int32."""
    if promote_integers or dtype is not None:
        return result_dtype(fname, x, dtype)
    dt = aval(x).dtype
    return np.dtype(np.int32) if dt == np.bool_ else dt


def sum(  # noqa: A001
        a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
        promote_integers=True):
    """Sum over ``axis``; small integers and booleans accumulate in the default int."""
    _unsupported("sum", out=out, where=where)
    x, shape, axes = _reduce_args(a, axis, "sum")
    dt = _reduced_dtype("sum", x, dtype, promote_integers)
    r = sum_as(cast(x, dt), axes)
    if initial is not None:
        r = ar.add(r, _initial(initial, dt, aval(r).shape, "sum"))
    return keep_dims(r, shape, axes, keepdims)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
         promote_integers=True):
    """Product over ``axis``; small integers and booleans accumulate in the default int."""
    _unsupported("prod", out=out, where=where)
    x, shape, axes = _reduce_args(a, axis, "prod")
    dt = _reduced_dtype("prod", x, dtype, promote_integers)
    x = cast(x, dt)
    r = red.reduce_min(x, axes) if dt == np.bool_ else red.reduce_prod(x, axes)
    if initial is not None:
        r = ar.mul(r, _initial(initial, dt, aval(r).shape, "prod"))
    return keep_dims(r, shape, axes, keepdims)


def _accumulation_dtype(x, dtype, *, widen_half: bool) -> np.dtype:
    """NumPy's ``_mean``/``_var``: integers accumulate in float64; ``mean`` (not ``var``)
    also accumulates float16 in float32."""
    if dtype is not None:
        return np.dtype(dtype)
    dt = aval(x).dtype
    if dt == np.bool_ or dtypes.is_integer(dt):
        return F64
    return F32 if widen_half and dt == np.float16 else dt


def _divide(total, count: int):
    """``total / count`` in ``total``'s dtype (through float64 for an integer ``dtype=``)."""
    dt = aval(total).dtype
    calc = dt if dtypes.is_inexact(dt) else F64
    q = ar.div(cast(total, calc), full(count, calc, aval(total).shape))
    return cast(q, dt)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Arithmetic mean over ``axis``; integers give float64, as in NumPy."""
    _unsupported("mean", out=out, where=where)
    x, shape, axes = _reduce_args(a, axis, "mean")
    out_dt = result_dtype("mean", x, dtype)
    acc = _accumulation_dtype(x, dtype, widen_half=True)
    r = _divide(sum_as(cast(x, acc), axes), _count(shape, axes))
    return keep_dims(cast(r, out_dt), shape, axes, keepdims)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        mean=None, correction=None):
    """Variance over ``axis`` with ``ddof`` (or ``correction``) delta degrees of freedom."""
    _unsupported("var", out=out, where=where, mean=mean)
    return _var(a, axis, dtype, ddof if correction is None else correction, keepdims, "var")


def _var(a, axis, dtype, ddof, keepdims, fname):
    """NumPy's ``_var``: mean in the accumulation dtype, squared deviations summed."""
    x, shape, axes = _reduce_args(a, axis, fname)
    out_dt = result_dtype(fname, x, dtype)
    acc = _accumulation_dtype(x, dtype, widen_half=False)
    n = _count(shape, axes)
    mu = _divide(sum_as(cast(x, acc), axes), n)
    calc = np.result_type(aval(x).dtype, acc)
    kept = [i for i in range(len(shape)) if i not in axes]
    d = ar.sub(cast(x, calc), base.broadcast_in_dim(cast(mu, calc), shape, kept))
    # |d|^2 in the real dtype (complex deviations give a real variance).
    sq = ar.square(ar.abs(d)) if dtypes.is_complex(calc) else ar.mul(d, d)
    total = sum_as(cast(sq, _real(acc)), axes)
    r = ar.div(total, full(builtins.max(n - ddof, 0), aval(total).dtype, aval(total).shape))
    if fname == "std":  # NumPy takes the root in the result dtype (float16 stays float16)
        r = ew.sqrt(cast(r, out_dt) if dtypes.is_inexact(out_dt) else r)
    return keep_dims(cast(r, out_dt), shape, axes, keepdims)


def _real(dt: np.dtype) -> np.dtype:
    return np.finfo(dt).dtype if dtypes.is_complex(dt) else dt


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        mean=None, correction=None):
    """Standard deviation: the square root of ``var``."""
    _unsupported("std", out=out, where=where, mean=mean)
    return _var(a, axis, dtype, ddof if correction is None else correction, keepdims, "std")


# --- extrema -----------------------------------------------------------------------------------

def _extremum(fname: str, ufunc_name: str, reducer, combine):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _unsupported(fname, out=out, where=where)
        x, shape, axes = _reduce_args(a, axis, fname)
        if initial is None and builtins.any(shape[i] == 0 for i in axes):
            raise FuncadValueError(with_user_line(
                f"funcad.numpy.{fname}: zero-size array to reduction operation {ufunc_name} "
                f"which has no identity (shape {shape}, axis {axis}); pass initial="
            ))
        r = reducer(x, axes)
        if initial is not None:
            r = combine(r, _initial(initial, aval(x).dtype, aval(r).shape, fname))
        return keep_dims(r, shape, axes, keepdims)

    fn.__name__ = fn.__qualname__ = fname
    fn.__doc__ = f"The {ufunc_name} over ``axis`` (NaN propagates), as ``numpy.{fname}``."
    return fn


max = _extremum("max", "maximum", red.reduce_max, ar.max)  # noqa: A001
min = _extremum("min", "minimum", red.reduce_min, ar.min)  # noqa: A001
amax = max
amin = min


def _argextremum(fname: str, prim_fn):
    def fn(a, axis=None, out=None, *, keepdims=False):
        _unsupported(fname, out=out)
        check_axis_arg(axis, fname, tuples=False)
        x = array_operand(a, fname)
        shape = aval(x).shape
        if axis is None:
            x, ax = base.reshape(x, (aval(x).size,)), 0
        else:
            ax = normalize_axis(axis, len(shape), fname)
        if aval(x).shape[ax] == 0:
            raise FuncadValueError(with_user_line(
                f"funcad.numpy.{fname}: attempt to get {fname} of an empty sequence "
                f"(shape {shape}, axis {axis})"
            ))
        if dtypes.is_complex(aval(x).dtype):
            r = _complex_argmax(x if fname == "argmax" else ar.neg(x), ax)
        else:
            r = prim_fn(x, ax, np.int64)
        axes = tuple(range(len(shape))) if axis is None else (ax,)
        return keep_dims(r, shape, axes, keepdims)

    fn.__name__ = fn.__qualname__ = fname
    fn.__doc__ = f"Index of the first {fname[3:]}imum along ``axis`` (NaN wins), as NumPy."
    return fn


def _complex_argmax(x, ax: int):
    """NumPy's argmax of complex values: the first NaN (either part) if any, else the first
    maximum in lexicographic order of (real, imag). (argmin is this of ``-x``.)"""
    re, im = base.real(x), cp.imag(x)
    nan = lg.ne(x, x)
    inf = full(-np.inf, aval(re).dtype, aval(re).shape)
    re = base.select_n(nan, re, inf)
    top = base.broadcast_in_dim(red.reduce_max(re, (ax,)), aval(re).shape,
                              [i for i in range(aval(re).ndim) if i != ax])
    ties = lg.bitwise_and(lg.eq(re, top), lg.bitwise_not(nan))
    lex = red.argmax(base.select_n(ties, inf, im), ax, np.int64)
    has_nan = red.reduce_max(nan, (ax,))
    return base.select_n(has_nan, lex, red.argmax(nan, ax, np.int64))


argmax = _argextremum("argmax", red.argmax)
argmin = _argextremum("argmin", red.argmin)


# --- logical reductions ------------------------------------------------------------------------

def _to_bool(x):
    return x if aval(x).dtype == np.bool_ else lg.ne(x, full(0, aval(x).dtype, aval(x).shape))


def all(a, axis=None, out=None, keepdims=False, *, where=None):  # noqa: A001
    """Whether every element along ``axis`` is truthy (NaN counts as true)."""
    _unsupported("all", out=out, where=where)
    x, shape, axes = _reduce_args(a, axis, "all")
    return keep_dims(red.reduce_min(_to_bool(x), axes), shape, axes, keepdims)


def any(a, axis=None, out=None, keepdims=False, *, where=None):  # noqa: A001
    """Whether some element along ``axis`` is truthy."""
    _unsupported("any", out=out, where=where)
    x, shape, axes = _reduce_args(a, axis, "any")
    return keep_dims(red.reduce_max(_to_bool(x), axes), shape, axes, keepdims)


# --- cumulative --------------------------------------------------------------------------------

def _cumulative(fname: str, prim_fn, bool_fn):
    def fn(a, axis=None, dtype=None, out=None):
        _unsupported(fname, out=out)
        check_axis_arg(axis, fname, tuples=False)
        x = array_operand(a, fname)
        if axis is None:
            x, ax = base.reshape(x, (aval(x).size,)), 0
        else:
            ax = normalize_axis(axis, aval(x).ndim, fname)
        dt = result_dtype(fname, x, dtype)
        x = cast(x, dt)
        return (bool_fn if dt == np.bool_ else prim_fn)(x, ax)

    fn.__name__ = fn.__qualname__ = fname
    fn.__doc__ = f"Inclusive ``numpy.{fname}`` along ``axis`` (flattened when None)."
    return fn


cumsum = _cumulative("cumsum", red.cumsum, red.cummax)
cumprod = _cumulative("cumprod", red.cumprod, red.cummin)


# --- NaN-ignoring ------------------------------------------------------------------------------

def _nan_to_zero(x):
    if not dtypes.is_inexact(aval(x).dtype):
        return x
    zero = full(0, aval(x).dtype, aval(x).shape)
    return base.select_n(lg.ne(x, x), x, zero)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``sum`` treating NaN as zero."""
    x = array_operand(a, "nansum")
    return sum(_nan_to_zero(x), axis, dtype, out, keepdims, initial, where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """``mean`` of the non-NaN elements (NaN where there are none)."""
    _unsupported("nanmean", out=out, where=where)
    x = array_operand(a, "nanmean")
    if not dtypes.is_inexact(aval(x).dtype):
        return mean(x, axis, dtype, keepdims=keepdims)
    total = nansum(x, axis, dtype, keepdims=keepdims)
    count = sum(lg.eq(x, x), axis, keepdims=keepdims)
    return ar.div(total, cast(count, aval(total).dtype))


__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "cumprod", "cumsum", "max", "mean",
    "min", "nanmean", "nansum", "prod", "std", "sum", "var",
]
