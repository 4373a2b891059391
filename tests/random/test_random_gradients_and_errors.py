"""Samplers differentiate w.r.t. their parameters as jax.random's do (reparametrization:
uniform's bounds, truncated_normal's bounds, multivariate_normal's mean and covariance,
gamma's implicit gradient and beta/dirichlet built on it), and misuse raises funcad
errors that name the call and the values."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.random as fr
from funcad import lax
from funcad.errors import FuncadTypeError, FuncadValueError

jr = jax.random
KEYS = [np.asarray(jr.PRNGKey(s)) for s in (0, 3, 17)]


def _needs(*names):
    missing = [n for n in names if not hasattr(lax, n)]
    return pytest.mark.skipif(bool(missing), reason=f"funcad.lax lacks {missing}")


W = np.linspace(0.5, 1.5, 5)

CASES = {
    "uniform": (lambda m, k, lo, hi: (m.uniform(k, (5,), minval=lo, maxval=hi) * W).sum(),
                (-1.0, 2.0), (), 0.0),
    "truncated_normal": (lambda m, k, lo, hi: (m.truncated_normal(k, lo, hi, (5,)) * W).sum(),
                         (-1.0, 2.0), ("erf_inv",), 1e-10),
    "multivariate_normal_mean": (lambda m, k, mu: (m.multivariate_normal(
        k, mu, np.array([[2.0, 0.3], [0.3, 1.0]]), (4,)) ** 2).sum(), (np.ones(2),),
        ("erf_inv",), 1e-10),
    "gamma": (lambda m, k, a: (m.gamma(k, a) * W[:3]).sum(), (np.array([0.4, 1.5, 6.0]),),
              ("erf_inv", "igamma", "lgamma"), 1e-6),
    "beta": (lambda m, k, a, b: m.beta(k, a, b).sum(), (np.array([0.7, 2.0]),
                                                         np.array([3.0, 1.2])),
             ("erf_inv", "igamma", "lgamma"), 1e-6),
    "dirichlet": (lambda m, k, a: (m.dirichlet(k, a) * W[:3]).sum(), (np.array([0.7, 2.0, 4.0]),),
                  ("erf_inv", "igamma", "lgamma"), 1e-6),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=_needs(*c[2])) for n, c in CASES.items()])
def test_sampler_gradients_match_jax(name):
    fn, args, _, rtol = CASES[name]
    argnums = tuple(range(len(args)))
    for k in KEYS:
        ours = funcad.grad(lambda *a, k=k: fn(fr, k, *a), argnums)(*args)
        theirs = jax.grad(lambda *a, k=k: fn(jr, k, *a), argnums)(*args)
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o, np.asarray(t), rtol=rtol, atol=1e-12, err_msg=name)


@_needs("erf_inv")
def test_multivariate_normal_covariance_gradient_matches_jax_on_symmetric_directions():
    """JAX symmetrizes the covariance's cotangent; funcad's cholesky reads the lower
    triangle: the two agree on every symmetric perturbation."""
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    k = KEYS[1]
    ours = funcad.grad(lambda c: fr.multivariate_normal(k, np.ones(2), c, (4,)).sum())(cov)
    theirs = np.asarray(jax.grad(lambda c: jr.multivariate_normal(k, np.ones(2), c,
                                                                   (4,)).sum())(cov))
    np.testing.assert_allclose((ours + ours.T) / 2, (theirs + theirs.T) / 2, rtol=1e-10)


def test_uniform_gradient_under_jit_and_vmap():
    g = funcad.jit(funcad.grad(lambda lo, hi: fr.uniform(KEYS[0], (5,), minval=lo,
                                                         maxval=hi).sum(), (0, 1)))
    u = fr.uniform(KEYS[0], (5,))
    np.testing.assert_allclose(g(-1.0, 2.0), (np.sum(1 - u), np.sum(u)), rtol=1e-12)
    per_key = funcad.vmap(lambda k: funcad.grad(
        lambda hi: fr.uniform(k, (3,), maxval=hi).sum())(2.0))(np.stack(KEYS))
    np.testing.assert_allclose(per_key, [fr.uniform(k, (3,)).sum() for k in KEYS], rtol=1e-12)


def test_sampler_errors_name_the_call_and_the_values():
    k = fr.PRNGKey(0)
    with pytest.raises(FuncadTypeError, match=r"funcad.random.uniform: expected a key .*float64"):
        fr.uniform(np.array([0.0, 1.0]), (3,))
    with pytest.raises(FuncadTypeError, match=r"normal: expected a key .*uint32\[3, 2\].*vmap"):
        fr.normal(fr.split(k, 3))
    with pytest.raises(FuncadTypeError, match="split: expected a key"):
        fr.split(np.zeros(2, np.int32))
    with pytest.raises(FuncadValueError, match=r"uniform: shape \(3,\) is not compatible"):
        fr.uniform(k, (3,), minval=np.zeros(4))
    with pytest.raises(FuncadTypeError, match="uniform: dtype must be a floating dtype, got int32"):
        fr.uniform(k, (3,), np.int32)
    with pytest.raises(FuncadTypeError, match="randint: dtype must be an integer dtype"):
        fr.randint(k, (3,), 0, 5, np.float32)
    with pytest.raises(FuncadTypeError, match="bits: dtype must be an unsigned"):
        fr.bits(k, (3,), np.int32)
    with pytest.raises(FuncadTypeError, match="PRNGKey: the seed must be an integer"):
        fr.PRNGKey(1.5)
    with pytest.raises(FuncadTypeError, match="PRNGKey: the seed must be a scalar"):
        fr.PRNGKey(np.arange(3))
    with pytest.raises(FuncadTypeError, match="fold_in: data must be an integer"):
        fr.fold_in(k, 2.5)
    with pytest.raises(FuncadValueError, match="cannot take 5 samples from 3"):
        fr.choice(k, 3, (5,), replace=False)
    with pytest.raises(FuncadTypeError, match="bernoulli: p must have a floating dtype"):
        fr.bernoulli(k, 1, (3,))
    with pytest.raises(FuncadValueError, match="gumbel: mode must be"):
        fr.gumbel(k, (3,), mode="highest")
