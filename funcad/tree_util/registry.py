"""Which Python types are pytree nodes, and how to take them apart and rebuild them.

Built in, as in ``jax.tree_util``: tuples, lists, dicts (children in sorted key order),
``None`` (a node with no children), namedtuples, ``OrderedDict`` (insertion order) and
``defaultdict`` (sorted keys; its ``default_factory`` is part of the structure). Anything
else is a leaf unless registered here.
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple

from funcad.errors import FuncadTypeError, FuncadValueError
from funcad.tree_util.keys import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey


class NodeRules(NamedTuple):
    """``to_iter(x) -> (children, aux)``, ``from_iter(aux, children) -> x``, and optionally
    ``to_keyed(x) -> (((key, child), ...), aux)`` for key paths."""

    to_iter: Callable
    from_iter: Callable
    to_keyed: Callable | None


_registry: dict[type, NodeRules] = {}


def _check_type(nodetype, fname: str) -> None:
    if not isinstance(nodetype, type):
        raise FuncadTypeError(
            f"{fname}: nodetype must be a class, got {type(nodetype).__name__} {nodetype!r}")
    if nodetype in _registry:
        raise FuncadValueError(f"{fname}: {nodetype.__name__} is already registered as a "
                               "pytree node")


def _check_callables(fname: str, **funcs) -> None:
    for name, fn in funcs.items():
        if fn is not None and not callable(fn):
            raise FuncadTypeError(f"{fname}: {name} must be callable, got "
                                  f"{type(fn).__name__} {fn!r}")


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable, Hashable]],
    unflatten_func: Callable[[Hashable, Iterable], Any],
    flatten_with_keys_func: Callable | None = None,
) -> None:
    """Teach funcad to look inside instances of ``nodetype``.

    ``flatten_func(x) -> (children, aux_data)``; ``unflatten_func(aux_data, children) -> x``;
    ``flatten_with_keys_func(x) -> (((key, child), ...), aux_data)`` names the children in
    key paths (without it they are ``FlattenedIndexKey(i)``). ``aux_data`` is static: it
    must be hashable and comparable to serve as part of a ``jit`` cache key.
    """
    _check_type(nodetype, "register_pytree_node")
    _check_callables("register_pytree_node", flatten_func=flatten_func,
                     unflatten_func=unflatten_func,
                     flatten_with_keys_func=flatten_with_keys_func)
    _registry[nodetype] = NodeRules(flatten_func, unflatten_func, flatten_with_keys_func)


def register_pytree_with_keys(
    nodetype: type,
    flatten_with_keys: Callable,
    unflatten_func: Callable,
    flatten_func: Callable | None = None,
) -> None:
    """``register_pytree_node`` led by the keyed flatten function; the plain one, if not
    given, drops the keys."""
    _check_type(nodetype, "register_pytree_with_keys")
    _check_callables("register_pytree_with_keys", flatten_with_keys=flatten_with_keys,
                     unflatten_func=unflatten_func, flatten_func=flatten_func)
    if flatten_func is None:
        def flatten_func(x):
            pairs, aux = flatten_with_keys(x)
            return [c for _, c in pairs], aux
    _registry[nodetype] = NodeRules(flatten_func, unflatten_func, flatten_with_keys)


def is_namedtuple_type(t: type) -> bool:
    return issubclass(t, tuple) and t is not tuple and hasattr(t, "_fields")


def is_tree_node(typ: type) -> bool:
    """Whether instances of ``typ`` are pytree nodes (not leaves)."""
    return typ in _registry or (isinstance(typ, type) and is_namedtuple_type(typ))


def _sorted_keys(d) -> list:
    try:
        return sorted(d)
    except TypeError:
        kinds = sorted({type(k).__name__ for k in d})
        raise FuncadValueError(
            "tree_flatten: the keys of a dict must be sortable (pytrees order a dict's "
            f"children by sorted key, as JAX does); got keys of types {', '.join(kinds)}"
        ) from None


def _dict_children(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], tuple(keys)


def _defaultdict_children(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], (d.default_factory, tuple(keys))


def _sequence_keyed(xs):
    return tuple((SequenceKey(i), x) for i, x in enumerate(xs)), None


def _dict_keyed(d):
    children, keys = _dict_children(d)
    return tuple(zip(map(DictKey, keys), children, strict=True)), keys


def _defaultdict_keyed(d):
    children, aux = _defaultdict_children(d)
    return tuple(zip(map(DictKey, aux[1]), children, strict=True)), aux


def _ordered_keyed(d):
    return tuple((DictKey(k), v) for k, v in d.items()), tuple(d)


_registry[tuple] = NodeRules(lambda t: (t, None), lambda _, xs: tuple(xs), _sequence_keyed)
_registry[list] = NodeRules(lambda t: (t, None), lambda _, xs: list(xs), _sequence_keyed)
_registry[dict] = NodeRules(_dict_children, lambda keys, xs: dict(zip(keys, xs, strict=True)),
                            _dict_keyed)
_registry[type(None)] = NodeRules(lambda _: ((), None), lambda _, xs: None,
                                  lambda _: ((), None))
_registry[OrderedDict] = NodeRules(
    lambda d: (tuple(d.values()), tuple(d)),
    lambda keys, xs: OrderedDict(zip(keys, xs, strict=True)), _ordered_keyed)
_registry[defaultdict] = NodeRules(
    _defaultdict_children,
    lambda aux, xs: defaultdict(aux[0], zip(aux[1], xs, strict=True)), _defaultdict_keyed)


def node_of(x):
    """``(node_type, aux, children)`` for a container, ``None`` for a leaf."""
    t = type(x)
    rules = _registry.get(t)
    if rules is not None:
        children, aux = rules.to_iter(x)
        return t, aux, list(children)
    if isinstance(x, tuple) and hasattr(t, "_fields"):  # a namedtuple
        return t, None, list(x)
    return None


def keyed_node_of(x):
    """``(node_type, aux, [(key, child), ...])`` for a container, ``None`` for a leaf."""
    t = type(x)
    rules = _registry.get(t)
    if rules is not None:
        if rules.to_keyed is None:
            children, aux = rules.to_iter(x)
            return t, aux, [(FlattenedIndexKey(i), c) for i, c in enumerate(children)]
        pairs, aux = rules.to_keyed(x)
        return t, aux, list(pairs)
    if isinstance(x, tuple) and hasattr(t, "_fields"):
        return t, None, [(GetAttrKey(f), c) for f, c in zip(t._fields, x, strict=True)]
    return None


def rebuild(node_type: type, aux, children: list):
    """The container of ``node_type`` with ``aux`` and ``children``."""
    rules = _registry.get(node_type)
    if rules is not None:
        return rules.from_iter(aux, children)
    return node_type(*children)  # a namedtuple


def child_keys(node_type: type, aux, n: int) -> list:
    """The key entries of a node's ``n`` children, from its structure alone."""
    if node_type in (tuple, list):
        return [SequenceKey(i) for i in range(n)]
    if node_type in (dict, OrderedDict):
        return [DictKey(k) for k in aux]
    if node_type is defaultdict:
        return [DictKey(k) for k in aux[1]]
    if node_type not in _registry and is_namedtuple_type(node_type):
        return [GetAttrKey(f) for f in node_type._fields]
    return [FlattenedIndexKey(i) for i in range(n)]


__all__ = ["NodeRules", "child_keys", "is_tree_node", "keyed_node_of", "node_of", "rebuild",
           "register_pytree_node", "register_pytree_with_keys"]
