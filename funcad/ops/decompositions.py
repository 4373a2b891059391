"""Matrix decompositions: ``eigh``, ``svd``, ``qr``, ``geqrf`` and ``eig``, as
``jax.lax.linalg``.

Each primitive is one block: wrapper -> primitive (impl on ``numpy.linalg``, batched over
the leading axes; shape/dtype rule) -> JVP written in funcad ops (so it differentiates
again) -> batching. The JVP rules are the classical ones (Giles 2008; Seeger et al. 2017):
at degenerate points they divide by zero exactly where JAX's do (eigenvector derivatives
at repeated eigenvalues, singular-vector derivatives at repeated or zero singular values,
``qr`` derivatives of rank-deficient matrices), giving inf/NaN there and nowhere else;
eigenvalues and singular values themselves differentiate everywhere they are simple.
"""
from __future__ import annotations

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.dtypes import is_complex
from funcad.core.rules import batch_rules, jvp_rules
from funcad.core.symbolic import Zero
from funcad.core.trace import get_aval
from funcad.errors import FuncadNotImplementedError
from funcad.ops import _base as base
from funcad.ops import _matrix_helpers as mh
from funcad.ops import arithmetic as ar
from funcad.ops import complex_parts as cp
from funcad.ops import linalg as la
from funcad.ops import logical as lg
from funcad.ops import reductions as rd
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.ops._operands import const_like
from funcad.ops._shapes import INEXACT, check_kind, new_primitive, type_error


def _real_dtype(dtype) -> np.dtype:
    return np.finfo(dtype).dtype if is_complex(dtype) else np.dtype(dtype)


def _diag(m):
    """The diagonals of the (square) matrices in ``m``, as a masked sum over the rows."""
    nd = get_aval(m).ndim
    masked = base.select_n(la._diagonal_mask(get_aval(m).shape), const_like(m, 0), m)
    return base.reduce_sum(masked, (nd - 1,))


def _as_rows(v, shape):
    """``v[..., None, :]`` broadcast to ``shape`` (each row of the matrix is ``v``)."""
    nb = get_aval(v).ndim - 1
    return base.broadcast_in_dim(v, shape, (*range(nb), nb + 1))


def _as_cols(v, shape):
    """``v[..., :, None]`` broadcast to ``shape`` (each column of the matrix is ``v``)."""
    nb = get_aval(v).ndim - 1
    return base.broadcast_in_dim(v, shape, (*range(nb), nb))


def _inverse_gaps(w, shape):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal and 0 on it, computed as JAX does:
    ``1 / (I + w_j - w_i) - I``, so a repeated value gives inf off the diagonal."""
    gaps = ar.sub(_as_rows(w, shape), _as_cols(w, shape))
    eye = la._eye(gaps)
    return ar.sub(ar.div(const_like(gaps, 1), ar.add(eye, gaps)), eye)


def _as_dtype_of(x, like):
    """``x`` converted to the dtype of ``like`` (a real factor of a complex product)."""
    dtype = get_aval(like).dtype
    return x if get_aval(x).dtype == dtype else base.convert_element_type(x, dtype)


def _imaginary_diagonal(c):
    """``i Im(diag(c))`` as a diagonal matrix: the gauge part of the complex rules."""
    on = la._diagonal_mask(get_aval(c).shape)
    return base.select_n(on, const_like(c, 0), ar.sub(c, mh.real_part_as(c, c)))


def _slice_last2(x, rows: int, cols: int):
    """``x[..., :rows, :cols]``."""
    shape = get_aval(x).shape
    return sl.slice(x, (0,) * len(shape), (*shape[:-2], rows, cols))


# --- eigh --------------------------------------------------------------------------------------

def eigh(x, *, lower=True, sort_eigenvalues=True):
    """Eigenvectors and eigenvalues ``(v, w)`` of each symmetric (Hermitian) matrix in ``x``,
    eigenvalues ascending, reading only the ``lower`` (or upper) triangle, as
    ``jax.lax.linalg.eigh(x, symmetrize_input=False)``; ``x == v @ diag(w) @ v^H``."""
    del sort_eigenvalues  # LAPACK's eigenvalues come sorted ascending
    return eigh_p.bind(x, lower=bool(lower))


def _eigh_impl(x, *, lower):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2] or x.dtype.kind not in INEXACT:
        raise TypeError("eigh")
    w, v = np.linalg.eigh(x, UPLO="L" if lower else "U")
    return v.astype(x.dtype, copy=False), w.astype(_real_dtype(x.dtype), copy=False)


def _eigh_abstract_eval(x, *, lower):
    check_kind(eigh_p, [x], INEXACT)
    n = la._check_square(eigh_p, x, [x])
    return [x.strip_weak_type(), ShapedArray((*x.shape[:-2], n), _real_dtype(x.dtype))]


eigh_p = new_primitive("eigh", _eigh_impl, _eigh_abstract_eval, multiple_results=True)


def symmetric_from_triangle(t, lower: bool):
    """The symmetric (Hermitian) matrix that the ``lower`` (or upper) triangle of ``t``
    stands for."""
    return mh.hermitian_from_triangle(t, lower)


def _eigh_jvp(primals, tangents, *, lower):
    # With M = V^H dA V: dw = real(diag(M)), dV = V (F o M), F[i, j] = 1 / (w_j - w_i) off
    # the diagonal (inf at repeated eigenvalues, as in JAX); V^H dV has a zero diagonal,
    # JAX's choice of the phases of complex eigenvectors.
    (x,), (t,) = primals, tangents
    v, w = eigh_p.bind(x, lower=lower)
    if type(t) is Zero:
        return [v, w], [Zero.like(v), Zero.like(w)]
    shape = get_aval(x).shape
    m = la._matmul(la._matmul(mh.adjoint(v), symmetric_from_triangle(t, lower)), v)
    dv = la._matmul(v, ar.mul(_as_dtype_of(_inverse_gaps(w, shape), m), m))
    dw = _diag(m)
    return [v, w], [dv, base.real(dw) if is_complex(get_aval(dw).dtype) else dw]


def _eigh_batch(vals, dims, *, lower):
    x, d = la._batch_leading(vals, dims)
    return eigh_p.bind(x, lower=lower), [d, d]


jvp_rules[eigh_p] = _eigh_jvp
batch_rules[eigh_p] = _eigh_batch


# --- svd ---------------------------------------------------------------------------------------

def svd(x, *, full_matrices=True, compute_uv=True):
    """Singular value decomposition of each ``[m, n]`` matrix in ``x``, as
    ``jax.lax.linalg.svd``: ``(u, s, vh)`` with ``x == u[..., :k] @ diag(s) @ vh[..., :k, :]``
    (``k = min(m, n)``, singular values descending), or only ``s`` without ``compute_uv``."""
    outs = svd_p.bind(x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    if not compute_uv:
        return outs[0]
    s, u, vh = outs
    return u, s, vh


def _svd_impl(x, *, full_matrices, compute_uv):
    if x.ndim < 2 or x.dtype.kind not in INEXACT:
        raise TypeError("svd")
    real = _real_dtype(x.dtype)
    if not compute_uv:
        return [np.linalg.svd(x, compute_uv=False).astype(real, copy=False)]
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return [s.astype(real, copy=False), u.astype(x.dtype, copy=False),
            vh.astype(x.dtype, copy=False)]


def _svd_abstract_eval(x, *, full_matrices, compute_uv):
    check_kind(svd_p, [x], INEXACT)
    if x.ndim < 2:
        raise type_error(svd_p, [x], "expects matrices in the last two axes")
    *batch, m, n = x.shape
    k = min(m, n)
    s = ShapedArray((*batch, k), _real_dtype(x.dtype))
    if not compute_uv:
        return [s]
    rows, cols = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray((*batch, m, rows), x.dtype), ShapedArray((*batch, cols, n), x.dtype)]


svd_p = new_primitive("svd", _svd_impl, _svd_abstract_eval, multiple_results=True)


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    # With dP = U^H dA V: ds = real(diag(dP)); dU = U (F o (dP S + S dP^H) + G) and
    # dV = V (F o (S dP + dP^H S)), F[i, j] = 1 / (s_j^2 - s_i^2) off the diagonal, G the
    # diagonal i Im(dP_ii) / s_i (zero for real matrices; where s_i = 0 it is 0, as in
    # JAX, which also puts this phase term in dU alone); a rectangular matrix adds the part
    # of dA outside the span of U (or V), divided by s.
    (x,), (t,) = primals, tangents
    *_, m, n = get_aval(x).shape
    if compute_uv and full_matrices and m != n:
        raise FuncadNotImplementedError(
            "differentiation of `svd` with full_matrices=True of a non-square matrix (as in "
            "JAX); use full_matrices=False")
    s, u, vh = svd_p.bind(x, full_matrices=False, compute_uv=True)
    outs = [s, u, vh] if compute_uv else [s]
    if type(t) is Zero:
        return outs, [Zero.like(o) for o in outs]
    cplx = is_complex(get_aval(x).dtype)
    v = mh.adjoint(vh)
    dp = la._matmul(la._matmul(mh.adjoint(u), t), v)
    ds = base.real(_diag(dp)) if cplx else _diag(dp)
    if not compute_uv:
        return outs, [ds]
    kk = get_aval(dp).shape
    sc = _as_dtype_of(s, dp)
    s_row, s_col = _as_rows(sc, kk), _as_cols(sc, kk)
    f = _as_dtype_of(_inverse_gaps(ar.mul(s, s), kk), dp)
    dp_s, s_dp = ar.mul(dp, s_row), ar.mul(s_col, dp)
    inner_u = ar.mul(f, ar.add(dp_s, mh.adjoint(dp_s)))
    if cplx:
        inner_u = ar.add(inner_u, ar.mul(_imaginary_diagonal(dp), _safe_inverse_rows(s, dp)))
    du = la._matmul(u, inner_u)
    dv = la._matmul(v, ar.mul(f, ar.add(s_dp, mh.adjoint(s_dp))))
    if m > n:  # (I - U U^H) dA V / s
        dav = la._matmul(t, v)
        rest = ar.sub(dav, la._matmul(u, la._matmul(mh.adjoint(u), dav)))
        du = ar.add(du, ar.div(rest, _as_rows(sc, get_aval(rest).shape)))
    if n > m:  # (I - V V^H) dA^H U / s
        dau = la._matmul(mh.adjoint(t), u)
        rest = ar.sub(dau, la._matmul(v, la._matmul(vh, dau)))
        dv = ar.add(dv, ar.div(rest, _as_rows(sc, get_aval(rest).shape)))
    return outs, [ds, du, mh.adjoint(dv)]


def _safe_inverse_rows(s, like):
    """``1 / s_j`` in row ``i``, column ``j`` of a matrix shaped like ``like``, with 0
    where ``s_j = 0`` (JAX's convention for the phase term of a zero singular value)."""
    zero = lg.eq(s, const_like(s, 0))
    safe = base.select_n(zero, s, const_like(s, 1))
    inv = base.select_n(zero, ar.div(const_like(s, 1), safe), const_like(s, 0))
    return _as_rows(_as_dtype_of(inv, like), get_aval(like).shape)


def _svd_batch(vals, dims, **params):
    x, d = la._batch_leading(vals, dims)
    outs = svd_p.bind(x, **params)
    return outs, [d] * len(outs)


jvp_rules[svd_p] = _svd_jvp
batch_rules[svd_p] = _svd_batch


# --- qr ----------------------------------------------------------------------------------------

def qr(x, *, full_matrices=True):
    """QR decomposition ``(q, r)`` of each ``[m, n]`` matrix in ``x``, as
    ``jax.lax.linalg.qr``: ``q`` orthonormal ``[m, m]`` (``[m, k]`` without
    ``full_matrices``), ``r`` upper triangular, ``x == q @ r``."""
    q, r = qr_p.bind(x, full_matrices=bool(full_matrices))
    return q, r


def _qr_impl(x, *, full_matrices):
    if x.ndim < 2 or x.dtype.kind not in INEXACT:
        raise TypeError("qr")
    q, r = np.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return [q.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)]


def _qr_abstract_eval(x, *, full_matrices):
    check_kind(qr_p, [x], INEXACT)
    if x.ndim < 2:
        raise type_error(qr_p, [x], "expects matrices in the last two axes")
    *batch, m, n = x.shape
    k = m if full_matrices else min(m, n)
    x = x.strip_weak_type()
    return [ShapedArray((*batch, m, k), x.dtype), ShapedArray((*batch, k, n), x.dtype)]


qr_p = new_primitive("qr", _qr_impl, _qr_abstract_eval, multiple_results=True)


def _qr_square_jvp(q, r, dx):
    """Tangents of ``x = q r`` for ``x`` with at least as many rows as columns, ``r``
    square: with C = Q^H dX R^-1 and Omega = tril(C, -1) - tril(C, -1)^H + i Im(diag(C))
    (skew-Hermitian; the last term is zero for real matrices), dQ = dX R^-1 - Q (C - Omega)
    and dR = (C - Omega) R (JAX's rule)."""
    dx_rinv = la.triangular_solve(r, dx, left_side=False, lower=False)
    c = la._matmul(mh.adjoint(q), dx_rinv)
    low = la._band(c, lower=True, strict=True)
    omega = ar.sub(low, mh.adjoint(low))
    if is_complex(get_aval(c).dtype):
        omega = ar.add(omega, _imaginary_diagonal(c))
    c_minus = ar.sub(c, omega)
    return ar.sub(dx_rinv, la._matmul(q, c_minus)), la._matmul(c_minus, r)


def _qr_jvp(primals, tangents, *, full_matrices):
    (x,), (t,) = primals, tangents
    q, r = qr_p.bind(x, full_matrices=full_matrices)
    if type(t) is Zero:
        return [q, r], [Zero.like(q), Zero.like(r)]
    *_, m, n = get_aval(x).shape
    if full_matrices and m > n:
        raise FuncadNotImplementedError(
            "differentiation of `qr` with full_matrices=True of a matrix with more rows than "
            "columns (as in JAX); use full_matrices=False")
    if m >= n:
        return [q, r], list(_qr_square_jvp(q, r, t))
    # Wide: X = [A | B] with A = Q R_A square, R = [R_A | Q^H B], so dR_B = dQ^H B + Q^H dB.
    nd = get_aval(x).ndim
    a_dot, b_dot = _slice_last2(t, m, m), sl.slice(t, (0,) * (nd - 1) + (m,), get_aval(t).shape)
    b = sl.slice(x, (0,) * (nd - 1) + (m,), get_aval(x).shape)
    dq, dra = _qr_square_jvp(q, _slice_last2(r, m, m), a_dot)
    drb = ar.add(la._matmul(mh.adjoint(dq), b), la._matmul(mh.adjoint(q), b_dot))
    return [q, r], [dq, sl.concatenate([dra, drb], nd - 1)]


def _qr_batch(vals, dims, *, full_matrices):
    x, d = la._batch_leading(vals, dims)
    return qr_p.bind(x, full_matrices=full_matrices), [d, d]


jvp_rules[qr_p] = _qr_jvp
batch_rules[qr_p] = _qr_batch


# --- geqrf -------------------------------------------------------------------------------------

def geqrf(x):
    """The Householder form of the QR decomposition of each ``[m, n]`` matrix in ``x``, as
    LAPACK's geqrf (JAX's internal ``geqrf``, behind ``jax.numpy.linalg.qr(mode="raw")``):
    ``(a, taus)``, ``r`` on and above the diagonal of ``a``, the Householder vectors below
    it, and their ``min(m, n)`` scalings.

    Not differentiable (JAX has no rule for it either): use ``qr`` for derivatives.
    """
    a, taus = geqrf_p.bind(x)
    return a, taus


def _geqrf_impl(x):
    if x.ndim < 2 or x.dtype.kind not in INEXACT:
        raise TypeError("geqrf")
    if 0 in x.shape[-2:]:
        return [x.copy(), np.zeros((*x.shape[:-2], 0), x.dtype)]
    h, taus = np.linalg.qr(x, mode="raw")  # h is a^T, as LAPACK's column-major array
    return [np.ascontiguousarray(np.swapaxes(h, -1, -2)).astype(x.dtype, copy=False),
            taus.astype(x.dtype, copy=False)]


def _geqrf_abstract_eval(x):
    check_kind(geqrf_p, [x], INEXACT)
    if x.ndim < 2:
        raise type_error(geqrf_p, [x], "expects matrices in the last two axes")
    *batch, m, n = x.shape
    x = x.strip_weak_type()
    return [x, ShapedArray((*batch, min(m, n)), x.dtype)]


geqrf_p = new_primitive("geqrf", _geqrf_impl, _geqrf_abstract_eval, multiple_results=True)


def _geqrf_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    outs = geqrf_p.bind(x)
    if type(t) is not Zero:
        raise FuncadNotImplementedError(
            "differentiation of `geqrf` (qr with mode='raw'; JAX has no rule for it either); "
            "use qr's other modes")
    return outs, [Zero.like(o) for o in outs]


def _geqrf_batch(vals, dims):
    x, d = la._batch_leading(vals, dims)
    return geqrf_p.bind(x), [d, d]


jvp_rules[geqrf_p] = _geqrf_jvp
batch_rules[geqrf_p] = _geqrf_batch


# --- eig ---------------------------------------------------------------------------------------

def eig(x, *, compute_right_eigenvectors=True, enable_eigvec_derivs=False):
    """Eigenvalues ``w`` (and right eigenvectors ``v``, unit columns whose largest-magnitude
    component is real, as LAPACK's) of each square matrix in ``x``, always complex as
    ``jax.lax.linalg.eig``: ``x @ v == v * w[..., None, :]``.

    The eigenvalues differentiate to every order (their rule uses the eigenvectors, which
    differentiate internally). The eigenvectors differentiate only with
    ``enable_eigvec_derivs=True``, as in JAX: their derivative is that of LAPACK's
    normalization, valid where the eigenvalues are distinct.
    """
    outs = eig_p.bind(x, compute_right_eigenvectors=bool(compute_right_eigenvectors),
                      enable_eigvec_derivs=bool(enable_eigvec_derivs))
    return tuple(outs) if compute_right_eigenvectors else outs[0]


def _complex_dtype(dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def _eig_impl(x, *, compute_right_eigenvectors, enable_eigvec_derivs):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2] or x.dtype.kind not in INEXACT:
        raise TypeError("eig")
    cdt = _complex_dtype(x.dtype)
    if not compute_right_eigenvectors:
        return [np.linalg.eigvals(x).astype(cdt)]
    w, v = np.linalg.eig(x)
    return [w.astype(cdt), v.astype(cdt)]


def _eig_abstract_eval(x, *, compute_right_eigenvectors, enable_eigvec_derivs):
    check_kind(eig_p, [x], INEXACT)
    n = la._check_square(eig_p, x, [x])
    cdt = _complex_dtype(x.dtype)
    w = ShapedArray((*x.shape[:-2], n), cdt)
    return [w, ShapedArray(x.shape, cdt)] if compute_right_eigenvectors else [w]


eig_p = new_primitive("eig", _eig_impl, _eig_abstract_eval, multiple_results=True)


def _eig_vector_tangent(w, v, p):
    """``dV`` from ``P = V^-1 dA V`` (nondegenerate perturbation theory, Giles 2008 sec.
    3.1): ``U = V (F o P)`` plus ``c_j v_j``, where the two real conditions of LAPACK's
    normalization (unit norm, real largest-magnitude component ``k_j``) fix
    ``c_j = -Re(v_j^H u_j) - i Im(u_kj) / v_kj``, as JAX's."""
    shape = get_aval(v).shape
    u = la._matmul(v, ar.mul(_as_dtype_of(_inverse_gaps(w, shape), p), p))
    rows = len(shape) - 2
    k = rd.argmax(ar.abs(v), rows, np.int32)  # (abs of a complex array is real)
    largest = lg.eq(st.broadcasted_iota(np.int32, shape, rows), _as_rows(k, shape))
    zero = const_like(v, 0)
    u_k = base.reduce_sum(base.select_n(largest, zero, u), (rows,))
    v_k = base.real(base.reduce_sum(base.select_n(largest, zero, v), (rows,)))
    along = base.real(base.reduce_sum(ar.mul(cp.conj(v), u), (rows,)))
    c = cp.complex(ar.neg(along), ar.neg(ar.div(cp.imag(u_k), v_k)))
    return ar.add(u, ar.mul(v, _as_rows(c, shape)))


def _eig_jvp(primals, tangents, *, compute_right_eigenvectors, enable_eigvec_derivs):
    # dw = diag(V^-1 dA V) (Giles 2008; eq. 4.60 of Boeddeker et al. 2017). The eigenvectors
    # it uses are bound with their derivatives enabled, so the eigenvalues differentiate
    # again; the caller's eigenvectors differentiate only when it enabled that, as in JAX.
    (x,), (t,) = primals, tangents
    params = dict(compute_right_eigenvectors=compute_right_eigenvectors,
                  enable_eigvec_derivs=enable_eigvec_derivs)
    if type(t) is Zero:
        outs = eig_p.bind(x, **params)
        return outs, [Zero.like(o) for o in outs]
    if compute_right_eigenvectors and not enable_eigvec_derivs:
        raise FuncadNotImplementedError(
            "differentiation of the eigenvectors of `eig` (as in JAX: they are not unique; "
            "pass enable_eigvec_derivs=True to funcad.lax.linalg.eig for the derivative of "
            "LAPACK's normalization, valid at distinct eigenvalues; the eigenvalues alone, "
            "eigvals, differentiate to every order)")
    w, v = eig_p.bind(x, compute_right_eigenvectors=True, enable_eigvec_derivs=True)
    lu_, _, perm = la.lu(v)
    t_c = base.convert_element_type(t, get_aval(v).dtype)
    pt = la._matmul(la._permutation_matrix(perm, v), t_c)
    y = la.triangular_solve(lu_, pt, left_side=True, lower=True, unit_diagonal=True)
    vinv_t = la.triangular_solve(lu_, y, left_side=True, lower=False)
    p = la._matmul(vinv_t, v)
    if not compute_right_eigenvectors:
        return [w], [_diag(p)]
    return [w, v], [_diag(p), _eig_vector_tangent(w, v, p)]


def _eig_batch(vals, dims, **params):
    x, d = la._batch_leading(vals, dims)
    outs = eig_p.bind(x, **params)
    return outs, [d] * len(outs)


jvp_rules[eig_p] = _eig_jvp
batch_rules[eig_p] = _eig_batch


# --- lu_pivots_to_permutation ------------------------------------------------------------------

def lu_pivots_to_permutation(pivots, permutation_size: int):
    """The row permutation that the LAPACK-style ``pivots`` (row ``i`` swapped with row
    ``pivots[i]``, in order) apply to ``permutation_size`` rows, as
    ``jax.lax.linalg.lu_pivots_to_permutation``."""
    return lu_pivots_to_permutation_p.bind(pivots, permutation_size=int(permutation_size))


def _pivots_impl(pivots, *, permutation_size):
    if pivots.dtype.kind not in "iu" or pivots.ndim < 1:
        raise TypeError("lu_pivots_to_permutation")
    batch = pivots.shape[:-1]
    flat = pivots.reshape(-1, pivots.shape[-1])
    perm = np.tile(np.arange(permutation_size, dtype=np.int32), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for i in range(flat.shape[1]):
        p = flat[:, i]
        tmp = perm[rows, i].copy()
        perm[rows, i] = perm[rows, p]
        perm[rows, p] = tmp
    return perm.reshape(*batch, permutation_size)


def _pivots_abstract_eval(pivots, *, permutation_size):
    check_kind(lu_pivots_to_permutation_p, [pivots], "iu")
    if pivots.ndim < 1 or pivots.shape[-1] > permutation_size:
        raise type_error(lu_pivots_to_permutation_p, [pivots],
                         f"needs at most permutation_size={permutation_size} pivots per row")
    return ShapedArray((*pivots.shape[:-1], permutation_size), np.int32)


lu_pivots_to_permutation_p = new_primitive(
    "lu_pivots_to_permutation", _pivots_impl, _pivots_abstract_eval)


def _pivots_batch(vals, dims, *, permutation_size):
    (p,), (d,) = vals, dims
    if d == get_aval(p).ndim - 1:
        p, d = base.moveaxis(p, d, 0), 0
    return lu_pivots_to_permutation(p, permutation_size), d


base.defjvp_zero(lu_pivots_to_permutation_p)
batch_rules[lu_pivots_to_permutation_p] = _pivots_batch
