"""funcad's leading-axes form of gather and scatter, as thin constructors of the general
primitives (``funcad.ops.gather_scatter``, ``funcad.ops.scatter_combine``).

``indices`` has shape ``(*B, k)`` and each row picks a point in the LEADING ``k`` axes of
the operand; the remaining axes come along whole: ``gather(x, idx)[b] == x[tuple(idx[b])]``.
Indices are clamped into range (``mode="clip"``, for the scatters too, so that
``scatter_add`` is exactly ``gather``'s transpose). ``funcad.lax.gather(x, idx)`` without
dimension numbers, and the batching of ``dynamic_slice``, use this form.
"""
from __future__ import annotations

import numpy as np

from funcad.core.trace import get_aval
from funcad.ops import _base as base
from funcad.ops import gather_scatter as gs
from funcad.ops import scatter_combine as sc


def _leading(x, indices) -> tuple[int, int, int]:
    """``(k, batch rank, operand rank)``; the shape rules explain a bad ``indices``."""
    x_aval, i_aval = get_aval(x), get_aval(indices)
    k = i_aval.shape[-1] if i_aval.ndim else 0
    return k, max(i_aval.ndim - 1, 0), x_aval.ndim


def gather_dimension_numbers(k: int, nb: int, ndim: int) -> gs.GatherDimensionNumbers:
    """The general gather of ``x[tuple(idx[b])]`` over the leading ``k`` axes."""
    rest = max(ndim - k, 0)
    return gs.GatherDimensionNumbers(tuple(range(nb, nb + rest)), tuple(range(k)),
                                     tuple(range(k)))


def scatter_dimension_numbers(k: int, nb: int, ndim: int) -> gs.ScatterDimensionNumbers:
    return gs.scatter_dnums_of(gather_dimension_numbers(k, nb, ndim))


def _empty(operand, k: int) -> bool:
    """Whether an indexed axis is empty (the rows then pick nothing)."""
    return any(n == 0 for n in get_aval(operand).shape[:k])


def gather(operand, indices):
    """``out[b] = operand[tuple(indices[b])]`` over the leading ``indices.shape[-1]`` axes
    (zeros where an indexed axis is empty)."""
    k, nb, ndim = _leading(operand, indices)
    shape = get_aval(operand).shape
    if _empty(operand, k):
        out = get_aval(indices).shape[:-1] + tuple(shape[k:])
        return base.broadcast_in_dim(np.zeros((), get_aval(operand).dtype), out, ())
    return gs.gather(operand, indices, gather_dimension_numbers(k, nb, ndim),
                     (1,) * k + tuple(shape[k:]), mode="clip")


def _scatter(general):
    def fn(operand, indices, updates):
        k, nb, ndim = _leading(operand, indices)
        if _empty(operand, k):
            return operand
        return general(operand, indices, updates, scatter_dimension_numbers(k, nb, ndim),
                       mode="clip")

    fn.__name__ = general.__name__
    fn.__doc__ = (f"``{general.__name__}`` at ``indices[b]`` over the leading "
                  "``indices.shape[-1]`` axes (clamped).")
    return fn


scatter = _scatter(gs.scatter)
scatter_add = _scatter(gs.scatter_add)
scatter_mul = _scatter(sc.scatter_mul)
scatter_min = _scatter(sc.scatter_min)
scatter_max = _scatter(sc.scatter_max)

__all__ = ["gather", "gather_dimension_numbers", "scatter", "scatter_add",
           "scatter_dimension_numbers", "scatter_max", "scatter_min", "scatter_mul"]
