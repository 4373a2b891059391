"""Convenience operations of ``jax.lax`` built from the primitives (``select``, ``clamp``,
``full``, the ``*_in_dim`` slicing helpers, ``dot``)."""
# ruff: noqa: A004 - the names of jax.lax (max, min, slice) are the API
from __future__ import annotations

import numpy as np

from funcad.core.trace import get_aval
from funcad.ops._base import (
    broadcast_in_dim,
    convert_element_type,
    select_n,
)
from funcad.ops.arithmetic import (
    max,
    min,
)
from funcad.ops.dynamic_slicing import dynamic_slice, dynamic_update_slice
from funcad.ops.linalg import dot_general
from funcad.ops.slicing import slice
from funcad.ops.structural import expand_dims, squeeze

# --- convenience operations of jax.lax, built from the primitives ----------------------------

def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` holds, else ``on_false`` (equal shapes)."""
    return select_n(pred, on_false, on_true)


def clamp(min_value, x, max_value):
    """``min(max(x, min_value), max_value)`` (``jax.lax.clamp``'s argument order)."""
    return min(max(x, min_value), max_value)


def full(shape, fill_value, dtype=None):
    dtype = np.dtype(dtype) if dtype is not None else get_aval(fill_value).dtype
    return broadcast_in_dim(convert_element_type(fill_value, dtype), tuple(shape), ())


def full_like(x, fill_value, dtype=None, shape=None):
    aval = get_aval(x)
    return full(aval.shape if shape is None else shape, fill_value,
                aval.dtype if dtype is None else dtype)


def dynamic_slice_in_dim(operand, start_index, slice_size: int, axis: int = 0):
    aval = get_aval(operand)
    axis = axis % aval.ndim
    starts = [np.zeros((), np.int64)] * aval.ndim
    starts[axis] = start_index
    sizes = list(aval.shape)
    sizes[axis] = slice_size
    return dynamic_slice(operand, starts, sizes)


def dynamic_index_in_dim(operand, index, axis: int = 0, keepdims: bool = True):
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else squeeze(out, (axis % get_aval(operand).ndim,))


def dynamic_update_slice_in_dim(operand, update, start_index, axis: int = 0):
    aval = get_aval(operand)
    axis = axis % aval.ndim
    starts = [np.zeros((), np.int64)] * aval.ndim
    starts[axis] = start_index
    return dynamic_update_slice(operand, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis: int = 0):
    aval = get_aval(operand)
    axis = axis % aval.ndim
    if get_aval(update).ndim == aval.ndim - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis)


def slice_in_dim(operand, start_index: int, limit_index: int, stride: int = 1, axis: int = 0):
    aval = get_aval(operand)
    axis = axis % aval.ndim
    starts, limits, strides = [0] * aval.ndim, list(aval.shape), [1] * aval.ndim
    starts[axis], limits[axis], strides[axis] = start_index, limit_index, stride
    return slice(operand, starts, limits, strides)


def index_in_dim(operand, index: int, axis: int = 0, keepdims: bool = True):
    out = slice_in_dim(operand, index, index + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis % get_aval(operand).ndim,))


def dot(lhs, rhs):
    """Vector/matrix product contracting the last axis of ``lhs`` with the first of ``rhs``."""
    nl = get_aval(lhs).ndim
    return dot_general(lhs, rhs, (((nl - 1,), (0,)), ((), ())))
