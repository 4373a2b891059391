"""Statistical sanity of every sampler: over 10**6 draws, the sample mean and variance lie
within 5 standard errors of the distribution's (the standard error of the variance from
the sample's fourth central moment); shuffles and categorical draws by their frequencies."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st

import funcad
import funcad.random as fr
from funcad import lax

N = 10 ** 6
K = fr.PRNGKey(2024)


def _check_moments(x, mean, var, what):
    x = np.asarray(x, np.float64).ravel()
    n = x.size
    m = x.mean()
    assert abs(m - mean) < 5 * math.sqrt(var / n), (what, "mean", m, mean)
    c = x - m
    s2 = np.mean(c ** 2)
    se_var = math.sqrt(max(np.mean(c ** 4) - s2 ** 2, 1e-300) / n)
    assert abs(s2 - var) < 5 * se_var, (what, "variance", s2, var)


def _check_frequency(hits, p, n, what):
    assert abs(hits / n - p) < 5 * math.sqrt(p * (1 - p) / n), (what, hits / n, p)


def _needs(*names):
    missing = [n for n in names if not hasattr(lax, n)]
    return pytest.mark.skipif(bool(missing), reason=f"funcad.lax lacks {missing}")


# name -> (draw of N, scipy-frozen distribution or (mean, var), lax functions needed)
CONTINUOUS = {
    "uniform": (lambda d: fr.uniform(K, (N,), d, -1.0, 3.0), st.uniform(-1, 4), ()),
    "exponential": (lambda d: fr.exponential(K, (N,), d), st.expon(), ()),
    "gumbel": (lambda d: fr.gumbel(K, (N,), d), st.gumbel_r(), ()),
    "gumbel_high": (lambda d: fr.gumbel(K, (N,), d, mode="high"), st.gumbel_r(), ()),
    "laplace": (lambda d: fr.laplace(K, (N,), d), st.laplace(), ()),
    "logistic": (lambda d: fr.logistic(K, (N,), d), st.logistic(), ()),
    "normal": (lambda d: fr.normal(K, (N,), d), st.norm(), ("erf_inv",)),
    "truncated_normal": (lambda d: fr.truncated_normal(K, -0.5, 1.5, (N,), d),
                         st.truncnorm(-0.5, 1.5), ("erf_inv",)),
    "gamma": (lambda d: fr.gamma(K, 2.5, (N,), d), st.gamma(2.5), ("erf_inv",)),
    "gamma_small": (lambda d: fr.gamma(K, 0.4, (N,), d), st.gamma(0.4), ("erf_inv",)),
    "beta": (lambda d: fr.beta(K, 2.0, 5.0, (N,), d), st.beta(2.0, 5.0), ("erf_inv",)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", [pytest.param(n, marks=_needs(*v[2])) for n, v in
                                  CONTINUOUS.items()])
def test_continuous_moments(name, dtype):
    draw, dist, _ = CONTINUOUS[name]
    x = draw(dtype)
    assert x.dtype == dtype and x.shape == (N,)
    _check_moments(x, dist.mean(), dist.var(), name)


def test_cauchy_quartiles():
    x = fr.cauchy(K, (N,))
    for q in (-1.0, 0.0, 1.0):
        _check_frequency(np.sum(x < q), st.cauchy.cdf(q), N, f"cauchy below {q}")


def test_integer_samplers():
    x = fr.randint(K, (N,), -3, 7)
    assert x.min() == -3 and x.max() == 6
    _check_moments(x, st.randint(-3, 7).mean(), st.randint(-3, 7).var(), "randint")
    b = fr.bernoulli(K, 0.3, (N,))
    _check_frequency(np.sum(b), 0.3, N, "bernoulli")
    u = fr.bits(K, (N,), np.uint32).astype(np.float64) / 2.0 ** 32
    _check_moments(u, 0.5, 1 / 12, "bits")
    lam = 3.5
    _check_moments(fr.poisson(K, lam, (N,)), lam, lam, "poisson")


@pytest.mark.skipif(not hasattr(lax, "lgamma"), reason="funcad.lax lacks lgamma")
def test_poisson_large_rate():
    _check_moments(fr.poisson(K, 40.0, (N,)), 40.0, 40.0, "poisson(40)")


def test_categorical_and_choice_frequencies():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    c = fr.categorical(K, np.log(p), shape=(N,))
    for i, pi in enumerate(p):
        _check_frequency(np.sum(c == i), pi, N, f"categorical {i}")
    c = fr.choice(K, 4, (N,), p=p)
    for i, pi in enumerate(p):
        _check_frequency(np.sum(c == i), pi, N, f"choice {i}")


def test_permutations_are_uniform():
    keys = fr.split(K, 20000)
    perms = funcad.vmap(lambda k: fr.permutation(k, 5))(keys)
    assert (np.sort(perms, axis=1) == np.arange(5)).all()
    n = perms.shape[0]
    for pos in range(5):
        for v in range(5):
            _check_frequency(np.sum(perms[:, pos] == v), 0.2, n, f"permutation {pos}={v}")


@_needs("erf_inv")
def test_multivariate_normal_and_dirichlet_moments():
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    x = fr.multivariate_normal(K, np.array([1.0, -2.0]), cov, (N,))
    for i in range(2):
        _check_moments(x[:, i], [1.0, -2.0][i], cov[i, i], f"mvn {i}")
    _check_moments((x[:, 0] - 1.0) * (x[:, 1] + 2.0), cov[0, 1],
                   cov[0, 0] * cov[1, 1] + cov[0, 1] ** 2, "mvn covariance")
    alpha = np.array([0.5, 1.5, 3.0])
    d = fr.dirichlet(K, alpha, (N,))
    dist = st.dirichlet(alpha)
    for i in range(3):
        _check_moments(d[:, i], dist.mean()[i], dist.var()[i], f"dirichlet {i}")
