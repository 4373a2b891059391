"""Local rewrites of the IR: constant folding, forwarding of trivial equations, and the
algebra of (linear) IR: zero terms, ``x*1``, ``x+0``, chains of sums, transposes of
transposes.

Each pass is one forward sweep over the equations with a rename map (old variable ->
replacement atom), so it is linear in the size of the IR and never recurses. Rewrites are
exact, except that a sum with a repeated term ``t`` becomes ``k * t`` (equal up to
rounding). The passes name no primitive: each fact they use is registered by the
primitive's own block in ``funcad.core.rules`` (``identity_tests``, ``algebra_rules``,
``fills_with_operand``, ``sum_rebuilders``). ``Known`` and the helpers after it are what
those blocks write their ``algebra_rules`` with.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from funcad.core.primitive import Primitive
from funcad.core.rules import (
    algebra_rules,
    effectful,
    fills_with_operand,
    identity_tests,
    sum_rebuilders,
)
from funcad.ir.core import Eqn, Jaxpr, Literal, Var


def _is_identity(eqn: Eqn) -> bool:
    """The equation only copies its first operand (same type, weak type included)."""
    test = identity_tests.get(eqn.primitive)
    if test is None or len(eqn.outvars) != 1:
        return False
    return eqn.invars[0].aval == eqn.outvars[0].aval and test(eqn)


def _sub_atom(rename: dict, x):
    return rename.get(x, x) if type(x) is Var else x


# --- constant folding and forwarding -------------------------------------------------------

def _fold(eqn: Eqn) -> list[Literal] | None:
    """Evaluate an equation whose operands are all literals and whose results are scalars."""
    if not eqn.invars or any(type(x) is not Literal for x in eqn.invars):
        return None
    if (any(v.aval.shape != () for v in eqn.outvars) or eqn.primitive.impl is None
            or eqn.primitive in effectful):
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = eqn.primitive.impl(*[np.asarray(x.val) for x in eqn.invars], **eqn.params)
    except Exception:  # a failing fold is left for run time to report
        return None
    outs = out if eqn.primitive.multiple_results else [out]
    return [Literal(np.asarray(o), v.aval) for o, v in zip(outs, eqn.outvars)]


def fold_and_forward(jaxpr: Jaxpr) -> Jaxpr:
    """Fold literal-only scalar equations into literals and forward trivial equations
    (identity reshapes, casts to the same type, empty reductions, ...) to their operand."""
    rename: dict = {}
    eqns = []
    for eqn in jaxpr.eqns:
        invars = [_sub_atom(rename, x) for x in eqn.invars]
        if invars != list(eqn.invars):
            eqn = eqn.replace(invars=invars)
        if eqn.invars and _is_identity(eqn):
            rename[eqn.outvars[0]] = eqn.invars[0]
            continue
        folded = _fold(eqn)
        if folded is not None:
            rename.update(zip(eqn.outvars, folded))
            continue
        eqns.append(eqn)
    outvars = [_sub_atom(rename, x) for x in jaxpr.outvars]
    return Jaxpr.new(jaxpr.constvars, jaxpr.invars, outvars, eqns)


# --- what a rewrite rule may ask, and the helpers rules are made of ------------------------

class Known:
    """What a sweep knows of the atoms it has passed: the scalar an atom holds everywhere
    (a literal, or a splat of one) and the equation that produced a variable."""

    __slots__ = ("splats", "producers")

    def __init__(self):
        self.splats: dict[Var, object] = {}
        self.producers: dict[Var, Eqn] = {}

    def record_splat(self, eqn: Eqn) -> None:
        if eqn.primitive in fills_with_operand and type(eqn.invars[0]) is Literal:
            self.splats[eqn.outvars[0]] = eqn.invars[0].val

    def is_const(self, x, c) -> bool:
        """``x`` is ``c`` everywhere."""
        v = x.val if type(x) is Literal else self.splats.get(x)
        # `== c` is False for NaN; `-0.0 == 0` is True, and x + -0.0 == x exactly.
        return v is not None and not isinstance(v, np.bool_) and v == c

    def nested(self, eqn: Eqn) -> Eqn | None:
        """The equation of ``eqn``'s own primitive that produced its first operand (the
        inner ``f`` of ``f(f(x))``), or None."""
        inner = self.producers.get(eqn.invars[0])
        return inner if inner is not None and inner.primitive is eqn.primitive else None


def forward(x, eqn: Eqn):
    """``x`` in place of ``eqn`` when it has the type of the result; else ``eqn``."""
    return x if x.aval == eqn.outvars[0].aval else eqn


def _unit_operand(eqn: Eqn, known: Known, unit, side: int):
    """For a binary ``eqn`` whose operand ``side`` is ``unit`` everywhere, the other operand
    when it has the result's type; else None."""
    x = eqn.invars[1 - side]
    if known.is_const(eqn.invars[side], unit) and x.aval == eqn.outvars[0].aval:
        return x
    return None


def drops_unit(unit, *, left_unit: bool = True, left_unit_gives: Primitive | None = None,
               only: Callable | None = None) -> Callable:
    """The rule of a binary operation with identity element ``unit``: ``x op unit`` is
    ``x``; so is ``unit op x`` if ``left_unit``, or it is ``left_unit_gives(x)`` when that
    unary primitive is given (``0 - x`` is ``-x``). ``only(dtype)`` limits the rule to the
    result dtypes it accepts."""

    def rule(eqn: Eqn, known: Known):
        if only is not None and not only(eqn.outvars[0].aval.dtype):
            return eqn
        x = _unit_operand(eqn, known, unit, 1)
        if x is not None:
            return x
        if left_unit or left_unit_gives is not None:
            y = _unit_operand(eqn, known, unit, 0)
            if y is not None:
                return y if left_unit_gives is None else Eqn.new(
                    left_unit_gives, [y], eqn.outvars, {})
        return eqn

    return rule


def fuses_nested(fused_params: Callable, *, forwards: bool = True) -> Callable:
    """The rule ``f(f(x))`` -> one ``f`` of ``x``, whose params ``fused_params(inner,
    outer)`` makes of the two equations' params; when ``forwards`` and the fused equation is
    an identity (``identity_tests``) of ``x``'s type, ``x`` itself."""

    def rule(eqn: Eqn, known: Known):
        inner = known.nested(eqn)
        if inner is None:
            return eqn
        params = fused_params(inner.params, eqn.params)
        fused = eqn.replace(invars=inner.invars[:1], params=params)
        if forwards and identity_tests[eqn.primitive](fused):
            return forward(inner.invars[0], fused)
        return fused

    return rule


def involution(eqn: Eqn, known: Known):
    """The rule of an operation that is its own inverse: ``f(f(x))`` is ``x``."""
    inner = known.nested(eqn)
    return eqn if inner is None else forward(inner.invars[0], eqn)


# --- the algebra of linear IR --------------------------------------------------------------

def simplify_algebra(jaxpr: Jaxpr) -> Jaxpr:
    """Apply each equation's ``algebra_rules`` entry: ``x + 0``, ``0 + x``, ``x - 0``,
    ``x * 1``, ``1 * x``, ``x / 1``, ``-(-x)``, ``select(p, x, x)`` become ``x``; ``0 - x``
    becomes ``-x``; a transpose of a transpose becomes one transpose (or none), a reshape of
    a reshape one reshape, a broadcast of a broadcast one broadcast (so a broadcast scalar
    stays recognizable as one)."""
    known = Known()
    rename: dict = {}
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        invars = [_sub_atom(rename, x) for x in eqn.invars]
        if invars != list(eqn.invars):
            eqn = eqn.replace(invars=invars)
        rule = algebra_rules.get(eqn.primitive)
        if rule is not None:
            new = rule(eqn, known)
            if isinstance(new, (Var, Literal)):
                rename[eqn.outvars[0]] = new
                continue
            eqn = new
        eqns.append(eqn)
        known.record_splat(eqn)
        for v in eqn.outvars:
            known.producers[v] = eqn
    outvars = [_sub_atom(rename, x) for x in jaxpr.outvars]
    return Jaxpr.new(jaxpr.constvars, jaxpr.invars, outvars, eqns)


# --- chains of sums ------------------------------------------------------------------------

def _use_counts(jaxpr: Jaxpr) -> dict[Var, int]:
    counts: dict[Var, int] = {}
    for eqn in jaxpr.eqns:
        for x in eqn.invars:
            if type(x) is Var:
                counts[x] = counts.get(x, 0) + 1
    for x in jaxpr.outvars:
        if type(x) is Var:
            counts[x] = counts.get(x, 0) + 2  # an output is never an internal node
    return counts


def _term_key(t):
    return id(t) if type(t) is Var else t.key()


def fold_add_chains(jaxpr: Jaxpr) -> Jaxpr:
    """Flatten each tree of one ``sum_rebuilders`` primitive (``add_any``) whose inner sums
    are used once; when it has zero terms or a repeated term, rebuild it with the
    primitive's rebuilder over the terms left, with zeros dropped and a term that occurs
    ``k`` times counted ``k`` times (so it never grows). Trees with nothing to fold are kept
    as they are."""
    counts = _use_counts(jaxpr)
    known = Known()
    terms_of: dict[Var, list] = {}  # sum output -> its flattened terms
    absorbed: dict[Var, list[Var]] = {}  # sum output -> the inner sums it absorbed
    summed_by: dict[Var, object] = {}  # sum output -> its primitive
    for eqn in jaxpr.eqns:
        known.record_splat(eqn)
        prim = eqn.primitive
        if prim not in sum_rebuilders:
            continue
        terms, inner = [], []
        for x in eqn.invars:
            if type(x) is Var and summed_by.get(x) is prim and counts.get(x) == 1:
                terms.extend(terms_of[x])
                inner.append(x)
            else:
                terms.append(x)
        out = eqn.outvars[0]
        terms_of[out], absorbed[out], summed_by[out] = terms, inner, prim
    inner_sums = {x for xs in absorbed.values() for x in xs}
    rebuild: set[Var] = set()  # roots whose tree changes
    removed: set[Var] = set()  # inner sums of those trees
    for root, terms in terms_of.items():
        if root in inner_sums:
            continue
        keys = [_term_key(t) for t in terms]
        if len(set(keys)) == len(keys) and not any(known.is_const(t, 0) for t in terms):
            continue
        rebuild.add(root)
        stack = list(absorbed[root])
        while stack:
            x = stack.pop()
            removed.add(x)
            stack.extend(absorbed[x])
    if not rebuild:
        return jaxpr
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        out = eqn.outvars[0] if eqn.outvars else None
        if out in removed:
            continue
        if out in rebuild:
            terms = _counted_terms(terms_of[out], known)
            eqns.extend(sum_rebuilders[eqn.primitive](terms, out))
        else:
            eqns.append(eqn)
    return Jaxpr.new(jaxpr.constvars, jaxpr.invars, jaxpr.outvars, eqns)


def _counted_terms(terms: list, known: Known) -> list[tuple]:
    """``(term, times it occurs)`` in order of first occurrence, zeros left out."""
    counts: dict = {}
    first: dict = {}
    for t in terms:
        if known.is_const(t, 0):
            continue
        key = _term_key(t)
        first.setdefault(key, t)
        counts[key] = counts.get(key, 0) + 1
    return [(t, counts[key]) for key, t in first.items()]


__all__ = [
    "Known",
    "drops_unit",
    "fold_add_chains",
    "fold_and_forward",
    "forward",
    "fuses_nested",
    "involution",
    "simplify_algebra",
]
