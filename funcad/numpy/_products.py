"""Products of ``funcad.numpy``: dot, matmul, vdot, inner, outer, tensordot, trace (and
einsum, from ``_einsum``). Every contraction is one ``dot_general`` in NumPy's layout."""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._core import (
    array_operand,
    aval,
    broadcast_shapes,
    broadcast_to,
    cast,
    normalize_axis,
    promote_dtypes,
)
from funcad.numpy._einsum import einsum
from funcad.numpy._reductions import (
    diagonal_mask,
    masked,
    result_dtype,
    sum_as,
)
from funcad.numpy._ufuncs import multiply
from funcad.ops import _base as base
from funcad.ops import structural as st
from funcad.ops.complex_parts import conj
from funcad.ops.dot_options import dot_options
from funcad.ops.linalg import dot_general_p


def _operands(fname: str, *xs) -> list:
    """Operands promoted to their common dtype (NumPy 2 rules), not broadcast."""
    xs = [array_operand(x, fname) for x in xs]
    dtype = aval(xs[0]).dtype
    if all(isinstance(x, np.ndarray) and x.dtype == dtype for x in xs):
        return xs  # the common eager case: nothing to promote
    return promote_dtypes(*xs)


def _check_sizes(fname: str, a, b, ia: int, ib: int) -> None:
    sa, sb = aval(a).shape, aval(b).shape
    if sa[ia] != sb[ib]:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.{fname}: shapes {sa} and {sb} not aligned: "
            f"{sa[ia]} (axis {ia % len(sa)}) != {sb[ib]} (axis {ib % len(sb)})"
        ))


def _contract(a, b, axes_a, axes_b, batch_a=(), batch_b=()):
    """``dot_general`` with canonical dimension numbers (tuples of ints) bound directly."""
    dims = ((tuple(axes_a), tuple(axes_b)), (tuple(batch_a), tuple(batch_b)))
    return dot_general_p.bind(a, b, dimension_numbers=dims, preferred_element_type=None)


def _ravel(x):
    return base.reshape(x, (aval(x).size,))


@dot_options("funcad.numpy.dot")
def dot(a, b, out=None):
    """``numpy.dot``: the last axis of ``a`` against the second-to-last of ``b`` (its only
    axis when ``b`` is a vector); a scalar operand multiplies."""
    if out is not None:
        raise NotImplementedError("funcad.numpy.dot: out= is not supported")
    a, b = _operands("dot", a, b)
    na, nb = aval(a).ndim, aval(b).ndim
    if na == 0 or nb == 0:
        return multiply(a, b)
    ib = 0 if nb == 1 else nb - 2
    _check_sizes("dot", a, b, na - 1, ib)
    return _contract(a, b, [na - 1], [ib])


@dot_options("funcad.numpy.matmul")
def matmul(x1, x2, /):
    """``x1 @ x2`` with NumPy's rules: batch axes broadcast; a vector operand gets a unit
    axis that is removed again."""
    a, b = _operands("matmul", x1, x2)
    sa, sb = aval(a).shape, aval(b).shape
    if not sa or not sb:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.matmul: operands must not be scalars (shapes {sa} and {sb})"
        ))
    ib = 0 if len(sb) == 1 else len(sb) - 2
    if sa[-1] != sb[ib]:
        _check_sizes("matmul", a, b, -1, ib)
    if len(sb) <= 2:
        # No batch axes on the right: one plain contraction (the MLP case, batch @ weights).
        return _contract(a, b, [len(sa) - 1], [0])
    if len(sa) == 1:
        a = base.reshape(a, (1, sa[0]))
    batch = broadcast_shapes("matmul", aval(a).shape[:-2], sb[:-2])
    a = broadcast_to(a, batch + aval(a).shape[-2:])
    b = broadcast_to(b, batch + sb[-2:])
    nd = len(batch)
    out = _contract(a, b, [nd + 1], [nd], range(nd), range(nd))
    return st.squeeze(out, [nd]) if len(sa) == 1 else out


@dot_options("funcad.numpy.vdot")
def vdot(a, b, /):
    """The dot product of the flattened operands."""
    a, b = _operands("vdot", a, b)
    if dtypes.is_complex(aval(a).dtype):
        a = conj(a)  # NumPy conjugates the first operand
    a, b = _ravel(a), _ravel(b)
    _check_sizes("vdot", a, b, 0, 0)
    return _contract(a, b, [0], [0])


@dot_options("funcad.numpy.inner")
def inner(a, b, /):
    """``numpy.inner``: contraction of the last axes; a scalar operand multiplies."""
    a, b = _operands("inner", a, b)
    na, nb = aval(a).ndim, aval(b).ndim
    if na == 0 or nb == 0:
        return multiply(a, b)
    _check_sizes("inner", a, b, -1, -1)
    return _contract(a, b, [na - 1], [nb - 1])


def outer(a, b, out=None):
    """``numpy.outer``: every element of flattened ``a`` times every element of ``b``."""
    if out is not None:
        raise NotImplementedError("funcad.numpy.outer: out= is not supported")
    a, b = _operands("outer", a, b)
    a, b = _ravel(a), _ravel(b)
    return multiply(base.reshape(a, (aval(a).size, 1)), base.reshape(b, (1, aval(b).size)))


def _tensordot_axes(axes, na: int, nb: int) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > na or n > nb:
            raise FuncadValueError(with_user_line(
                f"funcad.numpy.tensordot: axes={n} does not fit operands of rank {na} and {nb}"
            ))
        return list(range(na - n, na)), list(range(n))
    try:
        axes_a, axes_b = axes
    except (TypeError, ValueError):
        raise FuncadTypeError(with_user_line(
            f"funcad.numpy.tensordot: axes must be an int or a pair of axis lists, got {axes!r}"
        )) from None
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    if len(axes_a) != len(axes_b):
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.tensordot: axes {axes_a} and {axes_b} differ in length"
        ))
    return ([normalize_axis(i, na, "tensordot") for i in axes_a],
            [normalize_axis(i, nb, "tensordot") for i in axes_b])


@dot_options("funcad.numpy.tensordot")
def tensordot(a, b, axes=2):
    """Contract ``axes`` of ``a`` with ``axes`` of ``b`` (an int N: the last N of ``a``
    with the first N of ``b``); the result has ``a``'s free axes, then ``b``'s."""
    a, b = _operands("tensordot", a, b)
    axes_a, axes_b = _tensordot_axes(axes, aval(a).ndim, aval(b).ndim)
    if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise FuncadValueError(with_user_line(f"funcad.numpy.tensordot: repeated axes in {axes}"))
    for i, j in zip(axes_a, axes_b):
        _check_sizes("tensordot", a, b, i, j)
    return _contract(a, b, axes_a, axes_b)


# --- diagonals and traces ----------------------------------------------------------------------

def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Sum along a diagonal of the ``axis1``/``axis2`` planes; the remaining axes stay."""
    if out is not None:
        raise NotImplementedError("funcad.numpy.trace: out= is not supported")
    x = array_operand(a, "trace")
    shape = aval(x).shape
    if len(shape) < 2:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.trace: needs an array of at least two dimensions, got shape {shape}"
        ))
    ax1 = normalize_axis(axis1, len(shape), "trace")
    ax2 = normalize_axis(axis2, len(shape), "trace")
    if ax1 == ax2:
        raise FuncadValueError(with_user_line("funcad.numpy.trace: axis1 and axis2 are the same"))
    x = cast(x, result_dtype("trace", x, dtype))
    return sum_as(masked(x, diagonal_mask(shape, ax1, ax2, int(offset))), (ax1, ax2))


__all__ = ["dot", "einsum", "inner", "matmul", "outer", "tensordot", "trace", "vdot"]
