"""``vmap``: vectorize a function over an axis of its arguments."""
from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from funcad.api_util import arg_paths, fun_name, leaf_aval
from funcad.core.symbolic import not_mapped
from funcad.core.trace import get_aval, new_main, output_value
from funcad.errors import (
    FuncadNotImplementedError,
    FuncadTypeError,
    FuncadValueError,
    with_user_line,
)
from funcad.interpreters.batching import BatchTrace, BatchTracer, named_axis
from funcad.ops._base import bdim_at
from funcad.ops.slicing import concatenate
from funcad.ops.slicing import slice as slice_op
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


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_name=None, axis_size: int | None = None,
         chunk_size: int | None = None) -> Callable:
    """Map ``fun`` over axis ``in_axes`` of its positional arguments (keyword arguments are
    always mapped over axis 0, as in JAX); results are stacked along ``out_axes``. ``None``
    means "not mapped" (the same value for every example).

    ``axis_name`` names the mapped axis for the collectives of ``funcad.lax`` (``psum``,
    ``pmean``, ``pmax``, ``pmin``, ``all_gather``, ``axis_index``). ``chunk_size`` maps at
    most that many examples at a time and concatenates the results (the same values, with
    intermediates of the chunk's size rather than the whole batch's).
    """
    name = f"vmap({fun_name(fun)})"
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer))
                                   or isinstance(chunk_size, bool) or chunk_size < 1):
        raise FuncadValueError(f"{name}: chunk_size must be a positive int or None, got "
                               f"{chunk_size!r}")
    if axis_name is not None:
        try:
            hash(axis_name)
        except TypeError:
            raise FuncadTypeError(f"{name}: axis_name must be hashable, got "
                                  f"{type(axis_name).__name__}") from None

    @functools.wraps(fun)
    def batched(*args, **kwargs):
        axes_tree = tuple(in_axes) if isinstance(in_axes, list) else in_axes
        if isinstance(axes_tree, tuple) and len(axes_tree) != len(args):
            raise FuncadValueError(with_user_line(
                f"{name}: in_axes has {len(axes_tree)} entries but the function was called with "
                f"{len(args)} positional arguments"
            ))
        leaves, in_tree = tree_flatten((args, kwargs))
        if _is_axis_spec(axes_tree):
            axes = [axes_tree] * len(leaves)
        else:
            axes = broadcast_prefix(axes_tree, args, "in_axes")
            axes += [0] * (len(leaves) - len(axes))  # keyword arguments: axis 0
        paths = arg_paths(*in_tree.children)
        axes = [_normalize_axis(x, a, p, name) for x, a, p in zip(leaves, axes, paths, strict=True)]
        size = _axis_size(leaves, axes, paths, axis_size, name)
        if chunk_size is None or size <= chunk_size:
            return _vmap_once(fun, in_tree, leaves, axes, size, out_axes, axis_name, name)
        if axis_name is not None:
            raise FuncadNotImplementedError(with_user_line(
                f"{name}: chunk_size={chunk_size} with axis_name={axis_name!r}: collectives "
                f"reduce over the whole axis of size {size}, which chunks do not see; drop "
                "chunk_size or axis_name"))
        return _vmap_chunked(fun, in_tree, leaves, axes, size, out_axes, int(chunk_size), name)

    return batched


def _vmap_once(fun, in_tree, leaves, axes, size, out_axes, axis_name, name):
    with named_axis(axis_name, size), new_main(BatchTrace, size, name=name) as main:
        trace = main.trace
        trace.axis_name = axis_name
        tracers = [x if a is not_mapped else BatchTracer(trace, x, a)
                   for x, a in zip(leaves, axes, strict=True)]
        call_args, call_kwargs = tree_unflatten(in_tree, tracers)
        out = fun(*call_args, **call_kwargs)
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


def _vmap_chunked(fun, in_tree, leaves, axes, size, out_axes, chunk_size, name):
    """Map chunk by chunk and concatenate each output along its ``out_axes``."""
    pieces = []
    for start in range(0, size, chunk_size):
        stop = min(start + chunk_size, size)
        chunk = [x if a is not_mapped else _take(x, a, start, stop)
                 for x, a in zip(leaves, axes, strict=True)]
        pieces.append(_vmap_once(fun, in_tree, chunk, axes, stop - start, out_axes, None, name))
    first, out_tree = tree_flatten(pieces[0])
    o_axes = ([out_axes] * len(first) if _is_axis_spec(out_axes)
              else broadcast_prefix(out_axes, pieces[0], "out_axes"))
    per_piece = [tree_flatten(p)[0] for p in pieces]
    outs = []
    for i, oa in enumerate(o_axes):
        if oa is None:  # the same in every chunk (checked by each chunk's vmap)
            outs.append(first[i])
            continue
        parts = [p[i] for p in per_piece]
        outs.append(_output(concatenate(parts, oa % get_aval(parts[0]).ndim)))
    return tree_unflatten(out_tree, outs)


def _take(x, axis: int, start: int, stop: int):
    shape = get_aval(x).shape
    lo = [0] * len(shape)
    hi = list(shape)
    lo[axis], hi[axis] = start, stop
    return slice_op(x, lo, hi)


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
