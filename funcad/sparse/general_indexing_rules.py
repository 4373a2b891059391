"""Sparsity rules of XLA's general gather and scatters (``funcad.ops.gather_scatter``).

With known (constant) indices the rules are exact: a gather moves the elements its
implementation picks from element numbers (fills pick none); ``scatter`` moves the operand
elements it keeps and the updates that survive; the combining scatters add each update
element into the result element a gather with the same indices reads (dropped updates land
nowhere). With indices known only at run time, an element may come from (an update may
land on) any element along the indexed axes; the other axes follow the geometry.
``scatter_mul`` is nonlinear (the operand element interacts with the updates landing on
it, and those with each other where several land); the others are (piecewise) linear.
"""
from __future__ import annotations

import numpy as np

from funcad.core.rules import sparsity_rules
from funcad.ops.gather_scatter import (
    gather_dnums_of,
    gather_p,
    scatter_add_p,
    scatter_p,
    slice_sizes_of,
)
from funcad.ops.scatter_combine import scatter_max_p, scatter_min_p, scatter_mul_p
from funcad.sparse.families import vstack
from funcad.sparse.interpreter import Context, Pattern, size_of


def _ids(aval, offset: int = 0) -> np.ndarray:
    return np.arange(offset, offset + size_of(aval), dtype=np.int64).reshape(aval.shape)


def _lines(aval, indexed) -> tuple[np.ndarray, int]:
    """Element groups that differ only along the ``indexed`` axes: where an index known
    only at run time may point (the other axes are addressed by the geometry)."""
    kept = [1 if d in indexed else n for d, n in enumerate(aval.shape)]
    count = int(np.prod(kept, dtype=np.int64))
    return np.broadcast_to(np.arange(count).reshape(kept), aval.shape), count


def _grouped(ctx: Context, p: Pattern, groups: np.ndarray, count: int, rows: np.ndarray):
    """Row ``k`` of the result: the union of ``p``'s rows in group ``rows[k]``."""
    members = np.arange(p.jac.rows)
    jac = p.jac.compose(groups, members, count).take(rows)
    hess = p.hess.compose(groups, members, count).take(rows) if ctx.hessian else None
    return jac, hess


def _gather_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    x, idx = ins
    x_aval, i_aval = eqn.invars[0].aval, eqn.invars[1].aval
    if idx.known is None:  # an element may come from anywhere along the indexed axes
        groups, count = _lines(x_aval, eqn.params["dimension_numbers"].start_index_map)
        params = dict(eqn.params, mode="clip")
        rows = gather_p.impl(np.ascontiguousarray(groups), np.zeros(i_aval.shape, i_aval.dtype),
                             **params)
        return [ctx.pattern(*_grouped(ctx, x, groups.ravel(), count, np.ravel(rows)))]
    params = dict(eqn.params, fill_value=-1)  # a filled element is no element
    ids = np.asarray(gather_p.impl(_ids(x_aval), idx.known, **params)).ravel()
    return [ctx.pattern(x.jac.take(ids), x.hess.take(ids) if ctx.hessian else None)]


def _scatter_set_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    x, idx, upd = ins
    x_aval, u_aval = eqn.invars[0].aval, eqn.invars[2].aval
    if idx.known is None:
        return _combine(ctx, eqn, ins, nonlinear=False)
    ids = np.asarray(scatter_p.impl(_ids(x_aval), idx.known, _ids(u_aval, size_of(x_aval)),
                                    **eqn.params)).ravel()
    jac = vstack([x.jac, upd.jac], ctx.n).take(ids)
    hess = vstack([x.hess, upd.hess], ctx.n * ctx.n).take(ids) if ctx.hessian else None
    return [ctx.pattern(jac, hess)]


def _targets(eqn, indices, ids=None) -> np.ndarray:
    """The result element (or the entry of ``ids`` there) each update element is combined
    into (-1: dropped)."""
    x_aval, u_aval = eqn.invars[0].aval, eqn.invars[2].aval
    dn = eqn.params["dimension_numbers"]
    mode = "clip" if eqn.params["mode"] == "clip" else "fill"  # the others drop
    return np.asarray(gather_p.impl(
        _ids(x_aval) if ids is None else ids, indices, dimension_numbers=gather_dnums_of(dn),
        slice_sizes=slice_sizes_of(x_aval.shape, u_aval.shape, dn), mode=mode,
        fill_value=-1, unique_indices=False, indices_are_sorted=False)).ravel()


def _combine(ctx: Context, eqn, ins: list[Pattern], nonlinear: bool) -> list[Pattern]:
    x, idx, upd = ins
    size = size_of(eqn.outvars[0].aval)
    if idx.known is not None:
        target = _targets(eqn, idx.known)
        keep = target >= 0
        jac_u = upd.jac.compose(target[keep], np.flatnonzero(keep), size)
        hess_u = (upd.hess.compose(target[keep], np.flatnonzero(keep), size)
                  if ctx.hessian else None)
        landed = np.bincount(target[keep], minlength=size)
    else:  # an update may land anywhere along the indexed axes
        x_aval, i_aval = eqn.invars[0].aval, eqn.invars[1].aval
        groups, count = _lines(x_aval, eqn.params["dimension_numbers"].
                               scatter_dims_to_operand_dims)
        zero = np.zeros(i_aval.shape, i_aval.dtype)
        eqn_clip = _Clipped(eqn)
        target = _targets(eqn_clip, zero, np.ascontiguousarray(groups))
        groups = groups.ravel()
        jac_u, hess_u = _grouped(ctx, upd, target, count, groups)
        landed = np.bincount(target, minlength=count)[groups]
    jac = x.jac.union(jac_u)
    hess = None
    if ctx.hessian:
        hess = x.hess.union(hess_u)
        if nonlinear:  # x * u1 * u2 ...: x with the updates, updates with each other
            rows = np.arange(size)
            hess = hess.union(ctx.cross(x.jac, jac_u, rows, rows, rows, size))
            several = np.flatnonzero(landed > 1)
            hess = hess.union(ctx.cross(jac_u, jac_u, several, several, several, size))
    return [ctx.pattern(jac, hess)]


class _Clipped:
    """An equation's view with ``mode="clip"`` (every update lands somewhere)."""

    def __init__(self, eqn):
        self.invars = eqn.invars
        self.params = dict(eqn.params, mode="clip")


def _combining(nonlinear: bool):
    def rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
        return _combine(ctx, eqn, ins, nonlinear)

    return rule


sparsity_rules[gather_p] = _gather_rule
sparsity_rules[scatter_p] = _scatter_set_rule
sparsity_rules[scatter_add_p] = _combining(nonlinear=False)
sparsity_rules[scatter_min_p] = _combining(nonlinear=False)  # piecewise linear
sparsity_rules[scatter_max_p] = _combining(nonlinear=False)
sparsity_rules[scatter_mul_p] = _combining(nonlinear=True)
