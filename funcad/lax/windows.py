"""``reduce_window`` of ``jax.lax`` for the monoids funcad has pooling primitives for:
``lax.add`` (sum pooling), ``lax.max`` and ``lax.min``."""
from __future__ import annotations

import numpy as np

from funcad.core.trace import get_aval, to_concrete
from funcad.errors import FuncadNotImplementedError, FuncadTypeError, with_user_line
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops._windowing import dilate_shape, padtype_to_pads
from funcad.ops.windows import (
    reduce_window_max,
    reduce_window_min,
    reduce_window_sum,
)

_POOLS = {ar.add: ("sum", reduce_window_sum), ar.max: ("max", reduce_window_max),
          ar.min: ("min", reduce_window_min)}


def _is_identity(op: str, init, dtype) -> bool:
    value = to_concrete(init)
    if value is None:
        return False
    value = np.asarray(value)
    if op == "sum":
        return bool(value == 0)
    if dtype.kind == "f":
        return bool(value == (-np.inf if op == "max" else np.inf))
    if dtype.kind == "b":
        return bool(value == (op == "min"))
    info = np.iinfo(dtype)
    return bool(value == (info.min if op == "max" else info.max))


def reduce_window(operand, init_value, computation, window_dimensions, window_strides,
                  padding, base_dilation=None, window_dilation=None):
    """Reduce every window of ``operand`` with ``computation`` (``lax.add``, ``lax.max`` or
    ``lax.min``) starting from ``init_value``: each window's result is
    ``computation(init_value, reduction of the window)``, as in JAX. ``padding`` is
    ``(lo, hi)`` pairs or ``"SAME"``/``"VALID"``."""
    # The public lax.add is its eager wrapper (results with .at); the pools key the original.
    if getattr(computation, "__funcad_eager__", False):
        computation = computation.__wrapped__
    if computation not in _POOLS:
        raise FuncadNotImplementedError(
            "reduce_window with a computation other than lax.add, lax.max or lax.min")
    op, pool = _POOLS[computation]
    aval = get_aval(operand)
    init_aval = get_aval(init_value)
    if init_aval.shape != ():
        raise FuncadTypeError(with_user_line(
            f"reduce_window: init_value must be a scalar, got {init_aval.str_short()}"))
    n = aval.ndim
    ones = (1,) * n
    window_strides = ones if window_strides is None else tuple(window_strides)
    if isinstance(padding, str):
        dilated = dilate_shape(aval.shape, base_dilation or ones)
        padding = padtype_to_pads(dilated, dilate_shape(window_dimensions,
                                                        window_dilation or ones),
                                  window_strides, padding)
    out = pool(operand, window_dimensions, window_strides, padding, base_dilation,
               window_dilation)
    if _is_identity(op, init_value, aval.dtype):
        return out
    init = base.convert_element_type(init_value, aval.dtype)
    init = base.broadcast_in_dim(init, get_aval(out).shape, ())
    # init enters each window once (padding holds the operation's identity, as in jax)
    return computation(out, init)


__all__ = ["reduce_window"]
