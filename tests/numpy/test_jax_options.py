"""JAX keyword options of funcad.numpy functions that NumPy lacks (``repeat``'s
``total_repeat_length``, ...): results equal jax.numpy's (float64 mode) eagerly, under
``funcad.jit`` on both backends and under ``vmap``, and gradients equal JAX's."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadError

jnp = jax.numpy
rng = np.random.default_rng(0)


def _runs(fun):
    """``fun`` eagerly and jitted on both backends."""
    return [("eager", fun), ("numpy", funcad.jit(fun)), ("xla", funcad.jit(fun, backend="xla"))]


def _same(ours, theirs, what, check_dtype=True):
    theirs = np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, (what, ours, theirs)
    assert ours.dtype == theirs.dtype or not check_dtype, (what, ours, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, err_msg=str(what))


# (a, axis, repeats): counts with zeros, at the end, negative (JAX's numbers), a scalar.
REPEAT_CASES = [
    (np.arange(1.0, 4.0), None, [2, 3, 0]),
    (np.arange(1.0, 4.0), 0, [0, 2, 1]),
    (np.arange(1.0, 4.0), 0, [0, 0, 0]),
    (np.arange(1.0, 4.0), 0, [1, -1, 2]),
    (np.arange(1.0, 4.0), 0, 2),
    (rng.normal(size=(2, 3)), 1, [2, 0, 1]),
    (rng.normal(size=(2, 3)), -2, [3, 1]),
    (rng.normal(size=(2, 3)), None, [1, 2, 0, 1, 3, 1]),
    (np.zeros((0, 2)), 0, np.zeros((0,), np.int64)),
]


def test_repeat_total_repeat_length():
    for a, axis, reps in REPEAT_CASES:
        reps = np.asarray(reps)
        total_sum = int(np.sum(np.broadcast_to(reps, (a.size if axis is None else
                                                      a.shape[axis],))))
        for total in sorted({0, 1, max(total_sum - 2, 0), total_sum, total_sum + 3}):
            ref = jnp.repeat(a, reps, axis, total_repeat_length=total)
            for name, f in _runs(lambda x, r, t=total, ax=axis: fnp.repeat(
                    x, r, ax, total_repeat_length=t)):
                _same(f(a, reps), ref, (name, axis, reps, total))
            # traced counts per example (vmap), and the gradient in a
            if reps.ndim == 1 and a.size:
                batch = np.stack([reps, reps[::-1]])
                got = funcad.vmap(lambda r, x=a, t=total, ax=axis: fnp.repeat(
                    x, r, ax, total_repeat_length=t))(batch)
                want = jax.vmap(lambda r, x=a, t=total, ax=axis: jnp.repeat(
                    x, r, ax, total_repeat_length=t))(batch)
                _same(got, want, ("vmap", axis, reps, total))
            w = rng.normal(size=np.shape(ref))
            g = funcad.grad(lambda x, r=reps, t=total, ax=axis, w=w: fnp.sum(
                fnp.repeat(x, r, ax, total_repeat_length=t) * w))(a)
            gj = jax.grad(lambda x, r=reps, t=total, ax=axis, w=w: jnp.sum(
                jnp.repeat(x, r, ax, total_repeat_length=t) * w))(a)
            _same(g, gj, ("grad", axis, reps, total))
    # a scalar a with a scalar count
    _same(fnp.repeat(np.float64(2.5), 3, 0, total_repeat_length=4),
          jnp.repeat(np.float64(2.5), 3, 0, total_repeat_length=4), "scalar")
    # without total_repeat_length, traced counts stay an error; bad totals are errors
    with pytest.raises(FuncadError):
        funcad.jit(lambda r: fnp.repeat(np.arange(3.0), r))(np.array([1, 2, 3]))
    for bad in (-1, 2.5, np.array([1, 2])):
        with pytest.raises(FuncadError):
            fnp.repeat(np.arange(3.0), 2, total_repeat_length=bad)
    with pytest.raises(FuncadError):
        fnp.repeat(np.arange(3.0), np.array([1, 2]), total_repeat_length=3)


TAKE_ARRAYS = [np.arange(1.0, 5.0), np.arange(4), np.arange(4).astype(np.uint8),
               np.arange(4) > 1, np.arange(-2, 2).astype(np.int8)]
TAKE_INDICES = np.array([0, 3, 4, -1, -5, 7])


def test_take_fill_value_and_hints():
    for arr in TAKE_ARRAYS:
        for mode, fill in [("fill", None), ("fill", 3), ("fill", 2.7), (None, 2), ("clip", 2),
                           ("wrap", None)]:
            ref = jnp.take(arr, TAKE_INDICES, mode=mode, fill_value=fill)
            for name, f in _runs(lambda x, i, m=mode, v=fill: fnp.take(
                    x, i, mode=m, fill_value=v, unique_indices=False,
                    indices_are_sorted=False)):
                _same(f(arr, TAKE_INDICES), ref, (name, arr.dtype, mode, fill))
    x = rng.normal(size=(3, 4))
    idx = np.array([2, 0, 3])  # unique, in bounds: the hints do not change the numbers
    ref = jnp.take(x, idx, axis=1, unique_indices=True, indices_are_sorted=True)
    _same(fnp.take(x, idx, axis=1, unique_indices=True, indices_are_sorted=True), ref, "hints")
    w = rng.normal(size=(3, 6))
    g = funcad.grad(lambda y: fnp.sum(fnp.take(y, TAKE_INDICES, 1, mode="fill",
                                               fill_value=0.5) * w))(x)
    gj = jax.grad(lambda y: jnp.sum(jnp.take(y, TAKE_INDICES, 1, mode="fill",
                                             fill_value=0.5) * w))(x)
    _same(g, gj, "grad")
    with pytest.raises(FuncadError):
        fnp.take(x, np.array([0.5]), mode="fill")
    with pytest.raises(FuncadError):
        fnp.take(x, idx, mode="nearest")


def test_take_along_axis_wrap_negative_indices():
    x = rng.normal(size=(2, 4))
    idx = np.array([[0, 3, -1, -5, 4, -4], [1, -2, 2, 9, -9, 0]])
    for mode in (None, "fill", "clip"):
        for wrap in (None, True, False):
            for fill in (None, -7.0):
                ref = jax.numpy.take_along_axis(x, idx, 1, mode=mode, fill_value=fill,
                                                wrap_negative_indices=wrap)
                for name, f in _runs(lambda y, i, m=mode, w=wrap, v=fill: fnp.take_along_axis(
                        y, i, 1, mode=m, fill_value=v, wrap_negative_indices=w)):
                    np.testing.assert_array_equal(f(x, idx), np.asarray(ref),
                                                  err_msg=str((name, mode, wrap, fill)))
    wt = rng.normal(size=idx.shape)
    g = funcad.grad(lambda y: fnp.sum(fnp.take_along_axis(
        y, idx, 1, fill_value=1.0, wrap_negative_indices=False) * wt))(x)
    gj = jax.grad(lambda y: jnp.sum(jnp.take_along_axis(
        y, idx, 1, fill_value=1.0, wrap_negative_indices=False) * wt))(x)
    _same(g, gj, "grad")


def test_sum_prod_promote_integers():
    for dt in (np.int8, np.uint8, np.bool_, np.int16, np.uint32, np.int64, np.float32):
        x = (np.arange(1, 41).reshape(5, 8) % 7).astype(dt)  # int8/uint8 sums and
        for fname in ("sum", "prod"):                        # products wrap around
            for promote in (True, False):
                for dtype, axis in ((None, None), (None, 1), (np.int16, 0)):
                    ref = getattr(jnp, fname)(x, axis, dtype, promote_integers=promote)
                    for name, f in _runs(lambda y, fn=fname, p=promote, d=dtype, ax=axis:
                                         getattr(fnp, fn)(y, ax, d, promote_integers=p)):
                        _same(f(x), ref, (name, dt, fname, promote, dtype, axis))
    x = rng.normal(size=(3, 4))
    for fname in ("sum", "prod"):
        g = funcad.grad(lambda y, fn=fname: getattr(fnp, fn)(y, promote_integers=False))(x)
        _same(g, jax.grad(lambda y, fn=fname: getattr(jnp, fn)(y, promote_integers=False))(x),
              ("grad", fname))


def test_searchsorted_method():
    a = np.sort(rng.normal(size=7))
    v = np.concatenate([rng.normal(size=5), a[[0, 3, 6]]])
    for method in ("scan", "scan_unrolled", "sort", "compare_all"):
        for side in ("left", "right"):
            ref = jnp.searchsorted(a, v, side, method=method)
            for name, f in _runs(lambda x, y, s=side, m=method: fnp.searchsorted(
                    x, y, s, method=m)):  # funcad's indices are NumPy's intp, JAX's int32
                _same(f(a, v), ref, (name, method, side), check_dtype=False)
    with pytest.raises(FuncadError, match="scan_unrolled"):
        fnp.searchsorted(a, v, method="binary")


def test_polyval_unroll():
    p = rng.normal(size=5)
    x = rng.normal(size=(2, 3))
    for unroll in (0, 1, 3, 16, True, False):
        ref = jnp.polyval(p, x, unroll=unroll)
        for name, f in _runs(lambda c, y, u=unroll: fnp.polyval(c, y, unroll=u)):
            _same(f(p, x), ref, (name, unroll))
        for argnum in (0, 1):
            g = funcad.grad(lambda c, y, u=unroll: fnp.sum(fnp.polyval(c, y, unroll=u)),
                            argnum)(p, x)
            gj = jax.grad(lambda c, y, u=unroll: jnp.sum(jnp.polyval(c, y, unroll=u)),
                          argnum)(p, x)
            _same(g, gj, ("grad", unroll, argnum))
    for bad in (-1, 2.5, "all"):
        with pytest.raises(FuncadError):
            fnp.polyval(p, x, unroll=bad)


def test_nan_reductions_initial():
    x = np.array([[np.nan, np.nan, np.nan], [1.0, np.nan, 4.0], [3.0, -2.0, 0.5]])
    xi = np.array([[1, 5, 2], [0, -3, 9]], np.int8)
    for fname in ("nanmax", "nanmin", "nanprod"):
        for arr, initial in ((x, None), (x, 0.5), (x, 2.0), (xi, 7), (xi, 3.5)):
            for axis, keepdims in ((None, False), (1, False), (0, True)):
                ref = getattr(jnp, fname)(arr, axis, keepdims=keepdims, initial=initial)
                for name, f in _runs(lambda y, fn=fname, ax=axis, k=keepdims, i=initial:
                                     getattr(fnp, fn)(y, ax, keepdims=k, initial=i)):
                    _same(f(arr), ref, (name, fname, arr.dtype, initial, axis))
        y = rng.normal(size=(3, 4))
        y[0, 1] = np.nan
        g = funcad.grad(lambda v, fn=fname: fnp.sum(getattr(fnp, fn)(v, 1, initial=0.25)))(y)
        gj = jax.grad(lambda v, fn=fname: jnp.sum(getattr(jnp, fn)(v, 1, initial=0.25)))(y)
        _same(g, gj, ("grad", fname))
        with pytest.raises(FuncadError):
            getattr(fnp, fname)(x, where=np.ones(x.shape, bool))
        with pytest.raises(FuncadError):
            getattr(fnp, fname)(x, out=np.zeros(()))


def test_take_default_mode_fills_traced_out_of_bounds_indices_as_jax():
    """``mode=None`` is JAX's 'fill' for traced indices (it clamped them: other numbers
    than JAX's); concrete out-of-bounds indices stay NumPy's IndexError."""
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([5, -1, -5, 2, 3])
    for axis in (None, 0, 1):
        expected = jnp.take(x, idx, axis=axis)
        for backend in ("numpy", "xla"):
            got = funcad.jit(lambda i, axis=axis: fnp.take(x, i, axis=axis), backend=backend)(idx)
            np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(funcad.vmap(lambda i, axis=axis: fnp.take(x, i, axis=axis))(idx),
                                      jax.vmap(lambda i, axis=axis: jnp.take(x, i, axis=axis))(idx))
    ours = funcad.jit(funcad.grad(lambda x, i: fnp.nansum(fnp.take(x, i, axis=1) ** 2)))
    theirs = jax.grad(lambda x, i: jnp.nansum(jnp.take(x, i, axis=1) ** 2))
    np.testing.assert_array_equal(ours(x, idx), theirs(x, idx))
    np.testing.assert_array_equal(fnp.take(x, np.array([1, -1]), axis=1),
                                  jnp.take(x, np.array([1, -1]), axis=1))
    with pytest.raises(IndexError):
        fnp.take(x, idx, axis=1)


def test_fill_values_take_the_operand_dtype_as_jax():
    """A fill value is converted to the operand's dtype as JAX converts it (-9 fills a
    uint8 array with 247; 2.7 fills an integer one with 2), not a Python OverflowError."""
    x = np.arange(5, dtype=np.uint8)
    idx = np.array([7, 1, -9])
    for fill in (-9, 2.7, 300):
        expected = jnp.take(x, idx, mode="fill", fill_value=fill)
        np.testing.assert_array_equal(fnp.take(x, idx, mode="fill", fill_value=fill), expected)
        for backend in ("numpy", "xla"):
            got = funcad.jit(lambda i, f=fill: fnp.take(x, i, mode="fill", fill_value=f),
                             backend=backend)(idx)
            np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(
            fnp.asarray(x).at[idx].get(mode="fill", fill_value=fill),
            jnp.asarray(x).at[idx].get(mode="fill", fill_value=fill))
