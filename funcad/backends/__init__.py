"""Backends compile a closed IR into a callable ``exe(*arrays) -> list of arrays``.

``"numpy"`` is funcad's own executor (``funcad.backends.numpy``); ``"xla"`` is
``funcad_xla``. Both are found by name through ``funcad.backends.registry`` and imported on
first use (``jit(backend="xla")`` imports funcad_xla then); nothing here imports them.
"""
from __future__ import annotations

from funcad.backends.registry import (
    compile_ir,
    default_backend,
    executable,
    register_backend,
    resolve_backend,
    takes_device_arrays,
)

__all__ = [
    "compile_ir",
    "default_backend",
    "executable",
    "register_backend",
    "resolve_backend",
    "takes_device_arrays",
]
