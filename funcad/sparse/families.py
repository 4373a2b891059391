"""How each family fact of ``core.rules.sparsity_rules`` propagates dependence sets.

First-order sets follow the structure of the primitive (which operand elements feed which
result element). Second-order sets are the operands' own sets carried along the same
structure, plus the interactions the primitive creates, read from
``core.rules.sparsity_curvature``: none for (piecewise) linear primitives, operand 0 with
operand 1 for bilinear ones (``x * y`` couples x and y, never x with itself), the listed
operand pairs, or every pair.
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.rules import (
    Accumulates,
    Contracts,
    Dense,
    Elementwise,
    Moves,
    Reduces,
    ZeroDerivative,
    sparsity_curvature,
)
from funcad.sparse.index_sets import IndexSets
from funcad.sparse.interpreter import Context, Pattern, dense_rule, family_rules, size_of

# The most (result, lhs, rhs) products a contraction enumerates before it is taken as dense.
MAX_PRODUCTS = 50_000_000


def vstack(sets: list[IndexSets], ncols: int) -> IndexSets:
    """The rows of each set, one set after the other."""
    if len(sets) == 1:
        return sets[0]
    indptr = [np.zeros(1, np.int64)]
    offset = 0
    for s in sets:
        indptr.append(s.indptr[1:] + offset)
        offset += s.nnz
    return IndexSets(np.concatenate(indptr), np.concatenate([s.indices for s in sets]), ncols)


def _union_hess(ctx: Context, parts) -> IndexSets | None:
    if not ctx.hessian:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out


def _self_cross(ctx: Context, jac: IndexSets) -> IndexSets:
    """Every pair within each row: the interactions of a fully nonlinear result."""
    rows = np.arange(jac.rows)
    return ctx.cross(jac, jac, rows, rows, rows, jac.rows)


def _annihilated(ctx: Context, ins: list[Pattern]) -> list[Pattern]:
    """For a product: an operand's sets dropped where the other operand is a known zero."""
    out = list(ins)
    for i, other in ((0, 1), (1, 0)):
        known = ins[other].known
        if known is not None and not ins[i].is_empty:
            zero = np.broadcast_to((np.asarray(known) == 0).ravel(), (ins[i].jac.rows,))
            keep = np.where(zero, -1, np.arange(len(zero)))
            hess = ins[i].hess.take(keep) if ctx.hessian else None
            out[i] = Pattern(ins[i].jac.take(keep), hess)
    return out


def elementwise_rule(ctx: Context, eqn, ins: list[Pattern], fact) -> list[Pattern]:
    if sparsity_curvature.get(eqn.primitive) == "bilinear" and len(ins) == 2:
        ins = _annihilated(ctx, ins)
    jac = ins[0].jac
    for p in ins[1:]:
        jac = jac.union(p.jac)
    if not ctx.hessian:
        return [ctx.pattern(jac, None)]
    parts = [p.hess for p in ins]
    curvature = sparsity_curvature.get(eqn.primitive)
    if curvature == "linear if real":
        real = all(not dtypes.is_complex(a.aval.dtype) for a in eqn.invars)
        curvature = "linear" if real else None
    rows = np.arange(jac.rows)
    if curvature == "bilinear":
        parts.append(ctx.cross(ins[0].jac, ins[1].jac, rows, rows, rows, jac.rows))
    elif isinstance(curvature, tuple):
        for i, j in curvature:
            parts.append(ctx.cross(ins[i].jac, ins[j].jac, rows, rows, rows, jac.rows))
    elif curvature != "linear":
        parts.append(_self_cross(ctx, jac))
    return [ctx.pattern(jac, _union_hess(ctx, parts))]


def zero_rule(ctx: Context, eqn, ins, fact) -> list[Pattern]:
    return [ctx.empty(size_of(v.aval)) for v in eqn.outvars]


def moves_rule(ctx: Context, eqn, ins: list[Pattern], fact) -> list[Pattern]:
    """Run the implementation on element numbers: operands of the result's dtype are moved
    (numbered one after the other), the others (indices) must be known constants."""
    out_aval = eqn.outvars[0].aval
    args, moved, offset = [], [], 0
    for p, a in zip(ins, eqn.invars):
        aval = a.aval
        if aval.dtype == out_aval.dtype:
            size = size_of(aval)
            args.append(np.arange(offset, offset + size, dtype=np.int64).reshape(aval.shape))
            moved.append(p)
            offset += size
        elif p.known is not None:
            args.append(p.known)
        else:
            return dense_rule(ctx, eqn, ins)  # indices known only at run time
    ids = np.asarray(eqn.primitive.impl(*args, **eqn.params)).ravel()
    if len(moved) == 1 and len(ids) == moved[0].jac.rows and np.array_equal(
            ids, np.arange(len(ids))):
        return [ctx.pattern(moved[0].jac, moved[0].hess)]  # a reshape: nothing moves
    jac = vstack([p.jac for p in moved], ctx.n).take(ids)
    hess = vstack([p.hess for p in moved], ctx.n * ctx.n).take(ids) if ctx.hessian else None
    return [ctx.pattern(jac, hess)]


def _group_rule(ctx: Context, eqn, x: Pattern, out_rows, in_rows, size) -> Pattern:
    """Result element ``out_rows[k]`` combines operand element ``in_rows[k]``."""
    jac = x.jac.compose(out_rows, in_rows, size)
    if not ctx.hessian:
        return ctx.pattern(jac, None)
    parts = [x.hess.compose(out_rows, in_rows, size)]
    if sparsity_curvature.get(eqn.primitive) != "linear":
        parts.append(_self_cross(ctx, jac))
    return ctx.pattern(jac, _union_hess(ctx, parts))


def reduces_rule(ctx: Context, eqn, ins: list[Pattern], fact: Reduces) -> list[Pattern]:
    (x,), aval = ins, eqn.invars[0].aval
    axes = eqn.params[fact.axes]
    out_size = size_of(eqn.outvars[0].aval)
    kept = [d if i not in axes else 1 for i, d in enumerate(aval.shape)]
    out_of_in = np.broadcast_to(np.arange(out_size).reshape(kept), aval.shape).ravel()
    return [_group_rule(ctx, eqn, x, out_of_in, np.arange(size_of(aval)), out_size)]


def accumulates_rule(ctx: Context, eqn, ins: list[Pattern], fact) -> list[Pattern]:
    (x,), aval = ins, eqn.invars[0].aval
    axis, reverse = eqn.params["axis"], eqn.params["reverse"]
    ids = np.moveaxis(np.arange(size_of(aval)).reshape(aval.shape), axis, -1)
    ids = ids.reshape(-1, aval.shape[axis])
    later, earlier = np.tril_indices(aval.shape[axis])  # element i sums elements j <= i
    if reverse:
        later, earlier = earlier, later
    out_rows = ids[:, later].ravel()
    in_rows = ids[:, earlier].ravel()
    return [_group_rule(ctx, eqn, x, out_rows, in_rows, size_of(aval))]


def _canonical_ids(aval, known, first, second, third):
    """Element numbers (and the may-be-nonzero mask) of an operand with its axes ordered
    ``first + second + third`` and grouped into three."""
    perm = (*first, *second, *third)
    size = [int(np.prod([aval.shape[i] for i in g], dtype=np.int64)) for g in
            (first, second, third)]
    ids = np.arange(size_of(aval)).reshape(aval.shape).transpose(perm).reshape(size)
    mask = (np.ones(size, bool) if known is None
            else (np.asarray(known) != 0).transpose(perm).reshape(size))
    return ids, mask


def contracts_rule(ctx: Context, eqn, ins: list[Pattern], fact) -> list[Pattern]:
    """``dot_general``: the (result, lhs, rhs) products that may be nonzero, enumerated
    from the nonzeros of known operands."""
    x, y = ins
    xa, ya = eqn.invars[0].aval, eqn.invars[1].aval
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lf = [i for i in range(xa.ndim) if i not in lc and i not in lb]
    rf = [i for i in range(ya.ndim) if i not in rc and i not in rb]
    lids, lmask = _canonical_ids(xa, x.known, lb, lf, lc)   # (B, F1, K)
    rids, rmask = _canonical_ids(ya, y.known, rb, rc, rf)   # (B, K, F2)
    nb, f1, k = lids.shape
    f2 = rids.shape[2]
    estimate = int(lmask.sum()) * f2
    if estimate > MAX_PRODUCTS:
        return dense_rule(ctx, eqn, ins)
    b_i, f1_i, k_i = np.nonzero(lmask)
    rows = IndexSets.from_pairs(*np.nonzero(rmask.reshape(nb * k, f2)), nb * k, f2)
    owner, f2_i = rows.gather_rows(b_i * k + k_i)
    b_i, f1_i, k_i = b_i[owner], f1_i[owner], k_i[owner]
    out = (b_i * f1 + f1_i) * f2 + f2_i
    lhs, rhs = lids[b_i, f1_i, k_i], rids[b_i, k_i, f2_i]
    size = size_of(eqn.outvars[0].aval)
    jac = x.jac.compose(out, lhs, size).union(y.jac.compose(out, rhs, size))
    if not ctx.hessian:
        return [ctx.pattern(jac, None)]
    parts = [x.hess.compose(out, lhs, size), y.hess.compose(out, rhs, size),
             ctx.cross(x.jac, y.jac, out, lhs, rhs, size)]
    return [ctx.pattern(jac, _union_hess(ctx, parts))]


family_rules.update({
    Elementwise: elementwise_rule,
    ZeroDerivative: zero_rule,
    Moves: moves_rule,
    Reduces: reduces_rule,
    Accumulates: accumulates_rule,
    Contracts: contracts_rule,
    Dense: lambda ctx, eqn, ins, fact: dense_rule(ctx, eqn, ins),
})
