"""Structural primitives: squeezing, adding axes, reversing, and ``iota`` (broadcasting,
reshaping and permuting are in ``funcad.ops._base``: the machinery needs them).

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> JVP -> transpose (if linear) -> batching. Every primitive here is
linear in its operand, except ``iota`` (no operands). Batching rules keep the batch axis
where it is whenever the parameters can be shifted around it. Padding, joining and slicing
are in ``funcad.ops.slicing``.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.rules import Moves, batch_rules, identity_tests, sparsity_rules
from funcad.core.symbolic import is_undefined, not_mapped
from funcad.core.trace import get_aval
from funcad.ops._base import defjvp_zero, deflinear, defreducer, shift_axes
from funcad.ops._kernels import defkernel, reshape_kernel
from funcad.ops._shapes import new_primitive, shape_tuple, type_error


def operand_aval(x) -> ShapedArray:
    """The type of an operand of a transpose rule (an ``UndefPrimal`` or a value)."""
    return x.aval if is_undefined(x) else get_aval(x)


def zero_scalar(x):
    """A 0-d zero of ``x``'s dtype (a padding value or a start index)."""
    return np.zeros((), operand_aval(x).dtype)


def zero_start(starts):
    """A zero start index in the dtype of the others (backends want uniform starts)."""
    return zero_scalar(starts[0]) if starts else np.zeros((), np.intp)


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
identity_tests[squeeze_p] = lambda eqn: not eqn.params["dimensions"]
defkernel(squeeze_p, reshape_kernel)


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
sparsity_rules[expand_dims_p] = Moves()


def _expand_dims_batch(vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    ndim_out = get_aval(x).ndim - 1 + len(dimensions)
    kept = [a for a in range(ndim_out) if a not in dimensions]
    # The batch axis goes just before the output axis operand axis d lands on.
    out_d = kept[d] if d < len(kept) else ndim_out
    return expand_dims(x, shift_axes(dimensions, out_d)), out_d


deflinear(expand_dims_p, lambda ct, x, *, dimensions: [squeeze(ct, dimensions)])
batch_rules[expand_dims_p] = _expand_dims_batch
identity_tests[expand_dims_p] = lambda eqn: not eqn.params["dimensions"]
defkernel(expand_dims_p, reshape_kernel)


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
sparsity_rules[rev_p] = Moves()


def _rev_batch(vals, dims, *, dimensions):
    (x,), (d,) = vals, dims
    return rev(x, shift_axes(dimensions, d)), d


deflinear(rev_p, lambda ct, x, *, dimensions: [rev(ct, dimensions)])
batch_rules[rev_p] = _rev_batch
identity_tests[rev_p] = lambda eqn: not eqn.params["dimensions"]
