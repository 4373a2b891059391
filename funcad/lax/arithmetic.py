"""Arithmetic of ``jax.lax`` that is a composition of primitives."""
from __future__ import annotations

from funcad.ops.arithmetic import integer_pow


def reciprocal(x):
    """``1 / x`` (``integer_pow(x, -1)``, as jax.lax defines it)."""
    return integer_pow(x, -1)


__all__ = ["reciprocal"]
