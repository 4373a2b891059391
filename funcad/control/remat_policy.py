"""Checkpoint policies applied to a split: what a ``remat`` under linearization stores and
what its backward pass recomputes.

Partial evaluation splits the (JVP) IR of a checkpointed function into a known part, which
computes the primal outputs and the residuals the tangent part reads, and the tangent part.
A policy ``policy(primitive, *avals, **params) -> bool`` marks the known equations whose
outputs may be stored ("saveable"); the inputs of the function are always stored. Every
residual that is neither is recomputed: the known equations it needs, back to stored
values, are copied in front of the tangent part, so the residuals become the stored values
only. (The transpose rule of ``remat`` later runs that recomputation inside the backward
pass, as it does for the default policy, which stores nothing but the inputs.)

The policy looks at the equations of the checkpointed function itself; a nested
higher-order equation (``jit``, ``scan``, ...) is one equation, stored or recomputed whole.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from funcad.interpreters.subjaxpr import (
    call_closed,
    partial_eval_jaxpr,
    prune_invars,
    trace_flat,
    used_invars,
)
from funcad.ir.core import ClosedJaxpr, Jaxpr, Var
from funcad.ir.passes import dce_closed


@dataclass(frozen=True)
class PolicySplit:
    """``known``: known inputs -> known outputs, then the stored values it computes.
    ``unknown``: stored values, then unknown inputs -> unknown outputs (recomputing the rest
    of the residuals first). ``stored_from[j]`` says where stored value ``j`` comes from:
    ``("input", k)``, known input ``k``, or ``("output", k)``, output ``k`` of ``known``
    after its known outputs."""

    known: ClosedJaxpr
    unknown: ClosedJaxpr
    out_unknowns: tuple[bool, ...]
    stored_from: tuple[tuple[str, int], ...]


def _saveable(policy: Callable, eqn) -> bool:
    return bool(policy(eqn.primitive, *[x.aval for x in eqn.invars], **dict(eqn.params)))


def _stored_and_recomputed(known: Jaxpr, residuals: Sequence, policy: Callable):
    """The known values to store and the indices of the known equations to recompute, so
    that every residual is stored or recomputed from stored values: a flat walk back from
    the residuals that stops at inputs (stored), constants (closed over) and outputs of
    saveable equations (stored)."""
    producer = {v: i for i, e in enumerate(known.eqns) for v in e.outvars}
    inputs, consts = set(known.invars), set(known.constvars)
    saveable: dict[int, bool] = {}
    keep: dict = {}  # stored values, in first-use order
    recompute: set[int] = set()
    stack = [v for v in residuals if type(v) is Var]
    while stack:
        v = stack.pop()
        if v in keep or v in consts:
            continue
        if v in inputs:
            keep[v] = None
            continue
        i = producer[v]
        if i not in saveable:
            saveable[i] = _saveable(policy, known.eqns[i])
        if saveable[i]:
            keep[v] = None
        elif i not in recompute:
            recompute.add(i)
            stack.extend(x for x in known.eqns[i].invars if type(x) is Var)
    return list(keep), sorted(recompute)


def split_with_policy(closed: ClosedJaxpr, unknowns: Sequence[bool],
                      policy: Callable) -> PolicySplit:
    """The split of ``closed`` (given which inputs are unknown) under ``policy``."""
    pe = partial_eval_jaxpr(closed, unknowns)
    known = pe.known.jaxpr
    n_known = list(pe.out_unknowns).count(False)
    residuals = known.outvars[n_known:]
    stored, recompute = _stored_and_recomputed(known, residuals, policy)
    n_stored = len(stored)
    recomputation = ClosedJaxpr(
        Jaxpr.new(known.constvars, stored, residuals, [known.eqns[i] for i in recompute]),
        pe.known.consts)

    def unknown_fun(*args):
        res = call_closed(recomputation, *args[:n_stored])
        return call_closed(pe.unknown, *res, *args[n_stored:])

    unknown_avals = [a for a, u in zip(closed.in_avals, unknowns, strict=True) if u]
    unknown = trace_flat(unknown_fun, [*[v.aval for v in stored], *unknown_avals],
                         "checkpoint(policy)")
    # Stored values the optimized tangent part does not read are not stored at all.
    keep = used_invars(unknown)[:n_stored] + [True] * len(unknown_avals)
    unknown = prune_invars(unknown, keep)
    stored = [v for v, k in zip(stored, keep) if k]
    invar_index = {v: k for k, v in enumerate(known.invars)}
    computed = [v for v in stored if v not in invar_index]
    known_part = dce_closed(ClosedJaxpr(
        Jaxpr.new(known.constvars, known.invars, [*known.outvars[:n_known], *computed],
                  known.eqns), pe.known.consts))
    outputs = iter(range(len(computed)))
    stored_from = tuple(("input", invar_index[v]) if v in invar_index
                        else ("output", next(outputs)) for v in stored)
    return PolicySplit(known_part, unknown, tuple(pe.out_unknowns), stored_from)


__all__ = ["PolicySplit", "split_with_policy"]
