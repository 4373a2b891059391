"""XLA's general gather and scatter, with ``jax.lax``'s dimension numbers: ``gather``,
``scatter`` and ``scatter_add`` (the combining ``scatter_mul/min/max`` are in
``funcad.ops.scatter_combine``). ``funcad.numpy``'s indexing binds these with the dimension
numbers ``jax.numpy`` would use.

``start_indices`` has the index vector in its LAST axis; the other axes are the batch
axes ``B``. A gather takes, for each batch position, the slice of ``slice_sizes`` starting
at the index vector (mapped to operand axes by ``start_index_map``), drops the
``collapsed_slice_dims`` (size 1) and places the remaining slice axes at ``offset_dims`` of
the output. ``operand_batching_dims`` pair operand axes with batch axes of the indices
(``start_indices_batching_dims``): example ``i`` reads only its own operand slice. A
scatter is the converse, with ``update_window_dims``, ``inserted_window_dims`` and
``scatter_dims_to_operand_dims``.

Out-of-bounds indices follow ``mode``: ``"clip"`` clamps the start so the window fits;
``"fill"`` gathers ``fill_value`` for the whole slice and drops the whole update window;
``"promise"`` (``promise_in_bounds``) is XLA's own behaviour, clamping gathers and dropping
scatters. Duplicate indices: ``scatter`` keeps the last update in index order (XLA leaves
the order unspecified), the others combine. The NumPy work is planned once per signature
(``funcad.ops._gather_kernels``).

Derivatives as JAX's: ``gather`` and ``scatter_add`` are linear and transpose into each
other (the adjoint of a clamping gather clamps, of a dropping scatter fills zeros);
``scatter`` passes the surviving update's tangent.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.dtypes import is_bool, is_integer
from funcad.core.rules import batch_rules, jvp_rules, transpose_rules
from funcad.core.symbolic import Zero, is_undefined, not_mapped
from funcad.core.trace import get_aval
from funcad.errors import FuncadNotImplementedError
from funcad.ops import _base as base
from funcad.ops import _gather_kernels as gk
from funcad.ops import logical as lg
from funcad.ops import structural as st
from funcad.ops._base import bdim_at, instantiate_zeros, moveaxis, zeros_of
from funcad.ops._kernels import defkernel
from funcad.ops._shapes import ANY, axis_size_of, check_kind, new_primitive, type_error


class GatherDimensionNumbers(NamedTuple):
    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple
    operand_batching_dims: tuple = ()
    scatter_indices_batching_dims: tuple = ()


_MODES = {None: "fill", "fill": "fill", "drop": "fill", "fill_or_drop": "fill", "clip": "clip",
          "promise_in_bounds": "promise", "promise": "promise"}


def canonical_mode(mode) -> str:
    """``"clip"``, ``"fill"`` or ``"promise"`` from a string, ``None`` or a jax enum."""
    key = getattr(mode, "name", mode)
    key = key.lower() if isinstance(key, str) else key
    if key not in _MODES:
        raise FuncadNotImplementedError(f"gather/scatter mode {mode!r}")
    return _MODES[key]


def default_fill(dtype: np.dtype):
    """JAX's fill of out-of-bounds gathers: NaN, the lowest signed or highest unsigned
    integer, True."""
    if is_bool(dtype):
        return True
    if is_integer(dtype):
        info = np.iinfo(dtype)
        return int(info.min if dtype.kind == "i" else info.max)
    return float("nan")


def _tuples(dn, cls):
    return cls(*(tuple(int(a) for a in field) for field in dn))


# --- gather -----------------------------------------------------------------------------------

def gather(operand, start_indices, dimension_numbers, slice_sizes, *, unique_indices=False,
           indices_are_sorted=False, mode=None, fill_value=None):
    """XLA's gather (``jax.lax.gather``)."""
    dn = _tuples(dimension_numbers, GatherDimensionNumbers)
    mode = canonical_mode(mode)
    if fill_value is not None:  # a hashable Python scalar (a param); NaN is the default
        fill_value = np.asarray(fill_value).item()
        if isinstance(fill_value, float) and np.isnan(fill_value):
            fill_value = None
        else:  # in the operand's dtype, as JAX converts it (-9 fills uint8 with 247)
            with np.errstate(all="ignore"):
                fill_value = np.asarray(fill_value).astype(get_aval(operand).dtype).item()
    return gather_p.bind(operand, start_indices, dimension_numbers=dn,
                         slice_sizes=tuple(int(s) for s in slice_sizes), mode=mode,
                         fill_value=fill_value, unique_indices=bool(unique_indices),
                         indices_are_sorted=bool(indices_are_sorted))


def _gather_shape(x, idx, *, dimension_numbers, slice_sizes, mode, fill_value, **_):
    dn = dimension_numbers
    avals = [x, idx]
    check_kind(gather_p, avals, ANY)
    reasons = []
    if not is_integer(idx.dtype) or idx.ndim < 1:
        reasons.append("start_indices must be integers with the index vector in the last axis")
    elif len(dn.start_index_map) != idx.shape[-1]:
        reasons.append(f"start_index_map {dn.start_index_map} must have one entry per index "
                       f"vector element ({idx.shape[-1]})")
    elif len(slice_sizes) != x.ndim or any(not 0 <= s <= n for s, n in
                                           zip(slice_sizes, x.shape)):
        reasons.append(f"slice_sizes {slice_sizes} must fit the operand")
    elif any(slice_sizes[d] != 1 for d in dn.collapsed_slice_dims + dn.operand_batching_dims):
        reasons.append("collapsed and batching axes must have slice size 1")
    elif len(dn.offset_dims) != x.ndim - len(dn.collapsed_slice_dims) - len(
            dn.operand_batching_dims) or list(dn.offset_dims) != sorted(set(dn.offset_dims)):
        reasons.append(f"offset_dims {dn.offset_dims} must list the output positions of the "
                       "kept slice axes, in order")
    elif len(dn.operand_batching_dims) != len(dn.start_indices_batching_dims) or any(
            x.shape[a] != idx.shape[b] for a, b in
            zip(dn.operand_batching_dims, dn.start_indices_batching_dims)):
        reasons.append("operand and index batching axes must pair up with equal sizes")
    if reasons:
        raise type_error(gather_p, avals, reasons[0])
    batch = list(idx.shape[:-1])
    kept = [slice_sizes[d] for d in range(x.ndim)
            if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]
    shape = [kept.pop(0) if p in dn.offset_dims else batch.pop(0)
             for p in range(len(idx.shape) - 1 + len(dn.offset_dims))]
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


@functools.lru_cache(maxsize=256)
def _gather_plan(x_shape, x_dtype, idx_shape, idx_dtype, **params):
    """The NumPy runner of one gather signature, planned once (the shape rule checks it)."""
    out = _gather_shape(ShapedArray(x_shape, x_dtype), ShapedArray(idx_shape, idx_dtype),
                        **params)
    return _gather_runner(x_shape, idx_shape, out.shape, np.dtype(x_dtype), **params)


def _gather_runner(x_shape, idx_shape, out_shape, dtype, *, dimension_numbers, slice_sizes,
                   mode, fill_value, **_):
    fill = default_fill(dtype) if fill_value is None else fill_value
    return gk.gather_runner(x_shape, idx_shape, dimension_numbers, slice_sizes, out_shape,
                            mode, fill)


def _gather_impl(x, idx, **params):
    return _gather_plan(x.shape, x.dtype, idx.shape, idx.dtype, **params)(x, idx)


def _gather_kernel(eqn):
    x, idx = (v.aval for v in eqn.invars)
    return _gather_runner(x.shape, idx.shape, eqn.outvars[0].aval.shape, x.dtype,
                          **eqn.params)


gather_p = new_primitive("gather", _gather_impl, _gather_shape)
defkernel(gather_p, _gather_kernel)


def _gather_jvp(primals, tangents, **params):
    x, idx = primals
    ans = gather_p.bind(x, idx, **params)
    t = tangents[0]
    if type(t) is Zero:
        return ans, Zero.like(ans)
    return ans, gather_p.bind(t, idx, **dict(params, fill_value=0))  # fills do not vary


def scatter_dnums_of(dn: GatherDimensionNumbers) -> ScatterDimensionNumbers:
    return ScatterDimensionNumbers(dn.offset_dims, dn.collapsed_slice_dims, dn.start_index_map,
                                   dn.operand_batching_dims, dn.start_indices_batching_dims)


def _gather_transpose(ct, x, idx, *, dimension_numbers, mode, unique_indices,
                      indices_are_sorted, **_):
    if is_undefined(idx):
        raise NotImplementedError("transpose of gather with respect to its indices")
    zeros = zeros_of(x.aval.strip_weak_type())
    # A "promise" gather clamps (the scatter of the same mode would drop): its adjoint clamps.
    return [scatter_add_p.bind(zeros, idx, ct, dimension_numbers=scatter_dnums_of(
        dimension_numbers), mode="clip" if mode == "promise" else mode,
        unique_indices=unique_indices, indices_are_sorted=indices_are_sorted), None]


def _shift(dims, by: int = 1) -> tuple:
    return tuple(d + by for d in dims)


def _gather_batch(vals, dims, **params):
    (x, idx), (xd, i_d) = vals, dims
    dn = params["dimension_numbers"]
    size = axis_size_of(vals, dims)
    if i_d is not_mapped:  # the batch axis stays where it is: one more whole window axis
        def shift(axes):
            return tuple(a + (a >= xd) for a in axes)
        kept_before = sum(1 for a in range(xd) if a not in dn.collapsed_slice_dims
                          and a not in dn.operand_batching_dims)
        out_d = dn.offset_dims[kept_before - 1] + 1 if kept_before else 0
        offsets = sorted([d + (d >= out_d) for d in dn.offset_dims] + [out_d])
        new = GatherDimensionNumbers(tuple(offsets), shift(dn.collapsed_slice_dims),
                                     shift(dn.start_index_map), shift(dn.operand_batching_dims),
                                     dn.start_indices_batching_dims)
        sizes = params["slice_sizes"]
        return gather_p.bind(x, idx, **dict(params, dimension_numbers=new,
                                            slice_sizes=(*sizes[:xd], size, *sizes[xd:]))), out_d
    idx = moveaxis(idx, i_d, 0)  # the index vector stays last
    if xd is not_mapped:  # one more batch axis of the indices
        new = dn._replace(offset_dims=_shift(dn.offset_dims),
                          start_indices_batching_dims=_shift(dn.start_indices_batching_dims))
        return gather_p.bind(x, idx, **dict(params, dimension_numbers=new)), 0
    x = moveaxis(x, xd, 0)  # example i reads its own operand: a batching axis pair
    new = GatherDimensionNumbers(_shift(dn.offset_dims), _shift(dn.collapsed_slice_dims),
                                 _shift(dn.start_index_map), (0, *_shift(dn.operand_batching_dims)),
                                 (0, *_shift(dn.start_indices_batching_dims)))
    return gather_p.bind(x, idx, **dict(params, dimension_numbers=new,
                                        slice_sizes=(1, *params["slice_sizes"]))), 0


jvp_rules[gather_p] = _gather_jvp
transpose_rules[gather_p] = _gather_transpose
batch_rules[gather_p] = _gather_batch


# --- the scatter family ----------------------------------------------------------------------

def gather_dnums_of(dn: ScatterDimensionNumbers) -> GatherDimensionNumbers:
    return GatherDimensionNumbers(dn.update_window_dims, dn.inserted_window_dims,
                                  dn.scatter_dims_to_operand_dims, dn.operand_batching_dims,
                                  dn.scatter_indices_batching_dims)


def slice_sizes_of(operand_shape, updates_shape, dn: ScatterDimensionNumbers) -> tuple:
    """The gather slice sizes reading back a scatter's windows."""
    windows = iter(updates_shape[a] for a in dn.update_window_dims)
    return tuple(1 if d in dn.inserted_window_dims or d in dn.operand_batching_dims
                 else next(windows) for d in range(len(operand_shape)))


def _scatter_shape(prim_name):
    def rule(x, idx, upd, *, dimension_numbers, **_):
        dn = dimension_numbers
        avals = [x, idx, upd]
        if upd.dtype != x.dtype:
            raise type_error(prim_name, avals, "updates must have the operand's dtype")
        try:
            sizes = slice_sizes_of(x.shape, upd.shape, dn)
            expected = _gather_shape(x, idx, dimension_numbers=gather_dnums_of(dn),
                                     slice_sizes=sizes, mode="clip", fill_value=None)
        except (StopIteration, IndexError, TypeError) as err:
            raise type_error(prim_name, avals, f"dimension numbers {tuple(dn)} do not fit "
                             f"({err})") from None
        if expected.shape != upd.shape:
            raise type_error(prim_name, avals, f"updates must have shape {expected.shape}")
        return x

    return rule


def scatter_primitive(name, apply, apply_unique=None):
    """A scatter primitive combining by ``apply(out, index, updates)`` in place (and by
    ``apply_unique``, if given, where the caller promises distinct indices): its impl (the
    runner of each signature planned once), NumPy kernel, shape rule and batching."""
    shape_rule = _scatter_shape(name)

    def runner(x_shape, idx_shape, upd_shape, *, dimension_numbers, mode, unique_indices,
               **_):
        fn = apply_unique if unique_indices and apply_unique else apply
        return gk.scatter_runner(x_shape, idx_shape, upd_shape, dimension_numbers, mode, fn)

    @functools.lru_cache(maxsize=256)
    def plan(x_shape, x_dtype, idx_shape, idx_dtype, upd_shape, upd_dtype, **params):
        shape_rule(ShapedArray(x_shape, x_dtype), ShapedArray(idx_shape, idx_dtype),
                   ShapedArray(upd_shape, upd_dtype), **params)
        return runner(x_shape, idx_shape, upd_shape, **params)

    def impl(x, idx, upd, **params):
        return plan(x.shape, x.dtype, idx.shape, idx.dtype, upd.shape, upd.dtype,
                    **params)(x, idx, upd)

    prim = new_primitive(name, impl, shape_rule)
    defkernel(prim, lambda eqn: runner(*(v.aval.shape for v in eqn.invars), **eqn.params),
              fresh=True)
    batch_rules[prim] = _scatter_batch(prim)
    return prim


def scatter_wrapper(prim, doc: str):
    """The ``jax.lax``-style wrapper binding ``prim``."""

    def wrapper(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
        return prim.bind(operand, scatter_indices, updates,
                         dimension_numbers=_tuples(dimension_numbers, ScatterDimensionNumbers),
                         mode=canonical_mode(mode), unique_indices=bool(unique_indices),
                         indices_are_sorted=bool(indices_are_sorted))

    wrapper.__name__ = wrapper.__qualname__ = prim.name
    wrapper.__doc__ = doc
    return wrapper


def _scatter_batch(prim):
    def rule(vals, dims, *, dimension_numbers, **params):
        (x, idx, upd), (xd, i_d, ud) = vals, dims
        dn = dimension_numbers
        size = axis_size_of(vals, dims)
        x = bdim_at(x, xd, 0, size)
        upd = bdim_at(upd, ud, 0, size)
        if i_d is not_mapped:  # a new window axis, the first one
            new = ScatterDimensionNumbers(
                (0, *_shift(dn.update_window_dims)), _shift(dn.inserted_window_dims),
                _shift(dn.scatter_dims_to_operand_dims), _shift(dn.operand_batching_dims),
                dn.scatter_indices_batching_dims)
        else:  # a batching axis pair
            idx = moveaxis(idx, i_d, 0)
            new = ScatterDimensionNumbers(
                _shift(dn.update_window_dims), _shift(dn.inserted_window_dims),
                _shift(dn.scatter_dims_to_operand_dims), (0, *_shift(dn.operand_batching_dims)),
                (0, *_shift(dn.scatter_indices_batching_dims)))
        return prim.bind(x, idx, upd, dimension_numbers=new, **params), 0

    return rule


def scatter_jvp(prim, tangent):
    """The JVP rule of the scatter ``prim``: ``tangent(x, idx, upd, tx, tu, ans, params)``
    is the output tangent when the operand or the updates have one."""

    def rule(primals, tangents, **params):
        x, idx, upd = primals
        tx, _, tu = tangents
        ans = prim.bind(x, idx, upd, **params)
        if type(tx) is Zero and type(tu) is Zero:
            return ans, Zero.like(ans)
        return ans, tangent(x, idx, upd, tx, tu, ans, params)

    return rule


def readback(y, idx, upd_aval, dn, mode, fill_value=None):
    """The elements of ``y`` at a scatter's update positions (updates' shape): clamped as a
    ``"clip"`` scatter clamps, ``fill_value`` where the other modes drop the update."""
    return gather_p.bind(y, idx, dimension_numbers=gather_dnums_of(dn),
                         slice_sizes=slice_sizes_of(get_aval(y).shape, upd_aval.shape, dn),
                         mode="clip" if mode == "clip" else "fill", fill_value=fill_value,
                         unique_indices=False, indices_are_sorted=False)


scatter_add_p = scatter_primitive("scatter_add", np.add.at, gk.add_distinct)
scatter_add = scatter_wrapper(
    scatter_add_p, "``operand`` with ``updates`` added in its windows (duplicates accumulate).")


def _scatter_add_tangent(x, idx, upd, tx, tu, ans, params):
    if type(tu) is Zero:
        return tx
    return scatter_add_p.bind(instantiate_zeros(tx), idx, tu, **params)


def _scatter_add_transpose(ct, x, idx, upd, *, dimension_numbers, mode, **_):
    if is_undefined(idx):
        raise NotImplementedError("transpose of scatter_add with respect to its indices")
    ct_u = None
    if is_undefined(upd):  # dropped updates get a zero cotangent
        ct_u = readback(ct, idx, upd.aval, dimension_numbers, mode, fill_value=0)
    return [ct if is_undefined(x) else None, None, ct_u]


jvp_rules[scatter_add_p] = scatter_jvp(scatter_add_p, _scatter_add_tangent)
transpose_rules[scatter_add_p] = _scatter_add_transpose


scatter_p = scatter_primitive("scatter", gk.set_at)
scatter = scatter_wrapper(
    scatter_p, "``operand`` with its windows overwritten by ``updates`` (the last one wins).")


def _scatter_tangent(x, idx, upd, tx, tu, ans, params):
    return scatter_p.bind(instantiate_zeros(tx), idx, instantiate_zeros(tu), **params)


def _survivors(x_aval, idx, upd_aval, dn, mode):
    """Boolean, updates' shape: whether each update element is the one left in place."""
    batch_shape = get_aval(idx).shape[:-1]
    n = int(np.prod(batch_shape, dtype=np.int64))
    ids = base.reshape(st.iota(np.int64, n), batch_shape)
    scatter_axes = [a for a in range(upd_aval.ndim) if a not in dn.update_window_dims]
    ids = base.broadcast_in_dim(ids, upd_aval.shape, tuple(scatter_axes))
    table = base.broadcast_in_dim(np.asarray(-1, np.int64), x_aval.shape, ())
    written = scatter_p.bind(table, idx, ids, dimension_numbers=dn, mode=mode,
                             unique_indices=False, indices_are_sorted=False)
    return lg.eq(readback(written, idx, upd_aval, dn, mode, fill_value=-2), ids)


def _scatter_transpose(ct, x, idx, upd, *, dimension_numbers, mode, unique_indices, **params):
    if is_undefined(idx):
        raise NotImplementedError("transpose of scatter with respect to its indices")
    dn = dimension_numbers
    u_aval = (upd.aval if is_undefined(upd) else get_aval(upd)).strip_weak_type()
    x_aval = x.aval if is_undefined(x) else get_aval(x)
    ct_x = ct_u = None
    if is_undefined(x):  # overwritten positions get no cotangent
        ct_x = scatter_p.bind(ct, idx, zeros_of(u_aval), dimension_numbers=dn, mode=mode,
                              unique_indices=unique_indices, **params)
    if is_undefined(upd):
        ct_u = readback(ct, idx, u_aval, dn, mode, fill_value=0)
        if not unique_indices:  # overwritten updates get no cotangent
            keep = _survivors(x_aval, idx, u_aval, dn, mode)
            ct_u = base.select_n(keep, zeros_of(u_aval), ct_u)
    return [ct_x, None, ct_u]


jvp_rules[scatter_p] = scatter_jvp(scatter_p, _scatter_tangent)
transpose_rules[scatter_p] = _scatter_transpose

__all__ = [
    "GatherDimensionNumbers", "ScatterDimensionNumbers", "canonical_mode", "default_fill",
    "gather", "gather_dnums_of", "gather_p", "readback", "scatter", "scatter_add",
    "scatter_add_p", "scatter_dnums_of", "scatter_jvp", "scatter_p", "scatter_primitive",
    "scatter_wrapper",
    "slice_sizes_of",
]
