"""Sparsity rules of the window primitives, exact from the window geometry: pooling
(``reduce_window_*``: a result element combines the elements of its window), the linear
pair ``window_patches`` / ``window_patches_transpose``, and ``conv_general_dilated`` (a
result element is bilinear in its receptive field and its output feature's kernel).

The geometry is read by running the primitives' own index arithmetic on element numbers:
the operand's numbers padded and dilated with ``-1`` (no element), cut into windows.
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core.rules import Moves, sparsity_curvature, sparsity_rules
from funcad.ops._windowing import dilate_and_pad, strided_windows
from funcad.ops.convolution import conv_general_dilated_p
from funcad.ops.windows import (
    reduce_window_max_p,
    reduce_window_min_p,
    reduce_window_sum_p,
    window_patches_p,
    window_patches_transpose_p,
)
from funcad.sparse.families import _group_rule
from funcad.sparse.interpreter import Context, Pattern, dense_rule, size_of

_WINDOW = ("window_dimensions", "window_strides", "window_dilation")
# The most products a convolution lists (three int64 arrays each) before it is taken as dense.
MAX_CONV_PRODUCTS = 20_000_000


def _ids(shape) -> np.ndarray:
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)


def _pool_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    """Result element ``p`` combines the operand elements of window ``p`` (padding and
    base dilation hold no element)."""
    (x,), p = ins, eqn.params
    aval = eqn.invars[0].aval
    padded = dilate_and_pad(_ids(aval.shape), range(aval.ndim), p["base_dilation"],
                            p["padding"], -1)
    patches = window_patches_p.impl(padded, **{k: p[k] for k in _WINDOW})  # (K, *out)
    out_size = size_of(eqn.outvars[0].aval)
    out_rows = np.tile(np.arange(out_size), patches.shape[0])
    return [_group_rule(ctx, eqn, x, out_rows, patches.ravel(), out_size)]


def _patches_transpose_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    """Each cotangent element is added to the operand element its patch entry came from."""
    (ct,), p = ins, eqn.params
    target = window_patches_p.impl(_ids(p["operand_shape"]), **{k: p[k] for k in _WINDOW})
    return [_group_rule(ctx, eqn, ct, target.ravel(), np.arange(target.size),
                        size_of(eqn.outvars[0].aval))]


def conv_triples(eqn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (result, lhs, rhs) element numbers of every product the convolution sums, as
    its implementation forms them: channels last, the windows of the padded and dilated
    lhs against the kernel, per feature (or batch) group. Padding products are left out."""
    p = eqn.params
    lhs_a, rhs_a, out_a = (v.aval for v in (*eqn.invars, eqn.outvars[0]))
    lhs_spec, rhs_spec, out_spec = p["dimension_numbers"]
    x = np.transpose(_ids(lhs_a.shape), (lhs_spec[0], *lhs_spec[2:], lhs_spec[1]))
    w = np.transpose(_ids(rhs_a.shape), rhs_spec)  # O I *K
    spatial = tuple(range(1, x.ndim - 1))
    x = dilate_and_pad(x, spatial, p["lhs_dilation"], p["padding"], -1)
    g, bg = p["feature_group_count"], p["batch_group_count"]
    groups = g * bg
    n, c = x.shape[0], x.shape[-1]
    o, i = w.shape[:2]
    k = w.shape[2:]
    if bg > 1:
        xg = x.reshape((bg, n // bg) + x.shape[1:])
    else:
        xg = np.moveaxis(x.reshape(x.shape[:-1] + (g, c // g)), -2, 0)
    windows = strided_windows(xg, range(2, 2 + len(k)), k, p["window_strides"],
                              p["rhs_dilation"])
    nsp = len(k)
    order = (0, 1, *range(2, 2 + nsp), *range(3 + nsp, 3 + 2 * nsp), 2 + nsp)
    cols = windows.transpose(order).reshape(groups, -1, i * math.prod(k))  # (G, rows, T)
    kernel = w.reshape((groups, o // groups, i) + k)
    kernel = kernel.transpose(0, *range(3, 3 + nsp), 2, 1).reshape(groups, -1, o // groups)
    # The result numbers in the same (G, rows, O/G) layout.
    out_perm = (out_spec[0], *out_spec[2:], out_spec[1])
    out = np.transpose(_ids(out_a.shape), out_perm)  # N *P O
    out = out.reshape(out.shape[0], -1, groups, o // groups)
    out = np.moveaxis(out, 2, 0).reshape(groups, -1, o // groups)
    shape = (groups, cols.shape[1], cols.shape[2], o // groups)
    res = np.broadcast_to(out[:, :, None, :], shape).ravel()
    lhs = np.broadcast_to(cols[:, :, :, None], shape).ravel()
    rhs = np.broadcast_to(kernel[:, None, :, :], shape).ravel()
    keep = lhs >= 0
    return res[keep], lhs[keep], rhs[keep]


def _conv_rule(ctx: Context, eqn, ins: list[Pattern]) -> list[Pattern]:
    x, y = ins
    out_aval, rhs_aval = eqn.outvars[0].aval, eqn.invars[1].aval
    features = out_aval.shape[eqn.params["dimension_numbers"][2][1]]
    if size_of(out_aval) * (size_of(rhs_aval) // max(features, 1)) > MAX_CONV_PRODUCTS:
        return dense_rule(ctx, eqn, ins)  # more products than are worth listing
    out, lhs, rhs = conv_triples(eqn)
    for known, ids in ((x.known, lhs), (y.known, rhs)):  # products with a known zero
        if known is not None:
            keep = np.asarray(known).ravel()[ids] != 0
            out, lhs, rhs = out[keep], lhs[keep], rhs[keep]
    size = size_of(eqn.outvars[0].aval)
    jac = x.jac.compose(out, lhs, size).union(y.jac.compose(out, rhs, size))
    if not ctx.hessian:
        return [ctx.pattern(jac, None)]
    hess = x.hess.compose(out, lhs, size).union(y.hess.compose(out, rhs, size))
    hess = hess.union(ctx.cross(x.jac, y.jac, out, lhs, rhs, size))
    return [ctx.pattern(jac, hess)]


for _prim in (reduce_window_sum_p, reduce_window_max_p, reduce_window_min_p):
    sparsity_rules[_prim] = _pool_rule
    # max and min pooling pass one element's tangent: piecewise linear
    sparsity_curvature.setdefault(_prim, "linear")
sparsity_rules[window_patches_p] = Moves()
sparsity_rules[window_patches_transpose_p] = _patches_transpose_rule
sparsity_rules[conv_general_dilated_p] = _conv_rule
