"""Lowerings of funcad's control-flow and call primitives to ``jax.lax``.

``cond`` becomes ``lax.switch``, ``while`` ``lax.while_loop`` (with a step counter when
``max_steps`` is set), ``scan`` ``lax.scan``; the sub-IRs are lowered by the same walk as
the enclosing IR. Calls that only carry derivative information (``custom_jvp_call``,
``custom_vjp_call``, ``remat``) are inlined: by the time a program is compiled, its
derivatives have been taken (a ``remat`` behind an optimization barrier, so that XLA keeps
the recomputation the checkpoint asked for). ``custom_lin`` (forward mode of a
``custom_vjp`` function) is staged from its forward definition and lowered.

A nested ``jit`` call is inlined too: XLA compiles the whole program as one module.
"""
from __future__ import annotations

import functools

import numpy as np
from jax import lax

from funcad.control.call import jit_p, remat_p
from funcad.control.cond import cond_p
from funcad.control.custom import (
    custom_jvp_call_p,
    custom_lin_jaxpr,
    custom_lin_p,
    custom_vjp_call_p,
)
from funcad.control.loops import scan_p, while_p
from funcad.core.avals import ShapedArray
from funcad.ops.checkpointing import name_p
from funcad_xla.rules import lower_jaxpr, register_lowerings


def _call(closed, *args) -> list:
    """Lower a closed sub-IR applied to ``args`` (its constants are embedded)."""
    outs = lower_jaxpr(closed.jaxpr, list(closed.consts), list(args))
    # jax's loops want exactly the declared types (a literal output would be weakly typed).
    return [lax.convert_element_type(o, a.dtype) for o, a in zip(outs, closed.out_avals)]


def _cond(index, *ops, branches):
    fns = [functools.partial(_call, br) for br in branches]
    return list(lax.switch(index, fns, *ops))


def _while(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, max_steps):
    cc = list(args[:cond_nconsts])
    bc = list(args[cond_nconsts:cond_nconsts + body_nconsts])
    init = list(args[cond_nconsts + body_nconsts:])
    if max_steps is None:
        return list(lax.while_loop(lambda c: _call(cond_jaxpr, *cc, *c)[0],
                                   lambda c: _call(body_jaxpr, *bc, *c), init))

    def cond_fun(state):
        steps, carry = state
        return lax.bitwise_and(lax.lt(steps, np.int32(max_steps)),
                               _call(cond_jaxpr, *cc, *carry)[0])

    def body_fun(state):
        steps, carry = state
        return lax.add(steps, np.int32(1)), _call(body_jaxpr, *bc, *carry)

    return list(lax.while_loop(cond_fun, body_fun, (np.int32(0), init))[1])


def _scan(*args, jaxpr, num_consts, num_carry, length, reverse):
    consts = list(args[:num_consts])
    init = list(args[num_consts:num_consts + num_carry])
    xs = list(args[num_consts + num_carry:])

    def step(carry, x):
        outs = _call(jaxpr, *consts, *carry, *x)
        return outs[:num_carry], outs[num_carry:]

    carry, ys = lax.scan(step, init, xs, length=length, reverse=reverse)
    return [*carry, *ys]


def _custom_jvp_call(*args, call_jaxpr, jvp, num_consts, symbolic_zeros):
    return _call(call_jaxpr, *args)


def _custom_vjp_call(*args, call_jaxpr, fwd, num_consts):
    return _call(call_jaxpr, *args)


def _remat(*args, jaxpr, prevent_cse, policy):
    # The backward pass's recomputation must stay one: without a barrier on its inputs,
    # XLA would merge it with the forward pass's equal computation, storing what the
    # checkpoint (and its policy) chose to recompute.
    if prevent_cse and args:
        args = lax.optimization_barrier(list(args))
    return _call(jaxpr, *args)


def _jit(*args, name, backend, device, jaxpr):
    return lower_jaxpr(jaxpr.jaxpr, list(jaxpr.consts), list(args))


def _custom_lin(*args, num_res, bwd, out_avals, in_avals, fun_name):
    avals = [ShapedArray(a.shape, a.dtype) for a in args]
    closed = custom_lin_jaxpr(avals, num_res=num_res, bwd=bwd, out_avals=out_avals,
                              in_avals=in_avals, fun_name=fun_name)
    return _call(closed, *args)


register_lowerings({
    cond_p: _cond,
    while_p: _while,
    scan_p: _scan,
    custom_jvp_call_p: _custom_jvp_call,
    custom_vjp_call_p: _custom_vjp_call,
    custom_lin_p: _custom_lin,
    remat_p: _remat,
    name_p: lambda x, *, name: x,  # a tag for checkpoint policies, gone once compiled
    jit_p: _jit,
})
