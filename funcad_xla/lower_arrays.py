"""Lowerings of funcad's structural, indexing, reduction and linear-algebra primitives to
``jax.lax``, with the semantics of the primitives' NumPy implementations (clamped indices,
identities of empty reductions, NaN factors of non-positive-definite Cholesky, ...); one row
per primitive in ``funcad_xla.rules``."""
from __future__ import annotations

import math

import numpy as np
from jax import lax
from jax.lax import linalg as lax_linalg

from funcad.core.dtypes import is_bool, is_complex
from funcad.ops import _base as base
from funcad.ops import dynamic_slicing as dsl
from funcad.ops import linalg as la
from funcad.ops import reductions as red
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad_xla.rules import options, register_lowerings

# --- structural ------------------------------------------------------------------------------

def _broadcast_in_dim(x, *, shape, broadcast_dimensions):
    return lax.broadcast_in_dim(x, shape, broadcast_dimensions)


def _reshape(x, *, new_sizes):
    return lax.reshape(x, new_sizes)


def _transpose(x, *, permutation):
    return lax.transpose(x, permutation)


def _squeeze(x, *, dimensions):
    return lax.squeeze(x, dimensions)


def _expand_dims(x, *, dimensions):
    return lax.expand_dims(x, dimensions)


def _iota(*, dtype, shape, dimension):
    return lax.broadcasted_iota(dtype, shape, dimension)


def _rev(x, *, dimensions):
    return lax.rev(x, dimensions)


def _pad(x, padding_value, *, padding_config):
    return lax.pad(x, padding_value, padding_config)


def _concatenate(*xs, dimension):
    return lax.concatenate(xs, dimension)


def _slice(x, *, start_indices, limit_indices, strides):
    return lax.slice(x, start_indices, limit_indices, strides)


def _clamped(starts, shape, sizes) -> list:
    """Start indices clamped so that the window fits, as the primitives define them (jax's
    wrappers would first count negative indices from the end), in one dtype (XLA wants
    one; the primitives take any mix of integer dtypes)."""
    dtypes = {np.dtype(s.dtype) for s in starts}
    if len(dtypes) > 1:
        starts = [lax.convert_element_type(s, np.int64) for s in starts]
    return [lax.clamp(np.array(0, s.dtype), s, np.array(n - k, s.dtype))
            for s, n, k in zip(starts, shape, sizes)]


def _dynamic_slice(x, *starts, slice_sizes):
    return lax.dynamic_slice(x, _clamped(starts, x.shape, slice_sizes), slice_sizes)


def _dynamic_update_slice(x, update, *starts):
    return lax.dynamic_update_slice(x, update, _clamped(starts, x.shape, update.shape))


# --- reductions ------------------------------------------------------------------------------

def _reduce_sum(x, *, axes):
    return lax.reduce_sum(x, axes)


def _reduce_prod(x, *, axes):
    return lax.reduce_prod(x, axes)


def _first_nan_of_complex(x, r, axes):
    """NumPy's complex max/min (unlike XLA's) is the first NaN along ``axes`` if there is
    one (a NaN in either part): pick it out of the reduced axes laid out last."""
    axes = tuple(sorted(axes))
    n = math.prod(x.shape[a] for a in axes)
    if not is_complex(x.dtype) or n == 0:
        return r
    keep = [d for d in range(x.ndim) if d not in axes]
    flat = lax.reshape(lax.transpose(x, (*keep, *axes)), (*r.shape, n))
    last = flat.ndim - 1
    nan = lax.ne(flat, flat)
    first = lax.argmax(nan, last, np.int32)
    pick = lax.eq(lax.broadcasted_iota(np.int32, flat.shape, last),
                  lax.broadcast_in_dim(first, flat.shape, tuple(range(last))))
    value = lax.reduce_sum(lax.select(pick, flat, lax.full_like(flat, 0)), (last,))
    return lax.select(lax.reduce_or(nan, (last,)), value, r)


def _reduce_max(x, *, axes):
    if is_bool(x.dtype):
        return lax.reduce_or(x, axes)
    return _first_nan_of_complex(x, lax.reduce_max(x, axes), axes)


def _reduce_min(x, *, axes):
    if is_bool(x.dtype):
        return lax.reduce_and(x, axes)
    return _first_nan_of_complex(x, lax.reduce_min(x, axes), axes)


def _argmax(x, *, axis, index_dtype):
    return lax.argmax(x, axis, index_dtype)  # first occurrence; a NaN wins, as in NumPy


def _argmin(x, *, axis, index_dtype):
    return lax.argmin(x, axis, index_dtype)


def _cumulative(scan):
    def lower(x, *, axis, reverse):
        if is_bool(x.dtype):  # XLA scans no booleans: scan 0/1 bytes
            out = scan(lax.convert_element_type(x, np.uint8), axis=axis, reverse=reverse)
            return lax.convert_element_type(out, np.bool_)
        return scan(x, axis=axis, reverse=reverse)

    return lower


# --- linear algebra --------------------------------------------------------------------------

def _dot_general(x, y, *, dimension_numbers, preferred_element_type):
    return lax.dot_general(x, y, dimension_numbers, precision=options.precision,
                           preferred_element_type=preferred_element_type)


def _cholesky(x):
    return lax_linalg.cholesky(x, symmetrize_input=False)  # reads the lower triangle only


def _triangular_solve(a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    return lax_linalg.triangular_solve(
        a, b, left_side=left_side, lower=lower, transpose_a=transpose_a,
        conjugate_a=conjugate_a, unit_diagonal=unit_diagonal)


def _lu(x):
    return list(lax_linalg.lu(x))


register_lowerings({
    base.broadcast_in_dim_p: _broadcast_in_dim,
    base.reshape_p: _reshape,
    base.transpose_p: _transpose,
    st.squeeze_p: _squeeze,
    st.expand_dims_p: _expand_dims,
    st.iota_p: _iota,
    st.rev_p: _rev,
    sl.pad_p: _pad,
    sl.concatenate_p: _concatenate,
    sl.slice_p: _slice,
    dsl.dynamic_slice_p: _dynamic_slice,
    dsl.dynamic_update_slice_p: _dynamic_update_slice,
    base.reduce_sum_p: _reduce_sum,
    red.reduce_prod_p: _reduce_prod,
    red.reduce_max_p: _reduce_max,
    red.reduce_min_p: _reduce_min,
    red.argmax_p: _argmax,
    red.argmin_p: _argmin,
    red.cumsum_p: _cumulative(lax.cumsum),
    red.cumprod_p: _cumulative(lax.cumprod),
    red.cummax_p: _cumulative(lax.cummax),
    red.cummin_p: _cumulative(lax.cummin),
    red.cumlogsumexp_p: _cumulative(lax.cumlogsumexp),
    la.dot_general_p: _dot_general,
    la.cholesky_p: _cholesky,
    la.triangular_solve_p: _triangular_solve,
    la.lu_p: _lu,
})
