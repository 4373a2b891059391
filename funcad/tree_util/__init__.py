"""Pytrees: nested containers whose leaves are arrays, with the semantics of jax.tree_util.

Containers are tuples, lists, dicts (children in sorted key order), ``None`` (no children),
namedtuples, ``OrderedDict``, ``defaultdict``, and classes registered with
``register_pytree_node`` or its decorator forms. The modules: ``keys`` (key path entries,
``keystr``), ``registry`` (node types), ``treedef`` (``PyTreeDef``, flatten and rebuild),
``paths`` (flattening with key paths), ``reductions`` (whole-tree operations), ``classes``
(class registration helpers and ``Partial``).
"""
from __future__ import annotations

from funcad.tree_util.classes import (
    Partial,
    register_dataclass,
    register_pytree_node_class,
    register_pytree_with_keys_class,
    register_static,
)
from funcad.tree_util.keys import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    KeyEntry,
    KeyPath,
    SequenceKey,
    keystr,
)
from funcad.tree_util.paths import (
    flatten_one_level,
    flatten_one_level_with_keys,
    tree_flatten_with_path,
    tree_leaves_with_path,
    tree_map_with_path,
)
from funcad.tree_util.reductions import (
    all_leaves,
    tree_all,
    tree_broadcast,
    tree_reduce,
    tree_reduce_associative,
    tree_transpose,
)
from funcad.tree_util.registry import (
    is_tree_node,
    register_pytree_node,
    register_pytree_with_keys,
)
from funcad.tree_util.treedef import (
    PyTreeDef,
    flatten_up_to,
    leaf_paths,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
    treedef_children,
    treedef_is_leaf,
    treedef_tuple,
)

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "Partial",
    "PyTreeDef",
    "SequenceKey",
    "all_leaves",
    "flatten_one_level",
    "flatten_one_level_with_keys",
    "flatten_up_to",
    "is_tree_node",
    "keystr",
    "leaf_paths",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
    "tree_all",
    "tree_broadcast",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_reduce_associative",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_children",
    "treedef_is_leaf",
    "treedef_tuple",
]
