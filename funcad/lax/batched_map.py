"""``lax.map(f, xs, batch_size=b)``: ``vmap(f)`` on ``len(xs) // b`` batches of ``b``
slices, one batch per loop step, and on the remaining slices once more; the results are
those of ``map(f, xs)``, with ``b`` slices in flight at a time."""
from __future__ import annotations

import numbers

from funcad.core.trace import get_aval
from funcad.errors import FuncadValueError, with_user_line
from funcad.lax.convenience import slice_in_dim
from funcad.ops import _base as base
from funcad.ops import slicing as sl
from funcad.tree_util import tree_flatten, tree_unflatten
from funcad.vmap import vmap


def batched_map(plain_map, f, xs, batch_size):
    """``plain_map(g, xs)`` is the unbatched ``lax.map``."""
    if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise FuncadValueError(with_user_line(
            f"map: batch_size must be a positive int, got {batch_size!r}"))
    leaves, tree = tree_flatten(xs)
    lengths = {get_aval(x).shape[0] if get_aval(x).ndim else None for x in leaves}
    if len(lengths) != 1 or None in lengths:
        raise FuncadValueError(with_user_line(
            "map: the leaves of xs need one common leading axis to map over"))
    n = lengths.pop()
    chunks, rem = divmod(n, int(batch_size))
    vf = vmap(f)
    parts = []
    if chunks:
        main = [base.reshape(slice_in_dim(x, 0, chunks * batch_size, 1, 0),
                             (chunks, batch_size) + get_aval(x).shape[1:]) for x in leaves]
        ys = plain_map(vf, tree_unflatten(tree, main))
        y_leaves, y_tree = tree_flatten(ys)
        parts.append([base.reshape(y, (chunks * batch_size,) + get_aval(y).shape[2:])
                      for y in y_leaves])
    if rem:
        rest = [slice_in_dim(x, chunks * batch_size, n, 1, 0) for x in leaves]
        y_leaves, y_tree = tree_flatten(vf(tree_unflatten(tree, rest)))
        parts.append(y_leaves)
    if len(parts) == 1:
        return tree_unflatten(y_tree, parts[0])
    return tree_unflatten(y_tree, [sl.concatenate([a, b], 0) for a, b in zip(*parts)])


__all__ = ["batched_map"]
