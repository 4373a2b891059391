"""Slices at traced start indices: ``dynamic_slice`` and ``dynamic_update_slice``.

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> JVP -> transpose (if linear) -> batching. Both are linear in their
array operands; the start indices get no tangent. Start indices are clamped so the window
fits, as in XLA. Under ``vmap`` with per-example starts the windows become a ``gather``
(or a ``scatter``) of ``funcad.ops.indexing``.
"""
from __future__ import annotations

import builtins

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.dtypes import is_integer
from funcad.core.rules import (
    Moves,
    batch_rules,
    identity_tests,
    jvp_rules,
    sparsity_rules,
    transpose_rules,
)
from funcad.core.symbolic import Zero, is_undefined, not_mapped
from funcad.core.trace import get_aval
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops._base import (
    axis_size_of,
    bdim_at,
    defjvp,
    instantiate_zeros,
    moveaxis,
    zeros_of,
)
from funcad.ops._shapes import new_primitive, shape_tuple, type_error
from funcad.ops.indexing import gather, scatter
from funcad.ops.slicing import concatenate
from funcad.ops.structural import broadcasted_iota, expand_dims, operand_aval, zero_start


def _check_linear_only(prim, operands, what: str) -> None:
    """Transpose rules of primitives linear in some operands only."""
    if any(is_undefined(x) for x in operands):
        raise NotImplementedError(
            f"transpose of `{prim}` with respect to its {what} (it is not linear in them)"
        )


# --- dynamic_slice ------------------------------------------------------------------------

def _clamped_starts(starts, shape, sizes) -> list[int]:
    """XLA clamps start indices so that the window stays inside the operand."""
    return [int(np.clip(int(s), 0, n - k)) for s, n, k in zip(starts, shape, sizes)]


def _valid_starts(starts, ndim: int) -> bool:
    return len(starts) == ndim and all(s.ndim == 0 and is_integer(s.dtype) for s in starts)


def _check_starts(prim, avals, starts, ndim: int) -> None:
    if len(starts) != ndim:
        raise type_error(
            prim, avals, f"needs {ndim} start indices, one per axis, got {len(starts)}"
        )
    for s in starts:
        if s.shape != () or not is_integer(s.dtype):
            raise type_error(prim, avals, "start indices must be integer scalars")


def dynamic_slice(operand, start_indices, slice_sizes):
    """``operand[s0:s0+k0, ...]`` with (possibly traced) scalar starts, clamped in bounds."""
    sizes = shape_tuple(slice_sizes)
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
sparsity_rules[dynamic_slice_p] = Moves()


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

    return gather_windows(x, xd, starts, sds, slice_sizes, size), 0


defjvp(
    dynamic_slice_p,
    lambda t, x, *starts, slice_sizes: dynamic_slice(t, starts, slice_sizes),
)  # the start indices get no tangent
transpose_rules[dynamic_slice_p] = _dynamic_slice_transpose
batch_rules[dynamic_slice_p] = _dynamic_slice_batch
identity_tests[dynamic_slice_p] = lambda eqn: True  # when the slice is the whole operand


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
sparsity_rules[dynamic_update_slice_p] = Moves()


def _dynamic_update_slice_jvp(primals, tangents):
    x, update, *starts = primals
    tx, tu = tangents[:2]
    ans = dynamic_update_slice(x, update, starts)
    if type(tx) is Zero and type(tu) is Zero:
        return ans, Zero.like(ans)
    return ans, dynamic_update_slice(instantiate_zeros(tx), instantiate_zeros(tu), starts)


def _dynamic_update_slice_transpose(ct, x, update, *starts):
    _check_linear_only(dynamic_update_slice_p, starts, "start indices")
    u_aval = operand_aval(update).strip_weak_type()
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

    return scatter_windows(x, xd, update, ud, starts, sds, size), 0


jvp_rules[dynamic_update_slice_p] = _dynamic_update_slice_jvp
transpose_rules[dynamic_update_slice_p] = _dynamic_update_slice_transpose
batch_rules[dynamic_update_slice_p] = _dynamic_update_slice_batch


# --- windows at batched start indices (vmap of dynamic_slice / dynamic_update_slice) -------
#
# With per-example starts, the windows become a gather (or a scatter) over the axes whose
# starts are batched; axes with shared starts are cut out first by one dynamic_slice.


def _window_plan(shape, starts, sds, sizes):
    """``(batched_axes, other_axes, pre_starts, pre_sizes)``: the shared-start window of
    every axis (batched-start axes are kept whole)."""
    batched = [j for j, d in enumerate(sds) if d is not not_mapped]
    others = [j for j, d in enumerate(sds) if d is not_mapped]
    shared = [s for s, d in zip(starts, sds) if d is not_mapped]
    zero = zero_start(shared)
    pre_starts = [zero if d is not not_mapped else s for s, d in zip(starts, sds)]
    pre_sizes = [n if d is not not_mapped else k for n, k, d in zip(shape, sizes, sds)]
    return batched, others, pre_starts, pre_sizes


def _window_indices(starts, sds, axes, shape, sizes, size, batch_column: bool):
    """Indices ``(B, *window, c)`` of every element of each example's window along ``axes``
    (starts clamped as dynamic_slice clamps them), after an iota column over the batch."""
    dtypes = {get_aval(starts[j]).dtype for j in axes}
    dt = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.int64)
    if np.iinfo(dt).max < max([size, *shape]):
        dt = np.dtype(np.int64)
    full = (size,) + tuple(sizes[j] for j in axes)
    cols = [broadcasted_iota(dt, full, 0)] if batch_column else []
    for pos, j in enumerate(axes):
        s = moveaxis(starts[j], sds[j], 0)
        if get_aval(s).dtype != dt:
            s = base.convert_element_type(s, dt)
        s = ar.min(ar.max(s, 0), shape[j] - sizes[j])
        offsets = broadcasted_iota(dt, full, 1 + pos)
        cols.append(ar.add(base.broadcast_in_dim(s, full, (0,)), offsets))
    return concatenate([expand_dims(c, (len(full),)) for c in cols], len(full))


def gather_windows(x, xd, starts, sds, sizes, size):
    """``dynamic_slice`` of each example (batch axis first in the result)."""
    shape = get_aval(x).shape if xd is not_mapped else None
    lead = []
    if xd is not not_mapped:
        x = moveaxis(x, xd, 0)
        shape = get_aval(x).shape[1:]
        lead = [0]
    axes, others, pre_starts, pre_sizes = _window_plan(shape, starts, sds, sizes)
    if list(pre_sizes) != list(shape):
        if lead:
            pre_starts, pre_sizes = [zero_start(pre_starts)] + pre_starts, [size] + pre_sizes
        x = dynamic_slice(x, pre_starts, pre_sizes)
    order = axes + others
    x = base.transpose(x, lead + [len(lead) + j for j in order])
    indices = _window_indices(starts, sds, axes, shape, sizes, size, bool(lead))
    out = gather(x, indices)  # (B, *window along axes, *window along others)
    return base.transpose(out, (0,) + tuple(1 + order.index(j) for j in range(len(shape))))


def scatter_windows(x, xd, update, ud, starts, sds, size):
    """``dynamic_update_slice`` of each example (batch axis first in the result)."""
    x, update = bdim_at(x, xd, 0, size), bdim_at(update, ud, 0, size)
    shape, sizes = get_aval(x).shape[1:], get_aval(update).shape[1:]
    axes, others, pre_starts, pre_sizes = _window_plan(shape, starts, sds, sizes)
    pre_starts = [zero_start(pre_starts)] + pre_starts
    whole = list(pre_sizes) == list(shape)
    region = x if whole else dynamic_slice(x, pre_starts, [size] + pre_sizes)
    perm = [0] + [1 + j for j in axes + others]
    indices = _window_indices(starts, sds, axes, shape, sizes, size, True)
    # Rows never repeat (distinct examples or window offsets), so `scatter` is exact.
    new = scatter(base.transpose(region, perm), indices, base.transpose(update, perm))
    new = base.transpose(new, base.inverse_perm(perm))
    return new if whole else dynamic_update_slice(x, new, pre_starts)
