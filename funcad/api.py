"""User-facing transforms. Each flattens pytrees, calls an interpreter, and unflattens."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.interpreters.staging import trace_to_jaxpr
from funcad.ir.core import ClosedJaxpr
from funcad.tree_util import leaf_paths, tree_flatten, tree_unflatten


def _fun_name(fun: Callable) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


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


def _leaf_aval(x, transform: str, path: str) -> ShapedArray:
    try:
        return get_aval(x)
    except TypeError:
        raise FuncadTypeError(with_user_line(
            f"{transform}: argument {path} is a {type(x).__name__}, which is not an array "
            "or a pytree of arrays"
        )) from None


def make_jaxpr(
    fun: Callable, static_argnums: int | Sequence[int] = ()
) -> Callable[..., ClosedJaxpr]:
    """Stage ``fun`` into the IR for the given example arguments (only their shapes and
    dtypes matter). Every operation is staged, even on constants.

    >>> print(make_jaxpr(lambda x: fnp.sin(x) * 2.0)(np.ones(3)))  # doctest: +SKIP
    """
    name = f"make_jaxpr({_fun_name(fun)})"

    @functools.wraps(fun)
    def staged(*args, **kwargs) -> ClosedJaxpr:
        statics = normalize_argnums(static_argnums, len(args), "make_jaxpr")
        for i in statics:
            static_key(args[i], "make_jaxpr", i)
        dyn_idx = [i for i in range(len(args)) if i not in statics]
        leaves, in_tree = tree_flatten(([args[i] for i in dyn_idx], kwargs))
        paths = _leaf_paths(in_tree, [i for i in dyn_idx])
        in_avals = [_leaf_aval(x, "make_jaxpr", p) for x, p in zip(leaves, paths)]

        def flat_fun(*flat_args):
            dyn, kw = tree_unflatten(in_tree, flat_args)
            full = list(args)
            for i, v in zip(dyn_idx, dyn):
                full[i] = v
            out = fun(*full, **kw)
            out_leaves, _ = tree_flatten(out)
            return out_leaves

        return trace_to_jaxpr(flat_fun, in_avals, name=name, arg_names=paths)

    return staged


def _leaf_paths(in_tree, dyn_idx) -> list[str]:
    """Readable names for the flattened arguments (``x``, ``args[1]['w']``)."""
    args_td, kwargs_td = in_tree.children
    roots = [(td, f"args[{i}]") for i, td in zip(dyn_idx, args_td.children)]
    roots += [(td, k) for k, td in zip(kwargs_td.aux or (), kwargs_td.children)]
    return leaf_paths(roots)


__all__ = ["make_jaxpr", "normalize_argnums", "static_key"]
