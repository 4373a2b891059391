"""``jet``: the user-facing Taylor-mode transform, with ``jax.experimental.jet``'s signature
and conventions (``series[i][k]`` is the ``(k+1)``-th derivative of the curve through
``primals[i]`` when ``factorial_scaled``, its Taylor coefficient otherwise)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.api_util import fun_name, leaf_aval
from funcad.core.trace import Tracer, get_aval, output_value
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.taylor.jet_trace import jet_flat
from funcad.taylor.series import from_taylor, normalize, to_taylor
from funcad.tree_util import flatten_up_to, tree_flatten, tree_unflatten


def jet(fun: Callable, primals, series, factorial_scaled: bool = True):
    """Taylor-mode propagation: push a truncated Taylor polynomial through ``fun``.

    Args:
      fun: the function; its arguments and results are arrays or pytrees of arrays.
      primals: a tuple or list, one entry per positional argument of ``fun``.
      series: a tuple or list with one entry per primal: a list of ``K`` terms, each with the
        primal's structure. ``K`` is the order.
      factorial_scaled: if True (the default, as in JAX), term ``k`` is the ``(k+1)``-th
        derivative of the input curve and of the output; if False it is the Taylor
        coefficient (the derivative over ``(k+1)!``).

    Returns:
      ``(primals_out, series_out)``: ``fun(*primals)``, and for each output leaf the list of
      its ``K`` terms (in ``series_out``, every output leaf is replaced by that list).
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise FuncadTypeError(with_user_line(
            f"jet: primals and series must be tuples or lists, one entry per argument, got "
            f"{type(primals).__name__} and {type(series).__name__}"))
    if len(primals) != len(series):
        raise FuncadValueError(with_user_line(
            f"jet: {len(primals)} primals but {len(series)} series"))
    p_leaves, in_tree = tree_flatten(tuple(primals))
    order = _order(series)
    leaf_series = _series_leaves(primals, series, order)
    for i, p in enumerate(p_leaves):
        leaf_aval(p, "jet", f"primal {i}")
    p_leaves = [p if isinstance(p, Tracer) else np.asarray(p) for p in p_leaves]
    in_series = [_input_series(p, s, i, factorial_scaled)
                 for i, (p, s) in enumerate(zip(p_leaves, leaf_series, strict=True))]
    store: list = []

    def flat(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        out_leaves, out_tree = tree_flatten(out)
        for i, leaf in enumerate(out_leaves):
            leaf_aval(leaf, "jet", f"output leaf {i} of {fun_name(fun)}")
        store.append(out_tree)
        return out_leaves

    if order == 0:
        outs = flat(*p_leaves)
        return tree_unflatten(store[0], [output_value(o) for o in outs]), \
            tree_unflatten(store[0], [[] for _ in outs])
    outs, out_series = jet_flat(flat, p_leaves, in_series, order)
    terms = [_output_series(o, s, order, factorial_scaled) for o, s in zip(outs, out_series)]
    return (tree_unflatten(store[0], [output_value(o) for o in outs]),
            tree_unflatten(store[0], terms))


def _order(series) -> int:
    orders = set()
    for i, s in enumerate(series):
        if not isinstance(s, (tuple, list)):
            raise FuncadTypeError(with_user_line(
                f"jet: series[{i}] must be a list of terms (one per order), got "
                f"{type(s).__name__}"))
        orders.add(len(s))
    if len(orders) > 1:
        raise FuncadValueError(with_user_line(
            f"jet: every series needs the same number of terms, got {sorted(orders)}"))
    return orders.pop() if orders else 0


def _series_leaves(primals, series, order: int) -> list:
    """One list of ``order`` terms per primal leaf."""
    per_leaf = []
    for i, (p, s) in enumerate(zip(primals, series, strict=True)):
        _, tree = tree_flatten(p)
        terms = [flatten_up_to(tree, t, f"jet: series[{i}][{k}] vs primals[{i}]")
                 for k, t in enumerate(s)]
        per_leaf.extend([list(col) for col in zip(*terms, strict=True)]
                        if order else [[] for _ in range(tree.num_leaves)])
    return per_leaf


def _input_series(p, terms, i: int, factorial_scaled: bool):
    pa = get_aval(p)
    out = []
    for k, t in enumerate(terms):
        ta = leaf_aval(t, "jet", f"series term {k} of primal leaf {i}")
        if ta.shape != pa.shape:
            raise FuncadValueError(with_user_line(
                f"jet: primal leaf {i} has shape {pa.shape} but its series term {k} has shape "
                f"{ta.shape}"))
        out.append(t if isinstance(t, Tracer) else np.asarray(t, dtype=pa.dtype))
    if pa.dtype.kind not in "fc":
        return None
    # A concrete all-zero term is a symbolic zero: the rules skip the products it enters.
    out = [None if not isinstance(t, Tracer) and not np.any(t) else t for t in out]
    return normalize(to_taylor(out, factorial_scaled))


def _output_series(out, terms, order: int, factorial_scaled: bool) -> list:
    aval = get_aval(out)
    dtype = aval.dtype if aval.dtype.kind in "fc" else np.dtype(float)
    if terms is None:
        return [np.zeros(aval.shape, dtype) for _ in range(order)]
    return [np.zeros(aval.shape, dtype) if t is None else output_value(t)
            for t in from_taylor(terms, factorial_scaled)]


__all__ = ["jet"]
