"""Array creation against NumPy: values, dtypes, writability, and staging (never baked in)."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp

CASES = [
    ("zeros", lambda m: m.zeros((2, 3))),
    ("zeros_int", lambda m: m.zeros(4, dtype=np.int32)),
    ("ones", lambda m: m.ones((3,), np.float32)),
    ("full", lambda m: m.full((2, 2), 7)),
    ("full_float", lambda m: m.full(3, 2.5)),
    ("full_dtype", lambda m: m.full(3, 2, dtype=np.float32)),
    ("eye", lambda m: m.eye(3)),
    ("eye_rect_k", lambda m: m.eye(3, 4, k=1)),
    ("eye_neg_k", lambda m: m.eye(4, 3, k=-2, dtype=np.int64)),
    ("identity", lambda m: m.identity(2)),
    ("arange_int", lambda m: m.arange(5)),
    ("arange_start_stop", lambda m: m.arange(2, 9, 3)),
    ("arange_float", lambda m: m.arange(0.5, 3.0, 0.25)),
    ("arange_negative_step", lambda m: m.arange(5, -3, -2)),
    ("arange_dtype", lambda m: m.arange(4, dtype=np.float32)),
    ("linspace", lambda m: m.linspace(0.0, 1.0, 7)),
    ("linspace_no_endpoint", lambda m: m.linspace(-1, 2, 5, endpoint=False)),
    ("linspace_one", lambda m: m.linspace(3.0, 4.0, 1)),
    ("linspace_int_dtype", lambda m: m.linspace(0, 10, 4, dtype=np.int64)),
    ("array_nested", lambda m: m.array([[1.0, 2.0], [3.0, 4.0]])),
    ("asarray_dtype", lambda m: m.asarray([1, 2, 3], dtype=np.float32)),
    ("zeros_like", lambda m: m.zeros_like(np.ones((2, 3), np.int32))),
    ("ones_like_dtype", lambda m: m.ones_like(np.ones(3), dtype=np.float32)),
    ("full_like", lambda m: m.full_like(np.ones(3), 4.0)),
]


@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_creation_matches_numpy(name, make):
    ours, ref = make(fnp), make(np)
    assert isinstance(ours, np.ndarray) and ours.flags.writeable
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_creation_is_staged(name, make):
    closed = funcad.make_jaxpr(lambda: make(fnp))()
    ref = make(np)
    assert [(a.shape, a.dtype) for a in closed.out_avals] == [(ref.shape, ref.dtype)]
    if name not in ("array_nested", "asarray_dtype", "zeros_like", "ones_like_dtype",
                    "full_like"):
        assert not closed.jaxpr.constvars  # computed by staged ops, not baked-in arrays
    (out,) = funcad.ir.eval_closed_jaxpr(closed)
    np.testing.assert_allclose(out, ref, rtol=1e-15, atol=1e-15)


def test_array_of_traced_values_stacks():
    closed = funcad.make_jaxpr(lambda x: fnp.array([x, 2.0 * x, 3.0]))(1.5)
    (out,) = funcad.ir.eval_closed_jaxpr(closed, 1.5)
    np.testing.assert_allclose(out, [1.5, 3.0, 3.0])
