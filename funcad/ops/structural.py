"""Structural primitives: broadcasting, reshaping, permuting, slicing, padding, joining.

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> JVP -> transpose (if linear) -> batching. Every primitive here is
linear in its array operands (``pad`` jointly in the operand and the padding value), except
``iota`` (no operands) and the start indices of ``dynamic_slice`` and
``dynamic_update_slice``, which get no tangent. Batching rules keep the batch axis where it
is whenever the parameters can be shifted around it; windows at batched start indices become
a gather/scatter (``funcad.ops.indexing.gather_windows``/``scatter_windows``).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval
from funcad.interpreters.ad_util import Zero, instantiate_zeros, zeros_of
from funcad.interpreters.batching import (
    axis_size_of,
    batch_rules,
    bdim_at,
    defreducer,
    moveaxis,
    not_mapped,
    shift_axes,
)
from funcad.interpreters.jvp import defjvp, defjvp_zero, jvp_rules
from funcad.interpreters.transpose import deflinear, is_undefined, transpose_rules
from funcad.ops._definers import new_primitive, type_error


def _shape_tuple(shape) -> tuple[int, ...]:
    return tuple(int(d) for d in shape)


def _aval(x) -> ShapedArray:
    """The type of an operand of a transpose rule (an ``UndefPrimal`` or a value)."""
    return x.aval if is_undefined(x) else get_aval(x)


def _zero_scalar(x):
    """A 0-d zero of ``x``'s dtype (a padding value or a start index)."""
    return np.zeros((), _aval(x).dtype)


def zero_start(starts):
    """A zero start index in the dtype of the others (backends want uniform starts)."""
    return _zero_scalar(starts[0]) if starts else np.zeros((), np.intp)


def inverse_perm(perm) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _reduce_sum(x, axes):
    from funcad.ops.reductions import reduce_sum  # reductions builds on this module

    return reduce_sum(x, axes)


def _check_linear_only(prim, operands, what: str) -> None:
    """Transpose rules of primitives linear in some operands only."""
    if any(is_undefined(x) for x in operands):
        raise NotImplementedError(
            f"transpose of `{prim}` with respect to its {what} (it is not linear in them)"
        )


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
defjvp_zero(iota_p)
# No operands, so never batched; the rule exists for completeness of the table.
batch_rules[iota_p] = lambda vals, dims, **params: (iota_p.bind(**params), not_mapped)


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


def _rev_batch(vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    return rev(x, shift_axes(dimensions, d)), d


deflinear(rev_p, lambda ct, x, *, dimensions: [rev(ct, dimensions)])
batch_rules[rev_p] = _rev_batch


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


def _padding_mask(shape, padding_config):
    """True where ``pad`` puts the padding value, False where operand elements land."""
    inner = broadcast_in_dim(np.asarray(False), shape, ())
    return pad(inner, np.asarray(True), padding_config)


def _pad_transpose(ct, x, padding_value, *, padding_config):
    from funcad.ops.elementwise import select_n

    ct_x = ct_pv = None
    if is_undefined(x):
        # Undo lo/hi (cropped elements get zeros), then drop the interior padding.
        unpadded = pad(ct, _zero_scalar(ct), [(-lo, -hi, 0) for lo, hi, _ in padding_config])
        shape = get_aval(unpadded).shape
        ct_x = slice(unpadded, (0,) * len(shape), shape, [it + 1 for _, _, it in padding_config])
    if is_undefined(padding_value):
        mask = _padding_mask(_aval(x).shape, padding_config)
        picked = select_n(mask, zeros_of(get_aval(ct).strip_weak_type()), ct)
        ct_pv = _reduce_sum(picked, tuple(range(len(padding_config))))
    return [ct_x, ct_pv]


def _pad_batch(vals, dims, *, padding_config):
    (x, pv), (xd, pd) = vals, dims
    if pd is not_mapped:
        config = padding_config[:xd] + ((0, 0, 0),) + padding_config[xd:]
        return pad(x, pv, config), xd
    # A batched padding value: pad with zeros, then select the padding value by a mask.
    from funcad.ops.elementwise import select_n

    size = axis_size_of(vals, dims)
    b = 0 if xd is not_mapped else xd
    x = bdim_at(x, xd, b, size)
    padded = pad(x, _zero_scalar(x), padding_config[:b] + ((0, 0, 0),) + padding_config[b:])
    out_shape = get_aval(padded).shape
    others = tuple(a for a in range(len(out_shape)) if a != b)
    unbatched = get_aval(x).shape[:b] + get_aval(x).shape[b + 1:]
    mask = broadcast_in_dim(_padding_mask(unbatched, padding_config), out_shape, others)
    return select_n(mask, padded, broadcast_in_dim(pv, out_shape, (b,))), b


deflinear(pad_p, _pad_transpose)
batch_rules[pad_p] = _pad_batch


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


def _concatenate_transpose(ct, *xs, dimension):
    shape = get_aval(ct).shape
    cts, start = [], 0
    for x in xs:
        n = _aval(x).shape[dimension]
        if is_undefined(x):
            lo, hi = [0] * len(shape), list(shape)
            lo[dimension], hi[dimension] = start, start + n
            cts.append(slice(ct, lo, hi))
        else:
            cts.append(None)
        start += n
    return cts


def _concatenate_batch(vals, dims, *, dimension):
    b = next(d for d in dims if d is not not_mapped)
    size = axis_size_of(vals, dims)
    xs = [v if d == b else bdim_at(v, d, b, size) for v, d in zip(vals, dims)]
    return concatenate(xs, dimension + (dimension >= b)), b


deflinear(concatenate_p, _concatenate_transpose)
batch_rules[concatenate_p] = _concatenate_batch


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


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    # Zeros around the slice; the stride's gaps become interior padding.
    strides = strides or (1,) * len(start_indices)
    config = []
    for n, lo, k, s in zip(x.aval.shape, start_indices, get_aval(ct).shape, strides):
        span = k + max(k - 1, 0) * (s - 1)
        config.append((lo, n - lo - span, s - 1))
    return [pad(ct, _zero_scalar(ct), config)]


def _slice_batch(vals, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = vals, dims
    size = get_aval(x).shape[d]
    starts = start_indices[:d] + (0,) + start_indices[d:]
    limits = limit_indices[:d] + (size,) + limit_indices[d:]
    strides = None if strides is None else strides[:d] + (1,) + strides[d:]
    return slice(x, starts, limits, strides), d


deflinear(slice_p, _slice_transpose)
batch_rules[slice_p] = _slice_batch


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


def _dynamic_slice_transpose(ct, x, *starts, slice_sizes):
    _check_linear_only(dynamic_slice_p, starts, "start indices")
    zeros = zeros_of(x.aval.strip_weak_type())
    return [dynamic_update_slice(zeros, ct, starts)] + [None] * len(starts)


def _dynamic_slice_batch(vals, dims, *, slice_sizes):
    x, *starts = vals
    xd, *sds = dims
    size = axis_size_of(vals, dims)
    if all(d is not_mapped for d in sds):
        starts.insert(xd, zero_start(starts))
        return dynamic_slice(x, starts, slice_sizes[:xd] + (size,) + slice_sizes[xd:]), xd
    from funcad.ops.indexing import gather_windows

    return gather_windows(x, xd, starts, sds, slice_sizes, size), 0


defjvp(
    dynamic_slice_p,
    lambda t, x, *starts, slice_sizes: dynamic_slice(t, starts, slice_sizes),
)  # the start indices get no tangent
transpose_rules[dynamic_slice_p] = _dynamic_slice_transpose
batch_rules[dynamic_slice_p] = _dynamic_slice_batch


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


def _dynamic_update_slice_jvp(primals, tangents):
    x, update, *starts = primals
    tx, tu = tangents[:2]
    ans = dynamic_update_slice(x, update, starts)
    if type(tx) is Zero and type(tu) is Zero:
        return ans, Zero.like(ans)
    return ans, dynamic_update_slice(instantiate_zeros(tx), instantiate_zeros(tu), starts)


def _dynamic_update_slice_transpose(ct, x, update, *starts):
    _check_linear_only(dynamic_update_slice_p, starts, "start indices")
    u_aval = _aval(update).strip_weak_type()
    ct_x = ct_u = None
    if is_undefined(x):  # the overwritten window gets no cotangent
        ct_x = dynamic_update_slice(ct, zeros_of(u_aval), starts)
    if is_undefined(update):
        ct_u = dynamic_slice(ct, starts, u_aval.shape)
    return [ct_x, ct_u] + [None] * len(starts)


def _dynamic_update_slice_batch(vals, dims):
    x, update, *starts = vals
    xd, ud, *sds = dims
    size = axis_size_of(vals, dims)
    if all(d is not_mapped for d in sds):
        b = xd if xd is not not_mapped else ud
        x, update = bdim_at(x, xd, b, size), bdim_at(update, ud, b, size)
        starts.insert(b, zero_start(starts))
        return dynamic_update_slice(x, update, starts), b
    from funcad.ops.indexing import scatter_windows

    return scatter_windows(x, xd, update, ud, starts, sds, size), 0


jvp_rules[dynamic_update_slice_p] = _dynamic_update_slice_jvp
transpose_rules[dynamic_update_slice_p] = _dynamic_update_slice_transpose
batch_rules[dynamic_update_slice_p] = _dynamic_update_slice_batch
