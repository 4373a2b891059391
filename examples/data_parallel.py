"""Data-parallel training of an MLP over every available device, by XLA's SPMD partitioner.

The batch is split over a one-axis ``Mesh`` of ``jax.devices()``; the parameters are
replicated. One jitted step computes per-example gradients (``vmap(grad(loss))``), clips
them (as in DP-SGD) and averages them: funcad only says where the inputs and results live
(``in_shardings``/``out_shardings``, ``with_sharding_constraint``); XLA splits the program
and inserts the all-reduce. The same script runs on one CPU, on simulated host devices, on
GPUs, and across hosts:

    python examples/data_parallel.py                    # the devices jax sees
    python examples/data_parallel.py --host-devices 8   # 8 simulated CPU devices
    python examples/data_parallel.py --distributed      # one process per host, after
                                                        # jax.distributed.initialize()

Parameters stay on the devices between steps (``jax.Array``s): nothing is copied to the host
until the end, where the result is checked against the same steps on one device.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host-devices", type=int, default=0,
                    help="simulate this many CPU devices (sets XLA_FLAGS before jax loads)")
    ap.add_argument("--distributed", action="store_true",
                    help="call jax.distributed.initialize() (multi-host launch)")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=256, help="global batch (a multiple of devices)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--small", action="store_true", help="small sizes (a smoke run)")
    args = ap.parse_args(argv)
    if args.small:
        args.steps, args.batch = 5, 32
    return args


def main(argv=None) -> None:
    args = parse(argv)
    if args.host_devices:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " "
                                   f"--xla_force_host_platform_device_count={args.host_devices}")
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    import funcad
    import funcad.numpy as fnp
    import funcad_xla

    if args.distributed:
        jax.distributed.initialize()
    devices = jax.devices()
    mesh = Mesh(np.array(devices), ("batch",))
    replicated = NamedSharding(mesh, PartitionSpec())
    by_example = NamedSharding(mesh, PartitionSpec("batch"))

    def predict(params, x):
        w1, b1, w2, b2 = params
        return fnp.tanh(x @ w1 + b1) @ w2 + b2

    def example_loss(params, x, y):
        return (predict(params, x) - y) ** 2

    def step(params, x, y, lr=0.05, clip=1.0, pin=True):
        grads = funcad.vmap(funcad.grad(example_loss), (None, 0, 0))(params, x, y)
        if pin:  # keep the per-example gradients split like the batch (XLA would infer it;
            # this pins it, and shows in the compiled program)
            grads = funcad_xla.with_sharding_constraint(grads, by_example)
        norms = fnp.sqrt(sum(fnp.sum(g.reshape(g.shape[0], -1) ** 2, axis=1) for g in grads))
        scale = fnp.minimum(1.0, clip / fnp.maximum(norms, 1e-12))
        return tuple(p - lr * fnp.mean(g * scale.reshape((-1,) + (1,) * (g.ndim - 1)), axis=0)
                     for p, g in zip(params, grads))

    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)
    d, h = 16, 32
    params = tuple(a.astype(dtype) for a in (
        rng.standard_normal((d, h)) / np.sqrt(d), np.zeros(h),
        rng.standard_normal(h) / np.sqrt(h), np.zeros(())))
    batch = args.batch - args.batch % len(devices) or len(devices)
    x = rng.standard_normal((batch, d)).astype(dtype)
    y = np.sin(x[:, 0]).astype(dtype)

    sharded = funcad.jit(step, backend="xla", in_shardings=(replicated, by_example, by_example),
                         out_shardings=replicated)
    single = funcad.jit(lambda p, x, y: step(p, x, y, pin=False), backend="xla",
                        device=devices[0])

    p_sharded = funcad.device_put(params, replicated)
    x_sharded, y_sharded = funcad.device_put((x, y), by_example)
    funcad.block_until_ready(sharded(p_sharded, x_sharded, y_sharded))  # compile
    t0 = time.perf_counter()
    for _ in range(args.steps):
        p_sharded = sharded(p_sharded, x_sharded, y_sharded)
    funcad.block_until_ready(p_sharded)
    elapsed = time.perf_counter() - t0

    p_single = funcad.device_put(params, devices[0])
    for _ in range(args.steps):
        p_single = single(p_single, x, y)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    for a, b in zip(funcad.device_get(p_sharded), funcad.device_get(p_single)):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    loss = float(np.mean([np.asarray(example_loss(funcad.device_get(p_sharded), xi, yi))
                          for xi, yi in zip(x[:64], y[:64])]))
    print(f"{len(devices)} device(s) ({devices[0].platform}), batch {batch} split "
          f"{batch // len(devices)} per device, {args.steps} steps in {elapsed * 1e3:.1f} ms; "
          f"loss {loss:.4f}")
    print(f"parameters replicated on {len(p_sharded[0].sharding.device_set)} device(s); "
          f"same numbers as one device (tolerance {tol:g})")


if __name__ == "__main__":
    main()
