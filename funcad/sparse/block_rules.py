"""Sparsity rules of the primitives that are dense within blocks and independent across
them: sorting (each row along the sorted axis), ``top_k`` (each row of the last axis), FFTs
(each line along the untransformed axes), and the matrix decompositions and functions
(each matrix of a batch).

A result element depends on every element of its operand's block with the same block
number. Block sets are formed once per block (the union of the block's rows) and then
handed to the block's results, so the cost is linear in the pattern sizes. Second-order
sets: the operands' own sets carried to the block, plus the pairs the primitive couples
(none for the (piecewise) linear ones, every pair within the block for decompositions,
the listed operand pairs for ``expm_frechet`` and ``triangular_solve``, linear in their
second operand).
"""
from __future__ import annotations

import math

import numpy as np

from funcad.control.custom import custom_lin_jaxpr, custom_lin_p
from funcad.core.rules import Elementwise, sparsity_curvature, sparsity_rules
from funcad.ops.decompositions import eig_p, eigh_p, qr_p, svd_p
from funcad.ops.fft import fft_p
from funcad.ops.linalg import cholesky_p, lu_p, triangular_solve_p
from funcad.ops.matrix_functions import expm_frechet_p, expm_p
from funcad.ops.sharding import sharding_constraint_p
from funcad.ops.sorting import sort_p, top_k_p
from funcad.sparse.interpreter import Context, Pattern, size_of


def leading_blocks(shape, lead: int) -> tuple[np.ndarray, int]:
    """Block number of each element when the first ``lead`` axes number the blocks."""
    count = math.prod(shape[:lead])
    return np.repeat(np.arange(count, dtype=np.int64), math.prod(shape[lead:])), count


def line_blocks(shape, axis: int) -> tuple[np.ndarray, int]:
    """Block number of each element when every line along ``axis`` is one block."""
    kept = [1 if i == axis else d for i, d in enumerate(shape)]
    count = math.prod(kept)
    return np.broadcast_to(np.arange(count).reshape(kept), shape).ravel(), count


def _block_sets(ctx: Context, p: Pattern, blocks: np.ndarray, count: int):
    """The union of each block's rows (first and second order)."""
    rows = np.arange(len(blocks))
    jac = p.jac.compose(blocks, rows, count)
    hess = p.hess.compose(blocks, rows, count) if ctx.hessian else None
    return jac, hess


def dense_blocks(ctx: Context, ins: list[Pattern], in_blocks, out_blocks, count: int,
                 pairs) -> Pattern:
    """A result (blocks ``out_blocks``) that depends on every element of the same block of
    each operand (blocks ``in_blocks[i]``); ``pairs`` lists the operand pairs whose second
    derivatives may be nonzero (``()``: piecewise linear)."""
    sets = [_block_sets(ctx, p, b, count) for p, b in zip(ins, in_blocks)]
    jac = sets[0][0]
    for s in sets[1:]:
        jac = jac.union(s[0])
    hess = None
    if ctx.hessian:
        hess = sets[0][1]
        for s in sets[1:]:
            hess = hess.union(s[1])
        blocks = np.arange(count)
        for i, j in pairs:
            hess = hess.union(ctx.cross(sets[i][0], sets[j][0], blocks, blocks, blocks, count))
    return ctx.pattern(jac.take(out_blocks), hess.take(out_blocks) if ctx.hessian else None)


def _sort_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    """Each result is its own operand permuted within every line along ``dimension`` (the
    permutation, set by the keys, is piecewise constant)."""
    shape = eqn.invars[0].aval.shape
    blocks, count = line_blocks(shape, eqn.params["dimension"])
    return [dense_blocks(ctx, [p], [blocks], blocks, count, ()) for p in ins]


def _top_k_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    """The values are elements of their row of the last axis (piecewise linear)."""
    x_aval, (values, indices) = eqn.invars[0].aval, [v.aval for v in eqn.outvars]
    lead = x_aval.ndim - 1
    in_blocks, count = leading_blocks(x_aval.shape, lead)
    out_blocks, _ = leading_blocks(values.shape, lead)
    return [dense_blocks(ctx, ins, [in_blocks], out_blocks, count, ()),
            ctx.empty(size_of(indices))]


def _batched(lead_of, pairs):
    """A rule for a primitive whose operands and results have the batch axes first
    (``lead_of(eqn)`` of them) and that mixes everything within one batch element."""

    def rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
        lead = lead_of(eqn)
        in_blocks = [leading_blocks(a.aval.shape, lead)[0] for a in eqn.invars]
        count = math.prod(eqn.invars[0].aval.shape[:lead])
        pair_list = pairs(len(ins)) if callable(pairs) else pairs
        return [dense_blocks(ctx, ins, in_blocks, leading_blocks(v.aval.shape, lead)[0],
                             count, pair_list) for v in eqn.outvars]

    return rule


def _matrix_batch(eqn) -> int:
    return eqn.invars[0].aval.ndim - 2


def _every_pair(n: int):
    return [(i, j) for i in range(n) for j in range(i, n)]


def _custom_lin_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    """The linear map of a ``custom_vjp`` function, read from its staged forward form (the
    transpose of its ``bwd``), the form it is compiled with."""
    closed = custom_lin_jaxpr([v.aval for v in eqn.invars], **eqn.params)
    return ctx.run(closed, ins)


sparsity_rules[sharding_constraint_p] = Elementwise()
sparsity_curvature.setdefault(sharding_constraint_p, "linear")
sparsity_rules[sort_p] = _sort_rule
sparsity_rules[top_k_p] = _top_k_rule
sparsity_rules[fft_p] = _batched(
    lambda eqn: eqn.invars[0].aval.ndim - len(eqn.params["fft_lengths"]), ())
for _prim in (eigh_p, svd_p, qr_p, eig_p, expm_p, cholesky_p, lu_p):
    sparsity_rules[_prim] = _batched(_matrix_batch, _every_pair)
# Linear in the second operand: second derivatives pair the first with itself and with it.
sparsity_rules[expm_frechet_p] = _batched(_matrix_batch, ((0, 0), (0, 1)))
sparsity_rules[triangular_solve_p] = _batched(_matrix_batch, ((0, 0), (0, 1)))
sparsity_rules[custom_lin_p] = _custom_lin_rule

__all__ = ["dense_blocks", "leading_blocks", "line_blocks"]
