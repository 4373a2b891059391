"""Structural primitives: broadcasting, reshaping, permuting, slicing, padding, joining.

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> transform rules.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval
from funcad.ops._definers import new_primitive, type_error


def _shape_tuple(shape) -> tuple[int, ...]:
    return tuple(int(d) for d in shape)


# --- broadcast_in_dim ---------------------------------------------------------------------

def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """Place ``operand``'s axes at ``broadcast_dimensions`` of ``shape``; size-1 axes and
    the new ones are broadcast."""
    shape = _shape_tuple(shape)
    dims = _shape_tuple(broadcast_dimensions)
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
            broadcast_in_dim_p, [x], f"broadcast_dimensions {dims} must name one axis per operand axis"
        )
    if any(not 0 <= d < len(shape) for d in dims) or list(dims) != sorted(set(dims)):
        raise type_error(
            broadcast_in_dim_p, [x], f"broadcast_dimensions {dims} must be increasing axes of {shape}"
        )
    for src, dst in enumerate(dims):
        if x.shape[src] not in (1, shape[dst]):
            raise type_error(
                broadcast_in_dim_p, [x], f"axis {src} of size {x.shape[src]} cannot broadcast to {shape}"
            )
    return ShapedArray(shape, x.dtype, x.weak_type)


broadcast_in_dim_p = new_primitive(
    "broadcast_in_dim", _broadcast_in_dim_impl, _broadcast_in_dim_abstract_eval
)


# --- reshape ------------------------------------------------------------------------------

def reshape(operand, new_sizes):
    """Row-major reshape to ``new_sizes`` (no -1: callers resolve it)."""
    new_sizes = _shape_tuple(new_sizes)
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


# --- transpose ----------------------------------------------------------------------------

def transpose(operand, permutation):
    permutation = _shape_tuple(permutation)
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


# --- iota ---------------------------------------------------------------------------------

def iota(dtype, size: int):
    """``[0, 1, ..., size-1]``."""
    return broadcasted_iota(dtype, (int(size),), 0)


def broadcasted_iota(dtype, shape, dimension: int):
    """An array of ``shape`` counting along ``dimension``."""
    return iota_p.bind(dtype=np.dtype(dtype), shape=_shape_tuple(shape), dimension=int(dimension))


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
