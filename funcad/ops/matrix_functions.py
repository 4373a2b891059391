"""Matrix functions: ``expm`` and its Fréchet derivative ``expm_frechet``.

``expm`` differentiates to ``expm_frechet(a, e)``, the derivative of ``expm`` at ``a`` in
the direction ``e``, which is linear in ``e`` (so reverse mode transposes it:
``<c, L(a, e)> = <L(a^T, c), e>``) and differentiates again through the block-triangular
identity (Al-Mohy & Higham 2009)::

    expm([[a, e], [0, a]]) == [[expm(a), L(a, e)], [0, expm(a)]]

so derivatives of every order exist. The same identities hold for complex matrices, with
the plain transpose ``a^T`` (no conjugation: ``L`` is complex-linear in ``e``, and JAX's
transpose of a complex-linear map is its plain transpose). Both implementations call
``scipy.linalg.expm`` (Padé approximation with scaling and squaring), batched over the
leading axes.
"""
from __future__ import annotations

import numpy as np

from funcad.core.rules import batch_rules, jvp_rules, transpose_rules
from funcad.core.symbolic import Zero, is_undefined
from funcad.core.trace import get_aval
from funcad.ops import linalg as la
from funcad.ops import slicing as sl
from funcad.ops._base import bdim_at
from funcad.ops._operands import const_like
from funcad.ops._shapes import INEXACT, axis_size_of, check_kind, new_primitive, type_error


def _scipy_expm(x):
    import scipy.linalg

    if 0 in x.shape:
        return np.zeros_like(x)
    return np.asarray(scipy.linalg.expm(x), dtype=x.dtype)


def block_upper(a, e):
    """``[[a, e], [0, a]]`` for each pair of square matrices (funcad ops)."""
    nd = get_aval(a).ndim
    top = sl.concatenate([a, e], nd - 1)
    bottom = sl.concatenate([const_like(a, 0), a], nd - 1)
    return sl.concatenate([top, bottom], nd - 2)


def frechet_by_blocks(expm_fn, a, e):
    """``L(a, e)`` as the upper right block of ``expm_fn([[a, e], [0, a]])`` for NumPy-like
    arrays; ``e`` is scaled to unit size first, as ``L`` is linear in it and the scaling
    and squaring of ``expm`` is chosen by the norm of the whole block matrix."""
    n = a.shape[-1]
    scale = np.max(np.abs(e), axis=(-2, -1), keepdims=True)
    scale = np.where(scale == 0, 1, scale).astype(a.dtype)
    zeros = np.zeros_like(a)
    big = np.concatenate([np.concatenate([a, e / scale], -1),
                          np.concatenate([zeros, a], -1)], -2)
    return expm_fn(big)[..., :n, n:] * scale


# --- expm --------------------------------------------------------------------------------------

def expm(x):
    """The matrix exponential of each square matrix in ``x``."""
    return expm_p.bind(x)


def _check_square_inexact(prim, avals):
    check_kind(prim, avals, INEXACT)
    for a in avals:
        la._check_square(prim, a, avals)
    if len({(a.shape, a.dtype) for a in avals}) > 1:
        raise type_error(prim, avals, "operands must have equal shapes and dtypes")
    return avals[0].strip_weak_type()


def _expm_impl(x):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2] or x.dtype.kind not in INEXACT:
        raise TypeError("expm")
    return _scipy_expm(x)


expm_p = new_primitive("expm", _expm_impl, lambda x: _check_square_inexact(expm_p, [x]))


def _expm_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = expm_p.bind(x)
    if type(t) is Zero:
        return out, Zero.like(out)
    return out, expm_frechet(x, t)


def _expm_batch(vals, dims):
    x, d = la._batch_leading(vals, dims)
    return expm(x), d


jvp_rules[expm_p] = _expm_jvp
batch_rules[expm_p] = _expm_batch


# --- expm_frechet ------------------------------------------------------------------------------

def expm_frechet(a, e):
    """The Fréchet derivative of ``expm`` at ``a`` applied to ``e`` (linear in ``e``)."""
    return expm_frechet_p.bind(a, e)


def _expm_frechet_impl(a, e):
    if (a.shape != e.shape or a.dtype != e.dtype or a.ndim < 2 or a.shape[-1] != a.shape[-2]
            or a.dtype.kind not in INEXACT):
        raise TypeError("expm_frechet")
    if 0 in a.shape:
        return np.zeros_like(a)
    return frechet_by_blocks(_scipy_expm, a, e)


expm_frechet_p = new_primitive(
    "expm_frechet", _expm_frechet_impl,
    lambda a, e: _check_square_inexact(expm_frechet_p, [a, e]),
)


def _upper_right(x, n: int):
    shape = get_aval(x).shape
    return sl.slice(x, (0,) * (len(shape) - 1) + (n,), (*shape[:-2], n, 2 * n))


def _expm_frechet_jvp(primals, tangents):
    # L(a, e) is the upper right block of expm(M), M = [[a, e], [0, a]]; so its tangent is
    # the upper right block of L(M, [[da, de], [0, da]]), linear in (da, de).
    (a, e), (a_dot, e_dot) = primals, tangents
    out = expm_frechet_p.bind(a, e)
    if type(a_dot) is Zero and type(e_dot) is Zero:
        return out, Zero.like(out)
    if type(a_dot) is Zero:
        return out, expm_frechet(a, e_dot)
    e_dot = const_like(e, 0) if type(e_dot) is Zero else e_dot
    n = get_aval(a).shape[-1]
    big = expm_frechet(block_upper(a, e), block_upper(a_dot, e_dot))
    return out, _upper_right(big, n)


def _expm_frechet_transpose(ct, a, e):
    if is_undefined(a):
        raise NotImplementedError("transpose of expm_frechet in its matrix (not linear)")
    if type(ct) is Zero:
        return [None, Zero(e.aval)]
    return [None, expm_frechet(la._swap_last(a), ct)]


def _expm_frechet_batch(vals, dims):
    (a, e), (da, de) = vals, dims
    size = axis_size_of(vals, dims)
    return expm_frechet(bdim_at(a, da, 0, size), bdim_at(e, de, 0, size)), 0


jvp_rules[expm_frechet_p] = _expm_frechet_jvp
transpose_rules[expm_frechet_p] = _expm_frechet_transpose
batch_rules[expm_frechet_p] = _expm_frechet_batch

__all__ = ["block_upper", "expm", "expm_frechet", "frechet_by_blocks"]
