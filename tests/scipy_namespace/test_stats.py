"""funcad.scipy.stats, distribution by distribution and method by method: values equal
scipy.stats (with SciPy's loc/scale, broadcasting included); derivatives in every parameter
agree with central differences (second order, forward and reverse mode) and with
jax.scipy.stats in float64 where JAX has the method; jit (NumPy and XLA) equals eager and
vmap equals a loop."""
from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest
import scipy.stats as ss

import funcad
import funcad.scipy.stats as fst
from funcad.testing import check_grads

HAVE_JAX = importlib.util.find_spec("jax") is not None
LOC, SCALE = 0.1, 1.7

# name -> (shape parameters, standardized points inside the support)
CONTINUOUS = {
    "norm": ((), [-2.5, -0.7, 0.3, 1.9]),
    "t": ((3.5,), [-2.5, -0.7, 0.3, 1.9]),
    "gamma": ((2.5,), [0.3, 1.1, 2.4, 5.0]),
    "chi2": ((3.0,), [0.3, 1.1, 2.4, 5.0]),
    "beta": ((2.5, 1.7), [0.1, 0.35, 0.6, 0.9]),
    "expon": ((), [0.2, 0.9, 1.8, 4.0]),
    "laplace": ((), [-2.5, -0.7, 0.3, 1.9]),
    "logistic": ((), [-2.5, -0.7, 0.3, 1.9]),
    "uniform": ((), [0.1, 0.35, 0.6, 0.9]),
    "cauchy": ((), [-2.5, -0.7, 0.3, 1.9]),
}
PROBS = [0.02, 0.3, 0.55, 0.97]
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")


def _rows():
    for name in CONTINUOUS:
        mod = getattr(fst, name)
        for method in METHODS:
            if hasattr(mod, method):
                yield pytest.param(name, method, id=f"{name}.{method}")


def _point(name, method):
    shapes, z = CONTINUOUS[name]
    x = np.array(PROBS) if method in ("ppf", "isf") else LOC + SCALE * np.array(z)
    return x, shapes


def _call(lib, name, method, x, shapes, loc=LOC, scale=SCALE):
    return getattr(getattr(lib, name), method)(x, *shapes, loc, scale)


def test_every_distribution_and_method_is_there():
    for name in ("norm", "t", "gamma", "beta", "poisson", "bernoulli", "expon", "laplace",
                 "logistic", "uniform", "cauchy", "chi2", "multivariate_normal", "dirichlet"):
        mod, ref = getattr(fst, name), getattr(ss, name)
        methods = ("logpdf", "pdf") if name in ("multivariate_normal", "dirichlet") else (
            ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf")
            if name in ("poisson", "bernoulli") else METHODS[:7])
        for method in methods:
            assert hasattr(ref, method) and callable(getattr(mod, method)), (name, method)


@pytest.mark.parametrize("name,method", list(_rows()))
def test_values_match_scipy(name, method):
    x, shapes = _point(name, method)
    np.testing.assert_allclose(_call(fst, name, method, x, shapes),
                               _call(ss, name, method, x, shapes), rtol=1e-11, atol=1e-300)
    # broadcasting of x against loc and scale, and float32 in, float32 out
    xb, locs = x[:, None], np.array([LOC, LOC - 0.05, LOC + 0.02])
    np.testing.assert_allclose(_call(fst, name, method, xb, shapes, locs),
                               _call(ss, name, method, xb, shapes, locs), rtol=1e-11)
    out32 = _call(fst, name, method, x.astype(np.float32), tuple(np.float32(s) for s in shapes),
                  np.float32(LOC), np.float32(SCALE))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, _call(ss, name, method, x, shapes), rtol=2e-4)


def test_out_of_domain_is_nan_or_the_limit_as_scipy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, (shapes, _) in CONTINUOUS.items():
            for method in METHODS:
                if not hasattr(getattr(fst, name), method):
                    continue
                if method in ("ppf", "isf"):
                    x = np.array([-0.5, 0.0, 1.0, 1.5])
                else:
                    x = np.array([-50.0, -1.0, 0.0, 1e-300, 1.0, 1.8, 50.0])
                for scale in (SCALE, -1.0):
                    np.testing.assert_allclose(
                        _call(fst, name, method, x, shapes, LOC, scale),
                        _call(ss, name, method, x, shapes, LOC, scale), rtol=1e-10,
                        err_msg=f"{name}.{method} scale={scale}")


def _check_center_derivatives(name, shapes):
    mod = getattr(fst, name)
    pdf = getattr(ss, name).pdf(LOC, *shapes, LOC, SCALE)
    for method, expected in (("cdf", pdf), ("sf", -pdf), ("logcdf", 2 * pdf)):
        fn = getattr(mod, method)
        g = funcad.grad(lambda x: fn(x, *shapes, LOC, SCALE))(LOC)  # noqa: B023 - used at once
        np.testing.assert_allclose(g, expected, rtol=1e-13, err_msg=f"{name}.{method}")
    g = funcad.grad(lambda q: mod.ppf(q, *shapes, LOC, SCALE))(0.5)
    np.testing.assert_allclose(g, 1 / pdf, rtol=1e-13, err_msg=f"{name}.ppf")


def test_derivatives_where_the_formula_switches_branches():
    """At the center of a symmetric distribution (where cdf/ppf switch between two forms)
    the derivative is the density (or its reciprocal), not a 0 * inf or a tie split in
    half; at the edge of a one-sided support it is the one-sided one from inside."""
    for name, shapes in (("norm", ()), ("t", (3.5,)), ("laplace", ()), ("logistic", ()),
                         ("cauchy", ())):
        _check_center_derivatives(name, shapes)
    # at the edges of a support: from inside
    assert funcad.grad(lambda x: fst.expon.cdf(x, LOC, SCALE))(LOC) == 1 / SCALE
    assert funcad.grad(lambda x: fst.expon.sf(x, LOC, SCALE))(LOC) == -1 / SCALE
    for edge in (LOC, LOC + SCALE):
        assert funcad.grad(lambda x: fst.uniform.cdf(x, LOC, SCALE))(edge) == 1 / SCALE
        np.testing.assert_allclose(funcad.grad(lambda x: fst.beta.cdf(x, 1.0, 1.0, LOC, SCALE))(edge),
                                   1 / SCALE, rtol=1e-14)
    assert funcad.grad(lambda x: fst.gamma.cdf(x, 1.0, LOC, SCALE))(LOC) == 1 / SCALE


_CDF_LIKE = ("cdf", "logcdf", "sf", "logsf", "ppf", "isf")


@pytest.mark.parametrize("name,method", list(_rows()))
def test_derivatives_in_every_parameter(name, method):
    """Second order, forward and reverse, in x, loc, scale and every shape parameter (the
    incomplete gamma and beta functions' shape derivatives included)."""
    x, shapes = _point(name, method)

    def in_all(x, loc, scale, *sh):
        return _call(fst, name, method, x, sh, loc, scale)

    all_args = (x, np.float64(LOC), np.float64(SCALE), *(np.float64(s) for s in shapes))
    check_grads(in_all, all_args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


@pytest.mark.skipif(not HAVE_JAX, reason="jax is not installed")
@pytest.mark.parametrize("name,method", list(_rows()))
def test_matches_jax_values_and_gradients(name, method):
    import jax.scipy.stats as jst
    from jax_reference import jax  # x64 enabled there

    jmod = getattr(jst, name)
    if not hasattr(jmod, method):
        pytest.skip(f"jax.scipy.stats.{name} has no {method}")
    x, shapes = _point(name, method)
    # JAX has no derivative of the incomplete beta function in its shape parameters
    jax_has_shapes = not (method in _CDF_LIKE and name in ("beta", "t"))
    nparams = 3 + (len(shapes) if jax_has_shapes else 0)
    args = (x, np.float64(LOC), np.float64(SCALE), *(np.float64(s) for s in shapes))

    def ours(*a):
        return _call(fst, name, method, a[0], a[3:], a[1], a[2]).sum()

    def theirs(*a):
        return _call(jst, name, method, a[0], a[3:], a[1], a[2]).sum()

    argnums = tuple(range(nparams))
    np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-12)
    g_ours = funcad.grad(ours, argnums=argnums)(*args)
    g_jax = jax.grad(theirs, argnums=argnums)(*args)
    for i, (a, b) in enumerate(zip(g_ours, g_jax)):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-9, atol=1e-12, err_msg=f"arg {i}")


@pytest.mark.parametrize("name,method", list(_rows()))
def test_jit_and_vmap(name, method):
    x, shapes = _point(name, method)

    def fn(x, loc):
        return _call(fst, name, method, x, shapes, loc)

    locs = np.array([LOC, LOC + 0.01, LOC - 0.02])
    eager = np.stack([fn(x, loc) for loc in locs])
    batched = funcad.vmap(fn, in_axes=(None, 0))(x, locs)
    np.testing.assert_allclose(batched, eager, rtol=1e-13)
    np.testing.assert_allclose(funcad.jit(fn, backend="numpy")(x, locs[0]), eager[0], rtol=1e-13)
    if HAVE_JAX:
        np.testing.assert_allclose(funcad.jit(fn, backend="xla")(x, locs[0]), eager[0],
                                   rtol=1e-12, atol=1e-300)
