"""``sharding_constraint``: the identity that tells XLA's SPMD partitioner how to lay out an
intermediate value (``with_sharding_constraint`` in JAX). Its ``sharding`` param is an opaque,
hashable ``jax.sharding`` object that only ``funcad_xla`` reads; on the NumPy backend and
eagerly it does nothing. Linear (it is the identity), so tangents and cotangents carry the
same constraint; under ``vmap`` the batch axis is recorded in ``unconstrained_dims`` and
lowered as unconstrained.
"""
from __future__ import annotations

from funcad.core.rules import batch_rules
from funcad.core.symbolic import not_mapped
from funcad.ops._base import deflinear
from funcad.ops._shapes import new_primitive


def sharding_constraint(x, sharding, unconstrained_dims: tuple[int, ...] = ()):
    return sharding_constraint_p.bind(x, sharding=sharding,
                                      unconstrained_dims=tuple(unconstrained_dims))


def _sharding_constraint_impl(x, *, sharding, unconstrained_dims):
    return x


sharding_constraint_p = new_primitive(
    "sharding_constraint", _sharding_constraint_impl,
    lambda aval, *, sharding, unconstrained_dims: aval)
deflinear(sharding_constraint_p,
          lambda ct, x, **params: [sharding_constraint_p.bind(ct, **params)])


def _sharding_constraint_batch(vals, dims, *, sharding, unconstrained_dims):
    (x,), (d,) = vals, dims
    if d is not_mapped:
        return sharding_constraint(x, sharding, unconstrained_dims), d
    # The batch axis is a new dimension at ``d``: the recorded ones after it move right.
    shifted = tuple(u + 1 if u >= d else u for u in unconstrained_dims)
    return sharding_constraint(x, sharding, tuple(sorted((*shifted, d)))), d


batch_rules[sharding_constraint_p] = _sharding_constraint_batch
