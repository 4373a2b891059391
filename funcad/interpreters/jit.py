"""``jit_p``: the call primitive of staged compilation, and all of its rules.

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

from funcad.core.primitive import Primitive
from funcad.core.trace import Tracer
from funcad.errors import PrimitiveTypeError
from funcad.interpreters.ad_util import Zero, tangent_aval
from funcad.interpreters.batching import axis_size_of, batch_rules, not_mapped
from funcad.interpreters.jvp import jvp_rules
from funcad.interpreters.staging import UNKNOWN, partial_eval_rules
from funcad.interpreters.subjaxpr import (
    batch_jaxpr,
    jvp_jaxpr,
    partial_eval_jaxpr,
    transpose_jaxpr,
)
from funcad.interpreters.transpose import UndefPrimal, transpose_rules
from funcad.ir.core import ClosedJaxpr, Jaxpr
from funcad.ir.passes import inline_params
from funcad.ir.typecheck import subjaxpr_checks, typecheck_jaxpr

jit_p = Primitive("jit", multiple_results=True)


def jit_call(args, *, jaxpr: ClosedJaxpr, backend: str, device, name: str) -> list:
    """Bind ``jit_p``: call the closed IR ``jaxpr`` on ``args``, compiled for ``backend``."""
    return jit_p.bind(*args, name=name, backend=backend, device=device, jaxpr=jaxpr)


def _call_params(name: str, backend: str, device) -> dict:
    return {"name": name, "backend": backend, "device": device}


def _jit_impl(*args, name, backend, device, jaxpr):
    from funcad.backends import executable

    return executable(jaxpr, backend, device)(*args)


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


subjaxpr_checks[jit_p] = _check_sub_jaxpr


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
    size = axis_size_of(vals, dims)
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


__all__ = ["hoist_traced_consts", "jit_call", "jit_p"]
