"""Lowering of the floating-point grid primitives (``funcad.ops.float_bits``) to ``jax.lax``.

``nextafter`` is computed on the operands' bit patterns with integer operations only.
``jax.lax.nextafter`` compares its operands as floats, and XLA's CPU backend flushes
subnormal operands to zero in float comparisons, so it returns ``y`` (or a step from zero)
where NumPy steps from a subnormal ``x``; integer operations see every bit. The steps follow
C's ``nextafter``: ``y`` where ``x == y``, the smallest subnormal of ``y``'s sign from a zero,
else one unit in the last place towards ``y`` (an increment or decrement of the magnitude
bits), NaN where either operand is NaN.
"""
from __future__ import annotations

import numpy as np
from jax import lax

from funcad.ops import float_bits
from funcad_xla.rules import register_lowerings


def _nextafter(x, y):
    nbytes = np.dtype(x.dtype).itemsize
    u, s = np.dtype(f"u{nbytes}"), np.dtype(f"i{nbytes}")
    bx, by = lax.bitcast_convert_type(x, u), lax.bitcast_convert_type(y, u)
    sign = u.type(1 << (8 * nbytes - 1))
    inf_bits = u.type(np.array(np.inf, x.dtype).view(u))
    mag_x, mag_y = lax.bitwise_and(bx, ~sign), lax.bitwise_and(by, ~sign)
    neg_x = lax.ne(lax.bitwise_and(bx, sign), u.type(0))
    neg_y = lax.ne(lax.bitwise_and(by, sign), u.type(0))
    # Sign-magnitude as a signed integer orders like the floats (both zeros map to 0).
    key_x = lax.select(neg_x, lax.neg(lax.convert_element_type(mag_x, s)),
                       lax.convert_element_type(mag_x, s))
    key_y = lax.select(neg_y, lax.neg(lax.convert_element_type(mag_y, s)),
                       lax.convert_element_type(mag_y, s))
    away_from_zero = lax.ne(lax.lt(key_x, key_y), neg_x)
    stepped = lax.select(away_from_zero, lax.add(bx, u.type(1)), lax.sub(bx, u.type(1)))
    from_zero = lax.bitwise_or(lax.bitwise_and(by, sign), u.type(1))
    out = lax.select(lax.eq(mag_x, u.type(0)), from_zero, stepped)
    out = lax.select(lax.eq(key_x, key_y), by, out)
    out = lax.select(lax.gt(mag_x, inf_bits), bx, out)
    out = lax.select(lax.gt(mag_y, inf_bits), by, out)  # y's NaN when both are, as NumPy
    return lax.bitcast_convert_type(out, x.dtype)


register_lowerings({
    float_bits.nextafter_p: _nextafter,
})
