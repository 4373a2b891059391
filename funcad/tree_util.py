"""Pytrees: nested containers whose leaves are arrays, with the semantics of jax.tree_util.

Containers are tuples, lists, dicts (children in sorted key order), None (no children),
namedtuples, and classes registered with ``register_pytree_node``.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from funcad.errors import FuncadValueError

_Registry = namedtuple("_Registry", ["to_iter", "from_iter"])
_registry: dict[type, _Registry] = {}


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable, Hashable]],
    unflatten_func: Callable[[Hashable, Iterable], Any],
) -> None:
    """Teach funcad to look inside instances of ``nodetype``.

    ``flatten_func(x) -> (children, aux_data)``; ``unflatten_func(aux_data, children) -> x``.
    """
    if nodetype in _registry:
        raise FuncadValueError(f"{nodetype.__name__} is already registered as a pytree node")
    _registry[nodetype] = _Registry(flatten_func, unflatten_func)


register_pytree_node(tuple, lambda t: (t, None), lambda _, xs: tuple(xs))
register_pytree_node(list, lambda t: (t, None), lambda _, xs: list(xs))
register_pytree_node(
    dict,
    lambda d: (tuple(d[k] for k in sorted(d)), tuple(sorted(d))),
    lambda keys, xs: dict(zip(keys, xs, strict=True)),
)
register_pytree_node(type(None), lambda _: ((), None), lambda _, xs: None)


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields") and type(x) is not tuple


def _node_of(x):
    """``(node_type, aux, children)`` for a container, ``None`` for a leaf."""
    reg = _registry.get(type(x))
    if reg is not None:
        children, aux = reg.to_iter(x)
        return type(x), aux, list(children)
    if _is_namedtuple(x):
        return type(x), None, list(x)
    return None


class PyTreeDef:
    """The structure of a pytree, without its leaves. Hashable and comparable."""

    __slots__ = ("node_type", "aux", "children", "num_leaves", "_hash")

    def __init__(self, node_type, aux, children: tuple[PyTreeDef, ...]):
        self.node_type = node_type  # None for a leaf
        self.aux = aux
        self.children = children
        self.num_leaves = 1 if node_type is None else sum(c.num_leaves for c in children)
        self._hash = hash((node_type, aux, children))

    @property
    def num_nodes(self) -> int:
        return 1 + sum(c.num_nodes for c in self.children)

    def __eq__(self, other):
        return (
            isinstance(other, PyTreeDef)
            and self._hash == other._hash
            and self.node_type is other.node_type
            and self.aux == other.aux
            and self.children == other.children
        )

    def __hash__(self):
        return self._hash

    def unflatten(self, leaves: Iterable) -> Any:
        return tree_unflatten(self, leaves)

    def __repr__(self):
        return f"PyTreeDef({self._describe()})"

    def _describe(self) -> str:
        if self.node_type is None:
            return "*"
        inner = ", ".join(c._describe() for c in self.children)
        if self.node_type is tuple:
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.node_type is list:
            return f"[{inner}]"
        if self.node_type is dict:
            items = (f"{k!r}: {c._describe()}"
                     for k, c in zip(self.aux, self.children, strict=True))
            return "{" + ", ".join(items) + "}"
        if self.node_type is type(None):
            return "None"
        return f"{self.node_type.__name__}({inner})"


_LEAF = PyTreeDef(None, None, ())


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """Leaves in order, and the structure to rebuild ``tree`` from them."""
    leaves: list = []
    return leaves, _flatten_into(tree, leaves, is_leaf)


# The recursive helpers are module functions, not closures: a closure that calls itself is a
# reference cycle, which would keep every leaf (traced values included) alive until the
# garbage collector runs.
def _flatten_into(x, leaves: list, is_leaf) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    node = _node_of(x)
    if node is None:
        leaves.append(x)
        return _LEAF
    node_type, aux, children = node
    return PyTreeDef(node_type, aux, tuple([_flatten_into(c, leaves, is_leaf) for c in children]))


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves``."""
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
    reg = _registry.get(td.node_type)
    if reg is not None:
        return reg.from_iter(td.aux, children)
    return td.node_type(*children)  # namedtuple


def tree_leaves(tree: Any, is_leaf=None) -> list:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf=None) -> PyTreeDef:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f: Callable, tree: Any, *rest: Any, is_leaf=None) -> Any:
    """Apply ``f`` leafwise; ``rest`` must have ``tree``'s structure (or extend it)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [flatten_up_to(treedef, r, "tree_map") for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(leaves, *others, strict=True))


def flatten_up_to(treedef: PyTreeDef, tree: Any, what: str) -> list:
    """Flatten ``tree`` down to the leaves of ``treedef`` (its leaves may be subtrees)."""
    out: list = []
    stack = [(treedef, tree, "")]
    while stack:
        td, x, path = stack.pop()
        if td.node_type is None:
            out.append(x)
            continue
        node = _node_of(x)
        if node is None or node[0] is not td.node_type or node[1] != td.aux or len(
            node[2]
        ) != len(td.children):
            raise FuncadValueError(
                f"{what}: pytree structures differ at {path or 'the root'}: expected "
                f"{PyTreeDef(td.node_type, td.aux, td.children)}, got {type(x).__name__} "
                f"{tree_structure(x)}"
            )
        for i in reversed(range(len(td.children))):
            key = td.aux[i] if td.node_type is dict else i
            stack.append((td.children[i], node[2][i], f"{path}[{key!r}]"))
    return out


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
        keys = td.aux if td.node_type is dict else range(len(td.children))
        stack.extend(reversed([(c, f"{path}[{k!r}]")
                               for k, c in zip(keys, td.children, strict=True)]))
    return out


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    return list(treedef.children)


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    return PyTreeDef(tuple, None, tuple(treedefs))


def tree_all(tree: Any) -> bool:
    return all(tree_leaves(tree))


__all__ = [
    "PyTreeDef",
    "flatten_up_to",
    "leaf_paths",
    "register_pytree_node",
    "tree_all",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
    "treedef_children",
    "treedef_tuple",
]
