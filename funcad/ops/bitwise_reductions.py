"""Bitwise reductions of ``jax.lax``: ``reduce_and``, ``reduce_or`` and ``reduce_xor`` over
``axes`` of a boolean or integer operand (the dtype is kept; an empty reduction gives the
operation's identity). Their results do not vary smoothly: the JVP is zero."""
from __future__ import annotations

import numpy as np

from funcad.ops._base import bind_reducer, defjvp_zero, defreducer
from funcad.ops._shapes import BOOL_OR_INT, new_reducer


def _bitwise(ufunc: np.ufunc):
    def reduce(x, axes):
        return ufunc.reduce(x, axis=axes, dtype=x.dtype)

    return reduce


def reduce_and(operand, axes):
    """Bitwise (logical, for booleans) AND over ``axes``."""
    return bind_reducer(reduce_and_p, operand, axes)


reduce_and_p = new_reducer("reduce_and", _bitwise(np.bitwise_and), BOOL_OR_INT)
defjvp_zero(reduce_and_p)
defreducer(reduce_and_p)


def reduce_or(operand, axes):
    """Bitwise (logical, for booleans) OR over ``axes``."""
    return bind_reducer(reduce_or_p, operand, axes)


reduce_or_p = new_reducer("reduce_or", _bitwise(np.bitwise_or), BOOL_OR_INT)
defjvp_zero(reduce_or_p)
defreducer(reduce_or_p)


def reduce_xor(operand, axes):
    """Bitwise (logical, for booleans) XOR over ``axes``: the parity of the set bits."""
    return bind_reducer(reduce_xor_p, operand, axes)


reduce_xor_p = new_reducer("reduce_xor", _bitwise(np.bitwise_xor), BOOL_OR_INT)
defjvp_zero(reduce_xor_p)
defreducer(reduce_xor_p)

__all__ = ["reduce_and", "reduce_and_p", "reduce_or", "reduce_or_p", "reduce_xor",
           "reduce_xor_p"]
