"""``jit``'s ``in_shardings``/``out_shardings``: pytree prefixes of the arguments and results
(as in JAX), expanded to one sharding per flat argument and result. funcad only carries the
sharding objects to ``funcad_xla``; the partitioning itself is XLA's (its SPMD partitioner)."""
from __future__ import annotations

from typing import Any

from funcad.backends.registry import Placement, takes_device_arrays
from funcad.errors import FuncadValueError
from funcad.ops.sharding import sharding_constraint
from funcad.tree_util import (
    PyTreeDef,
    flatten_up_to,
    tree_flatten,
    tree_leaves,
    tree_unflatten,
)


def _is_leaf(x) -> bool:
    return x is None or type(x) not in (tuple, list, dict)


def expand_prefix(prefix: Any, tree: Any, what: str) -> list:
    """One entry of ``prefix`` per leaf of ``tree``: a leaf of the prefix (a sharding or
    ``None``) stands for every leaf of the subtree at its place."""
    prefix_leaves, prefix_tree = tree_flatten(prefix, is_leaf=_is_leaf)
    subtrees = flatten_up_to(prefix_tree, tree, what)
    out: list = []
    for sharding, sub in zip(prefix_leaves, subtrees, strict=True):
        out.extend([sharding] * len(tree_leaves(sub)))
    return out


def check_sharding_options(backend: str, device: Any, in_shardings: Any,
                           out_shardings: Any) -> bool:
    """Whether shardings were given; they need a device backend (XLA) and no ``device``."""
    if in_shardings is None and out_shardings is None:
        return False
    if not takes_device_arrays(backend):
        raise FuncadValueError(
            f"jit: in_shardings/out_shardings need backend='xla' (XLA partitions the "
            f"program), not backend={backend!r}")
    if device is not None:
        raise FuncadValueError(
            "jit: give either device= or in_shardings/out_shardings (which name their devices)")
    return True


def placement(in_shardings: Any, out_shardings: Any, in_tree: PyTreeDef, leaves: list,
              out_tree: PyTreeDef, name: str) -> Placement:
    """The per-leaf shardings of one traced signature. ``in_tree`` is the structure of
    ``(positional arguments, keyword arguments)``; ``in_shardings`` is a prefix of the
    positional arguments (a tuple with one entry per argument, or one sharding for all)."""
    args, kwargs = tree_unflatten(in_tree, leaves)
    n_kw = len(tree_leaves(kwargs))
    if in_shardings is None:
        ins = [None] * len(leaves)
    else:
        if n_kw:
            raise FuncadValueError(
                f"{name}: in_shardings applies to positional arguments; pass the "
                f"arguments {sorted(kwargs)} positionally")
        if type(in_shardings) is list:
            in_shardings = tuple(in_shardings)
        prefix = in_shardings if type(in_shardings) is tuple else (in_shardings,) * len(args)
        if len(prefix) != len(args):
            raise FuncadValueError(
                f"{name}: in_shardings has {len(prefix)} entries for {len(args)} "
                "positional arguments")
        ins = expand_prefix(prefix, tuple(args), f"{name} in_shardings")
    outs = [None] * out_tree.num_leaves
    if out_shardings is not None:
        if type(out_shardings) is list:
            out_shardings = tuple(out_shardings)
        result = tree_unflatten(out_tree, range(out_tree.num_leaves))
        outs = expand_prefix(out_shardings, result, f"{name} out_shardings")
    return Placement(ins, outs)


def with_sharding_constraint(x: Any, shardings: Any) -> Any:
    """``x`` unchanged, with its layout pinned for XLA's SPMD partitioner: ``shardings`` is a
    ``jax.sharding`` object or a pytree prefix of ``x`` of them (``None``: no constraint).
    Works under every transform; does nothing on the NumPy backend and eagerly."""
    leaves, tree = tree_flatten(x)
    per_leaf = expand_prefix(shardings, x, "with_sharding_constraint")
    return tree_unflatten(tree, [leaf if s is None else sharding_constraint(leaf, s)
                                 for leaf, s in zip(leaves, per_leaf, strict=True)])


__all__ = ["check_sharding_options", "expand_prefix", "placement", "with_sharding_constraint"]
