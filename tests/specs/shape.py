"""Op-spec rows of shape functions: reshaping, permuting, joining, splitting, repeating."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad import lax

from specs.spec import BOOL, F32, F64, FLOATS, I32, OpSpec, uniform_args

ANY_DTYPE = (F64, F32, I32, BOOL)


def _row(name, fn, ref, cases, dtypes=FLOATS, **kw):
    return OpSpec(name, fn, ref, cases, dtypes, **kw)


def _same(name, fn_name, cases, *args, dtypes=FLOATS, **kwargs):
    """A row calling ``fnp.<fn_name>`` and ``np.<fn_name>`` with the same static arguments."""
    fn, ref = getattr(fnp, fn_name), getattr(np, fn_name)
    return _row(
        name,
        lambda *xs: fn(*xs, *args, **kwargs),
        lambda *xs: ref(*xs, *args, **kwargs),
        cases,
        dtypes,
    )


def _seq(name, fn_name, cases, dtypes=FLOATS, **kwargs):
    """A row passing all its arguments as one list (concatenate, stack, ...)."""
    fn, ref = getattr(fnp, fn_name), getattr(np, fn_name)
    return _row(
        name, lambda *xs: fn(list(xs), **kwargs), lambda *xs: ref(list(xs), **kwargs), cases,
        dtypes,
    )


def _mixed(*dtypes_):
    def make(rng, shapes, dtype):
        return [uniform_args(rng, [s], d)[0] for s, d in zip(shapes, dtypes_)]

    return make


def _with_int(lo, hi):
    """The array, then a scalar integer argument in [lo, hi] (a traced shift or count)."""

    def make(rng, shapes, dtype):
        return [uniform_args(rng, shapes[:1], dtype)[0], np.int64(rng.integers(lo, hi + 1))]

    return make


def _np_pad(x, v, config):
    """NumPy reference of ``lax.pad``: element j of an axis lands at lo + j * (interior + 1);
    negative lo/hi crop."""
    shape = [lo + hi + n + max(n - 1, 0) * it for n, (lo, hi, it) in zip(x.shape, config)]
    out = np.full(shape, v, x.dtype)
    src, dst = [], []
    for n, size, (lo, _, it) in zip(x.shape, shape, config):
        pos = lo + np.arange(n) * (it + 1)
        keep = (pos >= 0) & (pos < size)
        src.append(np.nonzero(keep)[0])
        dst.append(pos[keep])
    out[np.ix_(*dst)] = x[np.ix_(*src)]
    return out


PAD_CONFIG = ((1, -1, 1), (-2, 2, 0))

S1 = (((6,),), ((2, 3),), ((3, 1, 2),))
S2 = (((2, 3),), ((4, 1),))
S3 = (((2, 3, 4),), ((1, 2, 3),))

SPECS: list[OpSpec] = [
    # reshaping
    _same("reshape", "reshape", S1, (3, 2), dtypes=ANY_DTYPE),
    _same("reshape_neg1", "reshape", S1, (-1, 3)),
    _row("reshape_scalar", lambda x: fnp.reshape(x, (1, 1)), lambda x: np.reshape(x, (1, 1)),
         (((),),)),
    _same("ravel", "ravel", (((),), ((4,),), ((2, 3),), ((2, 1, 3),)), dtypes=ANY_DTYPE),
    _same("transpose", "transpose", (((4,),), ((2, 3),), ((2, 1, 3),)), dtypes=ANY_DTYPE),
    _same("transpose_scalar", "transpose", (((),),)),
    _same("transpose_axes", "transpose", S3, (2, 0, 1)),
    _same("transpose_neg_axes", "transpose", S3, (-1, 0, -2)),
    _same("swapaxes", "swapaxes", S3, 0, -1),
    _same("moveaxis", "moveaxis", S3, 0, -1),
    _same("moveaxis_many", "moveaxis", S3, (0, 1), (-1, 0)),
    _same("expand_dims", "expand_dims", (((),), ((3,),), ((2, 3),)), -1),
    _same("expand_dims_tuple", "expand_dims", (((3,),), ((2, 3),)), (0, 2)),
    _same("squeeze", "squeeze", (((2, 1, 3),), ((1, 1),), ((3,),))),
    _same("squeeze_axis", "squeeze", (((2, 1, 3),), ((4, 1, 1),)), -2),
    _same("squeeze_tuple", "squeeze", (((1, 3, 1),),), (0, 2)),
    _same("broadcast_to", "broadcast_to", (((),), ((4,),), ((3, 1),), ((1, 4),)), (2, 3, 4)),
    _row("broadcast_arrays", fnp.broadcast_arrays, np.broadcast_arrays,
         (((2, 3), (3,)), ((3, 1), (1, 4)), ((), (2,)))),
    _same("atleast_1d", "atleast_1d", (((),), ((3,),), ((2, 3),))),
    _same("atleast_2d", "atleast_2d", (((),), ((3,),), ((2, 3),))),
    _same("atleast_3d", "atleast_3d", (((),), ((3,),), ((2, 3),), ((2, 3, 4),))),
    # joining
    _seq("concatenate", "concatenate", (((2, 3), (4, 3)), ((3,), (1,), (2,))), ANY_DTYPE),
    _seq("concatenate_neg_axis", "concatenate", (((2, 3), (2, 1)),), axis=-1),
    _seq("concatenate_none", "concatenate", (((2, 3), (4,)), ((), (2, 2))), axis=None),
    OpSpec("concatenate_mixed_dtypes", lambda a, b: fnp.concatenate([a, b]),
           lambda a, b: np.concatenate([a, b]), (((2,), (3,)),), (F64,),
           make_args=_mixed(F32, I32)),
    _seq("stack", "stack", (((2, 3), (2, 3)), ((), (), ())), ANY_DTYPE),
    _seq("stack_neg_axis", "stack", (((2, 3), (2, 3)),), axis=-1),
    OpSpec("stack_mixed_dtypes", lambda a, b: fnp.stack([a, b]), lambda a, b: np.stack([a, b]),
           (((2,), (2,)),), (F64,), make_args=_mixed(F32, BOOL)),
    _seq("hstack", "hstack", (((2,), (3,)), ((2, 3), (2, 1)), ((), ()))),
    _seq("vstack", "vstack", (((3,), (3,)), ((2, 3), (1, 3)))),
    _seq("dstack", "dstack", (((3,), (3,)), ((2, 3), (2, 3)), ((2, 3, 1), (2, 3, 2)))),
    _seq("column_stack", "column_stack", (((3,), (3,)), ((3, 2), (3,)))),
    # splitting
    _same("split", "split", (((6,),), ((6, 2),)), 3),
    _same("split_indices", "split", (((6,),), ((7, 2),)), [1, 4]),
    _same("split_axis", "split", (((2, 4),),), [-3, 10], axis=1),
    _same("array_split", "array_split", (((7,),), ((2,),)), 3),
    # repeating, flipping, rolling
    _same("tile", "tile", (((),), ((3,),), ((2, 3),)), 2),
    _same("tile_tuple", "tile", (((3,),), ((2, 3),), ((2, 1, 3),)), (2, 1, 3)),
    _same("repeat", "repeat", (((),), ((3,),), ((2, 3),)), 2, dtypes=ANY_DTYPE),
    _same("repeat_axis", "repeat", (((2, 3),),), 3, axis=-1),
    _same("repeat_counts", "repeat", (((3, 2),),), np.array([2, 0, 1]), axis=0),
    _same("flip", "flip", (((4,),), ((2, 3),)), dtypes=ANY_DTYPE),
    _same("flip_scalar", "flip", (((),),)),
    _same("flip_axis", "flip", (((2, 3),), ((2, 3, 4),)), -1),
    _same("flip_tuple", "flip", (((2, 3, 4),),), (0, 2)),
    _same("fliplr", "fliplr", (((2, 3),), ((2, 3, 4),))),
    _same("flipud", "flipud", (((3,),), ((2, 3),))),
    _same("roll", "roll", (((5,),), ((2, 3),)), 2),
    _same("roll_axis", "roll", (((2, 3),), ((2, 3, 4),)), -4, axis=1),
    _same("roll_tuple", "roll", (((2, 3, 4),),), (1, 7), axis=(0, 2)),
    # lax-level structural primitives with the parameters numpy rows do not reach
    _row("lax_pad", lambda x, v: lax.pad(x, v, PAD_CONFIG),
         lambda x, v: _np_pad(x, v, PAD_CONFIG), (((3, 4), ()), ((2, 5), ()), ((0, 3), ()))),
    _row("lax_slice_strided", lambda x: lax.slice(x, (1, 0), x.shape, (2, 3)),
         lambda x: x[1::2, ::3], (((5, 6),), ((2, 7),))),
    _row("lax_broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (1, 2)),
         lambda x: np.broadcast_to(x[None], (2, 3, 4)), (((3, 1),), ((1, 4),), ((3, 4),))),
    OpSpec("roll_traced_shift", lambda x, s: fnp.roll(x, s, axis=-1),
           lambda x, s: np.roll(x, s, axis=-1), (((2, 5), ()), ((4,), ())),
           make_args=_with_int(-7, 7)),
]
