"""Testing derivatives: ``check_grads`` and finite-difference references.

``funcad.testing.strategies`` (hypothesis strategies) is imported on demand, since
hypothesis is a test dependency only.
"""
from funcad.testing.check_grads import check_grads, check_jvp, check_vjp
from funcad.testing.finite_differences import numerical_grad, numerical_jvp

__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_grad", "numerical_jvp"]
