"""Op-spec rows of ``nextafter`` (``funcad.ops.float_bits``) and of NumPy's shift functions
built on the shift primitives. ``nextafter`` is compared exactly, and once more as its bit
pattern (so every harness, the XLA one included, checks the last bit and the sign of zero),
with operands drawn around zero and the subnormal range, in both directions."""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad import lax

from specs.spec import BINARY_SHAPES, FLOATS, OpSpec

_INTS = tuple(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64,
                                     np.uint8, np.uint16, np.uint32, np.uint64))


def grid_points(dtype) -> np.ndarray:
    """Values where stepping is delicate: signed zeros, subnormals, the smallest normal,
    one, the largest finite value and the infinities."""
    fi = np.finfo(dtype)
    tiny_sub = fi.smallest_subnormal
    pos = [0.0, tiny_sub, 2 * tiny_sub, 7 * tiny_sub, fi.smallest_normal / 3,
           fi.smallest_normal, 1.0, 1.5, fi.max, np.inf]
    return np.array(pos + [-p for p in pos], dtype)


def _near_zero_pairs(rng, shapes, dtype):
    """Starting points and directions from the delicate values and NaN (drawn independently,
    so both stepping directions and equal pairs occur)."""
    pool = np.concatenate([grid_points(dtype), [np.nan]]).astype(dtype)
    x = rng.choice(pool, size=shapes[0])
    y = rng.choice(pool, size=shapes[1])
    return [np.asarray(x, dtype), np.asarray(y, dtype)]


def _uint_of(x) -> np.ndarray:
    x = np.asarray(x)
    return x.view(np.dtype(f"u{x.dtype.itemsize}"))


def _nextafter_bits(x, y):
    out = fnp.nextafter(x, y)
    return lax.bitcast_convert_type(out, np.dtype(f"u{out.dtype.itemsize}"))


def _operand_and_count(rng, shapes, dtype):
    """Operands over the dtype's range, shift counts from 0 past the bit width (NumPy gives
    0, or the sign for a signed right shift, there)."""
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, size=shapes[0], dtype=dtype, endpoint=True)
    s = rng.integers(0, min(info.bits + 5, info.max), size=shapes[1]).astype(dtype)
    return [np.asarray(x), np.asarray(s)]


def _nonfinite_warnings_off(ref):
    def quiet(*args):
        with np.errstate(all="ignore"):
            return ref(*args)
    return quiet


SPECS: list[OpSpec] = [
    OpSpec("nextafter", fnp.nextafter, np.nextafter, BINARY_SHAPES, FLOATS,
           make_args=_near_zero_pairs, rtol=0.0, atol=0.0, differentiable=False),
    OpSpec("nextafter_uniform", fnp.nextafter, np.nextafter, BINARY_SHAPES, FLOATS,
           rtol=0.0, atol=0.0, differentiable=False),
    OpSpec("nextafter_bits", _nextafter_bits,
           _nonfinite_warnings_off(lambda x, y: _uint_of(np.nextafter(x, y))),
           BINARY_SHAPES, FLOATS, make_args=_near_zero_pairs, rtol=0.0, atol=0.0,
           differentiable=False),
    OpSpec("numpy_left_shift", fnp.left_shift, np.left_shift, BINARY_SHAPES, _INTS,
           make_args=_operand_and_count, differentiable=False),
    OpSpec("numpy_right_shift", fnp.right_shift, np.right_shift, BINARY_SHAPES, _INTS,
           make_args=_operand_and_count, differentiable=False),
    OpSpec("numpy_bitwise_left_shift", fnp.bitwise_left_shift, np.bitwise_left_shift,
           BINARY_SHAPES, _INTS, make_args=_operand_and_count, differentiable=False),
    OpSpec("numpy_bitwise_right_shift", fnp.bitwise_right_shift, np.bitwise_right_shift,
           BINARY_SHAPES, _INTS, make_args=_operand_and_count, differentiable=False),
]
