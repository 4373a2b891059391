"""The symbolic stand-ins that transformation rules see instead of values.

``Zero(aval)`` is an all-zero tangent or cotangent that is never materialized, so
differentiating with respect to one argument costs nothing for the others.
``UndefPrimal(aval)`` is a linear input of an equation being transposed: only its type is
known. ``not_mapped`` marks a value without a batch axis under ``vmap``. ``UNKNOWN`` marks
an input that partial evaluation cannot compute yet.
"""
from __future__ import annotations

from funcad.core import dtypes
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
    return dtypes.is_inexact(dtype)


class UndefPrimal:
    """A linear input of an equation being transposed: only its type is known."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"UndefPrimal({self.aval.str_short()})"


def is_undefined(x) -> bool:
    return type(x) is UndefPrimal


# The batch dimension of a value that is the same for every example of a vmap.
not_mapped = None

# A partial-evaluation input whose value is not known at trace time.
UNKNOWN = object()


__all__ = [
    "UNKNOWN",
    "UndefPrimal",
    "Zero",
    "is_differentiable_dtype",
    "is_undefined",
    "not_mapped",
    "tangent_aval",
]
