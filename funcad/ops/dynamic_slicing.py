"""Slices at traced start indices: ``dynamic_slice`` and ``dynamic_update_slice``.

Signatures follow ``jax.lax``. Each primitive is one block: wrapper -> primitive (impl +
shape/dtype rule) -> JVP -> transpose (if linear) -> batching. Both are linear in their
array operands; the start indices get no tangent. Start indices are clamped so the window
fits, as in XLA (``funcad.lax``'s wrappers first count negative ones from the end, as
``jax.lax`` does). Under ``vmap`` with per-example starts the windows become one general
``gather`` (or ``scatter``) of a window per example, as ``jax.vmap`` makes them.
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
from funcad.ops import gather_scatter as gs
from funcad.ops._base import (
    axis_size_of,
    bdim_at,
    defjvp,
    instantiate_zeros,
    moveaxis,
    zeros_of,
)
from funcad.ops._shapes import new_primitive, shape_tuple, type_error
from funcad.ops.slicing import concatenate
from funcad.ops.structural import expand_dims, operand_aval, zero_start


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
# With per-example starts, the windows become one gather (or scatter) of a window per
# example, with every start (shared ones broadcast) in its index vector.


def _start_columns(starts, sds, size, shape):
    """``(B, ndim)`` start indices of each example's window (shared starts broadcast), in
    one integer dtype that holds every start and every position of ``shape``."""
    dtypes = {get_aval(s).dtype for s in starts}
    dt = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.int64)
    if np.iinfo(dt).max < max(shape, default=0):
        dt = np.dtype(np.int64)
    cols = []
    for s, d in zip(starts, sds):
        s = base.convert_element_type(s, dt) if get_aval(s).dtype != dt else s
        cols.append(base.broadcast_in_dim(s, (size, 1), ()) if d is not_mapped
                    else expand_dims(moveaxis(s, d, 0), (1,)))
    return concatenate(cols, 1)


def gather_windows(x, xd, starts, sds, sizes, size):
    """``dynamic_slice`` of each example (batch axis first in the result): one gather of a
    window per example, in XLA's batching-dims form when the operand is batched too (the
    form ``jax.vmap`` gives, whose transpose is a scatter of one window per example). The
    gather's ``"clip"`` mode clamps each window into bounds, as ``dynamic_slice`` does."""
    ndim = len(starts)
    shape = get_aval(x).shape
    idx = _start_columns(starts, sds, size, shape if xd is not_mapped else
                         shape[:xd] + shape[xd + 1:])
    window = tuple(range(1, ndim + 1))
    if xd is not_mapped:
        dn = gs.GatherDimensionNumbers(offset_dims=window, collapsed_slice_dims=(),
                                       start_index_map=tuple(range(ndim)))
        return gs.gather(x, idx, dn, sizes, mode="clip")
    dn = gs.GatherDimensionNumbers(offset_dims=window, collapsed_slice_dims=(),
                                   start_index_map=window, operand_batching_dims=(0,),
                                   start_indices_batching_dims=(0,))
    # One window per example, each in its own batch slice: unique and sorted indices.
    return gs.gather(moveaxis(x, xd, 0), idx, dn, (1, *sizes), mode="clip",
                     unique_indices=True, indices_are_sorted=True)


def scatter_windows(x, xd, update, ud, starts, sds, size):
    """``dynamic_update_slice`` of each example (batch axis first in the result): one
    scatter of a window per example into its own batch slice, the form ``jax.vmap`` gives
    (``"clip"`` clamps each window into bounds, as ``dynamic_update_slice`` does)."""
    x, update = bdim_at(x, xd, 0, size), bdim_at(update, ud, 0, size)
    window = tuple(range(1, len(starts) + 1))
    dn = gs.ScatterDimensionNumbers(update_window_dims=window, inserted_window_dims=(),
                                    scatter_dims_to_operand_dims=window,
                                    operand_batching_dims=(0,),
                                    scatter_indices_batching_dims=(0,))
    idx = _start_columns(starts, sds, size, get_aval(x).shape[1:])
    return gs.scatter(x, idx, update, dn, mode="clip",
                      unique_indices=True, indices_are_sorted=True)
