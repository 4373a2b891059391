"""Special functions as primitives: log-gamma and its derivatives, the error function's
relatives, the regularized incomplete gamma and beta functions and their inverses, the
normal distribution's log-CDF and quantile, and the exponentially scaled modified Bessel
functions.

The NumPy implementations call ``scipy.special`` (imported on first use, so importing funcad
does not load SciPy); the derivatives of ``igamma`` in ``a`` (of every order: the
``igamma_da`` primitive, whose order rises with each a-derivative), which SciPy lacks, come
from ``funcad.ops._igamma_kernels``, and those of ``betainc`` in ``a`` and ``b`` (which
neither SciPy nor JAX has; the ``betainc_dab`` primitive) from
``funcad.ops._betainc_kernels``. Every JVP is written in funcad operations, so the rules
differentiate again. The one derivative without a rule (``polygamma`` in its order) raises
``FuncadNotImplementedError`` instead of returning a wrong zero.

Each primitive is one block: wrapper -> primitive (impl + shape/dtype rule) -> JVP ->
batching (the elementwise definers').
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.rules import Call, Elementwise, explain_notation, sparsity_rules, taylor_rules
from funcad.core.trace import get_aval
from funcad.errors import FuncadNotImplementedError, FuncadValueError
from funcad.ops import _betainc_kernels, _igamma_kernels
from funcad.ops._base import defbroadcasting, defjvp, defjvp2, defjvp_zero, select_n
from funcad.ops._definers import standard_binop, standard_unop
from funcad.ops._operands import const_like, lax_args
from funcad.ops._parallel import PARALLEL_MIN, in_ranges
from funcad.ops._shapes import (
    FLOAT,
    check_kind,
    check_same_dtypes,
    check_same_shapes,
    elementwise_primitive,
    new_primitive,
    type_error,
)
from funcad.ops.arithmetic import abs as abs_
from funcad.ops.arithmetic import add, div, mul, neg, sign, square, sub
from funcad.ops.elementwise import exp, log, log1p
from funcad.ops.logical import bitwise_and, eq, gt, lt


def _check_operands(args) -> None:
    """Eagerly too, the operands are floats of one shape and dtype (SciPy would broadcast,
    promote or cast an integer result silently); ``apply_impl`` turns the error into the
    shape rule's ``PrimitiveTypeError``."""
    first = args[0]
    if first.dtype.kind != "f" or any(
            a.shape != first.shape or a.dtype != first.dtype for a in args[1:]):
        raise TypeError("operand mismatch")


def _scipy_impl(name: str):
    """The implementation calling ``scipy.special.<name>`` in the operands' dtype (an array,
    also for 0-d operands); large operands in ranges on several threads (``_parallel``)."""

    def impl(*args):
        import scipy.special

        _check_operands(args)
        fn = getattr(scipy.special, name)
        n = args[0].size
        if n < PARALLEL_MIN or not isinstance(fn, np.ufunc):
            return np.asarray(fn(*args), args[0].dtype)
        flat = [np.ascontiguousarray(a).reshape(-1) for a in args]
        out = np.empty(n, args[0].dtype)
        in_ranges(n, lambda lo, hi: fn(*(a[lo:hi] for a in flat), out=out[lo:hi]))
        return out.reshape(args[0].shape)

    impl.__name__ = name
    return impl


def _no_derivative(what: str):
    def rule(t, *args, **params):
        raise FuncadNotImplementedError(what)

    return rule


def lgamma(x):
    return lgamma_p.bind(x)


lgamma_p = standard_unop("lgamma", _scipy_impl("gammaln"), FLOAT)
defjvp(lgamma_p, lambda t, x: mul(t, digamma(x)))


def digamma(x):
    return digamma_p.bind(x)


digamma_p = standard_unop("digamma", _scipy_impl("psi"), FLOAT)
defjvp(digamma_p, lambda t, x: mul(t, polygamma(const_like(x, 1), x)))


def polygamma(m, x):
    return polygamma_p.bind(*lax_args(m, x))


polygamma_p = standard_binop("polygamma", _scipy_impl("polygamma"), FLOAT)
defjvp(
    polygamma_p,
    _no_derivative("the derivative of polygamma with respect to its order m"),
    lambda t, m, x: mul(t, polygamma(add(m, const_like(m, 1)), x)),
)


def erfc(x):
    return erfc_p.bind(x)


erfc_p = standard_unop("erfc", _scipy_impl("erfc"), FLOAT)
defjvp(erfc_p, lambda t, x: mul(t, mul(const_like(x, -2 / math.sqrt(math.pi)),
                                       exp(neg(square(x))))))


def erf_inv(x):
    return erf_inv_p.bind(x)


erf_inv_p = standard_unop("erf_inv", _scipy_impl("erfinv"), FLOAT)
# d erfinv(x) = sqrt(pi)/2 exp(erfinv(x)^2) dx
defjvp2(erf_inv_p, lambda t, ans, x: mul(t, mul(const_like(x, math.sqrt(math.pi) / 2),
                                               exp(square(ans)))))


def _xlog(c, x, log_fn=log, at=0.0, safe=1.0):
    """``c * log_fn(x)``, 0 where ``c == 0`` and ``x == at`` (the density factors
    ``x^(a-1)`` at ``a = 1, x = 0``, where the plain product is ``0 * -inf``): there ``x``
    is replaced by ``safe``, where ``log_fn`` is 0."""
    zero_c = eq(c, const_like(c, 0))
    safe_x = select_n(bitwise_and(zero_c, eq(x, const_like(x, at))), x, const_like(x, safe))
    return mul(c, log_fn(safe_x))


def _gamma_density(a, x):
    """``x^(a-1) e^-x / Gamma(a)``: the x-derivative of the regularized ``igamma``."""
    return exp(sub(_xlog(sub(a, const_like(a, 1)), x), add(x, lgamma(a))))


def igamma(a, x):
    """The regularized lower incomplete gamma function ``P(a, x)``."""
    return igamma_p.bind(*lax_args(a, x))


igamma_p = standard_binop("igamma", _scipy_impl("gammainc"), FLOAT)
defjvp(
    igamma_p,
    lambda t, a, x: mul(t, igamma_da(a, x, order=1)),
    lambda t, a, x: mul(t, _gamma_density(a, x)),
)


def igammac(a, x):
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``."""
    return igammac_p.bind(*lax_args(a, x))


igammac_p = standard_binop("igammac", _scipy_impl("gammaincc"), FLOAT)
defjvp(
    igammac_p,
    lambda t, a, x: neg(mul(t, igamma_da(a, x, order=1))),
    lambda t, a, x: neg(mul(t, _gamma_density(a, x))),
)


def _polygamma_terms(v, lo: int, hi: int) -> list:
    """``polygamma(m, v)`` for ``m = lo .. hi - 1`` (``digamma`` for ``m = 0``)."""
    return [digamma(v) if m == 0 else polygamma(const_like(v, m), v) for m in range(lo, hi)]


def _exp_jet_entry(log_jet: dict, order: tuple[int, int]):
    """``d^(i+j)/da^i db^j exp(g) / exp(g)`` from the derivatives of ``g``: the Taylor
    coefficient of ``da^i db^j`` in ``exp(g - g(a, b))`` (from ``d exp(g) = exp(g) dg`` in
    each variable) times ``i! j!``. ``log_jet[(p, q)]`` is ``g``'s Taylor coefficient of
    ``da^p db^q``; absent entries are zero, and so are absent ones of the result."""
    i, j = order
    coef: dict = {}
    for p in range(i + 1):
        for q in range(j + 1):
            if (p, q) == (0, 0):
                continue
            # p e[p, q] = sum_{p1 >= 1} p1 g[p1, q1] e[p - p1, q - q1] (in q when p = 0)
            total = None
            for p1 in range(p + 1):
                for q1 in range(q + 1):
                    weight = p1 if p else q1
                    rest = (p - p1, q - q1)
                    g = log_jet.get((p1, q1))
                    if weight == 0 or g is None or (rest != (0, 0) and rest not in coef):
                        continue
                    term = mul(const_like(g, weight / (p or q)), g)
                    term = term if rest == (0, 0) else mul(term, coef[rest])
                    total = term if total is None else add(total, term)
            if total is not None:
                coef[(p, q)] = total
    result = coef[(i, j)]  # present: every g[p, q] with p <= i, q <= j is given
    return mul(const_like(result, math.factorial(i) * math.factorial(j)), result)


def _gamma_density_da(a, x, order: int):
    """``d^order/da^order`` of the gamma density ``x^(a-1) e^-x / Gamma(a)`` (the
    x-derivative of ``igamma_da``): its log has a-derivatives ``log x - digamma(a)`` and
    ``-polygamma(k - 1, a)``."""
    psis = _polygamma_terms(a, 0, order)
    log_jet = {(1, 0): sub(log(x), psis[0])}
    for k in range(2, order + 1):
        log_jet[(k, 0)] = mul(const_like(a, -1 / math.factorial(k)), psis[k - 1])
    return mul(_gamma_density(a, x), _exp_jet_entry(log_jet, (order, 0)))


def _check_order(fname: str, order, ranks: int) -> tuple:
    """``order`` as a tuple of ``ranks`` nonnegative ints, not all 0."""
    parts = (order,) if ranks == 1 and not isinstance(order, tuple) else order
    if (not isinstance(parts, tuple) or len(parts) != ranks or sum(parts) < 1
            or any(not isinstance(k, (int, np.integer)) or k < 0 for k in parts)):
        wanted = "a positive int" if ranks == 1 else "a pair of nonnegative ints, not both 0"
        raise FuncadValueError(f"{fname}: order must be {wanted}, got {order!r}")
    return tuple(int(k) for k in parts)


def _shape_derivative_primitive(name: str, kernel, nargs: int):
    """An elementwise primitive of ``nargs`` float operands of one shape and dtype with a
    static ``derivs`` param (the derivative's order; not named ``order``, which the Taylor
    rules take for their own), its NumPy implementation ``kernel(*operands, derivs)``."""

    def abstract_eval(*avals, derivs):
        if len(avals) != nargs:
            raise type_error(prim, avals, f"takes {nargs} operands")
        check_kind(prim, avals, FLOAT)
        check_same_shapes(prim, avals)
        check_same_dtypes(prim, avals)
        return ShapedArray(avals[0].shape, avals[0].dtype, all(a.weak_type for a in avals))

    def impl(*args, derivs):
        _check_operands(args)
        return kernel(*args, derivs)

    prim = new_primitive(name, impl, abstract_eval)
    sparsity_rules[prim] = Elementwise()
    return prim


def igamma_da(a, x, *, order: int = 1):
    """``d^order/da^order igamma(a, x)`` (``order >= 1``), differentiable again in both."""
    order = _check_order("igamma_da", order, 1)[0]
    return igamma_da_p.bind(*lax_args(a, x), derivs=order)


def igamma_grad_a(a, x):
    """``d/da igamma(a, x)``."""
    return igamma_da(a, x, order=1)


igamma_da_p = _shape_derivative_primitive("igamma_da", _igamma_kernels.igamma_da, 2)
# in a: one order up; in x: the a-derivative of that order of the density
defjvp(
    igamma_da_p,
    lambda t, a, x, *, derivs: mul(t, igamma_da(a, x, order=derivs + 1)),
    lambda t, a, x, *, derivs: mul(t, _gamma_density_da(a, x, derivs)),
)
defbroadcasting(igamma_da_p)
taylor_rules[igamma_da_p] = "elementwise"


def _beta_log_density(a, b, x):
    """``log(x^(a-1) (1-x)^(b-1) / B(a, b))``: the x-derivative of ``betainc``."""
    lbeta = sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))
    one = const_like(x, 1)
    return sub(add(_xlog(sub(b, one), neg(x), log1p, -1.0, 0.0), _xlog(sub(a, one), x)), lbeta)


def _beta_density_dab(a, b, x, order: tuple[int, int]):
    """``d^(i+j)/da^i db^j`` of the beta density (the x-derivative of ``betainc_dab``): the
    derivatives of its log are those of ``-lgamma(a) - lgamma(b) + lgamma(a + b)`` plus
    ``log x`` in ``a`` and ``log1p(-x)`` in ``b`` at first order."""
    i, j = order
    top = i + j
    psi_ab = _polygamma_terms(add(a, b), 0, top)
    psi_a, psi_b = _polygamma_terms(a, 0, i), _polygamma_terms(b, 0, j)
    log_jet = {}
    for p in range(i + 1):
        for q in range(j + 1):
            n = p + q
            if n == 0:
                continue
            scale = const_like(a, 1 / (math.factorial(p) * math.factorial(q)))
            g = psi_ab[n - 1]
            if q == 0:
                g = sub(g, psi_a[p - 1])
            elif p == 0:
                g = sub(g, psi_b[q - 1])
            if (p, q) == (1, 0):
                g = add(g, log(x))
            elif (p, q) == (0, 1):
                g = add(g, log1p(neg(x)))
            log_jet[(p, q)] = mul(scale, g)
    return mul(exp(_beta_log_density(a, b, x)), _exp_jet_entry(log_jet, order))


def betainc(a, b, x):
    """The regularized incomplete beta function ``I_x(a, b)``."""
    return betainc_p.bind(*lax_args(a, b, x))


def _betainc_dx(t, a, b, x):
    return mul(t, exp(_beta_log_density(a, b, x)))


betainc_p = elementwise_primitive("betainc", _scipy_impl("betainc"), FLOAT, nargs=3)
defjvp(
    betainc_p,
    lambda t, a, b, x: mul(t, betainc_dab(a, b, x, order=(1, 0))),
    lambda t, a, b, x: mul(t, betainc_dab(a, b, x, order=(0, 1))),
    _betainc_dx,
)
defbroadcasting(betainc_p)


def betainc_dab(a, b, x, *, order: tuple[int, int] = (1, 0)):
    """``d^(i+j)/da^i db^j betainc(a, b, x)`` for ``order = (i, j)`` (not ``(0, 0)``),
    differentiable again in all three."""
    order = _check_order("betainc_dab", order, 2)
    return betainc_dab_p.bind(*lax_args(a, b, x), derivs=order)


def betainc_grad_a(a, b, x):
    """``d/da betainc(a, b, x)``."""
    return betainc_dab(a, b, x, order=(1, 0))


def betainc_grad_b(a, b, x):
    """``d/db betainc(a, b, x)``."""
    return betainc_dab(a, b, x, order=(0, 1))


betainc_dab_p = _shape_derivative_primitive("betainc_dab", _betainc_kernels.betainc_dab, 3)
defjvp(
    betainc_dab_p,
    lambda t, a, b, x, *, derivs: mul(t, betainc_dab(a, b, x, order=(derivs[0] + 1, derivs[1]))),
    lambda t, a, b, x, *, derivs: mul(t, betainc_dab(a, b, x, order=(derivs[0], derivs[1] + 1))),
    lambda t, a, b, x, *, derivs: mul(t, _beta_density_dab(a, b, x, derivs)),
)
defbroadcasting(betainc_dab_p)


def gammaincinv(a, p):
    """The inverse of ``igamma`` in ``x``: ``igamma(a, gammaincinv(a, p)) = p``."""
    return gammaincinv_p.bind(*lax_args(a, p))


def _gammaincinv_dp(t, ans, a, p):
    # implicit differentiation of igamma(a, x) = p: dx = dp / density(a, x)
    return div(t, _gamma_density(a, ans))


def _gammaincinv_da(t, ans, a, p):
    # dx = -(d igamma / da) da / density(a, x)
    return neg(div(mul(t, igamma_grad_a(a, ans)), _gamma_density(a, ans)))


gammaincinv_p = standard_binop("gammaincinv", _scipy_impl("gammaincinv"), FLOAT)
defjvp2(gammaincinv_p, _gammaincinv_da, _gammaincinv_dp)


def betaincinv(a, b, p):
    """The inverse of ``betainc`` in ``x``: ``betainc(a, b, betaincinv(a, b, p)) = p``."""
    return betaincinv_p.bind(*lax_args(a, b, p))


def _betaincinv_dshape(grad_fn):
    # implicit differentiation of betainc(a, b, x) = p: dx = -(dI/da) da / density(x)
    def rule(t, ans, a, b, p):
        return neg(div(mul(t, grad_fn(a, b, ans)), exp(_beta_log_density(a, b, ans))))

    return rule


betaincinv_p = elementwise_primitive("betaincinv", _scipy_impl("betaincinv"), FLOAT, nargs=3)
defjvp2(
    betaincinv_p,
    _betaincinv_dshape(betainc_grad_a),
    _betaincinv_dshape(betainc_grad_b),
    lambda t, ans, a, b, p: div(t, exp(_beta_log_density(a, b, ans))),
)
defbroadcasting(betaincinv_p)


def poisson_ppf(q, mu):
    """The Poisson quantile: the least integer ``k`` with ``P(K <= k) >= q`` (a float;
    ``-1`` at ``q = 0``, ``inf`` at ``q = 1``, as SciPy)."""
    return poisson_ppf_p.bind(*lax_args(q, mu))


def _poisson_ppf_impl(q, mu):
    import scipy.stats

    _check_operands((q, mu))
    return np.asarray(scipy.stats.poisson.ppf(q, mu), q.dtype)


poisson_ppf_p = standard_binop("poisson_ppf", _poisson_ppf_impl, FLOAT)
defjvp_zero(poisson_ppf_p)  # piecewise constant in both operands


def ndtri(p):
    """The standard normal quantile (inverse CDF)."""
    return ndtri_p.bind(p)


ndtri_p = standard_unop("ndtri", _scipy_impl("ndtri"), FLOAT)
# d ndtri(p) = sqrt(2 pi) exp(ndtri(p)^2 / 2) dp
defjvp2(ndtri_p, lambda t, ans, p: mul(t, mul(const_like(p, math.sqrt(2 * math.pi)),
                                             exp(mul(const_like(p, 0.5), square(ans))))))


def erfcx(x):
    """The scaled complementary error function ``exp(x^2) erfc(x)``."""
    return erfcx_p.bind(x)


erfcx_p = standard_unop("erfcx", _scipy_impl("erfcx"), FLOAT)
# d erfcx(x) = (2 x erfcx(x) - 2 / sqrt(pi)) dx
defjvp2(erfcx_p, lambda t, ans, x: mul(t, sub(mul(mul(const_like(x, 2), x), ans),
                                             const_like(x, 2 / math.sqrt(math.pi)))))


def log_ndtr(x):
    """``log`` of the standard normal CDF, accurate in both tails."""
    return log_ndtr_p.bind(x)


def _log_ndtr_jvp(t, ans, x):
    # d log Phi(x) = phi(x) / Phi(x) dx. For x < 0 that ratio is sqrt(2/pi) / erfcx(-x/sqrt2)
    # (no cancellation between -x^2/2 and log Phi far in the left tail); for x >= 0 it is
    # exp(-x^2/2 - log Phi(x)) / sqrt(2 pi), where erfcx of a negative argument overflows.
    negative = lt(x, const_like(x, 0))
    left = div(const_like(x, math.sqrt(2 / math.pi)),
               erfcx(mul(const_like(x, -1 / math.sqrt(2)), select_n(negative, const_like(x, -1),
                                                                     x))))
    right = mul(const_like(x, 1 / math.sqrt(2 * math.pi)),
                exp(sub(mul(const_like(x, -0.5), square(x)), ans)))
    return mul(t, select_n(negative, right, left))


log_ndtr_p = standard_unop("log_ndtr", _scipy_impl("log_ndtr"), FLOAT)
defjvp2(log_ndtr_p, _log_ndtr_jvp)


def bessel_i0e(x):
    return bessel_i0e_p.bind(x)


bessel_i0e_p = standard_unop("bessel_i0e", _scipy_impl("i0e"), FLOAT)
# i0e(x) = exp(-|x|) I0(x), I0' = I1: d i0e = (i1e(x) - sign(x) i0e(x)) dx
defjvp2(bessel_i0e_p, lambda t, ans, x: mul(t, sub(bessel_i1e(x), mul(sign(x), ans))))


def bessel_i1e(x):
    return bessel_i1e_p.bind(x)


def _bessel_i1e_jvp(t, ans, x):
    # I1' = I0 - I1/x: d i1e = (i0e(x) - i1e(x) (sign(x) + 1/x)) dx, which is 1/2 at x = 0
    # (the formula is 0/0 there: evaluate it at a safe point and select the limit).
    eps = const_like(x, np.finfo(get_aval(x).dtype).eps)
    not_tiny = gt(abs_(x), eps)
    safe_x = select_n(not_tiny, eps, x)
    d = sub(bessel_i0e(safe_x), mul(ans, add(sign(safe_x), div(const_like(x, 1), safe_x))))
    return mul(t, select_n(not_tiny, const_like(x, 0.5), d))


bessel_i1e_p = standard_unop("bessel_i1e", _scipy_impl("i1e"), FLOAT)
defjvp2(bessel_i1e_p, _bessel_i1e_jvp)

for _prim, _name in ((lgamma_p, "gammaln"), (erf_inv_p, "erfinv"), (igamma_p, "gammainc"),
                     (igammac_p, "gammaincc"), (bessel_i0e_p, "i0e"),
                     (bessel_i1e_p, "i1e")):
    explain_notation[_prim] = Call(_name)

__all__ = [
    "bessel_i0e",
    "bessel_i1e",
    "betainc",
    "betainc_dab",
    "betainc_grad_a",
    "betainc_grad_b",
    "betaincinv",
    "digamma",
    "erf_inv",
    "erfc",
    "erfcx",
    "gammaincinv",
    "igamma",
    "igamma_da",
    "igamma_grad_a",
    "igammac",
    "lgamma",
    "log_ndtr",
    "ndtri",
    "poisson_ppf",
    "polygamma",
]
