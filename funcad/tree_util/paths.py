"""Flattening with key paths (``tree_flatten_with_path`` and friends) and one-level
flattening, as in ``jax.tree_util``.

Paths are tuples of ``SequenceKey``/``DictKey``/``GetAttrKey``/``FlattenedIndexKey``; this
walk is separate from ``tree_flatten``'s so that the ``jit`` hot path builds no keys.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from funcad.errors import FuncadValueError
from funcad.tree_util.registry import keyed_node_of, node_of
from funcad.tree_util.treedef import _LEAF, PyTreeDef, flatten_up_to


def tree_flatten_with_path(
    tree: Any, is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False,
) -> tuple[list[tuple[tuple, Any]], PyTreeDef]:
    """``([(key_path, leaf), ...], treedef)``; the treedef is ``tree_flatten``'s.
    ``is_leaf(x)``, or ``is_leaf(key_path, x)`` with ``is_leaf_takes_path=True``."""
    out: list = []
    td = _flatten_with_path_into(tree, (), out, is_leaf, is_leaf_takes_path)
    return out, td


def _flatten_with_path_into(x, path: tuple, out: list, is_leaf, takes_path: bool) -> PyTreeDef:
    if is_leaf is not None and (is_leaf(path, x) if takes_path else is_leaf(x)):
        out.append((path, x))
        return _LEAF
    node = keyed_node_of(x)
    if node is None:
        out.append((path, x))
        return _LEAF
    node_type, aux, pairs = node
    return PyTreeDef(node_type, aux, [
        _flatten_with_path_into(c, (*path, k), out, is_leaf, takes_path) for k, c in pairs])


def tree_leaves_with_path(
    tree: Any, is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False,
) -> list[tuple[tuple, Any]]:
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(
    f: Callable, tree: Any, *rest: Any, is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> Any:
    """``f(key_path, leaf, *leaves_of_rest)`` at each leaf of ``tree``."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = [flatten_up_to(treedef, r, "tree_map_with_path") for r in rest]
    return treedef.unflatten(
        f(p, x, *xs) for (p, x), *xs in zip(pairs, *others, strict=True))


def flatten_one_level(tree: Any) -> tuple[Iterable, Hashable]:
    """``(children, aux_data)`` of a container; a leaf raises."""
    node = node_of(tree)
    if node is None:
        raise FuncadValueError(f"flatten_one_level: can't tree-flatten a leaf of type "
                               f"{type(tree).__name__}")
    return tuple(node[2]), node[1]


def flatten_one_level_with_keys(tree: Any) -> tuple[Iterable, Hashable]:
    """``(((key, child), ...), aux_data)`` of a container; a leaf raises."""
    node = keyed_node_of(tree)
    if node is None:
        raise FuncadValueError(f"flatten_one_level_with_keys: can't tree-flatten a leaf of "
                               f"type {type(tree).__name__}")
    return tuple(node[2]), node[1]


__all__ = ["flatten_one_level", "flatten_one_level_with_keys", "tree_flatten_with_path",
           "tree_leaves_with_path", "tree_map_with_path"]
