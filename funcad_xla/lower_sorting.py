"""Lowerings of the sorting primitives to ``jax.lax`` (``sort``, ``top_k``) and
``jax.numpy.searchsorted``."""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from funcad.ops import sorting as so
from funcad_xla.rules import register_lowerings


def _sort(*xs, dimension, is_stable, num_keys):
    return list(lax.sort(tuple(xs), dimension=dimension, is_stable=is_stable,
                         num_keys=num_keys))


def _top_k(x, *, k):
    values, idx = lax.top_k(x, k)
    return [values, idx.astype("int32")]


def _searchsorted(a, v, *, side, dtype):
    return jnp.searchsorted(a, v, side=side, method="sort").astype(dtype)


register_lowerings({
    so.sort_p: _sort,
    so.top_k_p: _top_k,
    so.searchsorted_p: _searchsorted,
})
