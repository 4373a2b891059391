"""Op-spec rows of reductions: sum prod mean var std max min argmax argmin all any cumsum
cumprod nansum nanmean, over every kind of ``axis`` (None, int, negative, tuple, unsorted,
empty) and both ``keepdims``.

Each axis row returns the pair ``(f(x, keepdims=False), f(x, keepdims=True))``, so one case
checks both. The full dtype set runs on the ``axis=None`` and ``axis=-1`` rows; the other
axis rows run one or two dtypes, to keep the table fast.
"""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp

from specs.spec import BOOL, F32, F64, I32, OpSpec, uniform_args

# Shapes on which each kind of axis is valid.
_AXIS_CASES = {
    None: (((),), ((2, 3),), ((2, 1, 3),)),
    0: (((4,),), ((2, 1, 3),)),
    -1: (((2, 3),), ((2, 1, 3),)),
    1: (((2, 1, 3),),),
    (0, 2): (((2, 3, 4),),),
    (-1, 0): (((2, 3, 4),),),
    (): (((2, 3),),),
}
_FULL_AXES = (None, -1)


def _pair(fname: str, axis, **kw):
    """``(f(x, axis, keepdims=False), f(x, axis, keepdims=True))`` for funcad and NumPy."""

    def fn(x):
        f = getattr(fnp, fname)
        return f(x, axis=axis, keepdims=False, **kw), f(x, axis=axis, keepdims=True, **kw)

    def ref(x):
        f = getattr(np, fname)
        return f(x, axis=axis, keepdims=False, **kw), f(x, axis=axis, keepdims=True, **kw)

    return fn, ref


def _reduced_count(shape, axis) -> int:
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _axis_rows(fname: str, full_dtypes, small_dtypes, axes=tuple(_AXIS_CASES),
               differentiable=True, min_count=0, **kw) -> list[OpSpec]:
    """One row per axis. Cases reducing fewer than ``min_count`` elements (a variance of
    one element with ddof=1, the root of a zero variance) are not differentiable there:
    they go to a separate ``[...,degenerate]`` row that the derivative tests skip."""
    rows = []
    extra = "".join(f",{k}={v}" for k, v in kw.items())
    for axis in axes:
        fn, ref = _pair(fname, axis, **kw)
        dtypes = full_dtypes if axis in _FULL_AXES else small_dtypes
        cases = _AXIS_CASES[axis]
        smooth = tuple(c for c in cases if _reduced_count(c[0], axis) >= min_count)
        degenerate = tuple(c for c in cases if c not in smooth)
        name = f"{fname}[axis={axis}{extra}"
        if smooth:
            rows.append(OpSpec(name + "]", fn, ref, smooth, dtypes, make_args=_arrays,
                               differentiable=differentiable))
        if degenerate:
            rows.append(OpSpec(name + ",degenerate]", fn, ref, degenerate, dtypes,
                               make_args=_arrays, differentiable=False))
    return rows


def _arrays(rng, shapes, dtype):
    """``uniform_args`` as arrays (it gives a NumPy scalar for a 0-d boolean)."""
    return [np.asarray(a) for a in uniform_args(rng, shapes, dtype)]


def _with_ties(rng, shapes, dtype):
    """Values on a coarse grid, so that extrema tie (first occurrence wins)."""
    return [np.asarray(np.round(a * 2) / 2, dtype) for a in uniform_args(rng, shapes, dtype)]


def _with_nans(rng, shapes, dtype):
    out = []
    for a in uniform_args(rng, shapes, dtype):
        a = np.array(a)
        a[rng.random(a.shape) < 0.3] = np.nan
        out.append(a)
    return out


def _cumulative_rows(fname: str) -> list[OpSpec]:
    rows = []
    for axis in (None, 0, -1):
        cases = (((),), ((2, 3),)) if axis is None else (((2, 1, 3),),)

        def fn(x, axis=axis):
            return getattr(fnp, fname)(x, axis=axis)

        def ref(x, axis=axis):
            return getattr(np, fname)(x, axis=axis)

        rows.append(OpSpec(f"{fname}[axis={axis}]", fn, ref, cases, (F64, F32, I32, BOOL)))
    return rows


_ARITH = (F64, F32, I32, BOOL)

SPECS: list[OpSpec] = [
    *_axis_rows("sum", _ARITH, (F64, BOOL)),
    *_axis_rows("prod", _ARITH, (I32,)),
    *_axis_rows("mean", _ARITH, (F64,)),
    *_axis_rows("var", (F64, F32, I32), (F64,)),
    *_axis_rows("std", (F64, F32, I32), (F64,), min_count=2),
    *_axis_rows("var", (F64,), (F64,), axes=(None, 1), min_count=2, ddof=1),
    *_axis_rows("std", (F64,), (F64,), axes=(-1,), min_count=2, ddof=1),
    *_axis_rows("max", _ARITH, (F64,)),
    *_axis_rows("min", _ARITH, (BOOL,)),
    *_axis_rows("all", (BOOL, F64, I32), (BOOL,), axes=(None, 0, -1, (0, 2)),
                differentiable=False),
    *_axis_rows("any", (BOOL, F64, I32), (BOOL,), axes=(None, 1, -1, (-1, 0)),
                differentiable=False),
    *_axis_rows("argmax", (F64, F32, I32, BOOL), (F64,), axes=(None, 0, -1),
                differentiable=False),
    *_axis_rows("argmin", (F64, F32, I32, BOOL), (F64,), axes=(None, 0, -1),
                differentiable=False),
    *_axis_rows("nansum", (F64, I32), (F64,), axes=(None, 0)),
    *_axis_rows("nanmean", (F64, F32), (F64,), axes=(None, -1)),
    *_cumulative_rows("cumsum"),
    *_cumulative_rows("cumprod"),
    # dtype=, initial= and the amax/amin aliases.
    # A float32 result is too coarse for the float64 derivative tolerances: the derivative
    # tests see the widening direction instead.
    OpSpec("sum[dtype=f32]", lambda x: fnp.sum(x, axis=0, dtype=np.float32),
           lambda x: np.sum(x, axis=0, dtype=np.float32), (((2, 3),),), (F64, I32),
           differentiable=False),
    OpSpec("sum[dtype=f64]", lambda x: fnp.sum(x, axis=0, dtype=np.float64),
           lambda x: np.sum(x, axis=0, dtype=np.float64), (((2, 3),),), (F32, I32)),
    OpSpec("sum[initial]", lambda x: fnp.sum(x, axis=-1, initial=1.5),
           lambda x: np.sum(x, axis=-1, initial=1.5), (((2, 3),), ((0, 3),)), (F64, F32)),
    OpSpec("prod[dtype=i64]", lambda x: fnp.prod(x, dtype=np.int64),
           lambda x: np.prod(x, dtype=np.int64), (((2, 3),),), (I32, BOOL), differentiable=False),
    OpSpec("mean[dtype=f32]", lambda x: fnp.mean(x, axis=1, dtype=np.float32),
           lambda x: np.mean(x, axis=1, dtype=np.float32), (((2, 3),),), (F64, I32),
           rtol=2e-6, atol=2e-6, differentiable=False),
    OpSpec("mean[dtype=f64]", lambda x: fnp.mean(x, axis=1, dtype=np.float64),
           lambda x: np.mean(x, axis=1, dtype=np.float64), (((2, 3),),), (F32, I32)),
    OpSpec("max[initial]", lambda x: fnp.max(x, axis=0, initial=0.5),
           lambda x: np.max(x, axis=0, initial=0.5), (((3, 2),), ((0, 2),)), (F64,)),
    OpSpec("amin", lambda x: fnp.amin(x, axis=0), lambda x: np.amin(x, axis=0),
           (((3, 2),),), (F64,)),
    OpSpec("amax", lambda x: fnp.amax(x), lambda x: np.amax(x), (((3, 2),),), (F64,)),
    OpSpec("max[ties]", lambda x: fnp.max(x, axis=-1), lambda x: np.max(x, axis=-1),
           (((3, 4),),), (F64,), make_args=_with_ties, differentiable=False),
    OpSpec("argmax[ties]", lambda x: fnp.argmax(x, axis=0), lambda x: np.argmax(x, axis=0),
           (((4, 3),),), (F64,), make_args=_with_ties, differentiable=False),
    OpSpec("argmin[nan]", lambda x: fnp.argmin(x, axis=1), lambda x: np.argmin(x, axis=1),
           (((3, 4),),), (F64,), make_args=_with_nans, differentiable=False),
    OpSpec("max[nan]", lambda x: fnp.max(x, axis=1), lambda x: np.max(x, axis=1),
           (((3, 4),),), (F64,), make_args=_with_nans, differentiable=False),
    OpSpec("nanmean[nan]", lambda x: fnp.nanmean(x, axis=0), lambda x: np.nanmean(x, axis=0),
           (((4, 3),),), (F64,), make_args=_with_nans, differentiable=False),
    # Zero-size operands: sums are 0, products 1, all True, any False, means NaN.
    OpSpec("sum[empty]", lambda x: fnp.sum(x, axis=0), lambda x: np.sum(x, axis=0),
           (((0, 3),), ((3, 0),)), (F64, I32, BOOL)),
    OpSpec("prod[empty]", lambda x: fnp.prod(x, axis=1), lambda x: np.prod(x, axis=1),
           (((0, 3),), ((3, 0),)), (F64, I32)),
    OpSpec("all-any[empty]", lambda x: (fnp.all(x), fnp.any(x)), lambda x: (np.all(x), np.any(x)),
           (((0,),),), (BOOL, F64), differentiable=False),
    OpSpec("mean[empty]", lambda x: fnp.mean(x, axis=0), lambda x: np.mean(x, axis=0),
           (((0, 2),),), (F64,), differentiable=False),
    # The array methods of traced values go through the same functions.
    OpSpec("methods.reductions", lambda x: (x.sum(axis=0), x.mean(), x.max(axis=1)),
           lambda x: (x.sum(axis=0), x.mean(), x.max(axis=1)), (((2, 3),),), (F64,),
           tags=("operators",)),
]
