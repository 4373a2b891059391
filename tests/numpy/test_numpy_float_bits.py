"""NumPy's shift functions and ``nextafter`` in funcad.numpy beyond the op-spec rows: every
pair of delicate float values (signed zeros, subnormals, infinities, NaNs of both signs)
bit for bit against ``numpy.nextafter`` eagerly and under jit on both backends; shifts of
every integer dtype by every count from -3 to past the bit width, mixed dtypes and Python
integers (NumPy's promotion), and NumPy's own functions dispatching on traced values."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadTypeError

from specs.float_bits import grid_points

HAVE_JAX = importlib.util.find_spec("jax") is not None
INTS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
BACKENDS = ("numpy", "xla") if HAVE_JAX else ("numpy",)


def _same_bits(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert (a.shape, a.dtype) == (b.shape, b.dtype), what
    u = np.dtype(f"u{a.dtype.itemsize}")
    np.testing.assert_array_equal(a.view(u), b.view(u), err_msg=what)


@pytest.mark.filterwarnings("ignore:overflow encountered in nextafter")  # NumPy's, at max
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nextafter_every_pair_bit_for_bit(dtype):
    pool = np.concatenate([grid_points(dtype), [np.nan, -np.nan]]).astype(dtype)
    x, y = (a.ravel() for a in np.meshgrid(pool, pool))
    with np.errstate(all="ignore"):
        want = np.nextafter(x, y)
    _same_bits(fnp.nextafter(x, y), want, "eager")
    for backend in BACKENDS:
        _same_bits(funcad.jit(fnp.nextafter, backend=backend)(x, y), want, backend)


def test_nextafter_promotes_and_broadcasts_as_numpy():
    cases = [(np.float32(1), 2), (np.arange(3), 1.5), (np.float32(1), np.float64(0)),
             (np.ones((2, 1), np.float32), np.zeros(3, np.float32)), (0.0, -1.0), (True, 2)]
    for x, y in cases:
        _same_bits(fnp.nextafter(x, y), np.nextafter(x, y), f"{x!r}, {y!r}")
        _same_bits(funcad.jit(fnp.nextafter)(x, y), np.nextafter(x, y), f"jit {x!r}, {y!r}")


def test_nextafter_has_a_zero_derivative_and_batches():
    assert funcad.grad(lambda x: fnp.nextafter(x, 2.0))(1.0) == 0.0
    xs, ys = np.array([0.0, 1.0, -1e-310]), np.array([1.0, 0.0, 1.0])
    _same_bits(funcad.vmap(fnp.nextafter)(xs, ys), np.nextafter(xs, ys), "vmap")
    _same_bits(funcad.vmap(fnp.nextafter, (0, None))(xs, 1.0), np.nextafter(xs, 1.0), "vmap")
    _same_bits(funcad.lax.nextafter(np.float32(1), np.float32(0)),
               np.nextafter(np.float32(1), np.float32(0)), "lax")


def test_nextafter_refuses_integer_and_complex_lax_operands():
    with pytest.raises(FuncadTypeError, match="nextafter"):
        funcad.lax.nextafter(np.int32(1), np.int32(2))
    with pytest.raises(FuncadTypeError, match="nextafter"):
        fnp.nextafter(np.complex128(1), np.complex128(2))


@pytest.mark.parametrize("dtype", INTS)
def test_shifts_match_numpy_for_every_count(dtype):
    info = np.iinfo(dtype)
    x = np.array([info.min, info.min + 1, -1 if info.min else 1, 0, 1, 5, info.max], dtype)
    lowest = -3 if info.min else 0
    counts = np.arange(lowest, info.bits + 4).astype(dtype)
    xx, cc = np.meshgrid(x, counts)
    for ours, theirs in ((fnp.left_shift, np.left_shift), (fnp.right_shift, np.right_shift),
                         (fnp.bitwise_left_shift, np.left_shift),
                         (fnp.bitwise_right_shift, np.right_shift)):
        want = theirs(xx, cc)
        _same_bits(ours(xx, cc), want, f"{ours.__name__} eager")
        for backend in BACKENDS:
            _same_bits(funcad.jit(ours, backend=backend)(xx, cc), want,
                       f"{ours.__name__} {backend}")


def test_shifts_promote_and_broadcast_as_numpy():
    cases = [(np.arange(6, dtype=np.int8), 2), (np.uint8(200), np.arange(10, dtype=np.uint8)),
             (np.int16(-300), np.array([1, 20], np.uint8)), (np.arange(4, dtype=np.uint32), 40),
             (np.array([[1], [-8]], np.int32), np.array([0, 1, 33], np.int64)),
             (3, np.arange(5, dtype=np.int64)), (7, 1), (np.array([True, False]), 1)]
    for x, y in cases:
        for ours, theirs in ((fnp.left_shift, np.left_shift), (fnp.right_shift, np.right_shift)):
            _same_bits(ours(x, y), theirs(x, y), f"{ours.__name__}({x!r}, {y!r})")
            _same_bits(funcad.jit(ours)(x, y), theirs(x, y), f"jit {ours.__name__}({x!r}, {y!r})")


def test_numpy_shift_functions_dispatch_on_traced_values():
    x = np.array([-9, 3, 100], np.int32)
    _same_bits(funcad.jit(lambda v: np.left_shift(v, 1))(x), np.left_shift(x, 1), "<<")
    _same_bits(funcad.jit(lambda v: np.right_shift(v, 2))(x), np.right_shift(x, 2), ">>")
    _same_bits(funcad.jit(lambda v: np.nextafter(v, 0.0))(x * 1.0), np.nextafter(x * 1.0, 0.0),
               "nextafter")


def test_shifts_of_floats_are_type_errors_naming_the_function():
    with pytest.raises(TypeError):  # NumPy has no common integer type for these either
        np.left_shift(np.uint64(2 ** 63), np.int64(1))
    with pytest.raises(FuncadTypeError, match="left_shift"):
        fnp.left_shift(np.uint64(2 ** 63), np.int64(1))
    with pytest.raises(FuncadTypeError, match="left_shift"):
        fnp.left_shift(np.ones(2), 1)
    with pytest.raises(FuncadTypeError, match="right_shift"):
        fnp.right_shift(np.ones(2, np.float32), np.ones(2, np.float32))


@pytest.mark.filterwarnings("ignore:overflow encountered in nextafter")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_truncated_normal_bounds_step_exactly_from_subnormals(dtype):
    """funcad.random's step to the next float inside a bound is the nextafter primitive,
    so a subnormal bound steps exactly under XLA too (float comparisons flush it there)."""
    from funcad.random._floats import nextafter_toward

    x = np.concatenate([grid_points(dtype), [np.nan]]).astype(dtype)
    for direction in (1.0, -1.0):
        with np.errstate(all="ignore"):
            want = np.nextafter(x, np.array(direction * np.inf, dtype))
        for backend in BACKENDS:
            got = funcad.jit(lambda v, d=direction: nextafter_toward(v, d), backend=backend)(x)
            _same_bits(got, want, f"{backend} toward {direction}")
