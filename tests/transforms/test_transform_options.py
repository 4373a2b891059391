"""The options real programs pass to the transforms: ``jit(static_argnames=,
donate_argnums=)`` (also as ``@jit(...)`` and ``functools.partial(jit, ...)``), ``vmap`` over
keyword arguments and ``vmap(chunk_size=)``; each checked against JAX (float64) or against
the plain transform, on both backends."""
from __future__ import annotations

import functools
import importlib.util

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadError, FuncadTypeError, FuncadValueError

jnp = jax.numpy
BACKENDS = ["numpy"] + (["xla"] if importlib.util.find_spec("funcad_xla") else [])
X = np.random.default_rng(0).normal(size=(6, 3))


def _power_sum(xp):
    def f(x, n, *, scale=1.0, mode="sum"):
        y = x ** n * scale
        return y.sum(0) if mode == "sum" else y.max(0)
    return f


# --- jit(static_argnames=) ----------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_static_argnames_match_jax(backend):
    ours = funcad.jit(_power_sum(fnp), static_argnames=("n", "mode"), backend=backend)
    theirs = jax.jit(_power_sum(jnp), static_argnames=("n", "mode"))
    calls = [((X,), {"n": 2}), ((X, 3), {}), ((X,), {"n": 2, "mode": "max", "scale": 0.5}),
             ((X, 2), {"mode": "max"}), ((X,), {"n": 2, "scale": 2.0})]
    for args, kwargs in calls:
        np.testing.assert_allclose(np.asarray(ours(*args, **kwargs)),
                                   np.asarray(theirs(*args, **kwargs)), rtol=1e-13)
    # One trace per call signature (static values, keyword names): repeating the calls,
    # with other traced values, traces nothing more.
    assert ours.trace_count == 5
    for args, kwargs in calls:
        kwargs = {k: (v * 3 if k == "scale" else v) for k, v in kwargs.items()}
        np.testing.assert_allclose(np.asarray(ours(X * 2, *args[1:], **kwargs)),
                                   np.asarray(theirs(X * 2, *args[1:], **kwargs)), rtol=1e-13)
    assert ours.trace_count == 5


def test_static_argnames_drive_python_control_flow_and_compose():
    @funcad.jit(static_argnames="order")
    def taylor_exp(x, order):
        out, term = fnp.ones_like(x), fnp.ones_like(x)
        for k in range(1, order):
            term = term * x / k
            out = out + term
        return out

    x = np.linspace(-0.5, 0.5, 5)
    np.testing.assert_allclose(taylor_exp(x, order=20), np.exp(x), rtol=1e-14)
    g = funcad.vmap(funcad.grad(lambda v: taylor_exp(v, order=20)))(x)
    np.testing.assert_allclose(g, np.exp(x), rtol=1e-13)
    assert taylor_exp.trace_count == 2  # eager values, then under grad/vmap


def test_decorator_forms():
    @funcad.jit(static_argnums=1)
    def a(x, n):
        return x * n

    @functools.partial(funcad.jit, static_argnames=["n"], backend="numpy")
    def b(x, n):
        return x * n

    @funcad.jit
    def c(x):
        return x * 3

    for fn in (a, b):
        np.testing.assert_array_equal(fn(X, 3), X * 3)
        np.testing.assert_array_equal(fn(X, n=3), X * 3)
    np.testing.assert_array_equal(c(X), X * 3)
    assert a.trace_count == b.trace_count == 2  # n=3 by position, then by name


def test_unhashable_static_argument_names_the_argument_and_the_type():
    f = funcad.jit(lambda x, shape: x.reshape(shape), static_argnames="shape")
    with pytest.raises(FuncadValueError, match=r"static argument 'shape'.*type list"):
        f(np.ones(4), shape=[2, 2])
    with pytest.raises(FuncadValueError, match=r"static argument 1 .*got list"):
        f(np.ones(4), [2, 2])
    np.testing.assert_array_equal(f(np.ones(4), shape=(2, 2)), np.ones((2, 2)))
    with pytest.raises(FuncadTypeError, match="static_argnames must be strings"):
        funcad.jit(lambda x: x, static_argnames=(1,))


# --- jit(donate_argnums=) -----------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_donation_is_a_hint_results_and_inputs_stay_right(backend):
    def step(params, grads, lr):
        return {k: params[k] - lr * grads[k] for k in params}

    ours = funcad.jit(step, donate_argnums=(0, 1), backend=backend)
    theirs = jax.jit(step)
    params = {"w": X.copy(), "b": X[0].copy()}
    grads = {"w": np.cos(X), "b": np.sin(X[0])}
    kept = {k: v.copy() for k, v in params.items()}
    for _ in range(3):  # the same (donated) NumPy inputs again: never written to
        out = ours(params, grads, 0.1)
        expected = theirs(params, grads, 0.1)
        for k in params:
            np.testing.assert_allclose(np.asarray(out[k]), np.asarray(expected[k]), rtol=1e-15)
            np.testing.assert_array_equal(params[k], kept[k])
    # Feeding results back in (the usual donated loop) stays right, also from jax.Arrays.
    p = params
    q = {k: np.asarray(v) for k, v in params.items()}
    for _ in range(3):
        p = ours(p, grads, 0.1)
        q = step(q, grads, 0.1)
    for k in q:
        np.testing.assert_allclose(np.asarray(p[k]), q[k], rtol=1e-14)
    with pytest.raises(FuncadTypeError, match="donate_argnums"):
        funcad.jit(step, donate_argnums=(-1,))


# --- vmap over keyword arguments ----------------------------------------------------------------

def test_vmap_maps_keyword_arguments_over_axis_0_as_jax():
    def f(x, y, *, w, b=None):
        return x @ w + (0.0 if b is None else b) + y

    w = np.random.default_rng(1).normal(size=(6, 3, 2))
    b = np.random.default_rng(2).normal(size=(6, 2))
    y = np.random.default_rng(3).normal(size=2)
    for in_axes, y_arg in ((0, np.stack([y] * 6)), ((0, None), y)):
        ours = funcad.vmap(f, in_axes=in_axes)(X, y_arg, w=w, b=b)
        theirs = jax.vmap(f, in_axes=in_axes)(X, y_arg, w=w, b=b)
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-13)
    # Keyword arguments compose with grad and jit.
    g = funcad.jit(funcad.vmap(funcad.grad(lambda x, *, w: fnp.sin(x @ w).sum())))
    h = jax.jit(jax.vmap(jax.grad(lambda x, *, w: jnp.sin(x @ w).sum())))
    np.testing.assert_allclose(g(X, w=w), np.asarray(h(X, w=w)), rtol=1e-13)


def test_vmap_keyword_argument_of_the_wrong_size_is_named():
    with pytest.raises(FuncadValueError, match=r"w \(axis 0\) has size 2"):
        funcad.vmap(lambda x, w: x * w)(X[:, 0], w=np.ones(2))


# --- vmap(chunk_size=) --------------------------------------------------------------------------

def _model(x, w):
    return {"out": fnp.tanh(x @ w), "norm": (x * x).sum()}


@pytest.mark.parametrize("chunk_size", [1, 2, 4, 5, 6, 100])
def test_chunked_vmap_equals_vmap(chunk_size):
    x = np.random.default_rng(4).normal(size=(4, 6, 3))  # batch on axis 1
    w = np.random.default_rng(5).normal(size=(3, 2))
    plain = funcad.vmap(_model, in_axes=(1, None), out_axes={"out": 2, "norm": 0})
    chunked = funcad.vmap(_model, in_axes=(1, None), out_axes={"out": 2, "norm": 0},
                          chunk_size=chunk_size)
    expected = plain(x, w)
    got = chunked(x, w)
    for k in expected:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-15)
    # Under grad and jit (both backends): the same derivatives.
    loss = lambda fn: lambda w: fn(x, w)["out"].sum()  # noqa: E731
    np.testing.assert_allclose(funcad.grad(loss(chunked))(w), funcad.grad(loss(plain))(w),
                               rtol=1e-13)
    for backend in BACKENDS:
        np.testing.assert_allclose(np.asarray(funcad.jit(chunked, backend=backend)(x, w)["out"]),
                                   expected["out"], rtol=1e-13)


def test_chunked_vmap_runs_chunks_of_the_requested_size():
    sizes = []

    def f(x):
        sizes.append(funcad.api_util.leaf_aval(x, "t", "x").shape)  # per-example shape
        return x * 2

    seen = []
    funcad.vmap(lambda x: (seen.append(1), f(x))[1], chunk_size=4)(np.ones((10, 3)))
    assert len(seen) == 3  # chunks of 4, 4 and 2 examples
    staged = funcad.make_jaxpr(funcad.vmap(lambda x: fnp.sin(x), chunk_size=4))(np.ones((10, 3)))
    assert "f64[4,3]" in str(staged) and "f64[2,3]" in str(staged)
    assert "f64[10,3] = sin" not in str(staged)


def test_chunk_size_and_out_axes_none_and_errors():
    f = funcad.vmap(lambda x, c: c * 2, in_axes=(0, None), out_axes=None, chunk_size=2)
    np.testing.assert_array_equal(f(X, np.arange(3.0)), np.arange(3.0) * 2)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(FuncadError, match="chunk_size"):
            funcad.vmap(lambda x: x, chunk_size=bad)


def test_options_accept_jax_arrays():
    xj = jnp.asarray(X)
    np.testing.assert_allclose(
        funcad.vmap(lambda a, b: a * b.sum(), chunk_size=4)(xj, b=xj),
        np.asarray(jax.vmap(lambda a, b: a * b.sum())(xj, b=xj)), rtol=1e-14)
    f = funcad.jit(lambda a, n: a ** n, static_argnames="n", donate_argnums=0)
    np.testing.assert_allclose(np.asarray(f(xj, n=3)), X ** 3, rtol=1e-14)
    # Donated: the XLA backend consumes it, as jax.jit does; the NumPy backend ignores it.
    assert xj.is_deleted() == (f.backend == "xla")
