"""funcad_xla: compile funcad's IR with XLA through jax.

Importing this package registers the ``"xla"`` backend of ``funcad.jit``; it is cheap and
imports neither jax (that happens on the first compile) nor changes the user's jax
configuration: float64 programs run under a thread-local ``jax.enable_x64`` context.

- ``jit(fun, static_argnums=(), device=None)``: ``funcad.jit(fun, backend="xla")`` on
  ``device`` (``"cpu"``, ``"gpu"``, or ``None`` for jax's default device).
- ``lower(closed_ir, *example_args)``: the lowered and compiled XLA program, with its HLO.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcad.backends import executable, register_backend
from funcad.errors import FuncadTypeError
from funcad.ir.core import ClosedJaxpr
from funcad.jit import JitFunction
from funcad.jit import jit as funcad_jit
from funcad.shardings import with_sharding_constraint

# Modules of this package that import jax at their top, by role: loaded on first use (DESIGN
# §7: ``import jax`` costs about 0.5 s), by name, as funcad.backends loads its backends.
_JAX_MODULES = {"compiler": "funcad_xla.lowering", "placement": "funcad_xla.placement"}


def _jax_module(role: str):
    """The module of this package for ``role``, imported on first use. Importing jax draws
    from NumPy's global random generator: the user's state is put back afterwards, so a
    script seeded with ``np.random.seed`` draws the same numbers with or without a compile."""
    state = np.random.get_state()
    try:
        return importlib.import_module(_JAX_MODULES[role])
    finally:
        np.random.set_state(state)


def _compile(closed: ClosedJaxpr, device: Any = None, donate: tuple[int, ...] = ()):
    return _jax_module("compiler").compile_xla(closed, device, donate)


register_backend("xla", _compile)


def device_put(x: Any, device_or_sharding: Any = None) -> Any:
    """The leaves of ``x`` as ``jax.Array``s on ``device_or_sharding`` (``"cpu"``, ``"gpu"``, a
    jax device, a ``jax.sharding.Sharding``, or ``None`` for jax's default device)."""
    return _jax_module("placement").device_put(x, device_or_sharding)


def device_get(x: Any) -> Any:
    """The leaves of ``x`` as NumPy arrays on the host."""
    return _jax_module("placement").device_get(x)


def block_until_ready(x: Any) -> Any:
    """``x``, once every ``jax.Array`` leaf of it has been computed."""
    return _jax_module("placement").block_until_ready(x)


def jit(fun: Callable, static_argnums: int | Sequence[int] = (), device: Any = None,
        in_shardings: Any = None, out_shardings: Any = None):
    """Compile ``fun`` with XLA: ``funcad.jit(fun, static_argnums, backend="xla")`` placed
    on ``device`` (``"cpu"``, ``"gpu"`` — the CPU, with a warning, where jax sees no GPU —
    or ``None``), or partitioned by XLA over the devices of ``in_shardings`` /
    ``out_shardings`` (``jax.sharding`` objects, pytree prefixes of the positional
    arguments and of the results)."""
    return funcad_jit(fun, static_argnums, backend="xla", device=device,
                      in_shardings=in_shardings, out_shardings=out_shardings)


class Lowered:
    """An IR lowered to XLA for given argument types: ``compiled`` (jax's compiled object),
    ``hlo_text`` (the optimized HLO), ``stablehlo_text`` (the module before XLA's passes);
    calling it runs the program."""

    def __init__(self, exe, lowered, compiled):
        self.executable = exe
        self.lowered = lowered
        self.compiled = compiled

    @property
    def hlo_text(self) -> str:
        return self.compiled.as_text()

    @property
    def stablehlo_text(self) -> str:
        return self.lowered.as_text()

    def __call__(self, *args) -> list:
        return self.executable(*args)


def lower(closed_ir: Any, *example_args: Any, device: Any = None) -> Lowered:
    """Lower ``closed_ir`` (a ClosedJaxpr, e.g. from ``funcad.make_jaxpr``, or a function
    jitted by funcad, staged for ``example_args``) to XLA and compile it for the types of
    ``example_args``."""
    if isinstance(closed_ir, JitFunction):  # its own executable: shardings included
        if closed_ir.backend != "xla":
            raise FuncadTypeError(
                f"funcad_xla.lower: {closed_ir!r} compiles with the {closed_ir.backend} "
                "backend; jit it with backend='xla'")
        exe, leaves = closed_ir.compiled(*example_args)
    elif isinstance(closed_ir, ClosedJaxpr):
        exe, leaves = executable(closed_ir, "xla", device), list(example_args)
    else:
        raise FuncadTypeError(
            "funcad_xla.lower: expected a ClosedJaxpr (from funcad.make_jaxpr) or a "
            f"function jitted by funcad, got {type(closed_ir).__name__}"
        )
    lowered = exe.lower(*leaves)
    return Lowered(exe, lowered, lowered.compile())


__all__ = ["Lowered", "block_until_ready", "device_get", "device_put", "jit", "lower",
           "with_sharding_constraint"]
