"""Integer and boolean values under reverse and forward mode, funcad against jax 0.10.2:
``vjp`` takes integer/boolean primals and gives them ``float0`` zero cotangents; an integer
output takes a ``float0`` cotangent (or one of its own dtype, which it ignores); ``jvp`` and
``linearize`` give integer outputs ``float0`` tangents; ``jacfwd`` gives them zero blocks
of their own dtype; ``linear_transpose`` takes inexact-to-inexact or integer-to-integer
maps only. Each case runs the same function through both libraries."""
from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # this module only compares in float64
import jax.numpy as jnp  # noqa: E402

import funcad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
from funcad.errors import FuncadTypeError, FuncadValueError  # noqa: E402

F0 = funcad.ad.float0
X = np.array([0.3, -1.2, 2.5])


def _same(ours, theirs, what=""):
    """Equal pytrees: float0 leaves where JAX has them (shape checked), numbers elsewhere."""
    la = funcad.tree_util.tree_leaves(ours)
    lb = jax.tree_util.tree_leaves(theirs)
    assert len(la) == len(lb), what
    for a, b in zip(la, lb):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, what
        if b.dtype == jax.dtypes.float0:
            assert a.dtype == F0, (what, a.dtype)
        else:
            assert a.dtype.kind != "V", what
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13, err_msg=what)


# name: (function of the namespace, primals, cotangent)
VJP_CASES = {
    "int scalar": (lambda ns: lambda x, n: x * n, (2.0, 3), 1.5),
    "int32 array": (lambda ns: lambda x, n: x * n, (X, np.arange(3, dtype=np.int32)),
                    np.array([1.0, -2.0, 0.5])),
    "uint8": (lambda ns: lambda x, n: ns.sin(x) * n, (X, np.uint8(3)), X[::-1]),
    "bool mask": (lambda ns: lambda x, b: ns.where(b, x ** 2, -x),
                  (X, np.array([True, False, True])), np.ones(3)),
    "pytree mixing kinds": (lambda ns: lambda p: p["x"] * p["n"] + p["y"],
                            ({"x": X, "n": np.int8(2), "y": 1.5},), X),
    "only an integer primal": (lambda ns: lambda n: n * 2.5, (np.arange(3),), np.ones(3)),
    "integer to integer": (lambda ns: lambda n: n * 2, (np.arange(3),),
                           np.zeros(3, np.int64)),
    "integer output, float0 cotangent": (
        lambda ns: lambda x: (ns.sin(x), ns.floor(x).astype(np.int32)), (X,),
        (X, np.zeros(3, F0))),
    "integer output, own-dtype cotangent": (
        lambda ns: lambda x: (ns.sin(x), ns.floor(x).astype(np.int32)), (X,),
        (X, np.ones(3, np.int32))),
    "boolean output, float0 cotangent": (
        lambda ns: lambda x, n: (x * n, x > 0), (X, 4), (X, np.zeros(3, F0))),
}


@pytest.mark.parametrize("name", list(VJP_CASES))
def test_vjp_of_integer_values_is_jax(name):
    make, primals, ct = VJP_CASES[name]
    out, pull = funcad.vjp(make(fnp), *primals)
    jout, jpull = jax.vjp(make(jnp), *primals)
    _same(out, jout, "value")
    _same(pull(ct), jpull(ct), "cotangents")
    for backend in ("numpy", "xla"):
        got = funcad.jit(lambda *p: funcad.vjp(make(fnp), *p)[1](ct), backend=backend)(*primals)
        _same(got, jpull(ct), backend)


def test_vjp_has_aux_with_integer_primal_is_jax():
    def f(ns):
        return lambda x, n: (x * n, n + 1)

    out, pull, aux = funcad.vjp(f(fnp), X, 3, has_aux=True)
    jout, jpull, jaux = jax.vjp(f(jnp), X, 3, has_aux=True)
    _same((out, aux), (jout, jaux))
    _same(pull(X), jpull(X))


def test_cotangent_errors_as_jax():
    # a float0 cotangent for a float output, or of the wrong shape: both refuse
    with pytest.raises(ValueError):
        jax.vjp(lambda x: x * 2, 1.0)[1](np.zeros((), jax.dtypes.float0))
    with pytest.raises(FuncadTypeError, match="float0"):
        funcad.vjp(lambda x: x * 2, 1.0)[1](np.zeros((), F0))
    with pytest.raises(ValueError):
        jax.vjp(lambda x: (x, jnp.arange(3)), 1.0)[1]((1.0, np.zeros(2, jax.dtypes.float0)))
    with pytest.raises(FuncadValueError, match="shape"):
        funcad.vjp(lambda x: (x, fnp.arange(3)), 1.0)[1]((1.0, np.zeros(2, F0)))


def test_jvp_and_linearize_of_integer_values_are_jax():
    def f(ns):
        return lambda x, n: (ns.sin(x) * n, ns.floor(x).astype(np.int32), n > 1)

    t = (np.ones(3), np.zeros((), F0))
    _same(funcad.jvp(f(fnp), (X, 2), t), jax.jvp(f(jnp), (X, 2), t), "jvp")
    out, lin = funcad.linearize(f(fnp), X, 2)
    jout, jlin = jax.linearize(f(jnp), X, 2)
    _same(out, jout, "linearize value")
    _same(lin(*t), jlin(*t), "linearize tangents")


def test_jacfwd_of_an_integer_output_is_jax():
    def f(ns):
        return lambda x: (x ** 2, ns.floor(x).astype(np.int32))

    got, want = funcad.jacfwd(f(fnp))(X), jax.jacfwd(f(jnp))(X)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_linear_transpose_dtype_rule_is_jax():
    def double(ns):
        return lambda n: n * 2

    got = funcad.linear_transpose(double(fnp), np.arange(3))(np.array([1, -2, 5]))
    want = jax.linear_transpose(double(jnp), np.arange(3))(np.array([1, -2, 5]))
    _same(got, want)
    # a float map with an integer input, and an integer input with a float output: JAX
    # refuses both (a cotangent cast between the kinds would round)
    for fn, primals in ((lambda x, n: x, (1.0, 3)), (lambda n: n.astype(float), (3,))):
        with pytest.raises(TypeError):
            jax.linear_transpose(fn, *primals)
        with pytest.raises(FuncadTypeError, match="linear_transpose"):
            funcad.linear_transpose(fn, *primals)
