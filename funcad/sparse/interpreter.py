"""The sparsity interpreter: evaluates a staged program over index sets instead of numbers.

Each value of the program becomes a ``Pattern``: for every element, the set of input
elements it depends on (Jacobian rows) and, when Hessians are wanted, the set of input
pairs its second derivatives couple (Hessian rows); plus the value itself when it is a
constant of the program (closed-over arrays, literals, ``iota``, and everything computed
from constants alone), so that gathers with constant indices or products with constant
sparse matrices are read exactly. Inputs are abstract: the result holds for every input
value of the traced shapes (global sparsity).

The interpreter is one flat loop over the equations; it looks up each primitive's entry in
``core.rules.sparsity_rules``: a family fact (interpreted in ``funcad.sparse.families``) or
a callable rule (control flow, scatters). A primitive without an entry is dense in its
operands (``dense_rule``), which is correct for every primitive and exact for none.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from funcad.core import dtypes
from funcad.core.rules import sparsity_rules
from funcad.errors import FuncadNotImplementedError
from funcad.ir.core import ClosedJaxpr, Jaxpr, Literal
from funcad.sparse.index_sets import IndexSets, cross_pairs

# The most entries one set may hold before propagation gives up with a clear error (a dense
# Hessian over many inputs, repeated for many elements, does not fit in memory).
MAX_ENTRIES = 200_000_000

# How each family fact of ``sparsity_rules`` is read: fact type -> rule(ctx, eqn, ins, fact)
# (filled by funcad.sparse.families).
family_rules: dict = {}


def size_of(aval) -> int:
    """The number of elements of ``aval`` (without NumPy's per-call overhead)."""
    return math.prod(aval.shape)


class Pattern:
    """The dependence sets of one value: ``jac`` (rows: elements; columns: inputs), ``hess``
    (rows: elements; columns: input pairs ``i * n + j``; ``None`` when not tracked) and
    ``known``, the value when it is a constant of the program."""

    __slots__ = ("jac", "hess", "known")

    def __init__(self, jac: IndexSets, hess: IndexSets | None, known=None):
        self.jac = jac
        self.hess = hess
        self.known = known

    @property
    def is_empty(self) -> bool:
        return self.jac.nnz == 0 and (self.hess is None or self.hess.nnz == 0)

    def __repr__(self):
        return f"Pattern(jac={self.jac}, hess={self.hess}, known={self.known is not None})"


class Context:
    """What every rule needs: the number ``n`` of inputs, whether second-order sets are
    tracked, and ways to build patterns and to run sub-programs."""

    def __init__(self, n: int, hessian: bool):
        self.n = n
        self.hessian = hessian

    def empty(self, size: int, known=None) -> Pattern:
        hess = IndexSets.empty(size, self.n * self.n) if self.hessian else None
        return Pattern(IndexSets.empty(size, self.n), hess, known)

    def constant(self, value) -> Pattern:
        value = np.asarray(value)
        return self.empty(value.size, value)

    def pattern(self, jac: IndexSets, hess: IndexSets | None) -> Pattern:
        return Pattern(jac, hess if self.hessian else None)

    def cross(self, a: IndexSets, b: IndexSets, out_rows, a_rows, b_rows, rows: int):
        """Second-order sets coupling ``a[a_rows[k]]`` with ``b[b_rows[k]]`` in row
        ``out_rows[k]`` (see ``index_sets.cross_pairs``)."""
        if a.nnz and b.nnz:
            lengths = (a.lengths()[np.asarray(a_rows)] * b.lengths()[np.asarray(b_rows)])
            if int(lengths.sum()) > MAX_ENTRIES:
                raise FuncadNotImplementedError(
                    "hessian_sparsity: the second-order pattern grows past "
                    f"{MAX_ENTRIES} entries (a dense Hessian block over many inputs); pass "
                    "the pattern with sparsity=")
        return cross_pairs(a, b, out_rows, a_rows, b_rows, rows, self.n)

    def run(self, closed: ClosedJaxpr | Jaxpr, ins: list[Pattern]) -> list[Pattern]:
        if isinstance(closed, ClosedJaxpr):
            return run_jaxpr(self, closed.jaxpr, closed.consts, ins)
        return run_jaxpr(self, closed, (), ins)


def run_jaxpr(ctx: Context, jaxpr: Jaxpr, consts, ins: list[Pattern]) -> list[Pattern]:
    """Propagate ``ins`` through ``jaxpr`` (a flat loop; sub-programs recurse via rules)."""
    env: dict = {}
    for v, c in zip(jaxpr.constvars, consts):
        env[v] = ctx.constant(c)
    for v, p in zip(jaxpr.invars, ins, strict=True):
        env[v] = p

    def read(a):
        return ctx.constant(a.val) if isinstance(a, Literal) else env[a]

    for eqn in jaxpr.eqns:
        outs = apply_eqn(ctx, eqn, [read(a) for a in eqn.invars])
        for v, o in zip(eqn.outvars, outs, strict=True):
            env[v] = o
    return [read(a) for a in jaxpr.outvars]


def apply_eqn(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    """The patterns of an equation's results."""
    out_avals = [v.aval for v in eqn.outvars]
    prim = eqn.primitive
    if all(p.known is not None for p in ins) and prim.impl is not None:
        folded = _fold(ctx, eqn, ins)
        if folded is not None:
            return folded
    if all(p.is_empty for p in ins):
        return [ctx.empty(size_of(a)) for a in out_avals]
    rule = sparsity_rules.get(prim)
    if rule is None:
        outs = dense_rule(ctx, eqn, ins)
    elif dataclasses.is_dataclass(rule):
        outs = family_rules[type(rule)](ctx, eqn, ins, rule)
    else:
        outs = rule(ctx, eqn, ins)
    # Integer and boolean results carry no derivative.
    return [o if dtypes.is_inexact(a.dtype) else ctx.empty(size_of(a), o.known)
            for o, a in zip(outs, out_avals, strict=True)]


def _fold(ctx: Context, eqn, ins) -> list[Pattern] | None:
    """Evaluate an equation on constants (None if its implementation refuses)."""
    try:
        vals = eqn.primitive.impl(*[p.known for p in ins], **eqn.params)
    except Exception:  # a constant that cannot be folded is just not known
        return None
    vals = vals if eqn.primitive.multiple_results else [vals]
    return [ctx.constant(v) for v in vals]


def union_patterns(ctx: Context, a: Pattern, b: Pattern) -> Pattern:
    """Dependence on either (a value that may be ``a`` or ``b``); known only if equal."""
    known = None
    if a.known is not None and b.known is not None and np.array_equal(a.known, b.known):
        known = a.known
    hess = a.hess.union(b.hess) if ctx.hessian else None
    return Pattern(a.jac.union(b.jac), hess, known)


def same_pattern(a: Pattern, b: Pattern) -> bool:
    """Equal sets and equal knowledge (for fixpoints; the sets only grow)."""
    if (a.known is None) != (b.known is None):
        return False
    return (a.jac.nnz == b.jac.nnz
            and (a.hess is None or a.hess.nnz == b.hess.nnz))


def dense_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    """The conservative rule: every result element depends on every operand element, and
    every pair of those interacts."""
    cols = np.unique(np.concatenate([p.jac.indices for p in ins]))
    outs = []
    for aval in (v.aval for v in eqn.outvars):
        size = size_of(aval)
        jac = IndexSets.repeat_row(cols, size, ctx.n)
        hess = None
        if ctx.hessian:
            if len(cols) ** 2 * size > MAX_ENTRIES:
                raise FuncadNotImplementedError(
                    f"hessian_sparsity: `{eqn.primitive}` has no sparsity rule and is taken "
                    f"as dense in {len(cols)} inputs for {size} elements, too many pairs to "
                    "list; pass the pattern with sparsity=")
            one = IndexSets.repeat_row(cols, 1, ctx.n)
            pairs = ctx.cross(one, one, [0], [0], [0], 1).indices
            old = [p.hess.indices for p in ins]
            pairs = np.unique(np.concatenate([pairs, *old]))
            hess = IndexSets.repeat_row(pairs, size, ctx.n * ctx.n)
        outs.append(ctx.pattern(jac, hess))
    return outs


__all__ = ["Context", "Pattern", "apply_eqn", "dense_rule", "family_rules", "run_jaxpr",
           "size_of", "union_patterns"]
