"""funcad: composable function transforms (differentiation, vectorization, staging) for
NumPy programs, in the style of JAX."""
from funcad import ad_checkpoint as ad_checkpoint
from funcad import checkpoint_policies as checkpoint_policies
from funcad import debug, errors, lax, nn, scipy, tree_util
from funcad import flatten_util as flatten_util
from funcad import numpy as numpy  # noqa: F401 - installs tracer operators
from funcad import random as random
from funcad import tree as tree
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
from funcad.callbacks import pure_callback
from funcad.checkpoint import checkpoint, remat
from funcad.closures import closure_convert
from funcad.custom_derivatives import custom_jvp, custom_vjp
from funcad.devices import block_until_ready, device_get, device_put
from funcad.explain import explain
from funcad.jacobians import hessian, hvp, jacfwd, jacobian, jacrev
from funcad.jit import jit
from funcad.numpy._eager import eager_function as _eager_function
from funcad.numpy._eager import wrap_module as _wrap_module
from funcad.shape_eval import Array, ShapeDtypeStruct, eval_shape
from funcad.sparse import hessian_sparsity, jacobian_sparsity, sparse_hessian, sparse_jacobian
from funcad.taylor import hessian_diag, jet, laplacian
from funcad.vmap import vmap

# Eager results of lax, random and pure_callback get ``.at``, as funcad.numpy's do (the
# wrappers sit on the public names only; funcad's own modules import the functions as
# defined).
_wrap_module(lax, "funcad")
_wrap_module(lax.linalg, "funcad")
_wrap_module(random, "funcad")
pure_callback = _eager_function(pure_callback)

__version__ = "0.1.0"

__all__ = [
    "Array",
    "ShapeDtypeStruct",
    "ad_checkpoint",
    "block_until_ready",
    "checkpoint",
    "checkpoint_policies",
    "closure_convert",
    "custom_jvp",
    "custom_vjp",
    "debug",
    "device_get",
    "device_put",
    "errors",
    "eval_shape",
    "explain",
    "flatten_util",
    "grad",
    "hessian",
    "hessian_diag",
    "hessian_sparsity",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacobian_sparsity",
    "jacrev",
    "jet",
    "jit",
    "jvp",
    "laplacian",
    "lax",
    "linear_transpose",
    "linearize",
    "make_jaxpr",
    "nn",
    "pure_callback",
    "random",
    "remat",
    "scipy",
    "sparse_hessian",
    "sparse_jacobian",
    "stop_gradient",
    "tree",
    "tree_util",
    "value_and_grad",
    "vjp",
    "vmap",
]
