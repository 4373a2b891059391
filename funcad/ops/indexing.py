"""Indexing primitives: ``gather`` and the ``scatter`` family.

One simple, orthogonal form (not XLA's general dimension numbers): ``indices`` has shape
``(*B, k)`` and each row picks a point in the LEADING ``k`` axes of the operand; the
remaining axes come along whole. So ``gather(x, idx)[b] == x[tuple(idx[b])]``. Indices are
clamped into range (as XLA's gather; the scatters clamp too, so that ``scatter_add`` is
exactly ``gather``'s transpose). Batching prepends an iota column to ``indices``.
``funcad.numpy`` normalizes negative indices before binding.

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> rules.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.ops._definers import new_primitive, type_error


def _check_indices(prim, avals, operand: ShapedArray, indices: ShapedArray) -> tuple[int, ...]:
    """Checks ``indices`` and returns the batch shape ``B``."""
    if indices.dtype.kind not in "iu":
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


# --- gather -------------------------------------------------------------------------------

def gather(operand, indices):
    """``out[b] = operand[tuple(indices[b])]`` over the leading ``indices.shape[-1]`` axes."""
    return gather_p.bind(operand, indices)


def _gather_impl(x, indices):
    if indices.dtype.kind not in "iu":
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


def scatter_mul(operand, indices, updates):
    """``operand`` multiplied by ``updates[b]`` at ``indices[b]``; duplicates multiply."""
    return scatter_mul_p.bind(operand, indices, updates)


scatter_mul_p = new_primitive(
    "scatter_mul", _scatter_impl(np.multiply.at), _scatter_abstract_eval("scatter_mul")
)


def scatter(operand, indices, updates):
    """``operand`` with ``updates[b]`` written at ``indices[b]``; for duplicate indices the
    last update wins (NumPy's ``x[idx] = v``)."""
    return scatter_p.bind(operand, indices, updates)


def _set_at(out, cols, updates):
    out[cols] = updates


scatter_p = new_primitive("scatter", _scatter_impl(_set_at), _scatter_abstract_eval("scatter"))
