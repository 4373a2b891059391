"""Results of the XLA backend stay on the device as ``jax.Array``s; passing them back in
costs no host round trip; every transform, funcad.numpy and the NumPy backend accept them;
importing jax leaves NumPy's global random state alone."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed: the XLA backend is untested")

import funcad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
import funcad_xla  # noqa: E402


def loss(params, x, y):
    w, b = params
    return fnp.mean((fnp.tanh(x @ w + b) - y) ** 2)


def sgd_step(params, x, y):
    grads = funcad.grad(loss)(params, x, y)
    return tuple(p - 0.1 * g for p, g in zip(params, grads))


RNG = np.random.default_rng(0)
PARAMS = (RNG.standard_normal((4, 3)), np.zeros(3))
X, Y = RNG.standard_normal((8, 4)), RNG.standard_normal((8, 3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_jitted_step_keeps_its_results_on_the_device_without_transfers(dtype):
    params, x, y = funcad.tree_util.tree_map(lambda a: a.astype(dtype), (PARAMS, X, Y))
    step = funcad.jit(sgd_step, backend="xla")
    on_device = funcad.device_put((params, x, y))
    step(*on_device)  # compile (its constants are placed on the device explicitly)
    p, dx, dy = on_device
    # Any implicit host<->device copy (np.asarray of a result, a NumPy argument placed on
    # the device) raises under this guard.
    with jax.transfer_guard("disallow"):
        for _ in range(3):
            p = step(p, dx, dy)
            assert all(isinstance(a, jax.Array) for a in p)
    expected = params
    for _ in range(3):
        expected = funcad.jit(sgd_step, backend="numpy")(expected, x, y)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for a, b in zip(funcad.device_get(p), expected):
        assert type(a) is np.ndarray and a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_the_guard_catches_a_host_array_going_in():
    """The check above can fail: were results NumPy arrays, feeding them back in would place
    them on the device again, which the guard refuses."""
    double = funcad.jit(lambda x: x * 2, backend="xla")
    double(np.ones(3, np.float32))
    with jax.transfer_guard("disallow"), pytest.raises(Exception, match=r"[Tt]ransfer"):
        double(np.ones(3, np.float32))


def test_every_transform_and_the_numpy_backend_accept_jax_arrays():
    params = funcad.device_put(PARAMS)
    x, y = funcad.device_put((X, Y))
    expected = funcad.grad(loss)(PARAMS, X, Y)
    results = {
        "grad": funcad.grad(loss)(params, x, y),
        "jit(numpy)": funcad.jit(funcad.grad(loss), backend="numpy")(params, x, y),
        "jit(xla)": funcad.jit(funcad.grad(loss), backend="xla")(params, x, y),
        "vjp": funcad.vjp(lambda p: loss(p, x, y), params)[1](np.float64(1.0))[0],
        "linearize": funcad.linear_transpose(
            funcad.linearize(lambda p: loss(p, x, y), params)[1], params)(1.0)[0],
    }
    for name, got in results.items():
        for a, b in zip(got, expected):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-12, atol=1e-14, err_msg=name)
    per_example = funcad.vmap(funcad.grad(loss), (None, 0, 0))(params, x[:, None], y[:, None])
    assert per_example[0].shape == (8, 4, 3)
    _, tangent = funcad.jvp(lambda p: loss(p, x, y), (params,), (PARAMS,))
    np.testing.assert_allclose(tangent, funcad.jvp(lambda p: loss(p, X, Y), (PARAMS,),
                                                   (PARAMS,))[1], rtol=1e-12)
    h = funcad.hessian(lambda b: loss((PARAMS[0], b), X, Y))(params[1])
    assert type(h) is np.ndarray
    np.testing.assert_allclose(h, funcad.hessian(lambda b: loss((PARAMS[0], b), X, Y))(
        PARAMS[1]), rtol=1e-12, atol=1e-14)


def test_funcad_numpy_reads_jax_arrays_as_numpy():
    x = funcad.device_put(X)
    for got, want in [(fnp.sum(fnp.sin(x)), np.sum(np.sin(X))), (fnp.asarray(x) + 1, X + 1),
                      (fnp.matmul(x, fnp.ones(4)), X @ np.ones(4)),
                      (fnp.where(fnp.greater(x, 0), x, 0.0), np.where(X > 0, X, 0.0))]:
        assert isinstance(got, np.ndarray)  # (eager results may be the .at subclass)
        np.testing.assert_allclose(got, want, rtol=1e-14)


def test_device_put_get_and_block_until_ready_work_on_trees():
    tree = {"w": np.arange(3.0), "n": np.int32(4), "f32": np.ones(2, np.float32)}
    placed = funcad.device_put(tree)
    assert all(isinstance(v, jax.Array) for v in placed.values())
    assert placed["w"].dtype == np.float64 and placed["f32"].dtype == np.float32
    assert funcad.block_until_ready(placed) is placed
    back = funcad.device_get(placed)
    assert all(type(v) is np.ndarray for v in back.values())
    np.testing.assert_array_equal(back["w"], tree["w"])
    cpu = jax.devices("cpu")[0]
    assert funcad.device_put(np.ones(2), "cpu").devices() == {cpu}
    assert funcad_xla.device_put(np.ones(2), cpu).devices() == {cpu}


def test_importing_jax_leaves_numpys_global_random_state_alone():
    """In a fresh interpreter (jax not yet loaded): the draws after a first XLA compile are
    the draws without it."""
    code = textwrap.dedent("""
        import numpy as np, funcad, funcad.numpy as fnp
        np.random.seed(0); expected = np.random.rand(4)
        np.random.seed(0)
        funcad.jit(lambda x: fnp.sin(x) @ x, backend="xla")(np.ones((3, 3)))
        funcad.device_put(np.ones(2))
        assert "jax" in __import__("sys").modules
        got = np.random.rand(4)
        assert (got == expected).all(), (got, expected)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "ok"
