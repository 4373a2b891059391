"""funcad.numpy's functions built on special functions (i0, sinc, the windows): plain NumPy
calls on traced values reach them, and the derivatives are exact at 0, where the formulas
are 0/0 or have a kink the function does not (checked against the functions' Maclaurin
series and central differences)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
import funcad.scipy.special as fsp
from funcad.errors import FuncadTypeError


def _nth(fn, n):
    for _ in range(n):
        fn = funcad.grad(fn)
    return fn


def test_plain_numpy_calls_on_traced_values():
    x = np.array([-1.5, 0.3, 2.0])
    g = funcad.vmap(funcad.grad(lambda v: np.i0(v) + np.sinc(v)))(x)  # numpy's own names
    h = 1e-6
    fd = (np.i0(x + h) + np.sinc(x + h) - np.i0(x - h) - np.sinc(x - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-7)
    # (numpy.kaiser offers no dispatch hook for its beta: funcad.numpy.kaiser it is)
    np.testing.assert_allclose(funcad.grad(lambda b: fnp.kaiser(5, b).sum())(3.0),
                               (np.kaiser(5, 3.0 + h).sum() - np.kaiser(5, 3.0 - h).sum()) / (2 * h),
                               rtol=1e-7)


def _sinc_derivative_at_zero(n):
    # sinc(x) = sum_k (-1)^k (pi x)^(2k) / (2k+1)!: the 2k-th derivative at 0 is
    # (-1)^k pi^(2k) (2k)! / (2k+1)! = (-1)^k pi^(2k) / (2k + 1); odd ones vanish
    return 0.0 if n % 2 else (-1) ** (n // 2) * math.pi**n / (n + 1)


def test_sinc_derivatives_at_zero():
    for n in range(7):
        np.testing.assert_allclose(_nth(fnp.sinc, n)(0.0), _sinc_derivative_at_zero(n),
                                   rtol=1e-13, atol=1e-300)
    # next to 0 and across the switch between the two forms (|pi x| = 1), the derivatives
    # are continuous and accurate (those of sin(y)/y would cancel catastrophically near 0)
    for n in range(1, 4):
        x = 1e-5  # fourth-order Taylor expansion of the n-th derivative around 0
        taylor = sum(_sinc_derivative_at_zero(n + j) * x**j / math.factorial(j) for j in range(5))
        np.testing.assert_allclose(_nth(fnp.sinc, n)(x), taylor, rtol=1e-12, atol=1e-14)
        below, above = (_nth(fnp.sinc, n)(v / math.pi) for v in (1 - 1e-12, 1 + 1e-12))
        np.testing.assert_allclose(below, above, rtol=1e-9)


def test_bessel_derivatives_at_zero():
    # I0 = sum (x/2)^(2k) / (k!)^2 and I1 = sum (x/2)^(2k+1) / (k! (k+1)!)
    i0_derivs = [1.0, 0.0, 0.5, 0.0, 0.375]
    i1_derivs = [0.0, 0.5, 0.0, 0.375, 0.0]
    for n in range(5):
        np.testing.assert_allclose(_nth(fnp.i0, n)(0.0), i0_derivs[n], atol=1e-15)
        np.testing.assert_allclose(_nth(fsp.i0, n)(0.0), i0_derivs[n], atol=1e-15)
        np.testing.assert_allclose(_nth(fsp.i1, n)(0.0), i1_derivs[n], atol=1e-15)
    # I0' = I1 and I1' = I0 - I1 / x away from 0
    x = np.array([-2.0, 0.7, 3.0])
    np.testing.assert_allclose(funcad.vmap(funcad.grad(fnp.i0))(x), fsp.i1(x), rtol=1e-13)
    np.testing.assert_allclose(funcad.vmap(funcad.grad(fsp.i1))(x), fsp.i0(x) - fsp.i1(x) / x,
                               rtol=1e-13)
    for v in (1 - 1e-12, 1 + 1e-12):  # the two forms meet at |x| = 1
        np.testing.assert_allclose(fnp.i0(v), np.i0(v), rtol=1e-15)
        np.testing.assert_allclose(funcad.grad(fnp.i0)(v), fsp.i1(v), rtol=1e-14)


@pytest.mark.parametrize("M", [-2, 0, 1, 2, 3, 8])
def test_windows_match_numpy(M):
    for name in ("hanning", "hamming", "blackman", "bartlett"):
        out = getattr(fnp, name)(M)
        np.testing.assert_allclose(out, getattr(np, name)(M), rtol=1e-14, atol=1e-15)
        assert out.shape == getattr(np, name)(M).shape and out.dtype == np.float64
    np.testing.assert_allclose(fnp.kaiser(M, 4.0), np.kaiser(M, 4.0), rtol=1e-14)


def test_dtypes_and_refusals():
    assert fnp.i0(np.float32(1.0)).dtype == np.i0(np.float32(1.0)).dtype
    assert fnp.sinc(np.array([1, 2])).dtype == np.float64
    with pytest.raises(FuncadTypeError, match="complex"):
        fnp.sinc(np.array([1j]))
    with pytest.raises(FuncadTypeError, match="M must be an integer"):
        fnp.hanning(2.5)
