"""SciPy-like functions built on funcad.numpy."""
from funcad.scipy import special

__all__ = ["special"]
