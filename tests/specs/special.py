"""Op-spec rows of the special-function primitives (``funcad.lax`` names) against
``scipy.special``; shape parameters the derivative tests must not differentiate (``a``, ``b``
of ``betainc``, the order of ``polygamma``) are drawn as integers and converted inside."""
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
    """``a`` as twice an integer code (shape parameters 0.5 .. 4) and ``x`` in (0.1, 6)."""
    return [uniform_args(rng, shapes[:1], I32, (1, 8))[0],
            uniform_args(rng, shapes[1:], dtype, (0.1, 6.0))[0]]


def _near_diagonal(rng, shapes, dtype):
    """``x`` within 1% of ``a`` (where the series and the continued fraction meet)."""
    code = uniform_args(rng, shapes[:1], I32, (1, 40))[0]
    a = code.astype(np.float64) / 2
    x = a * (1 + rng.uniform(-0.01, 0.01, size=a.shape)) + rng.uniform(-1, 1, a.shape) * 0.5
    return [code, np.asarray(np.maximum(x, 0.05), dtype)]


def _half(code, x):
    return lax.convert_element_type(code, x.dtype) * 0.5


def _betainc_args(rng, shapes, dtype):
    return [*uniform_args(rng, shapes[:2], I32, (1, 8)),
            uniform_args(rng, shapes[2:], dtype, (0.05, 0.95))[0]]


def _positive_probabilities(rng, shapes, dtype):
    return [uniform_args(rng, shapes[:1], I32, (1, 8))[0],
            uniform_args(rng, shapes[1:], dtype, (0.05, 0.95))[0]]


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
    OpSpec("lax_igamma", lambda a, x: lax.igamma(_half(a, x), x),
           lambda a, x: np.asarray(sc.gammainc(a / 2, x), x.dtype), _SHAPES2, FLOATS,
           make_args=_positive_pairs),
    OpSpec("lax_igammac", lambda a, x: lax.igammac(_half(a, x), x),
           lambda a, x: np.asarray(sc.gammaincc(a / 2, x), x.dtype), _SHAPES2, FLOATS,
           make_args=_positive_pairs),
    OpSpec("lax_igamma_near_a_eq_x", lambda a, x: lax.igamma(_half(a, x), x),
           lambda a, x: np.asarray(sc.gammainc(a / 2, x), x.dtype), _SHAPES2, FLOATS,
           make_args=_near_diagonal),
    OpSpec("lax_igamma_grad_a", lambda a, x: lax.igamma_grad_a(_half(a, x), x),
           # central differences of SciPy's gammainc in a (step 1e-5): a reference to ~1e-9
           lambda a, x: np.asarray((sc.gammainc(a / 2 + 1e-5, x) - sc.gammainc(a / 2 - 1e-5, x))
                                   / 2e-5, x.dtype),
           _SHAPES2, (F64,), make_args=_positive_pairs, rtol=1e-7, atol=1e-9),
    OpSpec("lax_betainc", lambda a, b, x: lax.betainc(_half(a, x), _half(b, x), x),
           lambda a, b, x: np.asarray(sc.betainc(a / 2, b / 2, x), x.dtype), _SHAPES3, FLOATS,
           make_args=_betainc_args),
    OpSpec("betainc_grad_a", lambda a, b, x: sp.betainc_grad_a(_half(a, x), _half(b, x), x),
           # central differences of SciPy's betainc in a: a reference to ~1e-9
           lambda a, b, x: np.asarray((sc.betainc(a / 2 + 1e-5, b / 2, x)
                                       - sc.betainc(a / 2 - 1e-5, b / 2, x)) / 2e-5, x.dtype),
           _SHAPES3, (F64,), make_args=_betainc_args, rtol=1e-7, atol=1e-9),
    OpSpec("betainc_grad_b", lambda a, b, x: sp.betainc_grad_b(_half(a, x), _half(b, x), x),
           lambda a, b, x: np.asarray((sc.betainc(a / 2, b / 2 + 1e-5, x)
                                       - sc.betainc(a / 2, b / 2 - 1e-5, x)) / 2e-5, x.dtype),
           _SHAPES3, (F64,), make_args=_betainc_args, rtol=1e-7, atol=1e-9),
    OpSpec("gammaincinv", lambda a, p: sp.gammaincinv(_half(a, p), p),
           lambda a, p: np.asarray(sc.gammaincinv(a / 2, p), p.dtype), _SHAPES2, FLOATS,
           make_args=_positive_probabilities),
    OpSpec("betaincinv", lambda a, b, p: sp.betaincinv(_half(a, p), _half(b, p), p),
           lambda a, b, p: np.asarray(sc.betaincinv(a / 2, b / 2, p), p.dtype), _SHAPES3,
           FLOATS, make_args=_betainc_args),
    # funcad.scipy.special, with SciPy's broadcasting
    *[_scipy(name, domain) for name, domain in _SCIPY_UNARY],
    *[_scipy(name, domain, BINARY_SHAPES) for name, domain in _SCIPY_BINARY],
    OpSpec("scipy_polygamma", lambda m, x: fsp.polygamma(m, x),
           lambda m, x: sc.polygamma(m, x), (((), (4,)), ((4,), (4,))), (F64,),
           make_args=_polygamma_args),
    # (a as integer codes: the a-derivative has first order only, tested in test_special)
    OpSpec("scipy_gammainc", lambda a, x: fsp.gammainc(a / 2, x),
           lambda a, x: sc.gammainc(a / 2, x), BINARY_SHAPES, (F64,), make_args=_positive_pairs),
    OpSpec("scipy_gammaincc", lambda a, x: fsp.gammaincc(a / 2, x),
           lambda a, x: sc.gammaincc(a / 2, x), BINARY_SHAPES, (F64,),
           make_args=_positive_pairs),
    OpSpec("scipy_betainc", lambda a, b, x: fsp.betainc(a / 2, b / 2, x),
           lambda a, b, x: sc.betainc(a / 2, b / 2, x),
           (((), (), ()), ((4,), (4,), (4,)), ((2, 3), (3,), ())), (F64,),
           make_args=_betainc_args),
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
