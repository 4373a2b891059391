"""The ``precision`` and ``preferred_element_type`` options of JAX's products.

JAX code passes them to ``jnp.dot``, ``matmul``, ``einsum``, ``lax.dot_general`` and the
rest (``precision=lax.Precision.HIGHEST``, ``preferred_element_type=jnp.float32``).
funcad computes every product at the full precision of its dtype on every backend (NumPy's
BLAS; XLA with HIGHEST on GPUs), so a ``precision`` is checked and accepted, never a
reason to compute less exactly. ``preferred_element_type`` is the dtype the product
accumulates in and returns, as in JAX.
"""
from __future__ import annotations

import enum
import functools

import numpy as np

from funcad.core.trace import get_aval
from funcad.errors import FuncadValueError, with_user_line
from funcad.ops._base import convert_element_type


class Precision(enum.Enum):
    """``jax.lax.Precision``: how exactly an accelerator may compute a product (funcad
    always computes at the dtype's full precision)."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        if isinstance(value, str):
            member = _NAMES.get(value.lower())
            if member is not None:
                return cls[member]
        return None

    def __str__(self):
        return self.name


_NAMES = {"default": "DEFAULT", "bfloat16": "DEFAULT", "fastest": "DEFAULT",
          "high": "HIGH", "bfloat16_3x": "HIGH", "tensorfloat32": "HIGH",
          "highest": "HIGHEST", "float32": "HIGHEST"}


def _one_precision(p) -> bool:
    if p is None or isinstance(p, Precision):
        return True
    if isinstance(p, str):
        return p.lower() in _NAMES
    # jax.lax.Precision (or any enum of the same names)
    return isinstance(p, enum.Enum) and p.name in Precision.__members__


def check_precision(precision, fn: str) -> None:
    """A clear error for a ``precision`` that JAX would refuse too."""
    if _one_precision(precision):
        return
    if (isinstance(precision, (tuple, list)) and len(precision) == 2
            and all(_one_precision(p) for p in precision)):
        return
    raise FuncadValueError(with_user_line(
        f"{fn}: precision must be None, a funcad.lax.Precision (or jax.lax.Precision), one "
        f"of the names {sorted(_NAMES)}, or a pair of those; got {precision!r}"))


def with_preferred_type(product, args, positions, preferred_element_type):
    """``product(*args)`` accumulated in and returned as ``preferred_element_type``: when
    every operand (``args`` at ``positions``) casts to it safely, they are cast first (a
    wider accumulator, as XLA's); else the result is cast (a narrower result type)."""
    target = np.dtype(preferred_element_type)
    args = [np.asarray(x) if isinstance(x, (list, tuple)) and i in positions else x
            for i, x in enumerate(args)]  # nested lists are arrays, as everywhere
    if all(np.can_cast(get_aval(args[i]).dtype, target, "safe") for i in positions):
        for i in positions:
            args[i] = convert_element_type(args[i], target)
    out = product(*args)
    # (a sum of small integers comes back wider, as NumPy sums them)
    return out if get_aval(out).dtype == target else convert_element_type(out, target)


def dot_options(fn: str, operands=lambda args: (0, 1)):
    """A product function taking JAX's keyword-only ``precision`` and
    ``preferred_element_type`` (the decorated function takes neither); ``operands(args)``
    gives the positions of the array operands among the positional arguments."""
    def decorate(product):
        @functools.wraps(product)
        def wrapper(*args, precision=None, preferred_element_type=None, **kwargs):
            check_precision(precision, fn)
            if preferred_element_type is None:
                return product(*args, **kwargs)
            return with_preferred_type(lambda *xs: product(*xs, **kwargs), args,
                                       operands(args), preferred_element_type)
        return wrapper
    return decorate


__all__ = ["Precision", "check_precision", "dot_options", "with_preferred_type"]
