"""funcad.testing with complex numbers: check_grads differentiates along real and
imaginary directions (and catches rules wrong along either), numerical_grad follows JAX's
gradient convention, and the hypothesis strategies draw complex arrays."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.core.rules import jvp_rules, transpose_rules
from funcad.ops import complex_parts as cp
from funcad.testing import check_grads
from funcad.testing.finite_differences import numerical_grad
from funcad.testing.strategies import arrays

Z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 0.2 - 1.1j])


@pytest.mark.parametrize("fn", [
    lambda z: fnp.sin(z) * fnp.conj(z),
    lambda z: fnp.abs(z) ** 2 + fnp.angle(z),
    lambda z: fnp.fft.fft(z * z),
    lambda z: fnp.real(z) * fnp.imag(z) + 1j * fnp.exp(z),
])
def test_check_grads_passes_on_complex_functions(fn):
    check_grads(fn, (Z,), order=2)
    check_grads(fn, (Z.astype(np.complex64),), order=1)


def test_check_grads_mixed_real_and_complex_arguments():
    check_grads(lambda x, z: x * z + fnp.real(z) * x, (np.array([0.3, 0.4, 0.5]), Z), order=2)


def _with_rule(table, prim, rule, fn):
    old = table[prim]
    table[prim] = rule
    try:
        fn()
    finally:
        table[prim] = old


def test_check_grads_catches_a_jvp_wrong_only_along_imaginary_directions():
    """conj with the identity as JVP is right along real directions and wrong along
    imaginary ones: only the imaginary check sees it."""
    def identity_jvp(primals, tangents):
        return cp.conj(primals[0]), tangents[0]

    def run():
        with pytest.raises(AssertionError, match="JVP vs central differences"):
            check_grads(fnp.conj, (Z,), modes=("fwd",))

    _with_rule(jvp_rules, cp.conj_p, identity_jvp, run)


def test_check_grads_catches_a_conjugated_transpose():
    """imag's transpose conjugated (complex(0, ct) instead of complex(0, -ct)) breaks the
    dot-product identity Re<ct, J t> = Re<J^T ct, t>."""
    def wrong(ct, x):
        return [cp.complex(fnp.zeros_like(ct), ct)]

    def run():
        with pytest.raises(AssertionError, match="VJP vs JVP"):
            check_grads(fnp.imag, (Z,), modes=("rev",))

    _with_rule(transpose_rules, cp.imag_p, wrong, run)


def test_numerical_grad_is_jax_convention():
    def loss(ns, z):
        return ns.sum(ns.abs(z**2 - 1j) ** 2 + ns.real(z) * ns.imag(z))

    num = numerical_grad(lambda z: loss(np, z), Z)
    want = np.asarray(jax.grad(lambda z: loss(jax.numpy, z))(Z))
    np.testing.assert_allclose(num, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(funcad.grad(lambda z: loss(fnp, z))(Z), want, rtol=1e-12)


@settings(max_examples=10, deadline=None)
@given(arrays((3,), np.complex128, (-1.0, 1.0), avoid=(0j,), margin=0.1,
              imag_domain=(-0.5, 0.5)))
def test_complex_strategy_draws_complex_arrays_in_domain(z):
    assert z.dtype == np.complex128 and z.shape == (3,)
    assert np.all(np.abs(z.real) <= 1.0) and np.all(np.abs(z.imag) <= 0.5)
    assert np.all(np.abs(z) >= 0.1)
    check_grads(lambda v: fnp.sin(v) * fnp.conj(v) / fnp.abs(v), (z,), order=1)


@settings(max_examples=5, deadline=None)
@given(arrays((2, 2), np.complex64))
def test_complex64_strategy(z):
    assert z.dtype == np.complex64 and np.all(np.abs(z.real) <= 2) and np.all(np.abs(z.imag) <= 2)
