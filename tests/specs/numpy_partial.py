"""Op-spec rows of the once-partial ``funcad.numpy`` features (issue 14): ``pad`` with
``median`` and a callable mode, ``gradient`` with coordinate arrays, ``interp`` with
``period``, ``polyfit`` with ``full``/``cov``/``w``/2-D ``y``, ``unique`` along an axis
with ``size`` (values vs NumPy, derivatives vs finite differences, vmap vs loop, jit vs
eager on both backends, through the generic harness)."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp

from specs.spec import F64, FLOATS, OpSpec, uniform_args

MAT = (((3, 4),), ((4, 4),))


def _row(name, fn, ref, cases, dtypes=FLOATS, **kw):
    return OpSpec(name, fn, ref, cases, dtypes, **kw)


# --- pad -------------------------------------------------------------------------------------
# median in float64 only: float32 finite differences cross near-ties (as maximum/minimum)

def _pad_rows_functional(v, width, axis, kw):
    """A padding function in JAX's protocol (returns the row), depending on the row."""
    n = v.shape[0]
    v = v.at[:width[0]].set(v[width[0]] * kw["scale"] + axis)
    return v.at[n - width[1]:].set(v[n - width[1] - 1] ** 2)


def _pad_rows_in_place(v, width, axis, kw):
    """The same padding in NumPy's protocol (assigns into the row)."""
    n = v.shape[0]
    v[:width[0]] = v[width[0]] * kw["scale"] + axis
    v[n - width[1]:] = v[n - width[1] - 1] ** 2


PAD_SPECS = [
    _row("np_pad_median", lambda x: fnp.pad(x, (2, 3), "median"),
         lambda x: np.pad(x, (2, 3), "median"), MAT, (F64,)),
    _row("np_pad_median_stat", lambda x: fnp.pad(x, ((1, 2), (2, 1)), "median",
                                                  stat_length=((2, 3), (1, 2))),
         lambda x: np.pad(x, ((1, 2), (2, 1)), "median", stat_length=((2, 3), (1, 2))), MAT,
         (F64,)),
    _row("np_pad_callable", lambda x: fnp.pad(x, ((1, 2), (2, 0)), _pad_rows_functional,
                                               scale=1.5),
         lambda x: np.pad(x, ((1, 2), (2, 0)), _pad_rows_in_place, scale=1.5), MAT),
]


# --- gradient, interp --------------------------------------------------------------------------

def _coords(rng, n, dtype):
    return np.cumsum(rng.uniform(0.6, 1.2, n)).astype(dtype)  # steps not too small:
    # the derivatives in the coordinates grow as 1 / step**3


def _f_and_coords(rng, shapes, dtype):
    """Samples, then increasing coordinates for each further shape ``(n,)``."""
    f = uniform_args(rng, shapes[:1], dtype)[0]
    return [f] + [_coords(rng, s[0], dtype) for s in shapes[1:]]


def _periodic_args(period):
    """Knots and query points on a grid of a twelfth of a period, the queries halfway
    between grid points (so no finite difference crosses a kink), each shifted by whole
    periods (so reducing modulo the period reorders the knots)."""
    p = abs(period)

    def make(rng, shapes, dtype):
        (m,), (k,) = shapes[0], shapes[1]
        cell = p / 12
        knots = (rng.choice(12, k, replace=False) + 0.1) * cell
        queries = (rng.integers(0, 12, m) + 0.55) * cell
        xp = knots + p * rng.integers(-2, 3, k)
        x = queries + p * rng.integers(-2, 3, m)
        return [x.astype(dtype), xp.astype(dtype), rng.normal(size=shapes[2]).astype(dtype)]
    return make


GRID_SPECS = [
    *[_row(f"np_gradient_coords_e{e}", lambda f, x, e=e: fnp.gradient(f, x, edge_order=e),
           lambda f, x, e=e: np.gradient(f, x, edge_order=e), (((6,), (6,)),),
           make_args=_f_and_coords) for e in (1, 2)],
    *[_row(f"np_gradient_coords_2d_e{e}",
           lambda f, x, y, e=e: fnp.gradient(f, x, y, edge_order=e),
           lambda f, x, y, e=e: np.gradient(f, x, y, edge_order=e),
           (((5, 4), (5,), (4,)),), make_args=_f_and_coords) for e in (1, 2)],
    _row("np_gradient_coords_mixed", lambda f, y: fnp.gradient(f, 0.5, y, edge_order=2),
         lambda f, y: np.gradient(f, 0.5, y, edge_order=2), (((4, 5), (5,)),),
         make_args=_f_and_coords),
    _row("np_interp_period", lambda x, xp, fp: fnp.interp(x, xp, fp, period=3.0),
         lambda x, xp, fp: np.interp(x, xp, fp, period=3.0), (((7,), (5,), (5,)),),
         make_args=_periodic_args(3.0)),
    _row("np_interp_period_neg", lambda x, xp, fp: fnp.interp(x, xp, fp, period=-2 * np.pi),
         lambda x, xp, fp: np.interp(x, xp, fp, period=-2 * np.pi), (((7,), (5,), (5,)),),
         make_args=_periodic_args(-2 * np.pi)),
]


# --- polyfit -----------------------------------------------------------------------------------

def _fit_data(rng, shapes, dtype):
    n = shapes[0][0]  # spread points: a well-conditioned fit, so rounding stays small
    x = np.linspace(-1.0, 1.0, n) + rng.uniform(-0.3, 0.3, n) / n
    out = [x.astype(dtype)]
    for s in shapes[1:]:
        out.append(rng.normal(size=s).astype(dtype))
    if len(out) == 3:  # weights, positive
        out[2] = np.abs(out[2]) + 0.5
    return out


def _fit_full(fn):
    """Coefficients, residuals and singular values (the rank is checked apart)."""
    def full(x, y):
        c, resids, _, s, _ = fn(x, y, 3, full=True)
        return c, resids, s
    return full


POLYFIT_SPECS = [
    _row("np_polyfit_full", _fit_full(fnp.polyfit), _fit_full(np.polyfit),
         (((8,), (8,)), ((8,), (8, 2))), make_args=_fit_data, rtol=1e-8, atol=1e-8),
    _row("np_polyfit_cov", lambda x, y, w: fnp.polyfit(x, y, 2, w=w, cov=True),
         lambda x, y, w: np.polyfit(x, y, 2, w=w, cov=True),
         (((8,), (8,), (8,)), ((8,), (8, 3), (8,))), make_args=_fit_data, rtol=1e-8,
         atol=1e-8),
    _row("np_polyfit_cov_unscaled", lambda x, y: fnp.polyfit(x, y, 3, cov="unscaled"),
         lambda x, y: np.polyfit(x, y, 3, cov="unscaled"), (((8,), (8,)), ((8,), (8, 2))),
         make_args=_fit_data, rtol=1e-8, atol=1e-8),
]


# --- unique along an axis ----------------------------------------------------------------------

def _np_unique_axis(x, axis, size):
    """NumPy's unique along ``axis``, padded to ``size`` as JAX's: values with the smallest
    slice, first indices with its index, counts with 0."""
    u, i, inv, c = np.unique(x, True, True, True, axis=axis)
    u = np.moveaxis(u, axis, 0)
    k = min(size, len(i))
    vals = np.broadcast_to(u[:1], (size,) + u.shape[1:]).copy()
    vals[:k] = u[:k]
    idx = np.full(size, i[0])
    idx[:k] = i[:k]
    counts = np.zeros(size, np.intp)
    counts[:k] = c[:k]
    return np.moveaxis(vals, 0, axis), idx, inv, counts


def _fnp_unique_axis(axis, size, ties):
    return lambda x: fnp.unique(fnp.round(x * 0.6) if ties else x, True, True, True,
                                axis=axis, size=size)


def _ref_unique_axis(axis, size, ties):
    return lambda x: _np_unique_axis(np.round(x * 0.6) if ties else x, axis, size)


UNIQUE_SPECS = [
    _row("np_unique_axis0_ties", _fnp_unique_axis(0, 4, True), _ref_unique_axis(0, 4, True),
         (((6, 2),), ((5, 1),)), differentiable=False),
    _row("np_unique_axis1_ties", _fnp_unique_axis(1, 7, True), _ref_unique_axis(1, 7, True),
         (((2, 5),), ((2, 3, 2),)), differentiable=False),
    _row("np_unique_axis1", _fnp_unique_axis(1, 3, False), _ref_unique_axis(1, 3, False),
         (((2, 4),), ((3, 3, 2),)), (F64,)),
]

SPECS: list[OpSpec] = [*PAD_SPECS, *GRID_SPECS, *POLYFIT_SPECS, *UNIQUE_SPECS]
