"""``vmap``: vectorize a function over an axis of its arguments."""
from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from funcad.api_util import arg_paths, fun_name, leaf_aval
from funcad.core.symbolic import not_mapped
from funcad.core.trace import get_aval, new_main, output_value
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.interpreters.batching import BatchTrace, BatchTracer
from funcad.ops._base import bdim_at
from funcad.tree_util import flatten_up_to, tree_flatten, tree_unflatten


def _is_axis_spec(x) -> bool:
    return x is None or isinstance(x, (int, np.integer))


def broadcast_prefix(prefix, tree, what: str) -> list:
    """One entry of ``prefix`` (a pytree prefix of ``tree`` whose leaves are ints or None) per
    leaf of ``tree``."""
    spec_leaves, spec_tree = tree_flatten(prefix, is_leaf=_is_axis_spec)
    for s in spec_leaves:
        if not _is_axis_spec(s):
            raise FuncadTypeError(with_user_line(
                f"vmap: {what} must be ints or None (in a pytree matching the arguments), "
                f"got {s!r}"
            ))
    subtrees = flatten_up_to(spec_tree, tree, f"vmap: {what} vs the arguments")
    out = []
    for spec, sub in zip(spec_leaves, subtrees, strict=True):
        out.extend([spec] * len(tree_flatten(sub)[0]))
    return out


_output = output_value


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_size: int | None = None) -> Callable:
    """Map ``fun`` over axis ``in_axes`` of its arguments; results are stacked along
    ``out_axes``. ``None`` means "not mapped" (the same value for every example)."""
    name = f"vmap({fun_name(fun)})"

    @functools.wraps(fun)
    def batched(*args):
        axes_tree = tuple(in_axes) if isinstance(in_axes, list) else in_axes
        if isinstance(axes_tree, tuple) and len(axes_tree) != len(args):
            raise FuncadValueError(with_user_line(
                f"{name}: in_axes has {len(axes_tree)} entries but the function was called with "
                f"{len(args)} positional arguments"
            ))
        leaves, in_tree = tree_flatten(args)
        if _is_axis_spec(axes_tree):
            axes = [axes_tree] * len(leaves)
        else:
            axes = broadcast_prefix(axes_tree, args, "in_axes")
        paths = arg_paths(in_tree)
        axes = [_normalize_axis(x, a, p, name) for x, a, p in zip(leaves, axes, paths, strict=True)]
        size = _axis_size(leaves, axes, paths, axis_size, name)
        with new_main(BatchTrace, size, name=name) as main:
            trace = main.trace
            tracers = [x if a is not_mapped else BatchTracer(trace, x, a)
                       for x, a in zip(leaves, axes, strict=True)]
            out = fun(*tree_unflatten(in_tree, tracers))
            out_leaves, out_tree = tree_flatten(out)
            o_axes = ([out_axes] * len(out_leaves) if _is_axis_spec(out_axes)
                      else broadcast_prefix(out_axes, out, "out_axes"))
            results = []
            for i, (o, oa) in enumerate(zip(out_leaves, o_axes, strict=True)):
                t = trace.full_raise(o)
                if oa is None:
                    if t.bdim is not not_mapped:
                        raise FuncadValueError(with_user_line(
                            f"{name}: out_axes is None for output {i}, but that output varies "
                            "along the mapped axis"
                        ))
                    results.append(t.val)
                    continue
                ndim_out = get_aval(t.val).ndim + (t.bdim is not_mapped)
                if not -ndim_out <= oa < ndim_out:
                    raise FuncadValueError(with_user_line(
                        f"{name}: out_axes {oa} is out of range for output {i} of rank {ndim_out}"
                    ))
                results.append(bdim_at(t.val, t.bdim, oa % ndim_out, size))
        return tree_unflatten(out_tree, [_output(r) for r in results])

    return batched


def _normalize_axis(x, axis, path: str, name: str):
    if axis is None:
        return not_mapped
    ndim = leaf_aval(x, name, f"argument {path}").ndim
    if not -ndim <= axis < ndim:
        raise FuncadValueError(with_user_line(
            f"{name}: in_axes {axis} is out of range for argument {path} of shape "
            f"{get_aval(x).shape}"
        ))
    return int(axis) % ndim


def _axis_size(leaves, axes, paths, axis_size, name: str) -> int:
    mapped = [(x, a, p) for x, a, p in zip(leaves, axes, paths, strict=True)
              if a is not not_mapped]
    sizes = {p: get_aval(x).shape[a] for x, a, p in mapped}
    if not sizes:
        if axis_size is None:
            raise FuncadValueError(with_user_line(
                f"{name}: no argument is mapped (all in_axes are None); pass axis_size="))
        return int(axis_size)
    if len(set(sizes.values())) > 1 or (axis_size is not None and axis_size not in sizes.values()):
        detail = ", ".join(
            f"{p} (axis {a}) has size {get_aval(x).shape[a]}"
            for x, a, p in mapped
        )
        raise FuncadValueError(with_user_line(
            f"{name}: mapped axes must all have the same size, but {detail}"
            + (f"; axis_size={axis_size}" if axis_size is not None else "")
        ))
    return next(iter(sizes.values()))


__all__ = ["vmap"]
