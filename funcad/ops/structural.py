"""Structural primitives: broadcasting, reshaping, permuting, slicing, padding, joining.

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> transform rules.
"""
from __future__ import annotations

import builtins

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


# --- rev ----------------------------------------------------------------------------------

def rev(operand, dimensions):
    """Reverse ``operand`` along ``dimensions``."""
    dims = _shape_tuple(dimensions)
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


# --- pad ----------------------------------------------------------------------------------

def pad(operand, padding_value, padding_config):
    """Pad with ``padding_value``: ``(lo, hi, interior)`` per axis; negative lo/hi crop."""
    config = tuple(_shape_tuple(c) for c in padding_config)
    aval = get_aval(operand)
    if type(padding_value) in (bool, int, float, complex):  # weak: takes the operand's dtype
        padding_value = np.asarray(padding_value, aval.dtype)
    pv = get_aval(padding_value)
    identity = all(c == (0, 0, 0) for c in config) and len(config) == aval.ndim
    if identity and pv.shape == () and pv.dtype == aval.dtype:
        return operand
    return pad_p.bind(operand, padding_value, padding_config=config)


def _pad_impl(x, padding_value, *, padding_config):
    if padding_value.shape != () or padding_value.dtype != x.dtype or len(padding_config) != x.ndim:
        raise ValueError("bad padding value or config")  # re-checked by the shape rule
    if any(lo + hi + n + max(n - 1, 0) * it < 0 or it < 0
           for n, (lo, hi, it) in zip(x.shape, padding_config)):
        raise ValueError("negative size")  # re-checked by the shape rule
    core_shape = [n + max(n - 1, 0) * it for n, (_, _, it) in zip(x.shape, padding_config)]
    core = np.full(core_shape, padding_value, dtype=x.dtype)
    core[tuple(builtins.slice(None, None, it + 1) for _, _, it in padding_config)] = x
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi, _ in padding_config]
    out = np.pad(core, grow, constant_values=padding_value) if any(map(any, grow)) else core
    # Negative padding crops the padded array (an index map: out[j] = core[j - lo]).
    crop = tuple(
        builtins.slice(max(-lo, 0), n - max(-hi, 0))
        for n, (lo, hi, _) in zip(out.shape, padding_config)
    )
    return out[crop]


def _pad_abstract_eval(x, padding_value, *, padding_config):
    avals = [x, padding_value]
    if padding_value.shape != () or padding_value.dtype != x.dtype:
        raise type_error(pad_p, avals, "the padding value must be a scalar of the operand's dtype")
    if len(padding_config) != x.ndim or any(len(c) != 3 for c in padding_config):
        raise type_error(
            pad_p, avals, f"padding_config {padding_config} needs one (lo, hi, interior) per axis"
        )
    shape = []
    for n, (lo, hi, it) in zip(x.shape, padding_config):
        size = lo + hi + n + max(n - 1, 0) * it
        if it < 0 or size < 0:
            raise type_error(pad_p, avals, f"padding_config {padding_config} gives a negative size")
        shape.append(size)
    return ShapedArray(shape, x.dtype, x.weak_type)


pad_p = new_primitive("pad", _pad_impl, _pad_abstract_eval)


# --- concatenate --------------------------------------------------------------------------

def concatenate(operands, dimension: int):
    """Join ``operands`` (same dtype and rank, equal sizes off ``dimension``)."""
    operands = list(operands)
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=int(dimension))


def _concatenate_impl(*xs, dimension):
    if len({x.dtype for x in xs}) > 1:
        raise ValueError("mixed dtypes")  # NumPy would promote; the shape rule explains
    return np.concatenate(xs, axis=dimension)


def _concatenate_abstract_eval(*xs, dimension):
    if not xs:
        raise type_error(concatenate_p, xs, "needs at least one operand")
    x0 = xs[0]
    if not 0 <= dimension < x0.ndim:
        raise type_error(
            concatenate_p, xs, f"dimension {dimension} is out of range for rank {x0.ndim}"
        )
    if len({x.dtype for x in xs}) > 1:
        raise type_error(concatenate_p, xs, "operands must have equal dtypes")
    off = [s for i, s in enumerate(x0.shape) if i != dimension]
    for x in xs:
        if x.ndim != x0.ndim or [s for i, s in enumerate(x.shape) if i != dimension] != off:
            raise type_error(
                concatenate_p, xs, f"operands must have equal shapes except along axis {dimension}"
            )
    shape = list(x0.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(shape, x0.dtype, all(x.weak_type for x in xs))


concatenate_p = new_primitive("concatenate", _concatenate_impl, _concatenate_abstract_eval)


# --- slice --------------------------------------------------------------------------------

def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001 - lax name
    """Static strided slice ``operand[start:limit:stride]`` per axis (strides >= 1)."""
    start, limit = _shape_tuple(start_indices), _shape_tuple(limit_indices)
    strides = None if strides is None else _shape_tuple(strides)
    if strides is not None and all(s == 1 for s in strides):
        strides = None
    shape = get_aval(operand).shape
    if strides is None and start == (0,) * len(shape) and limit == shape:
        return operand
    return slice_p.bind(operand, start_indices=start, limit_indices=limit, strides=strides)


def _slice_impl(x, *, start_indices, limit_indices, strides):
    strides = strides or (1,) * x.ndim
    if len(start_indices) != x.ndim or any(
        not 0 <= lo <= hi <= n for lo, hi, n in zip(start_indices, limit_indices, x.shape)
    ):
        raise ValueError("slice out of bounds")  # NumPy would clip; the shape rule explains
    return x[tuple(builtins.slice(*t) for t in zip(start_indices, limit_indices, strides))]


def _slice_abstract_eval(x, *, start_indices, limit_indices, strides):
    strides = strides or (1,) * x.ndim
    if not len(start_indices) == len(limit_indices) == len(strides) == x.ndim:
        raise type_error(
            slice_p, [x], "start_indices, limit_indices and strides need one entry per axis"
        )
    shape = []
    for n, lo, hi, s in zip(x.shape, start_indices, limit_indices, strides):
        if not 0 <= lo <= hi <= n or s < 1:
            raise type_error(
                slice_p, [x],
                f"slice {start_indices}:{limit_indices}:{strides} is out of bounds (needs "
                "0 <= start <= limit <= size and strides >= 1)",
            )
        shape.append((hi - lo + s - 1) // s)
    return ShapedArray(shape, x.dtype, x.weak_type)


slice_p = new_primitive("slice", _slice_impl, _slice_abstract_eval)


# --- dynamic_slice ------------------------------------------------------------------------

def _clamped_starts(starts, shape, sizes) -> list[int]:
    """XLA clamps start indices so that the window stays inside the operand."""
    return [int(np.clip(int(s), 0, n - k)) for s, n, k in zip(starts, shape, sizes)]


def _valid_starts(starts, ndim: int) -> bool:
    return len(starts) == ndim and all(s.ndim == 0 and s.dtype.kind in "iu" for s in starts)


def _check_starts(prim, avals, starts, ndim: int) -> None:
    if len(starts) != ndim:
        raise type_error(
            prim, avals, f"needs {ndim} start indices, one per axis, got {len(starts)}"
        )
    for s in starts:
        if s.shape != () or s.dtype.kind not in "iu":
            raise type_error(prim, avals, "start indices must be integer scalars")


def dynamic_slice(operand, start_indices, slice_sizes):
    """``operand[s0:s0+k0, ...]`` with (possibly traced) scalar starts, clamped in bounds."""
    sizes = _shape_tuple(slice_sizes)
    return dynamic_slice_p.bind(operand, *start_indices, slice_sizes=sizes)


def _dynamic_slice_impl(x, *starts, slice_sizes):
    if not _valid_starts(starts, x.ndim) or any(k > n for k, n in zip(slice_sizes, x.shape)):
        raise ValueError("bad dynamic_slice operands")  # re-checked by the shape rule
    starts = _clamped_starts(starts, x.shape, slice_sizes)
    return x[tuple(builtins.slice(s, s + k) for s, k in zip(starts, slice_sizes))]


def _dynamic_slice_abstract_eval(x, *starts, slice_sizes):
    avals = [x, *starts]
    _check_starts(dynamic_slice_p, avals, starts, x.ndim)
    if len(slice_sizes) != x.ndim or any(not 0 <= k <= n for k, n in zip(slice_sizes, x.shape)):
        raise type_error(
            dynamic_slice_p, avals, f"slice_sizes {slice_sizes} do not fit in {x.shape}"
        )
    return ShapedArray(slice_sizes, x.dtype, x.weak_type)


dynamic_slice_p = new_primitive("dynamic_slice", _dynamic_slice_impl, _dynamic_slice_abstract_eval)


# --- dynamic_update_slice -----------------------------------------------------------------

def dynamic_update_slice(operand, update, start_indices):
    """``operand`` with the window at (clamped, possibly traced) ``start_indices`` replaced
    by ``update``."""
    return dynamic_update_slice_p.bind(operand, update, *start_indices)


def _dynamic_update_slice_impl(x, update, *starts):
    if not _valid_starts(starts, x.ndim) or update.dtype != x.dtype or update.ndim != x.ndim:
        raise ValueError("bad dynamic_update_slice operands")  # re-checked by the shape rule
    starts = _clamped_starts(starts, x.shape, update.shape)
    out = np.array(x, copy=True)
    out[tuple(builtins.slice(s, s + k) for s, k in zip(starts, update.shape))] = update
    return out


def _dynamic_update_slice_abstract_eval(x, update, *starts):
    avals = [x, update, *starts]
    _check_starts(dynamic_update_slice_p, avals, starts, x.ndim)
    if update.dtype != x.dtype:
        raise type_error(dynamic_update_slice_p, avals, "the update must have the operand's dtype")
    if update.ndim != x.ndim or any(k > n for k, n in zip(update.shape, x.shape)):
        raise type_error(
            dynamic_update_slice_p, avals,
            "the update must have the operand's rank and fit inside it",
        )
    return x


dynamic_update_slice_p = new_primitive(
    "dynamic_update_slice", _dynamic_update_slice_impl, _dynamic_update_slice_abstract_eval
)
