"""``funcad.Array`` (isinstance of every array value and tracer), ``eval_shape`` and
``ShapeDtypeStruct`` against JAX (float64)."""
from __future__ import annotations

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadTypeError

jnp = jax.numpy


def test_array_is_the_type_of_results_tracers_and_jax_arrays():
    seen = []

    def f(x):
        seen.append(isinstance(x, funcad.Array))
        return fnp.sin(x).sum()

    x = np.arange(3.0)
    assert isinstance(f(x), funcad.Array)  # an eager result (a NumPy array)
    funcad.grad(f)(x)
    funcad.vmap(f)(np.ones((2, 3)))
    funcad.jit(f, backend="numpy")(x)
    funcad.jvp(funcad.grad(f), (x,), (x,))
    assert seen == [True] * 5
    assert isinstance(jnp.ones(3), funcad.Array)
    assert isinstance(funcad.jit(f, backend="xla")(x), funcad.Array)
    assert issubclass(np.ndarray, funcad.Array)
    assert isinstance(np.float64(1.0), funcad.Array)  # NumPy's reductions of eager results
    for other in (1.0, [1.0], "x", None, funcad.ShapeDtypeStruct((2,), "f8")):
        assert not isinstance(other, funcad.Array)
        assert isinstance(other, jax.Array) == isinstance(other, funcad.Array)
    with pytest.raises(FuncadTypeError, match="abstract"):
        funcad.Array()


def _program(xp):
    def f(x, params, *, scale):
        h = xp.tanh(x @ params["w"] + params["b"])
        return {"out": h * scale, "norm": (h ** 2).sum(), "ints": xp.argmax(h, axis=-1),
                "f32": h.astype(xp.float32)}
    return f


def test_eval_shape_matches_jax():
    x = np.ones((5, 3))
    params = {"w": np.ones((3, 4)), "b": np.zeros(4)}
    ours = funcad.eval_shape(_program(fnp), x, params, scale=2.0)
    theirs = jax.eval_shape(_program(jnp), x, params, scale=2.0)
    assert sorted(ours) == sorted(theirs)
    for k in ours:
        assert isinstance(ours[k], funcad.ShapeDtypeStruct)
        assert ours[k].shape == theirs[k].shape and ours[k].dtype == theirs[k].dtype, k
    # Structs (ours or JAX's) stand for arrays: nothing is computed.
    calls = []

    def expensive(a, b):
        calls.append(1)
        return fnp.linalg.solve(a, b)[None]

    spec = funcad.eval_shape(expensive, funcad.ShapeDtypeStruct((1000, 1000), np.float32),
                             jax.ShapeDtypeStruct((1000, 7), jnp.float32))
    assert spec == funcad.ShapeDtypeStruct((1, 1000, 7), np.float32)
    assert repr(spec) == "ShapeDtypeStruct(shape=(1, 1000, 7), dtype=float32)"
    # Under transforms too, and errors name the argument.
    g = funcad.eval_shape(funcad.vmap(funcad.grad(lambda v: fnp.sin(v).sum())),
                          np.ones((4, 2)))
    assert g == funcad.ShapeDtypeStruct((4, 2), np.float64)
    with pytest.raises(FuncadTypeError, match="argument b"):
        funcad.eval_shape(lambda a, b: a, np.ones(2), b="text")
