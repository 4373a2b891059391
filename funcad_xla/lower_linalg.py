"""Lowerings of funcad's decompositions and matrix functions (``funcad.ops.decompositions``,
``funcad.ops.matrix_functions``) to ``jax.lax.linalg`` and ``jax.scipy.linalg``, with the
output order and conventions of the primitives' NumPy implementations; one row per
primitive in ``funcad_xla.rules``."""
from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.linalg as jsl
from jax.lax import linalg as lax_linalg

from funcad.ops import decompositions as dc
from funcad.ops import matrix_functions as mf
from funcad_xla.rules import register_lowerings


def _eigh(x, *, lower):
    v, w = lax_linalg.eigh(x, lower=lower, symmetrize_input=False)
    return [v, w]


def _svd(x, *, full_matrices, compute_uv):
    if not compute_uv:
        return [lax_linalg.svd(x, full_matrices=full_matrices, compute_uv=False)]
    u, s, vh = lax_linalg.svd(x, full_matrices=full_matrices, compute_uv=True)
    return [s, u, vh]


def _qr(x, *, full_matrices):
    q, r = lax_linalg.qr(x, full_matrices=full_matrices)
    return [q, r]


def _eig(x, *, compute_right_eigenvectors, enable_eigvec_derivs):
    return list(lax_linalg.eig(x, compute_left_eigenvectors=False,
                               compute_right_eigenvectors=compute_right_eigenvectors))


def _expm(x):
    return jsl.expm(x) if x.size else x


def _expm_frechet(a, e):
    if not a.size:
        return e
    n = a.shape[-1]
    scale = jnp.max(jnp.abs(e), axis=(-2, -1), keepdims=True)
    scale = jnp.where(scale == 0, 1, scale).astype(a.dtype)
    zeros = jnp.zeros_like(a)
    big = jnp.concatenate([jnp.concatenate([a, e / scale], -1),
                           jnp.concatenate([zeros, a], -1)], -2)
    return jsl.expm(big)[..., :n, n:] * scale


def _geqrf(x):
    # jax.lax.linalg has no public geqrf; jnp's qr(mode="raw") is it, transposed as NumPy's.
    h, taus = jnp.linalg.qr(x, mode="raw")
    return [jnp.swapaxes(h, -1, -2), taus]


def _lu_pivots_to_permutation(pivots, *, permutation_size):
    return lax_linalg.lu_pivots_to_permutation(pivots, permutation_size)


register_lowerings({
    dc.lu_pivots_to_permutation_p: _lu_pivots_to_permutation,
    dc.eigh_p: _eigh,
    dc.svd_p: _svd,
    dc.qr_p: _qr,
    dc.geqrf_p: _geqrf,
    dc.eig_p: _eig,
    mf.expm_p: _expm,
    mf.expm_frechet_p: _expm_frechet,
})
