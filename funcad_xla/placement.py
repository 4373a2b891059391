"""Placing values on XLA devices: ``device_put``, ``device_get``, ``block_until_ready`` over
pytrees, with JAX's semantics. This module imports jax: ``funcad_xla`` loads it on first use.

A 64-bit leaf is placed under the thread-local ``enable_x64`` context, so float64 stays
float64 without touching the user's jax configuration.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from funcad.tree_util import tree_leaves, tree_map
from funcad_xla._jax import device_of, jax, x64_context


def _is_64_bit(x) -> bool:
    dtype = np.result_type(x)
    return dtype.itemsize >= (16 if dtype.kind == "c" else 8)


def _target(device_or_sharding: Any):
    """A jax device or sharding for ``"cpu"``/``"gpu"``/a device/a ``Sharding``/``None``."""
    if device_or_sharding is None or isinstance(device_or_sharding, jax().sharding.Sharding):
        return device_or_sharding
    return device_of(device_or_sharding)


def device_put(x: Any, device_or_sharding: Any = None) -> Any:
    """The leaves of ``x`` as ``jax.Array``s on the device or sharding given (jax's default
    device for ``None``); a leaf already there is not copied."""
    j, target = jax(), _target(device_or_sharding)

    def put(leaf):
        with x64_context(_is_64_bit(leaf)):
            return j.device_put(leaf, target)

    return tree_map(put, x)


def device_get(x: Any) -> Any:
    """The leaves of ``x`` as NumPy arrays on the host (NumPy leaves are returned as they are)."""
    return tree_map(lambda leaf: np.asarray(leaf) if isinstance(leaf, jax().Array) else leaf, x)


def block_until_ready(x: Any) -> Any:
    """``x``, once every ``jax.Array`` leaf of it has been computed."""
    for leaf in tree_leaves(x):
        if isinstance(leaf, jax().Array):
            leaf.block_until_ready()
    return x


__all__ = ["block_until_ready", "device_get", "device_put"]
