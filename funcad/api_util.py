"""Helpers shared by the front ends of the transforms: names of user functions for error
messages, the check that turns an argument leaf into its abstract value, and leaf paths."""
from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence

from funcad.core.avals import ShapedArray
from funcad.core.trace import Tracer, get_aval
from funcad.errors import FuncadTypeError, with_user_line
from funcad.tree_util import PyTreeDef, leaf_paths


def fun_label(fun: Callable) -> str:
    """``name (file.py:line)`` of a user function, for error messages."""
    name = fun_name(fun)
    code = getattr(fun, "__code__", None)
    if code is None:
        return name
    return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


def positional_param_names(fun: Callable) -> list[str]:
    """The names of ``fun``'s positional parameters (none when it has no signature), for
    naming arguments in errors as the user wrote them."""
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in params if p.kind in kinds]


def fun_name(fun: Callable) -> str:
    """The name of a user function (or of its type), for error messages and IR names."""
    return getattr(fun, "__name__", type(fun).__name__)


# The end of the message for an argument that is not an array, where it could be static.
STATIC_ARG_HINT = "; pass it with static_argnums if it is a hashable configuration value"


def leaf_aval(x, transform: str, what: str, hint: str = "") -> ShapedArray:
    """The abstract value of ``x``, a leaf a transform was given (or got back).

    Raises:
      FuncadTypeError: ``x`` is not an array. The message names the transform, the leaf
        (``what``: ``argument x['w']``, ``primal 0``, ``output leaf 1 of f``), its type and
        the user's line; ``hint`` (``"; pass it ..."``) ends it.
    """
    try:
        return get_aval(x)
    except TypeError:
        raise FuncadTypeError(with_user_line(
            f"{transform}: {what} is a {type(x).__name__}, not an array{hint}")) from None


def leaf_avals(leaves: Sequence, transform: str, names: Sequence[str] | str,
               hint: str = "") -> list[ShapedArray]:
    """``leaf_aval`` of each leaf. ``names`` names the leaves: one path per leaf, or a
    string ``s`` for leaves called ``s leaf 0``, ``s leaf 1``, ..."""
    if isinstance(names, str):
        return [leaf_aval(x, transform, f"{names} leaf {i}", hint)
                for i, x in enumerate(leaves)]
    return [leaf_aval(x, transform, n, hint) for x, n in zip(leaves, names, strict=True)]


def check_pair(out, who: str, pair: str) -> None:
    """A FuncadTypeError ``{who} must return a pair {pair}, got ...`` (with the user's line)
    unless ``out``, what a user function returned, is a tuple or list of two."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        what = "a traced array" if isinstance(out, Tracer) else type(out).__name__
        raise FuncadTypeError(with_user_line(f"{who} must return a pair {pair}, got {what}"))


def arg_paths(args_tree: PyTreeDef, kwargs_tree: PyTreeDef | None = None,
              dyn_idx: Sequence[int] | None = None, param_names: Sequence[str] = ()) -> list[str]:
    """Readable names of the flattened arguments of a call, in flattening order: ``x``,
    ``params[0]['w']``, ``args[2]``, ``scale``.

    ``args_tree`` holds the positional arguments (those at ``dyn_idx`` of the call, when
    static ones were taken out), ``kwargs_tree`` the keyword arguments (a dict);
    ``param_names`` names positional parameters (else ``args[i]``).
    """
    roots = []
    for k, td in enumerate(args_tree.children):
        i = dyn_idx[k] if dyn_idx is not None else k
        roots.append((td, param_names[i] if i < len(param_names) else f"args[{i}]"))
    if kwargs_tree is not None:
        roots.extend(zip(kwargs_tree.children, kwargs_tree.aux or (), strict=True))
    return leaf_paths(roots)
