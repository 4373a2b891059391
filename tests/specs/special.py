"""Op-spec rows of the special-function primitives (``funcad.lax`` names) against
``scipy.special``; the order of ``polygamma``, which the derivative tests must not
differentiate, is drawn as an integer and converted inside. The shape parameters of the
incomplete gamma and beta functions are floats: their derivatives of every order are checked
(``igamma_da`` and ``betainc_dab``, the shape derivatives, have rows of their own)."""
from __future__ import annotations

import numpy as np
import scipy.special as sc

import funcad.numpy as fnp
import funcad.scipy.special as fsp
from funcad import lax
from funcad.ops import special as sp

from specs.spec import BINARY_SHAPES, F64, FLOATS, I32, UNARY_SHAPES, OpSpec, uniform_args

_SHAPES1 = (((),), ((4,),), ((2, 3),))
_SHAPES2 = (((), ()), ((4,), (4,)), ((2, 3), (2, 3)))
_SHAPES3 = (((), (), ()), ((4,), (4,), (4,)), ((2, 3), (2, 3), (2, 3)))


def _ref(name):
    fn = getattr(sc, name)
    return lambda *args: np.asarray(fn(*args), args[-1].dtype)


def _unary(name, lax_name, domain):
    return OpSpec(name, getattr(lax, lax_name), _ref(name), _SHAPES1, FLOATS, domain)


def _away_from_zero(rng, shapes, dtype):
    """|x| in [0.2, 3] with random signs (the Bessel functions have kinks at 0)."""
    (x,) = uniform_args(rng, shapes, dtype, (0.2, 3.0))
    return [np.asarray(x * np.where(rng.random(x.shape) < 0.5, -1, 1), dtype)]


def _positive_pairs(rng, shapes, dtype):
    """A shape parameter ``a`` in (0.5, 4) and ``x`` in (0.1, 6)."""
    return [uniform_args(rng, shapes[:1], dtype, (0.5, 4.0))[0],
            uniform_args(rng, shapes[1:], dtype, (0.1, 6.0))[0]]


def _near_diagonal(rng, shapes, dtype):
    """``x`` within 1% of ``a`` in (0.5, 20) (where the series and the continued fraction
    meet)."""
    a = rng.uniform(0.5, 20.0, size=shapes[0])
    x = a * (1 + rng.uniform(-0.01, 0.01, size=a.shape)) + rng.uniform(-1, 1, a.shape) * 0.5
    return [np.asarray(a, dtype), np.asarray(np.maximum(x, 0.05), dtype)]


def _betainc_args(rng, shapes, dtype):
    return [*uniform_args(rng, shapes[:2], dtype, (0.5, 4.0)),
            uniform_args(rng, shapes[2:], dtype, (0.05, 0.95))[0]]


def _positive_probabilities(rng, shapes, dtype):
    return [uniform_args(rng, shapes[:1], dtype, (0.5, 4.0))[0],
            uniform_args(rng, shapes[1:], dtype, (0.05, 0.95))[0]]


def _igamma_da_ref(order):
    """``d^order/da^order gammainc`` by central differences of SciPy's ``gammainc`` in ``a``
    (steps 1e-3 for the second derivative, 1e-5 for the first): a reference to ~1e-6."""
    def ref(a, x):
        a, x = np.asarray(a, np.float64), np.asarray(x, np.float64)
        if order == 1:
            h = 1e-5
            d = (sc.gammainc(a + h, x) - sc.gammainc(a - h, x)) / (2 * h)
        else:
            h = 1e-3
            d = (sc.gammainc(a + h, x) - 2 * sc.gammainc(a, x) + sc.gammainc(a - h, x)) / h**2
        return np.asarray(d, x.dtype)

    return ref


def _betainc_dab_ref(order):
    """The ``order`` derivative of SciPy's ``betainc`` in ``(a, b)`` by central differences
    (step 1e-3): a reference to ~1e-6."""
    h = 1e-3

    def ref(a, b, x):
        a, b, x = (np.asarray(v, np.float64) for v in (a, b, x))
        f = lambda da, db: sc.betainc(a + da, b + db, x)  # noqa: E731
        if order == (1, 1):
            d = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h * h)
        elif order == (2, 0):
            d = (f(h, 0) - 2 * f(0, 0) + f(-h, 0)) / h**2
        else:  # (0, 2)
            d = (f(0, h) - 2 * f(0, 0) + f(0, -h)) / h**2
        return np.asarray(d, x.dtype)

    return ref


def _shape_derivative_rows():
    """The higher shape derivatives themselves, so the harness differentiates them twice
    more (up to fourth derivatives of ``igamma`` and ``betainc``)."""
    rows = [OpSpec(f"igamma_da[{k}]", lambda a, x, k=k: sp.igamma_da(a, x, order=k),
                   _igamma_da_ref(k), _SHAPES2[:2], (F64,), make_args=_positive_pairs,
                   rtol=1e-5, atol=1e-6) for k in (1, 2)]
    rows += [OpSpec(f"betainc_dab[{i}{j}]",
                    lambda a, b, x, o=(i, j): sp.betainc_dab(a, b, x, order=o),
                    _betainc_dab_ref((i, j)), _SHAPES3[:2], (F64,), make_args=_betainc_args,
                    rtol=1e-5, atol=1e-6, tags=("costly_jet",))
             for i, j in ((2, 0), (1, 1), (0, 2))]
    return rows


def _scipy(name, domain, cases=UNARY_SHAPES):
    return OpSpec(f"scipy_{name}", getattr(fsp, name), _ref(name), cases, FLOATS, domain)


_SCIPY_UNARY = [
    ("gammaln", (0.2, 5.0)), ("digamma", (0.2, 5.0)), ("erf", (-2.0, 2.0)),
    ("erfc", (-2.0, 2.0)), ("erfcx", (-2.0, 3.0)), ("erfinv", (-0.9, 0.9)), ("expit", (-5.0, 5.0)),
    ("logit", (0.05, 0.95)), ("ndtr", (-5.0, 5.0)), ("ndtri", (0.05, 0.95)),
    ("log_ndtr", (-8.0, 5.0)), ("i0e", (0.2, 3.0)), ("i1e", (0.2, 3.0)), ("i0", (0.2, 3.0)),
    ("i1", (0.2, 3.0)), ("entr", (0.1, 3.0)),
]
_SCIPY_BINARY = [("xlogy", (0.1, 3.0)), ("xlog1py", (0.1, 3.0)), ("rel_entr", (0.1, 3.0)),
                 ("kl_div", (0.1, 3.0))]


def _polygamma_args(rng, shapes, dtype):
    return [uniform_args(rng, shapes[:1], I32, (0, 3))[0],
            uniform_args(rng, shapes[1:], dtype, (0.3, 4.0))[0]]


SPECS: list[OpSpec] = [
    _unary("gammaln", "lgamma", (0.2, 5.0)),
    _unary("digamma", "digamma", (0.2, 5.0)),
    _unary("erfc", "erfc", (-2.0, 2.0)),
    _unary("erfinv", "erf_inv", (-0.9, 0.9)),
    OpSpec("i0e", lax.bessel_i0e, _ref("i0e"), _SHAPES1, FLOATS, make_args=_away_from_zero),
    OpSpec("i1e", lax.bessel_i1e, _ref("i1e"), _SHAPES1, FLOATS, make_args=_away_from_zero),
    OpSpec("lax_polygamma", lambda m, x: lax.polygamma(lax.convert_element_type(m, x.dtype), x),
           lambda m, x: np.asarray(sc.polygamma(m, x), x.dtype), _SHAPES2, FLOATS,
           make_args=_polygamma_args),
    OpSpec("lax_igamma", lax.igamma, lambda a, x: np.asarray(sc.gammainc(a, x), x.dtype),
           _SHAPES2, FLOATS, make_args=_positive_pairs),
    OpSpec("lax_igammac", lax.igammac, lambda a, x: np.asarray(sc.gammaincc(a, x), x.dtype),
           _SHAPES2, FLOATS, make_args=_positive_pairs),
    OpSpec("lax_igamma_near_a_eq_x", lax.igamma,
           lambda a, x: np.asarray(sc.gammainc(a, x), x.dtype), _SHAPES2, FLOATS,
           make_args=_near_diagonal),
    OpSpec("lax_igamma_grad_a", lax.igamma_grad_a,
           # central differences of SciPy's gammainc in a (step 1e-5): a reference to ~1e-9
           lambda a, x: np.asarray((sc.gammainc(a + 1e-5, x) - sc.gammainc(a - 1e-5, x))
                                   / 2e-5, x.dtype),
           _SHAPES2, (F64,), make_args=_positive_pairs, rtol=1e-7, atol=1e-9),
    OpSpec("lax_betainc", lax.betainc,
           lambda a, b, x: np.asarray(sc.betainc(a, b, x), x.dtype), _SHAPES3, FLOATS,
           make_args=_betainc_args, tags=("costly_jet",)),
    OpSpec("betainc_grad_a", sp.betainc_grad_a,
           # central differences of SciPy's betainc in a: a reference to ~1e-9
           lambda a, b, x: np.asarray((sc.betainc(a + 1e-5, b, x)
                                       - sc.betainc(a - 1e-5, b, x)) / 2e-5, x.dtype),
           _SHAPES3, (F64,), make_args=_betainc_args, rtol=1e-7, atol=1e-9,
           tags=("costly_jet",)),
    OpSpec("betainc_grad_b", sp.betainc_grad_b,
           lambda a, b, x: np.asarray((sc.betainc(a, b + 1e-5, x)
                                       - sc.betainc(a, b - 1e-5, x)) / 2e-5, x.dtype),
           _SHAPES3, (F64,), make_args=_betainc_args, rtol=1e-7, atol=1e-9,
           tags=("costly_jet",)),
    *_shape_derivative_rows(),
    OpSpec("gammaincinv", sp.gammaincinv,
           lambda a, p: np.asarray(sc.gammaincinv(a, p), p.dtype), _SHAPES2, FLOATS,
           make_args=_positive_probabilities),
    OpSpec("betaincinv", sp.betaincinv,
           lambda a, b, p: np.asarray(sc.betaincinv(a, b, p), p.dtype), _SHAPES3,
           FLOATS, make_args=_betainc_args, tags=("costly_jet",)),
    # funcad.scipy.special, with SciPy's broadcasting
    *[_scipy(name, domain) for name, domain in _SCIPY_UNARY],
    *[_scipy(name, domain, BINARY_SHAPES) for name, domain in _SCIPY_BINARY],
    OpSpec("scipy_polygamma", lambda m, x: fsp.polygamma(m, x),
           lambda m, x: sc.polygamma(m, x), (((), (4,)), ((4,), (4,))), (F64,),
           make_args=_polygamma_args),
    OpSpec("scipy_gammainc", fsp.gammainc, sc.gammainc, BINARY_SHAPES, (F64,),
           make_args=_positive_pairs),
    OpSpec("scipy_gammaincc", fsp.gammaincc, sc.gammaincc, BINARY_SHAPES, (F64,),
           make_args=_positive_pairs),
    OpSpec("scipy_betainc", fsp.betainc, sc.betainc,
           (((), (), ()), ((4,), (4,), (4,)), ((2, 3), (3,), ())), (F64,),
           make_args=_betainc_args, tags=("costly_jet",)),
    OpSpec("scipy_betaln", fsp.betaln, sc.betaln, BINARY_SHAPES, (F64,), (0.2, 6.0),
           rtol=1e-11, atol=1e-12),
    OpSpec("scipy_softmax", lambda x: (fsp.softmax(x), fsp.softmax(x, axis=-1)),
           lambda x: (sc.softmax(x), sc.softmax(x, axis=-1)), UNARY_SHAPES[1:], FLOATS,
           (-30.0, 30.0)),
    OpSpec("scipy_logsumexp",
           lambda x, b: (fsp.logsumexp(x), fsp.logsumexp(x, axis=-1, b=b, keepdims=True)),
           lambda x, b: (sc.logsumexp(x), sc.logsumexp(x, axis=-1, b=b, keepdims=True)),
           (((4,), (4,)), ((2, 3), (2, 3)), ((2, 3), (3,))), FLOATS, (0.1, 30.0)),
    OpSpec("scipy_log_softmax", lambda x: (fsp.log_softmax(x), fsp.log_softmax(x, axis=0)),
           lambda x: (sc.log_softmax(x), sc.log_softmax(x, axis=0)), UNARY_SHAPES[1:], FLOATS,
           (-30.0, 30.0)),
    # funcad.numpy functions built on them
    OpSpec("i0", fnp.i0, np.i0, UNARY_SHAPES, FLOATS, (-3.0, 3.0)),
    OpSpec("sinc", fnp.sinc, np.sinc, UNARY_SHAPES, FLOATS, (-3.0, 3.0)),
    OpSpec("sinc_with_zeros", fnp.sinc, np.sinc, ((( 5,),),), (F64,),
           make_args=lambda rng, shapes, dtype: [np.array([0.0, -0.5, 0.0, 1.5, 2.0], dtype)]),
    OpSpec("kaiser", lambda beta: fnp.kaiser(7, beta), lambda beta: np.kaiser(7, beta),
           (((),),), (F64,), (0.5, 8.0)),
    OpSpec("windows", lambda x: (x * fnp.hanning(6), x * fnp.hamming(6), x * fnp.blackman(6),
                                 x * fnp.bartlett(6), x * fnp.kaiser(6, 2.5)),
           lambda x: (x * np.hanning(6), x * np.hamming(6), x * np.blackman(6),
                      x * np.bartlett(6), x * np.kaiser(6, 2.5)), (((6,),), ((2, 6),)), (F64,)),
]
