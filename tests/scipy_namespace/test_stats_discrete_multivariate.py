"""funcad.scipy.stats for the discrete distributions (poisson, bernoulli) and the
multivariate ones (multivariate_normal, dirichlet): values equal scipy.stats, derivatives in
the continuous parameters agree with central differences and with jax.scipy.stats (float64),
and jit/vmap agree with eager evaluation."""
from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest
import scipy.stats as ss

import funcad
import funcad.scipy.stats as fst
from funcad.errors import FuncadNotImplementedError
from funcad.testing import check_grads

HAVE_JAX = importlib.util.find_spec("jax") is not None
K = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 7.0])
Q = np.array([0.0, 0.02, 0.3, 0.55, 0.97, 1.0, 1.3])
DISCRETE = {"poisson": (2.5,), "bernoulli": (0.3,)}
DISCRETE_METHODS = ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf")


def _discrete_rows():
    for name in DISCRETE:
        for method in DISCRETE_METHODS:
            yield pytest.param(name, method, id=f"{name}.{method}")


@pytest.mark.parametrize("name,method", list(_discrete_rows()))
def test_discrete_values_match_scipy(name, method):
    params = DISCRETE[name]
    x = Q if method == "ppf" else K
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for loc in (0, 1):
            ours = getattr(getattr(fst, name), method)(x, *params, loc)
            theirs = getattr(getattr(ss, name), method)(x, *params, loc)
            np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-300)
        edge = (0.0,) if name == "poisson" else (0.0, 1.0)
        for p in edge:  # a degenerate distribution
            np.testing.assert_allclose(getattr(getattr(fst, name), method)(x, p),
                                       getattr(getattr(ss, name), method)(x, p), rtol=1e-11)


@pytest.mark.parametrize("name,method", list(_discrete_rows()))
def test_discrete_derivatives(name, method):
    (param,) = DISCRETE[name]
    # points where the method is finite (finite differences of -inf are NaN)
    if method == "ppf":
        x = np.array([0.02, 0.3, 0.55, 0.9])
    elif name == "poisson":
        x = np.array([0.0, 1.0, 2.0, 3.0])
    else:
        x = np.array([0.0, 1.0, 1.0, 0.0]) if "pmf" in method else np.array([0.0, 0.5, 0.7, 0.2])

    def fn(p):
        return getattr(getattr(fst, name), method)(x, p)

    check_grads(fn, (np.float64(param),), order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)
    if method == "ppf":  # piecewise constant: the derivative is zero
        assert funcad.grad(lambda p: fn(p).sum())(np.float64(param)) == 0.0
    if HAVE_JAX:
        import jax.scipy.stats as jst
        from jax_reference import jax

        jfn = getattr(getattr(jst, name), method, None)
        if jfn is not None:
            g = funcad.grad(lambda p: fn(p).sum())(np.float64(param))
            gj = jax.grad(lambda p: jfn(x, p).sum())(np.float64(param))
            np.testing.assert_allclose(g, np.asarray(gj), rtol=1e-9, atol=1e-12)


def test_discrete_logcdf_keeps_the_digits_next_to_one():
    # log P(K <= 30) for mu = 2.5 is -2.9e-22; log(cdf) would round it to 0
    expected = np.log1p(-ss.poisson.sf(30.0, 2.5))
    np.testing.assert_allclose(fst.poisson.logcdf(30.0, 2.5), expected, rtol=1e-10)
    assert fst.poisson.logcdf(30.0, 2.5) < 0


def _spd(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T + d * np.eye(d)


COVS = {"matrix": lambda rng: _spd(rng, 3), "diagonal": lambda rng: np.array([1.2, 1.5, 2.0]),
        "scalar": lambda rng: np.float64(1.7)}


@pytest.mark.parametrize("kind", list(COVS))
def test_multivariate_normal(kind):
    rng = np.random.default_rng(0)
    x, mean, cov = rng.standard_normal((5, 3)), rng.standard_normal(3), COVS[kind](rng)
    mvn = fst.multivariate_normal
    np.testing.assert_allclose(mvn.logpdf(x, mean, cov), ss.multivariate_normal.logpdf(x, mean, cov),
                               rtol=1e-12)
    np.testing.assert_allclose(mvn.pdf(x[0], mean, cov), ss.multivariate_normal.pdf(x[0], mean, cov),
                               rtol=1e-12)
    assert mvn.logpdf(x[:2, None], mean, cov).shape == (2, 1)
    if kind == "matrix":  # (SciPy takes a vector cov with mean=None for a 1-d one)
        np.testing.assert_allclose(mvn.logpdf(x, None, cov),
                                   ss.multivariate_normal.logpdf(x, None, cov), rtol=1e-12)
    check_grads(lambda x, m, c: mvn.logpdf(x, m, c), (x, mean, cov), order=2,
                modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)
    batched = funcad.vmap(lambda xi: mvn.logpdf(xi, mean, cov))(x)
    np.testing.assert_allclose(batched, mvn.logpdf(x, mean, cov), rtol=1e-13)
    np.testing.assert_allclose(funcad.jit(mvn.logpdf, backend="numpy")(x, mean, cov),
                               mvn.logpdf(x, mean, cov), rtol=1e-13)
    if HAVE_JAX:
        import jax.scipy.stats as jst
        from jax_reference import jax

        np.testing.assert_allclose(funcad.jit(mvn.logpdf, backend="xla")(x, mean, cov),
                                   mvn.logpdf(x, mean, cov), rtol=1e-12)
        # (JAX takes a matrix: a vector of variances is its diagonal, and the gradient in
        # the variances is the diagonal of JAX's)
        cov_j = np.diag(cov) if kind == "diagonal" else cov
        g = funcad.grad(lambda *a: mvn.logpdf(*a).sum(), argnums=(0, 1, 2))(x, mean, cov)
        gj = list(jax.grad(lambda *a: jst.multivariate_normal.logpdf(*a).sum(),
                           argnums=(0, 1, 2))(x, mean, cov_j))
        if kind == "diagonal":
            gj[2] = np.diag(np.asarray(gj[2]))
        for a, b in zip(g, gj):
            np.testing.assert_allclose(a, np.asarray(b), rtol=1e-10, atol=1e-12)


def test_multivariate_normal_one_dimensional_and_refusals():
    mvn = fst.multivariate_normal
    for x in (0.5, np.array([0.5, 1.0, -2.0])):
        np.testing.assert_allclose(mvn.logpdf(x, 1.0, 2.0),
                                   ss.multivariate_normal.logpdf(x, 1.0, 2.0), rtol=1e-13)
    with pytest.raises(FuncadNotImplementedError, match="allow_singular"):
        mvn.logpdf(np.zeros(2), np.zeros(2), np.eye(2), allow_singular=True)


DIRICHLET_INVALID = [  # (x, alpha): where scipy.stats raises ValueError
    ([0.5, 0.6, 0.1, 0.1], [1.5, 2.0, 0.7, 3.0]),  # components sum to 1.3
    ([-0.1, 0.5, 0.2, 0.4], [1.5, 2.0, 0.7, 3.0]),  # an entry below 0
    ([1.2, -0.2, 0.0, 0.0], [1.5, 2.0, 1.0, 3.0]),  # an entry above 1
    ([0.3, 0.3, 0.0, 0.4], [1.5, 2.0, 0.7, 3.0]),  # 0 where alpha < 1
    ([0.3, 0.3, 0.1, 0.3], [1.5, 0.0, 0.7, 3.0]),  # alpha <= 0
]


@pytest.mark.parametrize("x,alpha", DIRICHLET_INVALID)
def test_dirichlet_raises_where_scipy_raises_and_is_inf_or_nan_traced(x, alpha):
    from funcad.errors import FuncadValueError

    x, alpha = np.array(x), np.array(alpha)
    with pytest.raises(ValueError):
        ss.dirichlet.logpdf(x, alpha)
    with pytest.raises(FuncadValueError, match="dirichlet.logpdf"):
        fst.dirichlet.logpdf(x, alpha)
    with pytest.raises(FuncadValueError, match="dirichlet.logpdf"):
        fst.dirichlet.logpdf(x[:-1], alpha)  # K - 1 components: the implied one is checked
    # traced, values cannot be checked: -inf off the simplex, +inf on a face where the
    # density is infinite, NaN for an invalid alpha
    expected = (np.nan if alpha.min() <= 0 else np.inf if (x == 0).any() and x.min() >= 0
                and abs(x.sum() - 1) < 1e-6 else -np.inf)
    for backend in ("numpy", "xla") if HAVE_JAX else ("numpy",):
        out = funcad.jit(fst.dirichlet.logpdf, backend=backend)(x, alpha)
        np.testing.assert_equal(np.asarray(out), expected)


def test_dirichlet():
    alpha = np.array([1.5, 2.0, 0.7, 3.0])
    # components along the first axis, as SciPy; away from the simplex's faces
    x = np.array([[0.2, 0.3, 0.1, 0.4], [0.25, 0.25, 0.25, 0.25], [0.4, 0.1, 0.2, 0.3]]).T
    d = fst.dirichlet
    np.testing.assert_allclose(d.logpdf(x, alpha), ss.dirichlet.logpdf(x, alpha), rtol=1e-12)
    np.testing.assert_allclose(d.pdf(x[:, 0], alpha), ss.dirichlet.pdf(x[:, 0], alpha), rtol=1e-12)
    # K - 1 components: the last one is implied
    np.testing.assert_allclose(d.logpdf(x[:-1], alpha), ss.dirichlet.logpdf(x, alpha), rtol=1e-10)
    # on the faces (entries 0 where alpha >= 1) the values are SciPy's density limits
    face = np.array([[0.0, 0.3, 0.1, 0.6], [0.3, 0.0, 0.1, 0.6]]).T
    alpha_face = np.array([1.0, 2.0, 0.7, 3.0])
    np.testing.assert_allclose(d.logpdf(face, alpha_face), ss.dirichlet.logpdf(face, alpha_face),
                               rtol=1e-12)
    check_grads(lambda x, a: d.logpdf(x, a), (x[:-1], alpha), order=2, modes=("fwd", "rev"),
                atol=1e-5, rtol=1e-5)
    if HAVE_JAX:
        import jax.scipy.stats as jst
        from jax_reference import jax

        g = funcad.grad(lambda *a: d.logpdf(*a).sum(), argnums=(0, 1))(x, alpha)
        gj = jax.grad(lambda *a: jst.dirichlet.logpdf(*a).sum(), argnums=(0, 1))(x, alpha)
        for a, b in zip(g, gj):
            np.testing.assert_allclose(a, np.asarray(b), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(funcad.jit(d.logpdf, backend="xla")(x, alpha),
                                   d.logpdf(x, alpha), rtol=1e-12)
