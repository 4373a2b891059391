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


def test_multivariate_normal_one_dimensional():
    mvn = fst.multivariate_normal
    for x in (0.5, np.array([0.5, 1.0, -2.0])):
        np.testing.assert_allclose(mvn.logpdf(x, 1.0, 2.0),
                                   ss.multivariate_normal.logpdf(x, 1.0, 2.0), rtol=1e-13)


def _singular_case(rank, d=3, seed=1):
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal((d, rank))
    mean = rng.standard_normal(d)
    inside = mean + (factor @ rng.standard_normal((rank, 4))).T
    return factor, mean, inside


def _mvn_singular(*args):
    return fst.multivariate_normal.logpdf(*args, allow_singular=True)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_multivariate_normal_allow_singular_values(rank):
    """SciPy's values: the degenerate density on the range of cov, -inf off it; rank 1
    has a doubly zero eigenvalue; rank 3 is regular."""
    factor, mean, inside = _singular_case(rank)
    cov = factor @ factor.T
    off = inside + np.array([0.3, -0.2, 0.1])
    for x in (inside, off, inside[0]):
        ref = ss.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)
        np.testing.assert_allclose(_mvn_singular(x, mean, cov), ref, rtol=1e-10)
        np.testing.assert_allclose(fst.multivariate_normal.pdf(x, mean, cov, allow_singular=True),
                                   np.exp(ref), rtol=1e-10)
        np.testing.assert_allclose(funcad.jit(_mvn_singular)(x, mean, cov), ref, rtol=1e-10)
    assert np.all(_mvn_singular(off, mean, cov) == -np.inf) == (rank < 3)
    np.testing.assert_allclose(funcad.vmap(_mvn_singular, in_axes=(0, None, None))(
        inside, mean, cov), _mvn_singular(inside, mean, cov), rtol=1e-13)
    if HAVE_JAX:
        np.testing.assert_allclose(funcad.jit(_mvn_singular, backend="xla")(inside, mean, cov),
                                   _mvn_singular(inside, mean, cov), rtol=1e-10)
    # variances with a zero, and a scalar
    variances = np.array([1.5, 0.0, 2.0])
    for x in (np.array([[0.3, 0.0, -1.0], [0.3, 0.1, -1.0]]),):
        np.testing.assert_allclose(
            _mvn_singular(x, None, variances),
            ss.multivariate_normal.logpdf(x, None, np.diag(variances), allow_singular=True),
            rtol=1e-12)
    np.testing.assert_allclose(_mvn_singular(inside, mean, 1.7),
                               ss.multivariate_normal.logpdf(inside, mean, 1.7), rtol=1e-12)


@pytest.mark.parametrize("rank", [1, 2])
def test_multivariate_normal_allow_singular_derivatives(rank):
    """Derivatives to second order along the support (x and mean moving in the range of
    cov, cov changing with its rank kept: cov = (F + e H)(F + e H)^T) against central
    differences, and the first ones against central differences of SciPy's values."""
    factor, mean, inside = _singular_case(rank)
    direction = np.random.default_rng(7).standard_normal(factor.shape)
    coords = np.linalg.lstsq(factor, (inside - mean).T, rcond=None)[0].T

    def on_support(t, s, e):
        f = factor + e * direction
        return _mvn_singular(mean + f @ s + t @ f.T, mean + f @ s, f @ f.T)

    args = (coords, np.array([0.2] * rank), np.float64(0.1))
    check_grads(on_support, args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)

    def scipy_on_support(e):
        f = factor + e * direction
        return ss.multivariate_normal.logpdf(mean + coords @ f.T, mean, f @ f.T,
                                             allow_singular=True)

    g = funcad.jacfwd(lambda e: on_support(coords, np.zeros(rank), e))(np.float64(0.1))
    fd = (scipy_on_support(0.1 + 1e-6) - scipy_on_support(0.1 - 1e-6)) / 2e-6
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    # the gradient in cov is the rank-preserving one: -(C^+ - C^+ v v^T C^+) / 2, symmetric
    cov = factor @ factor.T
    grad_cov = funcad.grad(lambda c: _mvn_singular(inside[0], mean, c))(cov)
    pinv = np.linalg.pinv(cov)
    v = inside[0] - mean
    np.testing.assert_allclose(grad_cov, -0.5 * (pinv - pinv @ np.outer(v, v) @ pinv),
                               rtol=1e-8, atol=1e-10)


def test_multivariate_normal_allow_singular_regular_cov_matches_the_cholesky_path():
    rng = np.random.default_rng(3)
    x, mean, cov = rng.standard_normal((5, 3)), rng.standard_normal(3), _spd(rng, 3)
    mvn = fst.multivariate_normal
    check_grads(_mvn_singular, (x, mean, cov), order=2, modes=("fwd", "rev"), atol=1e-5,
                rtol=1e-5)
    g = funcad.grad(lambda *a: _mvn_singular(*a).sum(), argnums=(0, 1, 2))(x, mean, cov)
    g_chol = funcad.grad(lambda *a: mvn.logpdf(*a).sum(), argnums=(0, 1, 2))(x, mean, cov)
    for a, b in zip(g, g_chol):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_multivariate_normal_allow_singular_refuses_an_indefinite_cov():
    from funcad.errors import FuncadValueError

    cov = np.diag([1.0, -0.5, 2.0])
    with pytest.raises(ValueError):
        ss.multivariate_normal.logpdf(np.zeros(3), None, cov, allow_singular=True)
    with pytest.raises(FuncadValueError, match="positive semidefinite"):
        _mvn_singular(np.zeros(3), None, cov)
    assert np.isnan(funcad.jit(_mvn_singular)(np.zeros(3), np.zeros(3), cov))


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
    with pytest.raises(FuncadValueError, match=r"dirichlet\.logpdf"):
        fst.dirichlet.logpdf(x, alpha)
    with pytest.raises(FuncadValueError, match=r"dirichlet\.logpdf"):
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
