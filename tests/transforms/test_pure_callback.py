"""``funcad.pure_callback`` as ``jax.pure_callback``: host code called with NumPy arrays
eagerly and under ``jit`` on both backends; pytrees of arguments and results; each
``vmap_method`` calls the host function with the shapes JAX's calls it with (recorded on
both sides); no derivative of its own, but differentiable through ``custom_jvp`` /
``custom_vjp`` around a SciPy function (checked by finite differences); a result that does
not match ``result_shape_dtypes`` is a funcad error on every backend."""
from __future__ import annotations

import logging

import numpy as np
import pytest
from jax_reference import jax

import funcad
import funcad.numpy as fnp
from funcad import ShapeDtypeStruct
from funcad.errors import CallbackResultError, FuncadError, FuncadValueError
from funcad.ops.callbacks import pure_callback_p
from funcad.testing import numerical_grad

jnp = jax.numpy
logging.getLogger("jax").setLevel(logging.CRITICAL)  # jax logs each failing callback
BACKENDS = [None, "numpy", "xla"]


def _run(f, backend):
    return f if backend is None else funcad.jit(f, backend=backend)


def _host(x, scale, *, shift):
    return {"y": np.sinh(x) * scale, "s": np.asarray(x.sum() + shift, x.dtype)}


def _program(ns, xp):
    def f(x, scale):
        spec = {"y": ns.ShapeDtypeStruct(x.shape, x.dtype), "s": ns.ShapeDtypeStruct((), x.dtype)}
        r = ns.pure_callback(_host, spec, x, scale, shift=0.5, vmap_method="sequential")
        return xp.cos(r["y"]) * r["s"]
    return f


X = np.array([0.3, -1.1, 0.8])


@pytest.mark.parametrize("backend", BACKENDS)
def test_pytrees_in_and_out_match_jax(backend):
    ours = _run(_program(funcad, fnp), backend)
    with jax.enable_x64(True):
        ref = np.asarray(jax.jit(_program(jax, jnp))(X, 2.0))
    np.testing.assert_allclose(np.asarray(ours(X, 2.0)), ref, rtol=1e-14)
    # float32 stays float32; result specs may be arrays or what eval_shape returns
    x32 = X.astype(np.float32)
    spec = funcad.eval_shape(lambda v: {"y": v, "s": v.sum()}, x32)
    out = _run(lambda v: funcad.pure_callback(_host, spec, v, np.float32(2), shift=0.5),
               backend)(x32)
    assert np.asarray(out["y"]).dtype == np.float32
    np.testing.assert_allclose(np.asarray(out["y"]), np.sinh(x32) * 2, rtol=1e-6)
    for spec in (np.zeros(3), jax.ShapeDtypeStruct((3,), np.float64)):  # arrays, jax's
        out = _run(lambda v, spec=spec: funcad.pure_callback(np.cos, spec, v), backend)(X)
        np.testing.assert_allclose(np.asarray(out), np.cos(X), rtol=1e-15)


def _recording(calls):
    def host(x, y):
        calls.append((x.shape, y.shape))
        return x * y.sum(axis=-1, keepdims=True)[..., :1] + 1.0
    return host


@pytest.mark.parametrize("method", ["sequential", "sequential_unrolled", "expand_dims",
                                    "broadcast_all", "legacy_vectorized"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_vmap_methods_call_the_host_as_jax_does(method, backend):
    xs, y = np.arange(12.0).reshape(4, 3) / 7, np.array([0.5, -2.0])

    def program(ns, calls):
        def f(x, y):
            return ns.pure_callback(_recording(calls), ns.ShapeDtypeStruct(x.shape, x.dtype),
                                    x, y, vmap_method=method)
        return f

    ours_calls, theirs_calls = [], []
    ours = _run(funcad.vmap(program(funcad, ours_calls), (0, None)), backend)(xs, y)
    with jax.enable_x64(True):
        theirs = jax.jit(jax.vmap(program(jax, theirs_calls), (0, None)))(xs, y)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-15)
    assert sorted(ours_calls) == sorted(theirs_calls)  # the shapes the host function saw
    if method == "legacy_vectorized":
        return  # (its host function sees unbatched operands without a batch axis)
    # batched along another axis and nested: the same values as a loop
    ys = np.stack([y, 2 * y, 3 * y])
    nested = funcad.vmap(funcad.vmap(program(funcad, []), (None, 0)), (1, None))
    loop = np.stack([np.stack([_recording([])(xs[:, j], yy) for yy in ys]) for j in range(3)])
    np.testing.assert_allclose(np.asarray(_run(nested, backend)(xs, ys)), loop, rtol=1e-15)


def test_vmap_without_a_method_is_an_error_as_in_jax():
    def f(ns):
        return lambda x: ns.pure_callback(np.sin, ns.ShapeDtypeStruct((), np.float64), x)
    with pytest.raises(NotImplementedError, match="vmap_method"):
        jax.vmap(f(jax))(X)
    with pytest.raises(FuncadError, match=r"vmap of pure_callback\(sin\) needs a vmap_method"):
        funcad.vmap(f(funcad))(X)
    with pytest.raises(FuncadValueError, match="vmap_method must be one of"):
        funcad.pure_callback(np.sin, X, X, vmap_method="bogus")


def test_no_derivative_of_its_own():
    f = lambda x, c: funcad.pure_callback(np.sin, X, x) * c  # noqa: E731
    for transform in (lambda: funcad.grad(lambda x: f(x, 1.0).sum())(X),
                      lambda: funcad.jvp(lambda x: f(x, 1.0), (X,), (X,)),
                      lambda: funcad.linearize(lambda x: f(x, 1.0), X),
                      lambda: funcad.jit(funcad.grad(lambda x: f(x, 1.0).sum()))(X)):
        with pytest.raises(FuncadValueError, match=r"pure_callback\(sin\).*custom_jvp"):
            transform()
    # A callback whose operands carry no tangent is fine (as in JAX)
    np.testing.assert_allclose(funcad.grad(lambda c: f(X, c).sum())(2.0), np.sin(X).sum())


def test_pure_so_dead_calls_are_dropped():
    calls = []

    def host(x):
        calls.append(1)
        return x

    def f(x):
        funcad.pure_callback(host, x, x)  # result unused
        return x * 2
    staged = funcad.jit(f, backend="numpy").jaxpr(X)
    assert not any(e.primitive is pure_callback_p for e in staged.jaxpr.eqns)
    for backend in ("numpy", "xla"):
        funcad.jit(f, backend=backend)(X)
    assert calls == []


def test_the_host_function_cannot_write_its_operands():
    def host(x):
        x[0] = 100.0
        return x
    x = X.copy()
    with pytest.raises(ValueError, match="read-only"):
        funcad.pure_callback(host, x, x)
    np.testing.assert_array_equal(x, X)


# --- differentiable through custom_jvp / custom_vjp around SciPy -----------------------------

def _kv(v, x):
    import scipy.special
    return scipy.special.kv(v, x)


def _host_kv(v, x):
    return funcad.pure_callback(lambda x: _kv(v, x), ShapeDtypeStruct(np.shape(x), np.float64),
                                x, vmap_method="expand_dims")


@funcad.custom_jvp
def bessel_k1(x):
    return _host_kv(1.0, x)


@bessel_k1.defjvp
def _bessel_k1_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    # K1'(x) = -(K0(x) + K2(x)) / 2
    return bessel_k1(x), -(_host_kv(0.0, x) + _host_kv(2.0, x)) / 2 * t


@funcad.custom_vjp
def bessel_k0(x):
    return _host_kv(0.0, x)


bessel_k0.defvjp(lambda x: (bessel_k0(x), x), lambda x, ct: (-_host_kv(1.0, x) * ct,))


@pytest.mark.parametrize("backend", BACKENDS)
def test_custom_rules_around_a_scipy_callback_differentiate(backend):
    x = np.array([0.4, 1.3, 2.7])

    def loss(x):
        return (bessel_k1(x) * fnp.sin(x) + bessel_k0(x ** 2)).sum()

    def reference(x):
        return float((_kv(1.0, x) * np.sin(x) + _kv(0.0, x ** 2)).sum())

    np.testing.assert_allclose(_run(loss, backend)(x), reference(x), rtol=1e-14)
    g = np.asarray(_run(funcad.grad(loss), backend)(x))
    np.testing.assert_allclose(g, numerical_grad(reference, x), rtol=1e-7)
    # and under vmap (the host function is vectorized: expand_dims)
    xs = np.stack([x, x + 0.5])
    gs = np.asarray(_run(funcad.vmap(funcad.grad(loss)), backend)(xs))
    np.testing.assert_allclose(gs[1], numerical_grad(reference, x + 0.5), rtol=1e-7)


# --- results that do not match result_shape_dtypes --------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_mismatched_results_are_funcad_errors(backend):
    cases = [
        (lambda v: v[:2], r"result 0 .* shape \(2,\) and dtype float64, but result_shape_dtypes "
                          r"declares shape \(3,\) and dtype float64"),
        (lambda v: v.astype(np.float32), r"result 0 .* shape \(3,\) and dtype float32, but "
                                         r"result_shape_dtypes declares shape \(3,\) and "
                                         r"dtype float64"),
        (lambda v: (v, v), r"the callback returned 2 array\(s\) but result_shape_dtypes declares 1"),
    ]
    for host, message in cases:
        f = _run(lambda x, host=host: funcad.pure_callback(host, ShapeDtypeStruct((3,), X.dtype),
                                                           x) * 2, backend)
        for _ in range(2):  # first (compiling) and later calls alike
            with pytest.raises(CallbackResultError, match=r"pure_callback\(<lambda>\): "
                               + message):
                f(X)
    # per example under vmap(sequential): the unbatched shapes are named
    g = funcad.vmap(lambda x: funcad.pure_callback(lambda v: v[:1], ShapeDtypeStruct((3,), X.dtype),
                                                   x, vmap_method="sequential"))
    with pytest.raises(CallbackResultError, match=r"shape \(1,\) .* declares shape \(3,\)"):
        _run(g, backend)(np.stack([X, X]))
    with pytest.raises(FuncadError, match="result_shape_dtypes is a str"):
        funcad.pure_callback(np.sin, "f64", X)


def test_the_docs_page_examples_run(capsys):
    import pathlib
    import re
    page = pathlib.Path(__file__).resolve().parents[2] / "docs" / "callbacks-and-checkpointing.md"
    code = "\n".join(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
    exec(compile(code, str(page), "exec"), {})
    printed = capsys.readouterr().out
    import scipy.special
    x = np.array([0.5, 1.0, 2.0])
    assert printed.count(str(scipy.special.kv(1.0, x))) == 3  # eager, numpy, xla
