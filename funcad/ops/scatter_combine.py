"""The combining scatters with ``jax.lax``'s dimension numbers: ``scatter_mul``,
``scatter_min``, ``scatter_max`` (``.at[].multiply/min/max`` of ``funcad.numpy``).

Derivatives: ``scatter_mul`` is linear in its operand; in its updates it is exact with
zeros and repeated indices when the indices are concrete (the product of the other updates
reaching the same element is found in NumPy), as JAX's with ``unique_indices=True``, and
raises a funcad error for traced, possibly repeated indices (as JAX does).
``scatter_min``/``scatter_max`` share the tangent evenly among the operand and updates that
attain the result (as JAX's).
"""
from __future__ import annotations

import numpy as np

from funcad.core.rules import jvp_rules, transpose_rules
from funcad.core.symbolic import Zero, is_undefined
from funcad.core.trace import get_aval, to_concrete
from funcad.errors import FuncadNotImplementedError
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import logical as lg
from funcad.ops import slicing as sl
from funcad.ops._base import instantiate_zeros, zeros_of
from funcad.ops.gather_scatter import (
    GatherDimensionNumbers,
    gather_dnums_of,
    gather_p,
    readback,
    scatter_add_p,
    scatter_jvp,
    scatter_primitive,
    scatter_wrapper,
    slice_sizes_of,
)

# --- scatter_mul ------------------------------------------------------------------------------

scatter_mul_p = scatter_primitive("scatter_mul", np.multiply.at)
scatter_mul = scatter_wrapper(
    scatter_mul_p, "``operand`` with its windows multiplied by ``updates`` (duplicates "
    "multiply).")


def _targets(x_aval, idx: np.ndarray, u_aval, dn, mode) -> np.ndarray:
    """The flat operand element each update element reaches, ``-1`` where it is dropped."""
    ids = np.arange(x_aval.size, dtype=np.int64).reshape(x_aval.shape)
    return gather_p.impl(ids, idx, dimension_numbers=gather_dnums_of(dn),
                         slice_sizes=slice_sizes_of(x_aval.shape, u_aval.shape, dn),
                         mode="clip" if mode == "clip" else "fill", fill_value=-1,
                         unique_indices=False, indices_are_sorted=False).ravel()


def _take(table, rows: np.ndarray):
    """``table[rows]`` of a 1-d ``table`` (``rows`` concrete and in bounds)."""
    return gather_p.bind(table, rows[:, None], dimension_numbers=GatherDimensionNumbers(
        (), (0,), (0,)), slice_sizes=(1,), mode="promise", fill_value=None,
        unique_indices=False, indices_are_sorted=False)


def _others_product(x, idx, upd, dn, mode):
    """For each update element, the product of the OTHER update elements reaching the same
    operand element (``None`` when none is reached twice). Exact with zeros and
    differentiable again; the repeats are found in NumPy from concrete indices."""
    value = to_concrete(idx)
    if value is None:
        raise FuncadNotImplementedError(
            "differentiation of `scatter_mul` (`.at[].multiply`) with respect to its updates "
            "at traced indices that may repeat (repeats can only be found from concrete "
            "indices; pass unique_indices=True, or the indices as constants)")
    x_aval, u_aval = get_aval(x), get_aval(upd)
    keys = _targets(x_aval, np.asarray(value), u_aval, dn, mode)
    n = keys.size
    if n == 0:
        return None
    keys = np.where(keys < 0, x_aval.size + np.arange(n), keys)  # a dropped one is alone
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    start_sorted = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    count_sorted = np.diff(np.r_[np.nonzero(first)[0], n])[np.cumsum(first) - 1]
    start, count, rank = (np.empty(n, np.intp) for _ in range(3))
    start[order], count[order] = start_sorted, count_sorted
    rank[order] = np.arange(n) - start_sorted
    most = int(count.max())
    if most == 1:
        return None
    table = sl.concatenate([base.reshape(upd, (n,)), np.ones((1,), u_aval.dtype)], 0)
    product = None
    for j in range(most - 1):
        q = j + (j >= rank)  # the j-th other member of the element's group (n: the 1)
        member = np.where(q < count, order[np.minimum(start + q, n - 1)], n)
        factor = _take(table, member)
        product = factor if product is None else ar.mul(product, factor)
    return base.reshape(product, u_aval.shape)


def _scatter_mul_tangent(x, idx, upd, tx, tu, ans, params):
    out = None
    if type(tx) is not Zero:  # linear in the operand
        out = scatter_mul_p.bind(tx, idx, upd, **params)
    if type(tu) is not Zero:
        # d out[p] = x[p] * sum over the updates b reaching p of tu[b] * (the others at p)
        others = None if params["unique_indices"] else _others_product(
            x, idx, upd, params["dimension_numbers"], params["mode"])
        weighted = tu if others is None else ar.mul(tu, others)
        zeros = zeros_of(get_aval(x).strip_weak_type())
        term = ar.mul(x, scatter_add_p.bind(zeros, idx, weighted, **params))
        out = term if out is None else base.add_tangents(out, term)
    return out


def _scatter_mul_transpose(ct, x, idx, upd, **params):
    if is_undefined(upd) or is_undefined(idx):
        raise NotImplementedError("transpose of scatter_mul in its updates or indices")
    return [scatter_mul_p.bind(ct, idx, upd, **params), None, None]


jvp_rules[scatter_mul_p] = scatter_jvp(scatter_mul_p, _scatter_mul_tangent)
transpose_rules[scatter_mul_p] = _scatter_mul_transpose


# --- scatter_min / scatter_max ----------------------------------------------------------------

def _extremal_tangent(x, idx, upd, tx, tu, ans, params):
    """The tangent at an element is the mean of the tangents of every candidate (the
    operand's element and each update reaching it) equal to the result; linear in the
    tangents (selects, a ``scatter_add``, a division by the constant count)."""
    dn, mode = params["dimension_numbers"], params["mode"]
    u_aval, x_aval = get_aval(upd), get_aval(x)
    dt = u_aval.dtype
    hit_u = base.convert_element_type(lg.eq(upd, readback(ans, idx, u_aval, dn, mode)), dt)
    hit_x = base.convert_element_type(lg.eq(x, ans), dt)
    zeros = zeros_of(x_aval.strip_weak_type())
    count = ar.add(hit_x, scatter_add_p.bind(zeros, idx, hit_u, **params))
    total = ar.add(ar.mul(instantiate_zeros(tx), hit_x),
                   scatter_add_p.bind(zeros, idx, ar.mul(instantiate_zeros(tu), hit_u),
                                      **params))
    return ar.div(total, count)


scatter_min_p = scatter_primitive("scatter_min", np.minimum.at)
scatter_min = scatter_wrapper(
    scatter_min_p, "``operand`` with each window element the minimum of itself and the "
    "updates reaching it.")
jvp_rules[scatter_min_p] = scatter_jvp(scatter_min_p, _extremal_tangent)

scatter_max_p = scatter_primitive("scatter_max", np.maximum.at)
scatter_max = scatter_wrapper(
    scatter_max_p, "``operand`` with each window element the maximum of itself and the "
    "updates reaching it.")
jvp_rules[scatter_max_p] = scatter_jvp(scatter_max_p, _extremal_tangent)

__all__ = ["scatter_max", "scatter_max_p", "scatter_min", "scatter_min_p", "scatter_mul",
           "scatter_mul_p"]
