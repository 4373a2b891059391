"""Lowerings of ``reduce_and``, ``reduce_or`` and ``reduce_xor`` to ``jax.lax``."""
from __future__ import annotations

from jax import lax

from funcad.ops import bitwise_reductions as br
from funcad_xla.rules import register_lowerings

register_lowerings({
    br.reduce_and_p: lambda x, *, axes: lax.reduce_and(x, axes),
    br.reduce_or_p: lambda x, *, axes: lax.reduce_or(x, axes),
    br.reduce_xor_p: lambda x, *, axes: lax.reduce_xor(x, axes),
})
