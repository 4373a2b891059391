"""``laplacian`` and ``hessian_diag``: second-order information by one forward pass of
(value, Jacobian, second-order part), never forming the Hessian."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.api_util import fun_name, leaf_aval
from funcad.core.symbolic import is_differentiable_dtype
from funcad.core.trace import Tracer, get_aval, output_value
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.ops._base import broadcast_in_dim, reshape, transpose, zeros_of
from funcad.ops.slicing import slice as lax_slice
from funcad.taylor.laplacian_rules import LAPLACIAN, dense_jac, laplacian_rule_for
from funcad.taylor.laplacian_trace import laplacian_flat
from funcad.tree_util import tree_flatten, tree_unflatten


def laplacian(fun: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """``sum_i d2 f / dx_i^2`` over every element of the arguments at ``argnums`` (jointly,
    for a tuple), for each element of every output leaf (an output's Laplacian has its
    shape). Computed by forward propagation of the value, its gradient with respect to the
    ``n`` inputs and its Laplacian: cost about ``n`` times a forward pass, memory ``n``
    times the intermediates, and no ``n x n`` Hessian."""
    return _transform(fun, argnums, LAPLACIAN, "laplacian")


def hessian_diag(fun: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian's diagonal ``d2 f / dx_i^2``: for an output leaf of shape ``out`` and an
    argument leaf of shape ``in``, an array of shape ``(*out, *in)`` (a tuple over
    ``argnums`` when it is a tuple, each argument a pytree like it)."""
    return _transform(fun, argnums, "diag", "hessian_diag")


def _transform(fun: Callable, argnums, mode: str, name: str) -> Callable:
    if not callable(fun):
        raise FuncadTypeError(with_user_line(f"{name}: fun must be callable, got "
                                             f"{type(fun).__name__}"))
    multi = isinstance(argnums, (tuple, list))
    nums = tuple(argnums) if multi else (argnums,)
    if not all(isinstance(i, int) for i in nums) or not nums:
        raise FuncadTypeError(with_user_line(f"{name}: argnums must be an int or a tuple of "
                                             f"ints, got {argnums!r}"))

    def wrapped(*args):
        for i in nums:
            if not -len(args) <= i < len(args):
                raise FuncadValueError(with_user_line(
                    f"{name}({fun_name(fun)}): argnums {i} is out of range for "
                    f"{len(args)} positional arguments"))
        args = list(args)
        nums_pos = [i % len(args) for i in nums]
        leaves, trees = [], []
        for i in nums_pos:
            lv, tr = tree_flatten(args[i])
            leaves.append(lv)
            trees.append(tr)
        flat = [x for lv in leaves for x in lv]
        avals = [leaf_aval(x, name, f"argument {i}") for i, x in enumerate(flat)]
        for a in avals:
            if not is_differentiable_dtype(a.dtype):
                raise FuncadTypeError(with_user_line(
                    f"{name}({fun_name(fun)}): differentiated arguments must be floating, got "
                    f"{a.str_short()}"))
        flat = [x if isinstance(x, Tracer) else np.asarray(x, a.dtype)
                for x, a in zip(flat, avals)]
        sizes = [a.size for a in avals]
        n = sum(sizes)
        jacs, diags = _input_jacobians(flat, avals, sizes, n)
        store: list = []

        def flat_fun(*xs):
            it = iter(xs)
            call = list(args)
            for i, lv, tr in zip(nums_pos, leaves, trees):
                call[i] = tree_unflatten(tr, [next(it) for _ in lv])
            out = fun(*call)
            out_leaves, out_tree = tree_flatten(out)
            for k, leaf in enumerate(out_leaves):
                leaf_aval(leaf, name, f"output leaf {k} of {fun_name(fun)}")
            store.append(out_tree)
            return out_leaves

        outs = laplacian_flat(flat_fun, flat, jacs, [None] * len(flat), diags, mode=mode, n=n,
                              rule_for=laplacian_rule_for)
        if mode == LAPLACIAN:
            res = [_laplacian_out(o) for o in outs]
            return tree_unflatten(store[0], [output_value(r) for r in res])
        per_arg = []
        for k, lv in enumerate(leaves):
            start = sum(sizes[:sum(len(x) for x in leaves[:k])])
            parts = []
            for leaf in lv:
                size = get_aval(leaf).size
                parts.append([_diag_out(o, n, start, size, get_aval(leaf).shape) for o in outs])
                start += size
            per_arg.append([tree_unflatten(store[0], [output_value(x) for x in p])
                            for p in parts])
        results = [tree_unflatten(tr, p) for tr, p in zip(trees, per_arg)]
        return tuple(results) if multi else results[0]

    wrapped.__name__ = f"{name}({fun_name(fun)})"
    return wrapped


def _input_jacobians(flat, avals, sizes, n):
    """Identity blocks: a single input keeps its Jacobian as a diagonal of ones."""
    if len(flat) == 1:
        return [np.ones(avals[0].shape, avals[0].dtype)], [True]
    jacs, start = [], 0
    for a, size in zip(avals, sizes):
        eye = np.zeros((n, size), a.dtype)
        eye[start:start + size] = np.eye(size, dtype=a.dtype)
        jacs.append(eye.reshape((n, *a.shape)))
        start += size
    return jacs, [False] * len(flat)


def _laplacian_out(out):
    value, jac, second, _ = out
    if jac is None or second is None:
        return zeros_of(get_aval(value).strip_weak_type())
    return second


def _diag_out(out, n, start, size, in_shape):
    """The block of one argument leaf, moved to ``(*out_shape, *in_shape)``."""
    value, jac, second, diag = out
    aval = get_aval(value)
    if jac is None or second is None:
        return np.zeros((*aval.shape, *in_shape), aval.dtype) if not isinstance(value, Tracer) \
            else broadcast_in_dim(zeros_of(aval.strip_weak_type()), (*aval.shape, *in_shape),
                                  tuple(range(aval.ndim)))
    full = dense_jac(second, n) if diag else second  # (n, *out)
    block = full if (start, size) == (0, n) else _slice_rows(full, start, size)
    block = reshape(block, (*in_shape, *aval.shape))
    k = len(in_shape)
    return transpose(block, (*range(k, k + aval.ndim), *range(k)))


def _slice_rows(x, start, size):
    shape = get_aval(x).shape
    return lax_slice(x, (start, *[0] * (len(shape) - 1)), (start + size, *shape[1:]))


__all__ = ["hessian_diag", "laplacian"]
