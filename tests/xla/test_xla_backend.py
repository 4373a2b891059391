"""funcad_xla: the XLA backend keeps float32 and float64, never touches the user's jax
configuration, places work on a device, exposes the lowered program, lowers every primitive,
and composes with every transform like the NumPy backend."""
from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed: the XLA backend is untested")

from result_types import assert_result_type  # noqa: E402

import funcad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
import funcad_xla  # noqa: E402
from funcad import grad, hessian, vmap  # noqa: E402


def f(x, y):
    return fnp.sum(fnp.tanh(x * y) + fnp.exp(-x) * fnp.sin(y))


def scalar(x, y):
    return fnp.tanh(x * y) + fnp.exp(-x) * fnp.sin(y)


X = np.linspace(0.1, 1.0, 7)
Y = np.linspace(-1.0, 0.5, 7)


def test_float64_is_computed_in_float64_and_config_is_untouched():
    before = jax.config.jax_enable_x64
    # 1 + 1e-12 is not representable in float32: the result shows the precision used.
    out = funcad_xla.jit(lambda x: (x + 1e-12) - 1.0)(np.float64(1.0))
    assert out.dtype == np.float64 and out == pytest.approx(1e-12, rel=1e-3)
    assert jax.config.jax_enable_x64 == before
    assert jax.numpy.ones(2).dtype == (np.float64 if before else np.float32)
    if not before:
        assert jax.numpy.asarray(np.ones(2)).dtype == np.float32  # plain JAX still f32


@pytest.mark.parametrize("construct", ["cond", "switch", "while_loop", "scan"])
def test_float64_inside_control_flow_only_is_computed_in_float64(construct):
    # float32 in and out; only a sub-IR holds float64 values. 1 + 1e-9 - 1 is 1e-9 in
    # float64 and 0 in float32, so the result shows whether XLA ran the sub-IR in float64.
    def fine(x):
        x64 = x.astype(np.float64)
        return (((x64 + 1e-9) - x64) * 1e9).astype(np.float32)

    def f(x):
        if construct == "cond":
            return funcad.lax.cond(x > 0, fine, lambda x: x, x)
        if construct == "switch":
            return funcad.lax.switch(1, [lambda x: x, fine], x)
        if construct == "while_loop":
            return funcad.lax.while_loop(lambda c: c[0] < 1, lambda c: (c[0] + 1, fine(c[1])),
                                         (0, x))[1]
        return funcad.lax.scan(lambda c, _: (fine(c), None), x, None, length=1)[0]

    x = np.float32(1.0)
    expected = funcad.jit(f, backend="numpy")(x)
    assert expected.dtype == np.float32 and expected == pytest.approx(1.0, rel=1e-3)
    out = funcad_xla.jit(f)(x)
    assert out.dtype == np.float32 and out == pytest.approx(1.0, rel=1e-3)


def test_float32_stays_float32():
    x, y = X.astype(np.float32), Y.astype(np.float32)
    out = funcad_xla.jit(scalar)(x, y)
    assert out.dtype == np.float32
    assert_result_type(out, "xla")
    np.testing.assert_allclose(out, scalar(x, y), rtol=2e-6, atol=2e-6)
    g = funcad_xla.jit(grad(f, (0, 1)))(x, y)
    assert all(a.dtype == np.float32 for a in g)


def test_x64_context_is_thread_local():
    results = {}
    start = threading.Barrier(2)

    def f64_work():
        start.wait()
        for _ in range(20):
            results["f64"] = funcad_xla.jit(lambda x: x * 2.0)(np.ones(3))

    def plain_jax():
        start.wait()
        for _ in range(20):
            results["jax"] = jax.numpy.ones(3) * 2.0

    threads = [threading.Thread(target=f64_work), threading.Thread(target=plain_jax)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["f64"].dtype == np.float64
    assert results["jax"].dtype == (np.float64 if jax.config.jax_enable_x64 else np.float32)


def test_importing_funcad_or_funcad_xla_does_not_import_jax():
    code = ("import sys, funcad, funcad_xla; import funcad.numpy; "
            "funcad.jit(lambda x: x * 2.0, backend='numpy')(1.0); "
            "assert 'jax' not in sys.modules, 'jax was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_backend_is_xla_when_jax_is_installed():
    assert funcad.jit(scalar).backend == "xla"


def test_outputs_are_jax_arrays_and_values_match_numpy_backend():
    xla = funcad.jit(lambda x, y: (scalar(x, y), {"s": f(x, y)}), backend="xla")(X, Y)
    ref = funcad.jit(lambda x, y: (scalar(x, y), {"s": f(x, y)}), backend="numpy")(X, Y)
    for a, b in zip(funcad.tree_util.tree_leaves(xla), funcad.tree_util.tree_leaves(ref)):
        assert_result_type(a, "xla")
        assert_result_type(b, "numpy")
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_compositions_match_numpy_backend():
    def on(backend):
        j = funcad.jit(scalar, backend=backend)
        return [
            grad(lambda x, y: fnp.sum(j(x, y)), (0, 1))(X, Y),
            funcad.jit(grad(lambda a, b: fnp.sum(scalar(a, b))), backend=backend)(X, Y),
            vmap(j)(X, Y),
            hessian(lambda a: j(a, 0.3))(0.7),
            funcad.jit(funcad.jit(scalar, backend=backend), backend=backend)(X, Y),
        ]

    for a, b in zip(funcad.tree_util.tree_leaves(on("xla")),
                    funcad.tree_util.tree_leaves(on("numpy"))):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_lower_exposes_compiled_program_and_hlo():
    closed = funcad.make_jaxpr(scalar)(X, Y)
    lowered = funcad_xla.lower(closed, X, Y)
    assert "HloModule" in lowered.hlo_text and "f64[7]" in lowered.hlo_text
    assert "stablehlo" in lowered.stablehlo_text or "func.func" in lowered.stablehlo_text
    assert hasattr(lowered.compiled, "as_text")
    np.testing.assert_allclose(lowered(X, Y)[0], scalar(X, Y), rtol=1e-12)
    jitted = funcad_xla.jit(scalar)
    assert "tanh" in funcad_xla.lower(jitted, X, Y).hlo_text
    with pytest.raises(TypeError, match="expected a ClosedJaxpr"):
        funcad_xla.lower(42, X)
    # a jitted function of pytrees is lowered for its flat arguments
    tree_fn = funcad_xla.jit(lambda p, x: p[0] * x + p[1])
    lowered = funcad_xla.lower(tree_fn, (X, Y), X)
    np.testing.assert_allclose(np.asarray(lowered(X, Y, X)[0]), X * X + Y, rtol=1e-14)
    with pytest.raises(TypeError, match="backend='xla'"):
        funcad_xla.lower(funcad.jit(scalar, backend="numpy"), X, Y)


def test_constants_are_arguments_not_embedded():
    big = np.random.default_rng(0).standard_normal(1 << 16)
    jitted = funcad_xla.jit(lambda x: x * big)
    text = funcad_xla.lower(jitted, np.ones(1 << 16)).stablehlo_text
    assert len(text) < 20000  # 512 KiB of constant would be in the text if embedded
    np.testing.assert_allclose(jitted(np.ones(1 << 16)), big)


def test_retraces_only_on_new_signatures():
    j = funcad_xla.jit(scalar)
    j(X, Y)
    j(X + 1.0, Y)
    j(0.5, 0.25)
    j(0.75, 0.125)
    assert j.trace_count == 2


def test_cpu_device_and_bad_device():
    out = funcad_xla.jit(scalar, device="cpu")(X, Y)
    np.testing.assert_allclose(out, scalar(X, Y), rtol=1e-12)
    with pytest.raises(funcad.errors.FuncadValueError, match="device must be"):
        funcad_xla.jit(scalar, device="tpu7")(X, Y)


def _has_gpu() -> bool:
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


def test_gpu_falls_back_to_cpu_with_a_warning_when_absent():
    if _has_gpu():
        pytest.skip("a GPU is present")
    with pytest.warns(RuntimeWarning, match="no GPU"):
        out = funcad_xla.jit(scalar, device="gpu")(X, Y)
    np.testing.assert_allclose(out, scalar(X, Y), rtol=1e-12)


@pytest.mark.skipif(not _has_gpu(), reason="no GPU visible to jax")
def test_gpu_runs_and_matches_cpu():
    for dtype, tol in ((np.float32, 2e-6), (np.float64, 1e-12)):
        x, y = X.astype(dtype), Y.astype(dtype)
        gpu = funcad_xla.jit(grad(f, (0, 1)), device="gpu")(x, y)
        cpu = funcad_xla.jit(grad(f, (0, 1)), device="cpu")(x, y)
        for a, b in zip(gpu, cpu):
            assert_result_type(a, "xla")
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_every_primitive_has_a_lowering():
    from primitive_registry import all_primitives

    from funcad_xla.lowering import lowerings

    prims = all_primitives()
    assert len(prims) > 90
    missing = sorted(p.name for p in prims if p not in lowerings())
    assert not missing, f"no XLA lowering for {missing}"


def test_a_primitive_has_one_lowering_row():
    from funcad.ops.elementwise import sin_p
    from funcad_xla.lowering import lowerings
    from funcad_xla.rules import register_lowerings

    row = lowerings()[sin_p]
    register_lowerings({sin_p: row})  # the same row again is no second row
    with pytest.raises(ValueError, match="`sin` already has a lowering"):
        register_lowerings({sin_p: lambda x: x})
    assert lowerings()[sin_p] is row
