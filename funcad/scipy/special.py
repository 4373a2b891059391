"""``funcad.scipy.special``: special functions with SciPy's signatures."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.ad import stop_gradient
from funcad.numpy._core import promote_args_inexact


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """``log(sum(b * exp(a), axis))`` computed stably, as ``scipy.special.logsumexp``.

    With ``return_sign=True`` returns ``(log|s|, sign(s))`` so negative ``b`` is allowed.
    """
    if b is None:
        (a,) = promote_args_inexact("logsumexp", a)
    else:
        a, b = promote_args_inexact("logsumexp", a, b)
    # The result does not depend on the shift: hold it constant, as JAX does. It is taken
    # of a constant ``a``, so no derivative work is done for the max at all (same numbers).
    amax = fnp.max(stop_gradient(a), axis=axis, keepdims=True)
    # An infinite maximum would give inf - inf; shift by 0 there instead.
    amax = fnp.where(fnp.isfinite(amax), amax, fnp.zeros_like(amax))
    e = fnp.exp(a - amax)
    if b is not None:
        e = b * e
    s = fnp.sum(e, axis=axis, keepdims=True)
    out = fnp.log(fnp.abs(s) if return_sign else s) + amax
    if not keepdims:
        out = fnp.squeeze(out, axis=axis)
    if not return_sign:
        return out
    sign = fnp.sign(s)
    return out, sign if keepdims else fnp.squeeze(sign, axis=axis)


__all__ = ["logsumexp"]
