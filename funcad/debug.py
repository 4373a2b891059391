"""``funcad.debug``: look at values while a program runs, as ``jax.debug``."""
from __future__ import annotations

from funcad.ops.debugging import debug_print
from funcad.tree_util import tree_flatten


def print(fmt: str, *args, ordered: bool = False, **kwargs) -> None:  # noqa: A001 - jax.debug name
    """Print ``fmt.format(*args, **kwargs)`` with the values the arguments have when the
    program runs: eagerly, under ``jit`` on both backends (at each call, not at tracing),
    once per example under ``vmap``; differentiation does not change what is printed nor
    print tangents. Prints always come in program order, so ``ordered=True`` (JAX's
    request for that) changes nothing."""
    del ordered
    leaves, in_tree = tree_flatten((args, kwargs))
    debug_print(fmt, in_tree, *leaves)


__all__ = ["print"]
