"""``jit(donate_argnums=)`` with the XLA backend really donates: a donated ``jax.Array`` is
deleted by the call, as under ``jax.jit``; its leaves are found through static arguments,
pytrees and keyword arguments; NumPy inputs are never written to; reusing a donated array
raises a funcad error naming the argument; the NumPy backend ignores the hint."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed: the XLA backend is untested")

import funcad  # noqa: E402
from funcad.errors import FuncadValueError  # noqa: E402

RNG = np.random.default_rng(0)


def _on_device(*arrays):
    return [funcad.device_put(np.asarray(a)) for a in arrays]


def _step(params, scale, grads, *, lr):
    return {k: params[k] * scale - lr * grads[k] for k in params}


def test_donated_device_arrays_are_deleted_as_under_jax_jit():
    x, y = RNG.normal(size=(2, 50))
    ours = funcad.jit(lambda a, b: a * 2.0 + b, donate_argnums=0, backend="xla")
    theirs = jax.jit(lambda a, b: a * 2.0 + b, donate_argnums=0)
    for _ in range(2):  # the first call compiles, the second takes the fast path
        (a1, b1), (a2, b2) = _on_device(x, y), _on_device(x, y)
        with jax.enable_x64(True):
            expected = theirs(a2, b2)
        out = ours(a1, b1)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))
        assert (a1.is_deleted(), b1.is_deleted()) == (a2.is_deleted(), b2.is_deleted())
        assert a1.is_deleted() and not b1.is_deleted()


def test_reusing_a_donated_array_raises_naming_the_argument():
    f = funcad.jit(lambda a, b: a * 2.0 + b, donate_argnums=0, backend="xla")
    b = funcad.device_put(np.ones(8))
    for _ in range(2):  # through the first (signature) path and the fast path
        a = funcad.device_put(np.ones(8))
        f(a, b)
        with pytest.raises(FuncadValueError, match=r"argument a \(float64\[8\]\).*deleted"):
            f(a, b)
        assert isinstance(FuncadValueError("x"), ValueError)  # the kind jax.jit raises


def test_flat_indices_of_pytrees_statics_and_keywords():
    keys = ("b", "w")
    params = {k: RNG.normal(size=(3, 2)) for k in keys}
    grads = {k: RNG.normal(size=(3, 2)) for k in keys}
    f = funcad.jit(_step, static_argnums=1, donate_argnums=(0,), backend="xla")
    p = dict(zip(keys, _on_device(*params.values())))
    g = dict(zip(keys, _on_device(*grads.values())))
    lr = funcad.device_put(np.float64(0.1))
    out = f(p, 2.0, g, lr=lr)
    expected = _step(params, 2.0, grads, lr=0.1)
    for k in keys:
        np.testing.assert_allclose(np.asarray(out[k]), expected[k], rtol=1e-15)
        assert p[k].is_deleted() and not g[k].is_deleted()
    assert not lr.is_deleted()
    # The third positional parameter donated, passed by name: donated too (as in JAX).
    h = funcad.jit(_step, static_argnums=1, donate_argnums=2, backend="xla")
    p = dict(zip(keys, _on_device(*params.values())))
    g = dict(zip(keys, _on_device(*grads.values())))
    out = h(p, 2.0, grads=g, lr=lr)
    for k in keys:
        np.testing.assert_allclose(np.asarray(out[k]), expected[k], rtol=1e-15)
        assert g[k].is_deleted() and not p[k].is_deleted()


def test_numpy_inputs_are_never_written_to():
    x = RNG.normal(size=(1 << 16))
    kept = x.copy()
    f = funcad.jit(lambda a: a * 2.0, donate_argnums=0, backend="xla")
    for _ in range(3):
        np.testing.assert_array_equal(np.asarray(f(x)), kept * 2.0)
        np.testing.assert_array_equal(x, kept)


def test_numpy_backend_ignores_donation():
    x = funcad.device_put(np.arange(4.0))
    f = funcad.jit(lambda a: a + 1.0, donate_argnums=0, backend="numpy")
    np.testing.assert_array_equal(f(x), np.arange(4.0) + 1.0)
    assert not x.is_deleted()
    np.testing.assert_array_equal(f(x), np.arange(4.0) + 1.0)


def test_donation_under_transforms_is_ignored():
    # Under grad the jitted function is staged into the outer computation: nothing donated.
    f = funcad.jit(lambda a: (a * a).sum(), donate_argnums=0, backend="xla")
    x = funcad.device_put(np.arange(3.0))
    np.testing.assert_allclose(funcad.grad(f)(x), 2 * np.arange(3.0))
    assert not x.is_deleted()


def test_unusable_donation_warns_as_jax_does():
    # A donated buffer no result can reuse (a reduction): jax warns and keeps it, as here.
    f = funcad.jit(lambda a: a.sum(), donate_argnums=0, backend="xla")
    x = funcad.device_put(np.ones(5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert float(f(x)) == 5.0
    assert any("donated buffers were not usable" in str(w.message) for w in caught)
    assert not x.is_deleted()


def test_static_and_donated_arguments_cannot_overlap():
    with pytest.raises(FuncadValueError, match="static and donated"):
        funcad.jit(lambda x, n: x * n, static_argnums=1, donate_argnums=1)
    with pytest.raises(FuncadValueError, match="'n' is in both"):
        funcad.jit(lambda x, n: x * n, static_argnames="n", donate_argnums=(1,))
    with pytest.raises(ValueError, match="cannot intersect"):  # as jax.jit
        jax.jit(lambda x, n: x * n, static_argnums=1, donate_argnums=1)
