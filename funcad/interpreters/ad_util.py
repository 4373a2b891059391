"""Symbolic zeros and the one place tangents and cotangents are added or instantiated.

A ``Zero(aval)`` stands for an all-zero tangent or cotangent without materializing it, so
differentiating with respect to one argument costs nothing for the others.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.trace import get_aval


class Zero:
    """An all-zero tangent/cotangent of type ``aval``."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    @staticmethod
    def like(x) -> Zero:
        return Zero(tangent_aval(get_aval(x)))

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    """Tangents have the primal's shape and dtype, never a weak type."""
    return aval.strip_weak_type()


def is_differentiable_dtype(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


def zeros_of(aval: ShapedArray):
    """A materialized zero array of ``aval`` (staged like any other operation)."""
    from funcad.ops.structural import broadcast_in_dim

    return broadcast_in_dim(np.zeros((), aval.dtype), aval.shape, ())


def instantiate_zeros(t):
    return zeros_of(t.aval) if type(t) is Zero else t


def add_tangents(x, y):
    """Sum of two tangents (or cotangents), keeping symbolic zeros symbolic."""
    if x is None or type(x) is Zero:
        return y
    if y is None or type(y) is Zero:
        return x
    return _add_any()(x, y)


def _add_any():
    # ops.elementwise defines add_any with rules from this package: bound on first use.
    global _add_any_fn
    if _add_any_fn is None:
        from funcad.ops.elementwise import add_any

        _add_any_fn = add_any
    return _add_any_fn


_add_any_fn = None


__all__ = ["Zero", "add_tangents", "instantiate_zeros", "tangent_aval", "zeros_of"]
