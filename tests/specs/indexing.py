"""Op-spec rows of indexing: ``x[idx]`` in every form, ``take`` and ``x.at[idx]`` updates.

Index arguments drawn by ``make_args`` are traced under ``make_jaxpr`` (so the rows cover
traced indices); static indices are closed over.
"""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad import lax
from funcad.numpy._at import IndexUpdateHelper
from funcad.numpy._indexing import getitem

from specs.spec import BOOL, F32, F64, FLOATS, I32, OpSpec, uniform_args

I = np.s_  # noqa: E741 - reads like the index it builds


def _x_index(axis: int = 0, lo_neg: bool = True, dtype=np.int64, oob: int = 0):
    """``x``, then an integer array of the second shape in ``[-n, n)`` for axis ``axis``
    (``oob`` widens the range for the clipping/wrapping modes), then update values of the
    remaining shapes, if any."""

    def make(rng, shapes, x_dtype):
        x = uniform_args(rng, shapes[:1], x_dtype)[0]
        n = x.shape[axis] if x.ndim else x.size
        lo = -n if lo_neg else 0
        idx = rng.integers(lo - oob, n + oob, size=shapes[1]).astype(dtype)
        return [x, idx, *uniform_args(rng, shapes[2:], x_dtype)]

    return make


def _get(name, idx, cases, dtypes=FLOATS):
    return OpSpec(name, lambda x: getitem(x, idx), lambda x: x[idx], cases, dtypes)


def _mask(shape):
    """A fixed boolean mask (every third element), so the row stays deterministic."""
    return np.arange(int(np.prod(shape))).reshape(shape) % 3 == 0


def _ref_update(op):
    def ref(x, idx, v):
        y = x.copy()
        if op == "set":
            y[idx] = v
        else:
            ufunc = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}[op]
            ufunc.at(y, idx, v)
        return y

    return ref


def _at(name, op, cases, where=lambda i: i, dtypes=FLOATS, **kw):
    """``x.at[where(idx)].<op>(v)`` with a traced ``idx`` (duplicates included)."""
    ref = _ref_update(op)
    return OpSpec(
        name,
        lambda x, i, v: getattr(IndexUpdateHelper(x)[where(i)], op)(v),
        lambda x, i, v: ref(x, where(i), v),
        cases, dtypes, make_args=_x_index(**kw),
    )


def _floats_then_ints(n_floats: int, lo: int, hi: int):
    """The first ``n_floats`` arguments uniform floats, the rest integers in [lo, hi)
    (start indices or index arrays, out-of-range ones included: the primitives clamp)."""

    def make(rng, shapes, dtype):
        floats = uniform_args(rng, shapes[:n_floats], dtype)
        ints = [rng.integers(lo, hi, size=s).astype(np.int64) for s in shapes[n_floats:]]
        return floats + ints

    return make


def _x_idx_u(rng, shapes, dtype):
    x, u = uniform_args(rng, [shapes[0], shapes[2]], dtype)
    k = shapes[1][-1]
    return [x, rng.integers(-1, max(x.shape[:k], default=1) + 1, size=shapes[1]), u]


def _np_window(x, starts, sizes):
    """The window ``jax.lax.dynamic_slice`` reads: negative starts count from the end, then
    the window is clamped into bounds."""
    starts = [int(np.clip(s + n if s < 0 else s, 0, n - k))
              for s, n, k in zip(starts, x.shape, sizes)]
    return tuple(slice(s, s + k) for s, k in zip(starts, sizes))


def _np_dynamic_update_slice(x, u, i, j):
    y = x.copy()
    y[_np_window(x, (i, j), u.shape)] = u
    return y


def _np_cols(x, idx):
    return tuple(np.clip(idx[..., j], 0, x.shape[j] - 1) for j in range(idx.shape[-1]))


def _np_gather(x, idx):
    if idx.shape[-1] == 0:  # every row picks the whole operand
        return np.broadcast_to(x, idx.shape[:-1] + x.shape).copy()
    return x[_np_cols(x, idx)]


def _np_scatter(op):
    def ref(x, idx, u):
        y = x.copy()
        if op == "set":
            y[_np_cols(x, idx)] = u
        else:
            op.at(y, _np_cols(x, idx), u)
        return y

    return ref


SCATTER_SHAPES = (((5, 3), (6, 1), (6, 3)), ((3, 4, 2), (2, 2, 2), (2, 2, 2)),
                  ((4,), (3, 1), (3,)))

VEC = (((5,),), ((2, 3),), ((2, 3, 4),))
MAT = (((3, 4),), ((2, 3, 4),))

SPECS: list[OpSpec] = [
    # static basic indices: one slice/rev/reshape, no gather
    _get("getitem_int", 1, VEC, (F64, F32, I32, BOOL)),
    _get("getitem_neg_int", -1, VEC),
    _get("getitem_slice", I[1:3], VEC),
    _get("getitem_neg_step", I[::-1], VEC),
    _get("getitem_strided", I[::2, 1:], MAT),
    _get("getitem_neg_strided", I[-1::-2, 3:0:-2], MAT),
    _get("getitem_none_ellipsis", I[None, ..., 0], VEC),
    _get("getitem_ellipsis_slice", I[..., 1:], VEC),
    _get("getitem_empty_slice", I[2:1], VEC),
    _get("getitem_scalar_none", I[None], (((),), ((3,),))),
    _get("getitem_scalar_bool", True, (((),), ((3,),))),
    # concrete boolean masks become concrete integer arrays
    OpSpec("getitem_bool_mask", lambda x: getitem(x, _mask(x.shape)),
           lambda x: x[_mask(x.shape)], VEC),
    OpSpec("getitem_bool_mask_rows", lambda x: getitem(x, (_mask(x.shape[:1]), 1)),
           lambda x: x[_mask(x.shape[:1]), 1], MAT),
    # concrete integer arrays
    _get("getitem_int_list", [0, -1, 0], VEC),
    _get("getitem_int_array_mixed", I[1:, [0, -1, 0]], MAT),
    _get("getitem_int_array_apart", I[[0, 1], :, [1, 2]], (((2, 3, 4),),)),
    _get("getitem_int_and_array", I[0, :, [1, 2]], (((2, 3, 4),),)),
    # traced integer scalars and arrays (dynamic_slice / gather)
    OpSpec("getitem_traced_int", lambda x, i: getitem(x, i), lambda x, i: x[i],
           (((5,), ()), ((3, 4), ())), make_args=_x_index()),
    OpSpec("getitem_traced_int_i32", lambda x, i: getitem(x, (slice(None), i)),
           lambda x, i: x[:, i], (((3, 4), ()),), make_args=_x_index(axis=1, dtype=np.int32)),
    OpSpec("getitem_traced_array", lambda x, i: getitem(x, i), lambda x, i: x[i],
           (((5,), (3,)), ((3, 4), (2, 2)), ((3, 4), ())), make_args=_x_index()),
    OpSpec("getitem_traced_array_axis1", lambda x, i: getitem(x, (slice(None), i)),
           lambda x, i: x[:, i], (((3, 4), (5,)), ((2, 4, 3), (2, 2))),
           make_args=_x_index(axis=1)),
    OpSpec("getitem_traced_array_apart", lambda x, i: getitem(x, (i, slice(None), i)),
           lambda x, i: x[i, :, i], (((3, 2, 3), (4,)),), make_args=_x_index()),
    OpSpec("getitem_traced_array_with_int", lambda x, i: getitem(x, (1, i, None)),
           lambda x, i: x[1, i, None], (((2, 3, 4), (2,)),), make_args=_x_index(axis=1)),
    # take
    OpSpec("take", lambda x, i: fnp.take(x, i), lambda x, i: np.take(x, i),
           (((5,), (3,)), ((2, 3), (2, 2))), make_args=_x_index(axis=0)),
    OpSpec("take_axis", lambda x, i: fnp.take(x, i, axis=-1),
           lambda x, i: np.take(x, i, axis=-1), (((3, 4), (5,)), ((2, 4), ())),
           make_args=_x_index(axis=-1)),
    OpSpec("take_clip", lambda x, i: fnp.take(x, i, axis=0, mode="clip"),
           lambda x, i: np.take(x, i, axis=0, mode="clip"), (((4, 2), (6,)),),
           make_args=_x_index(oob=3)),
    OpSpec("take_wrap", lambda x, i: fnp.take(x, i, axis=1, mode="wrap"),
           lambda x, i: np.take(x, i, axis=1, mode="wrap"), (((2, 3), (6,)),),
           make_args=_x_index(axis=1, oob=5)),
    # functional updates with traced indices (duplicates happen: they accumulate)
    _at("at_set", "set", (((5,), (3,), (3,)), ((4, 2), (6,), (2,)))),
    _at("at_set_scalar_index", "set", (((5,), (), ()), ((4, 3), (), (3,)))),
    _at("at_add", "add", (((5,), (8,), (8,)), ((4, 2), (2, 3), (2, 3, 2)), ((3,), (4,), ()))),
    _at("at_add_rows_cols", "add", (((4, 3), (5,), (3, 5)),), where=lambda i: I[1:, i],
        axis=1),
    _at("at_mul", "mul", (((5,), (8,), (8,)), ((4, 2), (3,), (3, 2)))),
    # min/max: concrete index arrays (repeats handled in rounds) or traced scalars
    OpSpec("at_min", lambda x, v: IndexUpdateHelper(x)[[0, 2, 0, -1]].min(v),
           lambda x, v: _ref_update("min")(x, [0, 2, 0, -1], v), (((5,), (4,)), ((3, 2), (4, 2)))),
    OpSpec("at_max", lambda x, v: IndexUpdateHelper(x)[:, [1, 1]].max(v),
           lambda x, v: _ref_update("max")(x, I[:, [1, 1]], v), (((3, 2), (3, 2)), ((2, 3), ()))),
    _at("at_min_traced_int", "min", (((3, 4), (), (4,)),)),
    _at("at_max_traced_int", "max", (((5,), (), ()),)),
    OpSpec("at_set_slice", lambda x, v: IndexUpdateHelper(x)[1::2].set(v),
           lambda x, v: _ref_update("set")(x, I[1::2], v), (((5,), (2,)), ((4, 3), (3,)))),
    OpSpec("at_add_neg_step", lambda x, v: IndexUpdateHelper(x)[::-2, 1].add(v),
           lambda x, v: _ref_update("add")(x, I[::-2, 1], v), (((5, 2), (3,)), ((4, 3), ()))),
    OpSpec("at_mul_mask", lambda x, v: IndexUpdateHelper(x)[_mask(x.shape)].mul(v),
           lambda x, v: _ref_update("mul")(x, _mask(x.shape), v), (((5,), ()), ((3, 4), ()))),
    # lax-level indexing primitives (traced starts and index arrays, clamped, repeated)
    OpSpec("lax_dynamic_slice", lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 3)),
           lambda x, i, j: x[_np_window(x, (i, j), (2, 3))], (((5, 4), (), ()), ((2, 3), (), ())),
           make_args=_floats_then_ints(1, -2, 7)),
    OpSpec("lax_dynamic_update_slice",
           lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)), _np_dynamic_update_slice,
           (((5, 4), (2, 3), (), ()), ((2, 3), (2, 1), (), ())),
           make_args=_floats_then_ints(2, -2, 7)),
    OpSpec("lax_gather", lax.gather, _np_gather,
           (((5, 3), (4, 1)), ((3, 4, 2), (2, 2, 2)), ((2, 3), (2, 0))),
           make_args=_floats_then_ints(1, -1, 5)),
    OpSpec("lax_scatter_add", lax.scatter_add, _np_scatter(np.add), SCATTER_SHAPES,
           make_args=_x_idx_u),
    OpSpec("lax_scatter", lax.scatter, _np_scatter("set"), SCATTER_SHAPES, make_args=_x_idx_u),
    OpSpec("lax_scatter_mul", lax.scatter_mul, _np_scatter(np.multiply), SCATTER_SHAPES,
           make_args=_x_idx_u),
    OpSpec("at_get", lambda x, i: IndexUpdateHelper(x)[i].get(), lambda x, i: x[i],
           (((5,), (3,)),), make_args=_x_index()),
]
