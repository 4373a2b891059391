"""Derivatives through complex values, with JAX's conventions and numbers (float64).

Each of the first cases once returned a wrong value, then was refused until funcad had
``real``/``imag``/``conj``: ``grad(|i x|)`` gave 0 (the answer is 1), ``grad(sum |exp(i
x)|)`` gave -sin(x) (the answer is 0), ``grad(|z|^2)`` at a complex point raised in ``mul``,
and ``vjp(lambda x: 1j * x)`` could not transpose the real-to-complex conversion."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax

import funcad
import funcad.numpy as fnp

jnp = jax.numpy
TOL = {"rtol": 1e-14, "atol": 1e-15}


def test_grad_of_abs_of_i_x_is_one():
    assert funcad.grad(lambda x: fnp.abs(1j * x))(1.5) == 1.0  # JAX: 1.0
    np.testing.assert_array_equal(  # JAX: [1, -1]
        funcad.vmap(funcad.grad(lambda x: fnp.abs(1j * x)))(np.array([1.0, -2.0])), [1, -1])


def test_grad_of_the_modulus_of_exp_ix_is_zero():
    x = np.array([0.3, 0.5])
    got = funcad.grad(lambda v: fnp.sum(fnp.abs(fnp.exp(1j * v))))(x)
    np.testing.assert_allclose(got, 0.0, atol=1e-15)  # JAX: ~1e-17, rounding


def test_grad_of_abs_squared_at_a_complex_point_is_twice_the_conjugate():
    z = 1 + 2j
    got = funcad.grad(lambda v: fnp.abs(v) ** 2)(z)
    assert got == 2 - 4j  # JAX: (2-4j) = 2 conj(z)
    assert_close_to_jax(got, jax.grad(lambda v: jnp.abs(v) ** 2)(z), **TOL)


def test_vjp_of_a_real_to_complex_scaling_takes_the_real_part():
    _, pullback = funcad.vjp(lambda x: 1j * x, 1.5)
    (ct,) = pullback(1 + 2j)
    assert ct == -2.0 and np.asarray(ct).dtype == np.float64  # JAX: -2.0, float64
    assert_close_to_jax(pullback(1 + 2j), jax.vjp(lambda x: 1j * x, 1.5)[1](1 + 2j), **TOL)


Z = np.array([1 + 2j, 0j, -3.5 + 0.5j])
DZ = np.array([0.3 - 1j, 1 + 1j, 2j])


@pytest.mark.parametrize("backend", [None, "numpy", "xla"])
def test_jvp_of_abs_at_complex_values_matches_jax(backend):
    def f(z, t):
        return funcad.jvp(fnp.abs, (z,), (t,))

    f = f if backend is None else funcad.jit(f, backend=backend)
    got = f(Z, DZ)  # JAX: ([2.236, 0, 3.536], [-0.760, 0 (at z = 0), 0.283])
    assert_close_to_jax(got, jax.jvp(jnp.abs, (Z,), (DZ,)), **TOL)
    assert got[1][1] == 0.0


def test_jvp_of_sign_at_complex_values_is_zero_as_jax():
    # jax.lax.sign has a zero JVP everywhere (jvp(jnp.sign, (1+2j,), (1,)) is 0j).
    ans, t = funcad.jvp(fnp.sign, (np.array(1 + 2j),), (np.array(1 + 0j),))
    want = jax.jvp(jnp.sign, (np.array(1 + 2j),), (np.array(1 + 0j),))
    assert_close_to_jax((ans, t), want, **TOL)
    assert t == 0 and t.dtype == np.complex128


def test_grad_of_abs_at_zero_and_in_complex64_match_jax():
    assert funcad.grad(fnp.abs)(0j) == 0  # JAX: 0j
    z = np.complex64(3 - 4j)
    got = funcad.grad(fnp.abs)(z)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, jax.grad(jnp.abs)(z), rtol=1e-6)  # JAX: 0.6+0.8j


def test_second_derivatives_through_abs_of_a_complex_value_match_jax():
    def f(m):
        return lambda x: m.abs(x * (1 + 2j)) ** 3

    got = funcad.hessian(f(fnp))(0.7)
    assert_close_to_jax(got, jax.hessian(f(jnp))(0.7), rtol=1e-13, atol=0)  # JAX: 46.957...


def test_real_derivatives_of_abs_and_sign_are_unchanged():
    x = np.array([-2.0, 0.5, 0.0])
    np.testing.assert_array_equal(funcad.grad(lambda v: fnp.sum(fnp.abs(v)))(x), [-1, 1, 1])
    np.testing.assert_array_equal(funcad.grad(lambda v: fnp.sum(fnp.sign(v) * v))(x),
                                  np.sign(x))
    # Complex values pass through abs when nothing is differentiated with respect to them.
    np.testing.assert_allclose(funcad.grad(lambda v: v * fnp.abs(3 + 4j))(2.0), 5.0)
