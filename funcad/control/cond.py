"""The control-flow primitive ``cond`` (n-way, by an int32 index); ``while`` and ``scan``
are in ``funcad.control.loops``, the helpers they share in ``funcad.control.common``.

Their params hold closed sub-IRs (``ClosedJaxpr``) whose constants are concrete; values a
user's function closed over are passed as leading operands. Every transform rewrites the
sub-IRs and binds the primitive again, so control flow stays control flow under ``jit``,
``grad``, ``vmap`` and any nesting of them:

- JVP: the sub-IRs are differentiated (loops find which carries get nonzero tangents by a
  fixpoint);
- partial evaluation (linearize): the known (primal) part runs at once as one primitive, the
  unknown (tangent) part is staged as another, fed with residuals (for ``scan`` stacked per
  iteration; loop-invariant ones are passed once);
- transpose (``cond``, ``scan``): the sub-IRs are transposed; ``scan`` runs backwards;
- batching: sub-IRs are vmapped; a batched predicate turns ``cond`` into a select of all
  branches and makes ``while`` run until every lane is done.

The rules are built from the sub-IR transforms of ``funcad.interpreters.subjaxpr``.
"""
from __future__ import annotations

import numpy as np

from funcad.control.axis_scope import axis_scoped, batch_axis_size
from funcad.control.common import (
    same_types,
    select_where,
    split_sizes,
    typecheck_subjaxprs,
    types_str,
)
from funcad.core.rules import (
    batch_rules,
    jvp_rules,
    partial_eval_rules,
    transpose_rules,
    typecheck_rules,
)
from funcad.core.symbolic import UNKNOWN, Zero, is_undefined, not_mapped, tangent_aval
from funcad.core.trace import get_aval
from funcad.errors import FuncadValueError
from funcad.interpreters.subjaxpr import (
    PartialEval,
    batch_jaxpr,
    call_closed,
    derived,
    jvp_jaxpr,
    partial_eval_jaxpr,
    run_closed,
    trace_flat,
    transpose_jaxpr,
)
from funcad.ir.core import ClosedJaxpr, Jaxpr, Var
from funcad.ops._base import (
    broadcast_in_dim,
    convert_element_type,
    moveaxis,
    select_n,
    zeros_of,
)
from funcad.ops._shapes import type_error
from funcad.ops.logical import ne

# === cond =====================================================================================
#
# ``cond[branches] index *operands``: ``branches[index](*operands)``, index an int32 scalar
# clamped into range (``funcad.lax.cond`` passes ``int32(pred)`` with ``(false, true)``).

cond_p = axis_scoped("cond", multiple_results=True)


def _cond_impl(index, *ops, branches):
    i = int(np.clip(int(index), 0, len(branches) - 1))
    return run_closed(branches[i], *ops)


def _cond_abstract_eval(index, *ops, branches):
    avals = [index, *ops]
    if index.shape != () or index.dtype != np.int32:
        raise type_error(cond_p, avals, f"the branch index must be an int32 scalar, "
                                        f"got {index.str_short()}")
    for i, br in enumerate(branches):
        if not same_types(br.in_avals, ops):
            raise type_error(cond_p, avals, f"branch {i} takes {types_str(br.in_avals)}")
        if not same_types(br.out_avals, branches[0].out_avals):
            raise type_error(cond_p, avals, f"branch {i} returns {types_str(br.out_avals)} but "
                                            f"branch 0 returns {types_str(branches[0].out_avals)}")
    return [a.update(weak_type=all(br.out_avals[k].weak_type for br in branches))
            for k, a in enumerate(branches[0].out_avals)]


cond_p.def_impl(_cond_impl)
cond_p.def_abstract_eval(_cond_abstract_eval)
typecheck_rules[cond_p] = typecheck_subjaxprs("branches")


def _cond_jvp(primals, tangents, *, branches):
    index, *ops = primals
    nz = [type(t) is not Zero for t in tangents[1:]]
    out_nz = [False] * len(branches[0].out_avals)
    for br in branches:
        out_nz = [a or b for a, b in zip(out_nz, jvp_jaxpr(br, nz, False)[1])]
    new = tuple(jvp_jaxpr(br, nz, out_nz)[0] for br in branches)
    outs = cond_p.bind(index, *ops, *[t for t in tangents[1:] if type(t) is not Zero],
                       branches=new)
    n = len(out_nz)
    rest = iter(outs[n:])
    return outs[:n], [next(rest) if z else Zero(tangent_aval(a))
                      for a, z in zip(branches[0].out_avals, out_nz)]


jvp_rules[cond_p] = _cond_jvp


def _cond_partial_eval(trace, tracers, known, *, branches):
    if known[0] is UNKNOWN:
        return trace.stage(cond_p, tracers, {"branches": branches})
    ops_uk = [k is UNKNOWN for k in known[1:]]
    out_uk = [False] * len(branches[0].out_avals)
    for br in branches:
        out_uk = [a or b for a, b in zip(out_uk, partial_eval_jaxpr(br, ops_uk).out_unknowns)]
    splits = [partial_eval_jaxpr(br, ops_uk, out_uk) for br in branches]
    res_avals = [s.res_avals for s in splits]
    known_brs = tuple(_known_branch(s, i, res_avals) for i, s in enumerate(splits))
    unknown_brs = tuple(_unknown_branch(s, i, res_avals) for i, s in enumerate(splits))
    index = known[0]
    known_ops = [k for k in known[1:] if k is not UNKNOWN]
    known_outs = []
    if known_brs[0].jaxpr.outvars:
        known_outs = cond_p.bind(index, *known_ops, branches=known_brs)
    n_known = out_uk.count(False)
    residuals = [trace.full_raise(r) for r in known_outs[n_known:]]
    uk_in = [trace.full_raise(index), *residuals,
             *[t for t, u in zip(tracers[1:], ops_uk) if u]]
    uk_outs = iter(trace.stage(cond_p, uk_in, {"branches": unknown_brs}))
    kn_outs = iter(known_outs[:n_known])
    return [next(uk_outs) if u else next(kn_outs) for u in out_uk]


def _known_branch(split: PartialEval, i: int, res_avals) -> ClosedJaxpr:
    """Known inputs -> known outputs, then the residuals of every branch (zeros for the
    other branches')."""
    known = split.known
    n_out = len(known.jaxpr.outvars) - split.num_res

    def fun(*args):
        outs = call_closed(known, *args)
        res = []
        for j, avals in enumerate(res_avals):
            res.extend(outs[n_out:] if j == i else [zeros_of(a) for a in avals])
        return [*outs[:n_out], *res]

    return derived.get((known,), ("known_branch", i, _avals_key(res_avals)),
                       lambda: trace_flat(fun, known.in_avals, "cond known"))


def _avals_key(res_avals) -> tuple:
    return tuple(tuple(avals) for avals in res_avals)


def _unknown_branch(split: PartialEval, i: int, res_avals) -> ClosedJaxpr:
    """Every branch's residuals, then the unknown inputs -> unknown outputs."""
    before = [a for avals in res_avals[:i] for a in avals]
    after = [a for avals in res_avals[i + 1:] for a in avals]
    unknown = split.unknown
    jaxpr = unknown.jaxpr
    res, rest = jaxpr.invars[:split.num_res], jaxpr.invars[split.num_res:]
    invars = [*map(Var, before), *res, *map(Var, after), *rest]
    return ClosedJaxpr(Jaxpr.new(jaxpr.constvars, invars, jaxpr.outvars, jaxpr.eqns),
                       unknown.consts)


partial_eval_rules[cond_p] = _cond_partial_eval


def _cond_transpose(cts, index, *ops, branches):
    if is_undefined(index):
        raise FuncadValueError("transpose of `cond` with respect to its branch index")
    linear = tuple(is_undefined(x) for x in ops)
    ct_nz = tuple(type(c) is not Zero for c in cts)
    new = tuple(transpose_jaxpr(br, linear, ct_nz, instantiate=True)[0] for br in branches)
    res = [x for x in ops if not is_undefined(x)]
    outs = iter(cond_p.bind(index, *res, *[c for c in cts if type(c) is not Zero], branches=new))
    return [None] + [next(outs) if lin else None for lin in linear]


transpose_rules[cond_p] = _cond_transpose


def _cond_batch(vals, dims, *, branches):
    index, *ops = vals
    idim, *op_dims = dims
    size = batch_axis_size(vals, dims)
    nout = len(branches[0].out_avals)
    if idim is not_mapped:
        out_b = [False] * nout
        for br in branches:
            out_b = [a or b for a, b in zip(out_b, batch_jaxpr(br, size, op_dims, False)[1])]
        new = tuple(batch_jaxpr(br, size, op_dims, out_b)[0] for br in branches)
        outs = cond_p.bind(index, *ops, branches=new)
        return outs, [0 if b else not_mapped for b in out_b]
    # A batched index: every branch runs on every lane, and each lane selects its own.

    index = moveaxis(index, idim, 0)
    if len(branches) == 2:
        index = ne(index, np.zeros((size,), np.int32))
    results = [call_closed(batch_jaxpr(br, size, op_dims, True)[0], *ops) for br in branches]
    outs = []
    for k in range(nout):
        cases = [r[k] for r in results]
        aval = get_aval(cases[0])
        which = broadcast_in_dim(index, aval.shape, (0,))
        if len(branches) == 1:
            which = convert_element_type(which, np.bool_)
            cases = cases * 2
        outs.append(select_n(which, *cases))
    return outs, [0] * nout


batch_rules[cond_p] = _cond_batch


__all__ = [
    "cond_p",
    "same_types",
    "select_where",
    "split_sizes",
    "typecheck_subjaxprs",
    "types_str",
]
