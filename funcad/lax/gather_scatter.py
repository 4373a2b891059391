"""``funcad.lax``'s gather and scatter family: the general primitives of
``funcad.ops.gather_scatter`` with JAX's dimension numbers; called without them
(``gather(operand, indices)``) they build the dimension numbers of funcad's leading-axes
form (``funcad.ops.indexing``), where ``indices[..., k]`` picks a point of the first ``k``
axes."""
from __future__ import annotations

import numpy as np

from funcad.core.trace import get_aval, to_concrete
from funcad.errors import FuncadNotImplementedError, FuncadTypeError, with_user_line
from funcad.ops import _base as base
from funcad.ops import gather_scatter as gs
from funcad.ops import indexing as simple
from funcad.ops import logical as lg
from funcad.ops import scatter_combine as sc
from funcad.ops.gather_scatter import GatherDimensionNumbers, ScatterDimensionNumbers

GatherScatterMode = type("GatherScatterMode", (), {
    "CLIP": "clip", "FILL_OR_DROP": "fill", "PROMISE_IN_BOUNDS": "promise_in_bounds",
    "__doc__": "The ``mode`` names of jax.lax (strings work as well)."})


def gather(operand, start_indices, dimension_numbers=None, slice_sizes=None, *,
           unique_indices=False, indices_are_sorted=False, mode=None, fill_value=None):
    """XLA's gather with JAX's dimension numbers (or, without them, funcad's leading-axes
    form)."""
    if dimension_numbers is None and slice_sizes is None:
        return simple.gather(operand, start_indices)
    if dimension_numbers is None or slice_sizes is None:
        raise FuncadTypeError(with_user_line(
            "gather: give both dimension_numbers and slice_sizes (or neither)"))
    return gs.gather(operand, start_indices, dimension_numbers, slice_sizes,
                     unique_indices=unique_indices, indices_are_sorted=indices_are_sorted,
                     mode=mode, fill_value=fill_value)


def _scatter(general, leading):
    def fn(operand, scatter_indices, updates, dimension_numbers=None, *,
           indices_are_sorted=False, unique_indices=False, mode=None):
        if dimension_numbers is None:
            if leading is None:
                raise FuncadTypeError(with_user_line(
                    f"{general.__name__}: dimension_numbers is required"))
            return leading(operand, scatter_indices, updates)
        return general(operand, scatter_indices, updates, dimension_numbers,
                       indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                       mode=mode)

    fn.__name__ = general.__name__
    fn.__doc__ = general.__doc__
    return fn


scatter = _scatter(gs.scatter, simple.scatter)
scatter_add = _scatter(gs.scatter_add, simple.scatter_add)
scatter_mul = _scatter(sc.scatter_mul, simple.scatter_mul)
scatter_min = _scatter(sc.scatter_min, simple.scatter_min)
scatter_max = _scatter(sc.scatter_max, simple.scatter_max)


def scatter_apply(operand, scatter_indices, func, dimension_numbers, *, update_shape=(),
                  indices_are_sorted=False, unique_indices=False, mode=None):
    """``func`` applied to the elements of ``operand`` in the scatter's windows, once per
    update that reaches them (as XLA's combiner): ``update_shape`` is the shape the updates
    would have."""
    dt = np.dtype(np.int32)
    shape = get_aval(operand).shape
    indices = to_concrete(scatter_indices)
    if indices is not None:  # count the updates reaching each element now
        params = {"dimension_numbers": gs.ScatterDimensionNumbers(*(
            tuple(int(a) for a in f) for f in dimension_numbers)), "mode": gs.canonical_mode(mode),
            "unique_indices": False, "indices_are_sorted": False}
        count = gs.scatter_add_p.impl(np.zeros(shape, dt), np.asarray(indices),
                                      np.ones(tuple(update_shape), dt), **params)
        rounds = int(count.max(initial=0))
    elif unique_indices:
        ones = base.broadcast_in_dim(np.ones((), dt), tuple(update_shape), ())
        count = gs.scatter_add(base.broadcast_in_dim(np.zeros((), dt), shape, ()),
                               scatter_indices, ones, dimension_numbers, unique_indices=True,
                               mode=mode)
        rounds = 1
    else:
        raise FuncadNotImplementedError(
            "scatter_apply with traced, possibly repeated indices (pass unique_indices=True)")
    out = operand
    for i in range(int(rounds)):
        reached = lg.gt(count, base.broadcast_in_dim(np.asarray(i, dt), shape, ()))
        out = base.select_n(reached, out, func(out))
    return out


__all__ = ["GatherDimensionNumbers", "GatherScatterMode", "ScatterDimensionNumbers", "gather",
           "scatter", "scatter_add", "scatter_apply", "scatter_max", "scatter_min",
           "scatter_mul"]
