"""Op-spec rows of the decompositions and what is built on them: linalg.eigh eigvalsh svd qr
eigvals pinv lstsq matrix_rank matrix_power multi_dot cond, the SVD norms, the array-API
names (svdvals matrix_norm vector_norm trace outer tensordot matmul), and
funcad.scipy.linalg.

A decomposition is not unique (eigenvector signs, singular-vector signs), so its rows
compute gauge-invariant functions of the factors: values, reconstructions, spectral
projectors. The inputs keep eigenvalue and singular-value gaps of order one, where the
derivatives are smooth enough for finite differences.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sl

import funcad.numpy as fnp
import funcad.scipy.linalg as fsl
from funcad import lax

from specs.spec import F32, F64, OpSpec, conj_t, normal, uniform_args

_TOL = {"rtol": 1e-9, "atol": 1e-9}
_TOL_F32 = {"rtol": 1e-4, "atol": 1e-4}


def _row(name, fn, ref, cases, dtypes=(F64,), **kw) -> OpSpec:
    kw = {**_TOL, **kw} if dtypes == (F64,) else {**_TOL_F32, **kw}
    return OpSpec(name, fn, ref, cases, dtypes, **kw)


# --- make_args -----------------------------------------------------------------------------

def _orthogonal(rng, batch, n, dtype=F64):
    """Random orthogonal (complex ``dtype``: unitary) matrices."""
    q, _ = np.linalg.qr(normal(rng, (*batch, n, n), dtype))
    return q


def _separated(rng, shapes, dtype):
    """Matrices ``Q diag(1, 2, ...) Q^H`` plus small non-Hermitian noise (the functions
    symmetrize), so eigenvalues stay about 1 apart."""
    *batch, n, _ = shapes[0]
    q = _orthogonal(rng, batch, n, dtype)
    lam = np.arange(1.0, n + 1) * np.where(rng.random(n) < 0.5, -1, 1)
    a = (q * lam[..., None, :]) @ conj_t(q)
    return [np.asarray(a + 0.05 * normal(rng, a.shape, dtype), dtype)]


def _spread_singular(rng, shapes, dtype):
    """``U diag(k, ..., 2, 1) V^H`` with random orthonormal factors; then plain draws."""
    *batch, m, n = shapes[0]
    k = min(m, n)
    u = _orthogonal(rng, batch, m, dtype)[..., :k]
    v = _orthogonal(rng, batch, n, dtype)[..., :k]
    s = np.arange(k, 0, -1.0) + 0.3 * rng.random(k)
    a = (u * s[..., None, :]) @ conj_t(v)
    rest = uniform_args(rng, shapes[1:], dtype, (-1.0, 1.0))
    return [np.asarray(a, dtype), *rest]


def _rank_deficient(rng, shapes, dtype):
    *batch, m, n = shapes[0]
    r = max(1, min(m, n) - 1)
    a = normal(rng, (*batch, m, r), dtype) @ normal(rng, (*batch, r, n), dtype)
    return [np.asarray(a, dtype)]


def _triangular_system(rng, shapes, dtype):
    """A matrix with a strong diagonal (either triangle is well-conditioned), then ``b``."""
    n = shapes[0][-1]
    a = rng.uniform(-1, 1, shapes[0]) + 2.0 * n * np.eye(n)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.uniform(-1, 1, shapes[0])
    return [np.asarray(a, dtype), *uniform_args(rng, shapes[1:], dtype)]


def _spd_system(rng, shapes, dtype):
    m = normal(rng, shapes[0], dtype)
    n = shapes[0][-1]
    spd = m @ conj_t(m) + n * np.eye(n)  # Hermitian positive definite
    return [np.asarray(spd, dtype), *uniform_args(rng, shapes[1:], dtype)]


def _separated_general(rng, shapes, dtype):
    """Nonsymmetric ``S T S^-1``: ``T`` has the complex pair ``1 +- 1.5i`` and real
    eigenvalues 3, -2.5, ... (all about 1.5 apart), ``S`` is near the identity."""
    *batch, n, _ = shapes[0]
    t = np.zeros((n, n))
    t[:2, :2] = [[1.0, -1.5], [1.5, 1.0]]
    for i in range(2, n):
        t[i, i] = (3.0 + 1.5 * (i - 2)) * (-1) ** i
    s = np.eye(n) + 0.2 * rng.standard_normal((*batch, n, n))
    return [np.asarray(s @ t @ np.linalg.inv(s), dtype)]


def _lax_eig_exp(a):
    """``expm(a)`` from ``lax.linalg.eig`` with eigenvector derivatives enabled."""
    w, v = lax.linalg.eig(a, compute_left_eigenvectors=False, enable_eigvec_derivs=True)
    out = (v * fnp.exp(w)[..., None, :]) @ fnp.linalg.inv(v)
    return out if fnp.iscomplexobj(a) else fnp.real(out)  # a real matrix's is real


def _small_matrices(rng, shapes, dtype):
    return uniform_args(rng, shapes, dtype, (-0.8, 0.8))


# --- gauge-invariant functions of the factors, for funcad and NumPy alike ----------------------

def _eigh_gauge(xp, eigh):
    def f(a):
        w, v = eigh(a)
        recon = (v * xp.sin(w)[..., None, :]) @ conj_t(v)
        return w, recon, v[..., :, :1] @ conj_t(v[..., :, :1])
    return f


def _np_eigh(a):
    return np.linalg.eigh((a + conj_t(a)) / 2)


def _svd_gauge(xp, svd):
    def f(a):
        u, s, vh = svd(a)
        k = s.shape[-1]
        u, vh = u[..., :, :k], vh[..., :k, :]
        return s, (u * xp.cos(s)[..., None, :]) @ vh, u[..., :, :1] @ vh[..., :1, :]
    return f


def _qr_fixed(xp, qr):
    """QR with R's diagonal made positive: unique, whatever the library's sign (complex:
    phase) choice."""
    def f(a):
        q, r = qr(a)
        k = min(q.shape[-1], r.shape[-2])
        d = xp.sign(xp.sum(r[..., :k, :k] * xp.eye(k), axis=-1))
        return q[..., :, :k] * d[..., None, :], r[..., :k, :] * xp.conj(d)[..., :, None]
    return f


def _eigvals_symmetric(xp, eigvals):
    """Order-free functions of the eigenvalues (sum, sum of squares, product)."""
    def f(a):
        w = eigvals(a)
        return xp.sum(w, axis=-1), xp.sum(w * w, axis=-1), xp.prod(w, axis=-1)
    return f


def _eig_exp(xp):
    """``V diag(exp(w)) V^-1 = expm(a)``: independent of the eigenvectors' scaling."""
    def f(a):
        w, v = xp.linalg.eig(a)
        e = (v * xp.exp(w)[..., None, :]) @ xp.linalg.inv(v)
        return e if a.dtype.kind == "c" else xp.real(e)
    return f


def _np_lstsq(a, b):
    x, _, rank, s = np.linalg.lstsq(a, b)
    return x, np.sum(np.abs(b - a @ x) ** 2, axis=0), rank, s


_SQUARE = (((3, 3),), ((2, 4, 4),))
_RECT = (((3, 3),), ((4, 3),), ((3, 4),), ((2, 4, 3),))

_NUMPY_ROWS: list[OpSpec] = [
    _row("linalg.eigh[gauge]", _eigh_gauge(fnp, fnp.linalg.eigh), _eigh_gauge(np, _np_eigh),
         _SQUARE, make_args=_separated),
    _row("linalg.eigh[gauge,f32]", _eigh_gauge(fnp, fnp.linalg.eigh),
         _eigh_gauge(np, _np_eigh), (((3, 3),),), (F32,), make_args=_separated),
    _row("linalg.eigh[UPLO=U,no symmetrize]",
         _eigh_gauge(fnp, lambda a: fnp.linalg.eigh(a, "U", symmetrize_input=False)),
         _eigh_gauge(np, lambda a: np.linalg.eigh(a, "U")), (((3, 3),),), make_args=_separated),
    _row("linalg.eigvalsh", fnp.linalg.eigvalsh,
         lambda a: np.linalg.eigvalsh((a + conj_t(a)) / 2),
         _SQUARE, make_args=_separated),
    _row("linalg.svd[gauge]",
         _svd_gauge(fnp, lambda a: fnp.linalg.svd(a, full_matrices=False)),
         _svd_gauge(np, lambda a: np.linalg.svd(a, full_matrices=False)), _RECT,
         make_args=_spread_singular),
    _row("linalg.svd[gauge,full square]", _svd_gauge(fnp, fnp.linalg.svd),
         _svd_gauge(np, np.linalg.svd), (((3, 3),),), make_args=_spread_singular),
    _row("linalg.svd[full,rectangular]", _svd_gauge(fnp, fnp.linalg.svd),
         _svd_gauge(np, np.linalg.svd), (((4, 3),), ((2, 3, 4),)), make_args=_spread_singular,
         differentiable=False),
    _row("linalg.svd[compute_uv=False]", lambda a: fnp.linalg.svd(a, compute_uv=False),
         lambda a: np.linalg.svd(a, compute_uv=False), _RECT, make_args=_spread_singular),
    _row("linalg.svd[f32]", lambda a: fnp.linalg.svd(a, compute_uv=False),
         lambda a: np.linalg.svd(a, compute_uv=False), (((4, 3),),), (F32,),
         make_args=_spread_singular),
    _row("linalg.qr[reduced]", _qr_fixed(fnp, fnp.linalg.qr), _qr_fixed(np, np.linalg.qr),
         _RECT, make_args=_spread_singular),
    _row("linalg.qr[complete,square]", _qr_fixed(fnp, lambda a: fnp.linalg.qr(a, "complete")),
         _qr_fixed(np, lambda a: np.linalg.qr(a, "complete")), (((3, 3),), ((3, 4),)),
         make_args=_spread_singular),
    _row("linalg.qr[r]", lambda a: fnp.abs(fnp.linalg.qr(a, "r")),
         lambda a: np.abs(np.linalg.qr(a, "r")), (((4, 3),),), make_args=_spread_singular),
    _row("linalg.qr[raw]", lambda a: fnp.linalg.qr(a, "raw"),
         lambda a: np.linalg.qr(a, "raw"), _RECT, differentiable=False),
    _row("linalg.eigvals[symmetric functions]", _eigvals_symmetric(fnp, fnp.linalg.eigvals),
         _eigvals_symmetric(np, lambda a: np.linalg.eigvals(a).astype(complex)), (((3, 3),), ((2, 4, 4),)),
         make_args=_separated_general),
    _row("lax.linalg.eig[V exp(W) V^-1, enable_eigvec_derivs]", _lax_eig_exp, sl.expm,
         (((3, 3),), ((2, 4, 4),)), make_args=_separated_general, rtol=1e-8, atol=1e-8),
    _row("linalg.eig[V exp(W) V^-1]", _eig_exp(fnp), sl.expm, (((3, 3),), ((2, 4, 4),)),
         make_args=_small_matrices, differentiable=False, rtol=1e-8, atol=1e-8),
    _row("linalg.pinv", fnp.linalg.pinv, np.linalg.pinv, _RECT, make_args=_spread_singular),
    _row("linalg.pinv[rank deficient]", fnp.linalg.pinv, np.linalg.pinv,
         (((4, 4),), ((3, 5),)), make_args=_rank_deficient, differentiable=False, rtol=1e-7,
         atol=1e-7),
    _row("linalg.lstsq", lambda a, b: fnp.linalg.lstsq(a, b), _np_lstsq,
         (((4, 3), (4,)), ((4, 3), (4, 2)), ((3, 4), (3, 2))), make_args=_spread_singular),
    _row("linalg.matrix_rank", fnp.linalg.matrix_rank, np.linalg.matrix_rank,
         (((4, 4),), ((3, 5),), ((2, 4, 3),)), make_args=_rank_deficient, differentiable=False),
    *[_row(f"linalg.matrix_power[{n}]", lambda a, n=n: fnp.linalg.matrix_power(a, n),
           lambda a, n=n: np.linalg.matrix_power(a, n), (((3, 3),), ((2, 3, 3),)),
           make_args=_triangular_system if n < 0 else _small_matrices)
      for n in (0, 1, 2, 5, -2)],
    _row("linalg.multi_dot", lambda *xs: fnp.linalg.multi_dot(xs),
         lambda *xs: np.linalg.multi_dot(xs),
         (((3,), (3, 4), (4, 2), (2,)), ((2, 3), (3, 4), (4, 5)), ((5, 3), (3, 1), (1, 4)))),
    *[_row(f"linalg.cond[p={p}]", lambda a, p=p: fnp.linalg.cond(a, p),
           lambda a, p=p: np.linalg.cond(a, p), (((3, 3),), ((2, 4, 4),)),
           make_args=_spread_singular) for p in (None, 2, -2, "fro", "nuc")],
    *[_row(f"linalg.cond[p={p}]", lambda a, p=p: fnp.linalg.cond(a, p),
           lambda a, p=p: np.linalg.cond(a, p), (((3, 3),),), make_args=_triangular_system)
      for p in (1, np.inf)],
    *[_row(f"linalg.norm[ord={o},matrix]", lambda a, o=o: fnp.linalg.norm(a, o, (-2, -1)),
           lambda a, o=o: np.linalg.norm(a, o, (-2, -1)), (((3, 3),), ((4, 3),), ((2, 3, 4),)),
           make_args=_spread_singular) for o in (2, -2, "nuc")],
    _row("linalg.svdvals", fnp.linalg.svdvals, np.linalg.svdvals, _RECT,
         make_args=_spread_singular),
    *[_row(f"linalg.matrix_norm[ord={o}]", lambda a, o=o: fnp.linalg.matrix_norm(a, ord=o),
           lambda a, o=o: np.linalg.matrix_norm(a, ord=o), (((2, 3, 4),),),
           make_args=_spread_singular) for o in ("fro", "nuc", np.inf)],
    *[_row(f"linalg.vector_norm[axis={ax},ord={o}]",
           lambda a, ax=ax, o=o: fnp.linalg.vector_norm(a, axis=ax, ord=o, keepdims=True),
           lambda a, ax=ax, o=o: np.linalg.vector_norm(a, axis=ax, ord=o, keepdims=True),
           (((2, 3, 4),),), make_args=_spread_singular) for ax, o in ((None, 2), ((0, 2), 3))],
    _row("linalg.trace[offset=1]", lambda a: fnp.linalg.trace(a, offset=1),
         lambda a: np.linalg.trace(a, offset=1), (((2, 3, 4),),)),
    _row("linalg.outer", fnp.linalg.outer, np.linalg.outer, (((3,), (4,)),)),
    _row("linalg.tensordot", lambda a, b: fnp.linalg.tensordot(a, b, axes=1),
         lambda a, b: np.linalg.tensordot(a, b, axes=1), (((2, 3), (3, 4)),)),
    _row("linalg.matmul", fnp.linalg.matmul, np.linalg.matmul, (((2, 2, 3), (3, 4)),)),
    _row("linalg.norm[ord=2,axis=(2,0),keepdims]",
         lambda a: fnp.linalg.norm(a, 2, (2, 0), True),
         lambda a: np.linalg.norm(a, 2, (2, 0), True), (((3, 2, 4),),),
         make_args=_spread_singular),
]


# --- funcad.scipy.linalg -------------------------------------------------------------------

def _solve_triangular_row(trans, lower, unit) -> OpSpec:
    return _row(
        f"scipy.linalg.solve_triangular[trans={trans},lower={lower},unit={unit}]",
        lambda a, b: fsl.solve_triangular(a, b, trans, lower, unit),
        lambda a, b: sl.solve_triangular(a, b, trans, lower, unit),
        (((3, 3), (3,)), ((4, 4), (4, 2))), make_args=_triangular_system)


def _lu_row(name, **kw) -> OpSpec:
    return _row(f"scipy.linalg.lu[{name}]", lambda a: fsl.lu(a, **kw), lambda a: sl.lu(a, **kw),
                (((3, 3),), ((4, 3),), ((3, 4),)), make_args=_spread_singular)


def _cho(a, b, lower):
    return fsl.cho_solve(fsl.cho_factor(a, lower), b)


_SCIPY_ROWS: list[OpSpec] = [
    *[_solve_triangular_row(t, lo, u) for t, lo, u in
      ((0, True, False), (1, True, False), ("C", False, False), ("N", False, True),
       (1, False, True))],
    _row("scipy.linalg.cho_factor", lambda a: fsl.cho_factor(a)[0],
         lambda a: np.triu(sl.cho_factor(a)[0]), (((3, 3),),), make_args=_spd_system),
    *[_row(f"scipy.linalg.cho_solve[lower={lo}]", lambda a, b, lo=lo: _cho(a, b, lo),
           lambda a, b, lo=lo: sl.cho_solve(sl.cho_factor(a, lo), b),
           (((3, 3), (3,)), ((4, 4), (4, 2))), make_args=_spd_system) for lo in (True, False)],
    _lu_row("plain"),
    _lu_row("permute_l", permute_l=True),
    _lu_row("p_indices", p_indices=True),
    _row("scipy.linalg.lu_factor", fsl.lu_factor, sl.lu_factor, (((4, 4),),),
         make_args=_spread_singular),
    *[_row(f"scipy.linalg.lu_solve[trans={t}]",
           lambda a, b, t=t: fsl.lu_solve(fsl.lu_factor(a), b, t),
           lambda a, b, t=t: sl.lu_solve(sl.lu_factor(a), b, t),
           (((3, 3), (3,)), ((4, 4), (4, 2))), make_args=_spread_singular) for t in (0, 1)],
    _row("scipy.linalg.block_diag", fsl.block_diag, sl.block_diag,
         (((2, 2), (3,), ()), ((1, 3), (2, 1)))),
    _row("scipy.linalg.expm", fsl.expm, sl.expm, (((3, 3),), ((2, 4, 4),), ((1, 1),)),
         make_args=_small_matrices, rtol=1e-12, atol=1e-12),
    _row("scipy.linalg.expm[f32]", fsl.expm, sl.expm, (((3, 3),),), (F32,),
         make_args=_small_matrices),
    _row("scipy.linalg.expm[large norm]", fsl.expm, sl.expm, (((3, 3),),),
         make_args=lambda rng, shapes, dtype: [np.asarray(3.0 * normal(rng, shapes[0], dtype),
                                                          dtype)],
         rtol=1e-11, atol=1e-11),
    _row("scipy.linalg.expm_frechet", fsl.expm_frechet, sl.expm_frechet,
         (((3, 3), (3, 3)),), make_args=_small_matrices, rtol=1e-11, atol=1e-11),
    _row("scipy.linalg.det", fsl.det, sl.det, (((3, 3),),), make_args=_spread_singular),
    _row("scipy.linalg.inv", fsl.inv, sl.inv, (((3, 3),),), make_args=_triangular_system),
    *[_row(f"scipy.linalg.solve[assume_a={k}]", lambda a, b, k=k: fsl.solve(a, b, assume_a=k),
           lambda a, b, k=k: sl.solve(a, b, assume_a=k), (((3, 3), (3,)), ((4, 4), (4, 2))),
           make_args=_spd_system) for k in ("gen", "pos")],
    _row("scipy.linalg.eigh[gauge]", _eigh_gauge(fnp, fsl.eigh),
         _eigh_gauge(np, lambda a: sl.eigh((a + conj_t(a)) / 2)), (((3, 3),),),
         make_args=_separated),
    _row("scipy.linalg.eigh[generalized]",
         lambda a, b: _eigh_gauge(fnp, lambda x: fsl.eigh(x, b))(a),
         lambda a, b: _eigh_gauge(np, lambda x: sl.eigh((x + conj_t(x)) / 2,
                                                        (b + conj_t(b)) / 2))(a),
         (((3, 3), (3, 3)),),
         make_args=lambda rng, shapes, dtype: [*_separated(rng, shapes[:1], dtype),
                                               *_spd_system(rng, shapes[1:], dtype)]),
]

SPECS: list[OpSpec] = [*_NUMPY_ROWS, *_SCIPY_ROWS]
