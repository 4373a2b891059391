"""Taylor rules of the higher-order primitives: the sub-IRs are themselves jetted, so the
series flow through a call, each branch of a ``cond`` and the carry of a ``scan`` or a
``while`` in one pass (the generic rule would nest one JVP of the body per order).

``jet_jaxpr`` stages the jet of a closed IR with a layout the primitive needs: inputs and
outputs in groups, each group its primals followed by the coefficients of its moving
(floating) members, ``order`` arrays each.
"""
from __future__ import annotations

from collections.abc import Sequence

from funcad.control.call import jit_p, remat_p
from funcad.control.common import split_sizes
from funcad.control.cond import cond_p
from funcad.control.loops import scan_p, while_p
from funcad.core.avals import ShapedArray
from funcad.core.rules import taylor_rules
from funcad.core.symbolic import is_differentiable_dtype, tangent_aval
from funcad.interpreters.subjaxpr import call_closed, derived, trace_flat, with_unused_invars
from funcad.ir.core import ClosedJaxpr
from funcad.taylor.jet_trace import jet_flat
from funcad.taylor.series import instantiate_terms


def _floating(avals: Sequence[ShapedArray]) -> list[bool]:
    return [is_differentiable_dtype(a.dtype) for a in avals]


def jet_jaxpr(closed: ClosedJaxpr, moving: Sequence[bool], order: int,
              in_groups: Sequence[int], out_groups: Sequence[int]) -> ClosedJaxpr:
    """The jet of ``closed`` as a closed IR (cached). ``moving[i]``: input ``i`` has a series;
    every floating output gets one (zeros where it does not move)."""
    key = ("jet", tuple(moving), order, tuple(in_groups), tuple(out_groups))
    return derived.get((closed,), key, lambda: _make_jet_jaxpr(closed, list(moving), order,
                                                               in_groups, out_groups))


def _make_jet_jaxpr(closed, moving, order, in_groups, out_groups):
    in_avals, out_avals = closed.in_avals, closed.out_avals
    out_moving = _floating(out_avals)
    flat_avals = []
    for idx in _groups(in_groups):
        flat_avals += [in_avals[i] for i in idx]
        flat_avals += [tangent_aval(in_avals[i]) for i in idx if moving[i] for _ in range(order)]

    def fun(*flat):
        primals, series = [None] * len(in_avals), [None] * len(in_avals)
        rest = iter(flat)
        for idx in _groups(in_groups):
            for i in idx:
                primals[i] = next(rest)
            for i in idx:
                if moving[i]:
                    series[i] = [next(rest) for _ in range(order)]
        outs, out_series = jet_flat(lambda *xs: call_closed(closed, *xs), primals, series, order)
        result = []
        for idx in _groups(out_groups):
            result += [outs[i] for i in idx]
            for i in idx:
                if out_moving[i]:
                    result += instantiate_terms(outs[i], out_series[i], order)
        return result

    return trace_flat(fun, flat_avals, "jet")


def _groups(sizes: Sequence[int]) -> list[range]:
    out, start = [], 0
    for n in sizes:
        out.append(range(start, start + n))
        start += n
    return out


def _flat_coefs(primals, series, which: Sequence[bool], order: int) -> list:
    """The coefficients of the moving operands, zeros materialized, in one flat list."""
    return [c for p, s, w in zip(primals, series, which) if w
            for c in instantiate_terms(p, s, order)]


def _read_outs(outs, out_avals, sizes, order):
    """Split a jetted primitive's outputs (groups of primals then coefficients) into the
    primals and per-output series (None for non-floating outputs)."""
    primals, series, rest = [], [], iter(outs)
    offset = 0
    for n in sizes:
        avals = out_avals[offset:offset + n]
        primals += [next(rest) for _ in range(n)]
        series += [[next(rest) for _ in range(order)] if f else None for f in _floating(avals)]
        offset += n
    return primals, series


def _instantiate(primals, series, which, order):
    return [instantiate_terms(p, s, order) if w else s
            for p, s, w in zip(primals, series, which)]


# --- calls: jit and remat ----------------------------------------------------------------------

def _call_rule(prim):
    def rule(primals, series, order, /, *, jaxpr, **params):
        moving = [s is not None for s in series]
        new = jet_jaxpr(jaxpr, moving, order, (len(primals),), (len(jaxpr.out_avals),))
        outs = prim.bind(*primals, *_flat_coefs(primals, series, moving, order), jaxpr=new,
                         **params)
        return _read_outs(outs, jaxpr.out_avals, (len(jaxpr.out_avals),), order)

    return rule


taylor_rules[jit_p] = _call_rule(jit_p)
taylor_rules[remat_p] = _call_rule(remat_p)


# --- cond: each branch jetted ------------------------------------------------------------------

def _cond_rule(primals, series, order, /, *, branches):
    index, *ops = primals
    moving = [s is not None for s in series[1:]]
    n, m = len(ops), len(branches[0].out_avals)
    new = tuple(jet_jaxpr(br, moving, order, (n,), (m,)) for br in branches)
    outs = cond_p.bind(index, *ops, *_flat_coefs(ops, series[1:], moving, order),
                       branches=new)
    return _read_outs(outs, branches[0].out_avals, (m,), order)


taylor_rules[cond_p] = _cond_rule


# --- scan and while: the series ride in the carry ----------------------------------------------

def _scan_rule(primals, series, order, /, *, jaxpr, num_consts, num_carry, length, reverse):
    consts, carry, xs = split_sizes(primals, num_consts, num_carry)
    s_consts, s_carry, s_xs = split_sizes(series, num_consts, num_carry)
    carry_moving = _floating(jaxpr.in_avals[num_consts:num_consts + num_carry])
    s_carry = _instantiate(carry, s_carry, carry_moving, order)
    moving = [s is not None for s in [*s_consts, *s_carry, *s_xs]]
    c_mov, k_mov, x_mov = split_sizes(moving, num_consts, num_carry)
    ny = len(jaxpr.out_avals) - num_carry
    body = jet_jaxpr(jaxpr, moving, order, (num_consts, num_carry, len(xs)), (num_carry, ny))
    outs = scan_p.bind(
        *consts, *_flat_coefs(consts, s_consts, c_mov, order),
        *carry, *_flat_coefs(carry, s_carry, k_mov, order),
        *xs, *_flat_coefs(xs, s_xs, x_mov, order),
        jaxpr=body, num_consts=num_consts + order * sum(c_mov),
        num_carry=num_carry + order * sum(k_mov), length=length, reverse=reverse)
    out_avals = [*jaxpr.out_avals[:num_carry],
                 *[ShapedArray((length, *a.shape), a.dtype, a.weak_type)
                   for a in jaxpr.out_avals[num_carry:]]]
    return _read_outs(outs, out_avals, (num_carry, ny), order)


taylor_rules[scan_p] = _scan_rule


def _while_rule(primals, series, order, /, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts,
                max_steps):
    cc, bc, carry = split_sizes(primals, cond_nconsts, body_nconsts)
    _, s_bc, s_carry = split_sizes(series, cond_nconsts, body_nconsts)
    carry_moving = _floating(body_jaxpr.out_avals)
    s_carry = _instantiate(carry, s_carry, carry_moving, order)
    moving = [s is not None for s in [*s_bc, *s_carry]]
    b_mov = moving[:len(bc)]
    nk = len(carry)
    body = jet_jaxpr(body_jaxpr, moving, order, (len(bc), nk), (nk,))
    coef_avals = [tangent_aval(a) for a, f in zip(body_jaxpr.out_avals, carry_moving) if f
                  for _ in range(order)]
    # the carry coefficients follow each carry group; cond reads the primals only
    cond = with_unused_invars(cond_jaxpr, after=coef_avals)
    outs = while_p.bind(
        *cc, *bc, *_flat_coefs(bc, s_bc, b_mov, order),
        *carry, *_flat_coefs(carry, s_carry, carry_moving, order),
        cond_jaxpr=cond, body_jaxpr=body, cond_nconsts=cond_nconsts,
        body_nconsts=body_nconsts + order * sum(b_mov), max_steps=max_steps)
    return _read_outs(outs, body_jaxpr.out_avals, (nk,), order)


taylor_rules[while_p] = _while_rule

__all__ = ["jet_jaxpr"]
