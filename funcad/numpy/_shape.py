"""Shape manipulation of ``funcad.numpy``: reshaping, permuting, joining, splitting,
repeating and flipping, built from the structural primitives (and ``gather`` for the
data-dependent ones: ``take``, ``repeat`` with per-element counts)."""
from __future__ import annotations

import builtins
import itertools
import math
import operator

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import Tracer
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._core import (
    array_operand,
    aval,
    broadcast_shapes,
    concrete_value,
    joined_operands,
    normalize_axes,
    normalize_axis,
    sequence_items,
    stack_arrays,
)
from funcad.numpy._core import broadcast_to as _broadcast_to
from funcad.numpy._index_plan import uniform_starts
from funcad.numpy._indexing import getitem, take_along_axis_index, take_static
from funcad.numpy._repeat_length import repeat_to_length
from funcad.numpy._ufuncs import negative, remainder
from funcad.ops import _base as base
from funcad.ops import dynamic_slicing as dsl
from funcad.ops import slicing as sl
from funcad.ops import structural as st


def _error(fname: str, msg: str) -> FuncadValueError:
    return FuncadValueError(with_user_line(f"{fname}: {msg}"))


def _no_out(out, fname: str) -> None:
    if out is not None:
        raise _error(fname, "out= is not supported (funcad arrays are immutable)")


def _static_ints(value, fname: str, what: str) -> tuple[int, ...]:
    """A static int or sequence of ints (shapes, axes, counts) as a tuple."""
    where = f"{fname}({what})"
    if not isinstance(value, (list, tuple)):
        value = np.ravel(concrete_value(value, where))
    items = [concrete_value(v, where) for v in value]
    try:
        return tuple(operator.index(v) for v in items)
    except TypeError:
        raise FuncadTypeError(with_user_line(f"{where} must be integers, got {value!r}")) from None


# --- reshaping ----------------------------------------------------------------------------

def _resolve_shape(newshape: tuple[int, ...], size: int, fname: str) -> tuple[int, ...]:
    """Fill in one ``-1`` as NumPy does; check that the sizes agree."""
    unknown = [i for i, d in enumerate(newshape) if d == -1]
    if len(unknown) > 1:
        raise _error(fname, "can only specify one unknown dimension (-1)")
    if any(d < -1 for d in newshape):
        raise _error(fname, f"negative dimensions are not allowed in {newshape}")
    known = math.prod(d for d in newshape if d != -1)
    if unknown:
        if known == 0 or size % known:
            raise _error(fname, f"cannot reshape array of size {size} into shape {newshape}")
        newshape = tuple(size // known if d == -1 else d for d in newshape)
    elif known != size:
        raise _error(fname, f"cannot reshape array of size {size} into shape {newshape}")
    return newshape


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """``numpy.reshape`` (row-major only); one dimension may be ``-1``."""
    if order != "C":
        raise NotImplementedError(
            f"funcad.numpy.reshape: only order='C' is supported, got {order!r}"
        )
    shape = newshape if shape is None else shape
    if shape is None:
        raise _error("reshape", "a target shape is required")
    x = array_operand(a, "reshape")
    new = _resolve_shape(_static_ints(shape, "reshape", "shape"), aval(x).size, "reshape")
    return base.reshape(x, new)


def ravel(a, order="C"):
    x = array_operand(a, "ravel")
    return reshape(x, (aval(x).size,), order=order)


def transpose(a, axes=None):
    """Permute the axes (reversed by default)."""
    x = array_operand(a, "transpose")
    ndim = aval(x).ndim
    if axes is None:
        return base.transpose(x, tuple(reversed(range(ndim))))
    axes = _static_ints(axes, "transpose", "axes")
    if len(axes) != ndim:
        raise _error("transpose", f"axes {axes} don't match an array of shape {aval(x).shape}")
    perm = tuple(normalize_axis(a, ndim, "transpose") for a in axes)
    if len(set(perm)) != ndim:
        raise _error("transpose", f"repeated axis in {axes}")
    return base.transpose(x, perm)


def permute_dims(a, axes=None):
    return transpose(a, axes)


def swapaxes(a, axis1, axis2):
    x = array_operand(a, "swapaxes")
    ndim = aval(x).ndim
    i, j = normalize_axis(axis1, ndim, "swapaxes"), normalize_axis(axis2, ndim, "swapaxes")
    perm = list(range(ndim))
    perm[i], perm[j] = j, i
    return base.transpose(x, perm)


def moveaxis(a, source, destination):
    x = array_operand(a, "moveaxis")
    ndim = aval(x).ndim
    src = [normalize_axis(s, ndim, "moveaxis") for s in _static_ints(source, "moveaxis", "source")]
    dst = [normalize_axis(d, ndim, "moveaxis")
           for d in _static_ints(destination, "moveaxis", "destination")]
    if len(src) != len(dst):
        raise _error("moveaxis", "`source` and `destination` must have the same number of elements")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise _error("moveaxis", f"repeated axis in source {src} or destination {dst}")
    order = [n for n in range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return base.transpose(x, order)


def expand_dims(a, axis):
    """Insert size-1 axes at ``axis`` (an int or a tuple) of the result."""
    x = array_operand(a, "expand_dims")
    axis = _static_ints(axis, "expand_dims", "axis")
    axes = normalize_axes(axis, aval(x).ndim + len(axis), "expand_dims")
    return st.expand_dims(x, axes)


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or those named; naming another is an error)."""
    x = array_operand(a, "squeeze")
    shape = aval(x).shape
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = normalize_axes(_static_ints(axis, "squeeze", "axis"), len(shape), "squeeze")
        bad = [i for i in axes if shape[i] != 1]
        if bad:
            raise _error(
                "squeeze",
                f"cannot select an axis to squeeze out which has size not equal to one "
                f"(axis {bad[0]} of an array of shape {shape})",
            )
    return st.squeeze(x, axes)


def broadcast_to(array, shape, subok=False):
    x = array_operand(array, "broadcast_to")
    shape = _static_ints(shape, "broadcast_to", "shape")
    xshape = aval(x).shape
    try:
        ok = np.broadcast_shapes(xshape, shape) == shape
    except ValueError:
        ok = False
    if not ok or any(d < 0 for d in shape):
        raise _error("broadcast_to", f"cannot broadcast an array of shape {xshape} to {shape}")
    return _broadcast_to(x, shape)


def broadcast_arrays(*args, subok=False):
    xs = [array_operand(a, "broadcast_arrays") for a in args]
    shape = broadcast_shapes("broadcast_arrays", *(aval(x).shape for x in xs))
    return tuple(_broadcast_to(x, shape) for x in xs)


def atleast_1d(*arys):
    out = [_atleast(a, 1) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*arys):
    out = [_atleast(a, 2) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_3d(*arys):
    out = [_atleast(a, 3) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


def _atleast(a, n: int):
    """NumPy's padding rules: 1-d -> (1, k) in 2-d and (1, k, 1) in 3-d; 2-d -> (m, k, 1)."""
    x = array_operand(a, f"atleast_{n}d")
    shape = aval(x).shape
    if len(shape) >= n:
        return x
    if not shape:
        new = (1,) * n
    elif n == 2:
        new = (1,) + shape
    elif len(shape) == 1:
        new = (1,) + shape + (1,)
    else:
        new = shape + (1,)
    return base.reshape(x, new)


# --- joining and splitting ----------------------------------------------------------------

def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join arrays along an existing axis (``axis=None`` flattens them first)."""
    _no_out(out, "concatenate")
    xs = joined_operands(arrays, dtype, "concatenate")
    if axis is None:
        xs, axis = [ravel(x) for x in xs], 0
    ndims = {aval(x).ndim for x in xs}
    if 0 in ndims:
        raise _error("concatenate", "zero-dimensional arrays cannot be concatenated")
    shapes = [aval(x).shape for x in xs]
    if len(ndims) > 1:
        raise _error("concatenate", f"all input arrays must have the same rank, got {shapes}")
    axis = normalize_axis(axis, ndims.pop(), "concatenate")
    if len({s[:axis] + s[axis + 1:] for s in shapes}) > 1:
        raise _error(
            "concatenate", f"input shapes {shapes} must match except along axis {axis}"
        )
    return sl.concatenate(xs, axis)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join arrays of one shape along a new axis."""
    _no_out(out, "stack")
    return stack_arrays(arrays, axis, dtype)


def hstack(tup, *, dtype=None, casting="same_kind"):
    xs = [_atleast(x, 1) for x in sequence_items(tup, "hstack")]
    axis = 0 if xs and aval(xs[0]).ndim == 1 else 1
    return concatenate(xs, axis, dtype=dtype)


def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate([_atleast(x, 2) for x in sequence_items(tup, "vstack")], 0, dtype=dtype)


row_stack = vstack


def dstack(tup):
    return concatenate([_atleast(x, 3) for x in sequence_items(tup, "dstack")], 2)


def column_stack(tup):
    """1-d inputs become columns; 2-d inputs are joined as they are."""
    xs = []
    for x in sequence_items(tup, "column_stack"):
        x = array_operand(x, "column_stack")
        if aval(x).ndim < 2:
            x = base.reshape(x, (aval(x).size, 1))
        xs.append(x)
    return concatenate(xs, 1)


def slice_axis(x, axis: int, start: int, stop: int):
    """``x[..., start:stop, ...]`` on one axis with Python's slice clipping, statically."""
    shape = aval(x).shape
    lo, hi, _ = builtins.slice(start, stop).indices(shape[axis])
    hi = max(hi, lo)
    starts = [0] * len(shape)
    limits = list(shape)
    starts[axis], limits[axis] = lo, hi
    return sl.slice(x, starts, limits)


def array_split(ary, indices_or_sections, axis=0):
    """Split into pieces; ``n`` sections may be unequal (the first ones one longer)."""
    return _split(ary, indices_or_sections, axis, "array_split", equal=False)


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections (an error if they cannot be), or at the given indices."""
    return _split(ary, indices_or_sections, axis, "split", equal=True)


def _split(ary, indices_or_sections, axis, fname: str, *, equal: bool) -> list:
    x = array_operand(ary, fname)
    axis = normalize_axis(axis, aval(x).ndim, fname)
    n = aval(x).shape[axis]
    spec = concrete_value(indices_or_sections, f"{fname}(indices_or_sections)")
    if np.ndim(spec) == 0:
        sections = int(spec)
        if sections <= 0:
            raise _error(fname, "number of sections must be larger than 0")
        if equal and n % sections:
            raise _error(
                fname, f"array split does not result in an equal division ({n} into {sections})"
            )
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0, *(int(i) for i in _static_ints(spec, fname, "indices")), n]
    return [slice_axis(x, axis, lo, hi) for lo, hi in itertools.pairwise(bounds)]


# --- repeating, flipping, rolling ---------------------------------------------------------

def tile(A, reps):
    """Repeat the whole array ``reps`` times along each axis (one broadcast and a reshape)."""
    x = array_operand(A, "tile")
    reps = _static_ints(reps, "tile", "reps")
    if any(r < 0 for r in reps):
        raise _error("tile", f"negative repetitions {reps}")
    shape = aval(x).shape
    d = max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + shape
    reps = (1,) * (d - len(reps)) + reps
    x = base.reshape(x, shape)
    if all(r == 1 for r in reps):
        return x
    wide = [v for pair in zip(reps, shape) for v in pair]
    x = base.broadcast_in_dim(x, wide, tuple(range(1, 2 * d, 2)))
    return base.reshape(x, [r * s for r, s in zip(reps, shape)])


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element; ``repeats`` is a static count or a concrete array of counts, or,
    with a static ``total_repeat_length`` (JAX's option), traced counts."""
    x = array_operand(a, "repeat")
    if total_repeat_length is not None:
        return repeat_to_length(x, repeats, axis, total_repeat_length)
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis(axis, aval(x).ndim, "repeat")
    counts = np.asarray(concrete_value(repeats, "repeat(repeats)"))
    if not (counts.dtype == np.bool_ or dtypes.is_integer(counts.dtype)):
        raise _error("repeat", f"repeats must be integers, got {counts.dtype}")
    if (counts < 0).any():
        raise _error("repeat", "repeats may not contain negative values")
    shape = aval(x).shape
    if counts.size == 1 and counts.ndim <= 1:
        r = int(counts.reshape(()))
        wide = shape[: axis + 1] + (r,) + shape[axis + 1:]
        dims = [i for i in range(len(shape) + 1) if i != axis + 1]
        out = base.broadcast_in_dim(x, wide, dims)
        return base.reshape(out, shape[:axis] + (shape[axis] * r,) + shape[axis + 1:])
    if counts.ndim != 1 or counts.shape[0] != shape[axis]:
        raise _error(
            "repeat", f"repeats of shape {counts.shape} do not match axis {axis} of {shape}"
        )
    return take_static(x, np.repeat(np.arange(shape[axis]), counts), axis)


def flip(m, axis=None):
    x = array_operand(m, "flip")
    return st.rev(x, normalize_axes(axis, aval(x).ndim, "flip"))


def fliplr(m):
    x = array_operand(m, "fliplr")
    if aval(x).ndim < 2:
        raise _error("fliplr", f"input must be >= 2-d, got shape {aval(x).shape}")
    return st.rev(x, (1,))


def flipud(m):
    x = array_operand(m, "flipud")
    if aval(x).ndim < 1:
        raise _error("flipud", "input must be >= 1-d")
    return st.rev(x, (0,))


def roll(a, shift, axis=None):
    """Roll elements along axes; a traced shift rolls through a doubled array and a
    ``dynamic_slice``."""
    x = array_operand(a, "roll")
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), aval(x).shape)
    ndim = aval(x).ndim
    axes = [normalize_axis(ax, ndim, "roll") for ax in _static_ints(axis, "roll", "axis")]
    if isinstance(shift, Tracer) and shift.to_concrete() is None:
        return _roll_traced(x, shift, axes)
    shifts = _static_ints(shift, "roll", "shift")
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    elif len(axes) == 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise _error("roll", f"shift {shifts} and axis {axes} do not broadcast")
    total = dict.fromkeys(range(ndim), 0)
    for s, ax in zip(shifts, axes):
        total[ax] += s
    for ax, s in total.items():
        n = aval(x).shape[ax]
        if n and s % n:
            k = n - s % n
            x = sl.concatenate([slice_axis(x, ax, k, n), slice_axis(x, ax, 0, k)], ax)
    return x


def _roll_traced(x, shift, axes):
    sa = aval(shift)
    if not dtypes.is_integer(sa.dtype) or sa.ndim > 1:
        raise _error("roll", f"shift must be an integer scalar or vector, got {sa.str_short()}")
    shifts = [shift] * len(axes) if sa.ndim == 0 else [getitem(shift, i) for i in range(sa.size)]
    if len(shifts) != len(axes):
        raise _error("roll", f"{len(shifts)} shifts for {len(axes)} axes")
    for s, ax in zip(shifts, axes):
        shape = aval(x).shape
        if shape[ax] == 0:
            continue
        doubled = sl.concatenate([x, x], ax)
        starts = [0] * len(shape)
        starts[ax] = remainder(negative(s), shape[ax])
        x = dsl.dynamic_slice(doubled, uniform_starts(starts), shape)
    return x


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """``numpy.take``: ``mode`` 'raise' (out of bounds is an IndexError for concrete
    indices; traced ones are clamped), 'clip' or 'wrap'; JAX's 'fill' reads ``fill_value``
    (default NaN, the most negative or largest integer, True) out of bounds. ``mode=None``
    is JAX's default, 'fill', for traced indices (and with a ``fill_value``); concrete
    out-of-bounds indices are an IndexError, as in NumPy, rather than a silent fill.
    ``unique_indices``/``indices_are_sorted`` are JAX's hints; the result does not depend
    on them."""
    _no_out(out, "take")
    x = array_operand(a, "take")
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis(axis, aval(x).ndim, "take")
    if mode not in (None, "raise", "clip", "wrap", "fill"):
        raise _error(
            "take", f"mode must be None, 'raise', 'clip', 'wrap' or 'fill', got {mode!r}")
    idx = array_operand(indices, "take")
    if mode == "fill" or (mode is None and (fill_value is not None
                                            or isinstance(idx, Tracer))):
        dt = aval(idx).dtype
        if not dtypes.is_integer(dt):
            raise FuncadTypeError(with_user_line(
                f"take: indices must be integers, got {aval(idx).str_short()}"))
        return getitem(x, (slice(None),) * axis + (idx,), "fill", fill_value)
    return take_along_axis_index(x, idx, axis, mode)


# --- static facts -------------------------------------------------------------------------

def shape(a) -> tuple[int, ...]:
    return aval(array_operand(a, "shape")).shape


def ndim(a) -> int:
    return aval(array_operand(a, "ndim")).ndim


def size(a, axis=None) -> int:
    s = aval(array_operand(a, "size")).shape
    if axis is None:
        return math.prod(s)
    return s[normalize_axis(axis, len(s), "size")]


__all__ = [
    "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays",
    "broadcast_to", "column_stack", "concatenate", "dstack", "expand_dims", "flip", "fliplr",
    "flipud", "hstack", "moveaxis", "ndim", "permute_dims", "ravel", "repeat", "reshape",
    "roll", "row_stack", "shape", "size", "split", "squeeze", "stack", "swapaxes", "take",
    "tile", "transpose", "vstack",
]
