"""Derivatives at kinks follow JAX's conventions: abs at 0, max/min at ties (split evenly),
relu at 0, sqrt at 0, where with a constant predicate, floor/round/sign (zero)."""
from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # this module only compares in float64
import jax.numpy as jnp  # noqa: E402

import funcad  # noqa: E402
import funcad.nn  # noqa: E402
import funcad.numpy as fnp  # noqa: E402

KINKS = {
    "abs_at_0": (lambda ns, nn, x: ns.abs(x), 0.0),
    "maximum_tie": (lambda ns, nn, x: ns.maximum(x, 1.0), 1.0),
    "minimum_tie": (lambda ns, nn, x: ns.minimum(x, 1.0), 1.0),
    "maximum_self": (lambda ns, nn, x: ns.maximum(x, x) * 3.0, 0.5),
    "relu_at_0": (lambda ns, nn, x: nn.relu(x), 0.0),
    "sqrt_at_0": (lambda ns, nn, x: ns.sqrt(x), 0.0),
    "where_const_pred": (lambda ns, nn, x: ns.where(True, x * 2.0, x * 3.0), 0.7),
    "where_at_boundary": (lambda ns, nn, x: ns.where(x > 0.0, x**2, -x), 0.0),
    "floor": (lambda ns, nn, x: ns.floor(x) + x, 1.0),
    "round": (lambda ns, nn, x: ns.round(x) * x, 2.5),
    "sign": (lambda ns, nn, x: ns.sign(x) * x, 0.0),
    "clip_at_edge": (lambda ns, nn, x: ns.clip(x, 0.0, 1.0), 1.0),
    "softplus_at_0": (lambda ns, nn, x: nn.softplus(x), 0.0),
    "power_zero_base": (lambda ns, nn, x: x**2.5, 0.0),
    "integer_power_zero": (lambda ns, nn, x: x**3, 0.0),
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_derivative_at_kink_matches_jax(name):
    fn, x = KINKS[name]
    with np.errstate(divide="ignore"):  # sqrt's derivative at 0 is 1/0 = inf, as in JAX
        ours = funcad.grad(lambda v: fn(fnp, funcad.nn, v))(x)
    theirs = jax.grad(lambda v: fn(jnp, jax.nn, v))(x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0, err_msg=name)
    ours2 = funcad.grad(funcad.grad(lambda v: fn(fnp, funcad.nn, v)))(x + 0.25)
    theirs2 = jax.grad(jax.grad(lambda v: fn(jnp, jax.nn, v)))(x + 0.25)
    np.testing.assert_allclose(ours2, theirs2, rtol=1e-12, atol=1e-15, err_msg=name)
