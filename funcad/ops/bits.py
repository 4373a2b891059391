"""Bit-level primitives: shifts, reinterpreting bits as another dtype, and the threefry2x32
block cipher that counter-based random numbers (``funcad.random``) are built on.

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> JVP ->
batching. None of them varies smoothly, so every JVP is zero. Shifts follow ``jax.lax``:
a shift by at least the bit width gives 0 (or the sign for the arithmetic right shift),
never the platform's undefined behaviour.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.rules import batch_rules
from funcad.core.symbolic import not_mapped
from funcad.core.trace import get_aval
from funcad.ops._base import bdim_at, broadcast_in_dim, defjvp_zero, defvectorized
from funcad.ops._definers import standard_binop
from funcad.ops._operands import lax_args
from funcad.ops._parallel import in_ranges
from funcad.ops._shapes import (
    INT,
    axis_size_of,
    check_same_shapes,
    new_primitive,
    type_error,
)

# --- shifts -----------------------------------------------------------------------------


def _unsigned(dtype: np.dtype) -> np.dtype:
    return np.dtype(f"u{np.dtype(dtype).itemsize}")


def _shift_amounts(x, y):
    """The shift ``y`` as unsigned values, and where it reaches the bit width."""
    nbits = x.dtype.itemsize * 8
    y = np.asarray(y).astype(_unsigned(y.dtype))
    too_far = y >= nbits
    return np.where(too_far, 0, y).astype(x.dtype), too_far


def _uniform_shift(y):
    """The one shift amount of ``y`` when every element has it (a broadcast scalar: the
    common case, which then costs one NumPy pass), else None."""
    y = np.asarray(y)
    if y.ndim == 0 or all(s == 0 for s in y.strides):
        return int(y.reshape(-1)[0]) if y.size else None
    return None


def _shift_left_impl(x, y):
    s = _uniform_shift(y)
    if s is not None and 0 <= s:
        return np.left_shift(x, x.dtype.type(s)) if s < x.dtype.itemsize * 8 else np.zeros_like(x)
    y, too_far = _shift_amounts(x, y)
    return np.where(too_far, np.zeros((), x.dtype), np.left_shift(x, y))


def _shift_right_logical_impl(x, y):
    u = _unsigned(x.dtype)
    s = _uniform_shift(y)
    if s is not None and 0 <= s and x.dtype == u:
        return np.right_shift(x, u.type(s)) if s < x.dtype.itemsize * 8 else np.zeros_like(x)
    y, too_far = _shift_amounts(x, y)
    out = np.right_shift(np.asarray(x).astype(u), y.astype(u))
    return np.where(too_far, np.zeros((), u), out).astype(x.dtype)


def _shift_right_arithmetic_impl(x, y):
    # On the signed bit pattern (unsigned operands too, as jax.lax); a shift by nbits - 1
    # already fills every bit with the sign.
    nbits = x.dtype.itemsize * 8
    signed = np.dtype(f"i{x.dtype.itemsize}")
    y, too_far = _shift_amounts(x, y)
    y = np.where(too_far, nbits - 1, y).astype(signed)
    return np.right_shift(np.asarray(x).astype(signed), y).astype(x.dtype)


def shift_left(x, y):
    """``x << y`` bitwise, 0 where ``y`` reaches the bit width (as ``jax.lax``)."""
    return shift_left_p.bind(*lax_args(x, y))


shift_left_p = standard_binop("shift_left", _shift_left_impl, INT)
defjvp_zero(shift_left_p)


def shift_right_logical(x, y):
    """``x >> y`` filling with zeros (signed operands shift their bit pattern)."""
    return shift_right_logical_p.bind(*lax_args(x, y))


shift_right_logical_p = standard_binop("shift_right_logical", _shift_right_logical_impl, INT)
defjvp_zero(shift_right_logical_p)


def shift_right_arithmetic(x, y):
    """``x >> y`` filling with the sign bit."""
    return shift_right_arithmetic_p.bind(*lax_args(x, y))


shift_right_arithmetic_p = standard_binop(
    "shift_right_arithmetic", _shift_right_arithmetic_impl, INT)
defjvp_zero(shift_right_arithmetic_p)


# --- bitcast_convert_type ---------------------------------------------------------------

def bitcast_convert_type(operand, new_dtype):
    """The bits of ``operand`` read as ``new_dtype`` (of the same width)."""
    return bitcast_convert_type_p.bind(operand, new_dtype=np.dtype(new_dtype))


def _bitcast_impl(x, *, new_dtype):
    return np.asarray(x).view(new_dtype)


def _bitcast_abstract_eval(x, *, new_dtype):
    if x.dtype.kind not in "biufc" or new_dtype.kind not in "biufc":
        raise type_error(bitcast_convert_type_p, [x], f"cannot bitcast to {new_dtype.name}")
    if x.dtype.itemsize != new_dtype.itemsize:
        raise type_error(
            bitcast_convert_type_p, [x],
            f"bitcast to {new_dtype.name} needs a {new_dtype.itemsize}-byte operand "
            f"(different widths are not supported)")
    return ShapedArray(x.shape, new_dtype)


bitcast_convert_type_p = new_primitive(
    "bitcast_convert_type", _bitcast_impl, _bitcast_abstract_eval)
defjvp_zero(bitcast_convert_type_p)
defvectorized(bitcast_convert_type_p)


# --- threefry2x32 -----------------------------------------------------------------------
# Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC 2011): 20 rounds of
# add / rotate / xor on two 32-bit words, a key injection after every 4 rounds with the
# third key word k0 ^ k1 ^ 0x1BD11BDA and the injection counter added to the second word.

THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
THREEFRY_PARITY = 0x1BD11BDA
_CHUNK = 1 << 16  # elements per block: keeps the working set in the cache


def threefry2x32(k0, k1, x0, x1):
    """The threefry2x32 hash of the counter words ``(x0, x1)`` under the key ``(k0, k1)``:
    uint32 operands, the counters of equal shape, the key words of that shape or scalars
    (one key for every counter: the common case, which keeps compiled loops small); two
    uint32 results of the counters' shape."""
    return threefry2x32_p.bind(k0, k1, x0, x1)


def _flat_operand(a, n: int):
    """``a`` as a flat array, or as one uint32 scalar when it holds a single repeated value
    (a broadcast key), so the kernel adds a scalar instead of a materialized array."""
    a = np.asarray(a)
    if a.ndim == 0 or all(s == 0 for s in a.strides):
        return np.uint32(a.reshape(-1)[0]) if n else np.uint32(0)
    return a.reshape(-1)


def _threefry2x32_impl(k0, k1, x0, x1):
    shape = np.shape(x0)
    n = int(np.prod(shape))
    k0, k1, x0, x1 = (_flat_operand(a, n) for a in (k0, k1, x0, x1))
    y0, y1 = np.empty(n, np.uint32), np.empty(n, np.uint32)
    # Large draws: contiguous ranges hashed by several threads at once (NumPy's loops
    # release the GIL), each through cache-sized blocks.
    in_ranges(n, lambda lo, hi: _threefry2x32_range(k0, k1, x0, x1, y0, y1, lo, hi))
    return [y0.reshape(shape), y1.reshape(shape)]


def _threefry2x32_range(k0, k1, x0, x1, y0, y1, lo: int, hi: int) -> None:
    """Hash elements ``lo:hi`` into ``y0``/``y1`` (flat operands; key words and counters
    may be uint32 scalars)."""
    scalar_keys = np.ndim(k0) == 0 and np.ndim(k1) == 0
    tmp = np.empty(min(hi - lo, _CHUNK), np.uint32)
    with np.errstate(over="ignore"):
        for start in range(lo, hi, _CHUNK):
            stop = min(hi, start + _CHUNK)
            part = slice(start, stop)
            a, b, t = y0[part], y1[part], tmp[: stop - start]
            ks = ((k0, k1) if scalar_keys else
                  tuple(k if np.ndim(k) == 0 else k[part] for k in (k0, k1)))
            ks = (*ks, ks[0] ^ ks[1] ^ np.uint32(THREEFRY_PARITY))
            np.add(x0 if np.ndim(x0) == 0 else x0[part], ks[0], out=a)
            np.add(x1 if np.ndim(x1) == 0 else x1[part], ks[1], out=b)
            for i in range(5):
                for r in THREEFRY_ROTATIONS[i % 2]:
                    np.add(a, b, out=a)
                    np.left_shift(b, np.uint32(r), out=t)
                    np.right_shift(b, np.uint32(32 - r), out=b)
                    np.bitwise_or(b, t, out=b)
                    np.bitwise_xor(b, a, out=b)
                np.add(a, ks[(i + 1) % 3], out=a)
                if scalar_keys:  # the injection counter folded into the key word
                    np.add(b, ks[(i + 2) % 3] + np.uint32(i + 1), out=b)
                else:
                    np.add(b, ks[(i + 2) % 3], out=b)
                    np.add(b, np.uint32(i + 1), out=b)


def _threefry2x32_abstract_eval(*avals):
    if len(avals) != 4:
        raise type_error(threefry2x32_p, avals, "takes 4 operands (k0, k1, x0, x1)")
    if any(a.dtype != np.uint32 for a in avals):
        raise type_error(threefry2x32_p, avals, "expects uint32 operands")
    k0, k1, x0, x1 = avals
    check_same_shapes(threefry2x32_p, [x0, x1])
    if any(k.shape not in ((), x0.shape) for k in (k0, k1)):
        raise type_error(threefry2x32_p, avals,
                         "the key words must be scalars or have the counters' shape")
    out = ShapedArray(x0.shape, np.dtype(np.uint32))
    return [out, out]


threefry2x32_p = new_primitive(
    "threefry2x32", _threefry2x32_impl, _threefry2x32_abstract_eval, multiple_results=True)
defjvp_zero(threefry2x32_p)


def _threefry2x32_batch(vals, dims):
    """Every operand to the batched counters' shape, batch axis first; unbatched scalar
    key words stay scalars."""
    size = axis_size_of(vals, dims)
    counts = list(get_aval(vals[2]).shape)
    if dims[2] is not not_mapped:
        del counts[dims[2]]
    shape = (size, *counts)
    x_ndim = len(shape) - 1
    args = []
    for i, (v, d) in enumerate(zip(vals, dims)):
        ndim = get_aval(v).ndim - (d is not not_mapped)
        if i < 2 and ndim == 0 and x_ndim > 0:
            # A scalar key word: unbatched it stays one; batched it spreads over the counters.
            args.append(v if d is not_mapped else broadcast_in_dim(v, shape, (0,)))
        else:
            args.append(bdim_at(v, d, 0, size))
    return threefry2x32_p.bind(*args), [0, 0]


batch_rules[threefry2x32_p] = _threefry2x32_batch

__all__ = [
    "THREEFRY_PARITY",
    "THREEFRY_ROTATIONS",
    "bitcast_convert_type",
    "bitcast_convert_type_p",
    "shift_left",
    "shift_left_p",
    "shift_right_arithmetic",
    "shift_right_arithmetic_p",
    "shift_right_logical",
    "shift_right_logical_p",
    "threefry2x32",
    "threefry2x32_p",
]
