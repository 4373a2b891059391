"""Sparsity rules of the higher-order primitives: calls run their body; ``cond`` takes the
union of its branches (only the chosen one when the index is a known constant); ``while``
steps exactly while its predicate is known and then iterates its body to a fixpoint of the
carries; ``scan`` is unrolled exactly when it is short and otherwise iterated to a fixpoint
with every slice of ``xs`` merged.

The patterns of ``custom_jvp``/``custom_vjp`` functions are read from the function itself,
not from its custom rule: a rule that is the derivative of its function has the same pattern.
"""
from __future__ import annotations

import numpy as np

from funcad.control.call import jit_p, remat_p
from funcad.control.common import split_sizes
from funcad.control.cond import cond_p
from funcad.control.custom import custom_jvp_call_p, custom_vjp_call_p
from funcad.control.loops import scan_p, while_p
from funcad.core.rules import sparsity_rules
from funcad.sparse.families import vstack
from funcad.sparse.interpreter import Context, Pattern, same_pattern, size_of, union_patterns

# A while loop is stepped exactly (its predicate known) at most this many times.
EXACT_STEPS = 10_000
# A scan is unrolled when length * body equations stays under this budget.
UNROLL_BUDGET = 100_000


def _call_rule(param: str):
    def rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
        return ctx.run(eqn.params[param], ins)

    return rule


def _cond_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    index, *ops = ins
    branches = eqn.params["branches"]
    if index.known is not None:
        return ctx.run(branches[int(np.clip(index.known, 0, len(branches) - 1))], ops)
    outs = ctx.run(branches[0], ops)
    for branch in branches[1:]:
        outs = [union_patterns(ctx, a, b) for a, b in zip(outs, ctx.run(branch, ops))]
    return outs


def _fixpoint(ctx: Context, step, carry: list[Pattern]) -> tuple[list[Pattern], list]:
    """Merge ``step(carry)`` into ``carry`` until nothing grows; returns the carries and the
    extra outputs of the last step (which then cover every iteration)."""
    while True:
        new, extra = step(carry)
        merged = [union_patterns(ctx, a, b) for a, b in zip(carry, new)]
        if all(same_pattern(a, b) for a, b in zip(merged, carry)):
            return merged, extra
        carry = merged


def _while_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    p = eqn.params
    cc, bc, carry = split_sizes(ins, p["cond_nconsts"], p["body_nconsts"])
    limit = EXACT_STEPS if p["max_steps"] is None else min(EXACT_STEPS, p["max_steps"])
    for _ in range(limit):
        pred = ctx.run(p["cond_jaxpr"], [*cc, *carry])[0]
        if pred.known is None:
            break
        if not bool(pred.known):
            return carry
        carry = ctx.run(p["body_jaxpr"], [*bc, *carry])
    else:
        if p["max_steps"] is not None and p["max_steps"] <= EXACT_STEPS:
            return carry
    carry, _ = _fixpoint(ctx, lambda c: (ctx.run(p["body_jaxpr"], [*bc, *c]), []), carry)
    return carry


def _slice(ctx: Context, x: Pattern, i: int, size: int) -> Pattern:
    rows = np.arange(i * size, (i + 1) * size)
    hess = x.hess.take(rows) if ctx.hessian else None
    return Pattern(x.jac.take(rows), hess, None if x.known is None else x.known[i])


def _merged_slices(ctx: Context, x: Pattern, length: int, size: int) -> Pattern:
    """Element ``j`` of a slice depends on element ``j`` of every slice."""
    out_rows, in_rows = np.arange(length * size) % size, np.arange(length * size)
    hess = x.hess.compose(out_rows, in_rows, size) if ctx.hessian else None
    return Pattern(x.jac.compose(out_rows, in_rows, size), hess)


def _stack(ctx: Context, parts: list[Pattern]) -> Pattern:
    hess = vstack([p.hess for p in parts], ctx.n * ctx.n) if ctx.hessian else None
    known = (np.stack([p.known for p in parts]) if all(p.known is not None for p in parts)
             else None)
    return Pattern(vstack([p.jac for p in parts], ctx.n), hess, known)


def _scan_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    p = eqn.params
    body, length, nk = p["jaxpr"], p["length"], p["num_carry"]
    consts, carry, xs = split_sizes(ins, p["num_consts"], nk)
    sizes = [size_of(v.aval) // max(length, 1) for v in eqn.invars[len(ins) - len(xs):]]
    y_sizes = [size_of(a) for a in body.out_avals[nk:]]
    if length * max(len(body.eqns), 1) <= UNROLL_BUDGET:
        ys: list[list[Pattern]] = [[] for _ in y_sizes]
        order = range(length - 1, -1, -1) if p["reverse"] else range(length)
        for i in order:
            outs = ctx.run(body, [*consts, *carry, *[_slice(ctx, x, i, s)
                                                      for x, s in zip(xs, sizes)]])
            carry = outs[:nk]
            for parts, y in zip(ys, outs[nk:]):
                parts.append(y)
        if p["reverse"]:
            ys = [parts[::-1] for parts in ys]
        empty = [ctx.empty(0) for _ in y_sizes]
        return [*carry, *[_stack(ctx, parts) if parts else e for parts, e in zip(ys, empty)]]
    merged = [_merged_slices(ctx, x, length, s) for x, s in zip(xs, sizes)]

    def step(c):
        outs = ctx.run(body, [*consts, *c, *merged])
        return outs[:nk], outs[nk:]

    carry, ys = _fixpoint(ctx, step, carry)
    tiled = []
    for y, size in zip(ys, y_sizes):
        rows = np.tile(np.arange(size), length)
        hess = y.hess.take(rows) if ctx.hessian else None
        tiled.append(Pattern(y.jac.take(rows), hess))
    return [*carry, *tiled]


sparsity_rules[jit_p] = _call_rule("jaxpr")
sparsity_rules[remat_p] = _call_rule("jaxpr")
sparsity_rules[custom_jvp_call_p] = _call_rule("call_jaxpr")
sparsity_rules[custom_vjp_call_p] = _call_rule("call_jaxpr")
sparsity_rules[cond_p] = _cond_rule
sparsity_rules[while_p] = _while_rule
sparsity_rules[scan_p] = _scan_rule
