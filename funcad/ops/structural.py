"""Structural primitives: broadcasting, reshaping, permuting, reversing, and ``iota``.

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> JVP -> transpose (if linear) -> batching. Every primitive here is
linear in its operand, except ``iota`` (no operands). Batching rules keep the batch axis
where it is whenever the parameters can be shifted around it. Padding, joining and slicing
are in ``funcad.ops.slicing``.
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval
from funcad.interpreters.batching import (
    batch_rules,
    defreducer,
    moveaxis,
    not_mapped,
    shift_axes,
)
from funcad.interpreters.jvp import defjvp_zero
from funcad.interpreters.transpose import deflinear, is_undefined
from funcad.ops._definers import new_primitive, type_error


def shape_tuple(shape) -> tuple[int, ...]:
    """A static shape (or axis list) as a tuple of Python ints."""
    return tuple(int(d) for d in shape)


def operand_aval(x) -> ShapedArray:
    """The type of an operand of a transpose rule (an ``UndefPrimal`` or a value)."""
    return x.aval if is_undefined(x) else get_aval(x)


def zero_scalar(x):
    """A 0-d zero of ``x``'s dtype (a padding value or a start index)."""
    return np.zeros((), operand_aval(x).dtype)


def zero_start(starts):
    """A zero start index in the dtype of the others (backends want uniform starts)."""
    return zero_scalar(starts[0]) if starts else np.zeros((), np.intp)


def inverse_perm(perm) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _reduce_sum(x, axes):
    from funcad.ops.reductions import reduce_sum  # reductions builds on this module

    return reduce_sum(x, axes)


# --- broadcast_in_dim ---------------------------------------------------------------------

def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """Place ``operand``'s axes at ``broadcast_dimensions`` of ``shape``; size-1 axes and
    the new ones are broadcast."""
    shape = shape_tuple(shape)
    dims = shape_tuple(broadcast_dimensions)
    if get_aval(operand).shape == shape and dims == tuple(range(len(shape))):
        return operand
    return broadcast_in_dim_p.bind(operand, shape=shape, broadcast_dimensions=dims)


def _broadcast_in_dim_impl(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for src, dst in enumerate(broadcast_dimensions):
        expanded[dst] = x.shape[src]
    return np.broadcast_to(x.reshape(expanded), shape)


def _broadcast_in_dim_abstract_eval(x, *, shape, broadcast_dimensions):
    dims = broadcast_dimensions
    if len(dims) != x.ndim:
        raise type_error(
            broadcast_in_dim_p, [x],
            f"broadcast_dimensions {dims} must name one axis per operand axis",
        )
    if any(not 0 <= d < len(shape) for d in dims) or list(dims) != sorted(set(dims)):
        raise type_error(
            broadcast_in_dim_p, [x],
            f"broadcast_dimensions {dims} must be increasing axes of {shape}",
        )
    for src, dst in enumerate(dims):
        if x.shape[src] not in (1, shape[dst]):
            raise type_error(
                broadcast_in_dim_p, [x],
                f"axis {src} of size {x.shape[src]} cannot broadcast to {shape}",
            )
    return ShapedArray(shape, x.dtype, x.weak_type)


broadcast_in_dim_p = new_primitive(
    "broadcast_in_dim", _broadcast_in_dim_impl, _broadcast_in_dim_abstract_eval
)


def _broadcast_in_dim_transpose(ct, x, *, shape, broadcast_dimensions):
    # Sum over the new axes and the stretched size-1 axes, then restore the size-1 axes.
    in_shape = x.aval.shape
    kept = {d for src, d in enumerate(broadcast_dimensions) if in_shape[src] == shape[d]}
    summed = _reduce_sum(ct, tuple(a for a in range(len(shape)) if a not in kept))
    return [reshape(summed, in_shape)]


def _broadcast_in_dim_batch(vals, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = vals, dims
    bd = broadcast_dimensions
    # The batch axis goes just before the output axis operand axis d maps to.
    out_d = bd[d] if d < len(bd) else len(shape)
    new_dims = bd[:d] + (out_d,) + tuple(a + 1 for a in bd[d:])
    new_shape = shape[:out_d] + (get_aval(x).shape[d],) + shape[out_d:]
    return broadcast_in_dim(x, new_shape, new_dims), out_d


deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose)
batch_rules[broadcast_in_dim_p] = _broadcast_in_dim_batch


# --- reshape ------------------------------------------------------------------------------

def reshape(operand, new_sizes):
    """Row-major reshape to ``new_sizes`` (no -1: callers resolve it)."""
    new_sizes = shape_tuple(new_sizes)
    if get_aval(operand).shape == new_sizes:
        return operand
    return reshape_p.bind(operand, new_sizes=new_sizes)


def _reshape_impl(x, *, new_sizes):
    return np.reshape(x, new_sizes)


def _reshape_abstract_eval(x, *, new_sizes):
    if any(d < 0 for d in new_sizes) or int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise type_error(reshape_p, [x], f"cannot reshape to {new_sizes}")
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


reshape_p = new_primitive("reshape", _reshape_impl, _reshape_abstract_eval)


def _reshape_batch(vals, dims, *, new_sizes):
    (x,), (d,) = vals, dims
    shape = get_aval(x).shape
    size = shape[d]
    # Row-major order keeps the batch axis in place if new_sizes splits where it sits.
    before = math.prod(shape[:d])
    for k in range(len(new_sizes) + 1):
        if math.prod(new_sizes[:k]) == before:
            return reshape(x, new_sizes[:k] + (size,) + new_sizes[k:]), k
    return reshape(moveaxis(x, d, 0), (size,) + new_sizes), 0


deflinear(reshape_p, lambda ct, x, *, new_sizes: [reshape(ct, x.aval.shape)])
batch_rules[reshape_p] = _reshape_batch


# --- transpose ----------------------------------------------------------------------------

def transpose(operand, permutation):
    permutation = shape_tuple(permutation)
    if permutation == tuple(range(len(permutation))):
        return operand
    return transpose_p.bind(operand, permutation=permutation)


def _transpose_impl(x, *, permutation):
    return np.transpose(x, permutation)


def _transpose_abstract_eval(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise type_error(transpose_p, [x], f"{permutation} is not a permutation of {x.ndim} axes")
    return ShapedArray([x.shape[p] for p in permutation], x.dtype, x.weak_type)


transpose_p = new_primitive("transpose", _transpose_impl, _transpose_abstract_eval)


def _transpose_batch(vals, dims, *, permutation):
    (x,), (d,) = vals, dims
    perm = tuple(p + (p >= d) for p in permutation)
    return transpose(x, perm[:d] + (d,) + perm[d:]), d


deflinear(
    transpose_p, lambda ct, x, *, permutation: [transpose(ct, inverse_perm(permutation))]
)
batch_rules[transpose_p] = _transpose_batch


# --- squeeze ------------------------------------------------------------------------------

def squeeze(array, dimensions):
    dims = tuple(sorted(int(d) % max(get_aval(array).ndim, 1) for d in dimensions))
    if not dims:
        return array
    return squeeze_p.bind(array, dimensions=dims)


def _squeeze_impl(x, *, dimensions):
    return np.squeeze(x, axis=dimensions)


def _squeeze_abstract_eval(x, *, dimensions):
    if any(not 0 <= d < x.ndim or x.shape[d] != 1 for d in dimensions):
        raise type_error(squeeze_p, [x], f"can only squeeze axes of size 1, not {dimensions}")
    return ShapedArray(
        [s for i, s in enumerate(x.shape) if i not in dimensions], x.dtype, x.weak_type
    )


squeeze_p = new_primitive("squeeze", _squeeze_impl, _squeeze_abstract_eval)
deflinear(squeeze_p, lambda ct, x, *, dimensions: [expand_dims(ct, dimensions)])
defreducer(squeeze_p, "dimensions")  # batched like a reduction: the axes just go away


# --- expand_dims --------------------------------------------------------------------------

def expand_dims(array, dimensions):
    """Insert size-1 axes so that they sit at ``dimensions`` of the result."""
    ndim_out = get_aval(array).ndim + len(dimensions)
    dims = tuple(sorted(int(d) % ndim_out for d in dimensions))
    if not dims:
        return array
    return expand_dims_p.bind(array, dimensions=dims)


def _expand_dims_impl(x, *, dimensions):
    return np.expand_dims(x, dimensions)


def _expand_dims_abstract_eval(x, *, dimensions):
    ndim_out = x.ndim + len(dimensions)
    if len(set(dimensions)) != len(dimensions) or any(not 0 <= d < ndim_out for d in dimensions):
        raise type_error(expand_dims_p, [x], f"bad dimensions {dimensions}")
    shape = list(x.shape)
    for d in dimensions:
        shape.insert(d, 1)
    return ShapedArray(shape, x.dtype, x.weak_type)


expand_dims_p = new_primitive("expand_dims", _expand_dims_impl, _expand_dims_abstract_eval)


def _expand_dims_batch(vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    ndim_out = get_aval(x).ndim - 1 + len(dimensions)
    kept = [a for a in range(ndim_out) if a not in dimensions]
    # The batch axis goes just before the output axis operand axis d lands on.
    out_d = kept[d] if d < len(kept) else ndim_out
    return expand_dims(x, shift_axes(dimensions, out_d)), out_d


deflinear(expand_dims_p, lambda ct, x, *, dimensions: [squeeze(ct, dimensions)])
batch_rules[expand_dims_p] = _expand_dims_batch


# --- iota ---------------------------------------------------------------------------------

def iota(dtype, size: int):
    """``[0, 1, ..., size-1]``."""
    return broadcasted_iota(dtype, (int(size),), 0)


def broadcasted_iota(dtype, shape, dimension: int):
    """An array of ``shape`` counting along ``dimension``."""
    return iota_p.bind(dtype=np.dtype(dtype), shape=shape_tuple(shape), dimension=int(dimension))


def _iota_impl(*, dtype, shape, dimension):
    count = np.arange(shape[dimension], dtype=dtype)
    view = [1] * len(shape)
    view[dimension] = shape[dimension]
    return np.broadcast_to(count.reshape(view), shape)


def _iota_abstract_eval(*, dtype, shape, dimension):
    if not 0 <= dimension < len(shape):
        raise type_error(iota_p, [], f"dimension {dimension} out of range for shape {shape}")
    return ShapedArray(shape, dtype)


iota_p = new_primitive("iota", _iota_impl, _iota_abstract_eval)
defjvp_zero(iota_p)
# No operands, so never batched; the rule exists for completeness of the table.
batch_rules[iota_p] = lambda vals, dims, **params: (iota_p.bind(**params), not_mapped)


# --- rev ----------------------------------------------------------------------------------

def rev(operand, dimensions):
    """Reverse ``operand`` along ``dimensions``."""
    dims = shape_tuple(dimensions)
    if not dims:
        return operand
    return rev_p.bind(operand, dimensions=dims)


def _rev_impl(x, *, dimensions):
    if len(set(dimensions)) != len(dimensions):
        raise ValueError("repeated dimension")  # turned into PrimitiveTypeError by apply_impl
    return np.flip(x, dimensions)


def _rev_abstract_eval(x, *, dimensions):
    if len(set(dimensions)) != len(dimensions) or any(not 0 <= d < x.ndim for d in dimensions):
        raise type_error(
            rev_p, [x], f"dimensions {dimensions} must be distinct axes of rank {x.ndim}"
        )
    return x


rev_p = new_primitive("rev", _rev_impl, _rev_abstract_eval)


def _rev_batch(vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    return rev(x, shift_axes(dimensions, d)), d


deflinear(rev_p, lambda ct, x, *, dimensions: [rev(ct, dimensions)])
batch_rules[rev_p] = _rev_batch
