"""Kernels of the NumPy executor: for each equation, the fastest NumPy callable that
computes it, with its params bound once at compile time.

Every fact is read from the tables of ``funcad.core.rules`` that each primitive's block
fills (``funcad.ops._kernels.defkernel``); this module names no primitive. Shapes and
dtypes were checked when the IR was staged, so kernels skip the checks of the primitives'
eager implementations, which stay the fallback.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from funcad.core import dtypes
from funcad.core.rules import fresh_results, inexact_inplace_ufuncs, inplace_ufuncs, numpy_kernels
from funcad.ir.core import Eqn


def kernel(eqn: Eqn) -> Callable:
    """A callable computing ``eqn`` from its operand values."""
    factory = numpy_kernels.get(eqn.primitive)
    fn = factory(eqn) if factory is not None else None
    if fn is not None:
        return fn
    impl = eqn.primitive.impl
    impl = getattr(impl, "unchecked", impl)  # an eager implementation's checks, skipped
    return functools.partial(impl, **eqn.params) if eqn.params else impl


def inplace_ufunc(eqn: Eqn) -> np.ufunc | None:
    """A ufunc computing ``eqn`` that may write into an operand of the result's type: the
    one registered for the primitive, else the kernel when it is a ufunc."""
    if len(eqn.outvars) != 1 or not eqn.outvars[0].aval.shape:
        return None
    prim, dtype = eqn.primitive, eqn.outvars[0].aval.dtype
    if any(x.aval.dtype != dtype for x in eqn.invars):
        return None
    fn = inplace_ufuncs.get(prim)
    if fn is None and dtypes.is_inexact(dtype):
        fn = inexact_inplace_ufuncs.get(prim)
    if fn is None:
        fn = kernel(eqn)
        if not isinstance(fn, np.ufunc):
            return None
    return fn


def returns_fresh(eqn: Eqn) -> bool:
    """Whether the kernel of ``eqn`` returns a new array that nothing else refers to (views
    such as reshapes, transposes and broadcasts do not): a registered fact, or a primitive
    computed by a ufunc."""
    if not all(v.aval.shape for v in eqn.outvars):
        return False
    prim = eqn.primitive
    return (prim in fresh_results or prim in inplace_ufuncs or prim in inexact_inplace_ufuncs
            or isinstance(kernel(eqn), np.ufunc))


__all__ = ["inplace_ufunc", "kernel", "returns_fresh"]
