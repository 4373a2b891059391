"""Sparsity rules of the primitives that pick or accumulate by runtime values: ``select_n``
(the chosen case when the selector is a known constant, else any case), ``scatter_add`` and
``scatter_mul`` (each update lands where a gather with the same indices reads)."""
from __future__ import annotations

import numpy as np

from funcad.core.rules import sparsity_rules
from funcad.ops._base import select_n_p
from funcad.ops.indexing import gather_p, scatter_add_p, scatter_mul_p
from funcad.sparse.families import moves_rule
from funcad.sparse.interpreter import Context, Pattern, size_of


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


def _targets(eqn, indices) -> np.ndarray:
    """The result element each update element is combined into."""
    out_aval = eqn.outvars[0].aval
    ids = np.arange(size_of(out_aval), dtype=np.int64).reshape(out_aval.shape)
    return np.asarray(gather_p.impl(ids, indices)).ravel()


def _scatter_rule(nonlinear: bool):
    def rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
        x, indices, updates = ins
        size = size_of(eqn.outvars[0].aval)
        if indices.known is not None:
            target = _targets(eqn, indices.known)
            source = np.arange(updates.jac.rows)
        else:  # any update may land anywhere
            target = np.repeat(np.arange(size), updates.jac.rows)
            source = np.tile(np.arange(updates.jac.rows), size)
        jac = x.jac.union(updates.jac.compose(target, source, size))
        hess = None
        if ctx.hessian:
            hess = x.hess.union(updates.hess.compose(target, source, size))
            if nonlinear:
                rows = np.arange(size)
                hess = hess.union(ctx.cross(jac, jac, rows, rows, rows, size))
        return [ctx.pattern(jac, hess)]

    return rule


sparsity_rules[select_n_p] = _select_n_rule
sparsity_rules[scatter_add_p] = _scatter_rule(nonlinear=False)
sparsity_rules[scatter_mul_p] = _scatter_rule(nonlinear=True)
