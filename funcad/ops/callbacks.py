"""``pure_callback``: call opaque host code (SciPy, C, anything taking NumPy arrays) from
inside any transform (``funcad.pure_callback``).

A function, not an effect: its results are declared (``result_avals``), it may be dropped
when unused or merged with an identical call, and its implementation calls the host
function with NumPy arrays and checks what comes back against the declaration, so a
mismatch is a funcad error eagerly, on the NumPy backend and, through the same check in
funcad_xla's host callback, on XLA. It has no derivative: differentiating through it asks
for ``custom_jvp``/``custom_vjp`` around it. ``vmap`` follows ``vmap_method`` as JAX does.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.rules import batch_rules, jvp_rules
from funcad.core.symbolic import not_mapped
from funcad.core.trace import get_aval
from funcad.errors import (
    CallbackResultError,
    CallbackVmapError,
    FuncadValueError,
    with_user_line,
)
from funcad.ops._base import bdim_at, broadcast_in_dim
from funcad.ops._shapes import axis_size_of, new_primitive

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all",
                "legacy_vectorized", None)


def _read_only(x) -> np.ndarray:
    """The operand as the host function sees it: a NumPy array it cannot write through."""
    view = np.asarray(x).view()
    view.flags.writeable = False
    return view


def checked_results(callback, result_avals, outs) -> list[np.ndarray]:
    """``outs`` (what ``callback`` returned, flat) as NumPy arrays, after checking their
    count, shapes and dtypes against ``result_avals``."""
    name = getattr(callback, "name", getattr(callback, "__name__", "callback"))
    if len(outs) != len(result_avals):
        raise CallbackResultError(
            f"pure_callback({name}): the callback returned {len(outs)} array(s) but "
            f"result_shape_dtypes declares {len(result_avals)}: "
            + ", ".join(a.str_short() for a in result_avals))
    result = []
    for i, (out, aval) in enumerate(zip(outs, result_avals)):
        arr = np.asarray(out)
        if arr.shape != aval.shape or arr.dtype != aval.dtype:
            raise CallbackResultError(
                f"pure_callback({name}): result {i} of the callback has shape {arr.shape} "
                f"and dtype {arr.dtype}, but result_shape_dtypes declares shape "
                f"{aval.shape} and dtype {aval.dtype}")
        # A result that views memory it does not own (an operand, a cache) is copied, so
        # later writes on either side never show through.
        result.append(arr.copy() if arr.base is not None or not arr.flags.owndata else arr)
    return result


def call_host(callback, result_avals, args) -> list[np.ndarray]:
    """Call the flat host function on NumPy views of ``args`` and check its results."""
    return checked_results(callback, result_avals, list(callback(*map(_read_only, args))))


def pure_callback_flat(callback, result_avals, *args, vmap_method) -> list:
    """Bind ``pure_callback_p``: ``callback(*flat arrays) -> flat list of arrays``."""
    if vmap_method not in VMAP_METHODS:
        raise FuncadValueError(
            f"pure_callback: vmap_method must be one of {list(VMAP_METHODS)}, got "
            f"{vmap_method!r}")
    return pure_callback_p.bind(*args, callback=callback, result_avals=tuple(result_avals),
                                vmap_method=vmap_method)


def _pure_callback_impl(*args, callback, result_avals, vmap_method):
    return call_host(callback, result_avals, args)


def _pure_callback_abstract_eval(*avals, callback, result_avals, vmap_method):
    return list(result_avals)


pure_callback_p = new_primitive("pure_callback", _pure_callback_impl,
                                _pure_callback_abstract_eval, multiple_results=True)


def _pure_callback_jvp(primals, tangents, *, callback, **params):
    name = getattr(callback, "name", "callback")
    raise FuncadValueError(with_user_line(
        f"pure_callback({name}) cannot be differentiated: a host callback has no derivative "
        "rule. Wrap the function that calls it in funcad.custom_jvp or funcad.custom_vjp "
        "and give its derivative there."))


jvp_rules[pure_callback_p] = _pure_callback_jvp


class SequentialCallback:
    """The host function of a ``pure_callback`` vmapped with ``vmap_method='sequential'``:
    calls the unbatched function once per example (batched operands along axis 0) and
    stacks the results."""

    def __init__(self, callback, result_avals, batched, size: int):
        self.callback, self.result_avals = callback, tuple(result_avals)
        self.batched, self.size = tuple(batched), size
        self.name = getattr(callback, "name", getattr(callback, "__name__", "callback"))

    def __call__(self, *args):
        per_example = [
            call_host(self.callback, self.result_avals,
                      [a[i] if b else a for a, b in zip(args, self.batched)])
            for i in range(self.size)]
        return [np.stack([ex[k] for ex in per_example]) if per_example
                else np.empty((0, *a.shape), a.dtype)
                for k, a in enumerate(self.result_avals)]


def _lead_axis(x, size: int):
    shape = get_aval(x).shape
    return broadcast_in_dim(x, (size, *shape), tuple(range(1, len(shape) + 1)))


def _pure_callback_batch(vals, dims, *, callback, result_avals, vmap_method):
    size = axis_size_of(vals, dims)
    if vmap_method is None:
        raise CallbackVmapError(with_user_line(
            f"vmap of pure_callback({getattr(callback, 'name', 'callback')}) needs a "
            "vmap_method: pass vmap_method='sequential', 'sequential_unrolled', "
            "'expand_dims', 'broadcast_all' or 'legacy_vectorized' to pure_callback"))
    batched = [d is not not_mapped for d in dims]
    moved = [bdim_at(x, d, 0, size) if b else x for x, d, b in zip(vals, dims, batched)]
    out_avals = tuple(ShapedArray((size, *a.shape), a.dtype) for a in result_avals)
    if vmap_method in ("sequential", "sequential_unrolled"):
        callback = SequentialCallback(callback, result_avals, batched, size)
    elif vmap_method in ("expand_dims", "broadcast_all"):
        lead = size if vmap_method == "broadcast_all" else 1
        moved = [x if b else _lead_axis(x, lead) for x, b in zip(moved, batched)]
    outs = pure_callback_p.bind(*moved, callback=callback, result_avals=out_avals,
                                vmap_method=vmap_method)
    return outs, [0] * len(outs)


batch_rules[pure_callback_p] = _pure_callback_batch

__all__ = [
    "VMAP_METHODS",
    "CallbackResultError",
    "CallbackVmapError",
    "SequentialCallback",
    "call_host",
    "checked_results",
    "pure_callback_flat",
    "pure_callback_p",
]
