"""Parsing NumPy index expressions into an ``IndexPlan`` shared by ``x[idx]`` and
``x.at[idx]``: Ellipsis expanded, slices resolved against the axis sizes, boolean masks
turned into integer arrays (concrete only), concrete indices made non-negative and
bounds-checked (NumPy's ``x[idx]``) or clamped or kept out of bounds (JAX's modes), traced
indices made non-negative with a ``select`` (the primitives clamp, fill or drop the rest)."""
from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import Tracer
from funcad.errors import ConcretizationError, FuncadValueError, with_user_line
from funcad.numpy._core import aval, cast, operand
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import logical as lg

_VALID = (
    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or "
    "boolean arrays are valid indices"
)


@dataclass(frozen=True)
class Slice:
    """``size`` elements of one axis, from ``start`` by ``step`` (which may be negative)."""

    start: int
    size: int
    step: int


@dataclass(frozen=True)
class Int:
    """One element of an axis: a non-negative Python int, or a traced integer scalar."""

    value: Any


@dataclass(frozen=True, eq=False)
class Array:
    """An integer-array index of one axis: a non-negative ``np.ndarray`` or a tracer."""

    value: Any


class NewAxis:
    """``None``: a new axis of size 1."""


class EllipsisMark:
    """Where ``...`` stood: it consumes its axes as full slices but also separates
    advanced indices (NumPy then moves their dimensions to the front)."""


@dataclass
class IndexPlan:
    """``entries`` in index order; Slice/Int/Array consume one axis of the operand (after
    size-1 axes were inserted at ``bool_axes`` for scalar boolean indices)."""

    entries: list
    shape: tuple[int, ...]
    bool_axes: tuple[int, ...]

    @property
    def advanced(self) -> bool:
        return any(type(e) is Array for e in self.entries)

    @property
    def consuming(self) -> list:
        return [e for e in self.entries if type(e) in (Slice, Int, Array)]


def index_error(msg: str) -> IndexError:
    return IndexError(with_user_line(msg))


def concrete_index(x):
    """The concrete value of an index (a tracer's, if its trace knows it), else ``None``."""
    while isinstance(x, Tracer):
        x = x.to_concrete()
        if x is None:
            return None
    return x


def _classify(item):
    """``(kind, value)``; kind is none, ellipsis, slice, int, array or bool."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, builtins.slice):
        return "slice", item
    if isinstance(item, (bool, np.bool_)):
        return "bool", np.asarray(item)
    if isinstance(item, (int, np.integer)):
        return "int", int(item)
    if isinstance(item, (list, tuple)):
        item = operand(item, "indexing")
    if isinstance(item, Tracer):
        value = concrete_index(item)
        if value is None:
            return _classify_traced(item)
        item = value
    arr = np.asarray(item)
    if arr.dtype == np.bool_:
        return "bool", arr
    if not dtypes.is_integer(arr.dtype):
        if arr.size:
            raise index_error(f"{_VALID}; got an array of dtype {arr.dtype}")
        arr = arr.astype(np.intp)  # ``x[[]]``: NumPy reads an empty list as integers
    return ("int", int(arr)) if arr.ndim == 0 else ("array", arr)


def _classify_traced(t):
    dt = aval(t).dtype
    if dt == np.bool_:
        raise ConcretizationError(
            "Indexing with a boolean mask", t,
            "A boolean mask gives a result whose shape depends on its values, so it needs a "
            "concrete mask. Use `funcad.numpy.where(mask, x, other)` to select elementwise "
            "instead, or compute the mask outside the transform.",
        )
    if not dtypes.is_integer(dt):
        raise index_error(f"{_VALID}; got a traced value {aval(t).str_short()}")
    return ("int", t) if aval(t).ndim == 0 else ("array", t)


def _static_bound(v, what: str):
    if v is None:
        return None
    c = concrete_index(v)
    if c is None:
        raise ConcretizationError(
            f"A slice {what}", v,
            "Slice bounds fix the result's shape, so they must be static; for a window at a "
            "traced offset use `funcad.lax.dynamic_slice` (or index with a traced integer).",
        )
    if np.ndim(c) or not dtypes.is_integer(np.asarray(c).dtype):
        raise index_error(f"slice {what} must be integers or None, got {c!r}")
    return int(c)


def _slice_entry(s: builtins.slice, n: int) -> Slice:
    start, stop, step = (_static_bound(getattr(s, f), f) for f in ("start", "stop", "step"))
    if step == 0:
        raise FuncadValueError(with_user_line("slice step cannot be zero"))
    start, stop, step = builtins.slice(start, stop, step).indices(n)
    return Slice(start, len(range(start, stop, step)), step)


def _check_bounds(arr: np.ndarray, n: int, axis: int) -> np.ndarray:
    if arr.size:
        bad = arr[(arr < -n) | (arr >= n)]
        if bad.size:
            raise index_error(
                f"index {int(bad.flat[0])} is out of bounds for axis {axis} with size {n}"
            )
    return np.where(arr < 0, arr + n, arr).astype(np.intp)


def normalize_traced(i, n: int):
    """``i + n`` where ``i < 0`` (the primitives clamp the rest), in a dtype that holds n."""
    dt = aval(i).dtype
    if np.iinfo(dt).max < n:
        i, dt = cast(i, np.int64), np.dtype(np.int64)
    if dtypes.is_unsigned(dt):
        return i
    shape = aval(i).shape
    zero = base.broadcast_in_dim(np.asarray(0, dt), shape, ())
    size = base.broadcast_in_dim(np.asarray(n, dt), shape, ())
    return base.select_n(lg.lt(i, zero), i, ar.add(i, size))


def uniform_starts(starts) -> list:
    """Start indices of ``dynamic_slice``/``dynamic_update_slice`` in one integer dtype
    (that of the traced ones), so that backends see uniform index operands."""
    traced = [s for s in starts if isinstance(s, Tracer)]
    if not traced:
        return [np.asarray(s, np.intp) for s in starts]
    kinds = {aval(s).dtype for s in traced}
    dt = kinds.pop() if len(kinds) == 1 else np.dtype(np.int64)
    if any(not isinstance(s, Tracer) and s > np.iinfo(dt).max for s in starts):
        dt = np.dtype(np.int64)
    return [cast(s, dt) if isinstance(s, Tracer) else np.asarray(s, dt) for s in starts]


def _normalize_index(idx) -> tuple:
    if isinstance(idx, tuple):
        return idx
    return (idx,)


def _consumed(kind: str, value) -> int:
    if kind in ("slice", "int", "array"):
        return 1
    if kind == "bool":
        return value.ndim
    return 0


def parse_index(shape: tuple[int, ...], idx, bounds: str = "raise") -> IndexPlan:
    """The plan of ``x[idx]`` for an operand of ``shape``. ``bounds`` says what becomes of
    concrete out-of-bounds integers: ``"raise"`` (NumPy's IndexError), ``"clip"`` (clamped,
    after negatives count from the end) or ``"keep"`` (left for the gather's fill or the
    scatter's drop: such an integer, and every traced integer, becomes an ``Array``)."""
    items = [_classify(i) for i in _normalize_index(idx)]
    ndim = len(shape)
    consumed = sum(_consumed(k, v) for k, v in items)
    if consumed > ndim:
        raise index_error(
            f"too many indices for array: array is {ndim}-dimensional, but {consumed} were indexed"
        )
    if sum(k == "ellipsis" for k, _ in items) > 1:
        raise index_error("an index can only have a single ellipsis ('...')")
    shape = list(shape)
    entries: list = []
    bool_axes: list[int] = []
    axis = 0
    for kind, value in items:
        if kind == "none":
            entries.append(NewAxis())
        elif kind == "ellipsis":
            entries.append(EllipsisMark())
            for _ in range(ndim - consumed):
                entries.append(Slice(0, shape[axis], 1))
                axis += 1
        elif kind == "slice":
            entries.append(_slice_entry(value, shape[axis]))
            axis += 1
        elif kind == "int":
            entries.append(_int_entry(value, shape[axis], axis, bounds))
            axis += 1
        elif kind == "array":
            entries.append(Array(_array_entry(value, shape[axis], axis, bounds)))
            axis += 1
        elif value.ndim == 0:  # a scalar bool: a new axis indexed by [0] (True) or [] (False)
            shape.insert(axis, 1)
            bool_axes.append(axis)
            entries.append(Array(np.zeros(int(bool(value)), np.intp)))
            axis += 1
        else:
            entries.extend(_mask_entries(value, shape, axis))
            axis += value.ndim
    entries.extend(Slice(0, shape[a], 1) for a in range(axis, len(shape)))
    plan = IndexPlan(entries, tuple(shape), tuple(bool_axes))
    if plan.advanced:
        # Next to integer arrays, integers are advanced indices too (for the placement
        # rule); static ones are still sliced away, traced ones join the gather.
        plan.entries = [
            Array(e.value) if type(e) is Int and isinstance(e.value, Tracer) else e
            for e in entries
        ]
    return plan


def _int_entry(value, n: int, axis: int, bounds: str):
    if isinstance(value, Tracer):
        value = normalize_traced(value, n)
        return Array(value) if bounds == "keep" else Int(value)
    if bounds != "raise":
        value = value + n if value < 0 else value
        if bounds == "clip":
            return Int(min(max(value, 0), max(n - 1, 0)))
        return Int(value) if 0 <= value < n else Array(np.asarray(value, np.intp))
    if not -n <= value < n:
        raise index_error(f"index {value} is out of bounds for axis {axis} with size {n}")
    return Int(value % n)


def _array_entry(value, n: int, axis: int, bounds: str):
    if isinstance(value, Tracer):
        return normalize_traced(value, n)
    if bounds == "raise":
        return _check_bounds(value, n, axis)
    value = np.where(value < 0, value + n, value).astype(np.intp)
    return np.clip(value, 0, max(n - 1, 0)) if bounds == "clip" else value


def _mask_entries(mask: np.ndarray, shape: list, axis: int) -> list:
    for j, m in enumerate(mask.shape):
        if shape[axis + j] != m:
            raise index_error(
                f"boolean index did not match indexed array along axis {axis + j}; size of "
                f"axis is {shape[axis + j]} but size of corresponding boolean axis is {m}"
            )
    return [Array(nz.astype(np.intp)) for nz in np.nonzero(mask)]


def advanced_layout(plan: IndexPlan, batch_ndim: int) -> list:
    """Where the result's axes come from, in order: ``("batch", j)`` for the broadcast
    index dimensions, ``("rest", j)`` for the j-th sliced axis, ``("new",)`` for None.

    NumPy's rule: the index dimensions replace the advanced indices if those are adjacent
    in the index; otherwise they go first.
    """
    pos = [i for i, e in enumerate(plan.entries) if type(e) in (Array, Int)]
    adjacent = pos == list(range(pos[0], pos[0] + len(pos)))
    batch = [("batch", j) for j in range(batch_ndim)]
    layout: list = [] if adjacent else list(batch)
    rest = 0
    for i, e in enumerate(plan.entries):
        if type(e) is Slice:
            layout.append(("rest", rest))
            rest += 1
        elif type(e) is NewAxis:
            layout.append(("new",))
        elif adjacent and i == pos[0]:
            layout.extend(batch)
    return layout


def broadcast_index_shape(values) -> tuple[int, ...]:
    shapes = [aval(v).shape for v in values]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise index_error(
            "shape mismatch: indexing arrays could not be broadcast together with shapes "
            + " ".join(str(s) for s in shapes)
        ) from None


__all__ = [
    "Array", "EllipsisMark", "IndexPlan", "Int", "NewAxis", "Slice", "advanced_layout",
    "broadcast_index_shape", "concrete_index", "index_error", "normalize_traced",
    "parse_index", "uniform_starts",
]
