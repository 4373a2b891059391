"""``funcad.scipy.stats``: probability distributions as SciPy names them, one module per
distribution with SciPy's functions (``logpdf pdf cdf logcdf sf logsf ppf`` or ``logpmf
pmf ...``) and its ``loc``/``scale`` conventions; every function is built of funcad
operations, so it differentiates (in every parameter, with the exceptions each module
names), batches and compiles."""
from funcad.scipy.stats import (
    bernoulli,
    beta,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
    uniform,
)

__all__ = [
    "bernoulli",
    "beta",
    "cauchy",
    "chi2",
    "dirichlet",
    "expon",
    "gamma",
    "laplace",
    "logistic",
    "multivariate_normal",
    "norm",
    "poisson",
    "t",
    "uniform",
]
