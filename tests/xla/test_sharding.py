"""Scale-out through XLA's SPMD partitioner: in_shardings/out_shardings on jit,
with_sharding_constraint as a primitive with every rule, device_put to a sharding. The
multi-device checks run in a fresh interpreter with 8 simulated CPU devices."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax is not installed: the XLA backend is untested")

import funcad  # noqa: E402
import funcad.numpy as fnp  # noqa: E402
import funcad_xla  # noqa: E402
from funcad.errors import FuncadValueError  # noqa: E402
from funcad.ops.sharding import sharding_constraint_p  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

EIGHT_DEVICES = textwrap.dedent("""
    import numpy as np, jax, funcad, funcad.numpy as fnp, funcad_xla
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    assert len(jax.devices()) == 8
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    rep, rows = NamedSharding(mesh, P()), NamedSharding(mesh, P("batch"))

    def example_loss(w, x, y):
        return (fnp.tanh(x @ w[0] + w[1]) @ w[2] - y) ** 2

    def step(w, x, y, pin):
        g = funcad.vmap(funcad.grad(example_loss), (None, 0, 0))(w, x, y)
        if pin:
            g = funcad_xla.with_sharding_constraint(g, rows)
        return tuple(p - 0.1 * fnp.mean(gi, axis=0) for p, gi in zip(w, g)), g

    rng = np.random.default_rng(0)
    for dtype, tol in ((np.float32, 1e-6), (np.float64, 1e-12)):
        w = tuple(a.astype(dtype) for a in (rng.normal(size=(5, 7)), rng.normal(size=7),
                                            rng.normal(size=7)))
        x, y = rng.normal(size=(32, 5)).astype(dtype), rng.normal(size=32).astype(dtype)
        sharded = funcad.jit(lambda w, x, y: step(w, x, y, True), backend="xla",
                             in_shardings=(rep, rows, rows), out_shardings=(rep, rows))
        single = funcad.jit(lambda w, x, y: step(w, x, y, False), backend="xla",
                            device=jax.devices()[0])
        (new_w, grads), (ref_w, ref_g) = sharded(w, x, y), single(w, x, y)
        # placed inputs run too, with no host copy
        again = sharded(funcad.device_put(w, rep), *funcad.device_put((x, y), rows))
        for a, b in zip((*new_w, *grads, *again[0]), (*ref_w, *ref_g, *ref_w)):
            assert a.dtype == dtype
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)
        assert len(grads[0].addressable_shards) == 8
        assert {s.data.shape for s in grads[0].addressable_shards} == {(4, 5, 7)}
        assert grads[0].sharding == rows and new_w[0].sharding == rep
    lowered = funcad_xla.lower(sharded, w, x, y)
    assert "sharding_constraint" in lowered.stablehlo_text, lowered.stablehlo_text[:2000]
    # each device computes its 4 rows: the partitioned HLO sees [4,5] blocks of x
    assert "f64[4,5]" in lowered.hlo_text
    print("ok")
""")


def test_eight_devices_split_the_data_parallel_step_and_match_one_device():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
               PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", EIGHT_DEVICES], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-4000:]
    assert out.stdout.strip().endswith("ok")


def _one_device_sharding():
    return jax.sharding.SingleDeviceSharding(jax.devices()[0])


def test_with_sharding_constraint_is_an_identity_under_every_transform():
    s = _one_device_sharding()

    def f(x):
        return fnp.sum(fnp.sin(funcad_xla.with_sharding_constraint(x * x, s)))

    def plain(x):
        return fnp.sum(fnp.sin(x * x))

    x = np.linspace(-1.0, 1.0, 6)
    for transform in (funcad.grad, funcad.hessian, lambda g: funcad.jit(funcad.grad(g),
                                                                       backend="numpy"),
                      lambda g: funcad.jit(funcad.grad(g), backend="xla")):
        np.testing.assert_allclose(np.asarray(transform(f)(x)), transform(plain)(x),
                                   rtol=1e-12, atol=1e-14)
    batched = funcad.vmap(funcad.grad(f))(np.stack([x, 2 * x]))
    np.testing.assert_allclose(batched, funcad.vmap(funcad.grad(plain))(np.stack([x, 2 * x])),
                               rtol=1e-12)
    jaxpr = funcad.make_jaxpr(funcad.grad(f))(x)
    assert str(jaxpr).count("sharding_constraint") == 2  # the primal and the cotangent
    # pytrees with a prefix (None: unconstrained)
    tree = funcad_xla.with_sharding_constraint({"a": x, "b": (x, x)}, {"a": s, "b": None})
    np.testing.assert_array_equal(tree["b"][1], x)
    assert sharding_constraint_p.name == "sharding_constraint"


def test_with_sharding_constraint_under_vmap_leaves_the_batch_axis_unconstrained():
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("d",))
    rows = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("d"))
    f = funcad.jit(funcad.vmap(lambda x: funcad.lax.with_sharding_constraint(x * 2, rows),
                               in_axes=1, out_axes=1), backend="xla")
    x = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(np.asarray(f(x)), 2 * x)
    assert "sharding_constraint" in funcad_xla.lower(f, x).stablehlo_text


def test_sharding_options_are_checked():
    s = _one_device_sharding()
    with pytest.raises(FuncadValueError, match="backend='xla'"):
        funcad.jit(lambda x: x, backend="numpy", in_shardings=s)
    with pytest.raises(FuncadValueError, match="either device="):
        funcad.jit(lambda x: x, backend="xla", device="cpu", in_shardings=s)
    f = funcad.jit(lambda x, y: x + y, backend="xla", in_shardings=(s,))
    with pytest.raises(FuncadValueError, match="1 entries for 2 positional"):
        f(np.ones(2), np.ones(2))
    g = funcad.jit(lambda x: x["a"] * 2, backend="xla", in_shardings=({"b": s},))
    with pytest.raises(FuncadValueError, match="in_shardings"):
        g({"a": np.ones(2)})
    h = funcad.jit(lambda x, *, y: x + y, backend="xla", in_shardings=s)
    with pytest.raises(FuncadValueError, match="positionally"):
        h(np.ones(2), y=np.ones(2))


def test_one_sharding_for_all_and_prefixes_for_the_output():
    s = _one_device_sharding()
    f = funcad_xla.jit(lambda a, b: {"sum": a + b, "parts": (a, b)}, in_shardings=s,
                       out_shardings={"sum": s, "parts": None})
    out = f(np.ones(3), np.arange(3.0))
    np.testing.assert_array_equal(np.asarray(out["sum"]), 1 + np.arange(3.0))
    assert out["sum"].sharding == s
