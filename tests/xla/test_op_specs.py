"""Every row of the op-spec table under ``jit``: the NumPy executor equals eager evaluation,
and XLA equals the NumPy executor (float64 to 1e-12 relative, float32 to float32 tolerance,
integers and booleans exactly).

One representative shape case per row (the one of highest total rank, which includes the
broadcasting cases) and one seeded example per dtype keep the table fast.
"""
from __future__ import annotations

import functools
import importlib.util
import warnings
import zlib

import numpy as np
import pytest
from result_types import assert_result_type

import funcad
from funcad.tree_util import tree_leaves

from op_specs import OP_SPECS
from specs.spec import spec_args

HAVE_JAX = importlib.util.find_spec("jax") is not None
_BY_NAME = {s.name: s for s in OP_SPECS}


def _representative(spec) -> tuple:
    return max(spec.cases, key=lambda shapes: sum(len(s) for s in shapes))


def _rows():
    for spec in OP_SPECS:
        for dtype in spec.dtypes:
            yield pytest.param(spec.name, np.dtype(dtype).name, id=f"{spec.name}-{np.dtype(dtype)}")


def _leaves(out) -> list:
    return tree_leaves(out, is_leaf=lambda x: isinstance(x, np.ndarray))


@functools.cache
def _numpy_run(name: str, dtype: str):
    """Arguments, eager result and jitted (numpy backend) result of one row, computed once
    per test process (the XLA test compares with it too)."""
    spec = _BY_NAME[name]
    rng = np.random.default_rng(zlib.crc32(f"{name}-{dtype}".encode()))
    args = spec_args(spec, rng, _representative(spec), np.dtype(dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        eager = _leaves(spec.fn(*args))
        jitted = _leaves(funcad.jit(spec.fn, backend="numpy")(*args))
    return args, [np.asarray(e) for e in eager], jitted


def _tolerances(spec, in_dtype: np.dtype, out_dtype: np.dtype, xla: bool) -> tuple:
    """By the output's dtype (a row may compute floats from integers): float64 to 1e-12
    against XLA, else the row's tolerances for the wider of the two dtypes."""
    if xla and out_dtype in (np.float64, np.complex128):
        return 1e-12, 1e-12
    return max(spec.tolerances(in_dtype), spec.tolerances(out_dtype))


def _check(spec, dtype, actual, expected, what, xla=False):
    assert len(actual) == len(expected), what
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert_result_type(a, "xla" if xla else "numpy")
        assert (a.shape, a.dtype) == (e.shape, e.dtype), f"{what} output {i}"
        rtol, atol = _tolerances(spec, np.dtype(dtype), e.dtype, xla)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{what} output {i}")


@pytest.mark.parametrize("name,dtype", list(_rows()))
def test_jit_numpy_backend_equals_eager(name, dtype):
    spec = _BY_NAME[name]
    _, eager, jitted = _numpy_run(name, dtype)
    _check(spec, dtype, jitted, eager, f"{name} jit(numpy)")


@pytest.mark.skipif(not HAVE_JAX, reason="jax is not installed: the XLA backend is untested")
@pytest.mark.parametrize("name,dtype", list(_rows()))
def test_xla_backend_equals_numpy_backend(name, dtype):
    spec = _BY_NAME[name]
    args, eager, jitted = _numpy_run(name, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        xla = _leaves(funcad.jit(spec.fn, backend="xla")(*args))
    _check(spec, dtype, xla, jitted, f"{name} jit(xla) vs jit(numpy)", xla=True)
    _check(spec, dtype, xla, eager, f"{name} jit(xla) vs eager", xla=True)
    # The same program on device-resident inputs (no host copy on the way in).
    on_device = _leaves(funcad.jit(spec.fn, backend="xla")(*funcad.device_put(list(args))))
    _check(spec, dtype, on_device, jitted, f"{name} jit(xla) on jax.Arrays", xla=True)
