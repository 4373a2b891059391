"""The NumPy executor's facts about primitives: read from the tables each block fills, or
derived (a ufunc kernel can write into an operand's buffer and returns a fresh array), and
the backend registry that finds backends by name."""
from __future__ import annotations

import numpy as np
import pytest

import funcad.numpy as fnp
from funcad import jit
from funcad.backends import registry
from funcad.backends.numpy import schedule
from funcad.backends.numpy_kernels import inplace_ufunc, kernel, returns_fresh
from funcad.core.rules import inplace_ufuncs, numpy_kernels
from funcad.errors import FuncadValueError
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import elementwise as ew
from funcad.ops import logical as lg


def _eqns(f, *args):
    return {e.primitive: e for e in jit(f, backend="numpy").jaxpr(*args).eqns}


def test_a_ufunc_kernel_needs_no_registered_fact():
    x = np.linspace(0.1, 0.9, 4)
    eqns = _eqns(lambda x: fnp.sin(x) + fnp.abs(x) ** 2, x)
    sin, square = eqns[ew.sin_p], eqns[ar.integer_pow_p]
    assert ew.sin_p not in numpy_kernels and ew.sin_p not in inplace_ufuncs
    assert kernel(sin) is np.sin and inplace_ufunc(sin) is np.sin and returns_fresh(sin)
    assert kernel(square) is np.square and inplace_ufunc(square) is np.square
    assert inplace_ufunc(eqns[ar.abs_p]) is np.absolute


def test_registered_facts_choose_by_dtype():
    f = lambda x, y: (x + y) / y  # noqa: E731
    floats = _eqns(f, np.ones(3), np.ones(3))
    ints = _eqns(lambda x, y: lg.eq(ar.div(x + y, y), x), np.ones(3, int), np.ones(3, int))
    assert inplace_ufunc(floats[ar.add_p]) is np.add
    assert inplace_ufunc(floats[ar.div_p]) is np.true_divide
    assert kernel(ints[ar.add_p]) is np.add and inplace_ufunc(ints[ar.add_p]) is np.add
    assert inplace_ufunc(ints[ar.div_p]) is None and returns_fresh(ints[ar.div_p])
    assert inplace_ufunc(ints[lg.eq_p]) is None  # bool result from int operands


def test_views_are_not_fresh():
    eqns = _eqns(lambda x: fnp.reshape(fnp.transpose(x), (6,)), np.ones((2, 3)))
    assert not returns_fresh(eqns[base.transpose_p])
    assert not returns_fresh(eqns[base.reshape_p])


def test_integer_bitwise_steps_write_in_place_and_agree():
    def f(x):
        a = (x ^ 5) | 3  # the xor's result dies at the or: its buffer takes the result
        return (a & 6) * x

    x = np.arange(12, dtype=np.int64)
    x_before = x.copy()
    j = jit(f, backend="numpy")
    np.testing.assert_array_equal(j(x), f(x))
    np.testing.assert_array_equal(x, x_before)
    closed = j.jaxpr(x)
    in_place = {e.primitive for e, step in zip(closed.eqns, schedule(closed).steps)
                if step.inplace is not None}
    assert {lg.or_p, lg.and_p} <= in_place


def test_backends_are_found_by_name():
    assert registry.BACKEND_MODULES["numpy"] == "funcad.backends.numpy"
    assert registry.compiler("numpy") is not None
    with pytest.raises(FuncadValueError, match="'numpy', 'xla'"):
        registry.resolve_backend("tpu")
