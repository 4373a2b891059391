"""Registering user classes as pytree nodes (decorator forms, dataclasses, static values)
and ``Partial``, a ``functools.partial`` whose arguments are leaves."""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from funcad.errors import FuncadTypeError, FuncadValueError
from funcad.tree_util.keys import GetAttrKey
from funcad.tree_util.registry import register_pytree_node, register_pytree_with_keys


def _require_class(cls, fname: str) -> None:
    if not isinstance(cls, type):
        raise FuncadTypeError(f"{fname}: expects a class, got {type(cls).__name__} {cls!r}")


def _require_methods(cls, fname: str, *names: str) -> None:
    missing = [n for n in names if not callable(getattr(cls, n, None))]
    if missing:
        raise FuncadTypeError(f"{fname}: {cls.__name__} must define {' and '.join(missing)}")


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: ``x.tree_flatten() -> (children, aux)`` and the classmethod
    ``cls.tree_unflatten(aux, children)`` make ``cls`` a pytree node."""
    _require_class(cls, "register_pytree_node_class")
    _require_methods(cls, "register_pytree_node_class", "tree_flatten", "tree_unflatten")
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls: type) -> type:
    """Class decorator: as ``register_pytree_node_class`` with
    ``x.tree_flatten_with_keys() -> (((key, child), ...), aux)`` naming the children (and
    ``x.tree_flatten()`` used when the class defines it)."""
    _require_class(cls, "register_pytree_with_keys_class")
    _require_methods(cls, "register_pytree_with_keys_class", "tree_flatten_with_keys",
                     "tree_unflatten")
    plain = (lambda x: x.tree_flatten()) if callable(getattr(cls, "tree_flatten", None)) \
        else None
    register_pytree_with_keys(cls, lambda x: x.tree_flatten_with_keys(), cls.tree_unflatten,
                              plain)
    return cls


def register_dataclass(nodetype: type, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None,
                       drop_fields: Sequence[str] = ()) -> type:
    """Make a dataclass (or any class built by keyword from these attributes) a pytree
    node: ``data_fields`` are children, ``meta_fields`` static aux data. For a dataclass
    both may be omitted: fields marked ``field(metadata={'static': True})`` (see
    ``funcad.tree.static``) are meta, the others data. Usable as a decorator."""
    fname = "register_dataclass"
    _require_class(nodetype, fname)
    is_dc = dataclasses.is_dataclass(nodetype)
    if (data_fields is None) != (meta_fields is None):
        raise FuncadTypeError(f"{fname}: data_fields and meta_fields must both be given "
                              f"when either is; got data_fields={data_fields!r}, "
                              f"meta_fields={meta_fields!r}")
    if data_fields is None:
        if not is_dc:
            raise FuncadTypeError(f"{fname}: data_fields and meta_fields are required when "
                                  f"the class is not a dataclass; got {nodetype.__name__}")
        fields = dataclasses.fields(nodetype)
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    for name, names in (("data_fields", data_fields), ("meta_fields", meta_fields)):
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise FuncadTypeError(f"{fname}: {name} must be a sequence of field names, got "
                                  f"{names!r}")
    data, meta = tuple(data_fields), tuple(meta_fields)
    if is_dc:
        init = {f.name for f in dataclasses.fields(nodetype) if f.init} - set(drop_fields)
        given = {*data, *meta}
        if given != init:
            raise FuncadValueError(
                f"{fname}: data_fields and meta_fields of {nodetype.__name__} must list "
                "every dataclass field with init=True and only them (drop_fields= excludes "
                f"some); missing {sorted(init - given)}, unexpected {sorted(given - init)}")
    if overlap := set(data) & set(meta):
        raise FuncadValueError(f"{fname}: data_fields and meta_fields of "
                               f"{nodetype.__name__} overlap in {sorted(overlap)}")

    def flatten(x):
        return tuple(getattr(x, n) for n in data), tuple(getattr(x, n) for n in meta)

    def flatten_with_keys(x):
        return (tuple((GetAttrKey(n), getattr(x, n)) for n in data),
                tuple(getattr(x, n) for n in meta))

    def unflatten(aux, children):
        return nodetype(**dict(zip(meta, aux, strict=True)),
                        **dict(zip(data, children, strict=True)))

    register_pytree_with_keys(nodetype, flatten_with_keys, unflatten, flatten)
    return nodetype


def register_static(cls: type) -> type:
    """Make instances of ``cls`` pytrees with no leaves: the whole value is static aux data
    (so ``jit`` treats it like a ``static_argnums`` argument). ``cls`` must be hashable."""
    _require_class(cls, "register_static")
    if getattr(cls, "__hash__", None) is None:
        raise FuncadTypeError(f"register_static: {cls.__name__} is not hashable; static "
                              "values are part of jit cache keys")
    register_pytree_with_keys(cls, lambda x: ((), x), lambda x, _: x)
    return cls


class _StaticCallable:
    """A callable standing for another one, equal and hashing as it does; it keeps a
    ``functools.partial`` given to ``Partial`` whole (static), instead of merged."""

    __slots__ = ("fun", "func", "args", "keywords")

    def __init__(self, fun):
        self.fun = fun

    def __call__(self, *args, **kw):
        return self.fun(*args, **kw)

    def __hash__(self):
        return hash(self.fun)

    def __eq__(self, other):
        return self.fun == (other.fun if isinstance(other, _StaticCallable) else other)

    def __repr__(self):
        return f"_StaticCallable({self.fun!r})"


class Partial(functools.partial):
    """``functools.partial`` that is a pytree: the function is static aux data, the bound
    positional and keyword arguments are children, so a ``Partial`` passes through and out
    of ``jit``, ``grad`` and ``vmap`` as JAX's does."""

    def __new__(cls, func, *args, **kw):
        if not callable(func):
            raise FuncadTypeError(f"Partial: the first argument must be callable, got "
                                  f"{type(func).__name__}")
        if isinstance(func, functools.partial):
            inner = func
            func = _StaticCallable(inner)
            out = super().__new__(cls, func, *args, **kw)
            func.func, func.args, func.keywords = inner.func, inner.args, inner.keywords
            return out
        return super().__new__(cls, func, *args, **kw)


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, xs: Partial(func, *xs[0], **xs[1]),
)


__all__ = ["Partial", "register_dataclass", "register_pytree_node_class",
           "register_pytree_with_keys_class", "register_static"]
