"""``checkpoint`` (``remat``): trade computation for memory in reverse mode.

A checkpointed function is staged and bound as ``remat``, a call primitive
(``funcad.control.call``). Linearizing it
does not store the residuals of its inside: the known part computes only its outputs, and
the staged tangent part keeps the whole computation, with the function's *inputs* as its
only residuals. When the linear program is transposed, the ``remat`` equation first
recomputes the residuals from those inputs, then runs its backward pass.

>>> f = checkpoint(lambda x: fnp.sin(fnp.sin(fnp.sin(x))))   # doctest: +SKIP
>>> funcad.grad(f)(1.0)                                      # doctest: +SKIP
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from funcad.api_util import fun_name, leaf_avals
from funcad.control.call import remat_p
from funcad.core.trace import trace_stack
from funcad.errors import FuncadTypeError
from funcad.interpreters.subjaxpr import (
    closure_convert,
    trace_flat,
)
from funcad.tree_util import tree_flatten, tree_unflatten


def checkpoint(fun: Callable, *, prevent_cse: bool = True, policy: Callable | None = None,
               static_argnums: int | Sequence[int] = ()) -> Callable:
    """``fun`` whose internal values are recomputed in the backward pass instead of being
    stored (as ``jax.checkpoint``). ``static_argnums`` name arguments that are Python
    values (hashable or not) rather than arrays. ``policy(primitive, *avals, **params) ->
    bool`` (see ``funcad.checkpoint_policies``) says which intermediate values may be
    stored for the backward pass; the rest are recomputed there from the stored ones and
    the inputs. ``None`` stores nothing but the inputs."""
    if policy is not None and (not callable(policy) or not _hashable(policy)):
        raise FuncadTypeError(
            f"checkpoint: policy must be None or a hashable callable (primitive, *avals, "
            f"**params) -> bool such as funcad.checkpoint_policies.dots_saveable, got "
            f"{type(policy).__name__}")
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def remat_fun(*args):
        if len(trace_stack()) == 1:
            return fun(*args)
        nums = {a % len(args) for a in statics}
        dyn_idx = [i for i in range(len(args)) if i not in nums]
        leaves, in_tree = tree_flatten(tuple(args[i] for i in dyn_idx))
        in_avals = leaf_avals(leaves, "checkpoint", "argument", "; list it in static_argnums")
        store: list = []

        def flat(*flat_args):
            full = list(args)
            for i, v in zip(dyn_idx, tree_unflatten(in_tree, flat_args), strict=True):
                full[i] = v
            out_leaves, out_tree = tree_flatten(fun(*full))
            store[:] = [out_tree]
            return out_leaves

        closed = trace_flat(flat, in_avals, f"checkpoint({fun_name(fun)})")
        closed, consts = closure_convert(closed)
        outs = remat_p.bind(*consts, *leaves, jaxpr=closed, prevent_cse=bool(prevent_cse),
                            policy=policy)
        return tree_unflatten(store[0], outs)

    return remat_fun


def _hashable(x) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


remat = checkpoint

__all__ = ["checkpoint", "remat"]
