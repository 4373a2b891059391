"""``debug_print``: print values when the program runs (``funcad.debug.print``).

An effect, not a function: no results, listed in ``effectful`` so the passes keep it. Its
implementation formats and prints, so it prints at run time eagerly and on the NumPy
backend; funcad_xla lowers it to a host callback. Differentiation ignores it (the JVP
prints the primal values only); ``vmap`` prints once per example.
"""
from __future__ import annotations

import builtins

import numpy as np

from funcad.core.rules import batch_rules, effectful, jvp_rules
from funcad.core.symbolic import not_mapped
from funcad.core.trace import get_aval
from funcad.ops._base import reshape
from funcad.ops._shapes import new_primitive
from funcad.ops.slicing import slice as slice_op
from funcad.tree_util import tree_unflatten


def debug_print(fmt: str, in_tree, *leaves) -> None:
    debug_print_p.bind(*leaves, fmt=fmt, in_tree=in_tree)


def format_values(fmt: str, in_tree, leaves) -> str:
    args, kwargs = tree_unflatten(in_tree, [np.asarray(x) for x in leaves])
    return fmt.format(*args, **kwargs)


def _debug_print_impl(*leaves, fmt, in_tree):
    builtins.print(format_values(fmt, in_tree, leaves))
    return []


debug_print_p = new_primitive("debug_print", _debug_print_impl,
                              lambda *avals, fmt, in_tree: [], multiple_results=True)
effectful.add(debug_print_p)


def _debug_print_jvp(primals, tangents, *, fmt, in_tree):
    debug_print_p.bind(*primals, fmt=fmt, in_tree=in_tree)
    return [], []


jvp_rules[debug_print_p] = _debug_print_jvp


def _example(x, d, i: int):
    """Example ``i`` of ``x`` batched along ``d``."""
    if d is not_mapped:
        return x
    shape = get_aval(x).shape
    lo = [0] * len(shape)
    hi = list(shape)
    lo[d], hi[d] = i, i + 1
    return reshape(slice_op(x, lo, hi), shape[:d] + shape[d + 1:])


def _debug_print_batch(vals, dims, *, fmt, in_tree):
    size = next(get_aval(x).shape[d] for x, d in zip(vals, dims) if d is not not_mapped)
    for i in range(size):  # once per example, in order
        debug_print_p.bind(*[_example(x, d, i) for x, d in zip(vals, dims)], fmt=fmt,
                           in_tree=in_tree)
    return [], []


batch_rules[debug_print_p] = _debug_print_batch

__all__ = ["debug_print", "debug_print_p", "format_values"]
