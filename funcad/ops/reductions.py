"""Reduction primitives: sums, products, extrema, arg-extrema and cumulative scans.

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> transform rules (added in the same block by the interpreters' issues).
Reductions keep the operand's dtype (integer sums wrap, as in XLA); ``funcad.numpy`` picks
NumPy's accumulation dtype and casts before binding.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval
from funcad.ops._definers import (
    ANY,
    NUMERIC,
    canonical_axes,
    check_kind,
    new_primitive,
    type_error,
)

# Ordered dtypes: the ones extrema and arg-extrema are defined on.
ORDERED = "biuf"


def _lowest(dtype: np.dtype):
    """The identity of ``max``: the smallest value of ``dtype``."""
    if dtype.kind == "b":
        return False
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return -np.inf


def _highest(dtype: np.dtype):
    """The identity of ``min``: the largest value of ``dtype``."""
    if dtype.kind == "b":
        return True
    if dtype.kind in "iu":
        return np.iinfo(dtype).max
    return np.inf


def _check_axis_param(prim, x: ShapedArray, axis) -> None:
    if type(axis) is not int or not 0 <= axis < x.ndim:
        raise type_error(prim, [x], f"axis {axis!r} must be an int in [0, {x.ndim})")


def _canonical_axis(prim, operand, axis) -> int:
    """A possibly negative axis as a non-negative int (checked by the shape rule)."""
    ndim = get_aval(operand).ndim
    axis = int(axis)
    return axis % ndim if -ndim <= axis < 0 else axis


# --- the reducer definer ---------------------------------------------------------------------

def defreducer(name: str, reduce: Callable, kinds: str):
    """A primitive reducing over the param ``axes`` (sorted distinct ints): the result drops
    those axes and keeps the operand's dtype and weak type.

    ``reduce(x, axes)`` is the NumPy implementation.
    """

    def abstract_eval(x: ShapedArray, *, axes) -> ShapedArray:
        check_kind(prim, [x], kinds)
        if type(axes) is not tuple or any(type(a) is not int for a in axes):
            raise type_error(prim, [x], f"axes must be a tuple of ints, got {axes!r}")
        if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
            raise type_error(
                prim, [x], f"axes {axes} must be distinct axes of a rank-{x.ndim} operand"
            )
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return ShapedArray(shape, x.dtype, x.weak_type)

    def impl(x, *, axes):
        if x.dtype.kind not in kinds:
            raise TypeError(name)  # apply_impl re-raises it as the shape rule's error
        return reduce(x, axes)

    prim = new_primitive(name, impl, abstract_eval)
    return prim


def _bind_reducer(prim, operand, axes):
    aval = get_aval(operand)
    axes = tuple(sorted(canonical_axes(axes, aval.ndim, prim, [aval])))
    if not axes:
        return operand
    return prim.bind(operand, axes=axes)


def _extremum(np_reduce: Callable, identity: Callable) -> Callable:
    """``np.max``/``np.min`` that return the identity (as XLA does) over empty axes."""

    def reduce(x, axes):
        if all(x.shape[a] for a in axes):
            return np_reduce(x, axis=axes)
        return np_reduce(x, axis=axes, initial=identity(x.dtype))

    return reduce


# --- reduce_sum ------------------------------------------------------------------------------

def reduce_sum(operand, axes):
    """Sum over ``axes``; the dtype is kept (integer sums wrap, as in XLA)."""
    return _bind_reducer(reduce_sum_p, operand, axes)


reduce_sum_p = defreducer(
    "reduce_sum", lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype), NUMERIC
)


# --- reduce_prod -----------------------------------------------------------------------------

def reduce_prod(operand, axes):
    """Product over ``axes``; the dtype is kept."""
    return _bind_reducer(reduce_prod_p, operand, axes)


reduce_prod_p = defreducer(
    "reduce_prod", lambda x, axes: np.prod(x, axis=axes, dtype=x.dtype), NUMERIC
)


# --- reduce_max ------------------------------------------------------------------------------

def reduce_max(operand, axes):
    """Maximum over ``axes`` (NaN propagates; an empty reduction gives the lowest value)."""
    return _bind_reducer(reduce_max_p, operand, axes)


reduce_max_p = defreducer("reduce_max", _extremum(np.max, _lowest), ANY)


# --- reduce_min ------------------------------------------------------------------------------

def reduce_min(operand, axes):
    """Minimum over ``axes`` (NaN propagates; an empty reduction gives the highest value)."""
    return _bind_reducer(reduce_min_p, operand, axes)


reduce_min_p = defreducer("reduce_min", _extremum(np.min, _highest), ANY)


# --- argmax / argmin -------------------------------------------------------------------------

def _defargreducer(name: str, np_arg: Callable):
    """Index of the extremum along ``axis`` (first occurrence; a NaN wins, as in NumPy)."""

    def abstract_eval(x: ShapedArray, *, axis, index_dtype) -> ShapedArray:
        check_kind(prim, [x], ORDERED)
        _check_axis_param(prim, x, axis)
        if x.shape[axis] == 0:
            raise type_error(prim, [x], f"axis {axis} is empty: it has no {name[3:]}imum")
        if not isinstance(index_dtype, np.dtype) or index_dtype.kind not in "iu":
            raise type_error(
                prim, [x], f"index_dtype must be an integer dtype, got {index_dtype!r}"
            )
        shape = [d for i, d in enumerate(x.shape) if i != axis]
        return ShapedArray(shape, index_dtype)

    def impl(x, *, axis, index_dtype):
        if x.dtype.kind not in ORDERED or index_dtype.kind not in "iu":
            raise TypeError(name)
        return np_arg(x, axis=axis).astype(index_dtype, copy=False)

    prim = new_primitive(name, impl, abstract_eval)
    return prim


def argmax(operand, axis: int, index_dtype):
    return argmax_p.bind(
        operand, axis=_canonical_axis(argmax_p, operand, axis), index_dtype=np.dtype(index_dtype)
    )


argmax_p = _defargreducer("argmax", np.argmax)


def argmin(operand, axis: int, index_dtype):
    return argmin_p.bind(
        operand, axis=_canonical_axis(argmin_p, operand, axis), index_dtype=np.dtype(index_dtype)
    )


argmin_p = _defargreducer("argmin", np.argmin)


# --- cumulative scans ------------------------------------------------------------------------

def defcumulative(name: str, ufunc: np.ufunc, kinds: str):
    """An inclusive scan along ``axis`` (from the end when ``reverse``); shape and dtype kept."""

    def abstract_eval(x: ShapedArray, *, axis, reverse) -> ShapedArray:
        check_kind(prim, [x], kinds)
        _check_axis_param(prim, x, axis)
        if type(reverse) is not bool:
            raise type_error(prim, [x], f"reverse must be a bool, got {reverse!r}")
        return x

    def impl(x, *, axis, reverse):
        if x.dtype.kind not in kinds:
            raise TypeError(name)
        if reverse:
            return np.flip(ufunc.accumulate(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
        return ufunc.accumulate(x, axis=axis, dtype=x.dtype)

    prim = new_primitive(name, impl, abstract_eval)
    return prim


def _bind_cumulative(prim, operand, axis, reverse):
    return prim.bind(operand, axis=_canonical_axis(prim, operand, axis), reverse=bool(reverse))


def cumsum(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cumsum_p, operand, axis, reverse)


cumsum_p = defcumulative("cumsum", np.add, NUMERIC)


def cumprod(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cumprod_p, operand, axis, reverse)


cumprod_p = defcumulative("cumprod", np.multiply, NUMERIC)


def cummax(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cummax_p, operand, axis, reverse)


cummax_p = defcumulative("cummax", np.maximum, ORDERED)


def cummin(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cummin_p, operand, axis, reverse)


cummin_p = defcumulative("cummin", np.minimum, ORDERED)
