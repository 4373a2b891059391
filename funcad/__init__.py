"""funcad: composable function transforms (differentiation, vectorization, staging) for
NumPy programs, in the style of JAX."""
from funcad import errors, nn, scipy, tree_util
from funcad import numpy as numpy  # noqa: F401 - installs tracer operators
from funcad.api import make_jaxpr

__version__ = "0.1.0"

__all__ = ["errors", "make_jaxpr", "nn", "scipy", "tree_util"]
