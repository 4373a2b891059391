"""Registering a primitive's facts for the NumPy executor (``funcad.backends.numpy``), and
the kernel factories that several primitives' blocks share.

A kernel factory takes a type-checked equation and returns the fastest NumPy callable that
computes it, its params bound once at compile time, or None to run the implementation.
Floating-point arithmetic uses Python's operators, which NumPy maps to the same ufuncs but
reaches much faster on 0-d values; integer arithmetic keeps the ufuncs (their overflow
wraps silently, as eagerly).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.core import dtypes
from funcad.core.primitive import Primitive
from funcad.core.rules import fresh_results, inexact_inplace_ufuncs, inplace_ufuncs, numpy_kernels


def defkernel(
    prim: Primitive, factory: Callable | None = None, *, inplace: np.ufunc | None = None,
    inexact_inplace: np.ufunc | None = None, fresh: bool = False,
) -> None:
    """Register the NumPy executor's facts about ``prim``: its kernel ``factory``, the ufunc
    that may write its result into an operand (``inplace``; ``inexact_inplace``: only for
    inexact results), and whether its kernel returns an array of its own (``fresh``)."""
    if factory is not None:
        numpy_kernels[prim] = factory
    if inplace is not None:
        inplace_ufuncs[prim] = inplace
    if inexact_inplace is not None:
        inexact_inplace_ufuncs[prim] = inexact_inplace
    if fresh:
        fresh_results.add(prim)


def fixed_kernel(fn: Callable) -> Callable:
    """The factory whose kernel is ``fn`` for every equation."""
    return lambda eqn: fn


def arithmetic_kernel(operator_fn: Callable, ufunc: np.ufunc | None = None) -> Callable:
    """Python's ``operator_fn`` for inexact results, ``ufunc`` for the others (None: the
    implementation)."""

    def factory(eqn):
        return operator_fn if dtypes.is_inexact(eqn.outvars[0].aval.dtype) else ufunc

    return factory


def reshape_kernel(eqn) -> Callable:
    """A reshape to the result's shape (reshape, squeeze, expand_dims)."""
    shape = eqn.outvars[0].aval.shape
    return lambda x: np.reshape(x, shape)


def broadcast_kernel(eqn) -> Callable:
    """``broadcast_in_dim``: a reshape that puts the operand's axes in place, then a view."""
    shape, dims = eqn.params["shape"], eqn.params["broadcast_dimensions"]
    in_shape = eqn.invars[0].aval.shape
    expanded = [1] * len(shape)
    for src, dst in enumerate(dims):
        expanded[dst] = in_shape[src]
    expanded = tuple(expanded)
    return lambda x: np.broadcast_to(np.reshape(x, expanded), shape)


def transpose_kernel(eqn) -> Callable:
    perm = eqn.params["permutation"]
    return lambda x: np.transpose(x, perm)


def select_kernel(eqn) -> Callable | None:
    """``np.where`` for a boolean choice between two cases."""
    if eqn.invars[0].aval.dtype == np.bool_ and len(eqn.invars) == 3:
        return lambda which, on_false, on_true: np.where(which, on_true, on_false)
    return None


def convert_kernel(eqn) -> Callable:
    dtype = eqn.params["new_dtype"]
    return lambda x: x.astype(dtype)


def reduce_kernel(ufunc: np.ufunc) -> Callable:
    """``ufunc.reduce`` over the param ``axes``; sums and products accumulate in the
    operand's dtype. An empty max or min runs the implementation (it knows the identity)."""

    def factory(eqn):
        axes = eqn.params["axes"]
        aval = eqn.invars[0].aval
        if any(aval.shape[a] == 0 for a in axes) and ufunc in (np.maximum, np.minimum):
            return None
        dtype = aval.dtype if ufunc in (np.add, np.multiply) else None
        return lambda x: ufunc.reduce(x, axis=axes, dtype=dtype)

    return factory


__all__ = [
    "arithmetic_kernel",
    "broadcast_kernel",
    "convert_kernel",
    "defkernel",
    "fixed_kernel",
    "reduce_kernel",
    "reshape_kernel",
    "select_kernel",
    "transpose_kernel",
]
