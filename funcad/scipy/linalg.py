"""``funcad.scipy.linalg``: SciPy's linear-algebra names on funcad primitives.

Triangular solves, Cholesky and LU factors come from ``funcad.ops.linalg``; ``expm`` is
the primitive of ``funcad.ops.matrix_functions`` (derivatives of every order). As in
``jax.scipy.linalg``, ``cho_factor`` returns a factor with zeros in its other triangle
(SciPy leaves whatever was there), ``cholesky``, ``cho_factor`` and ``eigh`` symmetrize their
input (SciPy reads one triangle; the two agree on symmetric matrices), and ``overwrite_*`` /
``check_finite`` are accepted and ignored.
"""
from __future__ import annotations

import numpy as np

import funcad.numpy as fnp
from funcad.errors import FuncadNotImplementedError, FuncadValueError, with_user_line
from funcad.numpy._core import aval, broadcast_shapes, broadcast_to, cast
from funcad.numpy._linalg_decomp import hermitian_part, inexact, matrix_transpose, square
from funcad.ops import _base as base
from funcad.ops import decompositions as dc
from funcad.ops import linalg as la
from funcad.ops import matrix_functions as mf
from funcad.ops import slicing as sl

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}


def _pair(a, b, fname: str):
    """``a`` and ``b`` in one inexact dtype."""
    a, b = inexact(a, fname), inexact(b, fname)
    dt = np.result_type(aval(a).dtype, aval(b).dtype)
    return cast(a, dt), cast(b, dt)


def _rhs(b, m: int, fname: str):
    """``b`` as ``[..., m, k]`` and whether it was a vector (``[m]``)."""
    shape = aval(b).shape
    vector = len(shape) == 1
    if len(shape) == 0 or shape[-1 if vector else -2] != m:
        raise FuncadValueError(with_user_line(
            f"funcad.scipy.linalg.{fname}: shapes of a and b are incompatible: b has "
            f"shape {shape} but a has {m} rows"))
    return (base.reshape(b, (m, 1)) if vector else b), vector


def _solve_with(fname: str, a, b, solve):
    """Broadcast the batch axes of ``a`` and ``b``, call ``solve(a, b)`` on ``[..., m, k]``
    right-hand sides, and give a vector back for a vector ``b``."""
    m = square(a, fname)
    b, vector = _rhs(b, m, fname)
    batch = broadcast_shapes(f"scipy.linalg.{fname}", aval(a).shape[:-2], aval(b).shape[:-2])
    a = broadcast_to(a, (*batch, m, m))
    b = broadcast_to(b, (*batch, *aval(b).shape[-2:]))
    x = solve(a, b)
    return base.reshape(x, (m,)) if vector else x


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` reading only the ``lower`` (or upper) triangle of ``a``;
    ``trans``: 0/'N' (``a``), 1/'T' (``a^T``), 2/'C' (``a^H``)."""
    del overwrite_b, check_finite
    if trans not in _TRANS:
        raise FuncadValueError(with_user_line(
            f"funcad.scipy.linalg.solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', "
            f"got {trans!r}"))
    t = _TRANS[trans]
    a, b = _pair(a, b, "solve_triangular")
    return _solve_with("solve_triangular", a, b, lambda a, b: la.triangular_solve(
        a, b, left_side=True, lower=bool(lower), transpose_a=t > 0, conjugate_a=t == 2,
        unit_diagonal=bool(unit_diagonal)))


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The upper (or ``lower``) Cholesky factor, zeros in the other triangle, of the
    symmetrized ``(a + a^H) / 2``, so derivatives are symmetric matrices (as those of
    ``jax.numpy.linalg.cholesky``; ``jax.scipy.linalg.cholesky`` reads one triangle)."""
    del overwrite_a, check_finite
    x = inexact(a, "cholesky")
    square(x, "cholesky")
    factor = la.cholesky(hermitian_part(x))
    return factor if lower else fnp.conjugate(matrix_transpose(factor))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for ``cho_solve``; ``c`` is the Cholesky factor (zeros elsewhere)."""
    return cholesky(a, lower, overwrite_a, check_finite), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` from ``cho_factor(a)``'s ``(c, lower)``."""
    del overwrite_b, check_finite
    c, lower = c_and_lower
    c, b = _pair(c, b, "cho_solve")

    def solve(c, b):
        # lower: L L^H x = b; upper: U^H U x = b. Only the factor's triangle is read.
        y = la.triangular_solve(c, b, left_side=True, lower=bool(lower),
                                transpose_a=not lower, conjugate_a=not lower)
        return la.triangular_solve(c, y, left_side=True, lower=bool(lower),
                                   transpose_a=bool(lower), conjugate_a=bool(lower))

    return _solve_with("cho_solve", c, b, solve)


def _permutation_matrix(perm, dtype):
    """``P`` with ``P[..., i, j] = (perm[..., i] == j)``, so ``P @ b == b[..., perm, :]``."""
    shape = aval(perm).shape
    full = (*shape, shape[-1])
    rows = base.broadcast_in_dim(perm, full, tuple(range(len(shape))))
    cols = fnp.broadcast_to(fnp.arange(shape[-1], dtype=np.int32), full)
    return cast(rows == cols, dtype)


def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """LU decomposition with partial pivoting: ``(p, l, u)`` with ``a == p @ l @ u``
    (``p_indices``: ``p`` as row indices, ``a == (l @ u)[p]``; ``permute_l``: ``(p @ l, u)``)."""
    del overwrite_a, check_finite
    x = inexact(a, "lu")
    if aval(x).ndim < 2:
        raise FuncadValueError(with_user_line(
            "funcad.scipy.linalg.lu: expected at least a two-dimensional array"))
    *_, m, n = aval(x).shape
    k = min(m, n)
    lu_, _, perm = la.lu(x)
    lower = la._band(lu_[..., :, :k], lower=True, strict=True) + fnp.eye(m, k, dtype=aval(x).dtype)
    upper = la._band(lu_[..., :k, :], lower=False)
    if permute_l:
        return matrix_transpose(_permutation_matrix(perm, aval(x).dtype)) @ lower, upper
    if p_indices:  # SciPy's p is the inverse permutation: a == (l @ u)[p]
        rows = fnp.arange(m, dtype=np.int32)[:, None]
        p = fnp.sum(_permutation_matrix(perm, np.int32) * rows, axis=-2, dtype=np.int32)
        return p, lower, upper
    # p is real for complex matrices too, as SciPy's and JAX's
    p_dtype = np.finfo(aval(x).dtype).dtype
    return matrix_transpose(_permutation_matrix(perm, p_dtype)), lower, upper


def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)``: both factors in one matrix (the unit diagonal of ``l`` implied) and
    LAPACK's pivots (row ``i`` was swapped with row ``piv[i]``)."""
    del overwrite_a, check_finite
    x = inexact(a, "lu_factor")
    square(x, "lu_factor")
    lu_, pivots, _ = la.lu(x)
    return lu_, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve ``op(a) x = b`` from ``lu_factor(a)``; ``trans`` as in ``solve_triangular``."""
    del overwrite_b, check_finite
    if trans not in _TRANS:
        raise FuncadValueError(with_user_line(
            f"funcad.scipy.linalg.lu_solve: trans must be 0, 1, 2, 'N', 'T' or 'C', got "
            f"{trans!r}"))
    t = _TRANS[trans]
    lu_, piv = lu_and_piv
    lu_, b = _pair(lu_, b, "lu_solve")
    m = square(lu_, "lu_solve")
    perm = dc.lu_pivots_to_permutation(fnp.asarray(piv).astype(np.int32), m)
    p = _permutation_matrix(perm, aval(lu_).dtype)  # P a = L U

    def solve(lu_, b):
        pm = broadcast_to(p, aval(lu_).shape)
        conj = t == 2
        if t == 0:  # L U x = P b
            y = la.triangular_solve(lu_, pm @ b, left_side=True, lower=True, unit_diagonal=True)
            return la.triangular_solve(lu_, y, left_side=True, lower=False)
        # a^T x = b: U^T L^T P x = b
        z = la.triangular_solve(lu_, b, left_side=True, lower=False, transpose_a=True,
                                conjugate_a=conj)
        y = la.triangular_solve(lu_, z, left_side=True, lower=True, transpose_a=True,
                                conjugate_a=conj, unit_diagonal=True)
        return matrix_transpose(pm) @ y

    return _solve_with("lu_solve", lu_, b, solve)


def block_diag(*arrs):
    """The block-diagonal matrix of the given arrays (0-d and 1-d ones are rows)."""
    if not arrs:
        return fnp.zeros((1, 0))
    mats = []
    for x in arrs:
        x = fnp.asarray(x)
        if aval(x).ndim > 2:
            raise FuncadValueError(with_user_line(
                f"funcad.scipy.linalg.block_diag: arguments must have at most 2 dimensions, "
                f"got {aval(x).ndim}"))
        mats.append(base.reshape(x, (1, aval(x).size)) if aval(x).ndim < 2 else x)
    dt = np.result_type(*[aval(x).dtype for x in mats])
    cols = sum(aval(x).shape[1] for x in mats)
    rows, left = [], 0
    for x in mats:
        c = aval(x).shape[1]
        pad = [(0, 0, 0), (left, cols - left - c, 0)]
        rows.append(sl.pad(cast(x, dt), np.zeros((), dt), pad))
        left += c
    return sl.concatenate(rows, 0)


def expm(A):
    """The matrix exponential of each square matrix (derivatives of every order)."""
    x = inexact(A, "expm")
    square(x, "expm")
    return mf.expm(x)


def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """``(expm(A), L(A, E))``, the Fréchet derivative of ``expm`` at ``A`` along ``E``
    (only ``L`` without ``compute_expm``)."""
    del method, check_finite
    a, e = _pair(A, E, "expm_frechet")
    square(a, "expm_frechet")
    shape = broadcast_shapes("scipy.linalg.expm_frechet", aval(a).shape, aval(e).shape)
    a, e = broadcast_to(a, shape), broadcast_to(e, shape)
    frechet = mf.expm_frechet(a, e)
    return (mf.expm(a), frechet) if compute_expm else frechet


def det(a, overwrite_a=False, check_finite=True):
    del overwrite_a, check_finite
    return fnp.linalg.det(a)


def inv(a, overwrite_a=False, check_finite=True):
    del overwrite_a, check_finite
    return fnp.linalg.inv(a)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Solve ``a x = b`` (``a^T x = b`` when ``transposed``); ``assume_a='pos'`` solves by
    Cholesky (reading the ``lower`` or upper triangle), the others by LU."""
    del overwrite_a, overwrite_b, check_finite
    a, b = _pair(a, b, "solve")
    square(a, "solve")
    if transposed:
        a = matrix_transpose(a)
    if assume_a in ("pos", "positive definite"):
        return cho_solve(cho_factor(a, lower=lower), b)
    if assume_a not in (None, "gen", "general", "sym", "symmetric", "her", "hermitian"):
        raise FuncadNotImplementedError(f"funcad.scipy.linalg.solve(assume_a={assume_a!r})")
    return _solve_with("solve", a, b, fnp.linalg.solve)


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None,  # noqa: A002
         driver=None):
    """Eigenvalues (ascending) and eigenvectors of a symmetric (Hermitian) matrix, or of the
    generalized problem ``a v = w b v`` (``type=1``) for a positive-definite ``b``."""
    del overwrite_a, overwrite_b, check_finite, driver
    if subset_by_index is not None or subset_by_value is not None or type != 1:
        raise FuncadNotImplementedError(
            "funcad.scipy.linalg.eigh: subset_by_index, subset_by_value and type != 1")
    x = inexact(a, "eigh")
    if b is None:
        w, v = fnp.linalg.eigh(x, UPLO="L" if lower else "U")
        return w if eigvals_only else (w, v)
    # a v = w b v with b = L L^H: C = L^-1 a L^-H has eigenvectors y = L^H v.
    x, bb = _pair(x, b, "eigh")
    factor = fnp.linalg.cholesky((bb + fnp.conjugate(matrix_transpose(bb))) / 2)
    half = la.triangular_solve(factor, x, left_side=True, lower=True)
    c = la.triangular_solve(factor, half, left_side=False, lower=True, transpose_a=True,
                            conjugate_a=True)
    w, y = fnp.linalg.eigh(c)
    if eigvals_only:
        return w
    v = la.triangular_solve(factor, y, left_side=True, lower=True, transpose_a=True,
                            conjugate_a=True)
    return w, v


__all__ = [
    "block_diag", "cho_factor", "cho_solve", "cholesky", "det", "eigh", "expm",
    "expm_frechet", "inv", "lu", "lu_factor", "lu_solve", "solve", "solve_triangular",
]
