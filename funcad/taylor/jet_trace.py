"""The Taylor-mode interpreter: a ``JetTracer`` carries a primal value and the Taylor
coefficients ``1..order`` of the curve through it (``None`` when the value does not move;
a single coefficient may be ``None``, a symbolic zero).

Each primitive's rule comes from ``funcad.core.rules.taylor_rules``: a specialised rule
(``funcad.taylor.elementwise``, ``.linalg``, ``.control``), or a family name turned into a
rule by ``funcad.taylor.families``; a primitive without an entry gets the generic rule
below, derived from its JVP rule. Rules are written with funcad operations, so a jet can be
traced, batched or differentiated.
"""
from __future__ import annotations

from collections.abc import Callable

from funcad.core.rules import jvp_rules, taylor_rules
from funcad.core.symbolic import Zero
from funcad.core.trace import Trace, Tracer, full_lower, get_aval, new_main, to_concrete
from funcad.errors import FuncadNotImplementedError
from funcad.ops._base import instantiate_zeros
from funcad.taylor.families import FAMILY_RULES
from funcad.taylor.series import normalize, scale


class JetTracer(Tracer):
    __slots__ = ("primal", "terms")

    def __init__(self, trace: JetTrace, primal, terms):
        self._trace = trace
        self.primal = primal
        self.terms = terms

    @property
    def aval(self):
        return get_aval(self.primal)

    def full_lower(self):
        if self.terms is None:
            return full_lower(self.primal)
        return self

    def to_concrete(self):
        return to_concrete(self.primal)


class JetTrace(Trace):
    __slots__ = ()

    def pure(self, val):
        return JetTracer(self, val, None)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        primals = [t.primal for t in tracers]
        series = [t.terms for t in tracers]
        if all(s is None for s in series):
            out = primitive.bind(*primals, **params)
            if primitive.multiple_results:
                return [JetTracer(self, o, None) for o in out]
            return JetTracer(self, out, None)
        order = self.main.global_data
        rule = rule_for(primitive)
        primal_out, series_out = rule(primals, series, order, **params)
        if primitive.multiple_results:
            return [JetTracer(self, p, normalize(s))
                    for p, s in zip(primal_out, series_out, strict=True)]
        return JetTracer(self, primal_out, normalize(series_out))


def rule_for(primitive) -> Callable:
    """The Taylor rule of ``primitive``: its own, its family's, or the generic one."""
    entry = taylor_rules.get(primitive)
    if callable(entry):
        return entry
    family = FAMILY_RULES.get(entry)
    if family is not None:
        return family(primitive)
    return generic_rule(primitive)


def uses_generic_rule(primitive) -> bool:
    """Whether ``jet`` derives ``primitive``'s rule from its JVP rule (no specialised one)."""
    entry = taylor_rules.get(primitive)
    return not callable(entry) and FAMILY_RULES.get(entry) is None


def generic_rule(primitive) -> Callable:
    """Taylor coefficients from the JVP rule alone, for any primitive that has one.

    ``y = f(x)`` gives ``y' = jvp_f(x, x')``: the coefficients ``0..K-1`` of ``y'`` are a
    jet of order ``K-1`` of the JVP rule at ``(x, x')``, and ``y_k`` is coefficient ``k-1``
    of ``y'`` over ``k``. The recursion runs over the order (depth ``K``), not the graph;
    it costs more than a specialised rule, and is exact wherever nested ``jvp`` is.
    """
    jvp = jvp_rules.get(primitive)
    multiple = primitive.multiple_results

    def rule(primals, series, order, /, **params):
        if jvp is None:
            raise FuncadNotImplementedError(
                f"jet: primitive `{primitive}` has neither a Taylor rule nor a JVP rule")
        moving = [i for i, s in enumerate(series) if s is not None]
        n = len(primals)
        zero_out: list[bool] = []

        def derivative(*args):
            tangents = [Zero.like(x) for x in args[:n]]
            for i, d in zip(moving, args[n:], strict=True):
                tangents[i] = d
            ans, dots = jvp(list(args[:n]), tangents, **params)
            ans, dots = (list(ans), list(dots)) if multiple else ([ans], [dots])
            zero_out[:] = [type(d) is Zero for d in dots]
            return [*ans, *map(instantiate_zeros, dots)]

        firsts = [series[i][0] if series[i][0] is not None
                  else instantiate_zeros(Zero.like(primals[i])) for i in moving]
        inner_primals = [*primals, *firsts]
        if order == 1:
            outs = derivative(*inner_primals)
            inner_series = [None] * len(outs)
        else:
            inner_in = [None if s is None else normalize(s[:order - 1]) for s in series]
            inner_in += [normalize([scale(series[i][j], j + 1) for j in range(1, order)])
                         for i in moving]
            outs, inner_series = jet_flat(derivative, inner_primals, inner_in, order - 1)
        m = len(outs) // 2
        out_series = []
        for k in range(m):
            if zero_out[k]:
                out_series.append(None)
                continue
            z = [outs[m + k], *(inner_series[m + k] or [None] * (order - 1))]
            out_series.append(normalize([scale(z[j], 1.0 / (j + 1)) for j in range(order)]))
        return (outs[:m], out_series) if multiple else (outs[0], out_series[0])

    return rule


def jet_flat(flat_fun: Callable, primals, series, order: int):
    """Push the Taylor coefficients ``series[i]`` (lists of ``order`` arrays, or ``None``)
    of ``primals`` through ``flat_fun``; returns ``(primals_out, series_out)``."""
    with new_main(JetTrace, order, name="jet") as main:
        trace = main.trace
        ins = [JetTracer(trace, p, s) for p, s in zip(primals, series, strict=True)]
        outs = [trace.full_raise(o) for o in flat_fun(*ins)]
        return [o.primal for o in outs], [o.terms for o in outs]


__all__ = ["JetTrace", "JetTracer", "generic_rule", "jet_flat", "rule_for", "uses_generic_rule"]
