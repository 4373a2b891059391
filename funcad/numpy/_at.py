"""JAX's functional index updates ``x.at[idx].<method>(...)`` on traced values and on eager
arrays, and ``EagerArray``, the thin ``numpy.ndarray`` subclass that gives eager results an
``.at``.

Methods: ``set add subtract multiply (mul) divide power min max apply get``, each with JAX's
keywords (``mode``, ``indices_are_sorted``, ``unique_indices``; ``fill_value`` for ``get``).
Duplicate indices accumulate (``set``: the last write wins). Out-of-bounds integer indices
follow JAX rather than NumPy: negative indices count from the end, then ``get`` clamps the
rest (``mode=None``, ``"clip"``, ``"promise_in_bounds"``) or returns ``fill_value`` for them
(``"fill"``, ``"drop"``), and updates drop them (every mode but ``"clip"``, which clamps).

Dropping and filling use one extra slot appended to each axis an integer index addresses:
an out-of-bounds index is sent to that slot, which holds the fill value (``get``) or is
sliced off after the update. Concrete in-bounds indices never pay for the slot.
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import Tracer
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._core import aval, cast, operand
from funcad.numpy._index_plan import concrete_index
from funcad.numpy._indexing import getitem, update
from funcad.numpy._ufuncs import (
    clip,
    greater_equal,
    less,
    logical_or,
    negative,
    power,
    true_divide,
    where,
)
from funcad.ops import _base as base
from funcad.ops import slicing as sl

_MODES = (None, "clip", "drop", "fill", "promise_in_bounds")


class EagerArray(np.ndarray):
    """An eagerly computed ``funcad.numpy`` result: a NumPy array that also has JAX's
    ``.at[...]``. NumPy treats it as any ndarray; transforms return plain ndarrays."""

    @property
    def at(self) -> IndexUpdateHelper:
        return IndexUpdateHelper(self)

    def __repr__(self):
        return repr(self.view(np.ndarray))

    def view_plain(self) -> np.ndarray:
        return self.view(np.ndarray)


def eager_result(out):
    """``out`` as an ``EagerArray`` when it is a plain ndarray (else unchanged)."""
    return out.view(EagerArray) if type(out) is np.ndarray else out


# --- resolving an index under a mode ------------------------------------------------------

def _is_integer_index(item) -> bool:
    if isinstance(item, (bool, np.bool_)):
        return False
    if isinstance(item, (int, np.integer)):
        return True
    if isinstance(item, (Tracer, np.ndarray)):
        return dtypes.is_integer(aval(item).dtype)
    return False


def _consumed(item) -> int | None:
    """Axes ``item`` consumes (``None`` for Ellipsis)."""
    if item is None or isinstance(item, (bool, np.bool_)):
        return 0
    if item is Ellipsis:
        return None
    if isinstance(item, (Tracer, np.ndarray)) and aval(item).dtype == np.bool_:
        return aval(item).ndim
    return 1


def _items(idx) -> list:
    items = list(idx) if isinstance(idx, tuple) else [idx]
    return [operand(i, "at[]") if isinstance(i, list) else i for i in items]


def _in_range(item, n: int, clamp: bool):
    """``(index, needs_slot)``: ``item`` for an axis of size ``n`` made non-negative and
    then clamped, or with out-of-bounds entries sent to the extra slot ``n``."""
    value = concrete_index(item)
    if value is not None:
        v = np.asarray(value).astype(np.int64)
        v = np.where(v < 0, v + n, v)
        if clamp:
            return np.clip(v, 0, max(n - 1, 0)), False
        bad = (v < 0) | (v >= n)
        return (np.where(bad, n, v), True) if bad.any() else (v, False)
    t = item
    if np.iinfo(aval(t).dtype).max <= n:
        t = cast(t, np.int64)
    if not dtypes.is_unsigned(aval(t).dtype):
        t = where(less(t, 0), t + n, t)
    if clamp:
        return clip(t, 0, max(n - 1, 0)), False
    return where(logical_or(less(t, 0), greater_equal(t, n)), n, t), True


def resolve(shape: tuple[int, ...], idx, clamp: bool) -> tuple[tuple, list[int]]:
    """``idx`` with every integer index in range, and the axes that need the extra slot."""
    items = _items(idx)
    counts = [_consumed(i) for i in items]
    known = sum(c for c in counts if c is not None)
    axis, out, slots = 0, [], []
    for item, c in zip(items, counts):
        if c is None:
            c = len(shape) - known
        elif c == 1 and _is_integer_index(item) and axis < len(shape):
            item, slot = _in_range(item, shape[axis], clamp)
            if slot:
                slots.append(axis)
        out.append(item)
        axis += c
    return tuple(out), slots


def _with_slots(x, slots: list[int], fill):
    """``x`` with one element of value ``fill`` appended to each axis in ``slots``."""
    config = [(0, 1 if a in slots else 0, 0) for a in range(aval(x).ndim)]
    return sl.pad(x, np.asarray(fill, aval(x).dtype), config)


def _without_slots(x, shape: tuple[int, ...]):
    return sl.slice(x, [0] * len(shape), list(shape))


def default_fill(dtype: np.dtype):
    """JAX's fill value of out-of-bounds reads: NaN, the most negative (signed), the
    largest (unsigned) integer, True."""
    dtype = np.dtype(dtype)
    if dtypes.is_inexact(dtype):
        return np.nan
    if dtype == np.bool_:
        return True
    return np.iinfo(dtype).min if dtype.kind == "i" else np.iinfo(dtype).max


# --- the operations -----------------------------------------------------------------------

def _check(method: str, mode, kwargs: dict) -> None:
    kwargs.pop("indices_are_sorted", None)
    kwargs.pop("unique_indices", None)
    if mode not in _MODES:
        raise FuncadValueError(with_user_line(
            f"at[].{method}: mode={mode!r} is not one of {', '.join(map(repr, _MODES))}"
        ))
    if kwargs:
        raise FuncadTypeError(with_user_line(
            f"at[].{method}: unexpected keyword arguments {sorted(kwargs)}"
        ))


def at_get(x, idx, mode=None, fill_value=None):
    """``x[idx]`` with JAX's out-of-bounds rule for ``mode``."""
    shape = aval(x).shape
    index, slots = resolve(shape, idx, clamp=mode not in ("fill", "drop"))
    if slots:
        fill = default_fill(aval(x).dtype) if fill_value is None else fill_value
        x = _with_slots(x, slots, fill)
    return getitem(x, index)


def at_update(x, idx, values, op: str, mode=None):
    """``x`` with ``x[idx]`` combined with ``values`` by ``op`` (set add multiply min max)."""
    x = operand(x, f"at[].{op}")
    shape = aval(x).shape
    index, slots = resolve(shape, idx, clamp=mode == "clip")
    if not slots:
        return update(x, index, values, op)
    out = update(_with_slots(x, slots, 0), index, values, op)
    return _without_slots(out, shape)


def _ones_like(x):
    a = aval(x)
    return base.broadcast_in_dim(np.ones((), a.dtype), a.shape, ())


def at_apply(x, idx, func, mode=None):
    """``func`` applied at ``idx``, once per occurrence of a position (as JAX's
    ``scatter_apply``): ``func`` must act elementwise."""
    x = operand(x, "at[].apply")
    shape = aval(x).shape
    index, slots = resolve(shape, idx, clamp=mode == "clip")
    xs = _with_slots(x, slots, 0) if slots else x
    picked = getitem(xs, index)
    counts, rounds = _occurrences(aval(xs).shape, index)
    result = func(picked)
    for r in range(2, rounds + 1):
        result = where(counts >= r, func(result), result)
    out = update(xs, index, result, "set")
    return _without_slots(out, shape) if slots else out


def _occurrences(shape: tuple[int, ...], index) -> tuple:
    """How often each picked position is picked (in the layout of ``x[index]``), and the
    most times any position can be picked."""
    if all(concrete_index(i) is not None for i in index if isinstance(i, Tracer)):
        np_index = tuple(concrete_index(i) if isinstance(i, Tracer) else i for i in index)
        counts = np.zeros(shape, np.int64)
        np.add.at(counts, np_index, 1)
        picked = counts[np_index]
        return picked, int(picked.max(initial=1))
    zeros = np.zeros(shape, np.int32)
    picked = getitem(update(zeros, index, np.int32(1), "add"), index)
    arrays = [aval(i).shape for i in index if isinstance(i, (Tracer, np.ndarray))]
    return picked, max(1, math.prod(np.broadcast_shapes(*arrays)) if arrays else 1)


class _IndexUpdateRef:
    """``x.at[idx]``: every method returns a new array; ``x`` is never modified."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, mode=None, fill_value=None, **kwargs):
        _check("get", mode, kwargs)
        return eager_result(at_get(self.array, self.index, mode, fill_value))

    def _update(self, values, op: str, mode, kwargs: dict):
        _check(op, mode, kwargs)
        return eager_result(at_update(self.array, self.index, values, op, mode))

    def set(self, values, *, mode=None, **kwargs):
        return self._update(values, "set", mode, kwargs)

    def add(self, values, *, mode=None, **kwargs):
        return self._update(values, "add", mode, kwargs)

    def subtract(self, values, *, mode=None, **kwargs):
        return self._update(negative(values), "add", mode, kwargs)

    def multiply(self, values, *, mode=None, **kwargs):
        return self._update(values, "multiply", mode, kwargs)

    mul = multiply

    def divide(self, values, *, mode=None, **kwargs):
        _check("divide", mode, kwargs)
        scale = at_update(_ones_like(self.array), self.index, values, "multiply", mode)
        return eager_result(true_divide(self.array, scale))

    def power(self, values, *, mode=None, **kwargs):
        _check("power", mode, kwargs)
        exponent = at_update(_ones_like(self.array), self.index, values, "multiply", mode)
        return eager_result(power(self.array, exponent))

    def min(self, values, *, mode=None, **kwargs):
        return self._update(values, "min", mode, kwargs)

    def max(self, values, *, mode=None, **kwargs):
        return self._update(values, "max", mode, kwargs)

    def apply(self, func, *, mode=None, **kwargs):
        _check("apply", mode, kwargs)
        return eager_result(at_apply(self.array, self.index, func, mode))


class IndexUpdateHelper:
    """``x.at``: index it to get an object with JAX's update methods."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"IndexUpdateHelper({self.array!r})"


__all__: list[str] = []
