"""Op-spec rows of the special-function primitives (``funcad.lax`` names) against
``scipy.special``; shape parameters the derivative tests must not differentiate (``a``, ``b``
of ``betainc``, the order of ``polygamma``) are drawn as integers and converted inside."""
from __future__ import annotations

import numpy as np
import scipy.special as sc

from funcad import lax

from specs.spec import F64, FLOATS, I32, OpSpec, uniform_args

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
]
