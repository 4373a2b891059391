"""The XLA backend's table of lowerings, the options they read, and the IR walk that applies
them.

A lowering turns one equation into ``jax.lax`` calls: ``lowering(*jax values, **params)``
returns the result (a list for a primitive with multiple results), with the semantics of
the primitive's NumPy implementation. Each ``lower_*`` module adds one row per primitive,
keyed by the primitive object, with ``register_lowerings``; ``funcad_xla.lowering`` imports
them all, so the table is complete wherever something is compiled. This module sits below
the ``lower_*`` modules and imports no jax: the control-flow rows lower their sub-IRs with
``lower_jaxpr`` from here.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from funcad.core.primitive import Primitive
from funcad.ir.core import Jaxpr, Literal

# primitive -> lowering(*jax values, **params)
lowering_rules: dict[Primitive, Callable] = {}


def register_lowerings(rows: dict[Primitive, Callable]) -> None:
    """Add ``rows`` to the table; a primitive has one lowering, so a second row is an error."""
    for prim, rule in rows.items():
        if lowering_rules.get(prim, rule) is not rule:
            raise ValueError(f"funcad_xla: primitive `{prim}` already has a lowering")
        lowering_rules[prim] = rule


class _Options(threading.local):
    precision = None


options = _Options()


@contextmanager
def dot_precision(precision) -> Iterator[None]:
    """The ``precision`` of the dot products lowered in this thread during the block."""
    prev, options.precision = options.precision, precision
    try:
        yield
    finally:
        options.precision = prev


def lower_jaxpr(jaxpr: Jaxpr, consts: list, args: list) -> list:
    """Evaluate ``jaxpr`` on jax values with the lowerings (at jax's trace time)."""
    env: dict = dict(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))

    def read(x):
        if type(x) is Literal:
            if np.dtype(x.aval.dtype).kind == "V":  # float0 (integer inputs' gradients):
                return np.zeros(x.aval.shape, x.aval.dtype)  # jax takes it as an array
            return np.dtype(x.aval.dtype).type(x.val)
        return env[x]

    for eqn in jaxpr.eqns:
        rule = lowering_rules.get(eqn.primitive)
        if rule is None:
            raise NotImplementedError(f"funcad_xla: no XLA lowering of primitive `{eqn.primitive}`")
        outs = rule(*[read(x) for x in eqn.invars], **eqn.params)
        env.update(zip(eqn.outvars, outs if eqn.primitive.multiple_results else [outs]))
    return [read(x) for x in jaxpr.outvars]


__all__ = ["dot_precision", "lower_jaxpr", "lowering_rules", "options", "register_lowerings"]
