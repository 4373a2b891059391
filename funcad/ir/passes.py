"""Passes over the IR. All are flat loops: graphs of 10^5 equations are fine."""
from __future__ import annotations

from funcad.ir.core import ClosedJaxpr, Jaxpr, Literal, Var


def dce(jaxpr: Jaxpr, used_outputs: list[bool] | None = None) -> Jaxpr:
    """Dead-code elimination: drop equations none of whose outputs are needed.

    Every primitive is pure, so an equation is live exactly when one of its outputs is.
    Unused constvars are dropped as well (see ``dce_closed`` for the matching consts).
    """
    outvars = jaxpr.outvars
    if used_outputs is not None:
        outvars = tuple(v for v, u in zip(outvars, used_outputs, strict=True) if u)
    live = {v for v in outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars):
            kept.append(eqn)
            live.update(x for x in eqn.invars if isinstance(x, Var))
    kept.reverse()
    constvars = [v for v in jaxpr.constvars if v in live]
    return Jaxpr.new(constvars, jaxpr.invars, outvars, kept)


def dce_closed(closed: ClosedJaxpr, used_outputs: list[bool] | None = None) -> ClosedJaxpr:
    new = dce(closed.jaxpr, used_outputs)
    keep = set(new.constvars)
    consts = [c for v, c in zip(closed.jaxpr.constvars, closed.consts) if v in keep]
    return ClosedJaxpr(new, consts)


def _param_key(value):
    if isinstance(value, (list, tuple)):
        return tuple(_param_key(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def cse(jaxpr: Jaxpr) -> Jaxpr:
    """Common-subexpression elimination: an equation identical to an earlier one (same
    primitive, same inputs, same params) is removed and its outputs renamed."""
    rename: dict[Var, Var] = {}
    seen: dict = {}
    eqns = []

    def sub(x):
        return rename.get(x, x) if isinstance(x, Var) else x

    def atom_key(x):
        return x.key() if isinstance(x, Literal) else ("var", id(x))

    for eqn in jaxpr.eqns:
        invars = [sub(x) for x in eqn.invars]
        key = (
            eqn.primitive,
            tuple(atom_key(x) for x in invars),
            tuple((k, _param_key(v)) for k, v in eqn.params.items()),
        )
        prev = seen.get(key)
        if prev is not None and all(
            a.aval == b.aval for a, b in zip(prev.outvars, eqn.outvars)
        ):
            rename.update(zip(eqn.outvars, prev.outvars))
            continue
        new_eqn = eqn if invars == list(eqn.invars) else eqn.replace(invars=invars)
        seen[key] = new_eqn
        eqns.append(new_eqn)
    outvars = [sub(x) for x in jaxpr.outvars]
    return Jaxpr.new(jaxpr.constvars, jaxpr.invars, outvars, eqns)


def cse_closed(closed: ClosedJaxpr) -> ClosedJaxpr:
    return ClosedJaxpr(cse(closed.jaxpr), closed.consts)


__all__ = ["cse", "cse_closed", "dce", "dce_closed"]
