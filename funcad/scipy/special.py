"""``funcad.scipy.special``: special functions with SciPy's signatures and broadcasting.

The functions with a kernel of their own are primitives (``funcad.ops.special``, SciPy
inside); the others are written here in funcad operations, arranged so that values and
derivatives stay finite where SciPy's are: ``log_ndtr`` far in the left tail, ``logit``
next to 0 and 1, ``xlogy(0, 0) = 0`` with a finite gradient, ``softmax`` of large inputs.
"""
from __future__ import annotations

import math

import funcad.numpy as fnp
from funcad.ad import stop_gradient
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy._core import promote_args_inexact
from funcad.numpy._special import i0, i1
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import elementwise as ew
from funcad.ops import logical as lg
from funcad.ops import special as sp
from funcad.ops._operands import const_like


def _unary(name: str, prim_fn, doc: str):
    def fn(x):
        (x,) = promote_args_inexact(name, x)
        return prim_fn(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


gammaln = _unary("gammaln", sp.lgamma, "``log|Gamma(x)|``, as ``scipy.special.gammaln``.")
digamma = _unary("digamma", sp.digamma, "The logarithmic derivative of Gamma, ``psi(x)``.")
psi = digamma
erf = _unary("erf", ew.erf, "The error function.")
erfc = _unary("erfc", sp.erfc, "``1 - erf(x)``, accurate where ``erf(x)`` is close to 1.")
erfcx = _unary("erfcx", sp.erfcx, "``exp(x^2) erfc(x)``, without overflow or underflow.")
erfinv = _unary("erfinv", sp.erf_inv, "The inverse of ``erf`` on (-1, 1).")
expit = _unary("expit", ew.logistic, "The logistic function ``1 / (1 + exp(-x))``.")
ndtri = _unary("ndtri", sp.ndtri, "The standard normal quantile: the inverse of ``ndtr``.")


def log_ndtr(x, series_order: int = 3):
    """``log(ndtr(x))``, accurate in both tails (``log_ndtr(-30) = -454.3...``).

    ``series_order`` (an int in [0, 30]) is the order of the asymptotic series JAX uses far
    in the left tail; funcad's values are within an ulp or two of the exact ones there
    whatever the order (JAX's own float64 values approach them as the order grows), so it
    is checked and otherwise unused.
    """
    if not isinstance(series_order, int):
        raise FuncadTypeError(with_user_line(
            f"funcad.scipy.special.log_ndtr: series_order must be a Python int, got "
            f"{type(series_order).__name__}"))
    if not 0 <= series_order <= 30:
        raise FuncadValueError(with_user_line(
            f"funcad.scipy.special.log_ndtr: series_order={series_order} must be in [0, 30]"))
    (x,) = promote_args_inexact("log_ndtr", x)
    return sp.log_ndtr(x)


i0e = _unary("i0e", sp.bessel_i0e, "``exp(-|x|) I0(x)``, the scaled modified Bessel function.")
i1e = _unary("i1e", sp.bessel_i1e, "``exp(-|x|) I1(x)``, the scaled modified Bessel function.")


def ndtr(x):
    """The standard normal CDF, ``erfc(-x / sqrt(2)) / 2`` (accurate in the left tail)."""
    (x,) = promote_args_inexact("ndtr", x)
    return ar.mul(const_like(x, 0.5), sp.erfc(ar.mul(x, const_like(x, -1 / math.sqrt(2)))))


def logit(p):
    """``log(p / (1 - p))`` as ``log(p) - log1p(-p)``: no rounding of ``1 - p`` near 1."""
    (p,) = promote_args_inexact("logit", p)
    return ar.sub(ew.log(p), ew.log1p(ar.neg(p)))


def polygamma(n, x):
    """The ``n``-th derivative of ``digamma`` (``n`` a non-negative integer array)."""
    n, x = promote_args_inexact("polygamma", n, x)
    return sp.polygamma(n, x)


def gammainc(a, x):
    """The regularized lower incomplete gamma function ``P(a, x)``; differentiable in
    ``x`` and ``a`` to every order (JAX: ``a`` to first order)."""
    a, x = promote_args_inexact("gammainc", a, x)
    return sp.igamma(a, x)


def gammaincc(a, x):
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``."""
    a, x = promote_args_inexact("gammaincc", a, x)
    return sp.igammac(a, x)


def betainc(a, b, x):
    """The regularized incomplete beta function ``I_x(a, b)``; differentiable in ``x`` to
    every order, and in ``a`` and ``b`` to every order too (JAX: not in ``a``, ``b``)."""
    a, b, x = promote_args_inexact("betainc", a, b, x)
    return sp.betainc(a, b, x)


def betaln(a, b):
    """``log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    a, b = promote_args_inexact("betaln", a, b)
    return ar.sub(ar.add(sp.lgamma(a), sp.lgamma(b)), sp.lgamma(ar.add(a, b)))


def _safe_where_zero(x, y, bad_y):
    """``y`` with 1 put where ``x == 0`` and ``bad_y`` (``y <= 0`` or ``inf``): there
    ``x * log(y)`` is 0 (SciPy's value) and its derivatives are finite (in ``y``: 0; in
    ``x``: ``log(1) = 0``)."""
    use_one = lg.bitwise_and(lg.eq(x, const_like(x, 0)), bad_y)
    return base.select_n(use_one, y, const_like(y, 1))


def xlogy(x, y):
    """``x * log(y)``, and 0 where ``x == 0`` (also for ``y <= 0``). The gradient is finite
    there: ``d/dy = x / y = 0`` exactly; at ``(0, y <= 0)``, where ``d/dx`` does not exist,
    it is taken as 0 (JAX gives ``-inf``)."""
    x, y = promote_args_inexact("xlogy", x, y)
    bad = lg.bitwise_or(lg.le(y, const_like(y, 0)), lg.eq(y, const_like(y, math.inf)))
    safe_y = _safe_where_zero(x, y, bad)
    return ar.mul(x, ew.log(safe_y))


def xlog1py(x, y):
    """``x * log1p(y)``, and 0 where ``x == 0`` (also for ``y <= -1``); derivatives as in
    ``xlogy``."""
    x, y = promote_args_inexact("xlog1py", x, y)
    bad = lg.bitwise_or(lg.le(y, const_like(y, -1)), lg.eq(y, const_like(y, math.inf)))
    safe_y = base.select_n(lg.bitwise_and(lg.eq(x, const_like(x, 0)), bad), y,
                           const_like(y, 0))
    return ar.mul(x, ew.log1p(safe_y))


def entr(x):
    """``-x log(x)`` for ``x > 0``, 0 at 0, ``-inf`` for ``x < 0``."""
    (x,) = promote_args_inexact("entr", x)
    positive = lg.gt(x, const_like(x, 0))
    safe_x = base.select_n(positive, const_like(x, 1), x)
    inside = ar.neg(ar.mul(x, ew.log(safe_x)))
    outside = base.select_n(lg.eq(x, const_like(x, 0)), const_like(x, -math.inf),
                            const_like(x, 0))
    return base.select_n(positive, outside, inside)


def rel_entr(x, y):
    """``x log(x / y)`` for ``x, y > 0``; 0 for ``x == 0, y >= 0``; ``inf`` otherwise."""
    x, y = promote_args_inexact("rel_entr", x, y)
    zero = const_like(x, 0)
    both = lg.bitwise_and(lg.gt(x, zero), lg.gt(y, zero))
    safe_x = base.select_n(both, const_like(x, 1), x)
    safe_y = base.select_n(both, const_like(y, 1), y)
    inside = ar.mul(x, ar.sub(ew.log(safe_x), ew.log(safe_y)))
    edge = lg.bitwise_and(lg.eq(x, zero), lg.ge(y, zero))
    outside = base.select_n(edge, const_like(x, math.inf), zero)
    return base.select_n(both, outside, inside)


def kl_div(x, y):
    """``x log(x / y) - x + y`` (``rel_entr(x, y) - x + y``), as ``scipy.special.kl_div``."""
    x, y = promote_args_inexact("kl_div", x, y)
    return ar.add(ar.sub(rel_entr(x, y), x), y)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x), axis)`` over ``axis`` (all axes by default, as SciPy)."""
    (x,) = promote_args_inexact("softmax", x)
    unnormalized = fnp.exp(x - fnp.max(stop_gradient(x), axis=axis, keepdims=True))
    return unnormalized / fnp.sum(unnormalized, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x, axis)`` over ``axis`` (all axes by default, as SciPy)."""
    (x,) = promote_args_inexact("log_softmax", x)
    shifted = x - fnp.max(stop_gradient(x), axis=axis, keepdims=True)
    return shifted - fnp.log(fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True))


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False,
              where=None):
    """``log(sum(b * exp(a), axis))`` computed stably, as ``scipy.special.logsumexp``.

    With ``return_sign=True`` returns ``(log|s|, sign(s))`` so negative ``b`` is allowed.
    ``where`` (as JAX's) leaves entries out: they count as ``a = -inf`` and ``b = 0``, so a
    fully masked slice gives ``-inf`` (sign 0) and masked entries get zero derivatives.
    """
    if b is None:
        (a,) = promote_args_inexact("logsumexp", a)
    else:
        a, b = promote_args_inexact("logsumexp", a, b)
    if where is not None:
        where = fnp.asarray(where, dtype=bool)
        a = fnp.where(where, a, fnp.full_like(a, -math.inf))
        if b is not None:
            b = fnp.where(where, b, fnp.zeros_like(b))
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


__all__ = [
    "betainc",
    "betaln",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "expit",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "kl_div",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "rel_entr",
    "softmax",
    "xlog1py",
    "xlogy",
]
