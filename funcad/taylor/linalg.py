"""Taylor rules of decompositions that have a recurrence: each coefficient solves the same
linear equation as the first-order tangent, with a right-hand side made of the lower
coefficients, so the primitive's own JVP rule (linear in the tangent) computes it.

Cholesky: ``L L^T = A`` gives ``L_0 L_k^T + L_k L_0^T = A_k - sum_{j=1}^{k-1} L_j L_{k-j}^T``,
the equation the JVP solves for ``dL`` given ``dA``.
"""
from __future__ import annotations

from funcad.core.rules import jvp_rules, taylor_rules
from funcad.core.trace import get_aval
from funcad.numpy import matmul, swapaxes
from funcad.ops.linalg import cholesky_p
from funcad.taylor.jet_trace import generic_rule
from funcad.taylor.series import add_all, normalize, sub_z


def _cholesky_rule(primals, series, *, order):
    (a0,), (sa,) = primals, series
    if get_aval(a0).dtype.kind == "c":  # the JVP rule itself refuses complex matrices
        return generic_rule(cholesky_p)(primals, series, order=order)
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

__all__: list[str] = []
