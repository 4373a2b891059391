"""``real``, ``imag``, ``conj`` and ``complex`` against ``jax.lax`` in float64: values,
JVPs, VJPs with complex cotangents and linear transposes (JAX's conventions: the plain
transpose of the map on pairs of reals), eagerly, under ``jit`` (numpy and xla) and under
``vmap``. (The op-spec harness draws no complex arrays yet, so these rows live here.)"""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax

import funcad
from funcad import lax
from funcad.errors import PrimitiveTypeError

jlax = jax.lax

Z = np.array([1.5 - 2.0j, -0.25 + 0.5j, 3.0 + 0.0j])
X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.25, 0.0, -3.0])

# name, funcad op, jax op, primal arguments
CASES = [
    ("real", lax.real, jlax.real, (Z,)),
    ("imag", lax.imag, jlax.imag, (Z,)),
    ("conj", lax.conj, jlax.conj, (Z,)),
    ("conj_of_real", lax.conj, jlax.conj, (X,)),
    ("complex", lax.complex, jlax.complex, (X, Y)),
]
IDS = [c[0] for c in CASES]
TOL = {"rtol": 1e-14, "atol": 1e-14}


def _tangent(x, k):
    rng = np.random.default_rng(k)
    t = rng.normal(size=x.shape)
    return t + 1j * rng.normal(size=x.shape) if x.dtype.kind == "c" else t


@pytest.mark.parametrize(("name", "ours", "theirs", "args"), CASES, ids=IDS)
def test_values_match_jax_and_numpy(name, ours, theirs, args):
    out = ours(*args)
    assert_close_to_jax(out, theirs(*args), **TOL)
    assert out.dtype == np.asarray(theirs(*args)).dtype
    ref = {"real": np.real, "imag": np.imag, "conj": np.conj}.get(name.split("_")[0])
    if ref is not None:
        np.testing.assert_array_equal(out, ref(args[0]))


@pytest.mark.parametrize("transform", ["eager", "jit_numpy", "jit_xla", "vmap"])
@pytest.mark.parametrize(("name", "ours", "theirs", "args"), CASES, ids=IDS)
def test_jvp_and_vjp_match_jax(name, ours, theirs, args, transform):
    tangents = tuple(_tangent(a, k) for k, a in enumerate(args))
    out = np.asarray(theirs(*args))
    ct = _tangent(out, 7)

    def jvp(*p):
        return funcad.jvp(ours, p[: len(args)], p[len(args):])

    def vjp(*p):
        return funcad.vjp(ours, *p[:-1])[1](p[-1])

    if transform == "jit_numpy":
        jvp, vjp = funcad.jit(jvp, backend="numpy"), funcad.jit(vjp, backend="numpy")
    elif transform == "jit_xla":
        jvp, vjp = funcad.jit(jvp, backend="xla"), funcad.jit(vjp, backend="xla")
    elif transform == "vmap":  # a batch of two: the arguments and their negatives
        def stack(vals):
            return tuple(np.stack([v, -v]) for v in vals)
        got_jvp = funcad.vmap(jvp)(*stack(args + tangents))
        got_vjp = funcad.vmap(vjp)(*stack(args + (ct,)))
        want_jvp = jax.vmap(lambda *p: jax.jvp(theirs, p[: len(args)], p[len(args):]))(
            *stack(args + tangents))
        want_vjp = jax.vmap(lambda *p: jax.vjp(theirs, *p[:-1])[1](p[-1]))(*stack(args + (ct,)))
        assert_close_to_jax(got_jvp, want_jvp, **TOL)
        assert_close_to_jax(got_vjp, want_vjp, **TOL)
        return
    assert_close_to_jax(jvp(*args, *tangents), jax.jvp(theirs, args, tangents), **TOL)
    assert_close_to_jax(vjp(*args, ct), jax.vjp(theirs, *args)[1](ct), **TOL)


@pytest.mark.parametrize(("name", "ours", "theirs", "args"), CASES, ids=IDS)
def test_linear_transpose_matches_jax(name, ours, theirs, args):
    ct = _tangent(np.asarray(theirs(*args)), 3)
    assert_close_to_jax(funcad.linear_transpose(ours, *args)(ct),
                        jax.linear_transpose(theirs, *args)(ct), **TOL)


def test_the_transposes_quoted_in_the_docs():
    # real: ct -> complex(ct, 0); imag: ct -> complex(0, -ct); conj: ct -> conj(ct), or
    # real(ct) for a real operand; complex(x, y): ct -> (real(ct), -imag(ct)).
    assert funcad.linear_transpose(lax.real, 1j)(3.0)[0] == 3
    assert funcad.linear_transpose(lax.imag, 1j)(3.0)[0] == -3j
    assert funcad.linear_transpose(lax.conj, 1j)(3 + 4j)[0] == 3 - 4j
    assert funcad.linear_transpose(lax.conj, 1.0)(3 + 4j)[0] == 3
    assert funcad.linear_transpose(lax.complex, 1.0, 2.0)(3 + 4j) == (3, -4)


def test_dtypes_and_weak_types():
    z64 = Z.astype(np.complex64)
    assert lax.real(z64).dtype == np.float32 and lax.imag(z64).dtype == np.float32
    assert lax.conj(X.astype(np.float32)).dtype == np.complex64
    assert lax.complex(X.astype(np.float32), 2.0).dtype == np.complex64
    assert funcad.make_jaxpr(lambda x: lax.complex(x, 1.0))(X).out_avals[0].dtype == np.complex128


@pytest.mark.parametrize("bad", [
    lambda: lax.real(X), lambda: lax.imag(X), lambda: lax.conj(np.arange(3)),
    lambda: lax.complex(np.arange(3), np.arange(3)), lambda: lax.complex(X, X[:2]),
    lambda: lax.complex(X, X.astype(np.float32)),
])
def test_wrong_operands_are_type_errors(bad):
    with pytest.raises(PrimitiveTypeError):
        bad()
    with pytest.raises(PrimitiveTypeError):
        funcad.jit(lambda: bad(), backend="numpy")()
