"""``saved_residuals`` / ``print_saved_residuals``: what reverse mode stores for a function's
backward pass, as ``jax.ad_checkpoint`` lists it; the way to see a checkpoint policy at
work."""
from __future__ import annotations

import builtins
from collections.abc import Callable

from funcad.api_util import arg_paths, fun_name, leaf_avals, positional_param_names
from funcad.control.call import jit_p, remat_p
from funcad.core.avals import ShapedArray
from funcad.interpreters.partial_eval import linearize_flat
from funcad.interpreters.staging import trace_to_jaxpr
from funcad.ir.core import Var
from funcad.ir.passes import dce_closed
from funcad.ops.checkpointing import name_p
from funcad.tree_util import tree_flatten, tree_unflatten


def _describe(jaxpr, v, paths: list[str]) -> str:
    """Where value ``v`` of ``jaxpr`` comes from, looking into calls (``jit``, ``remat``)
    for the equation that computes it (a flat walk, one call level per step)."""
    while True:
        if v in jaxpr.invars:
            return f"from the argument {paths[jaxpr.invars.index(v)]}" if paths is not None \
                else "from an input of a call"
        eqn = next((e for e in jaxpr.eqns if v in e.outvars), None)
        if eqn is None or type(v) is not Var:
            return "from a constant"
        if eqn.primitive in (jit_p, remat_p):
            inner = eqn.params["jaxpr"].jaxpr
            v = inner.outvars[eqn.outvars.index(v)]
            if v in inner.invars:  # forwarded input of the call: look outside again
                v = eqn.invars[inner.invars.index(v)]
                continue
            jaxpr, paths = inner, None
            continue
        if eqn.primitive is name_p:
            return f"named {eqn.params['name']!r}"
        return f"output of {eqn.primitive.name}"


def saved_residuals(f: Callable, *args, **kwargs) -> list[tuple[ShapedArray, str]]:
    """The values ``grad``/``vjp`` of ``f`` at these arguments' types store for the backward
    pass: ``(abstract value, where it comes from)`` pairs (an argument, the output of a
    primitive, a value tagged by ``checkpoint_name``)."""
    name = f"saved_residuals({fun_name(f)})"
    leaves, in_tree = tree_flatten((args, kwargs))
    paths = arg_paths(*in_tree.children, param_names=positional_param_names(f))
    avals = leaf_avals(leaves, name, paths)

    def flat(*xs):
        a, kw = tree_unflatten(in_tree, xs)
        return tree_flatten(f(*a, **kw))[0]

    def residuals(*xs):
        _, linear = linearize_flat(flat, list(xs), name=name)
        return list(dce_closed(linear).consts)

    closed = trace_to_jaxpr(residuals, avals, name=name, arg_names=paths)
    jaxpr = closed.jaxpr
    return [(v.aval, _describe(jaxpr, v, paths)) for v in jaxpr.outvars]


def print_saved_residuals(f: Callable, *args, **kwargs) -> None:
    """Print ``saved_residuals(f, *args, **kwargs)``, one value per line."""
    for aval, where in saved_residuals(f, *args, **kwargs):
        builtins.print(f"{aval.str_short()} {where}")


__all__ = ["print_saved_residuals", "saved_residuals"]
