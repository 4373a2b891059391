"""The once-partial features of funcad.numpy functions, table-driven: ``pad`` with
``median`` and a callable mode, ``gradient`` with coordinate arrays, ``interp`` with
``period``, ``polyfit`` with ``full``/``cov``/``w``/2-D ``y``, ``histogram`` with NumPy's
string estimators and ``unique`` along an axis under transforms. Values against NumPy,
derivatives against JAX (float64), jit on both backends against eager, and the errors for
what cannot be done."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.errors import ConcretizationError, FuncadTypeError, FuncadValueError

jnp = jax.numpy
BACKENDS = ("numpy", "xla")


def _close(a, b, what="", tol=1e-12):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb), what
    for x, y in zip(la, lb):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape, f"{what}: shape {x.shape} vs {y.shape}"
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def _same_dtypes(a, b, what=""):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        assert np.asarray(x).dtype == np.asarray(y).dtype, what


# --- pad(mode="median") -----------------------------------------------------------------------

def test_pad_median_matches_numpy_and_jax():
    rng = np.random.default_rng(0)
    arrays = (rng.normal(size=(3, 4)), rng.integers(-5, 5, size=(4, 5)), rng.normal(size=6),
              rng.normal(size=(2, 3, 4)).astype(np.float32))
    for x in arrays:
        for width in (1, (2, 3), 7):
            for stat in (None, 1, 2, (1, 3), 50):
                ours = fnp.pad(x, width, "median", stat_length=stat)
                theirs = np.pad(x, width, "median", stat_length=stat)
                _close(ours, theirs, f"median {x.dtype} {width} {stat}")
                _same_dtypes(ours, theirs)
    x = rng.normal(size=(3, 4))
    for stat in (None, ((1, 2), (3, 1))):
        def f(x, ns, stat=stat):
            return ns.pad(x, ((1, 2), (2, 1)), "median", stat_length=stat)
        for backend in BACKENDS:
            _close(funcad.jit(lambda x: f(x, fnp), backend=backend)(x), f(x, np), backend)
        _close(funcad.jacrev(lambda x: f(x, fnp))(x), jax.jacrev(lambda x: f(x, jnp))(x),
               "median jacobian")
        _close(funcad.vmap(lambda x: f(x, fnp))(np.stack([x, 2 * x])),
               np.stack([f(x, np), f(2 * x, np)]), "median vmap")


# --- pad with a callable mode -----------------------------------------------------------------

def _numpy_doc_padder(vector, pad_width, iaxis, kwargs):
    """NumPy's documented example: assigns into the row, returns nothing."""
    pad_value = kwargs.get("padder", 10)
    vector[:pad_width[0]] = pad_value
    vector[-pad_width[1]:] = pad_value


def _reflect_scaled(vector, pad_width, iaxis, kwargs):
    """A JAX-style padder: returns the row, built from its own values."""
    n = vector.shape[0]
    lo, hi = pad_width
    s = kwargs.get("scale", 1.0)
    vector = vector.at[:lo].set(s * vector[lo] - iaxis)
    return vector.at[n - hi:].set(vector[n - hi - 1] * vector[lo] * s)


def test_pad_callable_numpy_protocol_eagerly():
    rng = np.random.default_rng(1)
    for x in (np.arange(6).reshape(2, 3), rng.normal(size=(3, 2, 2)), rng.normal(size=4)):
        for width in (2, (1, 3), ((0, 1),) * x.ndim):
            for kw in ({}, {"padder": 100}):
                ours = fnp.pad(x, width, _numpy_doc_padder, **kw)
                theirs = np.pad(x, width, _numpy_doc_padder, **kw)
                _close(ours, theirs, f"numpy protocol {x.shape} {width} {kw}")
                _same_dtypes(ours, theirs)


def test_pad_callable_jax_protocol_under_transforms():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4))
    width = ((1, 2), (2, 1))

    def ours(x, s=1.5):
        return fnp.pad(x, width, _reflect_scaled, scale=s)

    def theirs(x, s=1.5):
        return jnp.pad(x, width, _reflect_scaled, scale=s)

    _close(ours(x), theirs(x), "eager")
    assert isinstance(ours(x), np.ndarray)
    for backend in BACKENDS:
        _close(funcad.jit(ours, backend=backend)(x), theirs(x), f"jit {backend}")
    _close(funcad.jacrev(ours)(x), jax.jacrev(theirs)(x), "jacrev")
    _close(funcad.grad(lambda s: fnp.sum(ours(x, s) ** 2))(0.7),
           jax.grad(lambda s: jnp.sum(theirs(x, s) ** 2))(0.7), "grad in a keyword")
    def closing_over(s, ns):  # a concrete array, the padder closes over a traced value
        return ns.sum(ns.pad(x, 1, lambda v, w, a, k: v.at[:w[0]].set(s * v[w[0]])) ** 2)
    _close(funcad.grad(lambda s: closing_over(s, fnp))(2.0),
           jax.grad(lambda s: closing_over(s, jnp))(2.0), "grad in a closure")
    xs = rng.normal(size=(5, 4))
    _close(funcad.vmap(lambda r: fnp.pad(r, (2, 1), _reflect_scaled))(xs),
           jax.vmap(lambda r: jnp.pad(r, (2, 1), _reflect_scaled))(xs), "vmap")
    ints = rng.integers(-4, 4, size=(2, 3))
    _close(fnp.pad(ints, 1, _reflect_scaled, scale=2), np.asarray(
        jnp.pad(ints, 1, _reflect_scaled, scale=2)), "integers")


def test_pad_callable_errors():
    x = np.ones((2, 3))
    with pytest.raises(FuncadTypeError, match="must return the padded row"):
        funcad.grad(lambda x: fnp.sum(fnp.pad(x, 1, _numpy_doc_padder)))(x)
    with pytest.raises(FuncadTypeError, match="must return the padded row"):
        funcad.jit(lambda x: fnp.pad(x, 1, lambda v, w, a, k: None))(x)
    with pytest.raises(FuncadValueError, match="must return the whole row"):
        fnp.pad(x, 1, lambda v, w, a, k: v[1:])
    with pytest.raises(FuncadValueError, match="must return the whole row"):
        funcad.jit(lambda x: fnp.pad(x, 1, lambda v, w, a, k: v[1:]))(x)


# --- gradient with coordinate arrays ----------------------------------------------------------

def _grid(rng, n):
    return np.cumsum(rng.uniform(0.2, 1.0, n))


def test_gradient_coordinates_match_numpy():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(5, 4))
    x, y = _grid(rng, 5), _grid(rng, 4)
    spacings = [(x, y), (x, 0.5), (2.0, y), (np.arange(5), np.arange(4) * 3),
                (np.arange(5.0) * 0.25, np.float64(1.5)), (x.astype(np.float32), y)]
    for edge in (1, 2):
        for args in spacings:
            for data in (f, f.astype(np.float32), np.round(10 * f).astype(np.int64)):
                ours = fnp.gradient(data, *args, edge_order=edge)
                theirs = np.gradient(data, *args, edge_order=edge)
                tol = 1e-12 if np.asarray(theirs[0]).dtype == np.float64 else 1e-6
                _close(ours, theirs, f"edge {edge} {data.dtype}", tol)
                _same_dtypes(ours, theirs)
        _close(fnp.gradient(f[:, 0], x, edge_order=edge), np.gradient(f[:, 0], x,
                                                                    edge_order=edge))
        _close(fnp.gradient(f, y, axis=1, edge_order=edge),
               np.gradient(f, y, axis=1, edge_order=edge))
        _close(fnp.gradient(f, y, x, axis=(1, 0), edge_order=edge),
               np.gradient(f, y, x, axis=(1, 0), edge_order=edge))


def test_gradient_coordinates_derivatives_and_jit():
    rng = np.random.default_rng(4)
    f, x, y = rng.normal(size=(5, 4)), _grid(rng, 5), _grid(rng, 4)
    for argnums in (0, 1, 2):  # JAX's gradient has edge_order=1 only
        _close(funcad.jacfwd(lambda f, x, y: fnp.gradient(f, x, y), argnums)(f, x, y),
               jax.jacfwd(lambda f, x, y: jnp.gradient(f, x, y), argnums)(f, x, y),
               f"jacfwd {argnums}", 1e-10)
        _close(funcad.jacrev(lambda f, x, y: fnp.gradient(f, x, y), argnums)(f, x, y),
               jax.jacrev(lambda f, x, y: jnp.gradient(f, x, y), argnums)(f, x, y),
               f"jacrev {argnums}", 1e-10)
    for backend in BACKENDS:
        for edge in (1, 2):
            _close(funcad.jit(lambda f, x, e=edge: fnp.gradient(f, x, y, edge_order=e),
                              backend=backend)(f, x), np.gradient(f, x, y, edge_order=edge),
                   f"jit {backend}")
    xs = np.stack([x, 2 * x, x + 1])
    _close(funcad.vmap(lambda x: fnp.gradient(f, x, axis=0, edge_order=2))(xs),
           np.stack([np.gradient(f, c, axis=0, edge_order=2) for c in xs]), "vmap")


def test_gradient_coordinates_errors():
    f = np.ones((4, 3))
    with pytest.raises(FuncadValueError, match="must match the length"):
        fnp.gradient(f, np.arange(3.0), np.arange(3.0))
    with pytest.raises(FuncadValueError, match="scalars or 1d"):
        fnp.gradient(f, np.ones((4, 3)), 1.0)
    with pytest.raises(FuncadTypeError, match="invalid number of spacing"):
        fnp.gradient(f, 1.0, 2.0, 3.0)
    with pytest.raises(FuncadValueError, match="too small"):
        fnp.gradient(np.ones(2), np.arange(2.0), edge_order=2)


# --- interp(period=) --------------------------------------------------------------------------

def test_interp_period_matches_numpy_and_jax():
    rng = np.random.default_rng(5)
    xp = rng.uniform(-5, 5, 6)
    fp = rng.normal(size=6)
    x = rng.uniform(-12, 12, 9)
    for period in (3.0, -4.5, 360.0, 2 * np.pi, 7):
        _close(fnp.interp(x, xp, fp, period=period), np.interp(x, xp, fp, period=period))
        _close(fnp.interp(x, xp, fp, -9.0, 9.0, period), np.interp(x, xp, fp, -9, 9, period),
               "left/right ignored")
        z = fp + 1j * fp[::-1]
        _close(fnp.interp(x, xp, z, period=period), np.interp(x, xp, z, period=period))
        _close(fnp.interp(2.5, xp, fp, period=period), np.interp(2.5, xp, fp, period=period))
        for argnums in (0, 1, 2, 5):
            _close(funcad.jacfwd(fnp.interp, argnums)(x, xp, fp, None, None, float(period)),
                   jax.jacfwd(jnp.interp, argnums)(x, xp, fp, None, None, float(period)),
                   f"period {period} d/arg{argnums}", 1e-10)
        for backend in BACKENDS:
            _close(funcad.jit(lambda x, xp, fp, p=period: fnp.interp(x, xp, fp, period=p),
                              backend=backend)(x, xp, fp), np.interp(x, xp, fp, period=period))
    xs = np.stack([x, x + 1])
    _close(funcad.vmap(lambda q: fnp.interp(q, xp, fp, period=2.0))(xs),
           np.stack([np.interp(q, xp, fp, period=2.0) for q in xs]))
    srt = np.sort(xp)
    _close(fnp.interp(x, srt, fp, "extrapolate", "extrapolate"),
           jnp.interp(x, srt, fp, "extrapolate", "extrapolate"), "extrapolate", 1e-12)
    with pytest.raises(FuncadValueError, match="non-zero"):
        fnp.interp(x, xp, fp, period=0)
    with pytest.raises(FuncadValueError, match="scalar"):
        fnp.interp(x, xp, fp, period=np.ones(2))
    with pytest.raises(FuncadValueError, match="extrapolate"):
        fnp.interp(x, srt, fp, left="constant")


# --- polyfit -----------------------------------------------------------------------------------

def _fit_case(rng, n=9):
    x = np.linspace(-1, 2, n) + rng.uniform(-0.05, 0.05, n)
    y = np.sin(2 * x) + 0.1 * rng.normal(size=n)
    return x, y, np.stack([y, np.cos(x), x**2], 1), rng.uniform(0.5, 2, n)


def test_polyfit_options_match_numpy():
    rng = np.random.default_rng(6)
    x, y, ys, w = _fit_case(rng)
    options = [{}, {"full": True}, {"cov": True}, {"cov": "unscaled"}, {"w": w},
               {"w": w, "cov": True}, {"rcond": 1e-3, "full": True}, {"w": w, "full": True},
               {"w": w.astype(np.float32), "full": True}]
    for target in (y, ys, y.astype(np.float32), ys + 1j * ys[::-1]):
        for kw in options:
            for xx in (x, x.astype(np.float32), np.arange(9)):
                ours, theirs = fnp.polyfit(xx, target, 3, **kw), np.polyfit(xx, target, 3, **kw)
                _close(ours, theirs, f"{kw} {target.dtype} {xx.dtype}", 1e-8)
                _same_dtypes(ours, theirs, f"{kw} {target.dtype} {xx.dtype}")
    for deg, n in ((10, 30), (14, 40)):  # ill-conditioned: the normal equations would lose
        # half the digits (relative errors 7e-9 and 5e-4); lstsq keeps NumPy's
        xx = np.linspace(-1, 3, n)
        yy = np.sin(xx) + 0.01 * rng.normal(size=n)
        ours, theirs = fnp.polyfit(xx, yy, deg), np.polyfit(xx, yy, deg)
        assert np.abs(ours - theirs).max() <= 1e-11 * np.abs(theirs).max(), deg
    xs = np.array([1.0, 1, 1, 2, 2, 2])  # rank 2 for a cubic: NumPy warns, no residuals
    with pytest.warns(np.exceptions.RankWarning):
        _close(fnp.polyfit(xs, xs**2, 3), np.polyfit(xs, xs**2, 3), "rank deficient", 1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _close(fnp.polyfit(xs, xs**2, 3, full=True), np.polyfit(xs, xs**2, 3, full=True),
               "rank deficient full", 1e-8)
    _close(fnp.polyfit(x[:3], y[:3], 3, full=True), np.polyfit(x[:3], y[:3], 3, full=True),
           "underdetermined", 1e-8)
    with pytest.raises(FuncadValueError, match="exceed order"):
        fnp.polyfit(x[:4], y[:4], 3, cov=True)
    with pytest.raises(FuncadTypeError, match="same length"):
        fnp.polyfit(x, y[:4], 2)
    with pytest.raises(FuncadTypeError, match="w of y's length"):
        fnp.polyfit(x, y, 2, w=w[:3])


def test_polyfit_derivatives_and_transforms():
    rng = np.random.default_rng(7)
    x, y, ys, w = _fit_case(rng)
    for argnums in (0, 1):
        for fit in (lambda x, y, ns: ns.polyfit(x, y, 3),
                    lambda x, y, ns: ns.polyfit(x, y, 2, w=w, cov=True),
                    lambda x, y, ns: ns.polyfit(x, y, 2, cov="unscaled")):
            for target in (y, ys) if argnums else (ys,):
                _close(funcad.jacfwd(lambda x, y, f=fit: f(x, y, fnp), argnums)(x, target),
                       jax.jacfwd(lambda x, y, f=fit: f(x, y, jnp), argnums)(x, target),
                       f"d/arg{argnums}", 1e-8)
    _close(funcad.jacrev(lambda w: fnp.polyfit(x, y, 2, w=w))(w),
           jax.jacrev(lambda w: jnp.polyfit(x, y, 2, w=w))(w), "d/w", 1e-8)
    for backend in BACKENDS:
        full = funcad.jit(lambda x, y: fnp.polyfit(x, y, 3, full=True), backend=backend)(x, ys)
        _close(full[:4], np.polyfit(x, ys, 3, full=True)[:4], f"full jit {backend}", 1e-8)
        _close(funcad.jit(lambda x, y: fnp.polyfit(x, y, 3, cov=True), backend=backend)(x, y),
               np.polyfit(x, y, 3, cov=True), f"cov jit {backend}", 1e-8)
    _close(funcad.vmap(lambda c: fnp.polyfit(x, c, 2, cov=True))(ys.T),
           [np.stack(v) for v in zip(*(np.polyfit(x, c, 2, cov=True) for c in ys.T))],
           "vmap", 1e-8)


# --- histogram with string bins ---------------------------------------------------------------

ESTIMATORS = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")


def test_histogram_string_bins_match_numpy():
    rng = np.random.default_rng(8)
    data = (rng.normal(size=50), rng.exponential(size=(7, 9)), rng.integers(0, 10, 40),
            rng.integers(0, 1000, 40), np.ones(5), rng.normal(size=300).astype(np.float32),
            np.array([True, False, True]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "may be suboptimal"
        for a in data:
            for bins in ESTIMATORS:
                for rng_ in (None, (-1, 2), (np.float32(-1), np.float32(2.5))):
                    counts, edges = fnp.histogram(a, bins, rng_)
                    n_counts, n_edges = np.histogram(a, bins, rng_)
                    what = f"{a.dtype} {bins} {rng_}"
                    np.testing.assert_array_equal(edges, n_edges, err_msg=what)
                    np.testing.assert_array_equal(counts, n_counts, err_msg=what)
                    _same_dtypes((counts, edges), (n_counts, n_edges), what)
                    np.testing.assert_array_equal(fnp.histogram_bin_edges(a, bins, rng_),
                                                  n_edges, err_msg=what)
                    _close(fnp.histogram(a, bins, rng_, density=True)[0],
                           np.histogram(a, bins, rng_, density=True)[0], what)


def test_histogram_string_bins_under_transforms():
    a = np.random.default_rng(9).normal(size=30)
    for bins in ESTIMATORS:
        count = len(np.histogram_bin_edges(a, bins)) - 1  # JAX takes the count only
        _close(funcad.grad(lambda a, b=bins: fnp.sum(fnp.histogram_bin_edges(a, b) ** 2))(a),
               jax.grad(lambda a, n=count: jnp.sum(jnp.histogram_bin_edges(a, n) ** 2))(a),
               bins)
    with pytest.raises(ConcretizationError, match="integer bins"):
        funcad.jit(lambda a: fnp.histogram(a, "auto")[0])(a)
    with pytest.raises(FuncadTypeError, match="weighted data"):
        fnp.histogram(a, "fd", weights=np.ones_like(a))
    with pytest.raises(FuncadValueError, match="not a valid estimator"):
        fnp.histogram(a, "median")


# --- unique along an axis ---------------------------------------------------------------------

def _unique_both(axis, size, fill=None):
    def make(ns):
        return lambda x: ns.unique(x, True, True, True, axis=axis, size=size, fill_value=fill)
    return make(fnp), make(jnp)


def test_unique_axis_traced_matches_jax_and_numpy():
    rng = np.random.default_rng(10)
    cases = [(rng.integers(0, 2, (6, 3)).astype(float), 0),
             (rng.integers(0, 2, (3, 6)).astype(float), 1),
             (rng.integers(0, 2, (2, 5, 2)).astype(float), 1),
             (rng.integers(-2, 2, (7, 2)), 0), (rng.integers(-2, 2, (2, 7)), -1),
             (np.array([[1 + 2j, 0], [1 + 1j, 3], [1 + 2j, 0], [1 - 1j, 0]]), 0)]
    for x, axis in cases:
        n_unique = np.unique(x, axis=axis).shape[axis]
        for size in (2, n_unique, 8):
            for fill in (None, -7) if size > n_unique else (None,):  # fill only pads
                ours, theirs = _unique_both(axis, size, fill)
                expected = theirs(x)
                backends = BACKENDS if size == 8 and fill is not None else ("numpy",)
                for backend in backends:  # (XLA compiles are slow: one case each)
                    _close(funcad.jit(ours, backend=backend)(x), expected,
                           f"{x.shape} axis {axis} size {size} fill {fill} {backend}")
                _close(ours(x), expected, "eager")
                if size == n_unique:
                    _close(ours(x)[0], np.unique(x, axis=axis), "numpy")
    xs = rng.integers(0, 2, (4, 6, 3)).astype(float)
    ours, theirs = _unique_both(0, 5)
    _close(funcad.vmap(ours)(xs), jax.vmap(theirs)(xs), "vmap")
    x = rng.normal(size=(5, 3))
    x[3] = x[1]
    for axis in (0, 1):
        def loss(x, ns, axis=axis):
            return ns.sum(ns.unique(x, axis=axis, size=4) ** 3)
        expected = jax.grad(lambda x: loss(x, jnp))(x)
        _close(funcad.grad(lambda x: loss(x, fnp))(x), expected, f"grad axis {axis}")
        _close(funcad.jit(funcad.grad(lambda x: loss(x, fnp)))(x), expected, "jit grad")


def test_unique_axis_nan_slices_stay_apart_as_numpy():
    x = np.array([[np.nan, 1.0], [0.0, 2.0], [np.nan, 1.0], [0.0, np.nan], [0.0, 1.0],
                  [-1.0, 5.0], [0.0, np.nan]])
    expected = np.unique(x, True, True, True, axis=0)
    got = funcad.jit(lambda x: fnp.unique(x, True, True, True, axis=0, size=7))(x)
    _close(got, expected, "NaN slices")
    empty = np.zeros((3, 0))  # NumPy: one (empty) unique slice, padded to size as always
    _close(funcad.jit(lambda x: fnp.unique(x, True, True, True, axis=0, size=2,
                                           fill_value=0))(empty),
           (np.zeros((2, 0)), np.zeros(2), np.zeros(3), np.array([3, 0])), "empty slices")
