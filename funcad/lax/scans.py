"""``associative_scan`` of ``jax.lax``: all prefix combinations ``fn(...fn(fn(x0, x1),
x2)..., xi)`` of an associative ``fn`` in O(log n) rounds of vectorized calls.

The scheme is the odd/even one: combine neighbouring pairs, scan the half-length result
(a recursion only log2(n) deep, over array lengths, not over a graph), then fill in the
even positions with one more combination. ``fn`` sees whole slices, so it must be
vectorized (elementwise in the scanned axis), and is only ever called as
``fn(earlier, later)``. Every step is a funcad operation: the scan works under every
transform.
"""
from __future__ import annotations

from collections.abc import Callable

from funcad.core.trace import get_aval
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.lax.convenience import slice_in_dim
from funcad.ops import _base as base
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.tree_util import tree_flatten, tree_unflatten


def associative_scan(fn: Callable, elems, reverse: bool = False, axis: int = 0):
    """Inclusive scan of ``elems`` (a pytree of arrays of one length along ``axis``) with
    the associative ``fn``; ``reverse=True`` scans from the end (as ``jax.lax``: the scan
    of the reversed input, reversed)."""
    leaves, tree = tree_flatten(elems)
    if not leaves:
        raise FuncadValueError(with_user_line("associative_scan: elems has no arrays"))
    avals = [get_aval(x) for x in leaves]
    if any(a.ndim == 0 for a in avals):
        raise FuncadValueError(with_user_line(
            "associative_scan: every elems leaf needs the scanned axis (got a scalar)"))
    axes = {int(axis) % a.ndim for a in avals}
    sizes = {a.shape[int(axis) % a.ndim] for a in avals}
    if len(sizes) != 1:
        raise FuncadValueError(with_user_line(
            f"associative_scan: the leaves of elems have different lengths {sorted(sizes)} "
            f"along axis {axis}"))
    if len(axes) != 1:
        raise FuncadValueError(with_user_line(
            "associative_scan: leaves of different ranks need a non-negative axis"))
    ax = axes.pop()

    def combine(a, b):
        out = fn(tree_unflatten(tree, a), tree_unflatten(tree, b))
        out_leaves, out_tree = tree_flatten(out)
        if out_tree != tree:
            raise FuncadTypeError(with_user_line(
                f"associative_scan: fn must return the structure of elems, {tree}, but it "
                f"returns {out_tree}"))
        for x, y in zip(a, out_leaves):
            if get_aval(y).shape != get_aval(x).shape:
                raise FuncadTypeError(with_user_line(
                    f"associative_scan: fn must keep the shapes of its inputs (elementwise "
                    f"along the scanned axis): {get_aval(x).str_short()} became "
                    f"{get_aval(y).str_short()}"))
        return out_leaves

    if reverse:
        leaves = [st.rev(x, (ax,)) for x in leaves]
    out = _scan(combine, leaves, ax)
    if reverse:
        out = [st.rev(x, (ax,)) for x in out]
    return tree_unflatten(tree, out)


def _scan(combine, elems: list, axis: int) -> list:
    n = get_aval(elems[0]).shape[axis]
    if n < 2:
        return elems
    pairs = combine([slice_in_dim(e, 0, n - 1, 2, axis) for e in elems],
                    [slice_in_dim(e, 1, n, 2, axis) for e in elems])
    odd = _scan(combine, pairs, axis)  # results at positions 1, 3, 5, ...
    later = [slice_in_dim(e, 2, n, 2, axis) for e in elems]
    if n % 2 == 0:
        m = get_aval(odd[0]).shape[axis]
        even = combine([slice_in_dim(o, 0, m - 1, 1, axis) for o in odd], later)
    else:
        even = combine(odd, later)
    even = [sl.concatenate([slice_in_dim(e, 0, 1, 1, axis), r], axis)
            for e, r in zip(elems, even)]  # positions 0, 2, 4, ...
    return [_interleave(e, o, axis) for e, o in zip(even, odd)]


def _interleave(a, b, axis: int):
    """``a0 b0 a1 b1 ...`` along ``axis`` (``a`` as long as ``b`` or one longer)."""
    na, nb = get_aval(a).shape[axis], get_aval(b).shape[axis]
    if na > nb:  # pad b with a's last element, then drop it from the result
        b = sl.concatenate([b, slice_in_dim(a, na - 1, na, 1, axis)], axis)
    pair = sl.concatenate([st.expand_dims(a, (axis + 1,)), st.expand_dims(b, (axis + 1,))],
                          axis + 1)
    shape = get_aval(a).shape
    merged = base.reshape(pair, shape[:axis] + (2 * na,) + shape[axis + 1:])
    return merged if na == nb else slice_in_dim(merged, 0, na + nb, 1, axis)


__all__ = ["associative_scan"]
