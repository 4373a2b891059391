"""``funcad.closure_convert`` as ``jax.closure_convert``: the converted function takes the
hoisted closed-over values as trailing arguments; what is hoisted (traced values that may
carry derivatives, not concrete arrays) is what JAX hoists; and the use JAX documents, a
``custom_vjp`` fixed-point solver taking a function that closes over the parameters being
differentiated, gives JAX's gradients and the finite-difference ones, eagerly and under
``jit`` on both backends."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadTypeError
from funcad.testing import numerical_grad

jnp = jax.numpy
STEPS = 80


def fixed_point_program(ns, xp):
    """A JAX-style program, written once against a namespace (funcad or jax)."""

    @functools.partial(ns.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, x0, *params):
        return ns.lax.fori_loop(0, STEPS, lambda i, x: f(x, *params), x0)

    def fwd(f, x0, *params):
        x = fixed_point(f, x0, *params)
        return x, (x, params)

    def bwd(f, res, x_bar):
        x, params = res
        _, vjp_x = ns.vjp(lambda v: f(v, *params), x)
        w = x_bar
        for _ in range(STEPS):  # w = x_bar + (df/dx)^T w: the implicit function theorem
            w = x_bar + vjp_x(w)[0]
        _, vjp_p = ns.vjp(lambda *p: f(x, *p), *params)
        return (xp.zeros_like(x), *vjp_p(w))

    fixed_point.defvjp(fwd, bwd)
    hoisted_counts = []

    def solve(f, x0):
        converted, consts = ns.closure_convert(f, x0)
        hoisted_counts.append(len(consts))
        return fixed_point(converted, x0, *consts)

    def loss(theta, scale):
        table = xp.asarray(np.array([1.0, 2.0, 3.0]))  # concrete: stays closed over
        return solve(lambda x: xp.cos(x * theta) * scale + table / 10, xp.zeros(3)).sum()

    return loss, hoisted_counts


def _unrolled(theta, scale):
    x = np.zeros(3)
    for _ in range(STEPS):
        x = np.cos(x * theta) * scale + np.array([1.0, 2.0, 3.0]) / 10
    return x.sum()


THETA, SCALE = np.array([0.4, 0.5, 0.3]), 0.8


@pytest.mark.parametrize("backend", [None, "numpy", "xla"])
def test_custom_vjp_fixed_point_with_closure_convert(backend):
    ours, our_counts = fixed_point_program(funcad, fnp)
    theirs, their_counts = fixed_point_program(jax, jnp)
    g = funcad.grad(ours, (0, 1))
    if backend is not None:
        g = funcad.jit(g, backend=backend)
    got = g(THETA, SCALE)
    ref = jax.grad(theirs, (0, 1))(THETA, SCALE)
    np.testing.assert_allclose(got[0], np.asarray(ref[0]), rtol=1e-10)
    np.testing.assert_allclose(got[1], np.asarray(ref[1]), rtol=1e-10)
    np.testing.assert_allclose(got[0], numerical_grad(lambda t: _unrolled(t, SCALE), THETA),
                               rtol=1e-7)
    np.testing.assert_allclose(ours(THETA, SCALE), _unrolled(THETA, SCALE), rtol=1e-12)
    theirs(THETA, SCALE)
    # What is hoisted: theta and scale when traced (2), nothing when concrete; never the
    # concrete table. The same counts as JAX's.
    assert our_counts[0] == their_counts[0] == 2
    assert our_counts[-1] == their_counts[-1] == 0


def test_converted_function_and_what_is_hoisted():
    def under(transform, ns, xp):
        seen = []

        def outer(w, k):
            f = lambda x, y: {"s": xp.sin(x * w) + y, "k": k}  # noqa: E731
            conv, consts = ns.closure_convert(f, 1.0, 2.0)
            seen.append(len(consts))
            out, ref = conv(0.5, 2.0, *consts), f(0.5, 2.0)
            return out["s"] * 2 - ref["s"] + (out["k"] - ref["k"])  # (equal values)
        value = transform(ns, outer)(0.7, 3)
        return seen, np.asarray(value).tolist()

    transforms = [
        lambda ns, f: f,
        lambda ns, f: ns.grad(f),
        lambda ns, f: ns.jit(f),
        lambda ns, f: lambda w, k: ns.vmap(f, (0, None))(np.array([w, w]), k),
    ]
    for t in transforms:
        (ours, our_value), (theirs, their_value) = under(t, funcad, fnp), under(t, jax, jnp)
        assert ours == theirs
        np.testing.assert_allclose(our_value, their_value, rtol=1e-14)
    conv, consts = funcad.closure_convert(lambda x: x * 2, np.ones(3))
    np.testing.assert_array_equal(conv(np.arange(3.0)), 2 * np.arange(3.0))
    assert consts == []
    with pytest.raises(FuncadTypeError, match="pytree structure"):
        conv((np.ones(3), np.ones(3)))
