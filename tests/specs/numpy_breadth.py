"""Op-spec rows of the wider ``funcad.numpy`` surface (issue 14): the general ``scatter_min``
/ ``scatter_max`` primitives behind ``.at[].min/max`` (in the leading-axes form of
``funcad.ops.indexing``), and the NumPy functions built from
primitives (values vs NumPy, derivatives vs finite differences, vmap vs loop, jit vs eager
on both backends, through the generic harness)."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad.ops import indexing as ix

from specs.indexing import SCATTER_SHAPES, _np_scatter, _x_idx_u
from specs.spec import F64, FLOATS, OpSpec, uniform_args


def _ties(rng, shapes, dtype):
    """Operand and updates of small integers (as floats): ties between candidates."""
    x, idx, u = _x_idx_u(rng, shapes, dtype)
    return [np.round(x * 2) / 2, idx, np.round(u * 2) / 2]


AT_SPECS: list[OpSpec] = [
    OpSpec("scatter_min", ix.scatter_min, _np_scatter(np.minimum), SCATTER_SHAPES,
           make_args=_x_idx_u),
    OpSpec("scatter_max", ix.scatter_max, _np_scatter(np.maximum), SCATTER_SHAPES,
           make_args=_x_idx_u),
    OpSpec("scatter_max_ties", ix.scatter_max, _np_scatter(np.maximum), SCATTER_SHAPES,
           make_args=_ties, differentiable=False),
]

SPECS: list[OpSpec] = [*AT_SPECS]


# --- funcad.numpy functions built from primitives ------------------------------------------

def _row(name, fn, ref, cases, dtypes=FLOATS, **kw):
    return OpSpec(name, fn, ref, cases, dtypes, **kw)


def _same(name, cases, *args, dtypes=FLOATS, fn_name=None, **kw):
    """``fnp.<name>(*arrays, *args)`` against ``np.<name>`` with the same statics."""
    fn_name = fn_name or name
    fn, ref = getattr(fnp, fn_name), getattr(np, fn_name)
    return _row(f"np_{name}", lambda *xs: fn(*xs, *args), lambda *xs: ref(*xs, *args), cases,
                dtypes, **kw)


def _positive(rng, shapes, dtype):
    return [np.asarray(rng.uniform(0.5, 2.0, s), dtype) for s in shapes]


def _with_nans(rng, shapes, dtype):
    out = uniform_args(rng, shapes, dtype)
    for x in out:
        if x.ndim:
            x.flat[:: max(1, x.size // 3)] = np.nan
    return out


def _interp_args(rng, shapes, dtype):
    xp = np.cumsum(rng.uniform(0.3, 1.0, shapes[1])).astype(dtype)
    fp = rng.normal(size=shapes[2]).astype(dtype)
    x = rng.uniform(xp[0] - 1, xp[-1] + 1, shapes[0]).astype(dtype)
    return [x, xp, fp]


MAT = (((3, 4),), ((4, 4),))
VEC = (((5,),), ((1,),))
PAIR3 = (((4, 3), (4, 3)), ((3,), (3,)))

SPECS += [
    _same("diag", VEC + (((3, 4),),)),
    _row("np_diag_k", lambda x: fnp.diag(x, -1), lambda x: np.diag(x, -1), VEC + MAT),
    _row("np_diagonal", lambda x: fnp.diagonal(x, 1, 2, 0), lambda x: np.diagonal(x, 1, 2, 0),
         (((2, 3, 4),),)),
    _row("np_tril", lambda x: fnp.tril(x, 1), lambda x: np.tril(x, 1), MAT + (((2, 3, 3),),)),
    _row("np_triu", lambda x: fnp.triu(x, -1), lambda x: np.triu(x, -1), MAT),
    _row("np_meshgrid", lambda x, y: fnp.meshgrid(x, y), lambda x, y: np.meshgrid(x, y),
         (((3,), (4,)),)),
    _row("np_meshgrid_ij", lambda x, y: fnp.meshgrid(x, y, indexing="ij"),
         lambda x, y: np.meshgrid(x, y, indexing="ij"), (((3,), (4,)),)),
    _row("np_logspace", lambda a, b: fnp.logspace(a, b, 5), lambda a, b: np.logspace(a, b, 5),
         (((), ()),)),
    _row("np_geomspace", lambda a, b: fnp.geomspace(a, b, 5, endpoint=False),
         lambda a, b: np.geomspace(a, b, 5, endpoint=False), (((), ()),), make_args=_positive),
    _row("np_vander", lambda x: fnp.vander(x, 4), lambda x: np.vander(x, 4), VEC),
    _row("np_diff", lambda x: fnp.diff(x, 2, axis=0), lambda x: np.diff(x, 2, axis=0),
         (((5,),), ((4, 3),))),
    _row("np_ediff1d", lambda x: fnp.ediff1d(x, to_begin=1.0),
         lambda x: np.ediff1d(x, to_begin=1.0), (((5,),), ((2, 3),))),
    _row("np_take_along_axis", lambda x: fnp.take_along_axis(x, np.array([[2, 0], [1, 1],
                                                                          [0, 3]]), 1),
         lambda x: np.take_along_axis(x, np.array([[2, 0], [1, 1], [0, 3]]), 1), (((3, 4),),)),
    _row("np_put_along_axis", lambda x, v: fnp.put_along_axis(x, np.array([[2], [0], [3]]), v,
                                                              1),
         lambda x, v: _np_put_along(x, np.array([[2], [0], [3]]), v, 1), (((3, 4), (3, 1)),)),
    _row("np_append", lambda x, y: fnp.append(x, y, 0), lambda x, y: np.append(x, y, 0),
         (((3, 2), (1, 2)),)),
    _row("np_insert", lambda x: fnp.insert(x, [1, 1, 3], 9.0, axis=1),
         lambda x: np.insert(x, [1, 1, 3], 9.0, axis=1), (((2, 4),),)),
    _row("np_delete", lambda x: fnp.delete(x, [0, 2], axis=1),
         lambda x: np.delete(x, [0, 2], axis=1), (((2, 4),),)),
    _row("np_rot90", lambda x: fnp.rot90(x, 3, (0, 1)), lambda x: np.rot90(x, 3, (0, 1)),
         MAT + (((2, 3, 4),),)),
    _row("np_rollaxis", lambda x: fnp.rollaxis(x, 2), lambda x: np.rollaxis(x, 2),
         (((2, 3, 4),),)),
    _same("kron", (((2, 3), (3, 2)), ((3,), (2,)))),
    _same("cross", PAIR3),
    _row("np_block", lambda a, b: fnp.block([[a, b], [b, a]]),
         lambda a, b: np.block([[a, b], [b, a]]), (((2, 2), (2, 2)),)),
    _row("np_select", lambda x: fnp.select([x > 0.5, x < -0.5], [x, x * x], 0.25),
         lambda x: np.select([x > 0.5, x < -0.5], [x, x * x], 0.25), (((6,),),)),
    _row("np_piecewise", lambda x: fnp.piecewise(x, [x < 0], [lambda t: -t, lambda t: t * t]),
         lambda x: np.piecewise(x, [x < 0], [lambda t: -t, lambda t: t * t]), (((6,),),)),
    _row("np_hsplit", lambda x: fnp.hsplit(x, 2), lambda x: np.hsplit(x, 2), (((3, 4),),)),
    _row("np_vsplit", lambda x: fnp.vsplit(x, [1]), lambda x: np.vsplit(x, [1]), (((3, 4),),)),
    _row("np_dsplit", lambda x: fnp.dsplit(x, 2), lambda x: np.dsplit(x, 2), (((2, 3, 4),),)),
    _row("np_pad_constant", lambda x: fnp.pad(x, ((1, 2), (0, 1)), constant_values=(1.5, 2)),
         lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=(1.5, 2)), MAT),
    # maximum/minimum in float64 only: float32 finite differences cross near-ties
    *[_row(f"np_pad_{mode}", lambda x, mode=mode: fnp.pad(x, (2, 3), mode),
           lambda x, mode=mode: np.pad(x, (2, 3), mode), MAT,
           (F64,) if mode in ("maximum", "minimum") else FLOATS)
      for mode in ("edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum",
                   "minimum", "mean")],
    _row("np_pad_reflect_odd", lambda x: fnp.pad(x, 5, "reflect", reflect_type="odd"),
         lambda x: np.pad(x, 5, "reflect", reflect_type="odd"), MAT),
    _same("hypot", ((((4,), (4,)),) + (((2, 3), (3,)),))),
    _same("logaddexp2", (((4,), (4,)), ((2, 3), (3,)))),
    _same("fmax", (((4,), (4,)), ((2, 3), (3,)))),
    _same("fmin", (((4,), (4,)), ((2, 3), (3,)))),
    _row("np_fmax_nan", fnp.fmax, np.fmax, (((4,), (4,)),), make_args=_with_nans,
         differentiable=False),
    _row("np_fmin_nan", fnp.fmin, np.fmin, (((4,), (4,)),), make_args=_with_nans,
         differentiable=False),
    _same("copysign", (((4,), (4,)),)),
    _same("heaviside", (((4,), (4,)),), differentiable=False),
    _same("deg2rad", VEC), _same("rad2deg", VEC), _same("rint", VEC, differentiable=False),
    _same("fix", VEC, differentiable=False), _same("nan_to_num", VEC, make_args=_with_nans),
    _same("ldexp", VEC, np.int32(3)),
    _row("np_frexp", fnp.frexp, np.frexp, VEC, differentiable=False),
    _row("np_isclose", lambda a, b: fnp.isclose(a, b, atol=0.5),
         lambda a, b: np.isclose(a, b, atol=0.5), (((4,), (4,)),), differentiable=False),
    _row("np_allclose", lambda a, b: fnp.allclose(a, b, atol=0.5),
         lambda a, b: np.asarray(np.allclose(a, b, atol=0.5)), (((4,), (4,)),),
         differentiable=False),
    _row("np_array_equal", lambda a, b: fnp.array_equal(a, a),
         lambda a, b: np.asarray(np.array_equal(a, a)), (((4,), (4,)),), differentiable=False),
    *[_row(f"np_{n}", lambda x, n=n: getattr(fnp, n)(x, axis=0),
           lambda x, n=n: getattr(np, n)(x, axis=0), (((4, 3),),), make_args=_with_nans,
           differentiable=n not in ("nanargmax", "nanargmin"))
      for n in ("nanmax", "nanmin", "nanargmax", "nanargmin", "nanprod", "nancumsum",
                "nancumprod", "nanvar", "nanstd")],
    _row("np_count_nonzero", lambda x: fnp.count_nonzero(x > 0, axis=1),
         lambda x: np.count_nonzero(x > 0, axis=1), (((3, 4),),), differentiable=False),
    _same("cov", (((3, 6),),)),
    _row("np_cov_weights", lambda x: fnp.cov(x, fweights=np.arange(1, 7), aweights=np.ones(6)),
         lambda x: np.cov(x, fweights=np.arange(1, 7), aweights=np.ones(6)), (((3, 6),),)),
    _same("corrcoef", (((3, 6),),)),
    _same("trapezoid", ((((3, 5),),) + (((5,),),))),
    _row("np_trapezoid_x", lambda y, x: fnp.trapezoid(y, x), lambda y, x: np.trapezoid(y, x),
         (((3, 5), (5,)),)),
    _row("np_gradient", lambda x: fnp.gradient(x, 0.5, edge_order=2),
         lambda x: np.gradient(x, 0.5, edge_order=2), (((5,),), ((4, 3),))),
    _row("np_bincount", lambda w: fnp.bincount(np.array([0, 3, 1, 3]), w, length=5),
         lambda w: np.bincount(np.array([0, 3, 1, 3]), w, minlength=5), (((4,),),)),
    _row("np_histogram", lambda a, w: fnp.histogram(a, 4, (-2, 2), weights=w),
         lambda a, w: np.histogram(a, 4, (-2, 2), weights=w), (((9,), (9,)),),
         differentiable=False),
    _row("np_interp", fnp.interp, np.interp, (((7,), (4,), (4,)),), make_args=_interp_args),
    _same("polyval", (((3,), (5,)),)),
    _row("np_polyfit", lambda x, y: fnp.polyfit(x, y, 2), lambda x, y: np.polyfit(x, y, 2),
         (((8,), (8,)),), rtol=1e-8, atol=1e-8),
    _row("np_unique_size", lambda x: fnp.unique(fnp.round(x), size=6, return_counts=True),
         lambda x: _np_unique_size(np.round(x), 6), (((5,),), ((2, 3),)), differentiable=False),
    _row("np_nonzero_size", lambda x: fnp.nonzero(x > 0, size=4),
         lambda x: _np_nonzero_size(x > 0, 4), (((6,),), ((2, 3),)), differentiable=False),
    _row("np_argwhere_size", lambda x: fnp.argwhere(x > 0, size=4, fill_value=-1),
         lambda x: _np_argwhere_size(x > 0, 4), (((2, 3),),), differentiable=False),
]


def _np_put_along(x, idx, v, axis):
    out = x.copy()
    np.put_along_axis(out, idx, v, axis)
    return out


def _np_unique_size(x, size):
    u, c = np.unique(x, return_counts=True)
    k = min(size, len(u))
    vals = np.full(size, u[0], x.dtype)
    counts = np.zeros(size, np.intp)
    vals[:k], counts[:k] = u[:k], c[:k]
    return vals, counts


def _np_nonzero_size(m, size):
    out = []
    for col in np.nonzero(m):
        full = np.zeros(size, np.intp)
        k = min(size, len(col))
        full[:k] = col[:k]
        out.append(full)
    return tuple(out)


def _np_argwhere_size(m, size):
    rows = np.argwhere(m)[:size]
    out = np.full((size, m.ndim), -1, np.intp)
    out[: len(rows)] = rows
    return out
