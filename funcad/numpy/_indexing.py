"""NumPy indexing on arrays and traced values: ``getitem`` (``x[idx]``, and ``.at[].get``
with JAX's modes) and ``update``, the functional updates behind ``x.at[idx]``.

Basic indices use the cheapest primitives: one static ``slice`` (plus ``rev`` for negative
steps), one ``dynamic_slice`` for traced integers, one ``reshape`` for dropped and new
axes. Integer arrays become one general ``gather`` (``funcad.ops.gather_scatter``) with
the dimension numbers ``jax.numpy`` uses: the indexed axes collapsed, the others whole
windows, the index dimensions where NumPy puts them; updates are the matching ``scatter``
(or a ``dynamic_update_slice`` for basic indices). Out-of-bounds indices follow JAX's
modes through the primitives' own ``mode``.
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import Tracer
from funcad.errors import FuncadValueError, with_user_line
from funcad.numpy._core import array_operand, aval, broadcast_to, cast, operand
from funcad.numpy._index_plan import (
    Array,
    IndexPlan,
    Int,
    NewAxis,
    Slice,
    advanced_layout,
    broadcast_index_shape,
    concrete_index,
    index_error,
    parse_index,
    uniform_starts,
)
from funcad.numpy._ufuncs import add, clip, maximum, minimum, multiply, remainder
from funcad.ops import _base as base
from funcad.ops import dynamic_slicing as dsl
from funcad.ops import gather_scatter as gs
from funcad.ops import scatter_combine as sc
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.ops.gather_scatter import GatherDimensionNumbers


def _static(v) -> bool:
    return not isinstance(v, Tracer)


# --- getitem ------------------------------------------------------------------------------

# JAX's modes -> (what parse_index does with concrete out-of-bounds integers, the mode of
# the primitive): for reads (None: NumPy's ``x[idx]``) and for updates (None: JAX's drop).
_GET_MODES = {None: ("raise", "promise"), "promise_in_bounds": ("clip", "promise"),
              "clip": ("clip", "clip"), "fill": ("keep", "fill"), "drop": ("keep", "fill")}
_UPDATE_MODES = {None: ("keep", "fill"), "promise_in_bounds": ("keep", "promise"),
                 "clip": ("clip", "clip"), "fill": ("keep", "fill"), "drop": ("keep", "fill")}


def getitem(x, idx, mode=None, fill_value=None):
    """``x[idx]``: NumPy's semantics for ``mode=None`` (traced integer indices are clamped,
    as in JAX); ``.at[idx].get``'s JAX modes otherwise."""
    x = array_operand(x, "getitem")
    bounds, gather_mode = _GET_MODES[mode]
    plan = parse_index(aval(x).shape, idx, bounds)
    x = st.expand_dims(x, plan.bool_axes)
    if plan.advanced:
        return _advanced_getitem(x, plan, gather_mode, fill_value)
    return _basic_getitem(x, plan)


def _static_box(x, plan: IndexPlan):
    """Apply every static slice (and, in basic indexing, static integer) with one ``slice``
    and one ``rev``; other axes are kept whole."""
    starts, limits, strides, flips = [], [], [], []
    for axis, (e, n) in enumerate(zip(plan.consuming, aval(x).shape)):
        lo, hi, step = 0, n, 1
        if type(e) is Slice and e.size == 0:
            hi = 0
        elif type(e) is Slice:
            step = abs(e.step)
            lo = e.start if e.step > 0 else e.start + (e.size - 1) * e.step
            hi = lo + (e.size - 1) * step + 1
            if e.step < 0 and e.size > 1:
                flips.append(axis)
        elif type(e) is Int and _static(e.value):
            lo, hi = e.value, e.value + 1
        starts.append(lo)
        limits.append(hi)
        strides.append(step)
    return st.rev(sl.slice(x, starts, limits, strides), flips)


def _basic_getitem(x, plan: IndexPlan):
    y = _static_box(x, plan)
    ints = [e for e in plan.consuming if type(e) is Int]
    if any(not _static(e.value) for e in ints):
        shape = aval(y).shape
        starts = [0 if type(e) is not Int or _static(e.value) else e.value for e in plan.consuming]
        sizes = [1 if type(e) is Int else n for e, n in zip(plan.consuming, shape)]
        y = dsl.dynamic_slice(y, uniform_starts(starts), sizes)
    return base.reshape(y, basic_shape(plan))


def basic_shape(plan: IndexPlan) -> tuple[int, ...]:
    out = []
    for e in plan.entries:
        if type(e) is Slice:
            out.append(e.size)
        elif type(e) is NewAxis:
            out.append(1)
    return tuple(out)


def _stacked_indices(values, sizes):
    """The ``(*B, k)`` index array of ``gather``/``scatter``: NumPy when all are concrete."""
    batch = broadcast_index_shape(values)
    if all(_static(v) for v in values):
        return np.stack([np.broadcast_to(v, batch) for v in values], axis=-1).astype(np.intp)
    traced = {aval(v).dtype for v in values if not _static(v)}
    dt = traced.pop() if len(traced) == 1 else np.dtype(np.int64)
    if np.iinfo(dt).max < max(sizes, default=0):
        dt = np.dtype(np.int64)
    cols = []
    for v in values:
        v = np.asarray(v, dt) if _static(v) else cast(v, dt)
        cols.append(base.reshape(broadcast_to(v, batch), batch + (1,)))
    return sl.concatenate(cols, len(batch))


def _int_axes(plan: IndexPlan) -> list[int]:
    """The axes of static integers (sliced to size 1, then squeezed) in advanced indexing."""
    return [a for a, e in enumerate(plan.consuming) if type(e) is Int]


def _dimension_numbers(y, plan: IndexPlan):
    """``(indices, dimension numbers, slice sizes, placed shape)`` of the gather of ``y``
    (static integers already squeezed away) that ``jax.numpy`` would use: the axes of
    index arrays are collapsed, every other axis is a whole window, and the broadcast index
    dimensions stand where NumPy puts them (``placed shape``: the result without new
    axes)."""
    shape = aval(y).shape
    kept = [e for e in plan.consuming if type(e) is not Int]
    axes = tuple(a for a, e in enumerate(kept) if type(e) is Array)
    values = [e.value for e in kept if type(e) is Array]
    indices = _stacked_indices(values, [shape[a] for a in axes])
    batch = aval(indices).shape[:-1]
    placed = [kind for kind, *_ in advanced_layout(plan, len(batch)) if kind != "new"]
    rest = iter(n for a, n in enumerate(shape) if a not in axes)
    batches = iter(batch)
    placed_shape = tuple(next(rest) if k == "rest" else next(batches) for k in placed)
    dn = GatherDimensionNumbers(tuple(p for p, k in enumerate(placed) if k == "rest"), axes,
                                axes)
    sizes = tuple(1 if a in axes else n for a, n in enumerate(shape))
    return indices, dn, sizes, placed_shape


def _advanced_getitem(x, plan: IndexPlan, mode: str, fill_value):
    y = st.squeeze(_static_box(x, plan), _int_axes(plan))
    indices, dn, sizes, _ = _dimension_numbers(y, plan)
    if any(aval(y).shape[a] == 0 for a in dn.start_index_map):  # traced indices, no element
        return base.broadcast_in_dim(np.zeros((), aval(x).dtype), _indexed_shape(plan), ())
    g = gs.gather(y, indices, dn, sizes, mode=mode, fill_value=fill_value)
    layout = advanced_layout(plan, aval(indices).ndim - 1)
    return base.reshape(g, _layout_shape(layout, aval(g).shape))


def _layout_shape(layout: list, placed_shape: tuple[int, ...]) -> tuple[int, ...]:
    """``placed_shape`` (the layout without new axes) with size-1 new axes inserted."""
    sizes = iter(placed_shape)
    return tuple(1 if kind == "new" else next(sizes) for kind, *_ in layout)


def _indexed_shape(plan: IndexPlan) -> tuple[int, ...]:
    """The shape of ``x[idx]``, without computing it."""
    if not plan.advanced:
        return basic_shape(plan)
    batch = broadcast_index_shape([e.value for e in plan.consuming if type(e) is Array])
    rest = [e.size for e in plan.consuming if type(e) is Slice]
    layout = advanced_layout(plan, len(batch))
    return tuple(1 if k == "new" else (batch[p[0]] if k == "batch" else rest[p[0]])
                 for k, *p in layout)


# --- take ---------------------------------------------------------------------------------

def take_static(x, indices: np.ndarray, axis: int):
    """``x`` gathered along ``axis`` at concrete, in-bounds ``indices``."""
    return getitem(x, (slice(None),) * axis + (indices,))


def take_along_axis_index(x, indices, axis: int, mode):
    """``numpy.take(x, indices, axis, mode=mode)`` for a normalized ``axis``."""
    n = aval(x).shape[axis]
    indices = array_operand(indices, "take")
    conc = concrete_index(indices)
    if conc is not None:
        indices = np.asarray(conc)
    dt = aval(indices).dtype
    if not (dt == np.bool_ or dtypes.is_integer(dt)):
        raise index_error(f"take: indices must be integers, got {aval(indices).str_short()}")
    if dt == np.bool_:
        indices = cast(indices, np.intp)
    if mode in ("clip", "wrap"):
        if n == 0 and aval(indices).size:
            raise index_error("take: cannot do a non-empty take from an empty axis")
        indices = _clip_or_wrap(indices, n, mode)
    return getitem(x, (slice(None),) * axis + (indices,))


def _clip_or_wrap(indices, n: int, mode: str):
    if n == 0:
        return indices
    if _static(indices):
        return np.clip(indices, 0, n - 1) if mode == "clip" else np.mod(indices, n)
    return clip(indices, 0, n - 1) if mode == "clip" else remainder(indices, n)


# --- functional updates: x.at[idx] --------------------------------------------------------

def update(x, idx, values, op: str, mode=None):
    """``x`` with ``x[idx]`` replaced (``set``) or combined with ``values`` (duplicates
    accumulate for ``add``/``multiply``/``min``/``max``; the last wins for ``set``), with
    JAX's ``mode`` for out-of-bounds indices (by default they are dropped)."""
    x = array_operand(x, f"at[].{op}")
    bounds, scatter_mode = _UPDATE_MODES[mode]
    plan = parse_index(aval(x).shape, idx, bounds)
    target = _indexed_shape(plan)
    v = _fit_updates(_cast_values(values, aval(x).dtype, op), target, op)
    xe = st.expand_dims(x, plan.bool_axes)
    if plan.advanced:
        out = _advanced_update(xe, plan, v, op, scatter_mode)
    else:
        out = _basic_update(xe, plan, v, op)
    return st.squeeze(out, plan.bool_axes)


def _cast_values(values, dtype: np.dtype, op: str):
    """``values`` in ``x``'s dtype, as NumPy's ``x[idx] = values`` casts them."""
    v = operand(values, f"at[].{op}")
    if dtypes.is_python_scalar(v):
        return np.asarray(v, dtype)
    return cast(v, dtype)


def _fit_updates(v, target: tuple[int, ...], op: str):
    """Broadcast ``v`` to the indexed shape; extra leading size-1 axes are dropped (NumPy)."""
    shape = aval(v).shape
    extra = len(shape) - len(target)
    try:
        ok = all(d == 1 for d in shape[:max(extra, 0)])
        ok = ok and np.broadcast_shapes(shape[max(extra, 0):], target) == target
    except ValueError:
        ok = False
    if not ok:
        raise FuncadValueError(with_user_line(
            f"at[].{op}: could not broadcast values of shape {shape} into the indexed "
            f"shape {target}"
        ))
    if extra > 0:
        v = base.reshape(v, shape[extra:])
    return broadcast_to(v, target)


def _basic_update(x, plan: IndexPlan, v, op: str):
    """Basic indices select a box without repeats: update it and write it back."""
    starts, strides, sizes, flips = [], [], [], []
    for axis, e in enumerate(plan.consuming):
        if type(e) is Slice:
            step = abs(e.step)
            starts.append(e.start if e.step > 0 else e.start + (e.size - 1) * e.step)
            strides.append(step)
            sizes.append(e.size)
            if e.step < 0 and e.size > 1:
                flips.append(axis)
        else:
            starts.append(e.value)
            strides.append(1)
            sizes.append(1)
    if 0 in sizes:
        return x
    box = st.rev(base.reshape(v, sizes), flips)
    return _write_box(x, starts, strides, box, op)


_COMBINE = {"add": add, "multiply": multiply, "min": minimum, "max": maximum}


def _combine(op: str, cur, new):
    return _COMBINE[op](cur, new)


def _write_box(x, starts, strides, box, op: str):
    """``x`` with the strided box at ``starts`` combined with ``box`` by ``op``."""
    sizes = aval(box).shape
    spans = [(k - 1) * s + 1 for k, s in zip(sizes, strides)]
    static = all(_static(s) for s in starts)
    whole = static and all(s == 0 for s in starts) and tuple(spans) == aval(x).shape
    strided = any(s > 1 for s in strides)
    config = [(0, 0, s - 1) for s in strides]
    if op == "set" and not strided:
        new = box
    else:
        if static:
            cur = sl.slice(x, starts, [s + k for s, k in zip(starts, spans)])
        else:
            cur = dsl.dynamic_slice(x, uniform_starts(starts), spans)
        fill = {"add": 0, "multiply": 1}.get(op, 0)
        spread = sl.pad(box, fill, config) if strided else box
        new = spread if op == "set" else _combine(op, cur, spread)
        if strided and op in ("set", "min", "max"):
            mask = sl.pad(base.broadcast_in_dim(np.asarray(True), sizes, ()), False, config)
            new = base.select_n(mask, cur, new)
    if whole:
        return new
    return dsl.dynamic_update_slice(x, new, uniform_starts(starts))


def _advanced_update(x, plan: IndexPlan, v, op: str, mode: str):
    """Scatter into the box the static slices select (with the dimension numbers of the
    gather reading it), then write the box back."""
    y = st.squeeze(_static_box(x, plan), _int_axes(plan))
    indices, dn, _, placed_shape = _dimension_numbers(y, plan)
    if any(aval(y).shape[a] == 0 for a in dn.start_index_map):  # nothing to update
        return x
    scatter = {"set": gs.scatter, "add": gs.scatter_add, "multiply": sc.scatter_mul,
               "min": sc.scatter_min, "max": sc.scatter_max}[op]
    y = scatter(y, indices, base.reshape(v, placed_shape), gs.scatter_dnums_of(dn), mode=mode)
    return _write_back(x, plan, st.expand_dims(y, _int_axes(plan)))


def _write_back(x, plan: IndexPlan, y):
    """Set the box of ``x`` the static slices selected (a no-op when they select all)."""
    starts, strides, flips = [], [], []
    for axis, e in enumerate(plan.consuming):
        if type(e) is Slice and e.size:
            strides.append(abs(e.step))
            starts.append(e.start if e.step > 0 else e.start + (e.size - 1) * e.step)
            if e.step < 0 and e.size > 1:
                flips.append(axis)
        else:
            starts.append(e.value if type(e) is Int else 0)
            strides.append(1)
    if 0 in aval(y).shape:
        return x
    return _write_box(x, starts, strides, st.rev(y, flips), "set")


__all__: list[str] = []
