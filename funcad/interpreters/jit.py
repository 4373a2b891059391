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

Derived IRs are made once per (IR, pattern) and cached, so a steady-state call of
``grad(jit(f))`` traces nothing.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from funcad.core.avals import ShapedArray
from funcad.core.primitive import Primitive
from funcad.core.trace import Tracer, new_main
from funcad.errors import PrimitiveTypeError
from funcad.interpreters.ad_util import Zero, tangent_aval
from funcad.interpreters.batching import BatchTrace, BatchTracer, axis_size_of, batch_rules
from funcad.interpreters.jvp import jvp_rules
from funcad.interpreters.partial_eval import jvp_flat
from funcad.interpreters.staging import UNKNOWN, partial_eval_rules, trace_to_jaxpr
from funcad.interpreters.transpose import UndefPrimal, backward_pass, transpose_rules
from funcad.ir.core import ClosedJaxpr, Jaxpr, Literal, Var
from funcad.ir.eval import eval_jaxpr
from funcad.ir.passes import dce_closed, inline_params, optimize
from funcad.ir.typecheck import subjaxpr_checks, typecheck_jaxpr

jit_p = Primitive("jit", multiple_results=True)


def jit_call(args, *, jaxpr: ClosedJaxpr, backend: str, device, name: str) -> list:
    """Bind ``jit_p``: call the closed IR ``jaxpr`` on ``args``, compiled for ``backend``."""
    return jit_p.bind(*args, name=name, backend=backend, device=device, jaxpr=jaxpr)


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


# --- caches of derived IRs -----------------------------------------------------------------

class _DerivedCache:
    """IRs derived from a closed IR and a pattern, keyed by the IR's identity (IRs compare by
    identity; each entry keeps its IR alive so the id cannot be reused), least recently
    used first out."""

    def __init__(self, size: int = 512):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, closed: ClosedJaxpr, pattern, make: Callable):
        key = (id(closed), pattern)
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None and hit[0] is closed:
                self.entries.move_to_end(key)
                return hit[1]
        value = make()  # outside the lock: making may trace, which may come back here
        with self.lock:
            self.entries[key] = (closed, value)
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


_derived = _DerivedCache()


def _call_params(name: str, backend: str, device) -> dict:
    return {"name": name, "backend": backend, "device": device}


# --- JVP -----------------------------------------------------------------------------------

def _jvp_jaxpr(closed: ClosedJaxpr, nonzero: tuple[bool, ...]):
    """``(primals, nonzero tangents) -> (primal outs, nonzero tangent outs)`` and which
    output tangents are nonzero."""
    in_avals = closed.in_avals
    t_avals = [tangent_aval(a) for a, nz in zip(in_avals, nonzero) if nz]
    mask: list = []

    def fun(*args):
        primals, rest = args[:len(in_avals)], iter(args[len(in_avals):])
        tangents = [next(rest) if nz else Zero(tangent_aval(a))
                    for a, nz in zip(in_avals, nonzero)]
        p_out, t_out = jvp_flat(
            lambda *xs: eval_jaxpr(closed.jaxpr, closed.consts, *xs), primals, tangents)
        mask[:] = [type(t) is not Zero for t in t_out]
        return [*p_out, *[t for t in t_out if type(t) is not Zero]]

    staged = trace_to_jaxpr(fun, [*in_avals, *t_avals], name="jvp")
    return optimize(staged), tuple(mask)


def _jit_jvp(primals, tangents, *, name, backend, device, jaxpr):
    nonzero = tuple(type(t) is not Zero for t in tangents)
    jvp_closed, out_nonzero = _derived.get(
        jaxpr, ("jvp", nonzero), lambda: _jvp_jaxpr(jaxpr, nonzero))
    outs = jit_call([*primals, *[t for t in tangents if type(t) is not Zero]],
                    jaxpr=jvp_closed, **_call_params(f"jvp({name})", backend, device))
    n = len(jaxpr.out_avals)
    rest = iter(outs[n:])
    t_out = [next(rest) if nz else Zero(tangent_aval(a))
             for a, nz in zip(jaxpr.out_avals, out_nonzero)]
    return outs[:n], t_out


jvp_rules[jit_p] = _jit_jvp


# --- partial evaluation --------------------------------------------------------------------

@dataclass(frozen=True)
class _Split:
    """A jit call split into what known inputs determine and what needs unknown ones.

    Sources say where a value comes from: ``("in", i)`` known input ``i``, ``("known", k)``
    output ``k`` of the known call, ``("val", v)`` a literal or constant, ``("unknown", k)``
    output ``k`` of the unknown call.
    """

    known: ClosedJaxpr | None  # known inputs -> known outputs and residuals
    unknown: ClosedJaxpr | None  # residuals + unknown inputs -> unknown outputs
    residuals: tuple  # sources of the residuals
    outputs: tuple  # sources of the call's outputs


def _split(closed: ClosedJaxpr, unknowns: tuple[bool, ...]) -> _Split:
    jaxpr = closed.jaxpr
    unknown_vars = {v for v, u in zip(jaxpr.invars, unknowns) if u}
    known_eqns, unknown_eqns = [], []
    for eqn in jaxpr.eqns:
        if any(type(x) is Var and x in unknown_vars for x in eqn.invars):
            unknown_eqns.append(eqn)
            unknown_vars.update(eqn.outvars)
        else:
            known_eqns.append(eqn)
    known_in = [v for v, u in zip(jaxpr.invars, unknowns) if not u]
    in_index = {v: i for i, v in enumerate(known_in)}
    const_of = dict(zip(jaxpr.constvars, closed.consts))
    known_index: dict[Var, int] = {}  # outputs of the known call, in order

    def source(x):
        if type(x) is Literal:
            return ("val", x.val)
        if x in in_index:
            return ("in", in_index[x])
        if x in const_of:
            return ("val", const_of[x])
        return ("known", known_index.setdefault(x, len(known_index)))

    # Residuals: known values the unknown equations read (constants stay constants).
    res_vars = list(dict.fromkeys(
        x for eqn in unknown_eqns for x in eqn.invars
        if type(x) is Var and x not in unknown_vars and x not in const_of))
    outputs, unknown_outs = [], []
    for x in jaxpr.outvars:
        if type(x) is Var and x in unknown_vars:
            outputs.append(("unknown", len(unknown_outs)))
            unknown_outs.append(x)
        else:
            outputs.append(source(x))
    residuals = tuple(source(x) for x in res_vars)
    known = None
    if known_index:
        known = dce_closed(ClosedJaxpr(
            Jaxpr.new(jaxpr.constvars, known_in, list(known_index), known_eqns), closed.consts))
    unknown = None
    if unknown_outs:
        u_in = [*res_vars, *[v for v, u in zip(jaxpr.invars, unknowns) if u]]
        unknown = dce_closed(ClosedJaxpr(
            Jaxpr.new(jaxpr.constvars, u_in, unknown_outs, unknown_eqns), closed.consts))
    return _Split(known, unknown, residuals, tuple(outputs))


def _jit_partial_eval(trace, tracers, known, *, name, backend, device, jaxpr):
    unknowns = tuple(k is UNKNOWN for k in known)
    split = _derived.get(jaxpr, ("pe", unknowns), lambda: _split(jaxpr, unknowns))
    known_in = [k for k in known if k is not UNKNOWN]
    known_outs = []
    if split.known is not None:
        known_outs = jit_call(known_in, jaxpr=split.known,
                              **_call_params(f"known({name})", backend, device))

    def value(src):
        kind, x = src
        return known_in[x] if kind == "in" else known_outs[x] if kind == "known" else x

    unknown_outs = []
    if split.unknown is not None:
        residuals = [trace.full_raise(value(s)) for s in split.residuals]
        ins = [*residuals, *[t for t, u in zip(tracers, unknowns) if u]]
        unknown_outs = trace.stage(
            jit_p, ins, dict(jaxpr=split.unknown, **_call_params(name, backend, device)))
    return [unknown_outs[s[1]] if s[0] == "unknown" else value(s) for s in split.outputs]


partial_eval_rules[jit_p] = _jit_partial_eval


# --- transpose -----------------------------------------------------------------------------

def _transpose_jaxpr(closed: ClosedJaxpr, linear: tuple[bool, ...], ct_nonzero: tuple[bool, ...]):
    """``(non-linear operands, nonzero output cotangents) -> nonzero input cotangents``."""
    in_avals, out_avals = closed.in_avals, closed.out_avals
    res_avals = [a for a, lin in zip(in_avals, linear) if not lin]
    ct_avals = [tangent_aval(a) for a, nz in zip(out_avals, ct_nonzero) if nz]
    mask: list = []

    def fun(*args):
        res, cts = iter(args[:len(res_avals)]), iter(args[len(res_avals):])
        operands = [UndefPrimal(a) if lin else next(res) for a, lin in zip(in_avals, linear)]
        cts_out = [next(cts) if nz else Zero(tangent_aval(a))
                   for a, nz in zip(out_avals, ct_nonzero)]
        cts_in = backward_pass(closed.jaxpr, closed.consts, operands, cts_out)
        cts_in = [c for c, lin in zip(cts_in, linear) if lin]
        mask[:] = [type(c) is not Zero for c in cts_in]
        return [c for c in cts_in if type(c) is not Zero]

    staged = trace_to_jaxpr(fun, [*res_avals, *ct_avals], name="transpose")
    return optimize(staged), tuple(mask)


def _jit_transpose(cts, *args, name, backend, device, jaxpr):
    linear = tuple(type(a) is UndefPrimal for a in args)
    ct_nonzero = tuple(type(c) is not Zero for c in cts)
    t_closed, in_nonzero = _derived.get(
        jaxpr, ("transpose", linear, ct_nonzero),
        lambda: _transpose_jaxpr(jaxpr, linear, ct_nonzero))
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

def _batched_aval(aval: ShapedArray, bdim: int | None, size: int) -> ShapedArray:
    if bdim is None:
        return aval
    shape = list(aval.shape)
    shape.insert(bdim, size)
    return ShapedArray(shape, aval.dtype, aval.weak_type)


def _batch_jaxpr(closed: ClosedJaxpr, dims: tuple, size: int):
    """The IR mapped over axis ``dims[i]`` of input ``i`` (``None``: not mapped), and the
    batch axis of each output."""
    out_dims: list = []

    def fun(*args):
        with new_main(BatchTrace, size, name="vmap(jit)") as main:
            trace = main.trace
            tracers = [x if d is None else BatchTracer(trace, x, d) for x, d in zip(args, dims)]
            outs = [trace.full_raise(o) for o in eval_jaxpr(closed.jaxpr, closed.consts, *tracers)]
            out_dims[:] = [o.bdim for o in outs]
            return [o.val for o in outs]

    avals = [_batched_aval(a, d, size) for a, d in zip(closed.in_avals, dims)]
    staged = trace_to_jaxpr(fun, avals, name="vmap")
    return optimize(staged), tuple(out_dims)


def _jit_batch(vals, dims, *, name, backend, device, jaxpr):
    size = axis_size_of(vals, dims)
    dims = tuple(dims)
    b_closed, out_dims = _derived.get(
        jaxpr, ("vmap", dims, size), lambda: _batch_jaxpr(jaxpr, dims, size))
    outs = jit_call(vals, jaxpr=b_closed, **_call_params(f"vmap({name})", backend, device))
    return outs, list(out_dims)


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
