"""Op-spec rows of the bit-level primitives (``funcad.ops.bits``): shifts with every shift
amount (including ones at and past the bit width, where ``jax.lax`` gives 0 or the sign),
bitcasts, and threefry2x32 against a NumPy reference written from the cipher's definition."""
from __future__ import annotations

import numpy as np

from funcad import lax
from funcad.ops import bits

from specs.spec import BINARY_SHAPES, I32, I64, OpSpec

U8, U32, I8, U64 = (np.dtype(t) for t in (np.uint8, np.uint32, np.int8, np.uint64))
INTS = (I32, I64, U32, U8, I8, U64)


def _operand_and_shift(rng, shapes, dtype):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, size=shapes[0], dtype=dtype, endpoint=True)
    s = rng.integers(0, info.bits + 3, size=shapes[1]).astype(dtype)
    return [np.asarray(x), np.asarray(s)]


def _ref_shift(op):
    """The shift by Python integers, one element at a time (no platform behaviour)."""

    def ref(x, s):
        x, s = np.broadcast_arrays(x, s)
        nbits = x.dtype.itemsize * 8
        out = np.empty(x.shape, x.dtype)
        for i in np.ndindex(x.shape):
            v, n = int(x[i]) % 2 ** nbits, int(s[i])
            if op == "left":
                r = (v << n) if n < nbits else 0
            elif op == "logical":
                r = (v >> n) if n < nbits else 0
            else:
                signed = v - 2 ** nbits if v >= 2 ** (nbits - 1) else v
                r = signed >> min(n, nbits - 1)
            out[i] = np.array(r % 2 ** nbits, dtype=np.uint64).astype(x.dtype)
        return out

    return ref


def _ref_threefry(k0, k1, x0, x1):
    k0, k1 = np.broadcast_to(k0, x0.shape), np.broadcast_to(k1, x0.shape)
    mask = 0xFFFFFFFF
    out0, out1 = np.empty(x0.shape, np.uint32), np.empty(x0.shape, np.uint32)
    for i in np.ndindex(x0.shape):
        ks = [int(k0[i]), int(k1[i])]
        ks.append(ks[0] ^ ks[1] ^ 0x1BD11BDA)
        a, b = (int(x0[i]) + ks[0]) & mask, (int(x1[i]) + ks[1]) & mask
        for j in range(5):
            for r in ((13, 15, 26, 6), (17, 29, 16, 24))[j % 2]:
                a = (a + b) & mask
                b = ((b << r) | (b >> (32 - r))) & mask
                b ^= a
            a = (a + ks[(j + 1) % 3]) & mask
            b = (b + ks[(j + 2) % 3] + j + 1) & mask
        out0[i], out1[i] = a, b
    return out0, out1


def _words(rng, shapes, dtype):
    return [rng.integers(0, 2 ** 32, size=s, dtype=np.uint64).astype(np.uint32) for s in shapes]


_EQUAL = tuple(s for s in BINARY_SHAPES if s[0] == s[1])

SPECS = [
    OpSpec("shift_left", bits.shift_left, _ref_shift("left"), _EQUAL, INTS,
           make_args=_operand_and_shift, differentiable=False),
    OpSpec("shift_right_logical", bits.shift_right_logical, _ref_shift("logical"), _EQUAL, INTS,
           make_args=_operand_and_shift, differentiable=False),
    OpSpec("shift_right_arithmetic", bits.shift_right_arithmetic, _ref_shift("arith"), _EQUAL,
           INTS, make_args=_operand_and_shift, differentiable=False),
    OpSpec("bitcast_f32_u32", lambda x: lax.bitcast_convert_type(x, np.uint32),
           lambda x: np.asarray(x).view(np.uint32), (((),), ((4,),), ((2, 3),)),
           (np.dtype(np.float32),), differentiable=False),
    OpSpec("bitcast_u64_f64", lambda x: lax.bitcast_convert_type(x, np.float64),
           lambda x: np.asarray(x).view(np.float64), (((),), ((4,),), ((2, 3),)), (U64,),
           make_args=lambda rng, s, d: [rng.integers(0, 2 ** 62, size=s[0], dtype=np.uint64)],
           differentiable=False),
    OpSpec("threefry2x32", bits.threefry2x32, _ref_threefry, (((),) * 4, ((5,),) * 4,
                                                             ((2, 3),) * 4), (U32,),
           make_args=_words, differentiable=False),
    OpSpec("threefry2x32_scalar_key", bits.threefry2x32, _ref_threefry,
           (((), (), (5,), (5,)), ((), (), (2, 3), (2, 3))), (U32,), make_args=_words,
           differentiable=False),
]
