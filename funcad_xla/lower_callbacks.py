"""The lowering of ``pure_callback``: ``jax.pure_callback`` around the same host call (and
result check) as the NumPy implementation."""
from __future__ import annotations

from funcad.ops.callbacks import call_host, pure_callback_p
from funcad_xla._jax import jax
from funcad_xla.host_errors import remember
from funcad_xla.rules import register_lowerings


def _pure_callback(*args, callback, result_avals, vmap_method):
    j = jax()

    def host(*values):
        try:
            return tuple(call_host(callback, result_avals, values))
        except Exception as exc:
            remember(exc)
            raise

    shapes = [j.ShapeDtypeStruct(a.shape, a.dtype) for a in result_avals]
    # funcad batches the primitive itself; jax never vmaps this call.
    return list(j.pure_callback(host, shapes, *args, vmap_method="sequential"))


register_lowerings({pure_callback_p: _pure_callback})
