"""Indexing: ``x[idx]`` and ``x.at[idx]`` against NumPy in every index form, eagerly and
staged (traced indices run through the staged IR), the gather/scatter primitives, and the
errors (out of bounds, traced masks, misuse of the primitives)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcad
import funcad.numpy as fnp
from funcad.errors import (
    ConcretizationError,
    FuncadTypeError,
    FuncadValueError,
    PrimitiveTypeError,
)
from funcad.ir import eval_closed_jaxpr, typecheck_jaxpr
from funcad.numpy._at import IndexUpdateHelper
from funcad.numpy._indexing import getitem
from funcad.ops import indexing as ix

I = np.s_  # noqa: E741 - reads like the index it builds
X = np.arange(24.0).reshape(2, 3, 4)

INDICES = [
    I[0], I[-1], I[:, 1], I[..., ::-1], I[None, 1, 1::2], I[[0, 1]], I[0, :, [0, 1]],
    I[[0, 1], None, [0, 1]], I[np.array([True, False])], I[True], I[False],
    I[:, True, [0, 1]], I[X > 5], I[[[0], [1]], :, [1, 2, 3]], I[..., 2], I[1, ..., None],
    I[::-1, ::-2, 3:0:-2], I[:, [2, 0, -1]], I[[1, 0], [2, 0], [-1, 0]], I[[]], I[:, []],
    I[..., True], I[0, ..., [0, 1]], I[np.int64(1)], I[np.array(1), [0, 1]],
    I[:, np.array([[0], [1]])], I[[0, 0, 1, 0]], I[:, [1, 1, 2], 1:], I[1, [0, 0, 2], ::-2],
    I[:, ::2, [3, 3]], I[0, 0, 0], I[...], I[()], I[:, :, [True, False, True, True]],
    I[5:9], I[:, -10:10:3], I[(X > 5)[:, 0, 0], 0],
]


def _staged(fn, *args):
    closed = funcad.make_jaxpr(fn)(*args)
    typecheck_jaxpr(closed)
    out = eval_closed_jaxpr(closed, *args)
    return (out[0] if len(out) == 1 else out), closed


def _assert_same(actual, expected):
    assert isinstance(actual, np.ndarray)  # an ndarray (eager: funcad.numpy.EagerArray)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


def _ref_update(x, idx, v, op):
    y = x.copy()
    if op == "set":
        y[idx] = v
    else:
        {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}[op].at(
            y, idx, v
        )
    return y


# --- getitem ------------------------------------------------------------------------------

@pytest.mark.parametrize("idx", INDICES, ids=[repr(i)[:40] for i in INDICES])
def test_getitem_matches_numpy(idx):
    expected = X[idx]
    _assert_same(getitem(X, idx), expected)
    staged, _ = _staged(lambda a: getitem(a, idx), X)
    _assert_same(staged, expected)


def _index_entry(n: int):
    ints = st.integers(-n, n - 1) if n else st.nothing()
    bound = st.none() | st.integers(-n - 2, n + 2)
    steps = st.none() | st.sampled_from([1, 2, 3, -1, -2])
    return ints | st.builds(slice, bound, bound, steps) | st.just(slice(None))


@st.composite
def _basic_index(draw):
    shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple))
    head = draw(st.integers(0, len(shape)))
    entries = [draw(_index_entry(n)) for n in shape[:head]]
    if draw(st.booleans()):  # an Ellipsis, then entries for trailing axes
        tail = draw(st.integers(0, len(shape) - head))
        entries += [Ellipsis] + [draw(_index_entry(n)) for n in shape[len(shape) - tail:]]
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return shape, tuple(entries)


@given(_basic_index())
def test_basic_indexing_property(case):
    shape, idx = case
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    expected = x[idx]
    _assert_same(getitem(x, idx), expected)
    staged, closed = _staged(lambda a: getitem(a, idx), x)
    _assert_same(staged, expected)
    # Static basic indices never need a gather.
    assert {e.primitive.name for e in closed.eqns} <= {"slice", "rev", "reshape", "expand_dims"}


@st.composite
def _advanced_index(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    bshape = draw(st.lists(st.integers(0, 3), max_size=2).map(tuple))
    entries = []
    for n in shape:
        kind = draw(st.sampled_from(["array", "slice", "int", "skip"]))
        if kind == "array":
            entries.append(np.asarray(draw(st.lists(
                st.integers(-n, n - 1), min_size=int(np.prod(bshape)),
                max_size=int(np.prod(bshape)))), np.int64).reshape(bshape))
        elif kind == "slice":
            entries.append(slice(None, None, draw(st.sampled_from([1, -1, 2]))))
        elif kind == "int":
            entries.append(draw(st.integers(-n, n - 1)))
        else:
            entries.append(slice(None))
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return shape, tuple(entries)


@given(_advanced_index(), st.sampled_from(["set", "add", "multiply", "min", "max"]))
def test_advanced_indexing_and_updates_property(case, op):
    shape, idx = case
    x = np.random.default_rng(0).normal(size=shape)
    expected = x[idx]
    _assert_same(getitem(x, idx), expected)
    v = np.random.default_rng(1).normal(size=expected.shape)
    _assert_same(getattr(IndexUpdateHelper(x)[idx], op)(v), _ref_update(x, idx, v, op))
    staged, _ = _staged(lambda a, b: getattr(IndexUpdateHelper(a)[idx], op)(b), x, v)
    _assert_same(staged, _ref_update(x, idx, v, op))


def test_traced_integer_indices():
    for i in [0, 1, -1, -2]:
        staged, closed = _staged(lambda a, j: getitem(a, j), X, np.int32(i))
        _assert_same(staged, X[i])
        assert "dynamic_slice" in str(closed) and "gather" not in str(closed)
    staged, _ = _staged(lambda a, j: getitem(a, (slice(None), j, 1)), X, np.int8(-1))
    _assert_same(staged, X[:, -1, 1])


@pytest.mark.parametrize("idx_fn,index", [
    (lambda i: i, np.array([0, -1, 1, 0])),
    (lambda i: (slice(None), i), np.array([[0, -1], [1, 2]], np.int32)),
    (lambda i: (i, slice(None), i), np.array([0, -1])),
    (lambda i: (0, i), np.array([0, 2, 1], np.uint8)),
    (lambda i: (i, None, 1), np.array([1, 0])),
])
def test_traced_integer_arrays(idx_fn, index):
    expected = X[idx_fn(index)]
    staged, closed = _staged(lambda a, j: getitem(a, idx_fn(j)), X, index)
    _assert_same(staged, expected)
    assert "gather" in str(closed)


def test_traced_indices_are_clamped_like_jax():
    for i, ref in [(7, 1), (-7, 0)]:
        staged, _ = _staged(lambda a, j: getitem(a, j), X, np.int64(i))
        _assert_same(staged, X[ref])
    staged, _ = _staged(lambda a, j: getitem(a, (0, 0, j)), X, np.array([9, -9, 2]))
    _assert_same(staged, X[0, 0, [3, 0, 2]])


def test_tracer_getitem_and_at_methods():
    def f(a):
        return a[1:, None, 0], a.at[0, ::2].add(1.0), a.at[[1, 1]].get(), list(a)[1]

    out, _ = _staged(f, X)
    expected = (X[1:, None, 0], _ref_update(X, I[0, ::2], 1.0, "add"), X[[1, 1]], X[1])
    for a, e in zip(out, expected):
        _assert_same(a, e)


def test_index_with_list_of_tracers():
    staged, _ = _staged(lambda a, i, j: getitem(a, [i, j]), X, np.int64(1), np.int64(0))
    _assert_same(staged, X[[1, 0]])


# --- at[] updates -------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max"])
def test_updates_match_numpy(op):
    rng = np.random.default_rng(0)
    for idx in INDICES:
        shape = X[idx].shape
        for vshape in {shape, shape[1:], ()}:
            v = rng.normal(size=vshape)
            expected = _ref_update(X, idx, v, op)
            _assert_same(getattr(IndexUpdateHelper(X)[idx], op)(v), expected)
            staged, _ = _staged(
                lambda a, b, idx=idx: getattr(IndexUpdateHelper(a)[idx], op)(b), X, v
            )
            _assert_same(staged, expected)


def test_duplicate_indices_accumulate_like_numpy_at():
    x = np.zeros(5)
    idx = np.array([0, 1, 1, 4, 1, -1])
    v = np.arange(1.0, 7.0)
    expected = x.copy()
    np.add.at(expected, idx, v)
    _assert_same(IndexUpdateHelper(x)[idx].add(v), expected)
    staged, closed = _staged(lambda a, i, b: IndexUpdateHelper(a)[i].add(b), x, idx, v)
    _assert_same(staged, expected)
    assert "scatter_add" in str(closed)
    prod = np.full(5, 2.0)
    np.multiply.at(prod, idx, v)
    staged, _ = _staged(lambda a, i, b: a.at[i].mul(b), np.full(5, 2.0), idx, v)
    _assert_same(staged, prod)
    # Setting at repeated indices: the last update wins, as NumPy's x[idx] = v.
    last = x.copy()
    last[idx] = v
    staged, _ = _staged(lambda a, i, b: a.at[i].set(b), x, idx, v)
    _assert_same(staged, last)


def test_update_casts_values_to_the_array_dtype():
    x = np.arange(5, dtype=np.int32)
    out = IndexUpdateHelper(x)[1:3].set(7.9)
    expected = x.copy()
    expected[1:3] = 7.9
    _assert_same(out, expected)
    staged, _ = _staged(lambda a, v: a.at[0].add(v), np.ones(3, np.float32), 2.0)
    _assert_same(staged, np.array([3.0, 1, 1], np.float32))


def test_update_does_not_modify_the_input():
    x = np.zeros(4)
    IndexUpdateHelper(x)[[1, 2]].set(1.0)
    IndexUpdateHelper(x)[1:3].add(1.0)
    _assert_same(x, np.zeros(4))


def test_traced_index_updates():
    for i in [0, 2, -1]:
        expected = _ref_update(X, I[:, i, 1::2], 7.0, "set")
        staged, closed = _staged(lambda a, j: a.at[:, j, 1::2].set(7.0), X, np.int32(i))
        _assert_same(staged, expected)
        assert "scatter[" in str(closed)  # JAX's form: out-of-bounds j is dropped
        expected = _ref_update(X, I[0, i], 9.5, "max")
        staged, _ = _staged(lambda a, j: a.at[0, j].max(9.5), X, np.int64(i))
        _assert_same(staged, expected)


def test_traced_array_min_max():
    for op in ("min", "max"):
        expected = _ref_update(X, np.array([0, 1, 0]), 0.5, op)
        staged, closed = _staged(lambda a, i, op=op: getattr(a.at[i], op)(0.5), X,
                                 np.array([0, 1, 0]))
        _assert_same(staged, expected)
        assert f"scatter_{op}" in str(closed)


def test_bad_update_shape_and_kwargs():
    with pytest.raises(FuncadValueError, match="broadcast"):
        IndexUpdateHelper(X)[0].set(np.ones(5))
    with pytest.raises(FuncadValueError, match="mode"):
        IndexUpdateHelper(X)[0].set(1.0, mode="wrap")
    with pytest.raises(FuncadTypeError, match="unexpected"):
        IndexUpdateHelper(X)[0].set(1.0, bogus=1)


# --- errors -------------------------------------------------------------------------------

OUT_OF_BOUNDS = [2, -3, I[:, 3], I[np.array([0, 2])], I[np.array([-3])], I[0, 0, 4]]


@pytest.mark.parametrize("idx", OUT_OF_BOUNDS + [
    I[np.array([True, False, True])], I[0, 0, 0, 0], I[..., ...], I[1.0], I[np.array([0.5])],
    I[[0, 1], [0, 1, 2]],
])
def test_concrete_bad_indices_raise_index_error(idx):
    with pytest.raises(IndexError):
        X[idx]
    with pytest.raises(IndexError) as mine:
        getitem(X, idx)
    with pytest.raises(IndexError):
        funcad.make_jaxpr(lambda a: getitem(a, idx))(X)
    assert str(mine.value)
    if any(idx is i for i in OUT_OF_BOUNDS):  # x.at[] follows JAX: the update is dropped
        jnp = pytest.importorskip("jax_reference").jax.numpy  # float64
        expected = np.asarray(jnp.asarray(X).at[idx].set(0.0))
        _assert_same(IndexUpdateHelper(X)[idx].set(0.0), expected)
    else:
        with pytest.raises(IndexError):
            IndexUpdateHelper(X)[idx].set(0.0)


def test_out_of_bounds_message_names_axis_and_size():
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 1 with size 3"):
        getitem(X, (0, 5))


def test_traced_boolean_mask_raises_concretization_error():
    with pytest.raises(ConcretizationError, match=r"boolean mask.*where"):
        funcad.make_jaxpr(lambda a: getitem(a, a > 3))(X)
    with pytest.raises(ConcretizationError):
        funcad.make_jaxpr(lambda a: a.at[a > 3].set(0.0))(X)


def test_traced_slice_bounds_raise_concretization_error():
    with pytest.raises(ConcretizationError, match="dynamic_slice"):
        funcad.make_jaxpr(lambda a, i: getitem(a, slice(i, None)))(X, np.int64(1))


def test_traced_float_index_raises_index_error():
    with pytest.raises(IndexError, match="valid indices"):
        funcad.make_jaxpr(lambda a, i: getitem(a, i))(X, np.float64(1.0))


def test_zero_slice_step_raises():
    with pytest.raises(FuncadValueError, match="zero"):
        getitem(X, I[::0])


# --- take ---------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [None, "clip", "wrap"])
def test_take_modes(mode):
    idx = np.array([[0, 5], [-4, 2]]) if mode else np.array([[0, 3], [-4, 2]])
    expected = np.take(X, idx, axis=2, mode=mode or "raise")
    _assert_same(fnp.take(X, idx, axis=2, mode=mode), expected)
    staged, _ = _staged(lambda a, i: fnp.take(a, i, axis=2, mode=mode), X, idx)
    _assert_same(staged, expected)


def test_take_out_of_bounds_raises():
    with pytest.raises(IndexError):
        fnp.take(X, [24])
    with pytest.raises(IndexError):
        fnp.take(np.zeros((0, 2)), [0], axis=0, mode="wrap")


# --- the primitives -----------------------------------------------------------------------

def test_gather_semantics_and_clamping():
    x = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0, 1], [2, 5], [-1, 0]])
    _assert_same(ix.gather(x, idx), x[[0, 2, 0], [1, 3, 0]])
    _assert_same(ix.gather(x, np.array([[2], [0]])), x[[2, 0]])
    _assert_same(ix.gather(x, np.zeros((2, 0), np.int64)), np.broadcast_to(x, (2, 3, 4)))
    _assert_same(ix.gather(np.zeros((0, 2)), np.array([[0]])), np.zeros((1, 2)))


def test_scatter_family_semantics():
    x = np.arange(6.0).reshape(3, 2)
    idx = np.array([[0], [0], [9]])
    upd = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    add = x.copy()
    np.add.at(add, [0, 0, 2], upd)
    _assert_same(ix.scatter_add(x, idx, upd), add)
    mul = x.copy()
    np.multiply.at(mul, [0, 0, 2], upd)
    _assert_same(ix.scatter_mul(x, idx, upd), mul)
    put = x.copy()
    put[[0, 0, 2]] = upd
    _assert_same(ix.scatter(x, idx, upd), put)
    _assert_same(ix.scatter_add(x, np.zeros((2, 0), np.int64), np.ones((2, 3, 2))), x + 2)


@pytest.mark.parametrize("call", [
    lambda: ix.gather(np.ones(3), np.array([[0.0]])),
    lambda: ix.gather(np.ones(3), np.array([[0, 0]])),
    lambda: ix.gather(np.ones(3), np.array(0)),
    lambda: ix.scatter_add(np.ones(3), np.array([[0]]), np.ones(2)),
    lambda: ix.scatter(np.ones(3), np.array([[0]]), np.ones(1, np.float32)),
    lambda: ix.scatter_mul(np.ones(3), np.array([[0.5]]), np.ones(1)),
])
def test_indexing_primitive_misuse(call):
    with pytest.raises(PrimitiveTypeError):
        call()
    with pytest.raises(PrimitiveTypeError):
        funcad.make_jaxpr(lambda: call())()


def test_update_values_with_extra_leading_unit_axes():
    x = np.zeros((2, 3))
    v = np.arange(3.0).reshape(1, 1, 3)
    expected = x.copy()
    expected[0:2] = v
    _assert_same(IndexUpdateHelper(x)[0:2].set(v), expected)
    with pytest.raises(FuncadValueError):
        IndexUpdateHelper(x)[0].set(np.ones((2, 3)))


# --- the general primitives behind indexing -------------------------------------------------

def test_traced_out_of_bounds_reads_clamp_in_value_and_gradient():
    """``x[i]`` with a traced index past the end reads the last row (the gather's promise
    mode clamps), and its gradient goes to that row: the adjoint clamps too."""
    x = np.arange(12.0).reshape(4, 3)
    w = np.arange(6.0).reshape(2, 3)
    idx = np.array([7, -9])  # normalized: 7 and -5, clamped to 3 and 0

    def loss(a, i):
        return fnp.sum(a[i] * w)

    clamped = np.array([3, 0])
    for backend in ("numpy", "xla"):
        got = funcad.jit(funcad.value_and_grad(loss), backend=backend)(x, idx)
        want = funcad.value_and_grad(loss)(x, clamped)
        np.testing.assert_allclose(got[0], want[0], rtol=0, atol=0)
        np.testing.assert_allclose(got[1], want[1], rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["promise_in_bounds", "drop"])
def test_dropped_updates_get_no_cotangent(mode):
    """Out-of-bounds updates are dropped (promise as drop), so their cotangent is zero."""
    x, u = fnp.zeros(4), np.array([1.0, 2.0, 3.0])
    idx = np.array([1, 9, 1])

    def loss(u, i):
        return fnp.sum(x.at[i].add(u * u, mode=mode) * np.arange(1.0, 5.0))

    for f in (funcad.grad(loss), funcad.jit(funcad.grad(loss)),
              funcad.jit(funcad.grad(loss), backend="xla")):
        np.testing.assert_allclose(f(u, idx), [4.0, 0.0, 12.0], rtol=0, atol=0)


def test_point_and_window_plans_agree():
    """The NumPy runner of a point gather/scatter (NumPy indexing) and of the general
    window form give the same numbers: a window of size 1 that is not collapsed takes the
    window form."""
    from funcad import lax

    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4, 3))
    idx = rng.integers(-2, 7, (6, 2))
    point = lax.GatherDimensionNumbers((1,), (0, 2), (0, 2))
    window = lax.GatherDimensionNumbers((1, 2, 3), (), (0, 2))
    for mode in ("clip", "fill", "promise_in_bounds"):
        a = lax.gather(x, idx, point, (1, 4, 1), mode=mode, fill_value=-1.0)
        b = lax.gather(x, idx, window, (1, 4, 1), mode=mode, fill_value=-1.0)
        np.testing.assert_array_equal(a, b[:, 0, :, 0])
    u = rng.standard_normal((6, 4))
    sp = lax.ScatterDimensionNumbers((1,), (0, 2), (0, 2))
    sw = lax.ScatterDimensionNumbers((1, 2, 3), (), (0, 2))
    for fn in (lax.scatter_add, lax.scatter_max, lax.scatter):
        for mode in ("clip", "fill"):
            np.testing.assert_array_equal(fn(x, idx, u, sp, mode=mode),
                                          fn(x, idx, u[:, None, :, None], sw, mode=mode))
