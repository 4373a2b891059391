"""Lowerings of the bit-level primitives (``funcad.ops.bits``) to ``jax.lax``; threefry2x32
lowers to jax's own threefry primitive, so compiled random numbers cost what jax's do."""
from __future__ import annotations

from jax import lax
from jax.extend import random as jax_random

from funcad.ops import bits
from funcad_xla.rules import register_lowerings


def _bitcast(x, *, new_dtype):
    return lax.bitcast_convert_type(x, new_dtype)


def _threefry2x32(k0, k1, x0, x1):
    return list(jax_random.threefry2x32_p.bind(k0, k1, x0, x1))


register_lowerings({
    bits.shift_left_p: lax.shift_left,
    bits.shift_right_logical_p: lax.shift_right_logical,
    bits.shift_right_arithmetic_p: lax.shift_right_arithmetic,
    bits.bitcast_convert_type_p: _bitcast,
    bits.threefry2x32_p: _threefry2x32,
})
