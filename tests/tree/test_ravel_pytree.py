"""``funcad.flatten_util.ravel_pytree`` against ``jax.flatten_util.ravel_pytree`` (float64):
the raveled values and dtype (JAX's promotion of mixed dtypes), the round trip, unravel's
dtypes and errors, and derivatives, ``vmap`` and ``jit`` through ``unravel``."""
from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest
from jax_reference import assert_close_to_jax, jax

import funcad
import funcad.numpy as fnp
from funcad import tree_util as ftu
from funcad.errors import FuncadError
from funcad.flatten_util import ravel_pytree

jfu = pytest.importorskip("jax.flatten_util")
jnp = jax.numpy
BACKENDS = ["numpy"] + (["xla"] if importlib.util.find_spec("funcad_xla") else [])
RNG = np.random.default_rng(3)

TREES = [
    {"w": RNG.normal(size=(2, 3)), "b": RNG.normal(size=3)},
    [RNG.normal(size=4).astype(np.float32), (RNG.normal(size=(1, 2)).astype(np.float32), None)],
    {"f32": np.float32(1.5), "i64": np.arange(3), "b": np.array([True, False])},
    (np.arange(4, dtype=np.int32), np.ones(2, np.float16)),
    [np.arange(3, dtype=np.uint64), np.arange(2, dtype=np.int64)],
    {"c": np.array([1 + 2j, 3 - 1j], np.complex64), "r": np.arange(2.0)},
    (2.5, 3, True, np.float32(0.25)),
    {"deep": [{"x": RNG.normal(size=(2, 2, 2))}, (RNG.normal(size=()),)]},
    [np.zeros((0, 3)), RNG.normal(size=2)],
    [],
    {"a": None},
]


def test_ravel_values_and_dtypes_like_jax():
    for k, tree in enumerate(TREES):
        flat, unravel = ravel_pytree(tree)
        jflat, junravel = jfu.ravel_pytree(tree)
        assert flat.dtype == jflat.dtype, (k, flat.dtype, jflat.dtype)
        assert flat.shape == jflat.shape
        np.testing.assert_array_equal(flat, np.asarray(jflat))
        back, jback = unravel(flat), junravel(jflat)
        assert repr(ftu.tree_structure(back)) == repr(jax.tree_util.tree_structure(jback))
        for a, b, orig in zip(ftu.tree_leaves(back), jax.tree_util.tree_leaves(jback),
                              ftu.tree_leaves(tree), strict=True):
            assert np.asarray(a).dtype == np.asarray(b).dtype == np.asarray(orig).dtype, k
            assert np.shape(a) == np.shape(b) == np.shape(orig)
            np.testing.assert_array_equal(a, np.asarray(orig))


def test_unravel_dtype_rules_like_jax():
    one = {"a": np.arange(3.0), "b": np.ones(2)}
    _, unravel = ravel_pytree(one)
    _, junravel = jfu.ravel_pytree(one)
    f32 = np.arange(5, dtype=np.float32)
    got, want = unravel(f32), junravel(f32)  # one dtype: unravel keeps the given dtype
    assert got["a"].dtype == want["a"].dtype == np.float32
    mixed = {"a": np.arange(3, dtype=np.int32), "b": np.ones(2, np.float32)}
    flat, unravel = ravel_pytree(mixed)
    _, junravel = jfu.ravel_pytree(mixed)
    with pytest.raises(TypeError, match="dtype float32; got an array of dtype float64"):
        unravel(np.arange(5.0))
    with pytest.raises(TypeError):
        junravel(np.arange(5.0))
    back = unravel(flat + np.float32(0.75))  # back to int32: truncated as JAX converts
    jback = junravel(jnp.asarray(flat) + np.float32(0.75))
    np.testing.assert_array_equal(back["a"], np.asarray(jback["a"]))
    assert back["a"].dtype == np.int32
    with pytest.raises(ValueError, match=r"expected a 1-D array of length 5 .* got shape \(4,\)"):
        unravel(flat[:4])
    with pytest.raises(FuncadError):
        unravel(np.ones((5, 1), np.float32))


def test_promotion_table_matches_jax():
    kinds = [np.bool_, np.int8, np.uint8, np.int16, np.uint32, np.int64, np.uint64,
             np.float16, np.float32, np.float64, np.complex64, np.complex128]
    for a, b in itertools.product(kinds, kinds):
        tree = [np.zeros(1, a), np.zeros(2, b)]
        assert ravel_pytree(tree)[0].dtype == jnp.result_type(a, b), (a, b)


def _unravel_program(lib, ravel, unravel_of):
    def loss(flat):
        p = unravel_of(flat)
        h = lib.tanh(p["w"] @ p["x"] + p["b"])
        return lib.sum(h ** 2) + lib.sum(p["x"] ** 3)

    return loss


PARAMS = {"w": RNG.normal(size=(3, 2)), "b": RNG.normal(size=3), "x": RNG.normal(size=2)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_derivatives_vmap_and_jit_through_unravel_like_jax(backend):
    flat, unravel = ravel_pytree(PARAMS)
    jflat, junravel = jfu.ravel_pytree(PARAMS)
    loss = _unravel_program(fnp, ravel_pytree, unravel)
    jloss = _unravel_program(jnp, jfu.ravel_pytree, junravel)
    jj = jax.jit
    assert_close_to_jax(funcad.grad(loss)(flat), jj(jax.grad(jloss))(jflat), 1e-12, 1e-12)
    assert_close_to_jax(funcad.hessian(loss)(flat), jj(jax.hessian(jloss))(jflat), 1e-11, 1e-11)
    v = RNG.normal(size=flat.shape)
    assert_close_to_jax(funcad.jvp(loss, (flat,), (v,)),
                        jj(lambda a, b: jax.jvp(jloss, (a,), (b,)))(jflat, v), 1e-12, 1e-12)
    batch = np.stack([flat, 2 * flat, -flat])
    assert_close_to_jax(funcad.vmap(funcad.grad(loss))(batch),
                        jj(jax.vmap(jax.grad(jloss)))(batch), 1e-12, 1e-12)
    jitted = funcad.jit(funcad.value_and_grad(loss), backend=backend)
    assert_close_to_jax(jitted(flat), jax.value_and_grad(jloss)(jflat), 1e-12, 1e-12)
    # unravel's output, differentiated with respect to the tree it came from
    cot = funcad.vjp(unravel, flat)[1](ftu.tree_map(np.ones_like, PARAMS))[0]
    np.testing.assert_array_equal(cot, np.ones_like(flat))


@pytest.mark.parametrize("backend", BACKENDS)
def test_ravel_inside_transforms_like_jax(backend):
    def program(lib, ravel):
        def f(tree):
            flat, unravel = ravel(tree)
            back = unravel(lib.sin(flat) * flat)
            return lib.sum(back["w"]) * lib.sum(back["x"]) + lib.sum(flat ** 2)
        return f

    f, jf = program(fnp, ravel_pytree), program(jnp, jfu.ravel_pytree)
    assert_close_to_jax(funcad.grad(f)(PARAMS), jax.grad(jf)(PARAMS), 1e-12, 1e-12)
    assert_close_to_jax(funcad.jit(f, backend=backend)(PARAMS), jf(PARAMS), 1e-12, 1e-12)
    assert_close_to_jax(funcad.jit(lambda t: ravel_pytree(t)[0], backend=backend)(PARAMS),
                        jfu.ravel_pytree(PARAMS)[0], 0, 0)
    batched = ftu.tree_map(lambda x: np.stack([x, 2 * x]), PARAMS)
    assert_close_to_jax(funcad.vmap(lambda t: ravel_pytree(t)[0])(batched),
                        jax.vmap(lambda t: jfu.ravel_pytree(t)[0])(batched), 0, 0)
