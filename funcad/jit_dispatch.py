"""The fast path of a call to a jitted function: the cache key and the leaves of arguments
made of plain containers in one pass, and output rebuilders generated once per output
structure. Per-call overhead is what separates a small jitted step from a hand-written
``jax.jit`` one, so these avoid building ``PyTreeDef`` objects on every call."""
from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from funcad.core.avals import foreign_array_types
from funcad.core.dtypes import PYTHON_SCALARS
from funcad.tree_util import PyTreeDef, tree_unflatten


def plain_signature(args: tuple, device_arrays: bool, array_readers: dict
                    ) -> tuple[tuple, list] | None:
    """``(key, leaves)`` of ``args`` when they are tuples, lists, dicts and ``None`` around
    NumPy arrays and scalars, Python scalars, arrays of the types ``array_readers`` converts
    (ndarray subclasses) or (with ``device_arrays``) ``jax.Array``s; ``None`` for anything
    else. Leaves come in ``tree_flatten``'s order; the key holds the
    structure, the shapes and dtypes, and the type of each (weakly typed) Python scalar."""
    key: list = []
    leaves: list = []
    stack: list = [args]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is np.ndarray or (device_arrays and t in foreign_array_types):
            key.append((x.shape, x.dtype))
            leaves.append(x)
        elif t is tuple or t is list:
            key.append((t, len(x)))
            stack.extend(reversed(x))
        elif t is dict:
            try:
                names = sorted(x)
            except TypeError:
                return None
            key.append((dict, tuple(names)))
            stack.extend(x[k] for k in reversed(names))
        elif x is None:
            key.append(None)
        elif t in PYTHON_SCALARS:
            key.append(t)
            leaves.append(x)
        elif isinstance(x, np.generic) or t in array_readers:
            key.append((x.shape, x.dtype))
            leaves.append(x)
        else:
            return None
    return tuple(key), leaves


def _expression(tree: PyTreeDef) -> str | None:
    """Python source rebuilding ``tree`` from a sequence ``o`` of its leaves, or ``None`` when
    a node is not a tuple, list, dict with literal keys or ``None``."""
    parts: list[str] = []
    counter = 0
    # (node, state): an explicit stack, emitting the source in order
    stack: list = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        node = item
        if node.node_type is None:
            parts.append(f"o[{counter}],")
            counter += 1
            continue
        if node.node_type is type(None):
            parts.append("None,")
            continue
        if node.node_type in (tuple, list):
            opening, closing = ("(", "),") if node.node_type is tuple else ("[", "],")
            stack.append(closing)
            stack.extend(reversed(node.children))
            stack.append(opening)
            continue
        if node.node_type is dict and all(type(k) in (str, int) for k in node.aux):
            stack.append("},")
            for name, child in reversed(list(zip(node.aux, node.children))):
                stack.append(child)
                stack.append(f"{name!r}:")
            stack.append("{")
            continue
        return None
    return "".join(parts)[:-1]  # drop the trailing comma of the root


def unflattener(tree: PyTreeDef) -> Callable[[list], Any]:
    """``tree_unflatten(tree, ·)``, generated once for ``tree`` when it is made of built-in
    containers (the common case), else the general function."""
    if tree.node_type is None:
        return operator.itemgetter(0)
    source = _expression(tree)
    if source is None:
        return functools.partial(tree_unflatten, tree)
    return eval(f"lambda o: {source}")


__all__ = ["plain_signature", "unflattener"]
