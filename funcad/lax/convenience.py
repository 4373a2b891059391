"""Convenience operations of ``jax.lax`` built from the primitives (``select``, ``clamp``,
``full``, ``dynamic_slice``/``dynamic_update_slice`` with JAX's negative start indices, the
``*_in_dim`` slicing helpers, ``dot``)."""
# ruff: noqa: A004 - the names of jax.lax (max, min, slice) are the API
from __future__ import annotations

import numpy as np

from funcad.core.trace import get_aval
from funcad.errors import FuncadValueError, with_user_line
from funcad.ops import dynamic_slicing, linalg
from funcad.ops._base import (
    broadcast_in_dim,
    convert_element_type,
    select_n,
)
from funcad.ops.arithmetic import (
    add,
    max,
    min,
)
from funcad.ops.dot_options import check_precision
from funcad.ops.logical import lt
from funcad.ops.slicing import slice
from funcad.ops.structural import expand_dims, squeeze

# --- convenience operations of jax.lax, built from the primitives ----------------------------

def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` holds, else ``on_false`` (equal shapes)."""
    return select_n(pred, on_false, on_true)


_max, _min = max, min  # clamp's parameters shadow them (JAX's names)


def clamp(min, x, max):  # noqa: A002 - jax.lax.clamp's parameter names
    """``min(max(x, min), max)`` (``jax.lax.clamp``'s argument order and names)."""
    return _min(_max(x, min), max)


def full(shape, fill_value, dtype=None):
    dtype = np.dtype(dtype) if dtype is not None else get_aval(fill_value).dtype
    return broadcast_in_dim(convert_element_type(fill_value, dtype), tuple(shape), ())


def full_like(x, fill_value, dtype=None, shape=None):
    aval = get_aval(x)
    return full(aval.shape if shape is None else shape, fill_value,
                aval.dtype if dtype is None else dtype)


def _wrapped_starts(fn: str, shape, starts, allow_negative_indices) -> list:
    """Start indices with negative ones counted from the end of their axis (where
    ``allow_negative_indices`` says so, per axis or for all), as ``jax.lax`` reads them; the
    primitives then clamp each window into bounds, as XLA does."""
    starts = list(starts)
    if len(starts) != len(shape):
        return starts  # the primitive's shape rule names the mismatch
    allow = allow_negative_indices
    allow = [bool(allow)] * len(starts) if isinstance(allow, (bool, np.bool_)) else list(allow)
    if len(allow) != len(starts):
        raise FuncadValueError(with_user_line(
            f"funcad.lax.{fn}: allow_negative_indices has {len(allow)} entries for "
            f"{len(starts)} start indices"))
    out = []
    for axis, (s, n, wrap) in enumerate(zip(starts, shape, allow)):
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            if s < 0 and not wrap:  # as jax.lax: a known negative index is refused
                raise FuncadValueError(with_user_line(
                    f"funcad.lax.{fn}: start index {s} of axis {axis} (size {n}) is out of "
                    "bounds with allow_negative_indices=False"))
            s = s + n if s < 0 else s  # a concrete index: no operation staged
        elif wrap and get_aval(s).dtype.kind == "i":
            s = select_n(lt(s, 0), s, add(s, np.array(n, get_aval(s).dtype)))
        out.append(s)
    return out


def dynamic_slice(operand, start_indices, slice_sizes, *, allow_negative_indices=True):
    """The window of ``slice_sizes`` at ``start_indices`` (negative ones counted from the
    end, as ``jax.lax.dynamic_slice``; each window clamped into bounds)."""
    starts = _wrapped_starts("dynamic_slice", get_aval(operand).shape, start_indices,
                             allow_negative_indices)
    return dynamic_slicing.dynamic_slice(operand, starts, slice_sizes)


def dynamic_update_slice(operand, update, start_indices, *, allow_negative_indices=True):
    """``operand`` with the window at ``start_indices`` replaced by ``update`` (negative
    starts counted from the end, as ``jax.lax.dynamic_update_slice``)."""
    starts = _wrapped_starts("dynamic_update_slice", get_aval(operand).shape, start_indices,
                             allow_negative_indices)
    return dynamic_slicing.dynamic_update_slice(operand, update, starts)


def _axis_starts(aval, axis: int, start_index) -> list:
    starts = [np.zeros((), np.int64)] * aval.ndim
    starts[axis] = start_index
    return starts


def dynamic_slice_in_dim(operand, start_index, slice_size: int, axis: int = 0, *,
                         allow_negative_indices: bool = True):
    aval = get_aval(operand)
    axis = axis % aval.ndim
    sizes = list(aval.shape)
    sizes[axis] = slice_size
    return dynamic_slice(operand, _axis_starts(aval, axis, start_index), sizes,
                         allow_negative_indices=allow_negative_indices)


def dynamic_index_in_dim(operand, index, axis: int = 0, keepdims: bool = True, *,
                         allow_negative_indices: bool = True):
    out = dynamic_slice_in_dim(operand, index, 1, axis,
                               allow_negative_indices=allow_negative_indices)
    return out if keepdims else squeeze(out, (axis % get_aval(operand).ndim,))


def dynamic_update_slice_in_dim(operand, update, start_index, axis: int = 0, *,
                                allow_negative_indices: bool = True):
    aval = get_aval(operand)
    axis = axis % aval.ndim
    return dynamic_update_slice(operand, update, _axis_starts(aval, axis, start_index),
                                allow_negative_indices=allow_negative_indices)


def dynamic_update_index_in_dim(operand, update, index, axis: int = 0, *,
                                allow_negative_indices: bool = True):
    aval = get_aval(operand)
    axis = axis % aval.ndim
    if get_aval(update).ndim == aval.ndim - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis,
                                       allow_negative_indices=allow_negative_indices)


def slice_in_dim(operand, start_index: int, limit_index: int, stride: int = 1, axis: int = 0):
    aval = get_aval(operand)
    axis = axis % aval.ndim
    starts, limits, strides = [0] * aval.ndim, list(aval.shape), [1] * aval.ndim
    starts[axis], limits[axis], strides[axis] = start_index, limit_index, stride
    return slice(operand, starts, limits, strides)


def index_in_dim(operand, index: int, axis: int = 0, keepdims: bool = True):
    out = slice_in_dim(operand, index, index + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis % get_aval(operand).ndim,))


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """``jax.lax.dot_general``: contract ``lhs`` and ``rhs`` by ``dimension_numbers``
    (``precision`` is checked and accepted: ``funcad.ops.dot_options``)."""
    check_precision(precision, "funcad.lax.dot_general")
    return linalg.dot_general(lhs, rhs, dimension_numbers, preferred_element_type)


def dot(lhs, rhs, *, dimension_numbers=None, precision=None, preferred_element_type=None):
    """Vector/matrix product contracting the last axis of ``lhs`` with the first of ``rhs``
    (with ``dimension_numbers``, ``dot_general``)."""
    if dimension_numbers is None:
        nl = get_aval(lhs).ndim
        dimension_numbers = (((nl - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dimension_numbers, precision, preferred_element_type)
