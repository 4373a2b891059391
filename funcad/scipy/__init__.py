"""SciPy-like functions built on funcad.numpy."""
from funcad.numpy._eager import wrap_module as _wrap_module
from funcad.scipy import linalg, special
from funcad.scipy import stats as stats  # noqa: PLC0414 - a subpackage

# Eager results get ``.at``, as funcad.numpy's do.
_wrap_module(linalg, "funcad")
_wrap_module(special, "funcad")

__all__ = ["linalg", "special", "stats"]
