"""The one place that reaches into jax: its lazy import, the thread-local float64 switch and
device lookup. Only public jax API is used (no ``jax._src``)."""
from __future__ import annotations

import functools
import warnings
from contextlib import nullcontext
from typing import Any

from funcad.errors import FuncadValueError


@functools.lru_cache(maxsize=1)
def jax():
    """Import and return jax (about 0.5 s, so only when a lowering needs it)."""
    try:
        import jax as _jax
    except ImportError as e:
        raise ImportError(
            "funcad_xla needs jax and jaxlib: install them with "
            '`python -m pip install "funcad[xla]"`'
        ) from e
    return _jax


def x64_context(enabled: bool):
    """``jax.enable_x64(True)`` for this thread while it is active (float64 and int64 are
    computed as such; the user's global setting is left alone), or nothing."""
    return jax().enable_x64(True) if enabled else nullcontext()


def device_of(device: Any):
    """A jax device for ``"cpu"``, ``"gpu"``, a jax device, or ``None`` (jax's default).

    ``"gpu"`` falls back to the CPU, with a warning, where jax has no GPU.
    """
    if device is None:
        return None
    j = jax()
    if isinstance(device, str):
        kind = device.lower()
        if kind not in ("cpu", "gpu", "cuda"):
            raise FuncadValueError(
                f"funcad_xla: device must be 'cpu', 'gpu' or None, not {device!r}")
        try:
            return j.devices("gpu" if kind == "cuda" else kind)[0]
        except RuntimeError:
            warnings.warn("funcad_xla: no GPU is available to jax; running on the CPU",
                          RuntimeWarning, stacklevel=3)
            return j.devices("cpu")[0]
    return device


def single_device_sharding(dev):
    return jax().sharding.SingleDeviceSharding(dev)


__all__ = ["device_of", "jax", "single_device_sharding", "x64_context"]
