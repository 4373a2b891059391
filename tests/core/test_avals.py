"""Abstract values and dtype promotion: ``str_short``, weak types, and NumPy 2 (NEP 50)
promotion agreeing between NumPy, eager funcad and staged funcad."""
from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.core import dtypes
from funcad.core.avals import ShapedArray, aval_of_value

DTYPES = [np.bool_, np.uint8, np.int32, np.int64, np.float32, np.float64, np.complex64]
SCALARS = [True, 2, 1.5, 1j]


@pytest.mark.parametrize(
    ("aval", "text"),
    [
        (ShapedArray((3, 4), np.float64), "f64[3,4]"),
        (ShapedArray((), np.float32), "f32[]"),
        (ShapedArray((2,), np.int32, weak_type=True), "i32[2]~"),
        (ShapedArray((1, 0), np.bool_), "bool[1,0]"),
        (ShapedArray((5,), np.uint8), "u8[5]"),
        (ShapedArray((), np.complex128), "c128[]"),
    ],
)
def test_str_short(aval, text):
    assert aval.str_short() == text


def test_aval_of_values():
    assert aval_of_value(np.ones((2, 3), np.float32)) == ShapedArray((2, 3), np.float32)
    assert aval_of_value(np.float32(1)) == ShapedArray((), np.float32)
    assert aval_of_value(1.0) == ShapedArray((), np.float64, weak_type=True)
    assert aval_of_value(3) == ShapedArray((), np.int64, weak_type=True)
    assert aval_of_value(True) == ShapedArray((), np.bool_)  # bools are never weak
    with pytest.raises(TypeError, match="str is not a valid funcad array value"):
        aval_of_value("x")
    assert ShapedArray((2,), np.float64).same_type(ShapedArray((2,), np.float64, True))
    assert ShapedArray((2,), np.float64) != ShapedArray((2,), np.float64, True)


@pytest.mark.parametrize(("d1", "d2"), list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_array_array_promotion_matches_numpy(d1, d2):
    a, b = np.ones(2, d1), np.ones(2, d2)
    want = np.add(a, b).dtype
    assert dtypes.result_type((np.dtype(d1), False), (np.dtype(d2), False)) == (want, False)
    assert fnp.add(a, b).dtype == want
    assert funcad.make_jaxpr(fnp.add)(a, b).out_avals[0].dtype == want


@pytest.mark.parametrize(("d", "s"), list(itertools.product(DTYPES, SCALARS)))
def test_array_python_scalar_promotion_matches_numpy(d, s):
    a = np.ones(2, d)
    want = np.multiply(a, s).dtype
    assert fnp.multiply(a, s).dtype == want
    out = funcad.make_jaxpr(lambda x: x * s)(a).out_avals[0]
    assert out.dtype == want and not out.weak_type


def test_weak_only_operations_stay_weak():
    assert dtypes.result_type((np.dtype(np.int64), True), (np.dtype(np.float64), True)) == (
        np.dtype(np.float64), True
    )
    # Two traced Python floats: weak in, weak out.
    closed = funcad.make_jaxpr(lambda s, t: s + t)(2.0, 3.0)
    assert [a.str_short() for a in closed.out_avals] == ["f64[]~"]
    # A 0-d array is strong in NumPy 2, so it promotes: as np.ones(2, f32) * np.asarray(2.0).
    closed = funcad.make_jaxpr(lambda x: x * fnp.asarray(2.0))(np.ones(2, np.float32))
    assert closed.out_avals[0].dtype == (np.ones(2, np.float32) * np.asarray(2.0)).dtype


def test_weak_traced_value_times_python_scalar_stays_weak():
    # Eagerly s * 3.0 is a Python float and f32 wins; staged, the result must match.
    x = np.ones(2, np.float32)
    closed = funcad.make_jaxpr(lambda x, s: (s * 3.0, x * (s * 3.0)))(x, 2.0)
    assert [a.str_short() for a in closed.out_avals] == ["f64[]~", "f32[2]"]


def test_comparing_weak_python_ints_uses_the_int_loop():
    # NumPy resolves (int, int) comparisons to its object loop; funcad must not.
    closed = funcad.make_jaxpr(lambda a, b: a < b)(1, 2)
    assert [a.str_short() for a in closed.out_avals] == ["bool[]"]


def test_avals_are_interned_and_immutable():
    a = ShapedArray((2, 3), np.float32)
    assert ShapedArray([2, 3], "float32") is a
    assert ShapedArray((np.int64(2), 3), np.dtype(np.float32), False) is a
    assert ShapedArray((2, 3), np.float32, weak_type=True).strip_weak_type() is a
    assert pickle.loads(pickle.dumps(a)) is a
    with pytest.raises(AttributeError, match="immutable"):
        a.shape = (6,)
