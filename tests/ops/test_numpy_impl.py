"""Every row of the op-spec table: funcad equals NumPy eagerly (values, shapes, dtypes, plain
ndarray results), and the staged IR has the eager types, type-checks, and evaluates to the
same numbers."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcad
from funcad.ir import eval_closed_jaxpr, typecheck_jaxpr
from funcad.tree_util import tree_leaves

from op_specs import spec_params
from specs.spec import spec_args, table_settings


def _leaves(out):
    return tree_leaves(out, is_leaf=lambda x: isinstance(x, np.ndarray))


def assert_matches(actual, expected, rtol, atol, what="", plain_arrays=True):
    a_leaves, e_leaves = _leaves(actual), _leaves(expected)
    n_a, n_e = len(a_leaves), len(e_leaves)
    assert n_a == n_e, f"{what}: {n_a} outputs, expected {n_e}"
    for i, (a, e) in enumerate(zip(a_leaves, e_leaves)):
        e = np.asarray(e)
        if plain_arrays:
            assert isinstance(a, np.ndarray), f"{what} output {i}: {type(a).__name__}, not an ndarray"
        a = np.asarray(a)
        assert a.shape == e.shape, f"{what} output {i}: shape {a.shape}, expected {e.shape}"
        assert a.dtype == e.dtype, f"{what} output {i}: dtype {a.dtype}, expected {e.dtype}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{what} output {i}")


def _run_case(spec, shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    args = spec_args(spec, rng, shapes, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = spec.ref(*args)
        actual = spec.fn(*args)
        rtol, atol = spec.tolerances(dtype)
        # Operator rows run NumPy's own operators eagerly: only their staged run is funcad's.
        eager_is_funcad = "operators" not in spec.tags
        assert_matches(actual, expected, rtol, atol, f"{spec.name} eager", eager_is_funcad)

        closed = funcad.make_jaxpr(spec.fn)(*args)
        typecheck_jaxpr(closed)
        e_leaves = [np.asarray(e) for e in _leaves(expected)]
        staged_types = [(a.shape, a.dtype) for a in closed.out_avals]
        assert staged_types == [(e.shape, e.dtype) for e in e_leaves]
        staged = eval_closed_jaxpr(closed, *args)
        assert_matches(staged, e_leaves, rtol, atol, f"{spec.name} staged")


@pytest.mark.parametrize("spec", spec_params())
@table_settings()
@given(seed=st.integers(0, 2**32 - 1))
def test_matches_numpy(spec, seed):
    for shapes in spec.cases:
        for dtype in spec.dtypes:
            _run_case(spec, shapes, dtype, seed)
