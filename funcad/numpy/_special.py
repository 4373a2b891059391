"""NumPy's functions built on special functions: ``i0`` (the modified Bessel function of
order 0, from ``bessel_i0e``), ``sinc`` and the window functions (``kaiser`` on ``i0``;
``bartlett``, ``blackman``, ``hamming``, ``hanning`` beside it).

Near 0 (``|pi x| < 1`` for ``sinc``, ``|x| < 1`` for ``i0`` and ``i1``) these functions are
evaluated as their Maclaurin polynomials (9 terms: truncated below 1e-16 there), so the
derivatives are exact at 0, where ``sin(pi x) / (pi x)`` is 0/0 and ``exp(|x|) i0e(x)`` has a
kink the function does not, and stay accurate next to it, where the derivatives of
``sin(y) / y`` cancel catastrophically.
"""
from __future__ import annotations

import math

import numpy as np

from funcad.core import dtypes
from funcad.errors import FuncadTypeError, with_user_line
from funcad.numpy._core import aval, operand, promote_dtypes_inexact
from funcad.numpy._creation import arange, ones
from funcad.numpy._ufuncs import absolute, cos, exp, sin, sqrt, where
from funcad.ops import special as sp


def _real_inexact(x, fname: str):
    (x,) = promote_dtypes_inexact(operand(x, f"funcad.numpy.{fname}"))
    if dtypes.is_complex(aval(x).dtype):
        raise FuncadTypeError(with_user_line(
            f"funcad.numpy.{fname}: complex input ({aval(x).dtype.name}) is not supported"))
    return x


def _series(y2, coefficients):
    """``sum_k coefficients[k] y2^k`` by Horner's rule."""
    out = coefficients[-1] * y2
    for c in reversed(coefficients[1:-1]):
        out = (out + c) * y2
    return out + coefficients[0]


# Maclaurin coefficients in powers of (x/2)^2: I0 = sum 1/(k!)^2, I1 / (x/2) = 1/(k!(k+1)!)
_I0_SERIES = [1 / math.factorial(k) ** 2 for k in range(9)]
_I1_SERIES = [1 / (math.factorial(k) * math.factorial(k + 1)) for k in range(9)]


def _near_zero(x):
    """``(near, inner, outer)``: where ``|x| < 1``, and ``x`` made safe for each branch."""
    near = absolute(x) < 1
    return near, where(near, x, 0.0), where(near, 2.0, x)


def i0(x):
    """The modified Bessel function of the first kind of order 0, ``exp(|x|) i0e(x)``."""
    x = _real_inexact(x, "i0")
    near, inner, outer = _near_zero(x)
    return where(near, _series(inner * inner / 4, _I0_SERIES),
                 exp(absolute(outer)) * sp.bessel_i0e(outer))


def i1(x):
    """The modified Bessel function of the first kind of order 1 (``scipy.special.i1``;
    NumPy has none)."""
    x = _real_inexact(x, "i1")
    near, inner, outer = _near_zero(x)
    return where(near, inner / 2 * _series(inner * inner / 4, _I1_SERIES),
                 exp(absolute(outer)) * sp.bessel_i1e(outer))


# Maclaurin coefficients of sin(y) / y in powers of y^2: (-1)^k / (2k + 1)!
_SINC_SERIES = [(-1) ** k / math.factorial(2 * k + 1) for k in range(9)]


def sinc(x):
    """The normalized sinc function ``sin(pi x) / (pi x)``, 1 at 0."""
    x = _real_inexact(x, "sinc")
    near, inner, outer = _near_zero(x * math.pi)
    return where(near, _series(inner * inner, _SINC_SERIES), sin(outer) / outer)


def _window_points(M, fname: str):
    """``(n, M)``: the sample positions ``0 .. M-1`` as float64, or None for ``M < 2``
    (NumPy returns ``[]`` and ``[1.]`` there)."""
    if isinstance(M, bool) or not isinstance(M, (int, np.integer)):
        raise FuncadTypeError(with_user_line(
            f"funcad.numpy.{fname}: M must be an integer, got {type(M).__name__} {M!r}"))
    M = int(M)
    if M < 2:
        return None, M
    return arange(M, dtype=np.float64), M


def _trivial_window(M):
    return ones(max(M, 0), dtype=np.float64)


def kaiser(M, beta):
    """The Kaiser window ``i0(beta sqrt(1 - (2n/(M-1) - 1)^2)) / i0(beta)``;
    differentiable in ``beta``."""
    n, M = _window_points(M, "kaiser")
    beta = _real_inexact(beta, "kaiser")
    if n is None:
        return _trivial_window(M) + 0 * beta
    alpha = (M - 1) / 2.0
    r = (n - alpha) / alpha
    return i0(beta * sqrt(1 - r * r)) / i0(beta)


def _cosine_window(M, fname: str, coefficients):
    n, M = _window_points(M, fname)
    if n is None:
        return _trivial_window(M)
    phase = 2 * math.pi * n / (M - 1)
    out = coefficients[0] + 0 * n
    for k, c in enumerate(coefficients[1:], start=1):
        out = out + c * cos(k * phase)
    return out


def hanning(M):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / (M - 1))``."""
    return _cosine_window(M, "hanning", (0.5, -0.5))


def hamming(M):
    """The Hamming window ``0.54 - 0.46 cos(2 pi n / (M - 1))``."""
    return _cosine_window(M, "hamming", (0.54, -0.46))


def blackman(M):
    """The Blackman window ``0.42 - 0.5 cos(2 pi n/(M-1)) + 0.08 cos(4 pi n/(M-1))``."""
    return _cosine_window(M, "blackman", (0.42, -0.5, 0.08))


def bartlett(M):
    """The Bartlett (triangular) window ``1 - |2n/(M-1) - 1|``."""
    n, M = _window_points(M, "bartlett")
    if n is None:
        return _trivial_window(M)
    return 1 - absolute(2 * n / (M - 1) - 1)


__all__ = ["bartlett", "blackman", "hamming", "hanning", "i0", "kaiser", "sinc"]
