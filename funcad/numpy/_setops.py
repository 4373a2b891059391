"""Functions whose output shape depends on the values: ``unique nonzero argwhere
flatnonzero`` and one-argument ``where``. As in JAX, a static ``size=`` (with
``fill_value=``) makes them work under every transform; without it they need concrete
values (eagerly, or values a transform knows).

With ``size`` the positions are found with primitives (a running count for ``nonzero``,
pairwise comparisons for ``unique``, O(n^2) in the flattened size; a lexicographic sort of
the slices for ``unique(axis=...)``) and the values are scattered there, so ``unique``'s
values differentiate like the elements they came from.
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.errors import ConcretizationError, FuncadValueError, with_user_line
from funcad.numpy import _creation as cr
from funcad.numpy import _reductions as rd
from funcad.numpy import _shape as sh
from funcad.numpy import _ufuncs as uf
from funcad.numpy._at import at_update
from funcad.numpy._core import aval, cast, normalize_axis, operand
from funcad.numpy._index_plan import concrete_index
from funcad.numpy._indexing import getitem
from funcad.numpy._sorting import lexsort


def _array(a, name):
    x = operand(a, name)
    return np.asarray(x) if dtypes.is_python_scalar(x) else x


def _concrete_or_raise(x, name: str):
    value = concrete_index(x)
    if value is None:
        raise ConcretizationError(
            f"{name} without size=", x,
            f"The result's shape depends on the values: pass size= (and fill_value=) to "
            f"funcad.numpy.{name} to use it under a transform.")
    return np.asarray(value)


# --- nonzero and friends ------------------------------------------------------------------

def _flat_positions(mask, size: int, fill):
    """The first ``size`` flat positions where ``mask`` (1-D) holds, then ``fill``."""
    n = aval(mask).shape[0]
    rank = rd.cumsum(cast(mask, np.intp)) - 1
    target = uf.where(mask, rank, size)
    pos = at_update(cr.zeros((size,), np.intp), target, np.arange(n), "set", "drop")
    count = rd.sum(mask, dtype=np.intp)
    return uf.where(np.arange(size) < count, pos, fill), count


def nonzero(a, *, size=None, fill_value=None):
    """The indices of the non-zero elements, one array per dimension."""
    a = _array(a, "nonzero")
    if aval(a).ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use "
                         "funcad.numpy.atleast_1d(a).nonzero() instead.")
    shape = aval(a).shape
    if size is None:
        return np.nonzero(_concrete_or_raise(a, "nonzero"))
    size = int(size)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (
        [0 if fill_value is None else fill_value] * len(shape))
    mask = sh.ravel(uf.not_equal(a, 0))
    flat, count = _flat_positions(mask, size, -1)
    strides = np.cumprod((1,) + shape[::-1])[:-1][::-1]
    valid = np.arange(size) < count
    return tuple(uf.where(valid, (flat // int(st)) % int(n), f)
                 for st, n, f in zip(strides, shape, fills))


def flatnonzero(a, *, size=None, fill_value=None):
    """The flat indices of the non-zero elements."""
    return nonzero(sh.ravel(_array(a, "flatnonzero")), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    """The indices of the non-zero elements, one row per element."""
    a = _array(a, "argwhere")
    if aval(a).ndim == 0:
        a = sh.reshape(a, (1,))
        cols = nonzero(a, size=size, fill_value=fill_value)
        return sh.reshape(cols[0], (aval(cols[0]).shape[0], 0)) if size is None else \
            sh.stack(cols, axis=-1)[:, :0]
    return sh.stack(list(nonzero(a, size=size, fill_value=fill_value)), axis=-1)


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """``x`` where ``condition`` holds, else ``y``; with one argument, ``nonzero``."""
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    return uf.where(condition, x, y)


# --- unique -------------------------------------------------------------------------------

def unique(ar, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis=None, *, equal_nan: bool = True, size=None,
           fill_value=None, sorted: bool = True):  # noqa: A002 - NumPy name
    """The sorted unique elements (NaNs last, merged when ``equal_nan``), with NumPy's
    optional first indices, inverse and counts. ``size`` pads (with ``fill_value``,
    default the smallest value; indices with the smallest value's, counts with 0) or
    truncates the outputs, as JAX."""
    a = _array(ar, "unique")
    flags = (return_index, return_inverse, return_counts)
    value = concrete_index(a)
    if value is None and aval(a).size == 0:
        value = np.zeros(aval(a).shape, aval(a).dtype)  # nothing in it to be traced
    if axis is not None:
        axis = normalize_axis(axis, aval(a).ndim, "unique")
    if value is not None:
        out = _unique_concrete(a, np.asarray(value), flags, axis, equal_nan)
    elif size is None:
        _concrete_or_raise(a, "unique")
    elif axis is not None:
        out = _unique_traced_axis(a, axis)
    else:
        out = _unique_traced(a, equal_nan)
    if size is not None:
        out = _fit_size(out, int(size), fill_value, axis)
    picked = [out[0]] + [o for o, f in zip(out[1:], flags) if f]
    return picked[0] if len(picked) == 1 else tuple(picked)


def _unique_concrete(a, value, flags, axis, equal_nan):
    """NumPy finds the layout; the values are gathered from ``a`` (so they are traced
    values, with derivatives, when ``a`` is)."""
    _, index, inverse, counts = np.unique(value, True, True, True, axis=axis,
                                          equal_nan=equal_nan)
    if axis is None:
        values = getitem(sh.ravel(a), index)
        inverse = inverse.reshape(value.shape) if inverse.size == value.size else inverse
    else:
        values = getitem(a, (slice(None),) * (axis % value.ndim) + (index,))
    count = len(index)
    return [values, index, inverse, counts, count]


def _unique_traced(a, equal_nan):
    flat = sh.ravel(a)
    n = aval(flat).shape[0]
    xi, xj = flat[:, None], flat[None, :]
    if dtypes.is_inexact(aval(flat).dtype):
        nan_i, nan_j = uf.isnan(xi), uf.isnan(xj)
        same = uf.equal(xi, xj)
        if equal_nan:
            same = uf.logical_or(same, uf.logical_and(nan_i, nan_j))
        below = uf.logical_or(uf.less(xj, xi), uf.logical_and(uf.logical_not(nan_j), nan_i))
    else:
        same, below = uf.equal(xi, xj), uf.less(xj, xi)
    earlier = np.tri(n, n, -1, dtype=bool)  # [i, j]: j < i
    first = uf.logical_not(rd.any(uf.logical_and(same, earlier), axis=1))
    if not equal_nan and dtypes.is_inexact(aval(flat).dtype):
        # Every NaN is its own value; among them the earlier ones sort first.
        below = uf.logical_or(below, uf.logical_and(uf.logical_and(nan_i, nan_j), earlier))
    rank = rd.sum(uf.logical_and(below, first[None, :]), axis=1, dtype=np.intp)
    counts_each = rd.sum(same, axis=1, dtype=np.intp)
    target = uf.where(first, rank, n)
    values = at_update(cr.zeros((n,), aval(flat).dtype), target, flat, "set", "drop")
    index = at_update(cr.zeros((n,), np.intp), target, np.arange(n), "set", "drop")
    counts = at_update(cr.zeros((n,), np.intp), target, counts_each, "set", "drop")
    inverse = sh.reshape(rank, aval(a).shape)
    return [values, index, inverse, counts, rd.sum(first, dtype=np.intp)]


def _unique_traced_axis(a, axis: int):
    """Unique slices along ``axis``: the slices sorted lexicographically (a stable sort
    with NaNs last, as NumPy's), a new group wherever a slice differs from the one before
    (NaN differs from everything: NumPy never merges NaN slices along an axis)."""
    moved = sh.moveaxis(a, axis, 0)
    n, rest = aval(moved).shape[0], aval(moved).shape[1:]
    rows = sh.reshape(moved, (n, int(np.prod(rest, dtype=np.int64))))
    columns = [getitem(rows, (slice(None), j)) for j in range(aval(rows).shape[1])]
    perm = lexsort(columns[::-1])  # lexsort's last key is the primary one
    srt = getitem(rows, perm)
    changed = rd.any(uf.not_equal(getitem(srt, slice(1, None)), getitem(srt, slice(None, -1))),
                     axis=1)
    first = sh.concatenate([np.ones((1,), bool), changed], 0)
    group = rd.cumsum(cast(first, np.intp)) - 1
    target = uf.where(first, group, n)
    values = at_update(cr.zeros(aval(rows).shape, aval(rows).dtype), target, srt, "set", "drop")
    values = sh.moveaxis(sh.reshape(values, (n, *rest)), 0, axis)
    index = at_update(cr.zeros((n,), np.intp), target, perm, "set", "drop")
    inverse = at_update(cr.zeros((n,), np.intp), perm, group, "set")
    counts = at_update(cr.zeros((n,), np.intp), group, cr.ones((n,), np.intp), "add")
    return [values, index, inverse, counts, rd.sum(first, dtype=np.intp)]


def _fit_size(out, size: int, fill_value, axis):
    """Pads (or truncates) the outputs to ``size`` along the unique axis, as JAX: values
    with the smallest one (or ``fill_value``), indices with its index, counts with 0."""
    values, index, inverse, counts, count = out
    axis = 0 if axis is None else axis
    values = sh.moveaxis(values, axis, 0)
    n = aval(values).shape[0]
    if n == 0 and fill_value is None:
        raise FuncadValueError(with_user_line(
            "unique: for zero-sized input with nonzero size argument, fill_value must be "
            "specified"))
    keep = np.arange(size) < count

    def fit(x, fill):
        if n >= size:
            x = getitem(x, slice(0, size))
        else:
            x = sh.concatenate(
                [x, cr.zeros((size - n,) + aval(x).shape[1:], aval(x).dtype)], 0)
        shape = (size,) + (1,) * (aval(x).ndim - 1)
        return uf.where(np.reshape(keep, shape) if isinstance(keep, np.ndarray)
                        else sh.reshape(keep, shape), x, fill)

    fill = getitem(values, 0) if fill_value is None else cast(fill_value, aval(values).dtype)
    values = sh.moveaxis(fit(values, fill), 0, axis)
    first = getitem(index, 0) if n else 0
    return [values, fit(index, first), inverse, fit(counts, 0), count]


__all__ = ["argwhere", "flatnonzero", "nonzero", "unique", "where"]
