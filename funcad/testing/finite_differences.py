"""Central finite differences: the reference every derivative is checked against."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.tree_util import tree_flatten, tree_map, tree_unflatten


def default_eps(dtype) -> float:
    """Step size balancing truncation (eps^2) against rounding (ulp/eps); a complex dtype
    steps as its parts' float dtype."""
    dtype = np.dtype(dtype)
    wide = np.finfo(dtype).bits >= 64 if dtype.kind in "fc" else dtype.itemsize >= 8
    return 1e-4 if wide else 1e-2


def _axpy(a: float, xs, ys):
    return tree_map(lambda x, y: np.asarray(x + a * np.asarray(y, dtype=np.result_type(x)),
                                            dtype=np.result_type(x)), xs, ys)


def numerical_jvp(fun: Callable, primals, tangents, eps: float | None = None):
    """``(fun(primals + eps t) - fun(primals - eps t)) / (2 eps)``, over pytrees."""
    primals, tangents = tuple(primals), tuple(tangents)
    if eps is None:
        leaves = tree_flatten(primals)[0]
        eps = min((default_eps(np.result_type(x)) for x in leaves), default=1e-4)
    f_pos = fun(*_axpy(eps, primals, tangents))
    f_neg = fun(*_axpy(-eps, primals, tangents))
    return tree_map(_difference(eps), f_pos, f_neg)


def _difference(eps: float):
    def diff(a, b):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind == "V":  # float0 values (tangents of integers) hold no numbers
            return np.zeros(a.shape, a.dtype)
        return (a - b) / (2 * eps)
    return diff


def numerical_grad(fun: Callable, x, eps: float | None = None):
    """The gradient of a real scalar ``fun`` at ``x`` (a pytree), one central difference per
    element (two for a complex element: along its real and its imaginary part, combined as
    JAX's ``grad`` is, ``df/dre - i df/dim``)."""
    leaves, tree = tree_flatten(x)
    leaves = [np.array(leaf, dtype=np.result_type(leaf)) for leaf in leaves]
    grads = []
    for i, leaf in enumerate(leaves):
        step = eps if eps is not None else default_eps(leaf.dtype)
        g = np.zeros(leaf.shape, dtype=leaf.dtype)
        for idx in np.ndindex(*leaf.shape):
            def at(delta, idx=idx, i=i):
                moved = [v.copy() for v in leaves]
                moved[i][idx] += delta
                return float(np.asarray(fun(tree_unflatten(tree, moved))))

            g[idx] = (at(step) - at(-step)) / (2 * step)
            if leaf.dtype.kind == "c":
                g[idx] -= 1j * (at(1j * step) - at(-1j * step)) / (2 * step)
        grads.append(g)
    return tree_unflatten(tree, grads)


__all__ = ["default_eps", "numerical_grad", "numerical_jvp"]
