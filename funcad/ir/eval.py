"""``eval_jaxpr``: run an IR by binding each equation's primitive, in one flat loop.

Because it binds, evaluating under an active transform applies that transform.
"""
from __future__ import annotations

from funcad.ir.core import Jaxpr, Literal


def eval_jaxpr(jaxpr: Jaxpr, consts, *args) -> list:
    env: dict = {}
    for v, val in zip(jaxpr.constvars, consts, strict=True):
        env[v] = val
    for v, val in zip(jaxpr.invars, args, strict=True):
        env[v] = val

    def read(x):
        return x.val if type(x) is Literal else env[x]

    for eqn in jaxpr.eqns:
        outs = eqn.primitive.bind(*map(read, eqn.invars), **eqn.params)
        if eqn.primitive.multiple_results:
            for v, val in zip(eqn.outvars, outs, strict=True):
                env[v] = val
        else:
            env[eqn.outvars[0]] = outs
    return [read(x) for x in jaxpr.outvars]


def eval_closed_jaxpr(closed, *args) -> list:
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)
