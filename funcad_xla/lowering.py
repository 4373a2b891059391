"""Compilation of funcad's IR with XLA: one ``jax.jit`` per closed IR and device.

The jitted function walks the IR once per signature (at jax's trace time) with
``funcad_xla.rules.lower_jaxpr``, which applies the ``jax.lax`` lowering of each primitive;
the ``lower_*`` modules imported here fill that table. Constants are passed as arguments
(placed on the device once), not embedded in the module; scalar literals become NumPy
scalars of their dtype. An IR with 64-bit types is traced and run under a thread-local
``enable_x64``, so float64 stays float64 without touching the user's global jax
configuration. This module imports jax (through the ``lower_*`` modules): ``funcad_xla``
loads it on the first compile.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcad.backends.registry import Placement
from funcad.core.dtypes import is_complex
from funcad.ir.core import ClosedJaxpr, Literal, sub_jaxprs
from funcad_xla import (  # noqa: F401 - rows
    lower_arrays,
    lower_bits,
    lower_bitwise_reductions,
    lower_callbacks,
    lower_collectives,
    lower_control_flow,
    lower_debugging,
    lower_elementwise,
    lower_fft,
    lower_float_bits,
    lower_gather_scatter,
    lower_linalg,
    lower_sharding,
    lower_sorting,
    lower_special,
    lower_windows,
)
from funcad_xla._jax import device_of, jax, single_device_sharding, x64_context
from funcad_xla.host_errors import raise_remembered
from funcad_xla.rules import dot_precision, lower_jaxpr, lowering_rules


def lowerings() -> dict:
    """The complete table: primitive -> lowering(*jax values, **params)."""
    return lowering_rules


def needs_x64(closed: ClosedJaxpr) -> bool:
    """Whether any value of the IR (nested calls included) has a 64-bit type."""
    stack = [closed.jaxpr]
    while stack:
        jaxpr = stack.pop()
        avals = [v.aval for v in (*jaxpr.constvars, *jaxpr.invars)]
        for eqn in jaxpr.eqns:
            avals.extend(v.aval for v in eqn.outvars)
            avals.extend(x.aval for x in eqn.invars if type(x) is Literal)
            stack.extend(sub_jaxprs(eqn))
        if any(a.dtype.itemsize >= (16 if is_complex(a.dtype) else 8) for a in avals):
            return True
    return False


class XlaExecutable:
    """``exe(*arrays) -> list of jax.Arrays``: one cached ``jax.jit`` of the IR. Arguments may
    be NumPy arrays or ``jax.Array``s (passed straight to the executable: no host copy);
    results stay on the device. ``donate`` lists the flat arguments whose buffers XLA may
    reuse for results (``jit(donate_argnums=)``): a donated ``jax.Array`` is deleted by the
    call, as under ``jax.jit``; a NumPy argument is copied to the device first, so donating
    it never writes to it."""

    takes_device_arrays = True

    def __init__(self, closed: ClosedJaxpr, device: Any = None, donate: tuple[int, ...] = ()):
        j = jax()
        self.closed = closed
        self.in_dtypes = tuple(a.dtype for a in closed.in_avals)
        self.x64 = needs_x64(closed)
        self.device = None if isinstance(device, Placement) else device_of(device)
        jaxpr = closed.jaxpr

        platform = (self.device or j.devices()[0]).platform
        # Full float32 products on GPUs (whose default may round operands to tf32, which
        # misses the NumPy reference); XLA's default elsewhere (it is exact on CPUs).
        precision = "highest" if platform in ("gpu", "cuda", "rocm") else None

        def run(consts, *args):
            with dot_precision(precision):
                return tuple(lower_jaxpr(jaxpr, list(consts), list(args)))

        options = {}
        if isinstance(device, Placement):  # SPMD: XLA partitions the program
            options = {"in_shardings": (None, *device.in_shardings),
                       "out_shardings": device.out_shardings}
        elif self.device is not None:
            sharding = single_device_sharding(self.device)
            options = {"in_shardings": sharding, "out_shardings": sharding}
        if donate:  # the constants come first
            options["donate_argnums"] = tuple(1 + i for i in donate)
        self.donate = tuple(donate)
        self.fn: Callable = j.jit(run, **options)
        self._enable_x64, self._config = j.enable_x64, j.config
        with x64_context(self.x64):
            self.consts = tuple(j.device_put(np.asarray(c), self.device) for c in closed.consts)

    def _args(self, args) -> list:
        # Python scalars and other dtypes would get their own jax cache entry (weak types):
        # give every argument the IR's declared dtype.
        return [a if getattr(a, "dtype", None) == d else np.asarray(a, d)
                for a, d in zip(args, self.in_dtypes)]

    def __call__(self, *args) -> list:
        # Callers pass arrays of the IR's dtypes (bind and jit have checked them).
        try:
            if self.x64 and not self._config.jax_enable_x64:  # (already on: nothing to enter)
                with self._enable_x64(True):
                    return self.fn(self.consts, *args)
            return self.fn(self.consts, *args)
        except Exception as err:  # an exception of a host callback is raised as itself
            raise_remembered(err)
            raise

    def lower(self, *args):
        """jax's ``Lowered`` object for these arguments (under the IR's x64 setting)."""
        with x64_context(self.x64):
            return self.fn.lower(self.consts, *self._args(args))


def compile_xla(closed: ClosedJaxpr, device: Any = None,
                donate: tuple[int, ...] = ()) -> XlaExecutable:
    return XlaExecutable(closed, device, donate)


__all__ = ["XlaExecutable", "compile_xla", "lowerings", "needs_x64"]
