"""Taylor rules of decompositions that have a recurrence: each coefficient solves the same
linear equation as the first-order tangent, with a right-hand side made of the lower
coefficients, so the primitive's own JVP rule (linear in the tangent) computes it.

Cholesky: ``L L^T = A`` gives ``L_0 L_k^T + L_k L_0^T = A_k - sum_{j=1}^{k-1} L_j L_{k-j}^T``,
the equation the JVP solves for ``dL`` given ``dA``. LU (square): ``P A = L U`` gives
``L_0 U_k + L_k U_0 = P A_k - sum_{j=1}^{k-1} L_j U_{k-j}``. Triangular solve:
``op(A) X = B`` gives ``op(A_0) X_k = B_k - sum_{j=1}^k op(A_j) X_{k-j}``.
"""
from __future__ import annotations

import numpy as np

from funcad.core.rules import jvp_rules, taylor_rules
from funcad.core.trace import get_aval
from funcad.numpy import asarray, conj, matmul, swapaxes
from funcad.ops.linalg import cholesky_p, lu_p, triangular_solve_p
from funcad.taylor.jet_trace import generic_rule
from funcad.taylor.series import add_all, normalize, sub_z


def _cholesky_rule(primals, series, order, /):
    (a0,), (sa,) = primals, series
    if get_aval(a0).dtype.kind == "c":  # the JVP rule itself refuses complex matrices
        return generic_rule(cholesky_p)(primals, series, order)
    jvp = jvp_rules[cholesky_p]
    l0 = cholesky_p.bind(a0)
    coefs = [l0]
    for k in range(1, order + 1):
        lower = add_all([None if coefs[j] is None or coefs[k - j] is None
                         else matmul(coefs[j], swapaxes(coefs[k - j], -1, -2))
                         for j in range(1, k)])
        rhs = sub_z(sa[k - 1], lower)
        if rhs is None:
            coefs.append(None)
            continue
        coefs.append(jvp([a0], [rhs])[1])
    return l0, normalize(coefs[1:])


taylor_rules[cholesky_p] = _cholesky_rule


def _mask(x, k: int, lower: bool):
    """The triangle of ``x``'s matrices (``np.tril``/``np.triu`` with offset ``k``)."""
    m, n = get_aval(x).shape[-2:]
    tri = np.tril(np.ones((m, n)), k) if lower else np.triu(np.ones((m, n)), k)
    return x * asarray(tri, get_aval(x).dtype)


def _lu_rule(primals, series, order, /):
    (a0,), (sa,) = primals, series
    aval = get_aval(a0)
    m, n = aval.shape[-2:]
    if m != n or aval.dtype.kind == "c":
        return generic_rule(lu_p)(primals, series, order)
    outs = lu_p.bind(a0)
    perm = outs[2]
    p_t = swapaxes(asarray(perm[..., :, None] == np.arange(m), aval.dtype), -1, -2)
    jvp = jvp_rules[lu_p]
    lower, upper, packed = [None], [None], []
    for k in range(1, order + 1):
        prod = add_all([None if lower[j] is None or upper[k - j] is None
                        else matmul(lower[j], upper[k - j]) for j in range(1, k)])
        rhs = sub_z(sa[k - 1], None if prod is None else matmul(p_t, prod))
        if rhs is None:
            lower.append(None)
            upper.append(None)
            packed.append(None)
            continue
        lu_k = jvp([a0], [rhs])[1][0]
        lower.append(_mask(lu_k, -1, True))
        upper.append(_mask(lu_k, 0, False))
        packed.append(lu_k)
    return outs, [normalize(packed), None, None]


taylor_rules[lu_p] = _lu_rule


def _op(a, *, lower, transpose_a, conjugate_a, unit_diagonal, **_):
    """``op(a)`` of ``triangular_solve``: the triangle it reads, transposed/conjugated."""
    a = _mask(a, (-1 if lower else 1) if unit_diagonal else 0, lower)
    if transpose_a:
        a = swapaxes(a, -1, -2)
    return conj(a) if conjugate_a else a


def _triangular_solve_rule(primals, series, order, /, **params):
    (a0, b0), (sa, sb) = primals, series
    x0 = triangular_solve_p.bind(a0, b0, **params)
    xs = [x0]
    ops = [None] + [None if sa is None or sa[j - 1] is None else _op(sa[j - 1], **params)
                    for j in range(1, order + 1)]
    for k in range(1, order + 1):
        terms = [None if ops[j] is None or xs[k - j] is None
                 else matmul(ops[j], xs[k - j]) if params["left_side"]
                 else matmul(xs[k - j], ops[j]) for j in range(1, k + 1)]
        rhs = sub_z(None if sb is None else sb[k - 1], add_all(terms))
        xs.append(None if rhs is None else triangular_solve_p.bind(a0, rhs, **params))
    return x0, normalize(xs[1:])


taylor_rules[triangular_solve_p] = _triangular_solve_rule

__all__: list[str] = []
