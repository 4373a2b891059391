"""Misuse of the lax breadth raises funcad errors naming the function, the argument and the
shapes; features funcad lacks raise FuncadNotImplementedError naming them."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.errors import (
    FuncadNotImplementedError,
    FuncadTypeError,
    FuncadValueError,
    PrimitiveTypeError,
)


def test_convolution_errors():
    x, w = np.ones((2, 3, 5, 5)), np.ones((4, 2, 3, 3))
    with pytest.raises(PrimitiveTypeError, match=r"conv_general_dilated.*lhs features \(3\)"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME")
    with pytest.raises(FuncadValueError, match="window_strides must have 2 entries"):
        lax.conv_general_dilated(x, np.ones((4, 3, 3, 3)), (1,), "SAME")
    with pytest.raises(FuncadTypeError, match="equal rank"):
        lax.conv_general_dilated(x, np.ones((4, 3, 3)), (1, 1), "SAME")
    with pytest.raises(FuncadValueError, match="dimension_numbers"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NCHW", "OIHW", "NQHW"))
    with pytest.raises(FuncadNotImplementedError, match="preferred_element_type"):
        lax.conv(x, np.ones((4, 3, 3, 3)), (1, 1), "SAME", preferred_element_type=np.float32)
    with pytest.raises(ValueError, match="padding"):
        lax.conv(x, np.ones((4, 3, 3, 3)), (1, 1), "FULL")


def test_window_errors():
    x = np.ones((4, 4))
    with pytest.raises(FuncadNotImplementedError, match="reduce_window with a computation"):
        lax.reduce_window(x, 0.0, lambda a, b: a * b, (2, 2), (1, 1), "VALID")
    with pytest.raises(PrimitiveTypeError, match="window_dimensions must be 2 positive ints"):
        lax.reduce_window(x, -np.inf, lax.max, (2,), (1, 1), "VALID")
    with pytest.raises(FuncadTypeError, match="init_value must be a scalar"):
        lax.reduce_window(x, np.zeros(2), lax.add, (2, 2), (1, 1), "VALID")


def test_sort_errors():
    with pytest.raises(PrimitiveTypeError, match="sort: operands must have one shape"):
        lax.sort((np.ones(3), np.ones(4)))
    with pytest.raises(PrimitiveTypeError, match="num_keys"):
        lax.sort((np.ones(3), np.ones(3)), num_keys=3)
    with pytest.raises(PrimitiveTypeError, match=r"top_k: k=5 must be in \[0, 4\]"):
        lax.top_k(np.ones(4), 5)
    with pytest.raises(FuncadNotImplementedError, match="quantile with method='weibull'"):
        fnp.quantile(np.ones(4), 0.5, method="weibull")
    with pytest.raises(FuncadValueError, match="partition: kth 7 is out of bounds"):
        fnp.partition(np.ones(4), 7)
    with pytest.raises(FuncadValueError, match="searchsorted: a must be 1-D"):
        fnp.searchsorted(np.ones((2, 2)), 0.5)
    with pytest.raises(FuncadNotImplementedError, match="order="):
        fnp.sort(np.ones(3), order="a")


def test_gather_scatter_errors():
    x, idx = np.ones((5, 4)), np.array([[1], [2]])
    dn = lax.GatherDimensionNumbers((1,), (0,), (0,))
    with pytest.raises(PrimitiveTypeError, match="slice_sizes"):
        lax.gather(x, idx, dn, (1, 9))
    with pytest.raises(PrimitiveTypeError, match="collapsed and batching axes"):
        lax.gather(x, idx, dn, (2, 4))
    with pytest.raises(FuncadTypeError, match="both dimension_numbers and slice_sizes"):
        lax.gather(x, idx, dn)
    with pytest.raises(FuncadNotImplementedError, match="mode 'wrap'"):
        lax.gather(x, idx, dn, (1, 4), mode="wrap")
    sdn = lax.ScatterDimensionNumbers((1,), (0,), (0,))
    with pytest.raises(PrimitiveTypeError, match=r"updates must have shape \(2, 4\)"):
        lax.scatter_add(x, idx, np.ones((3, 4)), sdn)
    # (with concrete indices the derivative is exact, repeats included: test_structural_rules)
    with pytest.raises(FuncadNotImplementedError, match="unique_indices=True"):
        funcad.jit(lambda i: funcad.grad(
            lambda u: fnp.sum(lax.scatter_mul(x, i, u, sdn)))(np.ones((2, 4))))(idx)
    with pytest.raises(FuncadNotImplementedError, match="scatter_apply with traced"):
        funcad.jit(lambda i: lax.scatter_apply(x, i, fnp.sin, sdn, update_shape=(2, 4)))(idx)


def test_loop_errors():
    with pytest.raises(FuncadValueError, match="unroll must be a positive int"):
        lax.scan(lambda c, x: (c, x), 0.0, np.ones(3), unroll=2.5)
    with pytest.raises(FuncadValueError, match="batch_size must be a positive int"):
        lax.map(fnp.sin, np.ones(3), batch_size=0)
    with pytest.raises(FuncadValueError, match="associative_scan: the leaves of elems"):
        lax.associative_scan(lambda a, b: a, (np.ones(3), np.ones(4)))
    with pytest.raises(FuncadTypeError, match="fn must keep the shapes"):
        lax.associative_scan(lambda a, b: a[:1], np.ones(4))
