"""Reductions: the primitives against NumPy, their misuse, and ``funcad.numpy``'s
reductions over every axis/keepdims combination (property tests), dtype rules, NaN and tie
semantics, empty operands and errors — eagerly and staged."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadValueError, PrimitiveTypeError
from funcad.ir import eval_closed_jaxpr, typecheck_jaxpr
from funcad.ops import _base as base
from funcad.ops import reductions as red


def staged(fn, *args):
    """Run ``fn`` through make_jaxpr + typecheck + eval; check its avals on the way."""
    closed = funcad.make_jaxpr(fn)(*args)
    typecheck_jaxpr(closed)
    out = eval_closed_jaxpr(closed, *args)
    return out, closed.out_avals


def assert_same(actual, expected, rtol=1e-12, atol=1e-12):
    expected = np.asarray(expected)
    assert isinstance(actual, np.ndarray)  # an ndarray (eager: funcad.numpy.EagerArray)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, (
        actual.shape, actual.dtype, expected.shape, expected.dtype)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


# --- primitives ----------------------------------------------------------------------------

@pytest.mark.parametrize("prim,ref", [
    (base.reduce_sum, np.sum), (red.reduce_prod, np.prod),
    (red.reduce_max, np.max), (red.reduce_min, np.min),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.int8])
def test_reduce_primitives_keep_dtype(prim, ref, dtype, rng):
    x = (rng.standard_normal((2, 3, 4)) * 3).astype(dtype)
    for axes in [(), (0,), (2,), (0, 2), (1, 0), (0, 1, 2), (-1,)]:
        out = prim(x, axes)
        expected = ref(x, axis=tuple(a % 3 for a in axes)).astype(dtype)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_reduce_max_min_empty_give_identity():
    assert_same(red.reduce_max(np.zeros((2, 0)), (1,)), np.full(2, -np.inf))
    assert_same(red.reduce_min(np.zeros((2, 0), np.int32), (1,)),
                np.full(2, np.iinfo(np.int32).max, np.int32))
    assert_same(red.reduce_min(np.zeros((0,), bool), (0,)), np.asarray(True))


def test_reduce_keeps_weak_type():
    closed = funcad.make_jaxpr(lambda: base.reduce_sum(fnp.full((3,), 2.0) * 1.0, (0,)))()
    assert closed.out_avals[0].shape == ()


@pytest.mark.parametrize("prim,ref", [(red.argmax, np.argmax), (red.argmin, np.argmin)])
def test_arg_primitives(prim, ref):
    x = np.array([[1.0, 3.0, 3.0, np.nan], [2.0, 2.0, -1.0, -1.0]])
    for axis in (0, 1, -1):
        out = prim(x, axis, np.int32)
        assert out.dtype == np.int32
        np.testing.assert_array_equal(out, ref(x, axis=axis))


@pytest.mark.parametrize("prim,ufunc", [
    (red.cumsum, np.add), (red.cumprod, np.multiply),
    (red.cummax, np.maximum), (red.cummin, np.minimum),
])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_primitives(prim, ufunc, reverse, rng):
    x = rng.standard_normal((3, 4))
    for axis in (0, 1, -1):
        out = prim(x, axis, reverse)
        if reverse:
            expected = np.flip(ufunc.accumulate(np.flip(x, axis), axis=axis), axis)
        else:
            expected = ufunc.accumulate(x, axis=axis)
        assert_same(out, expected)
        (staged_out,), _ = staged(lambda v, axis=axis: prim(v, axis, reverse), x)
        assert_same(staged_out, expected)


def _misuse_cases():
    f, b = np.ones((2, 3)), np.ones((2, 3), bool)
    yield "sum of bool", lambda: base.reduce_sum(b, (0,))
    yield "prod of bool", lambda: red.reduce_prod(b, (1,))
    yield "axis out of range", lambda: red.reduce_max(f, (2,))
    yield "repeated axes", lambda: base.reduce_sum(f, (0, 0))
    yield "argmax of complex", lambda: red.argmax(f + 1j, 0, np.int32)
    yield "argmax float index", lambda: red.argmax(f, 0, np.float64)
    yield "argmax empty axis", lambda: red.argmax(np.ones((0, 2)), 0, np.int32)
    yield "argmax axis", lambda: red.argmin(f, 5, np.int32)
    yield "cumsum of bool", lambda: red.cumsum(b, 0)
    yield "cummax axis", lambda: red.cummax(f, 2)
    yield "cumsum of a scalar", lambda: red.cumsum(np.float64(1.0), 0)


@pytest.mark.parametrize("case", list(_misuse_cases()), ids=lambda c: c[0])
def test_primitive_misuse_raises(case):
    _, thunk = case
    with pytest.raises(PrimitiveTypeError):
        thunk()  # eagerly
    with pytest.raises(PrimitiveTypeError):
        funcad.make_jaxpr(thunk)()  # and staged


def test_misuse_message_names_primitive_and_types():
    with pytest.raises(PrimitiveTypeError, match=r"reduce_sum.*bool\[2,3\]"):
        base.reduce_sum(np.ones((2, 3), bool), (0,))


# --- funcad.numpy: every axis / keepdims combination (property tests) ------------------------

_FUNCS = ["sum", "prod", "mean", "var", "std", "max", "min", "all", "any"]
_DTYPES = [np.float64, np.float32, np.int32, np.int8, np.uint8, np.bool_]


@st.composite
def _array_and_axis(draw):
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=0, max_size=3)))
    dtype = draw(st.sampled_from(_DTYPES))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = np.asarray((rng.standard_normal(shape) * 2).astype(dtype))
    nd = len(shape)
    axis_kind = draw(st.sampled_from(["none", "int", "tuple"])) if nd else "none"
    if axis_kind == "none":
        axis = None
    elif axis_kind == "int":
        axis = draw(st.integers(-nd, nd - 1))
    else:
        axes = draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd))
        axis = tuple(a - nd if draw(st.booleans()) else a for a in axes)
    return x, axis


def _compare_with_numpy(fname, x, axis, keepdims, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            expected = getattr(np, fname)(x, axis=axis, keepdims=keepdims, **kw)
        except ValueError:
            with pytest.raises(ValueError):
                getattr(fnp, fname)(x, axis=axis, keepdims=keepdims, **kw)
            return
        fn = lambda v: getattr(fnp, fname)(v, axis=axis, keepdims=keepdims, **kw)  # noqa: E731
        tol = 2e-5 if np.asarray(expected).dtype.itemsize <= 4 else 1e-11
        assert_same(fn(x), expected, rtol=tol, atol=tol)
        (out,), (aval,) = staged(fn, x)
        assert (aval.shape, aval.dtype) == (np.shape(expected), np.asarray(expected).dtype)
        assert_same(out, expected, rtol=tol, atol=tol)


@given(_array_and_axis(), st.sampled_from(_FUNCS), st.booleans())
def test_reductions_match_numpy(x_axis, fname, keepdims):
    x, axis = x_axis
    if fname in ("var", "std") and x.dtype == np.bool_:
        return  # NumPy cannot subtract booleans
    _compare_with_numpy(fname, x, axis, keepdims)


@given(_array_and_axis(), st.sampled_from(["argmax", "argmin"]), st.booleans())
def test_arg_reductions_match_numpy(x_axis, fname, keepdims):
    x, axis = x_axis
    if isinstance(axis, tuple):
        axis = axis[0] if axis else None
    _compare_with_numpy(fname, x, axis, keepdims)


@given(_array_and_axis(), st.sampled_from(["cumsum", "cumprod"]))
def test_cumulative_match_numpy(x_axis, fname):
    x, axis = x_axis
    if isinstance(axis, tuple):
        axis = axis[0] if axis else None
    expected = getattr(np, fname)(x, axis=axis)
    assert_same(getattr(fnp, fname)(x, axis=axis), expected, rtol=1e-5, atol=1e-5)
    (out,), _ = staged(lambda v: getattr(fnp, fname)(v, axis=axis), x)
    assert_same(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_var_std_ddof(ddof, rng):
    x = rng.standard_normal((3, 4))
    for axis, fname in itertools.product([None, 0, 1, (0, 1)], ["var", "std"]):
        _compare_with_numpy(fname, x, axis, False, ddof=ddof)


# --- dtype rules, NaN and ties, errors ------------------------------------------------------

@pytest.mark.parametrize("fname,dtype", [
    ("sum", np.bool_), ("sum", np.int8), ("sum", np.uint8), ("sum", np.int32),
    ("sum", np.float16), ("prod", np.int16), ("mean", np.int32), ("mean", np.bool_),
    ("mean", np.float16), ("var", np.uint8), ("std", np.float16), ("max", np.int8),
    ("all", np.float64), ("any", np.int32), ("argmax", np.float32), ("cumsum", np.bool_),
    ("cumprod", np.int8), ("mean", np.complex128), ("var", np.complex128),
])
def test_result_dtypes_follow_numpy(fname, dtype):
    x = np.arange(1, 7).reshape(2, 3).astype(dtype)
    assert_same(getattr(fnp, fname)(x), getattr(np, fname)(x), rtol=1e-3, atol=1e-3)
    assert_same(getattr(fnp, fname)(x, axis=0), getattr(np, fname)(x, axis=0), rtol=1e-3,
                atol=1e-3)


def test_dtype_argument():
    x = np.arange(6, dtype=np.int8).reshape(2, 3)
    for fname in ["sum", "prod", "cumsum", "mean"]:
        for dtype in [np.float32, np.int16, np.int64]:
            kw = {"axis": 1, "dtype": dtype}
            assert_same(getattr(fnp, fname)(x, **kw), getattr(np, fname)(x, **kw))


def test_python_scalars_and_lists():
    assert_same(fnp.sum(3), np.sum(3))
    assert_same(fnp.mean(2.5), np.mean(2.5))
    assert_same(fnp.max([1, 5, 2]), np.max([1, 5, 2]))
    assert_same(fnp.cumsum(4), np.cumsum(4))


def test_nan_propagates_and_argmax_finds_first_nan():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [np.inf, 2.0, -np.inf, 0.0]])
    for fname in ["max", "min", "sum", "mean", "argmax", "argmin"]:
        for axis in [None, 0, 1]:
            _compare_with_numpy(fname, x, axis, False)


def test_ties_pick_first_occurrence():
    x = np.array([[2, 5, 5, 1], [1, 1, 0, 0]], np.int32)
    _compare_with_numpy("argmax", x, 1, False)
    _compare_with_numpy("argmin", x, 1, False)
    assert fnp.argmax(np.array([True, True])) == 0


def test_nansum_nanmean():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]])
    for axis in [None, 0, 1]:
        assert_same(fnp.nansum(x, axis=axis), np.nansum(x, axis=axis))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            assert_same(fnp.nanmean(x, axis=axis), np.nanmean(x, axis=axis))


@pytest.mark.parametrize("fname", ["max", "min", "amax", "amin"])
def test_empty_extremum_raises_value_error(fname):
    with pytest.raises(FuncadValueError, match=f"{fname[-3:]}: zero-size"):
        getattr(fnp, fname)(np.zeros((0, 3)))
    with pytest.raises(ValueError):
        funcad.make_jaxpr(lambda x: getattr(fnp, fname)(x, axis=0))(np.zeros((0, 3)))
    # Over a non-empty axis, or with initial, it is fine.
    assert_same(getattr(fnp, fname)(np.zeros((0, 3)), axis=1), np.zeros(0))
    assert_same(getattr(fnp, fname)(np.zeros((0, 3)), initial=1.0),
                getattr(np, fname)(np.zeros((0, 3)), initial=1.0))


def test_empty_argmax_raises_value_error():
    with pytest.raises(FuncadValueError, match=r"argmax.*empty"):
        fnp.argmax(np.zeros(0))
    assert_same(fnp.argmin(np.zeros((0, 3)), axis=1), np.argmin(np.zeros((0, 3)), axis=1))


def test_bad_axis_raises():
    x = np.ones((2, 3))
    with pytest.raises(FuncadValueError, match="axis 2 is out of bounds"):
        fnp.sum(x, axis=2)
    with pytest.raises(FuncadValueError, match="repeated axis"):
        fnp.mean(x, axis=(0, -2))
    with pytest.raises(FuncadValueError):
        fnp.cumsum(np.float64(1.0), axis=0)


def test_out_and_where_are_rejected():
    with pytest.raises(NotImplementedError, match="sum: out="):
        fnp.sum(np.ones(3), out=np.zeros(()))
    with pytest.raises(NotImplementedError, match="mean: where="):
        fnp.mean(np.ones(3), where=np.ones(3, bool))


def test_numpy_functions_and_methods_dispatch_on_tracers():
    x = np.arange(6.0).reshape(2, 3)

    def f(v):
        return (np.sum(v, axis=0), np.mean(v), v.max(axis=1), v.argmin(), np.cumsum(v),
                np.add.reduce(v), v.std(), np.any(v > 3))

    closed = funcad.make_jaxpr(f)(x)
    for out, expected in zip(eval_closed_jaxpr(closed, x), f(x)):
        assert_same(out, expected)
