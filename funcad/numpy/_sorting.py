"""NumPy's sorting family: ``sort argsort lexsort partition argpartition searchsorted`` and
the order statistics ``median percentile quantile`` with their NaN-ignoring forms.

All sort with ``funcad.ops.sorting.sort`` (stable; NaNs last), so derivatives flow through
the permutation as JAX's do: tied elements keep their own tangents. The order statistics
interpolate between the sorted neighbours of ``q * (n - 1)`` (NumPy's ``linear``,
``lower``, ``higher``, ``nearest`` and ``midpoint`` methods), which is differentiable in
the data and, for ``linear``, in ``q``. ``partition`` returns the fully sorted array: a
valid partition for every ``kth`` (NumPy leaves the order within each side unspecified).
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import get_aval
from funcad.errors import (
    FuncadNotImplementedError,
    FuncadTypeError,
    FuncadValueError,
    with_user_line,
)
from funcad.numpy._core import (
    array_operand,
    cast,
    normalize_axes,
    normalize_axis,
    operand,
    result_type,
)
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import logical as lg
from funcad.ops import reductions as red
from funcad.ops import slicing as sl
from funcad.ops import sorting as so
from funcad.ops import structural as st

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _along(a, axis, fname: str):
    """The operand, flattened when ``axis`` is None, and the normalized axis."""
    x = array_operand(a, fname)
    if axis is None:
        return base.reshape(x, (get_aval(x).size,)), 0
    ndim = get_aval(x).ndim
    if ndim == 0:
        raise FuncadValueError(with_user_line(f"{fname}: a 0-d array has no axis to sort"))
    return x, normalize_axis(axis, ndim, fname)


def _no_order(fname: str, order) -> None:
    if order is not None:
        raise FuncadNotImplementedError(f"funcad.numpy.{fname} with order= (structured arrays)")


def sort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    """Sorted copy along ``axis`` (flattened when None); ``descending`` reverses the
    ascending sort (as JAX's: tied elements' tangents come in reverse order)."""
    _no_order("sort", order)
    x, axis = _along(a, axis, "sort")
    if descending:
        return st.rev(so.sort(x, axis), (axis,))
    return so.sort(x, axis)


def argsort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    """Indices that sort ``a`` along ``axis`` (stable; ties in original order)."""
    _no_order("argsort", order)
    x, axis = _along(a, axis, "argsort")
    iota = st.broadcasted_iota(np.intp, get_aval(x).shape, axis)
    if descending:
        _, idx = so.sort((st.rev(x, (axis,)), st.rev(iota, (axis,))), axis)
        return st.rev(idx, (axis,))
    return so.sort((x, iota), axis)[1]


def lexsort(keys, axis=-1):
    """Indices sorting by the LAST key first, then the one before it, ... (NumPy's)."""
    if isinstance(keys, (list, tuple)):
        ks = [array_operand(k, "lexsort") for k in keys]
    else:
        arr = array_operand(keys, "lexsort")
        ks = _unstack(arr)
    if not ks:
        raise FuncadTypeError(with_user_line("lexsort: needs at least one key"))
    shapes = {get_aval(k).shape for k in ks}
    if len(shapes) != 1:
        raise FuncadValueError(with_user_line(f"lexsort: keys must have one shape, got {shapes}"))
    shape = shapes.pop()
    if not shape:
        raise FuncadValueError(with_user_line("lexsort: keys must have at least one axis"))
    axis = normalize_axis(axis, len(shape), "lexsort")
    iota = st.broadcasted_iota(np.intp, shape, axis)
    return so.sort((*ks[::-1], iota), axis, num_keys=len(ks))[-1]


def _unstack(arr) -> list:
    aval = get_aval(arr)
    out = []
    for i in range(aval.shape[0] if aval.ndim else 0):
        start = [i] + [0] * (aval.ndim - 1)
        limit = [i + 1, *aval.shape[1:]]
        out.append(base.reshape(sl.slice(arr, start, limit), aval.shape[1:]))
    return out


def _check_kth(kth, n: int, fname: str) -> None:
    for k in np.atleast_1d(np.asarray(kth)).ravel():
        if not -n <= int(k) < n:
            raise FuncadValueError(with_user_line(
                f"{fname}: kth {int(k)} is out of bounds for an axis of size {n}"))


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """A copy with the element that would be at ``kth`` in sorted order there, smaller
    ones before and larger after (funcad returns the fully sorted array)."""
    _no_order("partition", order)
    x, axis = _along(a, axis, "partition")
    _check_kth(kth, get_aval(x).shape[axis], "partition")
    return so.sort(x, axis)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """Indices that partition ``a`` at ``kth`` (those that sort it)."""
    _no_order("argpartition", order)
    x, axis = _along(a, axis, "argpartition")
    _check_kth(kth, get_aval(x).shape[axis], "argpartition")
    return argsort(x, axis)


_SEARCH_METHODS = ("scan", "scan_unrolled", "sort", "compare_all")


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Indices where the elements of ``v`` would be inserted in the 1-D ascending ``a``.
    ``method`` is JAX's choice of algorithm; the indices do not depend on it."""
    if side not in ("left", "right"):
        raise FuncadValueError(with_user_line(
            f"searchsorted: side must be 'left' or 'right', got {side!r}"))
    if method not in _SEARCH_METHODS:
        raise FuncadValueError(with_user_line(
            f"searchsorted: method must be one of {', '.join(map(repr, _SEARCH_METHODS))}, "
            f"got {method!r}"))
    arr = array_operand(a, "searchsorted")
    if get_aval(arr).ndim != 1:
        raise FuncadValueError(with_user_line(
            f"searchsorted: a must be 1-D, got {get_aval(arr).str_short()}"))
    if sorter is not None:
        arr = so.take_along_axis(arr, array_operand(sorter, "searchsorted"), 0)
    query = operand(v, "searchsorted")
    dt = result_type(arr, query)
    return so.searchsorted(cast(arr, dt), array_operand(cast(query, dt), "searchsorted"),
                           side=side, dtype=np.intp)


# --- order statistics ------------------------------------------------------------------------

def _rows(x, axis, fname: str):
    """``x`` with the reduced axes merged into one last axis, the kept shape, and the
    reduced axes."""
    aval = get_aval(x)
    axes = tuple(range(aval.ndim)) if axis is None else normalize_axes(axis, aval.ndim, fname)
    kept = tuple(a for a in range(aval.ndim) if a not in axes)
    if kept + axes != tuple(range(aval.ndim)):
        x = base.transpose(x, kept + axes)
    kept_shape = tuple(aval.shape[a] for a in kept)
    n = int(np.prod([aval.shape[a] for a in axes], dtype=np.int64))
    return base.reshape(x, kept_shape + (n,)), kept_shape, axes


def _quantile(a, q, axis, method, keepdims, ignore_nan, fname, scale=1):
    if method not in _METHODS:
        raise FuncadNotImplementedError(f"funcad.numpy.{fname} with method={method!r}")
    x = array_operand(a, fname)
    qa = operand(q, fname)
    dt = result_type(x, qa, 1.0)
    if dtypes.is_complex(dt):
        raise FuncadTypeError(with_user_line(f"{fname}: complex input is not supported"))
    x, qa = cast(x, dt), array_operand(cast(qa, dt), fname)
    if scale != 1:  # percentiles
        qa = ar.div(qa, _full(get_aval(qa).shape, scale, dt))
    q_shape = get_aval(qa).shape
    rows, kept_shape, axes = _rows(x, axis, fname)
    n = get_aval(rows).shape[-1]
    if n == 0:
        raise FuncadValueError(with_user_line(f"{fname}: cannot take a quantile of nothing"))
    nk = len(kept_shape)
    srt = so.sort(rows, nk)
    qf = base.reshape(qa, (int(np.prod(q_shape, dtype=np.int64)),))
    m = get_aval(qf).shape[0]
    out_shape = kept_shape + (m,)
    q_b = base.broadcast_in_dim(qf, out_shape, (nk,))
    nan = lg.ne(rows, rows)
    if ignore_nan:
        count = base.reduce_sum(base.convert_element_type(lg.bitwise_not(nan), dt), (nk,))
        last = ar.sub(count, _full(get_aval(count).shape, 1, dt))
        last = base.broadcast_in_dim(last, out_shape, tuple(range(nk)))
    else:
        last = base.broadcast_in_dim(np.asarray(n - 1, dt), out_shape, ())
    pos = ar.mul(q_b, last)
    lo = _clamp_index(ar.floor(pos), n)
    hi = _clamp_index(ar.ceil(pos), n)
    v_lo = so.take_along_axis(srt, lo, nk)
    v_hi = so.take_along_axis(srt, hi, nk)
    if method == "lower":
        res = v_lo
    elif method == "higher":
        res = v_hi
    elif method == "midpoint":
        res = ar.mul(ar.add(v_lo, v_hi), _full(out_shape, 0.5, dt))
    elif method == "nearest":
        near = _clamp_index(ar.round(pos, ar.ROUND_TO_NEAREST_EVEN), n)
        res = so.take_along_axis(srt, near, nk)
    else:
        frac = ar.sub(pos, ar.floor(pos))
        one = _full(out_shape, 1, dt)
        res = ar.add(ar.mul(v_lo, ar.sub(one, frac)), ar.mul(v_hi, frac))
    if not ignore_nan and dtypes.is_inexact(dt):
        any_nan = red.reduce_max(nan, (nk,))
        mask = base.broadcast_in_dim(any_nan, out_shape, tuple(range(nk)))
        res = base.select_n(mask, res, _full(out_shape, np.nan, dt))
    # (*kept, m) -> (*q_shape, *kept)
    res = base.transpose(res, (nk, *range(nk)))
    if keepdims:
        full = list(get_aval(x).shape)
        for a_ in axes:
            full[a_] = 1
        kept_shape = tuple(full)
    return base.reshape(res, q_shape + kept_shape)


def _full(shape, value, dt):
    return base.broadcast_in_dim(np.asarray(value, dt), shape, ())


def _clamp_index(pos, n: int):
    """A float position as an in-range index."""
    idx = base.convert_element_type(pos, np.intp)
    aval = get_aval(idx)
    zero = base.broadcast_in_dim(np.zeros((), np.intp), aval.shape, ())
    top = base.broadcast_in_dim(np.asarray(n - 1, np.intp), aval.shape, ())
    return ar.min(ar.max(idx, zero), top)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, interpolation=None):
    """The ``q``-th quantiles (``q`` in [0, 1]) over ``axis``; NaN if a slice holds one."""
    _no_out("quantile", out)
    return _quantile(a, q, axis, interpolation or method, keepdims, False, "quantile")


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, interpolation=None):
    """The ``q``-th percentiles (``q`` in [0, 100]) over ``axis``."""
    _no_out("percentile", out)
    return _quantile(a, q, axis, interpolation or method, keepdims, False, "percentile", 100)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median over ``axis`` (the mean of the two middle values for even counts)."""
    _no_out("median", out)
    return _quantile(a, 0.5, axis, "linear", keepdims, False, "median")


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, interpolation=None):
    """``quantile`` ignoring NaNs (NaN only where a slice is all NaN)."""
    _no_out("nanquantile", out)
    return _quantile(a, q, axis, interpolation or method, keepdims, True, "nanquantile")


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, interpolation=None):
    """``percentile`` ignoring NaNs."""
    _no_out("nanpercentile", out)
    return _quantile(a, q, axis, interpolation or method, keepdims, True, "nanpercentile",
                     100)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``median`` ignoring NaNs."""
    _no_out("nanmedian", out)
    return _quantile(a, 0.5, axis, "linear", keepdims, True, "nanmedian")


def _no_out(fname: str, out) -> None:
    if out is not None:
        raise FuncadNotImplementedError(f"funcad.numpy.{fname} with out= (arrays are immutable)")


__all__ = [
    "argpartition", "argsort", "lexsort", "median", "nanmedian", "nanpercentile",
    "nanquantile", "partition", "percentile", "quantile", "searchsorted", "sort",
]
