"""``numpy.pad`` in every mode, one axis at a time.

``edge reflect symmetric wrap`` are gathers at source indices that NumPy itself computes
(``numpy.pad`` of ``arange(n)`` in the same mode), so they agree with NumPy by construction
and differentiate as gathers. ``constant empty linear_ramp maximum minimum mean median``
join computed blocks to the array with ``concatenate``.

A callable mode gets NumPy's ``padding_func(vector, iaxis_pad_width, iaxis, kwargs)`` on
every 1-D row of the zero-padded array, axis after axis. Concrete arrays go through NumPy's
protocol (the function assigns into a writable row) and JAX's (the function returns the
row); traced ones through JAX's only, the function mapped over the rows with ``vmap``.
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import Tracer
from funcad.errors import (
    FuncadTypeError,
    FuncadValueError,
    TracerItemAssignmentError,
    with_user_line,
)
from funcad.numpy import _products as pr
from funcad.numpy import _reductions as rd
from funcad.numpy import _shape as sh
from funcad.numpy import _ufuncs as uf
from funcad.numpy._at import EagerArray
from funcad.numpy._core import aval, cast, operand
from funcad.numpy._indexing import getitem
from funcad.numpy._sorting import median
from funcad.tree_util import tree_leaves
from funcad.vmap import vmap

_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")
_STAT_MODES = {"maximum": rd.max, "minimum": rd.min, "mean": rd.mean, "median": median}


def _pairs(value, nd: int, name: str, cast_int: bool = True):
    """NumPy's per-axis ``(before, after)`` broadcasting of ``pad_width`` and friends."""
    arr = np.asarray(value, dtype=object if not cast_int else None)
    try:
        pairs = np.broadcast_to(arr, (nd, 2))
    except ValueError:
        raise FuncadValueError(with_user_line(
            f"pad: {name} {value!r} cannot be broadcast to ({nd}, 2)")) from None
    if cast_int:
        if not np.issubdtype(pairs.dtype, np.integer):
            if not np.all(np.equal(np.mod(pairs, 1), 0)):
                raise FuncadValueError(with_user_line(f"pad: {name} must be integers"))
        pairs = pairs.astype(np.int64)
        if (pairs < 0).any():
            raise FuncadValueError(with_user_line(f"pad: {name} cannot be negative"))
    return [tuple(p) for p in pairs.tolist()]


def _block(x, axis: int, size: int, fill):
    """A block of ``size`` along ``axis`` (the other axes as ``x``) filled with ``fill``
    (a scalar or a value broadcast along ``axis``)."""
    shape = list(aval(x).shape)
    shape[axis] = size
    return sh.broadcast_to(cast(fill, aval(x).dtype), tuple(shape))


def _edge(x, axis: int, start: int, size: int):
    idx = [slice(None)] * aval(x).ndim
    idx[axis] = slice(start, start + size) if start >= 0 else slice(start, start + size or None)
    return getitem(x, tuple(idx))


def _pad_axis(x, axis, before, after, mode, opts):
    n = aval(x).shape[axis]
    if before == 0 and after == 0:
        return x
    if mode in _GATHER_MODES:
        if n == 0:
            raise FuncadValueError(with_user_line(
                f"pad: can't extend an empty axis {axis} using modes other than 'constant' "
                "or 'empty'"))
        kw = {"reflect_type": opts["reflect_type"]} if mode in ("reflect", "symmetric") else {}
        src = np.pad(np.arange(n), (before, after), mode=mode, **kw)
        if opts.get("reflect_type") == "odd" and mode in ("reflect", "symmetric"):
            return _odd_reflection(x, axis, before, after, mode)
        return getitem(x, (slice(None),) * axis + (src,))
    parts = []
    if mode in ("constant", "empty"):
        lo, hi = opts["constant_values"][axis] if mode == "constant" else (0, 0)
        parts = [_block(x, axis, before, lo), x, _block(x, axis, after, hi)]
    elif mode == "linear_ramp":
        lo, hi = opts["end_values"][axis]
        parts = [_ramp(x, axis, before, lo, first=True), x,
                 _ramp(x, axis, after, hi, first=False)]
    else:
        lo_len, hi_len = opts["stat_length"][axis] if opts["stat_length"] else (n, n)
        lo_len, hi_len = min(lo_len or n, n), min(hi_len or n, n)
        if n == 0 or lo_len == 0 or hi_len == 0:
            raise FuncadValueError(with_user_line(
                f"pad: stat_length of 0 or an empty axis {axis} is not allowed in mode "
                f"{mode!r}"))
        stat = _statistic(mode)
        lo = stat(_edge(x, axis, 0, lo_len), axis)
        hi = stat(_edge(x, axis, n - hi_len, hi_len), axis)
        if dtypes.is_integer(aval(x).dtype) and mode in ("mean", "median"):
            lo, hi = uf.round(lo), uf.round(hi)
        parts = [_block(x, axis, before, lo), x, _block(x, axis, after, hi)]
    return sh.concatenate([p for p in parts if aval(p).shape[axis]], axis)


def _statistic(mode: str):
    fn = _STAT_MODES[mode]
    return lambda v, axis: fn(v, axis=axis, keepdims=True)


def _ramp(x, axis, size, end, first):
    """``size`` values going linearly from ``end`` to the edge value (exclusive)."""
    if size == 0:
        return _block(x, axis, 0, 0)
    n = aval(x).shape[axis]
    edge = _edge(x, axis, 0 if first else n - 1, 1)
    dt = aval(x).dtype
    steps = np.arange(size, dtype=np.float64)  # as numpy.linspace: end + i * step
    if not first:
        steps = steps[::-1]
    shape = [1] * aval(x).ndim
    shape[axis] = size
    work = dt if dtypes.is_inexact(dt) else np.dtype(np.float64)
    e, v = cast(edge, work), cast(end, work)
    ramp = v + cast(steps.reshape(shape), work) * ((e - v) / size)
    return cast(ramp if dtypes.is_inexact(dt) else uf.floor(ramp), dt)


def _odd_reflection(x, axis, before, after, mode):
    """``reflect_type='odd'``: ``2 * edge - even reflection`` on each side; pads wider than
    one reflection apply NumPy's own linear map (``numpy.pad`` of the identity, integer
    coefficients) along the axis."""
    n = aval(x).shape[axis]
    if max(before, after) >= n - 1:
        m = np.pad(np.eye(n), ((before, after), (0, 0)), mode=mode, reflect_type="odd")
        out = pr.tensordot(cast(m, aval(x).dtype), x, axes=([1], [axis]))
        return sh.moveaxis(out, 0, axis)
    even = np.pad(np.arange(n), (before, after), mode=mode)
    edge = np.pad(np.arange(n), (before, after), mode="edge")
    take = (slice(None),) * axis
    ev, ed = getitem(x, take + (even,)), getitem(x, take + (edge,))
    keep = np.zeros(len(even), bool)
    keep[before:before + n] = True
    shape = [1] * aval(x).ndim
    shape[axis] = len(even)
    return uf.where(keep.reshape(shape), ev, 2 * ed - ev)


def pad(array, pad_width, mode="constant", **kwargs):
    """``numpy.pad`` in every mode, including a callable one (see the module's notes)."""
    x = operand(array, "pad")
    x = np.asarray(x) if dtypes.is_python_scalar(x) else x
    nd = aval(x).ndim
    if callable(mode):
        return _pad_callable(x, _pairs(pad_width, nd, "pad_width"), mode, kwargs)
    allowed = {"constant": ("constant_values",), "edge": (), "wrap": (), "empty": (),
               "linear_ramp": ("end_values",), "reflect": ("reflect_type",),
               "symmetric": ("reflect_type",), "maximum": ("stat_length",),
               "minimum": ("stat_length",), "mean": ("stat_length",),
               "median": ("stat_length",)}
    if mode not in allowed:
        raise FuncadValueError(with_user_line(f"pad: mode {mode!r} is not supported"))
    bad = set(kwargs) - set(allowed[mode])
    if bad:
        raise FuncadValueError(with_user_line(
            f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(bad)}"))
    widths = _pairs(pad_width, nd, "pad_width")
    opts = {"reflect_type": kwargs.get("reflect_type", "even"), "stat_length": None}
    if mode == "constant":
        opts["constant_values"] = _value_pairs(kwargs.get("constant_values", 0), nd)
    if mode == "linear_ramp":
        opts["end_values"] = _value_pairs(kwargs.get("end_values", 0), nd)
    if kwargs.get("stat_length") is not None:
        opts["stat_length"] = _pairs(kwargs["stat_length"], nd, "stat_length")
    if opts["reflect_type"] not in ("even", "odd"):
        raise FuncadValueError(with_user_line("pad: reflect_type must be 'even' or 'odd'"))
    for axis, (before, after) in enumerate(widths):
        x = _pad_axis(x, axis, before, after, mode, opts)
    return x


def _pad_callable(x, widths, func, kwargs):
    """Zero padding, then ``func`` on every row along each axis in turn (so later axes see
    the rows earlier ones filled, as in NumPy and JAX)."""
    padded = pad(x, widths, "constant")
    if not isinstance(padded, Tracer) and not any(
            isinstance(leaf, Tracer) for leaf in tree_leaves(kwargs)):
        out = _pad_rows_eagerly(np.array(padded), widths, func, kwargs)
        if out is not None:
            return out
    for axis in range(aval(padded).ndim):
        padded = _map_rows(padded, axis, widths[axis], func, kwargs)
    return padded


def _pad_rows_eagerly(out, widths, func, kwargs):
    """``func`` on writable rows of ``out`` (EagerArray views, so JAX-style functions can
    use ``.at``); None if a row came back traced (the function closes over a traced
    value), for the traced path to take over."""
    for axis in range(out.ndim):
        view = np.moveaxis(out, axis, -1)
        for ind in np.ndindex(view.shape[:-1]):
            row = func(view[ind].view(EagerArray), widths[axis], axis, kwargs)
            if isinstance(row, Tracer):
                return None
            if row is not None:
                view[ind] = _checked_row(row, view.shape[-1], axis)
    return out


def _map_rows(x, axis, width, func, kwargs):
    moved = sh.moveaxis(x, axis, -1)
    shape = aval(moved).shape
    rows = sh.reshape(moved, (int(np.prod(shape[:-1], dtype=np.int64)), shape[-1]))

    def one_row(row):
        try:
            out = func(row, width, axis, kwargs)
        except TracerItemAssignmentError as err:
            raise _in_place_error() from err
        if out is None:
            raise _in_place_error()
        return cast(_checked_row(out, shape[-1], axis), aval(x).dtype)

    out = vmap(one_row)(rows)
    return sh.moveaxis(sh.reshape(out, shape), -1, axis)


def _checked_row(row, n: int, axis: int):
    if aval(operand(row, "pad")).shape != (n,):
        raise FuncadValueError(with_user_line(
            f"pad: the padding function returned shape {aval(operand(row, 'pad')).shape} for "
            f"a row of length {n} along axis {axis}; it must return the whole row"))
    return row


def _in_place_error():
    return FuncadTypeError(with_user_line(
        "pad: on traced values a callable mode must return the padded row (JAX's "
        "protocol), e.g. built with vector.at[:n].set(value); traced rows are immutable, so "
        "NumPy's protocol of assigning into the vector in place works on concrete arrays "
        "only"))


def _value_pairs(values, nd: int):
    """Per-axis ``(before, after)`` fill values; traced scalars allowed."""
    if isinstance(values, (int, float, complex, np.number)) or (
            hasattr(values, "shape") and aval(operand(values, "pad")).ndim == 0):
        return [(values, values)] * nd
    return _pairs(values, nd, "values", cast_int=False)


__all__ = ["pad"]
