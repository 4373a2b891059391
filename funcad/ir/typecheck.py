"""``typecheck_jaxpr``: re-derive every equation's output types and compare."""
from __future__ import annotations

from funcad.core.rules import typecheck_rules
from funcad.errors import FuncadError, JaxprTypeError
from funcad.ir.core import ClosedJaxpr, Jaxpr, Literal, Var
from funcad.ir.pretty import VarNames, pp_eqn


def typecheck_jaxpr(jaxpr: Jaxpr | ClosedJaxpr) -> None:
    """Raise ``JaxprTypeError`` showing the offending equation if ``jaxpr`` is ill-typed."""
    if isinstance(jaxpr, ClosedJaxpr):
        for v, c in zip(jaxpr.jaxpr.constvars, jaxpr.consts):
            shape, dtype = getattr(c, "shape", ()), getattr(c, "dtype", None)
            if tuple(shape) != v.aval.shape or (dtype is not None and dtype != v.aval.dtype):
                raise JaxprTypeError(f"constant for {v} has shape {shape} and dtype {dtype}")
        jaxpr = jaxpr.jaxpr
    names = VarNames()
    bound: set[Var] = set()

    def bind(v, where: str):
        if not isinstance(v, Var):
            raise JaxprTypeError(f"{where}: binder {v!r} is not a Var")
        if v in bound:
            raise JaxprTypeError(f"{where}: variable {names(v)} is bound twice")
        bound.add(v)

    def read(x, where: str):
        if isinstance(x, Literal):
            return x.aval
        if x not in bound:
            raise JaxprTypeError(f"{where}: variable {names(x)} is used but never bound")
        return x.aval

    for v in jaxpr.constvars + jaxpr.invars:
        names(v)  # name binders first, as the printer does, so messages match str(jaxpr)
        bind(v, "binders")
    for eqn in jaxpr.eqns:
        where = f"in equation `{pp_eqn(eqn, names)}`"
        in_avals = [read(x, where) for x in eqn.invars]
        try:
            out = eqn.primitive.abstract_eval(*in_avals, **eqn.params)
        except FuncadError as e:
            raise JaxprTypeError(f"{where}: {e}") from None
        out_avals = out if eqn.primitive.multiple_results else [out]
        if len(out_avals) != len(eqn.outvars):
            raise JaxprTypeError(
                f"{where}: rule gives {len(out_avals)} outputs, equation binds {len(eqn.outvars)}"
            )
        for v, aval in zip(eqn.outvars, out_avals):
            if not v.aval.same_type(aval):
                raise JaxprTypeError(
                    f"{where}: {names(v)} is declared {v.aval.str_short()} but "
                    f"{eqn.primitive.name} gives {aval.str_short()}"
                )
        check = typecheck_rules.get(eqn.primitive)
        if check is not None:
            check(eqn, in_avals)
        for v in eqn.outvars:
            bind(v, where)
    for x in jaxpr.outvars:
        read(x, "outputs")
