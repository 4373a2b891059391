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
from funcad.core.dtypes import is_bool, is_integer
from funcad.core.rules import (
    Accumulates,
    Reduction,
    batch_rules,
    explain_notation,
    identity_tests,
    sparsity_curvature,
    sparsity_rules,
)
from funcad.core.symbolic import Zero
from funcad.core.trace import get_aval
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import elementwise as ew
from funcad.ops import logical as lg
from funcad.ops import slicing as sl
from funcad.ops._base import (
    bind_reducer,
    defjvp,
    defjvp2,
    defjvp_zero,
    deflinear,
    defreducer,
    kept_axes,
    reduce_sum,
)
from funcad.ops._kernels import defkernel, reduce_kernel
from funcad.ops._shapes import (
    ANY,
    NUMERIC,
    check_kind,
    new_primitive,
    new_reducer,
    type_error,
)

# Ordered dtypes: the ones extrema and arg-extrema are defined on.
ORDERED = "biuf"


def _lowest(dtype: np.dtype):
    """The identity of ``max``: the smallest value of ``dtype``."""
    if is_bool(dtype):
        return False
    if is_integer(dtype):
        return np.iinfo(dtype).min
    return -np.inf


def _highest(dtype: np.dtype):
    """The identity of ``min``: the largest value of ``dtype``."""
    if is_bool(dtype):
        return True
    if is_integer(dtype):
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


def _shift(x, axis: int, d: int, fill, reverse: bool):
    """``x`` moved ``d`` places along ``axis`` (toward the end, or toward the start when
    ``reverse``), the vacated places holding ``fill``: a pad that crops what falls off."""
    aval = get_aval(x)
    config = [(0, 0, 0)] * aval.ndim
    config[axis] = (-d, d, 0) if reverse else (d, -d, 0)
    return sl.pad(x, np.asarray(fill, aval.dtype), config)


def _linear_scan(a, b, axis: int, reverse: bool):
    """``h[i] = a[i] * h[i-1] + b[i]`` along ``axis`` (``h[i+1]`` when ``reverse``), from
    ``h = 0`` before the first element: a Hillis-Steele scan over pairs ``(a, b)`` with
    ``(a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2)``, so log2(n) steps of products only
    (exact where ``a`` has zeros). Linear in ``b``: the JVPs of the scans are such scans."""
    n = get_aval(b).shape[axis]
    d = 1
    while d < n:
        b = ar.add(b, ar.mul(a, _shift(b, axis, d, 0, reverse)))
        if 2 * d < n:
            a = ar.mul(a, _shift(a, axis, d, 1, reverse))
        d *= 2
    return b


def _batch_single_axis(prim, keeps_axis: bool):
    """Batching of a primitive with one ``axis`` param: renumber it around the batch axis;
    the axis stays (scans) or goes away (arg-extrema)."""

    def rule(vals, dims, **params):
        (x,), (d,) = vals, dims
        axis = params["axis"] + (params["axis"] >= d)
        out_d = d if keeps_axis or axis > d else d - 1
        return prim.bind(x, **dict(params, axis=axis)), out_d

    batch_rules[prim] = rule


def _extremum(np_reduce: Callable, identity: Callable) -> Callable:
    """``np.max``/``np.min`` that return the identity (as XLA does) over empty axes."""

    def reduce(x, axes):
        if all(x.shape[a] for a in axes):
            return np_reduce(x, axis=axes)
        return np_reduce(x, axis=axes, initial=identity(x.dtype))

    return reduce


# --- reduce_prod -----------------------------------------------------------------------------

def reduce_prod(operand, axes):
    """Product over ``axes``; the dtype is kept."""
    return bind_reducer(reduce_prod_p, operand, axes)


reduce_prod_p = new_reducer(
    "reduce_prod", lambda x, axes: np.prod(x, axis=axes, dtype=x.dtype), NUMERIC
)


def _products_of_others(x, axis: int):
    """``prod_{j != i} x[j]`` along ``axis`` for every ``i``: the exclusive products from
    the left times those from the right (no division, so exact with zeros)."""
    left = _shift(cumprod(x, axis), axis, 1, 1, False)
    right = _shift(cumprod(x, axis, reverse=True), axis, 1, 1, True)
    return ar.mul(left, right)


def _reduce_prod_jvp(t, x, *, axes):
    # d prod = sum_i t[i] prod_{j != i} x[j]. Several axes are merged into one first (a
    # reshape, after a transpose when they are not adjacent), on the primal side only: the
    # linear part is one product and one sum.
    shape = get_aval(x).shape
    if axes == tuple(range(axes[0], axes[-1] + 1)):
        y, perm, axis = x, None, axes[0]
    else:
        kept = kept_axes(len(shape), axes)
        perm = kept + axes
        y, axis = base.transpose(x, perm), len(kept)
    y_shape = get_aval(y).shape
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    merged = y_shape[:axis] + (n,) + y_shape[axis + len(axes):]
    others = base.reshape(_products_of_others(base.reshape(y, merged), axis), y_shape)
    if perm is not None:
        others = base.transpose(others, np.argsort(perm))
    return reduce_sum(ar.mul(t, others), axes)


defjvp(reduce_prod_p, _reduce_prod_jvp)
defreducer(reduce_prod_p)
identity_tests[reduce_prod_p] = lambda eqn: not eqn.params["axes"]
defkernel(reduce_prod_p, reduce_kernel(np.multiply), fresh=True)
explain_notation[reduce_prod_p] = Reduction("prod")


# --- reduce_max ------------------------------------------------------------------------------

def reduce_max(operand, axes):
    """Maximum over ``axes`` (NaN propagates; an empty reduction gives the lowest value)."""
    return bind_reducer(reduce_max_p, operand, axes)


reduce_max_p = new_reducer("reduce_max", _extremum(np.max, _lowest), ANY)
sparsity_curvature[reduce_max_p] = "linear"  # piecewise linear


def _reduce_chooser_jvp(t, ans, x, *, axes):
    # The tangent at the extremum; tied positions share it evenly (as JAX's).
    shape = get_aval(x).shape
    if any(shape[a] == 0 for a in axes):  # empty: the identity, which does not vary
        return Zero.like(ans)
    dtype = get_aval(t).dtype
    at_ans = lg.eq(x, base.broadcast_in_dim(ans, shape, kept_axes(len(shape), axes)))
    location = base.convert_element_type(at_ans, dtype)
    counts = reduce_sum(location, axes)
    return ar.div(reduce_sum(ar.mul(t, location), axes), counts)


defjvp2(reduce_max_p, _reduce_chooser_jvp)
defreducer(reduce_max_p)
identity_tests[reduce_max_p] = lambda eqn: not eqn.params["axes"]
defkernel(reduce_max_p, reduce_kernel(np.maximum), fresh=True)
explain_notation[reduce_max_p] = Reduction("max")


# --- reduce_min ------------------------------------------------------------------------------

def reduce_min(operand, axes):
    """Minimum over ``axes`` (NaN propagates; an empty reduction gives the highest value)."""
    return bind_reducer(reduce_min_p, operand, axes)


reduce_min_p = new_reducer("reduce_min", _extremum(np.min, _highest), ANY)
sparsity_curvature[reduce_min_p] = "linear"  # piecewise linear
defjvp2(reduce_min_p, _reduce_chooser_jvp)
defreducer(reduce_min_p)
identity_tests[reduce_min_p] = lambda eqn: not eqn.params["axes"]
defkernel(reduce_min_p, reduce_kernel(np.minimum), fresh=True)
explain_notation[reduce_min_p] = Reduction("min")


# --- argmax / argmin -------------------------------------------------------------------------

def _defargreducer(name: str, np_arg: Callable):
    """Index of the extremum along ``axis`` (first occurrence; a NaN wins, as in NumPy)."""

    def abstract_eval(x: ShapedArray, *, axis, index_dtype) -> ShapedArray:
        check_kind(prim, [x], ORDERED)
        _check_axis_param(prim, x, axis)
        if x.shape[axis] == 0:
            raise type_error(prim, [x], f"axis {axis} is empty: it has no {name[3:]}imum")
        if not isinstance(index_dtype, np.dtype) or not is_integer(index_dtype):
            raise type_error(
                prim, [x], f"index_dtype must be an integer dtype, got {index_dtype!r}"
            )
        shape = [d for i, d in enumerate(x.shape) if i != axis]
        return ShapedArray(shape, index_dtype)

    def impl(x, *, axis, index_dtype):
        if x.dtype.kind not in ORDERED or not is_integer(index_dtype):
            raise TypeError(name)
        return np_arg(x, axis=axis).astype(index_dtype, copy=False)

    prim = new_primitive(name, impl, abstract_eval)
    return prim


def argmax(operand, axis: int, index_dtype):
    return argmax_p.bind(
        operand, axis=_canonical_axis(argmax_p, operand, axis), index_dtype=np.dtype(index_dtype)
    )


argmax_p = _defargreducer("argmax", np.argmax)
defjvp_zero(argmax_p)
_batch_single_axis(argmax_p, keeps_axis=False)


def argmin(operand, axis: int, index_dtype):
    return argmin_p.bind(
        operand, axis=_canonical_axis(argmin_p, operand, axis), index_dtype=np.dtype(index_dtype)
    )


argmin_p = _defargreducer("argmin", np.argmin)
defjvp_zero(argmin_p)
_batch_single_axis(argmin_p, keeps_axis=False)


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
    sparsity_rules[prim] = Accumulates()
    return prim


def _bind_cumulative(prim, operand, axis, reverse):
    return prim.bind(operand, axis=_canonical_axis(prim, operand, axis), reverse=bool(reverse))


def cumsum(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cumsum_p, operand, axis, reverse)


cumsum_p = defcumulative("cumsum", np.add, NUMERIC)
# Each input element feeds every sum after it (before it, for a reverse scan).
deflinear(cumsum_p, lambda ct, x, *, axis, reverse: [cumsum(ct, axis, not reverse)])
_batch_single_axis(cumsum_p, keeps_axis=True)


def cumprod(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cumprod_p, operand, axis, reverse)


cumprod_p = defcumulative("cumprod", np.multiply, NUMERIC)


def _cumprod_jvp(t, ans, x, *, axis, reverse):
    # c[i] = c[i-1] x[i], so dc[i] = x[i] dc[i-1] + c[i-1] t[i]: a linear scan (exact with
    # zeros, unlike dividing by x).
    before = _shift(ans, axis, 1, 1, reverse)
    return _linear_scan(x, ar.mul(before, t), axis, reverse)


defjvp2(cumprod_p, _cumprod_jvp)
_batch_single_axis(cumprod_p, keeps_axis=True)


def cummax(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cummax_p, operand, axis, reverse)


cummax_p = defcumulative("cummax", np.maximum, ORDERED)
sparsity_curvature[cummax_p] = "linear"  # piecewise linear


def _cumulative_chooser_jvp(stays: Callable) -> Callable:
    """JVP of cummax/cummin: the tangent of the selected element, i.e. of the first
    element attaining the running extremum (a later tie keeps the earlier element).

    ``stays(x, before)`` holds where the running extremum does not move to ``x[i]``. The
    running extremum before the first element is NaN, which every comparison fails, so the
    first element is always selected."""

    def jvp(t, ans, x, *, axis, reverse):
        dtype = get_aval(t).dtype
        before = _shift(ans, axis, 1, np.nan, reverse)
        stay = stays(x, before)
        keep = base.convert_element_type(stay, dtype)
        fresh = base.convert_element_type(lg.bitwise_not(stay), dtype)
        # h[i] = t[i] where a new extremum is selected, else h[i-1].
        return _linear_scan(keep, ar.mul(fresh, t), axis, reverse)

    return jvp


defjvp2(cummax_p, _cumulative_chooser_jvp(lg.le))
_batch_single_axis(cummax_p, keeps_axis=True)


def cummin(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cummin_p, operand, axis, reverse)


cummin_p = defcumulative("cummin", np.minimum, ORDERED)
sparsity_curvature[cummin_p] = "linear"  # piecewise linear
defjvp2(cummin_p, _cumulative_chooser_jvp(lg.ge))
_batch_single_axis(cummin_p, keeps_axis=True)


def cumlogsumexp(operand, axis: int = 0, reverse: bool = False):
    return _bind_cumulative(cumlogsumexp_p, operand, axis, reverse)


cumlogsumexp_p = defcumulative("cumlogsumexp", np.logaddexp, "f")


def _cumlogsumexp_jvp(t, ans, x, *, axis, reverse):
    # c[i] = logaddexp(c[i-1], x[i]), so dc[i] = exp(c[i-1] - c[i]) dc[i-1]
    # + exp(x[i] - c[i]) t[i]: a linear scan with weights in [0, 1] (no overflow).
    before = _shift(ans, axis, 1, -np.inf, reverse)
    carry = ew.exp(ar.sub(before, ans))
    return _linear_scan(carry, ar.mul(ew.exp(ar.sub(x, ans)), t), axis, reverse)


defjvp2(cumlogsumexp_p, _cumlogsumexp_jvp)
_batch_single_axis(cumlogsumexp_p, keeps_axis=True)
