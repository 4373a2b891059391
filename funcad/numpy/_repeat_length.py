"""``repeat`` with a static ``total_repeat_length``: the output length is fixed, so the
counts may be traced (under ``jit``/``vmap``), as in JAX.

The element taken at output position ``j`` is the number of block starts at or before
``j`` minus one: block starts are the exclusive cumulative sums of the counts, marked by a
scatter-add into ``total_repeat_length`` slots (starts past the end are dropped, so the
output is truncated), and a cumulative sum of the marks is the gather index (positions past
the last start keep the last element). This is JAX's construction, so negative counts give
JAX's numbers too. Differentiable in ``a`` through the gather.
"""
from __future__ import annotations

import operator

import numpy as np

from funcad.core import dtypes
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._at import at_update
from funcad.numpy._core import array_operand, aval, broadcast_to, cast, normalize_axis
from funcad.numpy._indexing import take_along_axis_index
from funcad.ops import _base as base
from funcad.ops import reductions as red
from funcad.ops import slicing as sl


def _error(msg: str) -> FuncadValueError:
    return FuncadValueError(with_user_line(f"repeat: {msg}"))


def repeat_to_length(x, repeats, axis: int | None, total_repeat_length):
    """``x`` (an array operand; raveled when ``axis`` is None) with element ``i`` along
    ``axis`` repeated ``repeats[i]`` times, cut or padded with the last element to exactly
    ``total_repeat_length`` entries."""
    try:
        total = operator.index(total_repeat_length)
    except TypeError:
        raise FuncadTypeError(with_user_line(
            "repeat: total_repeat_length must be a static int, got "
            f"{type(total_repeat_length).__name__}")) from None
    if total < 0:
        raise _error(f"total_repeat_length must be >= 0, got {total}")
    r = array_operand(repeats, "repeat")
    rdt = aval(r).dtype
    if not (rdt == np.bool_ or dtypes.is_integer(rdt)):
        raise FuncadTypeError(with_user_line(f"repeat: repeats must be integers, got {rdt}"))
    r = base.reshape(cast(r, np.int64), (aval(r).size,))
    if axis is None:
        x, axis = base.reshape(x, (aval(x).size,)), 0
    shape = aval(x).shape
    if not shape:
        if aval(r).shape != (1,):
            raise _error("a scalar a needs a scalar repeats")
        return base.broadcast_in_dim(x, (total,), ())
    axis = normalize_axis(axis, len(shape), "repeat")
    n = shape[axis]
    if aval(r).shape not in ((1,), (n,)):
        raise _error(f"repeats of shape {aval(r).shape} do not match axis {axis} of {shape}")
    if total == 0:
        return sl.slice(x, (0,) * len(shape), shape[:axis] + (0,) + shape[axis + 1:])
    if n == 0:
        return x
    r = broadcast_to(r, (n,))
    ends = red.cumsum(r, 0)
    starts = sl.concatenate([np.zeros((1,), np.int64), sl.slice(ends, (0,), (n - 1,))], 0)
    marks = at_update(np.zeros((total,), np.int32), starts, np.ones((), np.int32), "add",
                      "drop")
    index = red.cumsum(marks, 0) - np.ones((), np.int32)
    return take_along_axis_index(x, index, axis, None)


__all__: list[str] = []
