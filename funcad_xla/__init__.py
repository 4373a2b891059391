"""funcad_xla: compile funcad's IR with XLA through jax.

This package is a stub until the jit issue: ``jit`` and ``lower`` raise
``NotImplementedError``. Importing it is cheap and never imports jax (nor changes the
user's jax configuration); jax is imported on first use only, through ``_jax()``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

_PENDING = (
    "funcad_xla.{name} is not implemented yet: the XLA backend arrives with the jit issue. "
    "Use funcad.make_jaxpr to stage a function into funcad's IR for now."
)


def _jax():
    """Import and return jax (about 0.5 s, so only when a lowering needs it)."""
    try:
        import jax
    except ImportError as e:
        raise ImportError(
            "funcad_xla needs jax and jaxlib: install them with "
            "`python -m pip install \"funcad[xla]\"`"
        ) from e
    return jax


def jit(fun: Callable, static_argnums: int | Sequence[int] = (), device: Any = None) -> Callable:
    """Compile ``fun`` with XLA (not implemented yet; see the module docstring)."""
    raise NotImplementedError(_PENDING.format(name="jit"))


def lower(closed_ir: Any, *example_args: Any) -> Any:
    """Lower a closed IR to XLA for inspection (not implemented yet)."""
    raise NotImplementedError(_PENDING.format(name="lower"))


__all__ = ["jit", "lower"]
