"""Neural-network activations, built from funcad.numpy so every transform applies."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.ad import stop_gradient
from funcad.ops import elementwise as ew
from funcad.scipy.special import logsumexp


def relu(x):
    """``max(x, 0)``; its derivative at 0 is 0 (as JAX's)."""
    x = fnp.asarray(x)
    return fnp.where(x > 0, x, fnp.zeros_like(x))


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    (x,) = fnp._core.promote_args_inexact("sigmoid", x)
    return ew.logistic(x)


def softplus(x):
    """``log(1 + exp(x))`` without overflow."""
    return fnp.logaddexp(x, 0.0)


def log_softmax(x, axis: int | tuple[int, ...] | None = -1):
    """``x - logsumexp(x, axis)``, shifted by the maximum for stability."""
    (x,) = fnp._core.promote_args_inexact("log_softmax", x)
    # The shift is a constant of a constant (no derivative work for the max).
    shifted = x - fnp.max(stop_gradient(x), axis=axis, keepdims=True)
    return shifted - fnp.log(fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis: int | tuple[int, ...] | None = -1):
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum for stability."""
    (x,) = fnp._core.promote_args_inexact("softmax", x)
    unnormalized = fnp.exp(x - fnp.max(stop_gradient(x), axis=axis, keepdims=True))
    return unnormalized / fnp.sum(unnormalized, axis=axis, keepdims=True)


__all__ = ["log_softmax", "logsumexp", "relu", "sigmoid", "softmax", "softplus"]
