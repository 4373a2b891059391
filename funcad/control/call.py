"""The call primitives: ``jit_p`` (staged compilation) and ``remat_p`` (checkpoint), each
with all of its rules.

An equation ``jit[name backend device jaxpr] *args`` calls a closed IR whose constants are
concrete values (traced values a function closed over are passed as leading arguments).
Evaluating it runs the IR compiled for ``backend``. Every transform turns a jit call into
another jit call of a transformed IR, so compiled code stays compiled under ``grad``,
``vmap`` and nesting:

- JVP: jit of the JVP of the IR, with symbolic-zero tangents left out of the call;
- partial evaluation (linearize): the known part runs at once as one jit call, the unknown
  (tangent) part is staged as another, fed with the residuals;
- transpose: jit of the transposed IR; batching: jit of the vmapped IR.

The derived IRs come from ``funcad.interpreters.subjaxpr``, made once per (IR, pattern)
and cached, so a steady-state call of ``grad(jit(f))`` traces nothing.
"""
from __future__ import annotations

import numpy as np

from funcad.backends import executable
from funcad.control.axis_scope import axis_scoped, batch_axis_size
from funcad.control.remat_policy import split_with_policy
from funcad.core.avals import as_numpy
from funcad.core.rules import (
    batch_rules,
    inline_params,
    jvp_rules,
    partial_eval_rules,
    transpose_rules,
    typecheck_rules,
)
from funcad.core.symbolic import UNKNOWN, UndefPrimal, Zero, is_undefined, not_mapped, tangent_aval
from funcad.core.trace import Tracer
from funcad.errors import PrimitiveTypeError
from funcad.interpreters.subjaxpr import (
    batch_jaxpr,
    call_closed,
    derived,
    jvp_jaxpr,
    partial_eval_jaxpr,
    prune_invars,
    run_closed,
    trace_flat,
    transpose_jaxpr,
    used_invars,
)
from funcad.interpreters.transpose import backward_pass
from funcad.ir.core import ClosedJaxpr, Jaxpr
from funcad.ir.passes import dce_closed
from funcad.ir.typecheck import typecheck_jaxpr
from funcad.ops._base import instantiate_zeros

jit_p = axis_scoped("jit", multiple_results=True)


def jit_call(args, *, jaxpr: ClosedJaxpr, backend: str, device, name: str) -> list:
    """Bind ``jit_p``: call the closed IR ``jaxpr`` on ``args``, compiled for ``backend``."""
    return jit_p.bind(*args, name=name, backend=backend, device=device, jaxpr=jaxpr)


def _call_params(name: str, backend: str, device) -> dict:
    return {"name": name, "backend": backend, "device": device}


def _jit_impl(*args, name, backend, device, jaxpr):
    # Inside other transforms values are NumPy arrays: a device-resident result is read back.
    return [o if type(o) is np.ndarray else as_numpy(o)
            for o in executable(jaxpr, backend, device)(*args)]


def _jit_abstract_eval(*avals, name, backend, device, jaxpr):
    expected = jaxpr.in_avals
    if len(avals) != len(expected) or not all(
            a.same_type(e) for a, e in zip(avals, expected)):
        raise PrimitiveTypeError(
            f"jit({name})", avals,
            "arguments do not match the staged IR, which takes "
            + (", ".join(e.str_short() for e in expected) or "nothing"),
        )
    return list(jaxpr.out_avals)


jit_p.def_impl(_jit_impl)
jit_p.def_abstract_eval(_jit_abstract_eval)
inline_params[jit_p] = "jaxpr"


def _check_sub_jaxpr(eqn, in_avals) -> None:
    typecheck_jaxpr(eqn.params["jaxpr"])


typecheck_rules[jit_p] = _check_sub_jaxpr


# --- JVP -----------------------------------------------------------------------------------

def _jit_jvp(primals, tangents, *, name, backend, device, jaxpr):
    nonzero = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nonzero = jvp_jaxpr(jaxpr, nonzero, False)
    outs = jit_call([*primals, *[t for t in tangents if type(t) is not Zero]],
                    jaxpr=jvp_closed, **_call_params(f"jvp({name})", backend, device))
    n = len(jaxpr.out_avals)
    rest = iter(outs[n:])
    t_out = [next(rest) if nz else Zero(tangent_aval(a))
             for a, nz in zip(jaxpr.out_avals, out_nonzero)]
    return outs[:n], t_out


jvp_rules[jit_p] = _jit_jvp


# --- partial evaluation --------------------------------------------------------------------

def _jit_partial_eval(trace, tracers, known, *, name, backend, device, jaxpr):
    """The known part runs now as one jit call; the unknown part is staged as another, fed
    with the residuals (the split reaches into nested jit, cond, scan and while)."""
    unknowns = [k is UNKNOWN for k in known]
    pe = partial_eval_jaxpr(jaxpr, unknowns)
    known_in = [k for k in known if k is not UNKNOWN]
    known_outs = []
    if pe.known.jaxpr.outvars:
        known_outs = jit_call(known_in, jaxpr=pe.known,
                              **_call_params(f"known({name})", backend, device))
    n_known = pe.out_unknowns.count(False)
    residuals = [known_in[f] if f is not None else known_outs[n_known + j]
                 for j, f in enumerate(pe.res_forward)]
    unknown_outs = iter(())
    if pe.unknown.jaxpr.outvars:
        ins = [*[trace.full_raise(r) for r in residuals],
               *[t for t, u in zip(tracers, unknowns) if u]]
        unknown_outs = iter(trace.stage(
            jit_p, ins, dict(jaxpr=pe.unknown, **_call_params(name, backend, device))))
    known_iter = iter(known_outs[:n_known])
    return [next(unknown_outs) if u else next(known_iter) for u in pe.out_unknowns]


partial_eval_rules[jit_p] = _jit_partial_eval


# --- transpose -----------------------------------------------------------------------------

def _jit_transpose(cts, *args, name, backend, device, jaxpr):
    linear = tuple(type(a) is UndefPrimal for a in args)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    t_closed, in_nonzero = transpose_jaxpr(jaxpr, linear, ct_nonzero, instantiate=False)
    outs = iter(jit_call(
        [*[a for a, lin in zip(args, linear) if not lin], *[c for c in cts if type(c) is not Zero]],
        jaxpr=t_closed, **_call_params(f"transpose({name})", backend, device)))
    nonzero = iter(in_nonzero)
    result = []
    for a, lin in zip(args, linear):
        if not lin:
            result.append(None)
        else:
            result.append(next(outs) if next(nonzero) else Zero(tangent_aval(a.aval)))
    return result


transpose_rules[jit_p] = _jit_transpose


# --- batching ------------------------------------------------------------------------------

def _jit_batch(vals, dims, *, name, backend, device, jaxpr):
    size = batch_axis_size(vals, dims)
    b_closed, batched = batch_jaxpr(jaxpr, size, dims, False)
    outs = jit_call(vals, jaxpr=b_closed, **_call_params(f"vmap({name})", backend, device))
    return outs, [0 if b else not_mapped for b in batched]


batch_rules[jit_p] = _jit_batch


# --- closure conversion --------------------------------------------------------------------

def hoist_traced_consts(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list]:
    """Make constants that are traced values (of an enclosing transform) leading inputs, so
    the IR's constants are all concrete; returns the new IR and those traced values."""
    jaxpr = closed.jaxpr
    traced = [i for i, c in enumerate(closed.consts) if isinstance(c, Tracer)]
    if not traced:
        return closed, []
    keep = [i for i in range(len(closed.consts)) if i not in set(traced)]
    new = Jaxpr.new([jaxpr.constvars[i] for i in keep],
                    [*[jaxpr.constvars[i] for i in traced], *jaxpr.invars],
                    jaxpr.outvars, jaxpr.eqns)
    return (ClosedJaxpr(new, [closed.consts[i] for i in keep]),
            [closed.consts[i] for i in traced])


# === remat: the call primitive of checkpoint ====================================================
#
# ``remat[jaxpr prevent_cse] *args`` calls a closed IR like ``jit``, but linearizing it stores
# no residuals of its inside: the tangent part recomputes them from the inputs.

remat_p = axis_scoped("remat", multiple_results=True)


def _remat_impl(*args, jaxpr, prevent_cse, policy):
    return run_closed(jaxpr, *args)


def _remat_abstract_eval(*avals, jaxpr, prevent_cse, policy):
    return list(jaxpr.out_avals)


remat_p.def_impl(_remat_impl)
remat_p.def_abstract_eval(_remat_abstract_eval)
typecheck_rules[remat_p] = lambda eqn, in_avals: typecheck_jaxpr(eqn.params["jaxpr"])


def _remat_jvp(primals, tangents, *, jaxpr, prevent_cse, policy):
    nz = [type(t) is not Zero for t in tangents]
    jvp_closed, out_nz = jvp_jaxpr(jaxpr, nz, False)
    outs = remat_p.bind(*primals, *[t for t in tangents if type(t) is not Zero],
                        jaxpr=jvp_closed, prevent_cse=prevent_cse, policy=policy)
    n = len(out_nz)
    rest = iter(outs[n:])
    return outs[:n], [next(rest) if z else Zero(tangent_aval(a))
                      for a, z in zip(jaxpr.out_avals, out_nz)]


jvp_rules[remat_p] = _remat_jvp


def _remat_partial_eval(trace, tracers, known, *, jaxpr, prevent_cse, policy):
    """Known outputs are computed now, without residuals; the unknown ones are staged as the
    whole (dead-code-eliminated) computation, whose only residuals are known inputs (or,
    with a ``policy``, the values it lets store: ``funcad.control.remat_policy``)."""
    if policy is not None:
        return _remat_partial_eval_policy(trace, tracers, known, jaxpr=jaxpr,
                                          prevent_cse=prevent_cse, policy=policy)
    uk = [k is UNKNOWN for k in known]
    pe = partial_eval_jaxpr(jaxpr, uk)
    out_uk = list(pe.out_unknowns)
    n_known = out_uk.count(False)
    known_outs = []
    if n_known:
        known_j = dce_closed(pe.known, [True] * n_known + [False] * pe.num_res)
        known_outs = remat_p.bind(*[k for k in known if k is not UNKNOWN], jaxpr=known_j,
                                  prevent_cse=prevent_cse, policy=None)
    staged = []
    if any(out_uk):
        unknown_j, keep = derived.get((jaxpr,), ("remat_unknown", tuple(out_uk)),
                                      lambda: _unknown_part(jaxpr, out_uk))
        ins = [t if k is UNKNOWN else trace.full_raise(k)
               for t, k, kp in zip(tracers, known, keep) if kp]
        staged = trace.stage(remat_p, ins, {"jaxpr": unknown_j, "prevent_cse": prevent_cse,
                                            "policy": None})
    staged, known_outs = iter(staged), iter(known_outs)
    return [next(staged) if u else next(known_outs) for u in out_uk]


def _remat_partial_eval_policy(trace, tracers, known, *, jaxpr, prevent_cse, policy):
    """Known outputs and the values ``policy`` stores are computed now; the unknown outputs
    are staged with those values as residuals, recomputing the other residuals first."""
    uk = tuple(k is UNKNOWN for k in known)
    split = derived.get((jaxpr,), ("remat_policy", uk, policy),
                        lambda: split_with_policy(jaxpr, uk, policy))
    known_in = [k for k in known if k is not UNKNOWN]
    n_known = list(split.out_unknowns).count(False)
    known_outs = []
    if split.known.jaxpr.outvars:
        known_outs = remat_p.bind(*known_in, jaxpr=split.known, prevent_cse=prevent_cse,
                                  policy=policy)
    stored = [known_in[k] if where == "input" else known_outs[n_known + k]
              for where, k in split.stored_from]
    staged = iter(())
    if any(split.out_unknowns):
        ins = [*[trace.full_raise(v) for v in stored],
               *[t for t, u in zip(tracers, uk) if u]]
        staged = iter(trace.stage(remat_p, ins, {"jaxpr": split.unknown,
                                                 "prevent_cse": prevent_cse, "policy": policy}))
    known_iter = iter(known_outs[:n_known])
    return [next(staged) if u else next(known_iter) for u in split.out_unknowns]


def _unknown_part(jaxpr: ClosedJaxpr, out_uk) -> tuple[ClosedJaxpr, list[bool]]:
    pruned = dce_closed(jaxpr, out_uk)
    keep = used_invars(pruned)
    return prune_invars(pruned, keep), keep


partial_eval_rules[remat_p] = _remat_partial_eval


def _remat_transpose(cts, *args, jaxpr, prevent_cse, policy):
    """Recompute what the linear inputs do not determine (the residuals), then transpose the
    rest; staged as one ``remat`` call so that the recomputation stays a unit."""
    linear = tuple(is_undefined(a) for a in args)
    ct_nz = tuple(type(c) is not Zero for c in cts)
    t_closed = derived.get((jaxpr,), ("remat_t", linear, ct_nz),
                           lambda: _transposed(jaxpr, linear, ct_nz))
    outs = iter(remat_p.bind(*[a for a, lin in zip(args, linear) if not lin],
                             *[c for c in cts if type(c) is not Zero], jaxpr=t_closed,
                             prevent_cse=prevent_cse, policy=policy))
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


def _remat_batch(vals, dims, *, jaxpr, prevent_cse, policy):
    size = batch_axis_size(vals, dims)
    batched, _ = batch_jaxpr(jaxpr, size, dims, True)
    outs = remat_p.bind(*vals, jaxpr=batched, prevent_cse=prevent_cse, policy=policy)
    return outs, [0] * len(outs)


batch_rules[remat_p] = _remat_batch


__all__ = ["hoist_traced_consts", "jit_call", "jit_p", "remat_p"]
