"""Helpers of the matrix primitives' rules, written with funcad ops: triangle and diagonal
masks, identity matrices, (conjugate) transposes and Hermitian tangents.

They are shared by ``ops.linalg``, ``ops.decompositions`` and ``ops.matrix_functions``.
Complex matrices follow the usual conventions: ``adjoint`` is the conjugate transpose
``A^H``, which the complex forms of the classical rules use where the real ones transpose.
"""
from __future__ import annotations

import numpy as np

from funcad.core.dtypes import is_complex
from funcad.core.trace import get_aval
from funcad.errors import FuncadNotImplementedError
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import complex_parts as cp
from funcad.ops import logical as lg
from funcad.ops import structural as st
from funcad.ops._base import moveaxis
from funcad.ops._operands import const_like


def triangle_mask(shape, lower: bool, strict: bool = False):
    """Booleans of ``shape``: True on and below (``lower``) or on and above the diagonal
    of each matrix (``strict`` excludes the diagonal). Built from iotas, so no matrix
    constant is embedded in the IR."""
    nd = len(shape)
    rows = st.broadcasted_iota(np.int32, shape, nd - 2)
    cols = st.broadcasted_iota(np.int32, shape, nd - 1)
    if lower:
        return (lg.gt if strict else lg.ge)(rows, cols)
    return (lg.lt if strict else lg.le)(rows, cols)


def diagonal_mask(shape, start: int = 0):
    """Booleans of ``shape``: True on the diagonal of each matrix, from row ``start`` on."""
    nd = len(shape)
    rows = st.broadcasted_iota(np.int32, shape, nd - 2)
    on = lg.eq(rows, st.broadcasted_iota(np.int32, shape, nd - 1))
    if not start:
        return on
    late = lg.ge(rows, base.broadcast_in_dim(np.asarray(start, np.int32), shape, ()))
    return lg.bitwise_and(on, late)


def band(x, lower: bool, strict: bool = False):
    """The lower (or upper) triangle of each matrix in ``x``, zeros elsewhere (a select, so
    whatever lies outside the triangle cannot leak into it)."""
    return base.select_n(triangle_mask(get_aval(x).shape, lower, strict), const_like(x, 0), x)


def eye(like, start: int = 0):
    """Identity matrices shaped and typed like ``like`` (zero rows before ``start``)."""
    mask = diagonal_mask(get_aval(like).shape, start)
    return base.convert_element_type(mask, get_aval(like).dtype)


def swap_last(x):
    """The transpose of each matrix in ``x`` (no conjugation)."""
    nd = get_aval(x).ndim
    return base.transpose(x, (*range(nd - 2), nd - 1, nd - 2))


def conj_if_complex(x):
    """``conj(x)`` for a complex ``x``; a real ``x`` unchanged (``conj`` would make it
    complex)."""
    return cp.conj(x) if is_complex(get_aval(x).dtype) else x


def adjoint(x):
    """The conjugate transpose ``x^H`` of each matrix (the transpose of a real one)."""
    return conj_if_complex(swap_last(x))


def hermitian_from_triangle(t, lower: bool):
    """The Hermitian (real: symmetric) matrix that the ``lower`` (or upper) triangle of
    ``t`` stands for, as LAPACK reads it: the other triangle mirrored and conjugated, and
    the real part of the diagonal (LAPACK ignores its imaginary part). Computed as
    ``B + B^H`` with ``B`` the triangle and half its diagonal, exact for real matrices."""
    shape = get_aval(t).shape
    halves = base.select_n(diagonal_mask(shape), const_like(t, 1), const_like(t, 0.5))
    half = ar.mul(band(t, lower), halves)
    return ar.add(half, adjoint(half))


def real_part_as(x, like):
    """``real(x)`` in the dtype of ``like`` (complex: with a zero imaginary part)."""
    return base.convert_element_type(base.real(x), get_aval(like).dtype)


def no_complex(prim, x) -> None:
    """Refuse to differentiate ``prim`` of a complex matrix (a rule without a complex form)."""
    if is_complex(get_aval(x).dtype):
        raise FuncadNotImplementedError(f"differentiation of `{prim}` for complex matrices")


def batch_leading(vals, dims):
    """One matrix operand with its batch axis among the leading (batch) axes: left where it
    is if it already is one, else moved to the front."""
    (x,), (d,) = vals, dims
    if d >= get_aval(x).ndim - 2:
        x, d = moveaxis(x, d, 0), 0
    return x, d
