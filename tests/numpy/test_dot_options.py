"""JAX's ``precision`` and ``preferred_element_type`` options of the products
(``funcad.numpy`` dot, matmul, tensordot, inner, vdot, vecdot, einsum in both forms,
``linalg.matmul``/``multi_dot``; ``funcad.lax`` dot and dot_general) and
``funcad.lax.Precision``: the result dtype and values equal jax.numpy's / jax.lax's
(float64 mode) eagerly and under jit on both backends, derivatives pass through the
accumulator type, and a bad precision is a funcad error naming the function."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.errors import FuncadValueError

jnp = jax.numpy
rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4)).astype(np.float32)
B = rng.normal(size=(4, 2)).astype(np.float32)
AI = rng.integers(-50, 50, (3, 4)).astype(np.int8)
BI = rng.integers(-50, 50, (4, 2)).astype(np.int8)

PRODUCTS = {
    "dot": lambda m, x, y, **k: m.dot(x, y, **k),
    "matmul": lambda m, x, y, **k: m.matmul(x, y, **k),
    "tensordot": lambda m, x, y, **k: m.tensordot(x, y, 1, **k),
    "inner": lambda m, x, y, **k: m.inner(x, y.T, **k),
    "vdot": lambda m, x, y, **k: m.vdot(x[:, :2], y[:3], **k),
    "vecdot": lambda m, x, y, **k: m.vecdot(x, x, **k),
    "einsum": lambda m, x, y, **k: m.einsum("ij,jk->ik", x, y, **k),
    "einsum interleaved": lambda m, x, y, **k: m.einsum(x, [0, 1], y, [1, 2], [0, 2], **k),
    "linalg.matmul": lambda m, x, y, **k: m.linalg.matmul(x, y, **k),
    "linalg.tensordot": lambda m, x, y, **k: m.linalg.tensordot(x, y, axes=1, **k),
    "lax.dot": lambda m, x, y, **k: (lax if m is fnp else jax.lax).dot(x, y, **k),
}
# (operands, preferred_element_type): a wider accumulator, integer accumulation, a narrower
# result, none.
OPERANDS = [(A, B, np.float64), (AI, BI, np.int32), (A.astype(np.float64), B.astype(np.float64),
                                                     np.float32), (A, B, None)]
PRECISIONS = [None, "highest", "tensorfloat32", ("high", "highest")]


@pytest.mark.parametrize("name", PRODUCTS)
def test_options_give_jax_dtypes_and_values(name):
    f = PRODUCTS[name]
    for x, y, pet in OPERANDS:
        kw = {} if pet is None else {"preferred_element_type": pet}
        for precision in PRECISIONS:
            expected = f(jnp, x, y, precision=precision, **kw)
            ours = [f(fnp, x, y, precision=precision, **kw)]
            for backend in ("numpy", "xla"):
                ours.append(funcad.jit(lambda x, y, p=precision, kw=kw: f(fnp, x, y, precision=p,
                                                                          **kw),
                                       backend=backend)(x, y))
            for got in ours:
                got = np.asarray(got)
                assert got.dtype == expected.dtype, (name, pet, got.dtype, expected.dtype)
                np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_precision_objects_and_names():
    for name, member in (("highest", "HIGHEST"), ("float32", "HIGHEST"), ("high", "HIGH"),
                         ("tensorfloat32", "HIGH"), ("bfloat16", "DEFAULT"),
                         ("default", "DEFAULT"), ("fastest", "DEFAULT")):
        assert lax.Precision(name) is lax.Precision[member]
        assert str(jax.lax.Precision(name)) == str(lax.Precision(name))
    # jax.lax.Precision values are accepted as they are.
    out = lax.dot_general(A, B, (((1,), (0,)), ((), ())), jax.lax.Precision.HIGHEST, np.float64)
    np.testing.assert_allclose(out, jax.lax.dot_general(
        A, B, (((1,), (0,)), ((), ())), jax.lax.Precision.HIGHEST, np.float64), rtol=1e-12)
    np.testing.assert_allclose(fnp.linalg.multi_dot([A, B, B.T], precision=lax.Precision.HIGH),
                               jnp.linalg.multi_dot([A, B, B.T], precision="high"), rtol=1e-5)


def test_a_bad_precision_is_a_funcad_error():
    for call in (lambda: fnp.dot(A, B, precision="bogus"),
                 lambda: fnp.einsum("ij,jk", A, B, precision=3),
                 lambda: lax.dot_general(A, B, (((1,), (0,)), ((), ())), ("high",)),
                 lambda: fnp.linalg.multi_dot([A, B], precision="fast")):
        with pytest.raises(FuncadValueError, match="precision must be None"):
            call()


def test_derivatives_through_a_wider_accumulator():
    def loss(np_, x, y):
        return np_.sum(np_.tanh(np_.matmul(x, y, preferred_element_type=np.float64)))

    ours = funcad.grad(lambda x, y: loss(fnp, x, y), (0, 1))(A, B)
    theirs = jax.grad(lambda x, y: loss(jnp, x, y), (0, 1))(A, B)
    for o, t in zip(ours, theirs):
        assert np.asarray(o).dtype == t.dtype == np.float32
        np.testing.assert_allclose(o, t, rtol=1e-6)
