"""Op-spec rows of sorting: ``lax.sort`` (one and several operands, ``num_keys``),
``lax.top_k`` and the ``funcad.numpy`` family ``sort argsort lexsort partition argpartition
searchsorted median percentile quantile nanmedian nanpercentile nanquantile``.

Rows checked for derivatives draw distinct values (finite differences cannot see a
permutation change at a tie); ``[ties]`` rows draw values on a coarse grid and check values
only (tests/lax/test_sorting_vs_jax.py compares tie derivatives with JAX). ``partition``'s
reference is the sorted array (a valid partition; NumPy's order within each side is its own).
"""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad import lax

from specs.spec import F32, F64, I32, OpSpec, uniform_args


def _distinct(rng, shapes, dtype):
    """Values at least 0.2 apart (in a random order), so that the finite differences of
    the derivative tests never cross a tie."""
    out = []
    for shape in shapes:
        size = int(np.prod(shape, dtype=np.int64))
        grid = rng.permutation(size) * 0.25 - size * 0.125 + rng.uniform(0, 0.05, size)
        out.append(np.asarray(grid.reshape(shape), dtype))
    return out


def _ties(rng, shapes, dtype):
    return [np.asarray(np.round(a * 2) / 2, dtype) for a in uniform_args(rng, shapes, dtype)]


def _with_nans(rng, shapes, dtype):
    out = []
    for a in _distinct(rng, shapes, dtype):
        a = np.array(a)
        a.flat[::4] = np.nan  # every slice of the cases keeps some numbers
        out.append(a)
    return out


def _sorted_then_queries(rng, shapes, dtype):
    a, v = uniform_args(rng, shapes, dtype)
    return [np.sort(a), v]


def _np_sort_operands(dimension, num_keys):
    def ref(*xs):
        keys = [x for x in xs[:num_keys]][::-1]
        perm = (np.argsort(keys[0], axis=dimension, kind="stable") if len(keys) == 1
                else np.lexsort(keys, axis=dimension))
        return tuple(np.take_along_axis(x, perm, dimension) for x in xs)

    return ref


def _np_top_k(k):
    def ref(x):
        n = x.shape[-1]
        order = (n - 1 - np.argsort(x[..., ::-1], axis=-1, kind="stable"))[..., ::-1][..., :k]
        return np.take_along_axis(x, order, -1), order.astype(np.int32)

    return ref


def _lax_row(name, fn, ref, cases, dtypes, **kw):
    kw.setdefault("make_args", _distinct)
    return OpSpec(name, fn, ref, cases, dtypes, **kw)


LAX_ROWS = [
    _lax_row("lax_sort", lambda x: lax.sort(x), lambda x: np.sort(x, -1, kind="stable"),
           (((7,),), ((3, 5),)), (F64, F32, I32)),
    _lax_row("lax_sort[dimension=0]", lambda x: lax.sort(x, dimension=0),
           lambda x: np.sort(x, 0), (((4, 3),),), (F64,)),
    _lax_row("lax_sort[2 operands]", lambda k, v: lax.sort((k, v), num_keys=1),
           _np_sort_operands(-1, 1), (((3, 6), (3, 6)),), (F64, F32)),
    _lax_row("lax_sort[2 keys,ties]", lambda k1, k2, v: lax.sort((k1, k2, v), 0, num_keys=2),
           _np_sort_operands(0, 2), (((8, 2), (8, 2), (8, 2)),), (F64,), make_args=_ties,
           differentiable=False),
    _lax_row("lax_sort_key_val", lambda k, v: lax.sort_key_val(k, v),
           _np_sort_operands(-1, 1), (((9,), (9,)),), (F64,)),
    _lax_row("lax_top_k", lambda x: lax.top_k(x, 3), _np_top_k(3), (((8,),), ((2, 5),)),
           (F64, F32, I32)),
    _lax_row("lax_top_k[ties]", lambda x: lax.top_k(x, 4), _np_top_k(4), (((3, 9),),), (F64,),
           make_args=_ties, differentiable=False),
]


def _fnp_row(name, fn, ref, cases, dtypes=(F64, F32), **kw):
    kw.setdefault("make_args", _distinct)
    return OpSpec(name, fn, ref, cases, dtypes, **kw)


FNP_ROWS = [
    _fnp_row("sort", lambda x: fnp.sort(x), lambda x: np.sort(x), (((6,),), ((2, 5),))),
    _fnp_row("sort[axis=None]", lambda x: fnp.sort(x, axis=None),
             lambda x: np.sort(x, axis=None), (((2, 3),),), (F64, I32)),
    _fnp_row("sort[descending]", lambda x: fnp.sort(x, axis=0, descending=True),
             lambda x: np.flip(np.sort(x, axis=0), 0), (((5, 2),),)),
    _fnp_row("argsort[ties]", lambda x: fnp.argsort(x, axis=0),
             lambda x: np.argsort(x, axis=0, kind="stable"), (((7, 3),),), (F64, I32),
             make_args=_ties),
    _fnp_row("argsort[descending,ties]", lambda x: fnp.argsort(x, descending=True),
             lambda x: _np_argsort_descending(x), (((2, 7),),), (F64,), make_args=_ties),
    _fnp_row("lexsort", lambda a, b: fnp.lexsort((a, b)), lambda a, b: np.lexsort((a, b)),
             (((9,), (9,)), ((2, 6), (2, 6))), (F64, I32), make_args=_ties),
    _fnp_row("partition", lambda x: fnp.partition(x, 2, axis=-1),
             lambda x: np.sort(x, axis=-1), (((6,),), ((3, 5),))),
    _fnp_row("argpartition", lambda x: fnp.argpartition(x, 1, axis=0),
             lambda x: np.argsort(x, axis=0, kind="stable"), (((4, 3),),), (F64,)),
    _fnp_row("searchsorted", lambda a, v: fnp.searchsorted(a, v),
             lambda a, v: np.searchsorted(a, v), (((7,), (3, 2)), ((5,), ())), (F64, I32),
             make_args=_sorted_then_queries),
    _fnp_row("searchsorted[right,ties]", lambda a, v: fnp.searchsorted(a, v, side="right"),
             lambda a, v: np.searchsorted(a, v, side="right"), (((8,), (5,)),), (F64,),
             make_args=lambda rng, s, d: [np.sort(x) for x in _ties(rng, s, d)]),
    _fnp_row("median", lambda x: fnp.median(x), lambda x: np.median(x),
             (((5,),), ((2, 4),))),
    _fnp_row("median[axis=0,keepdims]", lambda x: fnp.median(x, axis=0, keepdims=True),
             lambda x: np.median(x, axis=0, keepdims=True), (((4, 3),),), (F64, I32)),
    _fnp_row("median[nan]", lambda x: fnp.median(x, axis=1), lambda x: np.median(x, axis=1),
             (((3, 5),),), (F64,), make_args=_with_nans, differentiable=False),
    _fnp_row("quantile[q array,axis=(0,2)]",
             lambda x, q: fnp.quantile(x, q, axis=(0, 2)),
             lambda x, q: np.quantile(x, q, axis=(0, 2)), (((2, 3, 4), (2,)),),
             make_args=lambda rng, s, d: [_distinct(rng, s[:1], d)[0],
                                          np.asarray(rng.uniform(0.05, 0.95, s[1]), d)]),
    *[_fnp_row(f"quantile[{m}]", lambda x, m=m: fnp.quantile(x, [0.15, 0.6], axis=-1,
                                                                method=m),
               lambda x, m=m: np.quantile(x, [0.15, 0.6], axis=-1, method=m),
               (((3, 7),),), (F64,)) for m in ("lower", "higher", "nearest", "midpoint")],
    _fnp_row("percentile", lambda x: fnp.percentile(x, 30.0, axis=0),
             lambda x: np.percentile(x, 30.0, axis=0), (((6, 2),),), (F64, F32)),
    _fnp_row("percentile[int]", lambda x: fnp.percentile(x, [10, 90]),
             lambda x: np.percentile(x, [10, 90]), (((7,),),), (I32,)),
    _fnp_row("nanpercentile", lambda x: fnp.nanpercentile(x, 40.0, axis=1),
             lambda x: np.nanpercentile(x, 40.0, axis=1), (((3, 6),),), (F64,),
             make_args=_with_nans),
    _fnp_row("nanquantile", lambda x: fnp.nanquantile(x, 0.7, keepdims=True),
             lambda x: np.nanquantile(x, 0.7, keepdims=True), (((2, 5),),), (F64,),
             make_args=_with_nans),
    _fnp_row("nanmedian", lambda x: fnp.nanmedian(x, axis=0),
             lambda x: np.nanmedian(x, axis=0), (((5, 3),),), (F64,), make_args=_with_nans),
]


def _np_argsort_descending(x):
    """Descending, ties in their original order (the array API's ``descending=True``)."""
    n = x.shape[-1]
    return np.flip(n - 1 - np.argsort(np.flip(x, -1), axis=-1, kind="stable"), -1)


SPECS: list[OpSpec] = [*LAX_ROWS, *FNP_ROWS]
