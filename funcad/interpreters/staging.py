"""Staging: record every operation into a jaxpr (the engine of ``make_jaxpr`` and ``jit``).

The staging trace is pushed as the *dynamic* trace, so operations on constants are staged
too (omnistaging) and nothing is silently evaluated at trace time. Scalar constants become
literals; array constants are hoisted as constvars.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray, aval_of_value
from funcad.core.rules import partial_eval_rules
from funcad.core.symbolic import UNKNOWN
from funcad.core.trace import Trace, Tracer, new_main
from funcad.ir.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Var, freeze_params


class StagingTracer(Tracer):
    """A value inside a jaxpr being built: a variable (or literal) with its type."""

    __slots__ = ("_aval", "atom")

    def __init__(self, trace: StagingTrace, aval: ShapedArray, atom):
        self._trace = trace
        self._aval = aval
        self.atom = atom

    @property
    def aval(self):
        return self._aval

    def to_concrete(self):
        # A literal is known; anything else is abstract by design (omnistaging).
        return self.atom.val if isinstance(self.atom, Literal) else None

    @property
    def _origin(self) -> str:
        builder: JaxprBuilder = self._trace.main.global_data
        return builder.describe_origin(self.atom)


class JaxprBuilder:
    """The growing jaxpr of one staging main trace."""

    def __init__(self, name: str):
        self.name = name
        self.eqns: list[Eqn] = []
        self.invars: list[Var] = []
        self.arg_names: dict[Var, str] = {}
        self.const_tracers: dict[int, StagingTracer] = {}
        self.consts: dict[Var, object] = {}
        self._keepalive: list = []  # const_tracers is keyed by id: keep those ids taken
        self.dynamic = False  # whether this staging records every operation (omnistaging)

    def new_arg(self, trace, aval: ShapedArray, arg_name: str) -> StagingTracer:
        v = Var(aval)
        self.invars.append(v)
        self.arg_names[v] = arg_name
        return StagingTracer(trace, aval, v)

    def const_tracer(self, trace, val) -> StagingTracer:
        if isinstance(val, Tracer):
            aval = val.aval
        else:
            aval = aval_of_value(val)
            if not aval.shape:
                # A scalar is written inline: a literal, no constvar to share.
                return StagingTracer(trace, aval, Literal(val, aval))
        tracer = self.const_tracers.get(id(val))
        if tracer is None:
            v = Var(aval)
            # An ndarray subclass (funcad.numpy's eager results) is staged as a plain view.
            plain = val if type(val) is np.ndarray or not isinstance(val, np.ndarray) \
                else val.view(np.ndarray)
            self.consts[v] = plain
            tracer = self.const_tracers[id(val)] = StagingTracer(trace, aval, v)
            self._keepalive.append(val)
        return tracer

    def known_value(self, atom):
        """The value of ``atom`` if it comes from outside this IR, else ``UNKNOWN``."""
        if isinstance(atom, Literal):
            return atom.val
        return self.consts.get(atom, UNKNOWN)

    def build(self, out_tracers) -> tuple[Jaxpr, list]:
        """The finished jaxpr and its constants. The builder is done: its tracer table
        (which would tie it to its trace in a reference cycle) is released."""
        constvars = list(self.consts)
        consts = list(self.consts.values())
        outvars = [t.atom for t in out_tracers]
        self.const_tracers.clear()
        self._keepalive.clear()
        return Jaxpr.new(constvars, self.invars, outvars, self.eqns), consts

    def describe_origin(self, atom) -> str:
        """Which arguments a staged value depends on (computed only for error messages)."""
        if isinstance(atom, Var) and atom in self.arg_names:
            return f"{self.name}, from its argument {self.arg_names[atom]}"
        producers = {v: e for e in self.eqns for v in e.outvars}
        seen, stack, args = set(), [atom], []
        while stack:
            x = stack.pop()
            if not isinstance(x, Var) or x in seen:
                continue
            seen.add(x)
            if x in self.arg_names:
                args.append(self.arg_names[x])
            elif x in producers:
                stack.extend(producers[x].invars)
        if not args:
            return self.name
        return f"{self.name}, from its argument{'s' if len(args) > 1 else ''} " + ", ".join(
            sorted(args)
        )


_abstract_eval_cache: dict = {}


class StagingTrace(Trace):
    __slots__ = ()
    tracers_lower = False

    def pure(self, val):
        return self.main.global_data.const_tracer(self, val)

    def lift(self, tracer):
        # A tracer of a lower transform is a constant as far as this staging is concerned;
        # it cannot be a literal, so it becomes a constvar bound to that tracer.
        return self.main.global_data.const_tracer(self, tracer)

    def process_primitive(self, primitive, tracers, params):
        builder = self.main.global_data
        if not builder.dynamic:
            rule = partial_eval_rules.get(primitive)
            if rule is not None:
                known = [builder.known_value(t.atom) for t in tracers]
                if any(k is not UNKNOWN for k in known):
                    return rule(self, tracers, known, **params)
        return self.stage(primitive, tracers, params)

    def stage(self, primitive, tracers, params):
        """Record ``primitive`` applied to ``tracers`` as an equation; return its outputs."""
        avals_in = tuple([t._aval for t in tracers])
        if params:
            out = primitive.abstract_eval(*avals_in, **params)
        else:
            # Shape rules are pure: remember them for parameterless primitives (most of
            # the elementwise ones), which are the bulk of every traced program.
            key = (primitive, avals_in)
            out = _abstract_eval_cache.get(key)
            if out is None:
                out = primitive.abstract_eval(*avals_in)
                if len(_abstract_eval_cache) > 8192:
                    _abstract_eval_cache.clear()
                _abstract_eval_cache[key] = out
        atoms = tuple([t.atom for t in tracers])
        eqns = self.main.global_data.eqns
        if not primitive.multiple_results:
            var = Var(out)
            eqns.append(Eqn(primitive, atoms, (var,), freeze_params(params)))
            return StagingTracer(self, out, var)
        outvars = tuple([Var(a) for a in out])
        eqns.append(Eqn(primitive, atoms, outvars, freeze_params(params)))
        return [StagingTracer(self, a, v) for a, v in zip(out, outvars)]


def trace_to_jaxpr(flat_fun, in_avals, *, name: str, arg_names=None) -> ClosedJaxpr:
    """Stage ``flat_fun`` (list of arrays -> list of arrays) into a closed jaxpr."""
    builder = JaxprBuilder(name)
    builder.dynamic = True
    arg_names = arg_names or [f"args[{i}]" for i in range(len(in_avals))]
    with new_main(StagingTrace, builder, name=name, dynamic=True) as main:
        trace = main.trace
        in_tracers = [builder.new_arg(trace, a, n)
                      for a, n in zip(in_avals, arg_names, strict=True)]
        outs = flat_fun(*in_tracers)
        out_tracers = [trace.full_raise(o) for o in outs]
        jaxpr, consts = builder.build(out_tracers)
    return ClosedJaxpr(jaxpr, consts)


__all__ = [
    "JaxprBuilder",
    "StagingTrace",
    "StagingTracer",
    "trace_to_jaxpr",
]
