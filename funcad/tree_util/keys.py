"""Key path entries: how a child is reached from its parent, as in ``jax.tree_util``.

A key path is a tuple of these entries; ``keystr`` renders it the way JAX does
(``['a'][0].x``), so that paths in messages and logs read the same in both libraries.
"""
from __future__ import annotations

from typing import Any, TypeVar

from funcad.errors import FuncadTypeError

KeyEntry = TypeVar("KeyEntry")
KeyPath = tuple


class _Key:
    """Immutable, hashable, comparable by type and value; ``match``-able on its field."""

    __slots__ = ()
    _field = ""

    def _value(self):
        return getattr(self, self._field)

    def __eq__(self, other):
        return type(other) is type(self) and other._value() == self._value()

    def __hash__(self):
        return hash(self._value())

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self):
        return f"{type(self).__name__}({self._field}={self._value()!r})"

    def __reduce__(self):
        return type(self), (self._value(),)


class SequenceKey(_Key):
    """The ``idx``-th child of a tuple, a list or a namedtuple-like sequence."""

    __slots__ = ("idx",)
    __match_args__ = ("idx",)
    _field = "idx"

    def __init__(self, idx: int):
        if not isinstance(idx, int) or isinstance(idx, bool):
            raise FuncadTypeError(f"SequenceKey: idx must be an int, got {type(idx).__name__}")
        object.__setattr__(self, "idx", idx)

    def __str__(self):
        return f"[{self.idx!r}]"


class DictKey(_Key):
    """The child stored under ``key`` in a dict-like container."""

    __slots__ = ("key",)
    __match_args__ = ("key",)
    _field = "key"

    def __init__(self, key: Any):
        object.__setattr__(self, "key", key)

    def __str__(self):
        return f"[{self.key!r}]"


class GetAttrKey(_Key):
    """The child stored in attribute ``name`` (namedtuples, dataclasses)."""

    __slots__ = ("name",)
    __match_args__ = ("name",)
    _field = "name"

    def __init__(self, name: str):
        if not isinstance(name, str):
            raise FuncadTypeError(f"GetAttrKey: name must be a str, got {type(name).__name__}")
        object.__setattr__(self, "name", name)

    def __str__(self):
        return f".{self.name}"


class FlattenedIndexKey(_Key):
    """The ``key``-th child of a node registered without key functions."""

    __slots__ = ("key",)
    __match_args__ = ("key",)
    _field = "key"

    def __init__(self, key: int):
        if not isinstance(key, int) or isinstance(key, bool):
            raise FuncadTypeError(
                f"FlattenedIndexKey: key must be an int, got {type(key).__name__}")
        object.__setattr__(self, "key", key)

    def __str__(self):
        return f"[<flat index {self.key}>]"


def _simple(entry) -> str:
    return str(entry._value()) if isinstance(entry, _Key) else str(entry)


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """The key path as a string: ``['a'][0].x`` (JAX's form), or with ``simple=True`` the
    bare keys joined by ``separator`` (``a/0/x`` for ``separator='/'``)."""
    return separator.join(map(_simple if simple else str, keys))


__all__ = ["DictKey", "FlattenedIndexKey", "GetAttrKey", "KeyEntry", "KeyPath",
           "SequenceKey", "keystr"]
