"""Reverse mode: transposition of linear IR.

``backward_pass`` walks a linear jaxpr's equations backwards (a flat loop, no recursion),
accumulating cotangents, keeping symbolic zeros symbolic, and dropping each variable's
cotangent as soon as its defining equation has been transposed (its last use).
"""
from __future__ import annotations

from funcad.core.avals import ShapedArray
from funcad.core.rules import transpose_rules
from funcad.core.symbolic import UndefPrimal, Zero
from funcad.ir.core import Jaxpr, Literal, Var
from funcad.ops._base import add_tangents


def backward_pass(jaxpr: Jaxpr, consts, args, cts_out) -> list:
    """Cotangents of ``args`` that are ``UndefPrimal``, given output cotangents.

    Equations none of whose inputs are linear are evaluated forward first (they compute
    constants of the linear map); every other equation must be linear in its linear inputs.
    """
    env: dict = dict(zip(jaxpr.constvars, consts, strict=True))
    # Each linear variable with its UndefPrimal (what a transpose rule sees for it).
    linear: dict[Var, UndefPrimal] = {}
    for v, a in zip(jaxpr.invars, args, strict=True):
        if type(a) is UndefPrimal:
            linear[v] = a
        else:
            env[v] = a

    linear_eqns = []
    undefined_of: dict[ShapedArray, UndefPrimal] = {}  # one per type is enough
    for eqn in jaxpr.eqns:
        for x in eqn.invars:
            if x in linear:
                for v in eqn.outvars:
                    undef = undefined_of.get(v.aval)
                    if undef is None:
                        undef = undefined_of[v.aval] = UndefPrimal(v.aval)
                    linear[v] = undef
                linear_eqns.append(eqn)
                break
        else:
            outs = eqn.primitive.bind(
                *[x.val if type(x) is Literal else env[x] for x in eqn.invars], **eqn.params)
            env.update(zip(eqn.outvars, outs if eqn.primitive.multiple_results else [outs]))

    ct_env: dict[Var, object] = {}
    for v, ct in zip(jaxpr.outvars, cts_out, strict=True):
        if ct is not None and type(ct) is not Zero and v in linear:
            prev = ct_env.get(v)
            ct_env[v] = ct if prev is None else add_tangents(prev, ct)

    pop, get = ct_env.pop, ct_env.get
    for eqn in reversed(linear_eqns):
        prim = eqn.primitive
        if prim.multiple_results:
            cts = [pop(v, None) for v in eqn.outvars]
            if all(ct is None for ct in cts):
                continue
            ct_arg = [Zero(v.aval) if ct is None else ct for ct, v in zip(cts, eqn.outvars)]
        else:
            ct_arg = pop(eqn.outvars[0], None)
            if ct_arg is None:
                continue
        rule = transpose_rules.get(prim)
        if rule is None:
            raise NotImplementedError(
                f"reverse-mode differentiation (transpose rule) of primitive `{prim}`"
            )
        invars = eqn.invars
        operands = [
            linear[x] if x in linear else x.val if type(x) is Literal else env[x] for x in invars
        ]
        params = eqn.params
        cts_in = rule(ct_arg, *operands, **params) if params else rule(ct_arg, *operands)
        for x, ct in zip(invars, cts_in):
            # Cotangents accumulate; symbolic zeros and non-linear operands get none.
            if ct is not None and type(ct) is not Zero and x in linear:
                prev = get(x)
                ct_env[x] = ct if prev is None else add_tangents(prev, ct)

    return [ct_env.get(v, Zero(v.aval)) if type(a) is UndefPrimal else None
            for v, a in zip(jaxpr.invars, args)]


__all__ = ["backward_pass"]
