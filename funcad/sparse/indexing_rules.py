"""Sparsity rule of ``select_n``, which picks by runtime values: the chosen case when the
selector is a known constant, else any case. (The gathers and scatters have theirs in
``funcad.sparse.general_indexing_rules``.)"""
from __future__ import annotations

from funcad.core.rules import sparsity_rules
from funcad.ops._base import select_n_p
from funcad.sparse.families import moves_rule
from funcad.sparse.interpreter import Context, Pattern


def _select_n_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    if ins[0].known is not None:
        return moves_rule(ctx, eqn, ins, None)
    cases = ins[1:]
    jac = cases[0].jac
    hess = cases[0].hess
    for c in cases[1:]:
        jac = jac.union(c.jac)
        hess = hess.union(c.hess) if ctx.hessian else None
    return [ctx.pattern(jac, hess)]


sparsity_rules[select_n_p] = _select_n_rule
