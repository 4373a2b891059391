"""``device_put``, ``device_get``, ``block_until_ready``: JAX's functions for placing values
on devices. With jax installed they are ``funcad_xla``'s (``jax.Array`` leaves, which every
transform accepts); without it funcad has one device, the CPU, whose arrays are NumPy's."""
from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from funcad.backends.registry import BACKEND_MODULES, xla_installed
from funcad.errors import FuncadValueError
from funcad.tree_util import tree_map


def _xla():
    return importlib.import_module(BACKEND_MODULES["xla"])


def device_put(x: Any, device_or_sharding: Any = None) -> Any:
    """The leaves of ``x`` placed on ``device_or_sharding`` (``"cpu"``, ``"gpu"``, a jax device
    or ``jax.sharding.Sharding``; ``None``: the default device) as ``jax.Array``s."""
    if xla_installed():
        return _xla().device_put(x, device_or_sharding)
    if device_or_sharding not in (None, "cpu"):
        raise FuncadValueError(
            f"device_put: placing values on {device_or_sharding!r} needs the XLA backend "
            '(`python -m pip install "funcad[xla]"`); without it the only device is "cpu"')
    return tree_map(np.asarray, x)


def device_get(x: Any) -> Any:
    """The leaves of ``x`` as NumPy arrays on the host."""
    return _xla().device_get(x) if xla_installed() else tree_map(np.asarray, x)


def block_until_ready(x: Any) -> Any:
    """``x``, once every device-resident leaf of it has been computed."""
    return _xla().block_until_ready(x) if xla_installed() else x


__all__ = ["block_until_ready", "device_get", "device_put"]
