"""``funcad.lax.linalg``: the matrix primitives with ``jax.lax.linalg``'s signatures.

Each acts on the last two axes, leading axes being batch axes. ``symmetrize_input``
(``cholesky``, ``eigh``) replaces the input by ``(x + x^H) / 2`` first, as JAX does.
"""
from __future__ import annotations

from funcad.errors import FuncadNotImplementedError
from funcad.numpy._linalg_decomp import hermitian_part
from funcad.numpy.linalg import cholesky_as_given
from funcad.ops import decompositions as dc
from funcad.ops import linalg as la
from funcad.ops.decompositions import lu_pivots_to_permutation, qr, svd
from funcad.ops.linalg import lu, triangular_solve


def cholesky(x, *, symmetrize_input: bool = True):
    """The lower Cholesky factor (NaNs where ``x`` is not positive definite)."""
    return la.cholesky(hermitian_part(x)) if symmetrize_input else cholesky_as_given(x)


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True,
         sort_eigenvalues: bool = True):
    """``(v, w)``: eigenvectors and ascending eigenvalues of symmetric (Hermitian) ``x``."""
    if symmetrize_input:
        x = hermitian_part(x)
    return dc.eigh(x, lower=lower, sort_eigenvalues=sort_eigenvalues)


def eig(x, *, compute_left_eigenvectors: bool = True, compute_right_eigenvectors: bool = True,
        enable_eigvec_derivs: bool = False):
    """``[w, vr]`` (or ``[w]``): eigenvalues and right eigenvectors, always complex; the
    eigenvectors differentiate with ``enable_eigvec_derivs=True`` (as JAX's)."""
    if compute_left_eigenvectors:
        raise FuncadNotImplementedError(
            "funcad.lax.linalg.eig: left eigenvectors (pass compute_left_eigenvectors=False)")
    out = dc.eig(x, compute_right_eigenvectors=compute_right_eigenvectors,
                 enable_eigvec_derivs=enable_eigvec_derivs)
    return list(out) if compute_right_eigenvectors else [out]


__all__ = ["cholesky", "eig", "eigh", "lu", "lu_pivots_to_permutation", "qr", "svd",
           "triangular_solve"]
