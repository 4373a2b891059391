"""JAX's functional index updates ``x.at[idx].<method>(...)`` on traced values and on eager
arrays, and ``EagerArray``, the thin ``numpy.ndarray`` subclass that gives eager results an
``.at``.

Methods: ``set add subtract multiply (mul) divide power min max apply get``, each with JAX's
keywords (``mode``, ``indices_are_sorted``, ``unique_indices``; ``fill_value`` for ``get``).
Duplicate indices accumulate (``set``: the last write wins). Out-of-bounds integer indices
follow JAX rather than NumPy: negative indices count from the end, then ``get`` clamps the
rest (``mode=None``, ``"clip"``, ``"promise_in_bounds"``) or returns ``fill_value`` for them
(``"fill"``, ``"drop"``), and updates drop them (every mode but ``"clip"``, which clamps).
The modes are those of the general gather and scatter that ``funcad.numpy._indexing``
binds, as JAX's.
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core.trace import Tracer
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._core import aval, operand
from funcad.numpy._index_plan import concrete_index
from funcad.numpy._indexing import getitem, update
from funcad.numpy._ufuncs import negative, power, true_divide, where
from funcad.ops import _base as base
from funcad.ops import gather_scatter as gs

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


def default_fill(dtype: np.dtype):
    """JAX's fill value of out-of-bounds reads: NaN, the most negative (signed), the
    largest (unsigned) integer, True."""
    return gs.default_fill(np.dtype(dtype))


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
    return getitem(x, idx, "promise_in_bounds" if mode is None else mode, fill_value)


def at_update(x, idx, values, op: str, mode=None):
    """``x`` with ``x[idx]`` combined with ``values`` by ``op`` (set add multiply min max)."""
    return update(operand(x, f"at[].{op}"), idx, values, op, mode)


def _ones_like(x):
    a = aval(x)
    return base.broadcast_in_dim(np.ones((), a.dtype), a.shape, ())


def at_apply(x, idx, func, mode=None):
    """``func`` applied at ``idx``, once per occurrence of a position (as JAX's
    ``scatter_apply``): ``func`` must act elementwise."""
    x = operand(x, "at[].apply")
    picked = at_get(x, idx, "clip" if mode == "clip" else "fill")
    counts, rounds = _occurrences(x, idx, mode)
    result = func(picked)
    for r in range(2, rounds + 1):
        result = where(counts >= r, func(result), result)
    return update(x, idx, result, "set", mode)


def _occurrences(x, idx, mode) -> tuple:
    """How often each picked position is picked (in the layout of ``x[idx]``), and the
    most times any position can be; counted in NumPy when the indices are concrete."""
    shape = aval(x).shape
    items = _items(idx)
    concrete = [concrete_index(i) if isinstance(i, Tracer) else i for i in items]
    get_mode = "clip" if mode == "clip" else "fill"
    if all(c is not None for c in concrete):
        index, slots = _resolve(shape, concrete, clamp=mode == "clip")
        counts = np.zeros([n + (a in slots) for a, n in enumerate(shape)], np.int64)
        np.add.at(counts, index, 1)
        picked = counts[index]
        return picked, int(picked.max(initial=1))
    zeros = np.zeros(shape, np.int32)
    picked = at_get(update(zeros, idx, np.int32(1), "add", mode), idx, get_mode, 0)
    arrays = [aval(i).shape for i in items if isinstance(i, (Tracer, np.ndarray))]
    return picked, max(1, math.prod(np.broadcast_shapes(*arrays)) if arrays else 1)


def _items(idx) -> list:
    items = list(idx) if isinstance(idx, tuple) else [idx]
    return [operand(i, "at[]") if isinstance(i, list) else i for i in items]


def _consumed(item) -> int | None:
    """Axes ``item`` consumes (``None`` for Ellipsis)."""
    if item is None or isinstance(item, (bool, np.bool_)):
        return 0
    if item is Ellipsis:
        return None
    if isinstance(item, np.ndarray) and item.dtype == np.bool_:
        return item.ndim
    return 1


def _resolve(shape: tuple[int, ...], items: list, clamp: bool) -> tuple[tuple, list[int]]:
    """Concrete ``items`` for NumPy with JAX's rule: negatives from the end, then clamped,
    or sent to an extra slot ``n`` of their axis (returned) where out of bounds."""
    counts = [_consumed(i) for i in items]
    known = sum(c for c in counts if c is not None)
    axis, out, slots = 0, [], []
    for item, c in zip(items, counts):
        if c is None:
            c = len(shape) - known
        elif c == 1 and np.asarray(item).dtype.kind in "iu" and axis < len(shape):
            n = shape[axis]
            v = np.asarray(item).astype(np.int64)
            v = np.where(v < 0, v + n, v)
            bad = (v < 0) | (v >= n)
            if clamp:
                v = np.clip(v, 0, max(n - 1, 0))
            elif bad.any():
                v = np.where(bad, n, v)
                slots.append(axis)
            item = v
        out.append(item)
        axis += c
    return tuple(out), slots


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
