"""NumPy computation of the general gather and scatters (``funcad.ops.gather_scatter``):
for one signature (shapes, dimension numbers, mode) a runner ``(x, idx[, upd]) -> out`` is
planned once and reused by the eager implementation (cached) and the NumPy executor.

Two plans. *Points*, the form NumPy indexing produces: every operand axis is either picked
at one index per batch position (an index-vector entry, collapsed, or a batching axis)
or taken whole. That is NumPy's own advanced indexing, ``x[..., cols, ...]`` (``np.take``
for one axis) and ``np.add.at(out, cols, u)``, followed by one transpose into the
dimension numbers' layout. *Windows*, anything else (windows of more than one element
along an indexed axis): one index array per operand axis spanning ``B + K``.

Out-of-bounds starts follow ``mode``: ``"clip"`` clamps; ``"fill"`` reads ``fill`` and
drops the update; ``"promise"`` clamps gathers and drops updates (what XLA does).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


def gather_window(operand_shape, collapsed, slice_sizes) -> list:
    """Window sizes per operand axis, with ``-1`` marking collapsed axes."""
    return [-1 if d in collapsed else slice_sizes[d] for d in range(len(operand_shape))]


class Points(NamedTuple):
    """A point plan: ``axes`` (ascending) are indexed by ``sources`` (``j >= 0``: entry ``j``
    of the index vector; ``-1 - a``: the iota of batch axis ``a``), ``rest`` are whole.
    ``numpy_order[p]`` names the canonical axis (``B`` then ``rest``) that NumPy's indexing
    puts at ``p``, for ``nb`` batch axes and for one (filtered) batch axis."""

    axes: tuple
    sources: tuple
    sizes: tuple
    rest: tuple
    nb: int
    numpy_order: tuple
    numpy_order_flat: tuple


def _numpy_order(axes, n_rest: int, nb: int) -> tuple:
    """NumPy's placement: batch axes replace adjacent indexed axes, else go first."""
    rest = [nb + q for q in range(n_rest)]
    if list(axes) == list(range(axes[0], axes[0] + len(axes))):
        i0 = axes[0]  # every axis before the first indexed one is a whole axis
        return tuple(rest[:i0] + list(range(nb)) + rest[i0:])
    return tuple(list(range(nb)) + rest)


def point_plan(x_shape, nb: int, window, mapped, batching, idx_batching) -> Points | None:
    """The point plan of an indexing, or ``None`` when some window is partial."""
    if len(set(mapped)) != len(mapped):
        return None
    axes, sources, rest = [], [], []
    for d, n in enumerate(x_shape):
        if d in batching:
            axes.append(d)
            sources.append(-1 - idx_batching[batching.index(d)])
        elif d in mapped:
            if window[d] != -1:
                return None
            axes.append(d)
            sources.append(mapped.index(d))
        elif window[d] == n:
            rest.append(d)
        else:
            return None
    if not any(s >= 0 for s in sources):
        return None
    return Points(tuple(axes), tuple(sources), tuple(x_shape[d] for d in axes), tuple(rest),
                  nb, _numpy_order(axes, len(rest), nb), _numpy_order(axes, len(rest), 1))


def _columns(plan: Points, idx: np.ndarray, clamp: bool):
    """One index array per indexed axis (broadcasting to ``B``), and the in-bounds mask of
    the batch positions (``None`` when clamped or all in bounds)."""
    cols, inbounds = [], None
    for s, n in zip(plan.sources, plan.sizes):
        if s < 0:
            a = -1 - s
            cols.append(np.arange(idx.shape[a]).reshape(
                [-1 if t == a else 1 for t in range(plan.nb)]))
            continue
        c = idx[..., s]
        if clamp:
            c = np.clip(c, 0, n - 1)
        else:
            ok = (c >= 0) & (c < n)
            inbounds = ok if inbounds is None else inbounds & ok
        cols.append(c)
    if inbounds is not None and inbounds.all():
        inbounds = None
    return cols, inbounds


def _index(plan: Points, ndim: int, cols) -> tuple:
    index = [slice(None)] * ndim
    for d, c in zip(plan.axes, cols):
        index[d] = c
    return tuple(index)


def _inverse(perm) -> list:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return inv


def _perm_or_none(perm) -> tuple | None:
    return None if list(perm) == list(range(len(perm))) else tuple(perm)


# --- gather -----------------------------------------------------------------------------------

def gather_runner(x_shape, idx_shape, dn, slice_sizes, out_shape, mode: str, fill):
    """``(x, idx) -> out`` for one gather signature; ``fill`` is the value out-of-bounds
    reads give in ``"fill"`` mode."""
    nb = len(idx_shape) - 1
    window = gather_window(x_shape, dn.collapsed_slice_dims, slice_sizes)
    if math.prod(out_shape) == 0:
        return lambda x, idx: np.zeros(out_shape, x.dtype)
    plan = point_plan(x_shape, nb, window, dn.start_index_map, dn.operand_batching_dims,
                      dn.start_indices_batching_dims)
    if plan is None:
        return _gather_windows(x_shape, window, dn, mode, fill)
    # canonical (B + rest) axis at each output position, then where NumPy put it
    offsets = iter(range(nb, nb + len(plan.rest)))
    batches = iter(range(nb))
    out_order = [next(offsets) if p in dn.offset_dims else next(batches)
                 for p in range(len(out_shape))]
    inv = _inverse(plan.numpy_order)
    perm = _perm_or_none([inv[c] for c in out_order])
    mask_shape = tuple(idx_shape[c] if c < nb else 1 for c in plan.numpy_order)
    take_axis = plan.axes[0] if len(plan.axes) == 1 else None
    ndim = len(x_shape)

    def run(x, idx):
        if take_axis is not None and mode != "fill":
            g = np.take(x, idx[..., 0], axis=take_axis, mode="clip")
        else:
            cols, inbounds = _columns(plan, idx, clamp=mode != "fill")
            if inbounds is not None:
                cols = [c if s < 0 else np.clip(c, 0, n - 1)
                        for c, s, n in zip(cols, plan.sources, plan.sizes)]
            g = x[_index(plan, ndim, cols)]
            if inbounds is not None:
                g = np.where(inbounds.reshape(mask_shape), g, np.asarray(fill, x.dtype))
        return g if perm is None else g.transpose(perm)

    return run


def _window_index(x_shape, idx, window, mapped, batching, idx_batching):
    """Index arrays (one per operand axis, broadcasting to ``B + K``, ``K`` the sizes of the
    kept window axes) of every window element, and the in-bounds mask of each batch
    position."""
    batch = idx.shape[:-1]
    nb = len(batch)
    kept = [d for d in range(len(x_shape)) if d not in batching and window[d] != -1]
    sizes = [window[d] for d in kept]
    inbounds = np.ones(batch, bool)
    arrays = []
    for d in range(len(x_shape)):
        if d in batching:
            ax = idx_batching[batching.index(d)]
            arr = np.arange(batch[ax]).reshape([-1 if a == ax else 1 for a in range(nb)])
        elif d in mapped:
            s = idx[..., mapped.index(d)].astype(np.int64)
            hi = x_shape[d] - max(window[d], 1)
            inbounds &= (s >= 0) & (s <= hi)
            arr = np.clip(s, 0, max(hi, 0))
        else:
            arr = np.zeros((1,) * nb, np.int64)
        arr = arr.reshape(arr.shape + (1,) * len(sizes))
        if d in kept:
            p = kept.index(d)
            arr = arr + np.arange(sizes[p]).reshape([-1 if q == p else 1 for q in
                                                     range(len(sizes))])
        arrays.append(arr)
    return arrays, inbounds, tuple(sizes)


def _to_output(full: np.ndarray, nb: int, offset_dims) -> np.ndarray:
    """``B + K`` axes -> output order (``K`` axes at ``offset_dims``, ``B`` in the rest)."""
    ndim = full.ndim
    batch_axes = iter(range(nb))
    offset_axes = iter(range(nb, ndim))
    perm = [next(offset_axes) if p in offset_dims else next(batch_axes) for p in range(ndim)]
    return np.transpose(full, perm)


def _gather_windows(x_shape, window, dn, mode, fill):
    def run(x, idx):
        arrays, inbounds, sizes = _window_index(
            x_shape, idx, window, dn.start_index_map, dn.operand_batching_dims,
            dn.start_indices_batching_dims)
        full = np.broadcast_to(x[tuple(arrays)], idx.shape[:-1] + sizes)
        if mode == "fill" and not inbounds.all():
            mask = inbounds.reshape(inbounds.shape + (1,) * len(sizes))
            full = np.where(mask, full, np.asarray(fill, x.dtype))
        return np.ascontiguousarray(_to_output(full, idx.ndim - 1, dn.offset_dims))

    return run


# --- scatters ---------------------------------------------------------------------------------

def scatter_runner(x_shape, idx_shape, upd_shape, dn, mode: str, apply):
    """``(x, idx, upd) -> out`` for one scatter signature: ``apply(out, index, u)`` combines
    ``u`` into ``out[index]`` in place."""
    nb = len(idx_shape) - 1
    scatter_axes = [a for a in range(len(upd_shape)) if a not in dn.update_window_dims]
    canonical = scatter_axes + list(dn.update_window_dims)  # updates' axes as B + rest
    slice_sizes = _slice_sizes(x_shape, upd_shape, dn)
    window = gather_window(x_shape, dn.inserted_window_dims, slice_sizes)
    plan = point_plan(x_shape, nb, window, dn.scatter_dims_to_operand_dims,
                      dn.operand_batching_dims, dn.scatter_indices_batching_dims)
    if math.prod(upd_shape) == 0:
        return lambda x, idx, upd: np.array(x, copy=True)
    if plan is None:
        return _scatter_windows(x_shape, window, dn, mode, apply, canonical)
    perm = _perm_or_none([canonical[c] for c in plan.numpy_order])
    flat_perm = _perm_or_none(plan.numpy_order_flat)
    rest_shape = tuple(upd_shape[a] for a in dn.update_window_dims)
    batch_shape = tuple(idx_shape[:-1])
    ndim = len(x_shape)

    def run(x, idx, upd):
        out = np.array(x, copy=True)
        cols, inbounds = _columns(plan, idx, clamp=mode == "clip")
        if inbounds is None:
            u = upd if perm is None else upd.transpose(perm)
        else:  # drop the updates of out-of-bounds starts
            keep = inbounds.ravel()
            cols = [np.broadcast_to(c, batch_shape).reshape(-1)[keep] for c in cols]
            u = upd.transpose(canonical).reshape((-1,) + rest_shape)[keep]
            u = u if flat_perm is None else u.transpose(flat_perm)
        apply(out, _index(plan, ndim, cols), u)
        return out

    return run


def _slice_sizes(x_shape, upd_shape, dn) -> tuple:
    windows = iter(upd_shape[a] for a in dn.update_window_dims)
    return tuple(1 if d in dn.inserted_window_dims or d in dn.operand_batching_dims
                 else next(windows) for d in range(len(x_shape)))


def _scatter_windows(x_shape, window, dn, mode, apply, canonical):
    def run(x, idx, upd):
        arrays, inbounds, _ = _window_index(
            x_shape, idx, window, dn.scatter_dims_to_operand_dims, dn.operand_batching_dims,
            dn.scatter_indices_batching_dims)
        out = np.array(x, copy=True)
        u = np.transpose(upd, canonical)  # B + K
        arrays = [np.broadcast_to(a, u.shape) for a in arrays]
        if mode != "clip" and not inbounds.all():
            arrays = [a[inbounds] for a in arrays]
            u = u[inbounds]
        elif idx.ndim == 1:
            arrays = [a[None] for a in arrays]
            u = u[None]
        apply(out, tuple(arrays), u)
        return out

    return run


def set_at(out, index, u):
    out[index] = u  # NumPy assigns repeated positions in order: the last update wins


def add_distinct(out, index, u):
    out[index] += u


__all__ = ["Points", "add_distinct", "gather_runner", "gather_window", "point_plan",
           "scatter_runner", "set_at"]
