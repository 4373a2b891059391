"""Folding the constant part of a staged program into constants.

The compressed products of a coloring apply the linear IR to constant seed matrices: every
structural step on the seeds alone (slices, concatenations, negations of the seeds) is the
same at every call. Evaluating those equations once, with NumPy, leaves a program whose
per-call work is only what depends on the arguments (as an XLA program compiled with its
seeds as literals would be, but here on both backends and without tracing per call).
"""
from __future__ import annotations

import numpy as np

from funcad.ir.core import ClosedJaxpr, Jaxpr, Literal, Var


def fold_constants(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``closed`` with each equation whose operands are all constants evaluated now."""
    jaxpr = closed.jaxpr
    known: dict = dict(zip(jaxpr.constvars, closed.consts))
    kept, splats = [], set()
    for eqn in jaxpr.eqns:
        if eqn.primitive.impl is not None and all(
                isinstance(a, Literal) or a in known for a in eqn.invars):
            vals = [a.val if isinstance(a, Literal) else known[a] for a in eqn.invars]
            try:
                outs = eqn.primitive.impl(*vals, **eqn.params)
            except Exception:  # an equation the implementation refuses stays staged
                kept.append(eqn)
                continue
            outs = outs if eqn.primitive.multiple_results else [outs]
            for v, val in zip(eqn.outvars, outs, strict=True):
                known[v] = np.asarray(val)
            if all(isinstance(a, Literal) or a in splats for a in eqn.invars):
                # made of literals alone (a splat of a scalar): cheaper to compute in the
                # program than to pass as an array; its value still folds into the others
                kept.append(eqn)
                splats.update(eqn.outvars)
        else:
            kept.append(eqn)
    used = {a for e in kept for a in e.invars if isinstance(a, Var)}
    used |= {a for a in jaxpr.outvars if isinstance(a, Var)}
    constvars = [v for v in known if v in used and v not in splats]
    folded = Jaxpr.new(constvars, jaxpr.invars, jaxpr.outvars, kept)
    return ClosedJaxpr(folded, [known[v] for v in constvars])
