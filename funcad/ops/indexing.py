"""Indexing primitives: ``gather`` and the ``scatter`` family.

One simple, orthogonal form (not XLA's general dimension numbers): ``indices`` has shape
``(*B, k)`` and each row picks a point in the LEADING ``k`` axes of the operand; the
remaining axes come along whole. So ``gather(x, idx)[b] == x[tuple(idx[b])]``. Indices are
clamped into range (as XLA's gather; the scatters clamp too, so that ``scatter_add`` is
exactly ``gather``'s transpose). Batching prepends an iota column to ``indices``.
``funcad.numpy`` normalizes negative indices before binding.

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> JVP ->
transpose -> batching. All are linear in their array operands (``scatter_mul`` in the operand
only), never in ``indices``. ``gather`` and ``scatter_add`` transpose into each other;
``scatter``'s rules follow its last-write-wins rule exactly for repeated indices (traced ones
too); the derivative of ``scatter_mul`` in its updates is exact with zeros and repeats but
needs concrete indices (it raises ``NotImplementedError`` otherwise).
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.dtypes import is_integer
from funcad.core.rules import Moves, batch_rules, jvp_rules, sparsity_rules, transpose_rules
from funcad.core.symbolic import Zero, is_undefined, not_mapped
from funcad.core.trace import get_aval, to_concrete
from funcad.errors import FuncadNotImplementedError
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import logical as lg
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.ops._base import (
    add_tangents,
    axis_size_of,
    bdim_at,
    defjvp,
    instantiate_zeros,
    moveaxis,
    zeros_of,
)
from funcad.ops._shapes import new_primitive, type_error


def _check_indices(prim, avals, operand: ShapedArray, indices: ShapedArray) -> tuple[int, ...]:
    """Checks ``indices`` and returns the batch shape ``B``."""
    if not is_integer(indices.dtype):
        raise type_error(prim, avals, f"indices must be integers, got {indices.dtype.name}")
    if indices.ndim < 1 or indices.shape[-1] > operand.ndim:
        raise type_error(
            prim, avals,
            f"indices must have shape (*B, k) with k <= {operand.ndim} (the operand's rank)",
        )
    return indices.shape[:-1]


def _columns(x: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """The clamped index columns, or ``None`` when an indexed axis is empty."""
    k = indices.shape[-1]
    if any(n == 0 for n in x.shape[:k]):
        return None
    return tuple(np.clip(indices[..., j], 0, x.shape[j] - 1) for j in range(k))


def _out_shape(x, indices) -> tuple[int, ...]:
    return tuple(indices.shape[:-1]) + tuple(x.shape[indices.shape[-1]:])


# --- helpers of the rules -----------------------------------------------------------------

def _aval(x) -> ShapedArray:
    """The type of an operand of a transpose rule (an ``UndefPrimal`` or a value)."""
    return x.aval if is_undefined(x) else get_aval(x)


def _no_index_cotangent(prim, indices) -> None:
    if is_undefined(indices):
        raise NotImplementedError(f"transpose of `{prim}` with respect to its indices")


def _concrete_rows(shape, indices) -> np.ndarray | None:
    """The clamped index rows ``(N, k)`` when ``indices`` is known now, else ``None``."""
    value = to_concrete(indices)
    if value is None:
        return None
    value = np.asarray(value)
    k = value.shape[-1]
    rows = value.reshape(math.prod(value.shape[:-1]), k)
    if any(n == 0 for n in shape[:k]):
        return rows[:0]  # nothing is written
    if k == 0:
        return rows
    return np.stack([np.clip(rows[:, j], 0, shape[j] - 1) for j in range(k)], axis=-1)


def _row_keys(rows: np.ndarray, shape) -> np.ndarray:
    k = rows.shape[-1]
    if k == 0:
        return np.zeros(len(rows), np.intp)
    return np.ravel_multi_index(tuple(rows.T), shape[:k])


def _normalize_index_bdim(indices, bdim: int):
    """Batched indices with the batch axis off the last (``k``) axis."""
    ndim = get_aval(indices).ndim
    if bdim == ndim - 1:
        indices, bdim = moveaxis(indices, bdim, ndim - 2), ndim - 2
    return indices, bdim


def _with_batch_column(indices, bdim: int, size: int):
    """Prepend to each index row the number of its example (the iota along ``bdim``)."""
    aval = get_aval(indices)
    dt = aval.dtype
    if np.iinfo(dt).max < size - 1:
        dt = np.dtype(np.int64)
        indices = base.convert_element_type(indices, dt)
    column = st.broadcasted_iota(dt, aval.shape[:-1] + (1,), bdim)
    return sl.concatenate([column, indices], aval.ndim - 1)


# --- gather -------------------------------------------------------------------------------

def gather(operand, indices):
    """``out[b] = operand[tuple(indices[b])]`` over the leading ``indices.shape[-1]`` axes."""
    return gather_p.bind(operand, indices)


def _gather_impl(x, indices):
    if not is_integer(indices.dtype):
        raise ValueError("bad indices")  # re-checked by the shape rule
    cols = _columns(x, indices)
    if cols is None:
        return np.zeros(_out_shape(x, indices), x.dtype)
    if not cols:  # k == 0: every row picks the whole operand
        return np.broadcast_to(x, _out_shape(x, indices))
    return x[cols]


def _gather_abstract_eval(x, indices):
    batch = _check_indices(gather_p, [x, indices], x, indices)
    return ShapedArray(batch + x.shape[indices.shape[-1]:], x.dtype, x.weak_type)


gather_p = new_primitive("gather", _gather_impl, _gather_abstract_eval)
sparsity_rules[gather_p] = Moves()


def _gather_transpose(ct, x, indices):
    _no_index_cotangent(gather_p, indices)
    return [scatter_add(zeros_of(x.aval.strip_weak_type()), indices, ct), None]


def _gather_batch(vals, dims):
    (x, indices), (xd, idx_d) = vals, dims
    if idx_d is not_mapped:
        # The batch axis of the operand becomes a trailing (whole) axis: no index column.
        k = get_aval(indices).shape[-1]
        if xd < k:
            x, xd = moveaxis(x, xd, k), k
        return gather(x, indices), get_aval(indices).ndim - 1 + xd - k
    indices, idx_d = _normalize_index_bdim(indices, idx_d)
    if xd is not_mapped:  # batch dims of the indices are just more leading dims B
        return gather(x, indices), idx_d
    size = axis_size_of(vals, dims)
    x = moveaxis(x, xd, 0)
    return gather(x, _with_batch_column(indices, idx_d, size)), idx_d


defjvp(gather_p, lambda t, x, indices: gather(t, indices))  # the indices get no tangent
transpose_rules[gather_p] = _gather_transpose
batch_rules[gather_p] = _gather_batch


# --- scatter family -----------------------------------------------------------------------

def _scatter_abstract_eval(prim: str):
    def rule(x, indices, updates):
        avals = [x, indices, updates]
        batch = _check_indices(prim, avals, x, indices)
        expected = batch + x.shape[indices.shape[-1]:]
        if updates.shape != expected:
            raise type_error(prim, avals, f"updates must have shape {expected}")
        if updates.dtype != x.dtype:
            raise type_error(prim, avals, "updates must have the operand's dtype")
        return x

    return rule


def _scatter_batch(prim):
    """vmap of a scatter. Unbatched indices: the batch axis is a trailing (whole) axis of
    operand and updates. Batched indices: the operand gets its batch axis first and each
    index row an iota column, so rows of different examples never collide (and the order of
    rows within an example, which decides ``scatter``'s last write, is kept)."""

    def rule(vals, dims):
        (x, indices, updates), (xd, idx_d, ud) = vals, dims
        size = axis_size_of(vals, dims)
        if idx_d is not_mapped:
            k, nb = get_aval(indices).shape[-1], get_aval(indices).ndim - 1
            if xd is not not_mapped:
                p = xd if xd >= k else k
            else:
                p = k + ud - nb if ud >= nb else k
            x = bdim_at(x, xd, p, size)
            updates = bdim_at(updates, ud, nb + p - k, size)
            return prim.bind(x, indices, updates), p
        indices, idx_d = _normalize_index_bdim(indices, idx_d)
        x = bdim_at(x, xd, 0, size)
        updates = bdim_at(updates, ud, idx_d, size)
        return prim.bind(x, _with_batch_column(indices, idx_d, size), updates), 0

    return rule


def _scatter_impl(apply):
    """``apply(out, cols, updates)`` updates the copy ``out`` in place."""

    def impl(x, indices, updates):
        if updates.dtype != x.dtype or updates.shape != _out_shape(x, indices):
            raise ValueError("bad updates")  # NumPy would broadcast/cast; the rule explains
        out = np.array(x, copy=True)
        cols = _columns(x, indices)
        if cols is None or updates.size == 0:
            return out
        if not cols:  # k == 0: every update row applies to the whole operand
            for u in updates.reshape((-1,) + x.shape):
                apply(out, (), u)
            return out
        apply(out, cols, updates)
        return out

    return impl


def scatter_add(operand, indices, updates):
    """``operand`` with ``updates[b]`` added at ``indices[b]``; duplicates accumulate."""
    return scatter_add_p.bind(operand, indices, updates)


scatter_add_p = new_primitive(
    "scatter_add", _scatter_impl(np.add.at), _scatter_abstract_eval("scatter_add")
)


def _scatter_add_jvp(primals, tangents):
    x, indices, updates = primals
    tx, _, tu = tangents
    ans = scatter_add(x, indices, updates)
    if type(tu) is Zero:
        return ans, Zero.like(ans) if type(tx) is Zero else tx
    return ans, scatter_add(instantiate_zeros(tx), indices, tu)


def _scatter_add_transpose(ct, x, indices, updates):
    _no_index_cotangent(scatter_add_p, indices)
    ct_u = gather(ct, indices) if is_undefined(updates) else None
    return [ct if is_undefined(x) else None, None, ct_u]


jvp_rules[scatter_add_p] = _scatter_add_jvp
transpose_rules[scatter_add_p] = _scatter_add_transpose
batch_rules[scatter_add_p] = _scatter_batch(scatter_add_p)


def scatter_mul(operand, indices, updates):
    """``operand`` multiplied by ``updates[b]`` at ``indices[b]``; duplicates multiply."""
    return scatter_mul_p.bind(operand, indices, updates)


scatter_mul_p = new_primitive(
    "scatter_mul", _scatter_impl(np.multiply.at), _scatter_abstract_eval("scatter_mul")
)


def _others_product(x_shape, indices, updates):
    """For each update, the product of the OTHER updates written to the same position
    (``None`` when no position is written twice). Exact with zeros, and differentiable
    again: the repeats are found in NumPy, so this needs concrete indices."""
    rows = _concrete_rows(x_shape, indices)
    if rows is None:
        raise FuncadNotImplementedError(
            "differentiation of `scatter_mul` with respect to its updates at traced indices "
            "(repeats can only be found from concrete indices; under jit or vmap pass the "
            "indices as constants)"
        )
    n = len(rows)
    if n == 0:
        return None
    keys = _row_keys(rows, x_shape)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    start_sorted = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    count_sorted = np.diff(np.r_[np.nonzero(first)[0], n])[np.cumsum(first) - 1]
    start, count, rank = (np.empty(n, np.intp) for _ in range(3))
    start[order], count[order] = start_sorted, count_sorted
    rank[order] = np.arange(n) - start_sorted
    most = int(count.max())
    if most == 1:
        return None
    u_aval = get_aval(updates)
    rest = u_aval.shape[get_aval(indices).ndim - 1:]
    flat = base.reshape(updates, (n,) + rest)
    one = base.broadcast_in_dim(np.ones((), u_aval.dtype), (1,) + rest, ())
    table = sl.concatenate([flat, one], 0)  # row n is the neutral factor 1
    product = None
    for j in range(most - 1):
        q = j + (j >= rank)  # the j-th other member of the row's group
        member = np.where(q < count, order[np.minimum(start + q, n - 1)], n)
        factor = gather(table, member[:, None])
        product = factor if product is None else ar.mul(product, factor)
    return base.reshape(product, u_aval.shape)


def _scatter_mul_jvp(primals, tangents):
    x, indices, updates = primals
    tx, _, tu = tangents
    ans = scatter_mul(x, indices, updates)
    out = None
    if type(tx) is not Zero:  # linear in the operand
        out = scatter_mul(tx, indices, updates)
    if type(tu) is not Zero:
        # d out[p] = x[p] * sum over updates b at p of tu[b] * (product of the others at p)
        others = _others_product(get_aval(x).shape, indices, updates)
        weighted = tu if others is None else ar.mul(tu, others)
        zeros = zeros_of(get_aval(x).strip_weak_type())
        out = add_tangents(out, ar.mul(x, scatter_add(zeros, indices, weighted)))
    return ans, Zero.like(ans) if out is None else out


def _scatter_mul_transpose(ct, x, indices, updates):
    _no_index_cotangent(scatter_mul_p, indices)
    if is_undefined(updates):
        raise NotImplementedError(
            "transpose of `scatter_mul` with respect to its updates (it is not linear in them)"
        )
    return [scatter_mul(ct, indices, updates), None, None]


jvp_rules[scatter_mul_p] = _scatter_mul_jvp
transpose_rules[scatter_mul_p] = _scatter_mul_transpose
batch_rules[scatter_mul_p] = _scatter_batch(scatter_mul_p)


def scatter(operand, indices, updates):
    """``operand`` with ``updates[b]`` written at ``indices[b]``; for duplicate indices the
    last update wins (NumPy's ``x[idx] = v``)."""
    return scatter_p.bind(operand, indices, updates)


def _set_at(out, cols, updates):
    out[cols] = updates


scatter_p = new_primitive("scatter", _scatter_impl(_set_at), _scatter_abstract_eval("scatter"))
sparsity_rules[scatter_p] = Moves()


def _scatter_jvp(primals, tangents):
    # The tangents are written exactly as the primals: the same last write wins.
    x, indices, updates = primals
    tx, _, tu = tangents
    ans = scatter(x, indices, updates)
    if type(tx) is Zero and type(tu) is Zero:
        return ans, Zero.like(ans)
    return ans, scatter(instantiate_zeros(tx), indices, instantiate_zeros(tu))


def _surviving_writes(x_shape, indices):
    """Boolean ``B``: whether update ``b`` is the one ``scatter`` leaves in place (the last
    write to its position), or ``None`` when no position is written twice. Found by
    scattering the update numbers and gathering them back, so it follows ``scatter``'s own
    rule even for traced indices."""
    rows = _concrete_rows(x_shape, indices)
    if rows is not None:
        keys = _row_keys(rows, x_shape)
        if len(np.unique(keys)) == len(keys):
            return None
    aval = get_aval(indices)
    batch, k = aval.shape[:-1], aval.shape[-1]
    ids = base.reshape(st.iota(np.int64, math.prod(batch)), batch)
    table = base.broadcast_in_dim(np.asarray(-1, np.int64), x_shape[:k], ())
    return lg.eq(gather(scatter(table, indices, ids), indices), ids)


def _scatter_transpose(ct, x, indices, updates):
    _no_index_cotangent(scatter_p, indices)
    u_aval = _aval(updates).strip_weak_type()
    ct_x = ct_u = None
    if is_undefined(x):  # overwritten positions get no cotangent
        ct_x = scatter(ct, indices, zeros_of(u_aval))
    if is_undefined(updates):
        ct_u = gather(ct, indices)
        survives = _surviving_writes(_aval(x).shape, indices)
        if survives is not None:  # overwritten updates get no cotangent
            nb = get_aval(survives).ndim
            mask = base.broadcast_in_dim(survives, u_aval.shape, tuple(range(nb)))
            ct_u = base.select_n(mask, zeros_of(u_aval), ct_u)
    return [ct_x, None, ct_u]


jvp_rules[scatter_p] = _scatter_jvp
transpose_rules[scatter_p] = _scatter_transpose
batch_rules[scatter_p] = _scatter_batch(scatter_p)


# --- scatter_min / scatter_max ------------------------------------------------------------

def scatter_min(operand, indices, updates):
    """``operand`` with ``minimum(operand, updates[b])`` at ``indices[b]``; duplicates
    combine too."""
    return scatter_min_p.bind(operand, indices, updates)


def scatter_max(operand, indices, updates):
    """``operand`` with ``maximum(operand, updates[b])`` at ``indices[b]``; duplicates
    combine too."""
    return scatter_max_p.bind(operand, indices, updates)


scatter_min_p = new_primitive(
    "scatter_min", _scatter_impl(np.minimum.at), _scatter_abstract_eval("scatter_min")
)
scatter_max_p = new_primitive(
    "scatter_max", _scatter_impl(np.maximum.at), _scatter_abstract_eval("scatter_max")
)


def _scatter_extremal_jvp(prim):
    """As JAX's: the tangent at a position is the mean of the tangents of every candidate
    (the operand's element and each update written there) equal to the result. The
    tangent is linear in ``tx``/``tu`` (selects, a ``scatter_add`` and a division by the
    constant count), so reverse mode transposes it."""

    def rule(primals, tangents):
        x, indices, updates = primals
        tx, _, tu = tangents
        ans = prim.bind(x, indices, updates)
        if type(tx) is Zero and type(tu) is Zero:
            return ans, Zero.like(ans)
        x_aval, u_aval = get_aval(x), get_aval(updates)
        dt = x_aval.dtype
        won_x = lg.eq(x, ans)
        won_u = lg.eq(updates, gather(ans, indices))
        one_x, one_u = (base.broadcast_in_dim(np.ones((), dt), a.shape, ())
                        for a in (x_aval, u_aval))
        zero_x, zero_u = zeros_of(x_aval.strip_weak_type()), zeros_of(u_aval.strip_weak_type())
        count = scatter_add(base.select_n(won_x, zero_x, one_x), indices,
                            base.select_n(won_u, zero_u, one_u))
        total = scatter_add(base.select_n(won_x, zero_x, instantiate_zeros(tx)), indices,
                            base.select_n(won_u, zero_u, instantiate_zeros(tu)))
        return ans, ar.div(total, count)

    return rule


jvp_rules[scatter_min_p] = _scatter_extremal_jvp(scatter_min_p)
batch_rules[scatter_min_p] = _scatter_batch(scatter_min_p)
jvp_rules[scatter_max_p] = _scatter_extremal_jvp(scatter_max_p)
batch_rules[scatter_max_p] = _scatter_batch(scatter_max_p)
