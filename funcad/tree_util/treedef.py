"""``PyTreeDef`` (a pytree's structure without its leaves), flattening and rebuilding.

``tree_flatten`` runs on every ``jit`` call, so it stays a tight loop over the registry.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from funcad.errors import FuncadTypeError, FuncadValueError
from funcad.tree_util.keys import keystr
from funcad.tree_util.registry import (
    _registry,
    child_keys,
    is_namedtuple_type,
    node_of,
    rebuild,
)


class _Subtrees(tuple):
    """A node's child structures: a tuple, also callable as JAX's ``treedef.children()``."""

    __slots__ = ()

    def __call__(self) -> list[PyTreeDef]:
        return list(self)


_NO_HASH = object()


class PyTreeDef:
    """The structure of a pytree, without its leaves. Hashable (when every node's aux data
    is) and comparable: equal when node types, aux data and children are equal."""

    __slots__ = ("node_type", "aux", "children", "num_leaves", "_hash")

    def __init__(self, node_type, aux, children: Iterable[PyTreeDef]):
        self.node_type = node_type  # None for a leaf
        self.aux = aux
        self.children = _Subtrees(children)
        self.num_leaves = 1 if node_type is None else sum(c.num_leaves for c in self.children)
        self._hash = _NO_HASH

    @property
    def num_nodes(self) -> int:
        return 1 + sum(c.num_nodes for c in self.children)

    def __eq__(self, other):
        if self is other:
            return True
        return (
            isinstance(other, PyTreeDef)
            and (self._hash is _NO_HASH or other._hash is _NO_HASH or self._hash == other._hash)
            and self.node_type is other.node_type
            and self.num_leaves == other.num_leaves
            and self.aux == other.aux
            and self.children == other.children
        )

    def __hash__(self):
        if self._hash is _NO_HASH:
            try:
                self._hash = hash((self.node_type, self.aux, self.children))
            except TypeError:
                raise FuncadTypeError(
                    f"the structure {self} is not hashable: the aux data of a "
                    f"{_type_name(self.node_type)} node ({type(self.aux).__name__} "
                    f"{self.aux!r}) must be hashable to be static (a jit cache key)"
                ) from None
        return self._hash

    def unflatten(self, leaves: Iterable) -> Any:
        return tree_unflatten(self, leaves)

    def flatten_up_to(self, tree: Any) -> list:
        """The subtrees of ``tree`` at this structure's leaves."""
        return flatten_up_to(self, tree, "flatten_up_to")

    def node_data(self):
        """``(node_type, aux_data)`` of the root; ``None`` for a leaf."""
        return None if self.node_type is None else (self.node_type, self.aux)

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """This structure with every leaf replaced by ``inner``."""
        return _compose(self, inner)

    def __repr__(self):
        return f"PyTreeDef({_describe(self)})"

    def __reduce__(self):
        return PyTreeDef, (self.node_type, self.aux, tuple(self.children))


def _type_name(node_type) -> str:
    return "leaf" if node_type is None else node_type.__name__


def _compose(outer: PyTreeDef, inner: PyTreeDef) -> PyTreeDef:
    if outer.node_type is None:
        return inner
    return PyTreeDef(outer.node_type, outer.aux, [_compose(c, inner) for c in outer.children])


def _describe(td: PyTreeDef) -> str:
    """JAX's notation: ``*`` a leaf, ``(..)``/``[..]``/``{k: ..}``/``None`` the built-in
    containers, ``CustomNode(Name[aux], [..])`` every other node."""
    t = td.node_type
    if t is None:
        return "*"
    inner = ", ".join(_describe(c) for c in td.children)
    if t is tuple:
        return f"({inner}{',' if len(td.children) == 1 else ''})"
    if t is list:
        return f"[{inner}]"
    if t is dict:
        items = (f"{k!r}: {_describe(c)}" for k, c in zip(td.aux, td.children, strict=True))
        return "{" + ", ".join(items) + "}"
    if t is type(None):
        return "None"
    if t not in _registry and is_namedtuple_type(t):
        return f"CustomNode(namedtuple[{t.__name__}], [{inner}])"
    return f"CustomNode({t.__name__}[{td.aux}], [{inner}])"


_LEAF = PyTreeDef(None, None, ())


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """Leaves in order, and the structure to rebuild ``tree`` from them. ``is_leaf(x)``
    true stops the descent at ``x`` (asked before anything else, ``None`` included)."""
    leaves: list = []
    return leaves, _flatten_into(tree, leaves, is_leaf)


# The recursive helpers are module functions, not closures: a closure that calls itself is a
# reference cycle, which would keep every leaf (traced values included) alive until the
# garbage collector runs.
def _flatten_into(x, leaves: list, is_leaf) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    t = type(x)
    if t is tuple or t is list:
        return PyTreeDef(t, None, [_flatten_into(c, leaves, is_leaf) for c in x])
    node = node_of(x)
    if node is None:
        leaves.append(x)
        return _LEAF
    node_type, aux, children = node
    return PyTreeDef(node_type, aux, [_flatten_into(c, leaves, is_leaf) for c in children])


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves``."""
    if not isinstance(treedef, PyTreeDef):
        raise FuncadTypeError(f"tree_unflatten: treedef must be a PyTreeDef, got "
                              f"{type(treedef).__name__}")
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise FuncadValueError(
            f"tree_unflatten: the structure {treedef} has {treedef.num_leaves} leaves, "
            f"but {len(leaves)} were given"
        )
    return _unflatten_from(treedef, iter(leaves))


def _unflatten_from(td: PyTreeDef, it):
    if td.node_type is None:
        return next(it)
    children = [_unflatten_from(c, it) for c in td.children]
    return rebuild(td.node_type, td.aux, children)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f: Callable, tree: Any, *rest: Any, is_leaf=None) -> Any:
    """Apply ``f`` leafwise; each of ``rest`` has ``tree``'s structure, or one whose leaves
    of ``tree``'s structure are subtrees (passed to ``f`` whole)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [flatten_up_to(treedef, r, "tree_map") for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(leaves, *others, strict=True))


def flatten_up_to(treedef: PyTreeDef, tree: Any, what: str) -> list:
    """Flatten ``tree`` down to the leaves of ``treedef`` (its leaves may be subtrees); a
    mismatch names where the structures part and both whole structures."""
    out: list = []
    stack = [(treedef, tree, None)]
    while stack:
        td, x, link = stack.pop()
        if td.node_type is None:
            out.append(x)
            continue
        node = node_of(x)
        if node is None or node[0] is not td.node_type or node[1] != td.aux or len(
            node[2]
        ) != len(td.children):
            where = keystr(_path_of(link)) or "the root"
            raise FuncadValueError(
                f"{what}: pytree structures differ at {where}: expected "
                f"{PyTreeDef(td.node_type, td.aux, td.children)}, got {type(x).__name__} "
                f"{_structure_or_unknown(x)}; the whole structures are {treedef} (expected) "
                f"and {_structure_or_unknown(tree)}"
            )
        for i in reversed(range(len(td.children))):
            stack.append((td.children[i], node[2][i], (link, td, i)))
    return out


def _structure_or_unknown(x) -> str:
    try:
        return str(tree_structure(x))
    except FuncadValueError:
        return f"<{type(x).__name__} that does not flatten>"


def _path_of(link) -> tuple:
    """The key path of a ``(parent_link, parent_treedef, index)`` chain."""
    keys = []
    while link is not None:
        link, td, i = link
        keys.append(child_keys(td.node_type, td.aux, len(td.children))[i])
    return tuple(reversed(keys))


def leaf_paths(roots) -> list[str]:
    """Readable names of the leaves under ``(treedef, name)`` roots, in flattening order:
    ``x``, ``params[0]``, ``p['w']`` (for error messages and reports)."""
    out: list[str] = []
    stack = list(reversed(list(roots)))
    while stack:
        td, path = stack.pop()
        if td.node_type is None:
            out.append(path)
            continue
        keys = child_keys(td.node_type, td.aux, len(td.children))
        stack.extend(reversed([(c, f"{path}{k}")
                               for k, c in zip(keys, td.children, strict=True)]))
    return out


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    return list(treedef.children)


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    return PyTreeDef(tuple, None, tuple(treedefs))


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True for a structure of a single node: a leaf, ``None``, or an empty container."""
    return treedef.num_nodes == 1


__all__ = ["PyTreeDef", "flatten_up_to", "leaf_paths", "tree_flatten", "tree_leaves",
           "tree_map", "tree_structure", "tree_unflatten", "treedef_children",
           "treedef_is_leaf", "treedef_tuple"]
