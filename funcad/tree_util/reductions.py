"""Whole-tree operations: reductions, ``tree_all``, ``all_leaves``, ``tree_transpose`` and
``tree_broadcast``, with ``jax.tree_util``'s semantics."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from funcad.errors import FuncadTypeError, FuncadValueError
from funcad.tree_util.treedef import (
    PyTreeDef,
    flatten_up_to,
    tree_flatten,
    tree_leaves,
    tree_structure,
)


class _Unspecified:
    def __repr__(self):
        return "<unspecified>"


_UNSPECIFIED = _Unspecified()


def tree_reduce(function: Callable, tree: Any, initializer: Any = _UNSPECIFIED,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``functools.reduce(function, leaves[, initializer])`` over the leaves in order."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _UNSPECIFIED:
        if not leaves:
            raise FuncadTypeError("tree_reduce: the tree has no leaves and no initializer "
                                  "was given")
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_reduce_associative(operation: Callable, tree: Any, *, identity: Any = _UNSPECIFIED,
                            is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Reduce the leaves with an associative ``operation`` as a balanced tree: the first
    half's result combined with the second half's, as JAX pairs them."""
    leaves = tree_leaves(tree, is_leaf)
    if not leaves:
        if identity is _UNSPECIFIED:
            raise FuncadTypeError("tree_reduce_associative: the tree has no leaves; give "
                                  "identity= for the reduction of an empty sequence")
        return identity
    # Bottom-up over the halving order, without recursion: spans [lo, hi) in post-order.
    results: dict[tuple[int, int], Any] = {}
    stack = [(0, len(leaves), False)]
    while stack:
        lo, hi, expanded = stack.pop()
        if hi - lo == 1:
            results[lo, hi] = leaves[lo]
        elif expanded:
            mid = lo + (hi - lo) // 2
            results[lo, hi] = operation(results.pop((lo, mid)), results.pop((mid, hi)))
        else:
            mid = lo + (hi - lo) // 2
            stack.extend([(lo, hi, True), (mid, hi, False), (lo, mid, False)])
    return results[0, len(leaves)]


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether every leaf is truthy."""
    return all(tree_leaves(tree, is_leaf))


def all_leaves(iterable: Iterable, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether every element of ``iterable`` is a leaf (``None`` is not: it is an empty
    container)."""
    items = list(iterable)
    leaves = tree_leaves(items, is_leaf)
    return len(leaves) == len(items) and all(a is b for a, b in zip(items, leaves, strict=True))


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """Turn a tree of structure ``outer.compose(inner)`` into one of ``inner.compose(outer)``;
    ``inner_treedef=None`` takes the structure of the first outer leaf."""
    for name, td in (("outer_treedef", outer_treedef), ("inner_treedef", inner_treedef)):
        if not (isinstance(td, PyTreeDef) or (td is None and name == "inner_treedef")):
            raise FuncadTypeError(f"tree_transpose: {name} must be a PyTreeDef, got "
                                  f"{type(td).__name__}")
    flat, treedef = tree_flatten(pytree_to_transpose)
    if inner_treedef is None:
        subtrees = flatten_up_to(outer_treedef, pytree_to_transpose, "tree_transpose")
        if not subtrees:
            raise FuncadValueError("tree_transpose: inner_treedef=None needs an outer "
                                   f"structure with leaves, got {outer_treedef}")
        inner_treedef = tree_structure(subtrees[0])
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise FuncadTypeError(
            f"tree_transpose: the tree's structure {treedef} is not the outer structure "
            f"composed with the inner one, {expected} (outer {outer_treedef}, inner "
            f"{inner_treedef})")
    n_in, n_out = inner_treedef.num_leaves, outer_treedef.num_leaves
    rows = [flat[i * n_in:(i + 1) * n_in] for i in range(n_out)]
    return inner_treedef.unflatten(outer_treedef.unflatten(col) for col in zip(*rows))


def tree_broadcast(prefix_tree: Any, full_tree: Any,
                   is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``full_tree``'s structure, each leaf the leaf of ``prefix_tree`` above it."""
    prefix_leaves, prefix_def = tree_flatten(prefix_tree, is_leaf)
    subtrees = flatten_up_to(prefix_def, full_tree, "tree_broadcast")
    out = []
    for x, sub in zip(prefix_leaves, subtrees, strict=True):
        out.extend([x] * tree_structure(sub).num_leaves)
    return tree_structure(full_tree).unflatten(out)


__all__ = ["all_leaves", "tree_all", "tree_broadcast", "tree_reduce",
           "tree_reduce_associative", "tree_transpose"]
