"""``funcad.closure_convert``: make the arrays a function closes over explicit arguments,
as ``jax.closure_convert``, for custom derivative rules of higher-order functions (a
``custom_vjp`` solver that takes a function must see, as its own arguments, the values the
function closes over that may carry derivatives)."""
from __future__ import annotations

from collections.abc import Callable

from funcad.api_util import arg_paths, fun_name, leaf_avals
from funcad.core.symbolic import Zero, is_differentiable_dtype
from funcad.core.trace import Tracer, get_aval
from funcad.errors import FuncadTypeError, with_user_line
from funcad.interpreters.batching import BatchTracer
from funcad.interpreters.jvp import JVPTracer
from funcad.interpreters.staging import trace_to_jaxpr
from funcad.ir.eval import eval_jaxpr
from funcad.tree_util import tree_flatten, tree_unflatten


def _maybe_perturbed(x) -> bool:
    """Whether ``x`` may carry a derivative (JAX's rule): a forward-mode value with a
    nonzero tangent, or a staged value of a differentiable dtype (it may be differentiated
    later); a batched value if what it batches may. Concrete arrays cannot."""
    while True:
        if isinstance(x, JVPTracer):
            if type(x.tangent) is not Zero:
                return True
            x = x.primal
        elif isinstance(x, BatchTracer):
            x = x.val
        elif isinstance(x, Tracer):
            return is_differentiable_dtype(get_aval(x).dtype)
        else:
            return False


def closure_convert(fun: Callable, *example_args) -> tuple[Callable, list]:
    """``(converted, hoisted)``: ``converted(*args, *hoisted)`` computes ``fun(*args)`` for
    arguments of the types of ``example_args``, taking the values ``fun`` closes over that
    may carry derivatives (traced values of float dtype, found by staging ``fun``) as its
    trailing arguments ``hoisted``. Closed-over concrete arrays stay closed over."""
    name = f"closure_convert({fun_name(fun)})"
    leaves, in_tree = tree_flatten(example_args)
    paths = [f"argument {p}" for p in arg_paths(in_tree)]
    in_avals = leaf_avals(leaves, name, paths)
    store: list = []

    def flat(*xs):
        out_leaves, out_tree = tree_flatten(fun(*tree_unflatten(in_tree, xs)))
        store[:] = [out_tree]
        return out_leaves

    closed = trace_to_jaxpr(flat, in_avals, name=name, arg_names=paths)
    out_tree = store[0]
    consts = list(closed.consts)
    hoist = [_maybe_perturbed(c) for c in consts]
    hoisted = [c for c, h in zip(consts, hoist) if h]

    def converted(*args_and_consts):
        n = len(args_and_consts) - len(hoisted)
        if n < 0:
            raise FuncadTypeError(with_user_line(
                f"{name}: the converted function takes the arguments, then {len(hoisted)} "
                f"hoisted constants; got {len(args_and_consts)} values in all"))
        arg_leaves, tree = tree_flatten(tuple(args_and_consts[:n]))
        if tree != in_tree:
            raise FuncadTypeError(with_user_line(
                f"{name}: the converted function's arguments must have the pytree structure "
                f"of the example arguments, {in_tree}; got {tree}"))
        given = iter(args_and_consts[n:])
        values = [next(given) if h else c for c, h in zip(consts, hoist)]
        return tree_unflatten(out_tree, eval_jaxpr(closed.jaxpr, values, *arg_leaves))

    return converted, hoisted


__all__ = ["closure_convert"]
