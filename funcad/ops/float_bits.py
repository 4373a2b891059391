"""Primitives that step through the floating-point grid itself.

``nextafter`` is a primitive rather than a composition of bit operations: XLA's CPU backend
flushes subnormal numbers to zero inside arithmetic, so a composition would step wrongly
near zero there, while ``jax.lax.nextafter`` and ``numpy.nextafter`` give the exact next
representable value, subnormals included. Like ``jax.lax.nextafter`` its derivative is zero:
the result moves in steps of one unit in the last place, not smoothly.
"""
from __future__ import annotations

import numpy as np

from funcad.ops._base import defjvp_zero
from funcad.ops._definers import standard_binop
from funcad.ops._operands import lax_args
from funcad.ops._shapes import FLOAT

# --- nextafter ----------------------------------------------------------------------------


def nextafter(x1, x2):
    """The next representable value after ``x1`` in the direction of ``x2`` (float operands
    of equal shape and dtype, as ``jax.lax.nextafter``)."""
    return nextafter_p.bind(*lax_args(x1, x2))


def _nextafter_impl(x, y):
    if x.dtype.kind != "f":  # eager mode refuses what the shape rule refuses
        raise TypeError("nextafter of non-float operands")  # apply_impl names the primitive
    return np.nextafter(x, y)


nextafter_p = standard_binop("nextafter", _nextafter_impl, FLOAT)
defjvp_zero(nextafter_p)
