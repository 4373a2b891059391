"""funcad: composable function transforms (differentiation, vectorization, staging) for
NumPy programs, in the style of JAX."""
from funcad import errors, lax, nn, scipy, tree_util
from funcad import numpy as numpy  # noqa: F401 - installs tracer operators
from funcad import random as random
from funcad.ad import (
    grad,
    jvp,
    linear_transpose,
    linearize,
    stop_gradient,
    value_and_grad,
    vjp,
)
from funcad.api import make_jaxpr
from funcad.checkpoint import checkpoint, remat
from funcad.custom_derivatives import custom_jvp, custom_vjp
from funcad.explain import explain
from funcad.jacobians import hessian, hvp, jacfwd, jacobian, jacrev
from funcad.jit import jit
from funcad.vmap import vmap

__version__ = "0.1.0"

__all__ = [
    "checkpoint",
    "custom_jvp",
    "custom_vjp",
    "errors",
    "explain",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "linear_transpose",
    "linearize",
    "make_jaxpr",
    "nn",
    "random",
    "remat",
    "scipy",
    "stop_gradient",
    "tree_util",
    "value_and_grad",
    "vjp",
    "vmap",
]
