"""Forward mode: the JVP interpreter.

A ``JVPTracer`` carries a primal value and its tangent (possibly a symbolic ``Zero``). The
rules (``funcad.core.rules.jvp_rules``) are written with funcad operations, so a JVP can
itself be traced, differentiated again or batched.
"""
from __future__ import annotations

from funcad.core.rules import jvp_rules
from funcad.core.symbolic import Zero
from funcad.core.trace import Trace, Tracer, full_lower, get_aval, new_main, to_concrete


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent", "_aval")

    def __init__(self, trace: JVPTrace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent
        self._aval = None

    @property
    def aval(self):
        aval = self._aval
        if aval is None:
            aval = self._aval = get_aval(self.primal)
        return aval

    def full_lower(self):
        if type(self.tangent) is Zero:
            return full_lower(self.primal)
        return self

    def to_concrete(self):
        return to_concrete(self.primal)


class JVPTrace(Trace):
    __slots__ = ()

    def pure(self, val):
        return JVPTracer(self, val, Zero.like(val))

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        primals, tangents = [], []
        all_zero = True
        for t in tracers:
            primals.append(t.primal)
            tangent = t.tangent
            tangents.append(tangent)
            if all_zero and type(tangent) is not Zero:
                all_zero = False
        if all_zero:
            out = primitive.bind(*primals, **params)
            if primitive.multiple_results:
                return [JVPTracer(self, o, Zero.like(o)) for o in out]
            return JVPTracer(self, out, Zero.like(out))
        rule = jvp_rules.get(primitive)
        if rule is None:
            raise NotImplementedError(f"differentiation (JVP rule) of primitive `{primitive}`")
        primal_out, tangent_out = rule(primals, tangents, **params)
        if primitive.multiple_results:
            return [JVPTracer(self, p, t) for p, t in zip(primal_out, tangent_out, strict=True)]
        return JVPTracer(self, primal_out, tangent_out)


def _unzip_outputs(trace: JVPTrace, outs) -> tuple[list, list]:
    primals, tangents = [], []
    for o in outs:
        o = trace.full_raise(o)
        primals.append(o.primal)
        tangents.append(o.tangent)
    return primals, tangents


def _primal_only(trace: JVPTrace, x):
    """Auxiliary outputs leave a JVP undifferentiated: keep only their primal."""
    return x.primal if isinstance(x, JVPTracer) and x._trace.main is trace.main else x


def jvp_flat(flat_fun, primals, tangents, *, name: str = "jvp", has_aux: bool = False):
    """Push ``tangents`` forward through ``flat_fun`` at ``primals``; tangents may be Zero.

    Returns ``(primals_out, tangents_out)``, plus the auxiliary leaves when ``has_aux`` (then
    ``flat_fun`` returns ``(outs, aux_leaves)``).
    """
    with new_main(JVPTrace, name=name) as main:
        trace = main.trace
        ins = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents, strict=True)]
        outs = flat_fun(*ins)
        if not has_aux:
            return _unzip_outputs(trace, outs)
        outs, aux = outs
        return (*_unzip_outputs(trace, outs), [_primal_only(trace, a) for a in aux])


__all__ = ["JVPTrace", "JVPTracer", "jvp_flat"]
