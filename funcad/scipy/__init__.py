"""SciPy-like functions built on funcad.numpy."""
from funcad.scipy import linalg, special
from funcad.scipy import stats as stats  # noqa: PLC0414 - a subpackage

__all__ = ["linalg", "special", "stats"]
