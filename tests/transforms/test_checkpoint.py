"""``checkpoint`` (remat): the same derivatives, fewer stored residuals; the residuals are
recomputed in the backward pass; under jit (both backends), vmap, scan and nesting; against
JAX (float64)."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax

import funcad.numpy as fnp
from funcad import checkpoint, grad, hessian, jacfwd, jit, lax, linearize, make_jaxpr, vmap
from funcad.checkpoint import remat_p
from funcad.errors import FuncadTypeError
from funcad.ir import typecheck_jaxpr

jnp = jax.numpy
close = functools.partial(assert_close_to_jax, rtol=1e-12, atol=1e-14)


def chain(N, x, w):
    for _ in range(4):
        x = N.sin(x * w) * N.cos(x)
    return x


def loss(x, w):
    return chain(fnp, x, w).sum()


X = np.array([0.3, 1.2, -0.4])
W = 0.7


def test_checkpoint_drops_the_stored_residuals():
    out1, f1 = linearize(loss, X, W)
    out2, f2 = linearize(checkpoint(loss), X, W)
    close(out1, out2)
    close(f2(np.ones(3), 1.0), f1(np.ones(3), 1.0))
    n_plain, n_remat = len(f1.linear_jaxpr.consts), len(f2.linear_jaxpr.consts)
    assert n_plain >= 12  # sin, cos, ... of every step
    assert n_remat <= 2  # only the inputs x and w
    # inside a scan, only the body's inputs are stacked per step
    def run(body):
        return lambda x: lax.scan(lambda c, _: (body(c), None), x, None, length=30)[0].sum()

    step = lambda c: chain(fnp, c, W)  # noqa: E731
    stacked = [len([c for c in linearize(run(b), X)[1].linear_jaxpr.consts
                    if np.shape(c)[:1] == (30,)]) for b in (step, checkpoint(step))]
    assert stacked[0] >= 8 and stacked[1] == 1


def test_residuals_are_recomputed_in_the_backward_pass():
    jaxpr = make_jaxpr(grad(checkpoint(loss)))(X, W)
    remats = [e for e in jaxpr.jaxpr.eqns if e.primitive is remat_p]
    assert len(remats) == 2  # the forward pass, and the backward pass with the recomputation
    # It is fed with the inputs x and w and the cotangent only, and recomputes every sin.
    assert len(remats[1].invars) == 3
    backward = remats[1].params["jaxpr"].jaxpr
    assert sum(e.primitive.name == "sin" for e in backward.eqns) >= 4
    typecheck_jaxpr(jaxpr)


def test_checkpoint_derivatives_equal_the_plain_ones_and_jax():
    g = grad(loss, (0, 1))(X, W)
    close(grad(checkpoint(loss), (0, 1))(X, W), g)
    with jax.disable_jit():
        close(g, jax.grad(jax.checkpoint(lambda x, w: chain(jnp, x, w).sum()), (0, 1))(X, W))
    close(hessian(checkpoint(loss))(X, W), hessian(loss)(X, W))
    close(jacfwd(checkpoint(lambda x: chain(fnp, x, W)))(X),
          jacfwd(lambda x: chain(fnp, x, W))(X))
    xs = np.stack([X, 2 * X])
    close(vmap(grad(checkpoint(loss)), (0, None))(xs, W), vmap(grad(loss), (0, None))(xs, W))
    close(grad(lambda x: vmap(checkpoint(loss), (0, None))(x, W).sum())(xs),
          vmap(grad(loss), (0, None))(xs, W))
    nested = checkpoint(lambda x, w: checkpoint(loss)(x, w) * fnp.sin(w))
    close(grad(nested, 1)(X, W), grad(lambda x, w: loss(x, w) * fnp.sin(w), 1)(X, W))


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_checkpoint_under_jit(backend):
    g = grad(loss, (0, 1))(X, W)
    close(jit(grad(checkpoint(loss), (0, 1)), backend=backend)(X, W), g)
    close(grad(jit(checkpoint(loss), backend=backend), (0, 1))(X, W), g)
    close(jit(checkpoint(loss), backend=backend)(X, W), loss(X, W))


def test_checkpoint_static_argnums_and_policy():
    def power(x, n):
        for _ in range(n):
            x = fnp.sin(x)
        return x

    f = checkpoint(power, static_argnums=(1,))
    close(grad(f)(0.5, 3), grad(lambda x: power(x, 3))(0.5))
    with pytest.raises(FuncadTypeError, match="policy"):
        checkpoint(power, policy="everything")  # (policies: test_checkpoint_policies.py)
    g = checkpoint(power, static_argnums=(1,), policy=lambda *a, **p: True)
    close(grad(g)(0.5, 3), grad(lambda x: power(x, 3))(0.5))
