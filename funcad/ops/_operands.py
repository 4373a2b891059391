"""Operand helpers of the elementwise wrappers (shared by ``elementwise`` and ``logical``):
Python scalars take the dtype and shape of the array operands, and rule constants are made
in an operand's type."""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.dtypes import PYTHON_SCALARS
from funcad.core.trace import get_aval
from funcad.ops._base import broadcast_in_dim

_WEAK_TYPES = {dtypes.float_: float, dtypes.int_: int, dtypes.complex_: complex}


def lax_args(*args):
    """Give Python scalars the dtype and shape of the array operands (as jax.lax does)."""
    for a in args:
        if type(a) in PYTHON_SCALARS:
            break
    else:
        return args
    ref = next((a for a in args if not dtypes.is_python_scalar(a)), None)
    if ref is None:
        return tuple(np.asarray(a) for a in args)

    aval = get_aval(ref)
    # Next to a weak operand a Python scalar stays weak (staged as a weak literal).
    py_type = _WEAK_TYPES.get(aval.dtype) if aval.weak_type else None
    out = []
    for a in args:
        if type(a) in PYTHON_SCALARS:
            a = py_type(a) if py_type is not None else np.asarray(a, dtype=aval.dtype)
            if aval.shape:
                a = broadcast_in_dim(a, aval.shape, ())
        out.append(a)
    return tuple(out)


def const_like(x, value):
    """``value`` broadcast to ``x``'s shape and dtype (rules use it for their constants)."""

    aval = get_aval(x)
    if not aval.shape:
        return np.asarray(value, aval.dtype)
    return broadcast_in_dim(np.asarray(value, aval.dtype), aval.shape, ())


__all__ = ["const_like", "lax_args"]
