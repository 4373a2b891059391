"""``funcad.random``: counter-based, splittable random numbers with ``jax.random``'s API and
numbers (the threefry2x32 generator in JAX's default mode): the same key gives the same
draws, eagerly, under ``jit`` (both backends) and under ``vmap`` over keys. Keys are raw
``uint32[2]`` arrays (``PRNGKey``); samplers differentiate w.r.t. their parameters through
their reparametrization, as JAX's do."""
from __future__ import annotations

from funcad.random._discrete import (
    bernoulli,
    categorical,
    choice,
    permutation,
    poisson,
    randint,
)
from funcad.random._floats import (
    cauchy,
    exponential,
    gumbel,
    laplace,
    logistic,
    multivariate_normal,
    normal,
    truncated_normal,
    uniform,
)
from funcad.random._gamma import beta, dirichlet, gamma, loggamma
from funcad.random._keys import PRNGKey, bits, fold_in, key, key_data, split, wrap_key_data

__all__ = [
    "PRNGKey",
    "bernoulli",
    "beta",
    "bits",
    "categorical",
    "cauchy",
    "choice",
    "dirichlet",
    "exponential",
    "fold_in",
    "gamma",
    "gumbel",
    "key",
    "key_data",
    "laplace",
    "loggamma",
    "logistic",
    "multivariate_normal",
    "normal",
    "permutation",
    "poisson",
    "randint",
    "split",
    "truncated_normal",
    "uniform",
    "wrap_key_data",
]
