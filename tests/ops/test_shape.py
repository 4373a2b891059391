"""Shape functions and structural primitives: semantics against NumPy (eager and staged),
the XLA conventions of the primitives (negative padding, clamped dynamic starts), misuse
errors, NumPy dispatch and tracer methods."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcad
import funcad.numpy as fnp
from funcad.errors import ConcretizationError, FuncadValueError, PrimitiveTypeError
from funcad.ir import eval_closed_jaxpr, typecheck_jaxpr
from funcad.ops import dynamic_slicing, slicing
from funcad.ops import structural as lax

X = np.arange(24.0).reshape(2, 3, 4)


def _staged(fn, *args):
    closed = funcad.make_jaxpr(fn)(*args)
    typecheck_jaxpr(closed)
    out = eval_closed_jaxpr(closed, *args)
    return (out[0] if len(out) == 1 else out), closed


def _assert_same(actual, expected):
    assert isinstance(actual, np.ndarray)  # an ndarray (eager: funcad.numpy.EagerArray)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


def _both(fn, *args):
    """``fn`` run eagerly and through the staged IR (traced arguments)."""
    eager = fn(*args)
    staged, _ = _staged(fn, *args)
    return eager, staged


# --- structural primitives ----------------------------------------------------------------

def _pad_reference(x, value, config):
    """XLA's definition: interior padding first, then out[j] = core[j - lo] (else value)."""
    out = np.asarray(x)
    for axis, (lo, hi, interior) in enumerate(config):
        n = out.shape[axis]
        core_n = n + max(n - 1, 0) * interior
        size = lo + hi + core_n
        res = np.full(out.shape[:axis] + (size,) + out.shape[axis + 1:], value, out.dtype)
        for j in range(size):
            c = j - lo
            if 0 <= c < core_n and c % (interior + 1) == 0:
                src = (slice(None),) * axis + (c // (interior + 1),)
                res[(slice(None),) * axis + (j,)] = out[src]
        out = res
    return out


@pytest.mark.parametrize("config", [
    [(1, 2, 0), (0, 0, 1)], [(-1, 1, 0), (2, -3, 2)], [(-3, 2, 1), (0, -4, 0)],
    [(0, 0, 0), (-4, 0, 0)], [(2, -5, 3), (1, 1, 0)],
])
def test_pad_matches_xla_definition(config):
    x = np.arange(1.0, 13.0).reshape(3, 4)
    expected = _pad_reference(x, -1.0, config)
    eager, staged = _both(lambda a: slicing.pad(a, -1.0, config), x)
    _assert_same(eager, expected)
    _assert_same(staged, expected)


def test_slice_rev_concatenate():
    _assert_same(slicing.slice(X, (0, 1, 0), (2, 3, 4), (1, 1, 3)), X[:, 1:3, ::3])
    _assert_same(lax.rev(X, (0, 2)), X[::-1, :, ::-1])
    _assert_same(slicing.concatenate([X, X[:1]], 0), np.concatenate([X, X[:1]]))
    _assert_same(slicing.concatenate([X[:, :0], X], 1), X)


@pytest.mark.parametrize("starts,clamped", [
    ((0, 0, 0), (0, 0, 0)), ((1, 2, 3), (0, 1, 2)), ((-5, 7, -1), (0, 1, 0)),
])
def test_dynamic_slices_clamp_like_xla(starts, clamped):
    sizes = (2, 2, 2)
    window = tuple(slice(c, c + k) for c, k in zip(clamped, sizes))
    expected = X[window]
    args = [np.int32(s) for s in starts]
    eager, staged = _both(lambda a, *s: dynamic_slicing.dynamic_slice(a, s, sizes), X, *args)
    _assert_same(eager, expected)
    _assert_same(staged, expected)
    upd = -np.ones((2, 2, 2))
    expected = X.copy()
    expected[window] = upd
    eager, staged = _both(lambda a, u, *s: dynamic_slicing.dynamic_update_slice(a, u, s), X, upd, *args)
    _assert_same(eager, expected)
    _assert_same(staged, expected)


@pytest.mark.parametrize("call", [
    lambda: slicing.slice(X, (0, 0, 0), (2, 3, 5)),
    lambda: slicing.slice(X, (0, 0), (2, 3)),
    lambda: slicing.slice(X, (0, 0, 0), (2, 3, 4), (1, 0, 1)),
    lambda: lax.rev(X, (0, 0)),
    lambda: lax.rev(X, (3,)),
    lambda: slicing.pad(X, 0.0, [(0, 0, 0)]),
    lambda: slicing.pad(X, np.float32(0), [(0, 0, 0)] * 3),
    lambda: slicing.pad(X, 0.0, [(0, 0, -1)] * 3),
    lambda: slicing.pad(X, 0.0, [(-3, 0, 0)] * 3),
    lambda: slicing.concatenate([X, X.astype(np.float32)], 0),
    lambda: slicing.concatenate([X, X[0]], 0),
    lambda: slicing.concatenate([X, X[:, :1]], 0),
    lambda: slicing.concatenate([X, X], 3),
    lambda: dynamic_slicing.dynamic_slice(X, (0, 0), (1, 1, 1)),
    lambda: dynamic_slicing.dynamic_slice(X, (0, 0, np.float64(0)), (1, 1, 1)),
    lambda: dynamic_slicing.dynamic_slice(X, (0, 0, 0), (3, 1, 1)),
    lambda: dynamic_slicing.dynamic_update_slice(X, np.ones((1, 1, 1), np.float32), (0, 0, 0)),
    lambda: dynamic_slicing.dynamic_update_slice(X, np.ones((1, 1)), (0, 0, 0)),
    lambda: dynamic_slicing.dynamic_update_slice(X, np.ones((3, 1, 1)), (0, 0, 0)),
])
def test_structural_primitive_misuse(call):
    with pytest.raises(PrimitiveTypeError):
        call()
    with pytest.raises(PrimitiveTypeError):
        funcad.make_jaxpr(lambda: call())()


# --- funcad.numpy shape functions ---------------------------------------------------------

@given(st.lists(st.integers(1, 4), min_size=0, max_size=4), st.data())
def test_reshape_transpose_property(shape, data):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    new = list(data.draw(st.permutations(shape)))
    if new and data.draw(st.booleans()):
        new[data.draw(st.integers(0, len(new) - 1))] = -1
    perm = data.draw(st.permutations(range(len(shape))))
    for fn, ref in [(lambda a: fnp.reshape(a, new), lambda a: np.reshape(a, new)),
                    (lambda a: fnp.transpose(a, perm), lambda a: np.transpose(a, perm))]:
        eager, staged = _both(fn, x)
        _assert_same(eager, ref(x))
        _assert_same(staged, ref(x))


@given(st.integers(0, 9), st.integers(1, 4), st.integers(-12, 12))
def test_split_concatenate_roll_property(n, sections, shift):
    x = np.arange(float(n * 2)).reshape(n, 2)
    parts = fnp.array_split(x, sections)
    for a, e in zip(parts, np.array_split(x, sections)):
        _assert_same(a, e)
    _assert_same(fnp.concatenate(parts), x)
    eager, staged = _both(lambda a, s: fnp.roll(a, s, axis=0), x, np.int64(shift))
    _assert_same(eager, np.roll(x, shift, axis=0))
    _assert_same(staged, np.roll(x, shift, axis=0))
    _assert_same(fnp.roll(x, shift), np.roll(x, shift))


@given(st.lists(st.integers(0, 3), max_size=3), st.lists(st.integers(0, 3), max_size=3))
def test_tile_property(shape, reps):
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    eager, staged = _both(lambda a: fnp.tile(a, reps), x)
    _assert_same(eager, np.tile(x, reps))
    _assert_same(staged, np.tile(x, reps))


def test_repeat_with_counts_and_traced_roll_vector():
    counts = np.array([3, 0, 1])
    eager, staged = _both(lambda a: fnp.repeat(a, counts, axis=1), X[:, :, 0])
    _assert_same(eager, np.repeat(X[:, :, 0], counts, axis=1))
    _assert_same(staged, np.repeat(X[:, :, 0], counts, axis=1))
    shifts = np.array([1, -5])
    eager, staged = _both(lambda a, s: fnp.roll(a, s, axis=(0, 2)), X, shifts)
    _assert_same(eager, np.roll(X, (1, -5), axis=(0, 2)))
    _assert_same(staged, np.roll(X, (1, -5), axis=(0, 2)))


def test_static_helpers():
    for a in [X, 3.0, [[1, 2]]]:
        assert fnp.shape(a) == np.shape(a)
        assert fnp.ndim(a) == np.ndim(a)
        assert fnp.size(a) == np.size(a)
    assert fnp.size(X, -1) == 4

    def f(a):
        assert (fnp.shape(a), fnp.ndim(a), fnp.size(a, 1)) == ((2, 3, 4), 3, 3)
        return a

    funcad.make_jaxpr(f)(X)


def test_outputs_are_ndarrays():
    for out in [fnp.reshape(2.0, (1,)), fnp.atleast_1d(1), fnp.squeeze(np.float32(1)),
                fnp.expand_dims(1.0, 0), fnp.ravel([1, 2]), fnp.flip(np.ones(2))]:
        assert isinstance(out, np.ndarray)
    assert fnp.stack([1.0, np.float32(2)]).dtype == np.stack([1.0, np.float32(2)]).dtype


@pytest.mark.parametrize("call,error,match", [
    (lambda: fnp.reshape(X, (5, -1)), FuncadValueError, "cannot reshape array of size 24"),
    (lambda: fnp.reshape(X, (-1, -1)), FuncadValueError, "one unknown"),
    (lambda: fnp.reshape(X, (24,), order="F"), NotImplementedError, "order"),
    (lambda: fnp.squeeze(X, 1), FuncadValueError, "size not equal to one"),
    (lambda: fnp.split(np.ones(5), 2), FuncadValueError, "equal division"),
    (lambda: fnp.split(np.ones(5), 0), FuncadValueError, "larger than 0"),
    (lambda: fnp.transpose(X, (0, 1)), FuncadValueError, "don't match"),
    (lambda: fnp.transpose(X, (0, 1, 1)), FuncadValueError, "repeated"),
    (lambda: fnp.swapaxes(X, 0, 3), FuncadValueError, "out of bounds"),
    (lambda: fnp.moveaxis(X, (0, 1), 2), FuncadValueError, "same number"),
    (lambda: fnp.expand_dims(X, 4), FuncadValueError, "out of bounds"),
    (lambda: fnp.expand_dims(X, (0, 0)), FuncadValueError, "repeated"),
    (lambda: fnp.concatenate([X, X[0]]), FuncadValueError, "same rank"),
    (lambda: fnp.concatenate([X, X[:, :1]]), FuncadValueError, "must match except"),
    (lambda: fnp.concatenate([1.0, 2.0]), FuncadValueError, "zero-dimensional"),
    (lambda: fnp.concatenate([]), FuncadValueError, "at least one"),
    (lambda: fnp.stack([X, X[0]]), FuncadValueError, "same shape"),
    (lambda: fnp.broadcast_to(X, (3, 4)), FuncadValueError, "cannot broadcast"),
    (lambda: fnp.broadcast_arrays(X, np.ones(3)), FuncadValueError, "do not broadcast"),
    (lambda: fnp.fliplr(np.ones(3)), FuncadValueError, ">= 2-d"),
    (lambda: fnp.repeat(X, -1), FuncadValueError, "negative"),
    (lambda: fnp.repeat(X, [1, 2, 3], axis=0), FuncadValueError, "do not match"),
    (lambda: fnp.tile(X, -1), FuncadValueError, "negative"),
    (lambda: fnp.take(X, [30]), IndexError, "out of bounds"),
    (lambda: fnp.take(X, [0], mode="bogus"), FuncadValueError, "mode"),
    (lambda: fnp.roll(X, (1, 2, 3), axis=(0, 1)), FuncadValueError, "broadcast"),
])
def test_shape_function_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_traced_static_arguments_raise_concretization_error():
    with pytest.raises(ConcretizationError):
        funcad.make_jaxpr(lambda a, r: fnp.repeat(a, r))(X, np.int64(2))
    with pytest.raises(ConcretizationError):
        funcad.make_jaxpr(lambda a, n: fnp.reshape(a, (n, -1)))(X, np.int64(2))
    with pytest.raises(ConcretizationError):
        funcad.make_jaxpr(lambda a, n: fnp.split(a, n))(X, np.int64(2))


# --- NumPy dispatch, tracer methods, lists of tracers -------------------------------------

def test_numpy_dispatch_and_tracer_methods():
    def f(a):
        return (
            np.reshape(a, (4, 6)), np.concatenate([a, np.ones((1, 3, 4))]), np.stack([a, a], -1),
            np.transpose(a), np.squeeze(a[:1]), np.moveaxis(a, 0, -1), np.flip(a, 1),
            a.reshape(6, -1), a.T, a.ravel(), a.flatten(), a.swapaxes(0, 2), a.take([0, 5]),
            a.repeat(2, axis=0), a.transpose(1, 0, 2), np.split(a, 2)[1], np.tile(a, 2),
        )

    expected = [
        np.reshape(X, (4, 6)), np.concatenate([X, np.ones((1, 3, 4))]), np.stack([X, X], -1),
        X.T, np.squeeze(X[:1]), np.moveaxis(X, 0, -1), np.flip(X, 1), X.reshape(6, -1), X.T,
        X.ravel(), X.flatten(), X.swapaxes(0, 2), X.take([0, 5]), X.repeat(2, axis=0),
        X.transpose(1, 0, 2), np.split(X, 2)[1], np.tile(X, 2),
    ]
    staged, _ = _staged(f, X)
    for a, e in zip(staged, expected):
        _assert_same(a, e)


def test_lists_of_tracers_become_arrays():
    def f(a):
        return fnp.asarray([a[0, 0, 0], 1.0, 2]), fnp.array([[a[1, 2, 3]], [a[0, 0, 1]]])

    (vec, mat), closed = _staged(f, X)
    _assert_same(vec, np.array([0.0, 1.0, 2.0]))
    _assert_same(mat, np.array([[23.0], [1.0]]))
    assert "convert_element_type" not in str(closed)
