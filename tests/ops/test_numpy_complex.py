"""``funcad.numpy``'s complex-number functions (``real imag conj conjugate angle
iscomplexobj isrealobj iscomplex isreal``) and tracer ``.real .imag .conj()``: values and
dtypes as NumPy's on complex, real, integer and Python-scalar operands; derivatives as
JAX's (float64)."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadNotImplementedError

jnp = jax.numpy

Z = np.array([1.0 + 2.0j, -3.0 - 4.0j, 0.0j, -0.5 + 0.0j])
X = np.array([1.0, -2.0, 0.0, 0.5])
OPERANDS = [Z, Z.astype(np.complex64), X, X.astype(np.float32), np.arange(-2, 2), 1.5,
            2 - 1j, 3, np.array(True)]
FUNCTIONS = ["real", "imag", "conj", "conjugate", "angle", "iscomplex", "isreal",
             "iscomplexobj", "isrealobj"]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("x", OPERANDS, ids=lambda x: f"{np.asarray(x).dtype}")
def test_values_and_dtypes_match_numpy(name, x):
    ours, want = getattr(fnp, name)(x), getattr(np, name)(x)
    np.testing.assert_array_equal(ours, want)
    assert np.asarray(ours).dtype == np.asarray(want).dtype
    jitted = funcad.jit(getattr(fnp, name), backend="numpy")(x)
    np.testing.assert_array_equal(jitted, want)


def test_angle_in_degrees():
    np.testing.assert_allclose(fnp.angle(Z, deg=True), np.angle(Z, deg=True), rtol=1e-15)
    np.testing.assert_allclose(fnp.angle(X, deg=True), np.angle(X, deg=True), rtol=1e-15)


def test_tracer_attributes_under_jit_and_vmap():
    def parts(z):
        return z.real, z.imag, z.conj(), z.conjugate()

    want = (Z.real, Z.imag, Z.conj(), Z.conj())
    for run in (funcad.jit(parts, backend="numpy"), funcad.jit(parts, backend="xla"),
                funcad.vmap(parts)):
        for got, w in zip(run(Z), want):
            np.testing.assert_array_equal(got, w)
    # A real tracer's .real is itself and its .imag zeros, as NumPy's.
    r, i, c, _ = funcad.jit(parts)(X)
    np.testing.assert_array_equal(r, X)
    np.testing.assert_array_equal(i, np.zeros_like(X))
    np.testing.assert_array_equal(c, X)


LOSSES = [
    ("real of a complex product", lambda m: lambda x: m.sum(m.real(x * (1 + 2j)) ** 2)),
    ("imag of exp(ix)", lambda m: lambda x: m.sum(m.imag(m.exp(1j * x)))),
    ("angle of exp(ix)", lambda m: lambda x: m.sum(m.angle(m.exp(1j * x)))),
    ("conj product", lambda m: lambda x: m.sum(m.real(m.conj(x * 1j) * (x + 2j)))),
    ("attributes", lambda m: lambda x: m.sum((x * (2 - 1j)).imag * (x * 1j).real)),
]


@pytest.mark.parametrize(("name", "loss"), LOSSES, ids=[n for n, _ in LOSSES])
def test_gradients_of_real_losses_match_jax(name, loss):
    x = np.array([0.3, -0.7, 1.1])
    want = jax.grad(loss(jnp))(x)
    assert_close_to_jax(funcad.grad(loss(fnp))(x), want, rtol=1e-13, atol=1e-14)
    assert_close_to_jax(funcad.jit(funcad.grad(loss(fnp)), backend="numpy")(x), want,
                        rtol=1e-13, atol=1e-14)


def test_vjp_of_angle_and_parts_at_complex_values_match_jax():
    z, ct = Z[:2], np.array([0.5, -2.0])
    for f, jf in [(fnp.angle, jnp.angle), (fnp.real, jnp.real), (fnp.imag, jnp.imag)]:
        assert_close_to_jax(funcad.vjp(f, z)[1](ct), jax.vjp(jf, z)[1](ct),
                            rtol=1e-14, atol=1e-15)
    ct = np.array([1 + 1j, 2 - 3j])
    assert_close_to_jax(funcad.vjp(fnp.conj, z)[1](ct), jax.vjp(jnp.conj, z)[1](ct),
                        rtol=1e-14, atol=1e-15)


def test_vdot_conjugates_its_first_operand_and_differentiates_as_jax():
    a, b = np.array([1 + 2j, 3 - 1j]), np.array([2 - 1j, 1j])
    np.testing.assert_allclose(fnp.vdot(a, b), np.vdot(a, b))
    with jax.enable_x64(True):
        want = jax.grad(lambda u: jnp.abs(jnp.vdot(u, b)) ** 2)(a)
    np.testing.assert_allclose(funcad.grad(lambda u: fnp.abs(fnp.vdot(u, b)) ** 2)(a), want)


def test_complex_matrix_derivatives_without_a_rule_are_refused_by_name():
    # The decompositions, pinv and expm differentiate complex matrices
    # (tests/transforms/test_complex_linalg_vs_jax.py); eig's eigenvectors do not, as in JAX.
    x = np.array([[1.0, 2.0], [0.5, -1.0]]) + 0.5j
    with pytest.raises(FuncadNotImplementedError, match="eigenvectors of `eig`"):
        funcad.grad(lambda a: fnp.sum(fnp.abs(fnp.linalg.eig(a)[1])))(x)
    with jax.enable_x64(True):
        want = jax.grad(lambda a: jnp.sum(jnp.abs(jnp.linalg.pinv(a))))(x)
    np.testing.assert_allclose(funcad.grad(lambda a: fnp.sum(fnp.abs(fnp.linalg.pinv(a))))(x),
                               want, rtol=1e-12, atol=1e-13)
