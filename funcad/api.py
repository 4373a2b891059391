"""User-facing transforms. Each flattens pytrees, calls an interpreter, and unflattens."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from funcad.api_util import STATIC_ARG_HINT, arg_paths, fun_name, leaf_avals
from funcad.errors import FuncadValueError, with_user_line
from funcad.interpreters.staging import trace_to_jaxpr
from funcad.ir.core import ClosedJaxpr
from funcad.tree_util import tree_flatten, tree_unflatten


def normalize_argnums(argnums, nargs: int, transform: str) -> tuple[int, ...]:
    """``argnums`` as a tuple of non-negative ints, checked against ``nargs``."""
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    out = []
    for a in nums:
        if not isinstance(a, int) or not -nargs <= a < nargs:
            raise FuncadValueError(with_user_line(
                f"{transform}: argnums {argnums!r} is out of range for a call with {nargs} "
                "positional arguments"
            ))
        out.append(a % nargs)
    return tuple(out)


def static_key(value, transform: str, index: int):
    """``value`` if it can be part of a cache key (hashable), else a clear error."""
    try:
        hash(value)
    except TypeError:
        raise FuncadValueError(with_user_line(
            f"{transform}: static argument {index} must be hashable (it is part of the cache "
            f"key), got {type(value).__name__}; pass a tuple instead of a list, or make the "
            "value an ordinary (traced) argument"
        )) from None
    return value


def make_jaxpr(
    fun: Callable, static_argnums: int | Sequence[int] = ()
) -> Callable[..., ClosedJaxpr]:
    """Stage ``fun`` into the IR for the given example arguments (only their shapes and
    dtypes matter). Every operation is staged, even on constants.

    >>> print(make_jaxpr(lambda x: fnp.sin(x) * 2.0)(np.ones(3)))  # doctest: +SKIP
    """
    name = f"make_jaxpr({fun_name(fun)})"

    @functools.wraps(fun)
    def staged(*args, **kwargs) -> ClosedJaxpr:
        statics = normalize_argnums(static_argnums, len(args), "make_jaxpr")
        for i in statics:
            static_key(args[i], "make_jaxpr", i)
        dyn_idx = [i for i in range(len(args)) if i not in statics]
        leaves, in_tree = tree_flatten(([args[i] for i in dyn_idx], kwargs))
        paths = arg_paths(*in_tree.children, dyn_idx)
        in_avals = leaf_avals(leaves, "make_jaxpr", [f"argument {p}" for p in paths],
                              STATIC_ARG_HINT)

        def flat_fun(*flat_args):
            dyn, kw = tree_unflatten(in_tree, flat_args)
            full = list(args)
            for i, v in zip(dyn_idx, dyn, strict=True):
                full[i] = v
            out = fun(*full, **kw)
            out_leaves, _ = tree_flatten(out)
            return out_leaves

        return trace_to_jaxpr(flat_fun, in_avals, name=name, arg_names=paths)

    return staged


__all__ = ["make_jaxpr", "normalize_argnums", "static_key"]
