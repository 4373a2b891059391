"""``funcad.numpy.linalg``'s decompositions and what is built on them: ``eigh eigvalsh svd
qr eig eigvals pinv lstsq matrix_rank multi_dot``.

The decompositions are the primitives of ``funcad.ops.decompositions`` (their derivatives
are those primitives' rules); ``pinv`` has its own derivative rule (a ``custom_jvp``, as in
JAX), valid wherever the rank is locally constant, rank-deficient matrices included.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from funcad.core import dtypes
from funcad.custom_derivatives import custom_jvp
from funcad.errors import FuncadNotImplementedError, FuncadValueError, with_user_line
from funcad.numpy import _complex as cx
from funcad.numpy import _creation as cr
from funcad.numpy import _products as pr
from funcad.numpy import _reductions as rd
from funcad.numpy import _shape as sh
from funcad.numpy import _ufuncs as uf
from funcad.numpy._core import array_operand, aval, cast, concrete_value
from funcad.ops import decompositions as dc
from funcad.ops.dot_options import check_precision


def inexact(a, fname: str):
    """``a`` as an array of its inexact dtype (integers and bools become float64)."""
    x = array_operand(a, f"linalg.{fname}")
    return cast(x, dtypes.to_inexact(aval(x).dtype))


def _matrices(x, fname: str) -> tuple[int, int]:
    shape = aval(x).shape
    if len(shape) < 2:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.{fname}: {len(shape)}-dimensional array given; the array "
            "must be at least two-dimensional"
        ))
    return shape[-2], shape[-1]


def square(x, fname: str) -> int:
    m, n = _matrices(x, fname)
    if m != n:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.{fname}: last 2 dimensions of the array must be square, "
            f"got shape {aval(x).shape}"
        ))
    return n


def matrix_transpose(x):
    return sh.swapaxes(x, -1, -2)


# --- symmetric eigendecomposition ----------------------------------------------------------

class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


def hermitian_part(x):
    return (x + cx.conjugate(matrix_transpose(x))) * np.asarray(0.5, aval(x).dtype)


def eigh(a, UPLO=None, symmetrize_input=True):
    """Eigenvalues (ascending) and eigenvectors of each symmetric (Hermitian) matrix.

    As ``jax.numpy.linalg.eigh``: the input is symmetrized, ``(a + a^H) / 2``, unless
    ``symmetrize_input=False``, which reads only the ``UPLO`` triangle (NumPy's rule).
    Eigenvector derivatives at repeated eigenvalues are inf/NaN, as in JAX.
    """
    x = inexact(a, "eigh")
    square(x, "eigh")
    if UPLO not in (None, "L", "U"):
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}"))
    if symmetrize_input:
        x = hermitian_part(x)
    v, w = dc.eigh(x, lower=UPLO != "U")
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
    """The eigenvalues (ascending) of each symmetric (Hermitian) matrix, as ``eigh``."""
    return eigh(a, UPLO, symmetrize_input).eigenvalues


# --- svd, qr, eig ----------------------------------------------------------------------------

class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, subset_by_index=None):
    """Singular value decomposition ``a == U @ diag(S) @ Vh`` (singular values descending).

    ``hermitian`` is accepted and ignored (the general algorithm is used). Derivatives of
    ``U`` and ``Vh`` need ``full_matrices=False`` for non-square matrices (as in JAX); at
    repeated or zero singular values they are inf/NaN, as in JAX.
    ``subset_by_index=(start, end)`` keeps the triplets ``start <= i < end`` of the
    descending order (JAX's rule: with ``full_matrices`` only the whole range is allowed);
    they are sliced from the whole reduced SVD, so their derivatives are exact.
    """
    del hermitian
    x = inexact(a, "svd")
    _matrices(x, "svd")
    if subset_by_index is not None:
        start, end = _svd_subset(subset_by_index, aval(x).shape, full_matrices)
        if (start, end) != (0, min(aval(x).shape[-2:])):
            out = dc.svd(x, full_matrices=False, compute_uv=compute_uv)
            if not compute_uv:
                return out[..., start:end]
            u, s, vh = out
            return SVDResult(u[..., start:end], s[..., start:end], vh[..., start:end, :])
    out = dc.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    return SVDResult(*out) if compute_uv else out


def _svd_subset(subset_by_index, shape, full_matrices) -> tuple[int, int]:
    """``(start, end)`` checked against the number of singular values of ``shape``."""
    rank = min(shape[-2:])
    try:
        start, end = (int(i) for i in subset_by_index)
    except (TypeError, ValueError):
        start = end = -1
    if not 0 <= start <= end <= rank:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.svd: subset_by_index={subset_by_index!r} must be a pair "
            f"(start, end) with 0 <= start <= end <= {rank} for a matrix of shape {shape}"))
    if full_matrices and (start, end) != (0, rank):
        raise FuncadValueError(with_user_line(
            "funcad.numpy.linalg.svd: full_matrices and subset_by_index cannot both be set "
            "(pass full_matrices=False)"))
    return start, end


class QRResult(NamedTuple):
    Q: object
    R: object


def qr(a, mode="reduced"):
    """QR decomposition in NumPy's modes ``'reduced'``, ``'complete'``, ``'r'`` and
    ``'raw'`` (Householder form ``(h, tau)``, not differentiable, as in JAX)."""
    x = inexact(a, "qr")
    _matrices(x, "qr")
    if mode == "raw":  # NumPy's (h, tau): h is geqrf's array transposed (column-major)
        h, tau = dc.geqrf(x)
        return matrix_transpose(h), tau
    if mode not in ("reduced", "complete", "r"):
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.qr: unrecognized mode {mode!r}"))
    q, r = dc.qr(x, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


def eig(a):
    """Eigenvalues and right eigenvectors of each square matrix. The results are always
    complex (as in JAX; NumPy returns real arrays when every eigenvalue is real). As in
    JAX, only the eigenvalues differentiate (see ``eigvals``)."""
    x = inexact(a, "eig")
    square(x, "eig")
    w, v = dc.eig(x)
    return EigResult(w, v)


def eigvals(a):
    """The eigenvalues of each square matrix, always complex (see ``eig``); they
    differentiate to every order where they are distinct (first derivative
    ``diag(V^-1 dA V)``, with ``V`` differentiated under LAPACK's normalization)."""
    x = inexact(a, "eigvals")
    square(x, "eigvals")
    return dc.eig(x, compute_right_eigenvectors=False)


# --- pseudo-inverse and least squares ------------------------------------------------------

def _pinv_values(a, rcond):
    u, s, vh = dc.svd(a, full_matrices=False)
    cutoff = rd.max(s, axis=-1, keepdims=True) * rcond
    keep = s > cutoff
    s_inv = uf.where(keep, 1 / uf.where(keep, s, 1), 0).astype(aval(s).dtype)
    return pr.matmul(cx.conjugate(matrix_transpose(vh)) * sh.expand_dims(s_inv, -2),
                     cx.conjugate(matrix_transpose(u)))


_pinv = custom_jvp(lambda a, rcond: _pinv_values(a, rcond), nondiff_argnums=(1,))


@_pinv.defjvp
def _pinv_jvp(rcond, primals, tangents):
    # d(A+) = -A+ dA A+ + (I - A+ A) dA^H A+^H A+ + A+ A+^H dA^H (I - A A+), the derivative
    # wherever the rank does not change (Golub & Pereyra 1973). For complex matrices the
    # adjoints are conjugate transposes, so the tangent is real-linear (not complex-linear)
    # in dA, as the pseudo-inverse is not holomorphic.
    (a,), (a_dot,) = primals, tangents
    p = _pinv(a, rcond)
    ph, ah_dot = _adjoint(p), _adjoint(a_dot)
    m, n = aval(a).shape[-2:]
    eye_m, eye_n = cr.eye(m, dtype=aval(a).dtype), cr.eye(n, dtype=aval(a).dtype)
    p_dot = (-(p @ a_dot @ p) + (eye_n - p @ a) @ ah_dot @ ph @ p
             + p @ ph @ ah_dot @ (eye_m - a @ p))
    return p, p_dot


def _adjoint(x):
    """The conjugate transpose of each matrix (the transpose of a real one)."""
    return cx.conjugate(matrix_transpose(x))


def _static_rcond(rcond, fname: str):
    if rcond is None or isinstance(rcond, (int, float, np.floating, np.integer)):
        return rcond
    raise FuncadNotImplementedError(f"funcad.numpy.linalg.{fname}: an array rcond (use a float)")


_NO_VALUE = object()


def pinv(a, rcond=None, hermitian=False, *, rtol=_NO_VALUE):
    """The Moore-Penrose pseudo-inverse from the SVD, singular values at or below
    ``rcond * max(s)`` dropped (NumPy's defaults: ``rcond=1e-15``; with ``rtol=None``
    ``max(m, n) * eps``). Its derivative is exact wherever the rank is locally constant."""
    del hermitian
    x = inexact(a, "pinv")
    m, n = _matrices(x, "pinv")
    if rcond is None:
        if rtol is _NO_VALUE:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(m, n) * float(np.finfo(aval(x).dtype).eps)
        else:
            rcond = rtol
    elif rtol is not _NO_VALUE:
        raise FuncadValueError(with_user_line(
            "funcad.numpy.linalg.pinv: `rtol` and `rcond` can't be both set."))
    rcond = _static_rcond(rcond, "pinv")
    if m == 0 or n == 0:
        return sh.broadcast_to(cr.zeros((), aval(x).dtype), (*aval(x).shape[:-2], n, m))
    return _pinv(x, float(rcond))


def _rank_of(s, tol_scale, dtype=np.int64):
    tol = rd.max(s, axis=-1, keepdims=True) * tol_scale
    return rd.sum((s > tol).astype(dtype), axis=-1, dtype=dtype)


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """Least-squares solution ``x`` minimizing ``|b - a x|``, as ``jax.numpy.linalg.lstsq``:
    ``(x, resid, rank, s)``. ``x = pinv(a, rcond) @ b`` (the minimum-norm solution for
    rank-deficient ``a``); ``rcond`` defaults to ``max(m, n) * eps``. ``resid`` holds the
    squared residual norms, shape ``()`` or ``(K,)``; with ``numpy_resid=True`` it follows
    NumPy (empty unless ``a`` has full column rank and more rows than columns, which needs a
    concrete rank)."""
    a, b = inexact(a, "lstsq"), inexact(b, "lstsq")
    dt = np.result_type(aval(a).dtype, aval(b).dtype)
    a, b = cast(a, dt), cast(b, dt)
    m, n = _matrices(a, "lstsq")
    vector = aval(b).ndim == 1
    if aval(b).shape[-2 if not vector else -1] != m:
        raise FuncadValueError(with_user_line(
            f"funcad.numpy.linalg.lstsq: incompatible dimensions: a is {aval(a).shape}, "
            f"b is {aval(b).shape}"))
    if rcond is None:
        rcond = max(m, n) * float(np.finfo(dt).eps)
    rcond = float(_static_rcond(rcond, "lstsq"))
    x = pr.matmul(pinv(a, rcond), b)
    s = svd(a, compute_uv=False)
    rank = _rank_of(s, rcond, np.int32)  # NumPy's type of lstsq's rank
    r = b - pr.matmul(a, x)
    real = np.finfo(dt).dtype
    resid = rd.sum(uf.abs(r) ** 2, axis=-1 if vector else -2).astype(real)
    if numpy_resid:
        full_rank = concrete_value(rank, "lstsq(numpy_resid=True): the rank")
        if m <= n or np.any(np.asarray(full_rank) != n):
            resid = cr.zeros((0,), real)
        elif vector:
            resid = sh.expand_dims(resid, 0)
    return x, resid, rank, s


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The number of singular values above ``tol`` (default ``max(s) * max(m, n) * eps``)."""
    del hermitian
    x = inexact(A, "matrix_rank")
    if aval(x).ndim < 2:
        return rd.any(x != 0).astype(np.int64)
    m, n = aval(x).shape[-2:]
    s = svd(x, compute_uv=False)
    if tol is not None:
        tol = sh.expand_dims(array_operand(tol, "linalg.matrix_rank"), -1)
        return rd.sum((s > tol).astype(np.int64), axis=-1)
    if rtol is None:
        rtol = max(m, n) * float(np.finfo(aval(x).dtype).eps)
    return _rank_of(s, rtol)


# --- products ----------------------------------------------------------------------------------

def _chain_order(dims: list[int]) -> list:
    """The cheapest parenthesization of a matrix chain with sizes ``dims`` (the classical
    dynamic program over static shapes): ``split[i][j]`` is where chain ``i..j`` splits."""
    k = len(dims) - 1
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = None
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def multi_dot(arrays, *, out=None, precision=None):
    """``arrays[0] @ arrays[1] @ ...`` in the cheapest order; the first and last may be
    vectors, the others are matrices (``precision`` as in JAX: ``funcad.ops.dot_options``)."""
    check_precision(precision, "funcad.numpy.linalg.multi_dot")
    if out is not None:
        raise FuncadNotImplementedError("funcad.numpy.linalg.multi_dot(out=...)")
    xs = [array_operand(x, "linalg.multi_dot") for x in arrays]
    if len(xs) < 2:
        raise FuncadValueError(with_user_line(
            "funcad.numpy.linalg.multi_dot: expecting at least two arrays."))
    if len(xs) == 2:
        return pr.dot(xs[0], xs[1])
    first_vec, last_vec = aval(xs[0]).ndim == 1, aval(xs[-1]).ndim == 1
    if first_vec:
        xs[0] = sh.expand_dims(xs[0], 0)
    if last_vec:
        xs[-1] = sh.expand_dims(xs[-1], -1)
    for i, x in enumerate(xs):
        if aval(x).ndim != 2:
            raise FuncadValueError(with_user_line(
                f"funcad.numpy.linalg.multi_dot: array {i} has {aval(x).ndim} dimensions; "
                "expected 2 (1 allowed for the first and last)"))
    split = _chain_order([aval(xs[0]).shape[0]] + [aval(x).shape[1] for x in xs])
    stack, results = [(0, len(xs) - 1, False)], []
    while stack:  # post-order walk of the split tree, without recursion
        i, j, ready = stack.pop()
        if i == j:
            results.append(xs[i])
        elif ready:
            right, left = results.pop(), results.pop()
            results.append(pr.dot(left, right))
        else:
            s = split[i][j]
            stack.extend([(i, j, True), (s + 1, j, False), (i, s, False)])
    (res,) = results
    if first_vec:
        res = sh.squeeze(res, 0)
    if last_vec:
        res = sh.squeeze(res, -1)
    return res


__all__ = [
    "EigResult", "EighResult", "QRResult", "SVDResult", "eig", "eigh", "eigvals", "eigvalsh",
    "lstsq", "matrix_rank", "multi_dot", "pinv", "qr", "svd",
]
