"""Forward mode: the JVP interpreter and the definers of JVP rules.

A ``JVPTracer`` carries a primal value and its tangent (possibly a symbolic ``Zero``). Rules
are written with funcad operations, so a JVP can itself be traced, differentiated again or
batched.
"""
from __future__ import annotations

from collections.abc import Callable

from funcad.core.primitive import Primitive
from funcad.core.trace import Trace, Tracer, full_lower, get_aval, to_concrete
from funcad.interpreters.ad_util import Zero, add_tangents, instantiate_zeros

# primitive -> rule(primals, tangents, **params) -> (primal_out, tangent_out)
jvp_rules: dict[Primitive, Callable] = {}


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
            return [JVPTracer(self, p, t) for p, t in zip(primal_out, tangent_out)]
        return JVPTracer(self, primal_out, tangent_out)


# --- definers -------------------------------------------------------------------------------

def defjvp(prim: Primitive, *jvp_fns: Callable | None) -> None:
    """One function per operand: ``fn(t, *primals, **params)`` gives that operand's
    contribution to the output tangent; ``None`` marks an operand with no derivative."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        out = None
        for fn, t in zip(jvp_fns, tangents):
            if fn is not None and type(t) is not Zero:
                term = fn(t, *primals, **params)
                out = term if out is None else add_tangents(out, term)
        return ans, Zero.like(ans) if out is None else out

    jvp_rules[prim] = rule


def defjvp2(prim: Primitive, *jvp_fns: Callable | None) -> None:
    """Like ``defjvp`` but each function also gets the output: ``fn(t, ans, *primals)``."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        out = None
        for fn, t in zip(jvp_fns, tangents):
            if fn is not None and type(t) is not Zero:
                term = fn(t, ans, *primals, **params)
                out = term if out is None else add_tangents(out, term)
        return ans, Zero.like(ans) if out is None else out

    jvp_rules[prim] = rule


def defjvp_zero(prim: Primitive) -> None:
    """A primitive whose output does not vary smoothly (comparisons, rounding, indices)."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        if prim.multiple_results:
            return ans, [Zero.like(a) for a in ans]
        return ans, Zero.like(ans)

    jvp_rules[prim] = rule


def deflinear_jvp(prim: Primitive) -> None:
    """A primitive jointly linear in all operands: its JVP applies it to the tangents."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        t_out = prim.bind(*map(instantiate_zeros, tangents), **params)
        return ans, t_out

    jvp_rules[prim] = rule


def defbilinear_jvp(prim: Primitive) -> None:
    """``prim(x, y)`` linear in each operand: ``d prim = prim(dx, y) + prim(x, dy)``."""
    defjvp(
        prim,
        lambda tx, x, y, **params: prim.bind(tx, y, **params),
        lambda ty, x, y, **params: prim.bind(x, ty, **params),
    )


__all__ = [
    "JVPTrace",
    "JVPTracer",
    "defbilinear_jvp",
    "defjvp",
    "defjvp2",
    "defjvp_zero",
    "deflinear_jvp",
    "jvp_rules",
]
