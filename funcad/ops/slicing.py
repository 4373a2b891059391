"""Slicing primitives at static positions: padding, joining and slices (slices at traced
start indices are in ``funcad.ops.dynamic_slicing``).

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> JVP -> transpose (if linear) -> batching. Every primitive here is
linear in its array operands (``pad`` jointly in the operand and the padding value).
"""
from __future__ import annotations

import builtins

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.dtypes import PYTHON_SCALARS
from funcad.core.rules import (
    Call,
    Moves,
    Subscript,
    batch_rules,
    explain_notation,
    identity_tests,
    sparsity_rules,
)
from funcad.core.symbolic import is_undefined, not_mapped
from funcad.core.trace import get_aval
from funcad.ops._base import (
    axis_size_of,
    bdim_at,
    broadcast_in_dim,
    deflinear,
    reduce_sum,
    select_n,
    zeros_of,
)
from funcad.ops._shapes import new_primitive, shape_tuple, type_error
from funcad.ops.structural import operand_aval, zero_scalar

# --- pad ----------------------------------------------------------------------------------

def pad(operand, padding_value, padding_config):
    """Pad with ``padding_value``: ``(lo, hi, interior)`` per axis; negative lo/hi crop."""
    config = tuple(shape_tuple(c) for c in padding_config)
    aval = get_aval(operand)
    if type(padding_value) in PYTHON_SCALARS:  # weak: takes the operand's dtype
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
sparsity_rules[pad_p] = Moves()


def _padding_mask(shape, padding_config):
    """True where ``pad`` puts the padding value, False where operand elements land."""
    inner = broadcast_in_dim(np.asarray(False), shape, ())
    return pad(inner, np.asarray(True), padding_config)


def _pad_transpose(ct, x, padding_value, *, padding_config):
    ct_x = ct_pv = None
    if is_undefined(x):
        # Undo lo/hi (cropped elements get zeros), then drop the interior padding.
        unpadded = pad(ct, zero_scalar(ct), [(-lo, -hi, 0) for lo, hi, _ in padding_config])
        shape = get_aval(unpadded).shape
        ct_x = slice(unpadded, (0,) * len(shape), shape, [it + 1 for _, _, it in padding_config])
    if is_undefined(padding_value):
        mask = _padding_mask(operand_aval(x).shape, padding_config)
        picked = select_n(mask, zeros_of(get_aval(ct).strip_weak_type()), ct)

        ct_pv = reduce_sum(picked, tuple(range(len(padding_config))))
    return [ct_x, ct_pv]


def _pad_batch(vals, dims, *, padding_config):
    (x, pv), (xd, pd) = vals, dims
    if pd is not_mapped:
        config = padding_config[:xd] + ((0, 0, 0),) + padding_config[xd:]
        return pad(x, pv, config), xd
    # A batched padding value: pad with zeros, then select the padding value by a mask.

    size = axis_size_of(vals, dims)
    b = 0 if xd is not_mapped else xd
    x = bdim_at(x, xd, b, size)
    padded = pad(x, zero_scalar(x), padding_config[:b] + ((0, 0, 0),) + padding_config[b:])
    out_shape = get_aval(padded).shape
    others = tuple(a for a in range(len(out_shape)) if a != b)
    unbatched = get_aval(x).shape[:b] + get_aval(x).shape[b + 1:]
    mask = broadcast_in_dim(_padding_mask(unbatched, padding_config), out_shape, others)
    return select_n(mask, padded, broadcast_in_dim(pv, out_shape, (b,))), b


deflinear(pad_p, _pad_transpose)
batch_rules[pad_p] = _pad_batch
identity_tests[pad_p] = lambda eqn: all(tuple(c) == (0, 0, 0) for c in eqn.params["padding_config"])


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
sparsity_rules[concatenate_p] = Moves()


def _concatenate_transpose(ct, *xs, dimension):
    shape = get_aval(ct).shape
    cts, start = [], 0
    for x in xs:
        n = operand_aval(x).shape[dimension]
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
identity_tests[concatenate_p] = lambda eqn: len(eqn.invars) == 1
explain_notation[concatenate_p] = Call("concatenate", ("axis={dimension}",))


# --- slice --------------------------------------------------------------------------------

def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001 - lax name
    """Static strided slice ``operand[start:limit:stride]`` per axis (strides >= 1)."""
    start, limit = shape_tuple(start_indices), shape_tuple(limit_indices)
    strides = None if strides is None else shape_tuple(strides)
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
sparsity_rules[slice_p] = Moves()


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    # Zeros around the slice; the stride's gaps become interior padding.
    strides = strides or (1,) * len(start_indices)
    config = []
    for n, lo, k, s in zip(x.aval.shape, start_indices, get_aval(ct).shape, strides):
        span = k + max(k - 1, 0) * (s - 1)
        config.append((lo, n - lo - span, s - 1))
    return [pad(ct, zero_scalar(ct), config)]


def _slice_batch(vals, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = vals, dims
    size = get_aval(x).shape[d]
    starts = start_indices[:d] + (0,) + start_indices[d:]
    limits = limit_indices[:d] + (size,) + limit_indices[d:]
    strides = None if strides is None else strides[:d] + (1,) + strides[d:]
    return slice(x, starts, limits, strides), d


deflinear(slice_p, _slice_transpose)
batch_rules[slice_p] = _slice_batch
identity_tests[slice_p] = lambda eqn: not any(eqn.params["start_indices"]) and eqn.params[
    "strides"] in (None, (1,) * len(eqn.params["strides"] or ()))
explain_notation[slice_p] = Subscript()
