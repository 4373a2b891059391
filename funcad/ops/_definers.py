"""The standard elementwise definers: a primitive with its shape rule and its batching rule
in one line, as most of the elementwise families need.

``standard_unop`` primitives batch by keeping the batch axis where it is;
``standard_binop`` ones by lining up their operands' batch axes. Pass ``batch_rule`` to
register a different one.

Given a NumPy ufunc as implementation, the NumPy executor calls the ufunc itself: for one
operand the implementation is the ufunc, for two the definer registers it as the kernel
(the implementation adds eager mode's checks). The executor derives from a ufunc kernel
that the result is a fresh array and can be written into an operand's buffer.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.core.primitive import Primitive
from funcad.core.rules import batch_rules, taylor_rules
from funcad.ops._base import defbroadcasting, defvectorized
from funcad.ops._kernels import defkernel, fixed_kernel
from funcad.ops._shapes import INEXACT, NUMERIC, elementwise_primitive


def standard_unop(
    name: str, impl: Callable, kinds: str = INEXACT, *, result_dtype=None,
    batch_rule: Callable | None = None,
) -> Primitive:
    """An elementwise primitive of one operand; the result has the operand's type unless
    ``result_dtype`` is given."""
    prim = elementwise_primitive(name, impl, kinds, result_dtype=result_dtype, nargs=1)
    taylor_rules[prim] = "elementwise"
    if batch_rule is None:
        defvectorized(prim)
    else:
        batch_rules[prim] = batch_rule
    return prim


def standard_binop(
    name: str, impl: Callable, kinds: str = NUMERIC, *, result_dtype=None,
    batch_rule: Callable | None = None,
) -> Primitive:
    """An elementwise primitive of two operands of equal shape and dtype."""
    prim = elementwise_primitive(name, impl, kinds, result_dtype=result_dtype, nargs=2)
    taylor_rules[prim] = "elementwise"
    if isinstance(impl, np.ufunc):
        defkernel(prim, fixed_kernel(impl))
    if batch_rule is None:
        defbroadcasting(prim)
    else:
        batch_rules[prim] = batch_rule
    return prim
