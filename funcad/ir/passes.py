"""Passes over the IR. All are flat loops: graphs of 10^5 equations are fine."""
from __future__ import annotations

from collections.abc import Callable

from funcad.core.rules import commutative, effectful, inline_params
from funcad.ir.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Var
from funcad.ir.simplify import fold_add_chains, fold_and_forward, simplify_algebra


def dce(jaxpr: Jaxpr, used_outputs: list[bool] | None = None) -> Jaxpr:
    """Dead-code elimination: drop equations none of whose outputs are needed.

    Every primitive but the ``effectful`` ones is pure, so an equation is live exactly when
    one of its outputs is (or its primitive has an effect).
    Unused constvars are dropped as well (see ``dce_closed`` for the matching consts).
    """
    outvars = jaxpr.outvars
    if used_outputs is not None:
        outvars = tuple(v for v, u in zip(outvars, used_outputs, strict=True) if u)
    live = {v for v in outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars) or eqn.primitive in effectful:
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
        if eqn.primitive in effectful:  # each one happens
            eqns.append(eqn if invars == list(eqn.invars) else eqn.replace(invars=invars))
            continue
        in_keys = tuple(atom_key(x) for x in invars)
        if eqn.primitive in commutative:
            in_keys = tuple(sorted(in_keys))  # ('lit', ...) < ('var', id)
        key = (
            eqn.primitive,
            in_keys,
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


def inline_calls(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Replace every call of a primitive in ``inline_params`` by the callee's equations
    (fresh variables per call site; the callee's constants join the caller's). Nested calls
    are expanded by the same loop, through a work stack, not by recursion."""
    jaxpr = closed.jaxpr
    if not any(e.primitive in inline_params for e in jaxpr.eqns):
        return closed
    constvars, consts = list(jaxpr.constvars), list(closed.consts)
    const_var = {id(c): v for v, c in zip(constvars, consts)}  # one constvar per value
    eqns: list[Eqn] = []
    rename: dict = {}
    stack = list(reversed(jaxpr.eqns))
    while stack:
        eqn = stack.pop()
        invars = [rename.get(x, x) if type(x) is Var else x for x in eqn.invars]
        param = inline_params.get(eqn.primitive)
        if param is None:
            eqns.append(eqn if invars == list(eqn.invars) else eqn.replace(invars=invars))
            continue
        callee: ClosedJaxpr = eqn.params[param]
        body, fresh = _freshen(callee.jaxpr)
        for v, c in zip(callee.jaxpr.constvars, callee.consts):
            if id(c) in const_var:
                rename[fresh[v]] = const_var[id(c)]
            else:
                const_var[id(c)] = fresh[v]
                constvars.append(fresh[v])
                consts.append(c)
        for v, x in zip(callee.jaxpr.invars, invars, strict=True):
            rename[fresh[v]] = x
        for v, x in zip(eqn.outvars, body.outvars, strict=True):
            rename[v] = rename.get(x, x) if type(x) is Var else x
        stack.extend(reversed(body.eqns))
    outvars = [rename.get(x, x) if type(x) is Var else x for x in jaxpr.outvars]
    return ClosedJaxpr(Jaxpr.new(constvars, jaxpr.invars, outvars, eqns), consts)


def _freshen(jaxpr: Jaxpr) -> tuple[Jaxpr, dict]:
    """A copy of ``jaxpr`` with new variables (a callee may be inlined at several sites)."""
    fresh: dict = {v: Var(v.aval) for v in (*jaxpr.constvars, *jaxpr.invars)}

    def sub(x):
        return fresh.get(x, x) if type(x) is Var else x

    eqns = []
    for eqn in jaxpr.eqns:
        outs = [fresh.setdefault(v, Var(v.aval)) for v in eqn.outvars]
        eqns.append(Eqn.new(eqn.primitive, [sub(x) for x in eqn.invars], outs, eqn.params))
    body = Jaxpr.new([fresh[v] for v in jaxpr.constvars], [fresh[v] for v in jaxpr.invars],
                     [sub(x) for x in jaxpr.outvars], eqns)
    return body, fresh


def _simplify_round(closed: ClosedJaxpr) -> ClosedJaxpr:
    jaxpr = simplify_algebra(fold_and_forward(closed.jaxpr))
    jaxpr = fold_and_forward(fold_add_chains(jaxpr))
    return ClosedJaxpr(cse(jaxpr), closed.consts)


PIPELINE: tuple[Callable[[ClosedJaxpr], ClosedJaxpr], ...] = (
    inline_calls,
    _simplify_round,
    _simplify_round,
    dce_closed,
)


def optimize(closed: ClosedJaxpr) -> ClosedJaxpr:
    """The pipeline run on every staged IR before a backend sees it: inline nested calls,
    fold literal-only equations, forward trivial ones, simplify linear algebra (zero terms,
    ``x*1``, ``x+0``, chains of sums, transposes of transposes), CSE, then DCE. The passes
    know primitives only by the facts their blocks register in ``funcad.core.rules``."""
    for pass_ in PIPELINE:
        closed = pass_(closed)
    return closed


__all__ = [
    "cse",
    "cse_closed",
    "dce",
    "dce_closed",
    "fold_add_chains",
    "fold_and_forward",
    "inline_calls",
    "optimize",
    "simplify_algebra",
]
