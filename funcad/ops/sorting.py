"""Sorting primitives: ``sort`` (several operands sorted together by the first ``num_keys``),
``top_k`` and ``searchsorted``, and ``take_along_axis``, the gather their derivatives use.

Orders follow XLA's (and so JAX's): stable, NaNs after every number, ``-0.0`` equal to
``0.0``; ``top_k`` lists the largest first, equal values by increasing index. Derivatives
flow through the permutation: ``sort`` sorts an iota along with its operands and gathers the
tangents with it, ``top_k`` gathers them at its indices, so tied elements each keep their
own tangent (as JAX's). ``searchsorted`` has integer results and a zero derivative.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.dtypes import is_integer
from funcad.core.rules import batch_rules, jvp_rules
from funcad.core.symbolic import Zero, not_mapped
from funcad.core.trace import get_aval
from funcad.ops import _base as base
from funcad.ops import logical as lg
from funcad.ops import structural as st
from funcad.ops._base import bdim_at, defjvp_zero, moveaxis
from funcad.ops._kernels import defkernel
from funcad.ops._shapes import ANY, axis_size_of, check_kind, new_primitive, type_error
from funcad.ops.gather_scatter import GatherDimensionNumbers
from funcad.ops.gather_scatter import gather as general_gather

ORDERED = "biufc"


def take_along_axis(x, indices, axis: int, *, unique_indices: bool = False):
    """``out[..., i, ...] = x[..., indices[..., i, ...], ...]`` along ``axis`` (``indices``
    of ``x``'s rank and shape except along ``axis``; in range): a general gather whose
    other axes are batching axes, so its transpose is a scatter-add (an assignment when
    the caller promises ``unique_indices``, as for a permutation)."""
    ndim = get_aval(indices).ndim
    others = tuple(a for a in range(ndim) if a != axis)
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(axis,),
                                start_index_map=(axis,), operand_batching_dims=others,
                                start_indices_batching_dims=others)
    column = base.reshape(indices, get_aval(indices).shape + (1,))
    return general_gather(x, column, dn, (1,) * ndim, mode="promise_in_bounds",
                          unique_indices=unique_indices)


# --- sort -----------------------------------------------------------------------------------

def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """``jax.lax.sort``: one array, or a sequence of arrays of one shape sorted together by
    the first ``num_keys`` (lexicographically)."""
    single = not isinstance(operand, (list, tuple))
    operands = [operand] if single else list(operand)
    if not operands:
        return operand
    ndim = get_aval(operands[0]).ndim
    dimension = int(dimension)
    if -ndim <= dimension < 0:
        dimension += ndim
    outs = sort_p.bind(*operands, dimension=dimension, is_stable=bool(is_stable),
                       num_keys=int(num_keys))
    return outs[0] if single else tuple(outs)


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    """``values`` ordered as ``keys`` sort."""
    return sort((keys, values), dimension, is_stable, 1)


def _sort_shape(*avals, dimension, is_stable, num_keys):
    check_kind(sort_p, avals, ORDERED)
    if len({a.shape for a in avals}) != 1:
        raise type_error(sort_p, avals, "operands must have one shape")
    ndim = avals[0].ndim
    if type(dimension) is not int or not 0 <= dimension < max(ndim, 1) or ndim == 0:
        raise type_error(sort_p, avals, f"dimension {dimension} is not an axis of the operands")
    if not 1 <= num_keys <= len(avals):
        raise type_error(sort_p, avals, f"num_keys must be in [1, {len(avals)}]")
    return list(avals)


def sort_permutation(keys, axis: int) -> np.ndarray:
    """The stable order of the operands' elements along ``axis`` (NumPy)."""
    if len(keys) == 1:
        return np.argsort(keys[0], axis=axis, kind="stable")
    return np.lexsort(keys[::-1], axis=axis)


def _sort_impl(*xs, dimension, is_stable, num_keys):
    _sort_shape(*[get_aval(x) for x in xs], dimension=dimension, is_stable=is_stable,
                num_keys=num_keys)
    if len(xs) == 1:
        x = xs[0]
        # Values alone: any algorithm gives them (NumPy's fastest), except that equal
        # values must keep their order where -0.0 and 0.0 meet (their sign shows).
        signed_zeros = x.dtype.kind in "fc" and bool(np.any(x == 0))
        return [np.sort(x, axis=dimension, kind="stable" if signed_zeros else None)]
    perm = sort_permutation(xs[:num_keys], dimension)
    return [np.take_along_axis(x, perm, dimension) for x in xs]


sort_p = new_primitive("sort", _sort_impl, _sort_shape, multiple_results=True)


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    shape = get_aval(primals[0]).shape
    iota = st.broadcasted_iota(np.int64, shape, dimension)
    *outs, perm = sort_p.bind(*primals, iota, dimension=dimension, is_stable=is_stable,
                              num_keys=num_keys)
    out_t = [Zero(get_aval(o)) if type(t) is Zero
             else take_along_axis(t, perm, dimension, unique_indices=True)
             for o, t in zip(outs, tangents)]
    return outs, out_t


def _sort_batch(vals, dims, *, dimension, is_stable, num_keys):
    size = axis_size_of(vals, dims)
    args = [bdim_at(v, d, 0, size) for v, d in zip(vals, dims)]
    outs = sort_p.bind(*args, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)


jvp_rules[sort_p] = _sort_jvp
batch_rules[sort_p] = _sort_batch
defkernel(sort_p, fresh=True)


# --- top_k ----------------------------------------------------------------------------------

def top_k(operand, k: int, *, axis: int = -1):
    """The ``k`` largest entries along ``axis`` (the last by default), largest first (equal
    values by increasing index), and their indices (int32), as ``jax.lax.top_k``."""
    ndim, axis = get_aval(operand).ndim, int(axis)
    if ndim and not -ndim <= axis < ndim:
        raise type_error(top_k_p, [get_aval(operand)], f"axis={axis} is out of range")
    axis = axis % ndim if ndim else -1
    if axis in (-1, ndim - 1):
        return top_k_p.bind(operand, k=int(k))
    values, indices = top_k_p.bind(moveaxis(operand, axis, ndim - 1), k=int(k))
    return moveaxis(values, ndim - 1, axis), moveaxis(indices, ndim - 1, axis)


def _top_k_shape(x, *, k):
    check_kind(top_k_p, [x], "biuf")
    if x.ndim == 0 or not 0 <= k <= x.shape[-1]:
        raise type_error(top_k_p, [x], f"k={k} must be in [0, {x.shape[-1] if x.ndim else 0}]"
                         " (the size of the last axis)")
    shape = x.shape[:-1] + (k,)
    return [ShapedArray(shape, x.dtype, x.weak_type), ShapedArray(shape, np.dtype(np.int32))]


def _descending(x: np.ndarray) -> np.ndarray:
    """Stable descending order along the last axis (NaNs first, ties by index)."""
    n = x.shape[-1]
    return (n - 1 - np.argsort(x[..., ::-1], axis=-1, kind="stable"))[..., ::-1]


def _top_k_row(x: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest of a 1-D ``x`` without a full sort: partition for the
    k-th largest value, then order the few candidates (ties keep the lowest indices)."""
    n = len(x)
    v = np.partition(x, n - k)[n - k]
    above = np.flatnonzero(x > v)
    ties = np.flatnonzero(x == v)[:k - len(above)]
    chosen = np.sort(np.concatenate([above, ties]))
    return chosen[_descending(x[chosen])]


def _top_k_impl(x, *, k):
    _top_k_shape(get_aval(x), k=k)
    n = x.shape[-1]
    if x.ndim == 1 and 0 < k < n // 8 and x.dtype.kind in "iuf" and not (
            x.dtype.kind == "f" and np.isnan(x).any()):
        idx = _top_k_row(x, k)
    else:
        idx = _descending(x)[..., :k]
    return [np.take_along_axis(x, idx, -1), idx.astype(np.int32)]


top_k_p = new_primitive("top_k", _top_k_impl, _top_k_shape, multiple_results=True)


def _top_k_jvp(primals, tangents, *, k):
    (x,), (t,) = primals, tangents
    values, idx = top_k_p.bind(x, k=k)
    if type(t) is Zero:
        return [values, idx], [Zero(get_aval(values)), Zero(get_aval(idx))]
    ndim = get_aval(x).ndim
    return [values, idx], [take_along_axis(t, idx, ndim - 1, unique_indices=True),
                           Zero(get_aval(idx))]


def _top_k_batch(vals, dims, *, k):
    (x,), (d,) = vals, dims
    if d == get_aval(x).ndim - 1:
        x, d = moveaxis(x, d, 0), 0
    return top_k_p.bind(x, k=k), [d, d]


jvp_rules[top_k_p] = _top_k_jvp
batch_rules[top_k_p] = _top_k_batch
defkernel(top_k_p, fresh=True)


# --- searchsorted ---------------------------------------------------------------------------

def searchsorted(sorted_arr, query, *, side: str = "left", dtype=np.int64):
    """Insertion points of ``query`` in the 1-D ascending ``sorted_arr`` (NumPy's)."""
    return searchsorted_p.bind(sorted_arr, query, side=side, dtype=np.dtype(dtype))


def _searchsorted_shape(a, v, *, side, dtype):
    check_kind(searchsorted_p, [a, v], ANY)
    if a.ndim != 1 or a.dtype != v.dtype:
        raise type_error(searchsorted_p, [a, v],
                         "expects a 1-D sorted array and queries of its dtype")
    if side not in ("left", "right") or not is_integer(dtype):
        raise type_error(searchsorted_p, [a, v], "side must be 'left' or 'right', dtype an "
                         "integer dtype")
    return ShapedArray(v.shape, dtype)


def _searchsorted_impl(a, v, *, side, dtype):
    _searchsorted_shape(get_aval(a), get_aval(v), side=side, dtype=dtype)
    return np.asarray(np.searchsorted(a, v, side=side), dtype)


searchsorted_p = new_primitive("searchsorted", _searchsorted_impl, _searchsorted_shape)


def _searchsorted_batch(vals, dims, *, side, dtype):
    (a, v), (ad, vd) = vals, dims
    if ad is not_mapped:  # only the queries are batched: they may have any shape
        return searchsorted_p.bind(a, v, side=side, dtype=dtype), vd
    # A batch of sorted arrays: count, per query, the elements before it.
    size = axis_size_of(vals, dims)
    a = moveaxis(a, ad, 0)  # (B, n)
    v = bdim_at(v, vd, 0, size)  # (B, *q)
    q_nd = get_aval(v).ndim - 1
    n = get_aval(a).shape[1]
    shape = get_aval(v).shape + (n,)
    a_b = base.broadcast_in_dim(a, shape, (0, q_nd + 1))
    v_b = base.broadcast_in_dim(v, shape, tuple(range(q_nd + 1)))
    before = lg.lt(a_b, v_b) if side == "left" else lg.le(a_b, v_b)
    count = base.reduce_sum(base.convert_element_type(before, dtype), (q_nd + 1,))
    return count, 0


defjvp_zero(searchsorted_p)
batch_rules[searchsorted_p] = _searchsorted_batch

__all__ = ["searchsorted", "searchsorted_p", "sort", "sort_key_val", "sort_p",
           "sort_permutation", "take_along_axis", "top_k", "top_k_p"]
