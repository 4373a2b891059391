"""Shape and dtype rules shared by the primitives, and making a primitive from its NumPy
implementation and its shape rule.

A primitive's abstract evaluation checks its operands and raises ``PrimitiveTypeError``
naming the primitive, the operand types and the user's line when they do not fit.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.core.primitive import Primitive
from funcad.core.rules import Elementwise, sparsity_rules
from funcad.core.symbolic import not_mapped
from funcad.core.trace import get_aval
from funcad.errors import PrimitiveTypeError

# Kinds of dtype a primitive accepts (NumPy dtype.kind letters).
FLOAT = "f"
INEXACT = "fc"
INT = "iu"
NUMERIC = "iufc"
SIGNED_NUMERIC = "ifc"
REAL_NUMERIC = "iuf"
BOOL_OR_INT = "biu"
ANY = "biufc"

_KIND_WORDS = {
    FLOAT: "floating",
    INEXACT: "floating or complex",
    INT: "integer",
    NUMERIC: "numeric",
    SIGNED_NUMERIC: "signed numeric",
    REAL_NUMERIC: "real numeric",
    BOOL_OR_INT: "boolean or integer",
    ANY: "any",
}


def type_error(prim, avals, reason: str) -> PrimitiveTypeError:
    name = prim.name if isinstance(prim, Primitive) else str(prim)
    return PrimitiveTypeError(name, avals, reason)


def check_kind(prim, avals, kinds: str) -> None:
    for a in avals:
        if a.dtype.kind not in kinds:
            raise type_error(
                prim, avals, f"expects {_KIND_WORDS.get(kinds, kinds)} operands, got {a.dtype.name}"
            )


def check_same_shapes(prim, avals) -> None:
    if len({a.shape for a in avals}) > 1:
        raise type_error(
            prim,
            avals,
            "operands must have equal shapes (broadcast explicitly with broadcast_in_dim)",
        )


def check_same_dtypes(prim, avals) -> None:
    if len({a.dtype for a in avals}) > 1:
        raise type_error(
            prim, avals, "operands must have equal dtypes (convert with convert_element_type)"
        )


def new_primitive(
    name: str, impl: Callable, abstract_eval: Callable, *, multiple_results=False
) -> Primitive:
    prim = Primitive(name, multiple_results=multiple_results)
    prim.def_impl(impl)
    prim.def_abstract_eval(abstract_eval)
    return prim


def _strict_binary(impl, kinds: str):
    """NumPy broadcasts and promotes silently; primitives do neither, in eager mode too (nor
    take operands of a kind their shape rule refuses: NumPy orders complex values and
    computes ``exp`` of integers)."""

    def checked(x, y):
        if (x.shape != y.shape or (x.dtype is not y.dtype and x.dtype != y.dtype)
                or x.dtype.kind not in kinds):
            raise ValueError("operand mismatch")  # turned into PrimitiveTypeError by apply_impl
        return impl(x, y)

    checked.unchecked = impl  # what the NumPy executor runs: staging checked the types
    return checked


def _operands_of_kinds(impl, kinds: str):
    """The eager implementation of a primitive whose shape rule accepts only ``kinds`` of
    dtype: refuses the others too, rather than let NumPy compute (or cast away)
    something."""

    def checked(*xs):
        for x in xs:
            if x.dtype.kind not in kinds:
                raise TypeError("operand kind")  # turned into PrimitiveTypeError by apply_impl
        return impl(*xs)

    checked.unchecked = impl  # what the NumPy executor runs: staging checked the types
    return checked


def elementwise_primitive(
    name: str, impl: Callable, kinds: str, *, result_dtype=None, nargs: int = 1
) -> Primitive:
    """An elementwise primitive of ``nargs`` operands of equal shape and dtype (no rules).
    The result has the operands' type unless ``result_dtype`` is given; it is weak only
    when every operand is weak."""

    def abstract_eval(*avals: ShapedArray) -> ShapedArray:
        if len(avals) != nargs:
            raise type_error(prim, avals, f"takes {nargs} operand{'s' * (nargs != 1)}")
        check_kind(prim, avals, kinds)
        if nargs > 1:
            check_same_shapes(prim, avals)
            check_same_dtypes(prim, avals)
        if result_dtype is None:
            return ShapedArray(avals[0].shape, avals[0].dtype, all(a.weak_type for a in avals))
        return ShapedArray(avals[0].shape, result_dtype)

    if nargs == 2:
        impl = _strict_binary(impl, kinds)
    elif kinds != ANY:
        impl = _operands_of_kinds(impl, kinds)
    prim = new_primitive(name, impl, abstract_eval)
    sparsity_rules[prim] = Elementwise()
    return prim


def new_reducer(name: str, reduce: Callable, kinds: str) -> Primitive:
    """A primitive reducing over the param ``axes`` (sorted distinct ints): the result drops
    those axes and keeps the operand's dtype and weak type. ``reduce(x, axes)`` is the NumPy
    implementation."""

    def abstract_eval(x: ShapedArray, *, axes) -> ShapedArray:
        check_kind(prim, [x], kinds)
        if type(axes) is not tuple or any(type(a) is not int for a in axes):
            raise type_error(prim, [x], f"axes must be a tuple of ints, got {axes!r}")
        if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
            raise type_error(
                prim, [x], f"axes {axes} must be distinct axes of a rank-{x.ndim} operand"
            )
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return ShapedArray(shape, x.dtype, x.weak_type)

    def impl(x, *, axes):
        if x.dtype.kind not in kinds:
            raise TypeError(name)  # apply_impl re-raises it as the shape rule's error
        return reduce(x, axes)

    prim = new_primitive(name, impl, abstract_eval)
    return prim


def complex_part_primitive(name: str, part: Callable) -> Primitive:
    """A primitive taking a part of a complex operand (``part``: ``np.real`` or
    ``np.imag``): a real result of the operand's precision (no rules)."""

    def abstract_eval(x: ShapedArray) -> ShapedArray:
        check_kind(prim, [x], "c")
        return ShapedArray(x.shape, np.finfo(x.dtype).dtype, x.weak_type)

    def impl(x):
        if not dtypes.is_complex(x.dtype):
            raise TypeError(name)  # apply_impl re-raises it as the shape rule's error
        return part(x)

    prim = new_primitive(name, impl, abstract_eval)
    sparsity_rules[prim] = Elementwise()
    return prim


def canonical_axes(axes, ndim: int, prim=None, avals=()) -> tuple[int, ...]:
    """Normalize ``axes`` (int or sequence, possibly negative) to sorted unique ints."""
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise type_error(prim, avals, f"axis {a} is out of range for rank {ndim}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise type_error(prim, avals, f"repeated axis in {tuple(axes)}")
    return tuple(out)


def shape_tuple(shape) -> tuple[int, ...]:
    """A static shape (or axis list) as a tuple of Python ints."""
    return tuple(int(d) for d in shape)


# --- axes of batched values ------------------------------------------------------------

def axis_size_of(vals, dims) -> int:
    for v, d in zip(vals, dims):
        if d is not not_mapped:
            return get_aval(v).shape[d]
    raise AssertionError("no batched operand")


def shift_axes(axes, bdim: int) -> tuple[int, ...]:
    """Axes of the unbatched value, renumbered for a value with a batch axis at ``bdim``."""
    return tuple(a + (a >= bdim) for a in axes)


def inverse_perm(perm) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def kept_axes(ndim: int, axes) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i not in axes)
