"""``checkpoint`` (``remat``): trade computation for memory in reverse mode.

A checkpointed function is staged and bound as ``remat``, a call primitive. Linearizing it
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

from funcad.core.primitive import Primitive
from funcad.core.trace import get_aval, trace_stack
from funcad.errors import FuncadTypeError, with_user_line
from funcad.interpreters.ad_util import Zero, instantiate_zeros, tangent_aval
from funcad.interpreters.batching import axis_size_of, batch_rules
from funcad.interpreters.jvp import jvp_rules
from funcad.interpreters.staging import UNKNOWN, partial_eval_rules
from funcad.interpreters.subjaxpr import (
    batch_jaxpr,
    call_closed,
    closure_convert,
    derived,
    jvp_jaxpr,
    partial_eval_jaxpr,
    prune_invars,
    run_closed,
    trace_flat,
    used_invars,
)
from funcad.interpreters.transpose import UndefPrimal, backward_pass, is_undefined, transpose_rules
from funcad.ir.core import ClosedJaxpr
from funcad.ir.passes import dce_closed
from funcad.ir.typecheck import subjaxpr_checks, typecheck_jaxpr
from funcad.tree_util import tree_flatten, tree_unflatten


def checkpoint(fun: Callable, *, prevent_cse: bool = True, policy: Callable | None = None,
               static_argnums: int | Sequence[int] = ()) -> Callable:
    """``fun`` whose internal values are recomputed in the backward pass instead of being
    stored (as ``jax.checkpoint``). ``static_argnums`` name arguments that are Python
    values (hashable or not) rather than arrays; ``policy`` must be ``None`` (everything is
    recomputed)."""
    if policy is not None:
        raise FuncadTypeError("checkpoint: only policy=None (recompute everything) is supported")
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def remat_fun(*args):
        if len(trace_stack()) == 1:
            return fun(*args)
        nums = {a % len(args) for a in statics}
        dyn_idx = [i for i in range(len(args)) if i not in nums]
        leaves, in_tree = tree_flatten(tuple(args[i] for i in dyn_idx))
        in_avals = []
        for i, x in enumerate(leaves):
            try:
                in_avals.append(get_aval(x))
            except TypeError:
                raise FuncadTypeError(with_user_line(
                    f"checkpoint: argument leaf {i} is a {type(x).__name__}, not an array; "
                    "list it in static_argnums")) from None
        store: list = []

        def flat(*flat_args):
            full = list(args)
            for i, v in zip(dyn_idx, tree_unflatten(in_tree, flat_args)):
                full[i] = v
            out_leaves, out_tree = tree_flatten(fun(*full))
            store[:] = [out_tree]
            return out_leaves

        closed = trace_flat(flat, in_avals, f"checkpoint({getattr(fun, '__name__', '')})")
        closed, consts = closure_convert(closed)
        outs = remat_p.bind(*consts, *leaves, jaxpr=closed, prevent_cse=bool(prevent_cse))
        return tree_unflatten(store[0], outs)

    return remat_fun


remat = checkpoint

remat_p = Primitive("remat", multiple_results=True)


def _remat_impl(*args, jaxpr, prevent_cse):
    return run_closed(jaxpr, *args)


def _remat_abstract_eval(*avals, jaxpr, prevent_cse):
    return list(jaxpr.out_avals)


remat_p.def_impl(_remat_impl)
remat_p.def_abstract_eval(_remat_abstract_eval)
subjaxpr_checks[remat_p] = lambda eqn, in_avals: typecheck_jaxpr(eqn.params["jaxpr"])


def _remat_jvp(primals, tangents, *, jaxpr, prevent_cse):
    nz = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nz = jvp_jaxpr(jaxpr, nz, False)
    outs = remat_p.bind(*primals, *[t for t in tangents if type(t) is not Zero],
                        jaxpr=jvp_closed, prevent_cse=prevent_cse)
    n = len(out_nz)
    rest = iter(outs[n:])
    return outs[:n], [next(rest) if z else Zero(tangent_aval(a))
                      for a, z in zip(jaxpr.out_avals, out_nz)]


jvp_rules[remat_p] = _remat_jvp


def _remat_partial_eval(trace, tracers, known, *, jaxpr, prevent_cse):
    """Known outputs are computed now, without residuals; the unknown ones are staged as the
    whole (dead-code-eliminated) computation, whose only residuals are known inputs."""
    uk = [k is UNKNOWN for k in known]
    pe = partial_eval_jaxpr(jaxpr, uk)
    out_uk = list(pe.out_unknowns)
    n_known = out_uk.count(False)
    known_outs = []
    if n_known:
        known_j = dce_closed(pe.known, [True] * n_known + [False] * pe.num_res)
        known_outs = remat_p.bind(*[k for k in known if k is not UNKNOWN], jaxpr=known_j,
                                  prevent_cse=prevent_cse)
    staged = []
    if any(out_uk):
        unknown_j, keep = derived.get((jaxpr,), ("remat_unknown", tuple(out_uk)),
                                      lambda: _unknown_part(jaxpr, out_uk))
        ins = [t if k is UNKNOWN else trace.full_raise(k)
               for t, k, kp in zip(tracers, known, keep) if kp]
        staged = trace.stage(remat_p, ins, {"jaxpr": unknown_j, "prevent_cse": prevent_cse})
    staged, known_outs = iter(staged), iter(known_outs)
    return [next(staged) if u else next(known_outs) for u in out_uk]


def _unknown_part(jaxpr: ClosedJaxpr, out_uk) -> tuple[ClosedJaxpr, list[bool]]:
    pruned = dce_closed(jaxpr, out_uk)
    keep = used_invars(pruned)
    return prune_invars(pruned, keep), keep


partial_eval_rules[remat_p] = _remat_partial_eval


def _remat_transpose(cts, *args, jaxpr, prevent_cse):
    """Recompute what the linear inputs do not determine (the residuals), then transpose the
    rest; staged as one ``remat`` call so that the recomputation stays a unit."""
    linear = tuple(is_undefined(a) for a in args)
    ct_nz = tuple(type(c) is not Zero for c in cts)
    t_closed = derived.get((jaxpr,), ("remat_t", linear, ct_nz),
                           lambda: _transposed(jaxpr, linear, ct_nz))
    outs = iter(remat_p.bind(*[a for a, lin in zip(args, linear) if not lin],
                             *[c for c in cts if type(c) is not Zero], jaxpr=t_closed,
                             prevent_cse=prevent_cse))
    return [next(outs) if lin else None for lin in linear]


def _transposed(jaxpr: ClosedJaxpr, linear, ct_nz) -> ClosedJaxpr:
    pe = partial_eval_jaxpr(jaxpr, linear)
    in_avals, out_avals = jaxpr.in_avals, jaxpr.out_avals
    res_avals = [a for a, lin in zip(in_avals, linear) if not lin]
    ct_avals = [tangent_aval(a) for a, nz in zip(out_avals, ct_nz) if nz]
    n_known = list(pe.out_unknowns).count(False)

    def fun(*args):
        known_in, cts = args[:len(res_avals)], iter(args[len(res_avals):])
        residuals = call_closed(pe.known, *known_in)[n_known:]  # the recomputation
        cts_out = [next(cts) if nz else Zero(tangent_aval(a))
                   for a, nz in zip(out_avals, ct_nz)]
        cts_uk = [c for c, u in zip(cts_out, pe.out_unknowns) if u]
        lin_avals = [a for a, lin in zip(in_avals, linear) if lin]
        cts_in = backward_pass(pe.unknown.jaxpr, pe.unknown.consts,
                               [*residuals, *[UndefPrimal(a) for a in lin_avals]], cts_uk)
        return [instantiate_zeros(Zero(tangent_aval(c.aval)) if type(c) is Zero else c)
                for c in cts_in[len(residuals):]]

    return trace_flat(fun, [*res_avals, *ct_avals], "transpose(checkpoint)")


transpose_rules[remat_p] = _remat_transpose


def _remat_batch(vals, dims, *, jaxpr, prevent_cse):
    size = axis_size_of(vals, dims)
    batched, _ = batch_jaxpr(jaxpr, size, dims, True)
    outs = remat_p.bind(*vals, jaxpr=batched, prevent_cse=prevent_cse)
    return outs, [0] * len(outs)


batch_rules[remat_p] = _remat_batch


__all__ = ["checkpoint", "remat", "remat_p"]
