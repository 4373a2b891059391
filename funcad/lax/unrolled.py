"""Unrolling of ``scan`` and ``fori_loop`` (``unroll=k``): the loop body holds ``k``
consecutive steps, so the loop runs ``length // k`` times, and the ``length % k`` steps
left over run in a second, plain loop. The results are those of the rolled loop; what
changes is the staged program (a longer body, fewer iterations), which lets a compiler
such as XLA fuse across steps."""
from __future__ import annotations

import numbers

from funcad.core.trace import get_aval
from funcad.errors import FuncadValueError, with_user_line
from funcad.lax.convenience import index_in_dim, slice_in_dim
from funcad.ops import _base as base
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.tree_util import tree_flatten, tree_unflatten


def unroll_factor(unroll, length: int, construct: str = "scan") -> int:
    """Steps per loop iteration: ``True`` unrolls fully, ``False``/``None``/1 not at all."""
    if unroll is True:
        return max(length, 1)
    if unroll is False or unroll is None:
        return 1
    if isinstance(unroll, numbers.Integral) and unroll >= 1:
        return int(unroll)
    raise FuncadValueError(with_user_line(
        f"{construct}: unroll must be a positive int or a bool, got {unroll!r}"))


def _stack(leaves: list):
    return sl.concatenate([st.expand_dims(x, (0,)) for x in leaves], 0)


def _merge_leading(x):
    shape = get_aval(x).shape
    return base.reshape(x, (shape[0] * shape[1],) + shape[2:])


def unrolled_scan(scan_fn, f, init, xs, length: int, reverse: bool, k: int):
    """``scan_fn(f, init, xs, length, reverse) -> (carry, ys)`` (the rolled scan), run with
    ``k`` steps per iteration."""
    xs_leaves, xs_tree = tree_flatten(xs)
    chunks, rem = divmod(length, k)
    if chunks == 0 or k == 1:
        return scan_fn(f, init, xs, length, reverse)
    main_lo = rem if reverse else 0
    main = [base.reshape(slice_in_dim(x, main_lo, main_lo + chunks * k, 1, 0),
                         (chunks, k) + get_aval(x).shape[1:]) for x in xs_leaves]

    def body(carry, chunk):
        leaves = tree_flatten(chunk)[0]
        ys = [None] * k
        for j in (range(k - 1, -1, -1) if reverse else range(k)):
            x_j = tree_unflatten(xs_tree, [index_in_dim(x, j, 0, keepdims=False)
                                           for x in leaves])
            carry, ys[j] = f(carry, x_j)
        per_step = [tree_flatten(y) for y in ys]
        y_tree = per_step[0][1]
        stacked = [_stack([p[0][i] for p in per_step]) for i in range(len(per_step[0][0]))]
        return carry, tree_unflatten(y_tree, stacked)

    carry, main_ys = scan_fn(body, init, tree_unflatten(xs_tree, main), chunks, reverse)
    y_leaves, y_tree = tree_flatten(main_ys)
    y_leaves = [_merge_leading(y) for y in y_leaves]
    if rem == 0:
        return carry, tree_unflatten(y_tree, y_leaves)
    rest_lo = 0 if reverse else chunks * k
    rest = [slice_in_dim(x, rest_lo, rest_lo + rem, 1, 0) for x in xs_leaves]
    carry, rest_ys = scan_fn(f, carry, tree_unflatten(xs_tree, rest), rem, reverse)
    rest_leaves = tree_flatten(rest_ys)[0]
    parts = [(r, m) if reverse else (m, r) for m, r in zip(y_leaves, rest_leaves)]
    return carry, tree_unflatten(y_tree, [sl.concatenate(list(p), 0) for p in parts])


__all__ = ["unroll_factor", "unrolled_scan"]
