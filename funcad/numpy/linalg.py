"""``funcad.numpy.linalg``: norms, solves, inverses, determinants, powers and condition
numbers; the decompositions come from ``funcad.numpy._linalg_decomp``.

Solves, inverses and determinants are built from the ``lu`` and ``triangular_solve``
primitives (the row permutation applied as a one-hot matrix product), never from
``numpy.linalg``, so that their derivatives follow from those primitives' rules. A singular
matrix gives inf/NaN (as in JAX) rather than NumPy's ``LinAlgError``.
"""
from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from funcad.core import dtypes
from funcad.custom_derivatives import custom_jvp
from funcad.errors import FuncadValueError, NumpyNameNotImplementedError, with_user_line
from funcad.numpy import _creation as cr
from funcad.numpy import _products as pr
from funcad.numpy import _reductions as rd
from funcad.numpy import _shape as sh
from funcad.numpy import _ufuncs as uf
from funcad.numpy._core import (
    array_operand,
    aval,
    broadcast_shapes,
    broadcast_to,
    cast,
    normalize_axes,
)
from funcad.numpy._linalg_decomp import (
    EighResult,
    EigResult,
    QRResult,
    SVDResult,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    hermitian_part,
    inexact,
    lstsq,
    matrix_rank,
    matrix_transpose,
    multi_dot,
    pinv,
    qr,
    square,
    svd,
)
from funcad.numpy._reductions import (
    check_axis_arg,
    diagonal_mask,
    full,
    keep_dims,
    masked,
)
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import complex_parts as cp
from funcad.ops import elementwise as ew
from funcad.ops import linalg as la
from funcad.ops import logical as lg
from funcad.ops import reductions as red
from funcad.ops import structural as st
from funcad.ops.dot_options import dot_options

_inexact = inexact
_square = square


def _diagonal(x):
    """The diagonals of the last two (square) axes, as a masked sum."""
    nd = aval(x).ndim
    return base.reduce_sum(masked(x, diagonal_mask(aval(x).shape, nd - 2, nd - 1)), (nd - 1,))


def _permutation_matrix(perm, dtype):
    """``P`` with ``P[..., i, j] = (perm[..., i] == j)``, so ``P @ b == b[..., perm, :]``."""
    shape = aval(perm).shape
    full_shape = (*shape, shape[-1])
    rows = base.broadcast_in_dim(perm, full_shape, tuple(range(len(shape))))
    cols = st.broadcasted_iota(np.int32, full_shape, len(shape))
    return cast(lg.eq(rows, cols), dtype)


def _batched_matmul(a, b):
    nd = aval(a).ndim
    batch = tuple(range(nd - 2))
    return la.dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


def _lu_solve(lu, perm, b):
    """Solve ``A x = b`` from ``A``'s LU factors; ``b`` is ``[..., m, k]``, batch as ``lu``."""
    return _solve_triangles(lu, _batched_matmul(_permutation_matrix(perm, aval(b).dtype), b))


def _solve_triangles(lu, pb):
    """Solve ``L U x = pb`` (``pb`` is the right-hand side already permuted)."""
    y = la.triangular_solve(lu, pb, left_side=True, lower=True, unit_diagonal=True)
    return la.triangular_solve(lu, y, left_side=True, lower=False)


def solve(a, b):
    """Solve ``a @ x = b``. ``b`` is a vector only when ``b.ndim == 1`` (NumPy 2's rule);
    otherwise ``[..., m, k]``. Batch axes broadcast."""
    a, b = _inexact(a, "solve"), _inexact(b, "solve")
    dt = np.result_type(aval(a).dtype, aval(b).dtype)
    a, b = cast(a, dt), cast(b, dt)
    m = _square(a, "solve")
    sb = aval(b).shape
    vector = len(sb) == 1
    if vector:
        b = base.reshape(b, (*sb, 1))
    if aval(b).ndim < 2 or aval(b).shape[-2] != m:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.solve: b of shape {sb} does not match a of shape "
            f"{aval(a).shape} (needs {m} rows)"
        ))
    batch = broadcast_shapes("linalg.solve", aval(a).shape[:-2], aval(b).shape[:-2])
    lu, _, perm = la.lu(a)
    lu = broadcast_to(lu, (*batch, m, m))
    perm = broadcast_to(perm, (*batch, m))
    x = _lu_solve(lu, perm, broadcast_to(b, (*batch, *aval(b).shape[-2:])))
    return st.squeeze(x, [len(batch) + 1]) if vector else x


def inv(a):
    """The inverse of each square matrix in ``a``."""
    a = _inexact(a, "inv")
    _square(a, "inv")
    lu, _, perm = la.lu(a)
    # P @ I == P: the permutation matrix is the permuted right-hand side.
    return _solve_triangles(lu, _permutation_matrix(perm, aval(a).dtype))


def _lu_diagonal_and_parity(a, fname: str):
    """``diag(U)`` of ``a``'s LU factors and whether the row permutation is odd."""
    _square(a, fname)
    lu, pivots, _ = la.lu(a)
    return _diagonal(lu), _odd_permutation(pivots)


def _odd_permutation(pivots):
    shape = aval(pivots).shape
    moved = lg.ne(pivots, st.broadcasted_iota(np.int32, shape, len(shape) - 1))
    swaps = base.reduce_sum(cast(moved, np.int32), (len(shape) - 1,))
    return lg.ne(ar.rem(swaps, full(2, np.int32, aval(swaps).shape)),
                 full(0, np.int32, aval(swaps).shape))


def _parity_sign(odd, dtype):
    one = full(1, dtype, aval(odd).shape)
    return base.select_n(odd, one, ar.neg(one))


def det(a):
    """The determinant of each square matrix in ``a``: the product of ``U``'s diagonal,
    negated for an odd row permutation."""
    a = _inexact(a, "det")
    d, odd = _lu_diagonal_and_parity(a, "det")
    return ar.mul(_parity_sign(odd, aval(d).dtype), red.reduce_prod(d, (aval(d).ndim - 1,)))


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


def _slogdet_from_lu(lu, pivots):
    d, odd = _diagonal(lu), _odd_permutation(pivots)
    last = (aval(d).ndim - 1,)
    sign = ar.mul(_parity_sign(odd, aval(d).dtype), red.reduce_prod(ar.sign(d), last))
    # (sign of a complex d is d / |d|, its phase; its derivative is the rule's, below)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the answer for a singular matrix
        logabs = base.reduce_sum(ew.log(ar.abs(d)), last)
    return sign, logabs


def _slogdet_by_lu(a):
    lu, pivots, _ = la.lu(a)
    return _slogdet_from_lu(lu, pivots)


_slogdet_rule = custom_jvp(_slogdet_by_lu)


@_slogdet_rule.defjvp
def _slogdet_jvp(primals, tangents):
    # d log|det A| = real(tr(A^-1 dA)) and, for complex A, d sign = i imag(tr(A^-1 dA)) sign
    # (as JAX): one LU gives the value and the inverse, and the tangent map is an
    # elementwise product (cheap to transpose), not a derivative of the LU.
    (a,), (a_dot,) = primals, tangents
    lu, pivots, perm = la.lu(a)
    ainv = _solve_triangles(lu, _permutation_matrix(perm, aval(a).dtype))
    nd = aval(a).ndim
    t = base.reduce_sum(ar.mul(matrix_transpose(ainv), a_dot), (nd - 2, nd - 1))
    sign, logabs = _slogdet_from_lu(lu, pivots)
    if not dtypes.is_complex(aval(a).dtype):
        return (sign, logabs), (None, t)
    phase = ar.sub(t, cast(base.real(t), aval(t).dtype))  # i imag(t)
    # The tangent's sign factor goes through this rule again (its derivative is not the
    # zero one of the elementwise sign in _slogdet_from_lu): second derivatives need it.
    return (sign, logabs), (ar.mul(phase, _slogdet_rule(a)[0]), base.real(t))


def slogdet(a, *, method=None):
    """``(sign, log|det|)`` of each square matrix, computed without overflow; a singular
    matrix gives ``(0, -inf)`` (and NaN derivatives, as in JAX). ``method`` ``"lu"``
    (``None``) or ``"qr"`` is JAX's choice of factorization; both give these numbers, so
    funcad always factors by LU."""
    if method not in (None, "lu", "qr"):
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.slogdet: unknown method {method!r}; supported are 'lu' "
            "(None) and 'qr'"))
    a = _inexact(a, "slogdet")
    _square(a, "slogdet")
    return SlogdetResult(*_slogdet_rule(a))


# The Cholesky factor of the lower triangle, differentiated as JAX's (also funcad.lax.linalg's).
cholesky_as_given = custom_jvp(la.cholesky)


@cholesky_as_given.defjvp
def _cholesky_as_given_jvp(primals, tangents):
    # JAX's rule for an input taken as given: dL = L Phi(L^-1 dA L^-H), Phi = lower triangle
    # with halved diagonal, with the whole of dA (its upper triangle too), so that gradients
    # of ported code with symmetrize_input=False are JAX's.
    (a,), (a_dot,) = primals, tangents
    factor = cholesky_as_given(a)  # higher derivatives follow this rule again, as JAX's
    return factor, la.cholesky_tangent(factor, a_dot)


def cholesky(a, /, *, upper=False, symmetrize_input=True):
    """The lower (or, with ``upper``, upper) Cholesky factor of each Hermitian
    positive-definite matrix; a matrix that is not positive definite gives NaNs.

    As JAX's: the factor is of ``(a + a^H) / 2`` unless ``symmetrize_input=False``, which
    reads only the lower triangle of ``a`` (this changes values and derivatives for an
    input that is not Hermitian). The derivative then is JAX's rule applied to the whole
    tangent, upper triangle included (so gradients of ported code are JAX's)."""
    a = _inexact(a, "cholesky")
    _square(a, "cholesky")
    factor = la.cholesky(hermitian_part(a)) if symmetrize_input else cholesky_as_given(a)
    if not upper:
        return factor
    nd = aval(factor).ndim
    upper_factor = base.transpose(factor, (*range(nd - 2), nd - 1, nd - 2))
    # A = L L^H = U^H U: the upper factor is L's conjugate transpose.
    return cp.conj(upper_factor) if dtypes.is_complex(aval(a).dtype) else upper_factor


# --- norms -------------------------------------------------------------------------------------

def _abs(x):
    return ar.abs(x) if dtypes.is_inexact(aval(x).dtype) else x


def _vector_norm(x, ord, axes):  # noqa: A002 - NumPy name
    dt = aval(x).dtype
    real = np.finfo(dt).dtype  # the real dtype of a complex one
    if ord is None or ord == 2:
        ax = _abs(x) if dtypes.is_complex(dt) else x
        return ew.sqrt(base.reduce_sum(ar.mul(ax, ax), axes))
    if ord == np.inf:
        return red.reduce_max(_abs(x), axes)
    if ord == -np.inf:
        return red.reduce_min(_abs(x), axes)
    if ord == 0:
        zero = full(0, dt, aval(x).shape)
        return base.reduce_sum(cast(lg.ne(x, zero), real), axes)
    if ord == 1:
        return base.reduce_sum(_abs(x), axes)
    p = full(float(ord), real, aval(x).shape)
    total = base.reduce_sum(ew.pow(_abs(x), p), axes)
    return ew.pow(total, full(1.0 / float(ord), real, aval(total).shape))


def _matrix_norm(x, ord, row: int, col: int):  # noqa: A002 - NumPy name
    if ord in (None, "fro", "f"):
        ax = _abs(x)
        return ew.sqrt(base.reduce_sum(ar.mul(ax, ax), (row, col)))
    if ord == "nuc" or ord in (2, -2):
        nd = aval(x).ndim
        rest = [i for i in range(nd) if i not in (row, col)]
        s = svd(base.transpose(x, (*rest, row, col)), compute_uv=False)
        last = (len(rest),)
        if ord == "nuc":
            return base.reduce_sum(s, last)
        return (red.reduce_max if ord == 2 else red.reduce_min)(s, last)
    if ord in (1, -1):
        sums, over = base.reduce_sum(_abs(x), (row,)), col - (col > row)
    elif ord in (np.inf, -np.inf):
        sums, over = base.reduce_sum(_abs(x), (col,)), row - (row > col)
    else:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.norm: invalid norm order {ord!r} for matrices"
        ))
    return (red.reduce_max if ord in (1, np.inf) else red.reduce_min)(sums, (over,))


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy name
    """Vector norms (``ord`` None/2, 1, inf, -inf, 0, any p) over one axis and matrix norms
    ('fro', 'nuc', 1, -1, 2, -2, inf, -inf) over two, as ``numpy.linalg.norm``; the
    matrix 2-norms and the nuclear norm come from the singular values."""
    check_axis_arg(axis, "linalg.norm")
    x = _inexact(x, "norm")
    nd = aval(x).ndim
    if axis is None:
        if ord is not None and nd not in (1, 2):
            raise FuncadValueError(with_user_line(
                f"funcad.numpy.linalg.norm: improper number of dimensions ({nd}) to norm"
            ))
        if ord is None:  # the 2-norm of the flattened array
            return keep_dims(_vector_norm(x, None, tuple(range(nd))), aval(x).shape,
                             tuple(range(nd)), keepdims)
    axes = tuple(range(nd)) if axis is None else axis
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    if len(axes) not in (1, 2):
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.norm: axis={axis!r} must name one or two axes"
        ))
    norm_axes = normalize_axes(axes, nd, "linalg.norm")
    if len(axes) == 1:
        if isinstance(ord, str):
            raise FuncadValueError(with_user_line(
                f"funcad.numpy.linalg.norm: invalid norm order {ord!r} for vectors"
            ))
        r = _vector_norm(x, ord, norm_axes)
    else:
        row, col = (a % nd for a in axes)
        r = _matrix_norm(x, ord, row, col)
    return keep_dims(r, aval(x).shape, norm_axes, keepdims)


# --- powers and condition numbers ----------------------------------------------------------

def matrix_power(a, n):
    """``a`` to the integer power ``n`` by repeated squaring (``n < 0``: of ``inv(a)``)."""
    x = array_operand(a, "linalg.matrix_power")
    size = square(x, "matrix_power")
    try:
        n = operator.index(n)
    except TypeError:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.matrix_power: exponent must be an integer, got {n!r}"
        )) from None
    if n == 0:
        return sh.broadcast_to(cr.eye(size, dtype=aval(x).dtype), aval(x).shape)
    if n < 0:
        x, n = inv(x), -n
    result, power = None, x
    while n:
        if n & 1:
            result = power if result is None else pr.matmul(result, power)
        n >>= 1
        if n:
            power = pr.matmul(power, power)
    return result


def cond(x, p=None):
    """The condition number of each square matrix in norm ``p``: the ratio of extreme
    singular values for ``p`` None, 2 or -2, else ``norm(x, p) * norm(inv(x), p)`` (NaN
    from a singular matrix becomes inf, as in NumPy)."""
    x = inexact(x, "cond")
    _matrices_of(x)
    if p is None or p in (2, -2):
        s = svd(x, compute_uv=False)
        hi, lo = rd.max(s, axis=-1), rd.min(s, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return uf.divide(lo, hi) if p == -2 else uf.divide(hi, lo)
    square(x, "cond")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
    from_nan = uf.isnan(r) & ~rd.any(uf.isnan(x), axis=(-2, -1))
    return uf.where(from_nan, np.inf, r).astype(aval(r).dtype)


def _matrices_of(x) -> None:
    if aval(x).ndim < 2:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.cond: {aval(x).ndim}-dimensional array given; the array "
            "must be at least two-dimensional"))


# --- array-API names ---------------------------------------------------------------------------

LinAlgError = np.linalg.LinAlgError


def svdvals(x, /):
    """The singular values of each matrix, descending (``svd(x, compute_uv=False)``)."""
    return svd(x, compute_uv=False)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002 - NumPy name
    """``norm`` over the last two axes."""
    return norm(x, ord, (-2, -1), keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002 - NumPy name
    """``norm`` of vectors along ``axis`` (all axes, flattened, when None)."""
    x = inexact(x, "vector_norm")
    shape = aval(x).shape
    axes = tuple(range(len(shape))) if axis is None else axis
    axes = normalize_axes((axes,) if isinstance(axes, (int, np.integer)) else axes,
                          len(shape), "linalg.vector_norm")
    rest = [i for i in range(len(shape)) if i not in axes]
    # The named axes become one (last) axis: a vector norm over all of them at once.
    flat = base.reshape(base.transpose(x, (*rest, *axes)),
                        (*[shape[i] for i in rest], int(np.prod([shape[i] for i in axes]))))
    r = norm(flat, ord, -1)
    if not keepdims:
        return r
    return base.reshape(r, tuple(1 if i in axes else d for i, d in enumerate(shape)))


@dot_options("funcad.numpy.linalg.matmul")
def matmul(x1, x2, /):
    return pr.matmul(x1, x2)


@dot_options("funcad.numpy.linalg.tensordot")
def tensordot(x1, x2, /, *, axes=2):
    return pr.tensordot(x1, x2, axes)


def outer(x1, x2, /):
    """The outer product of two vectors (1-D only, as ``numpy.linalg.outer``)."""
    for x in (x1, x2):
        if aval(array_operand(x, "linalg.outer")).ndim != 1:
            raise FuncadValueError(with_user_line(
                "funcad.numpy.linalg.outer: both arguments must be one-dimensional"))
    return pr.outer(x1, x2)


def trace(x, /, *, offset=0, dtype=None):
    """The traces of the matrices in the last two axes."""
    return pr.trace(x, offset, -2, -1, dtype)


def __getattr__(name: str):
    # A numpy.linalg name funcad lacks gets an error saying so, not a bare AttributeError.
    if not name.startswith("_") and hasattr(np.linalg, name):
        raise NumpyNameNotImplementedError(f"linalg.{name}")
    raise AttributeError(f"module 'funcad.numpy.linalg' has no attribute {name!r}")


__all__ = [
    "EigResult", "EighResult", "LinAlgError", "QRResult", "SVDResult", "SlogdetResult",
    "cholesky", "cond", "det", "eig", "eigh", "eigvals", "eigvalsh", "inv", "lstsq", "matmul",
    "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "multi_dot", "norm",
    "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "trace",
    "vector_norm",
]
