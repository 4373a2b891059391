"""``funcad.nn``: ``jax.nn``'s activations (numerically stable values and derivatives)
and ``funcad.nn.initializers``."""
from __future__ import annotations

from funcad.nn.activations import (
    celu,
    elu,
    gelu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    logsumexp,
    one_hot,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    standardize,
    swish,
)

__all__ = [
    "celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "leaky_relu", "log_sigmoid", "log_softmax", "logsumexp", "one_hot", "relu", "relu6",
    "selu", "sigmoid", "silu", "softmax", "softplus", "standardize", "swish",
]
