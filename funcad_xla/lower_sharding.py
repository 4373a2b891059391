"""The lowering of ``sharding_constraint``: ``jax.lax.with_sharding_constraint``, with the
dimensions that ``vmap`` added left unconstrained."""
from __future__ import annotations

from funcad.errors import FuncadNotImplementedError
from funcad.ops.sharding import sharding_constraint_p
from funcad_xla._jax import jax
from funcad_xla.rules import register_lowerings


def _with_batch_dims(sharding, ndim: int, unconstrained_dims: tuple[int, ...]):
    """``sharding`` for a value with ``unconstrained_dims`` inserted by ``vmap``."""
    j = jax()
    if not unconstrained_dims:
        return sharding
    if not isinstance(sharding, j.sharding.NamedSharding):
        raise FuncadNotImplementedError(
            "with_sharding_constraint under vmap needs a NamedSharding (its batch axis is "
            f"left unconstrained in the PartitionSpec), got {type(sharding).__name__}")
    P = j.sharding.PartitionSpec
    spec = list(sharding.spec) + [None] * (ndim - len(unconstrained_dims) - len(sharding.spec))
    for d in unconstrained_dims:
        spec.insert(d, P.UNCONSTRAINED)
    return j.sharding.NamedSharding(sharding.mesh, P(*spec))


def _sharding_constraint(x, *, sharding, unconstrained_dims):
    target = _with_batch_dims(sharding, x.ndim, unconstrained_dims)
    return jax().lax.with_sharding_constraint(x, target)


register_lowerings({sharding_constraint_p: _sharding_constraint})
