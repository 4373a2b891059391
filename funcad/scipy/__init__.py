"""SciPy-like functions built on funcad.numpy."""
from funcad.scipy import linalg, special

__all__ = ["linalg", "special"]
