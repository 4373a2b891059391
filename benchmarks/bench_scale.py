"""The XLA backend with device-resident arrays and across devices, side by side with JAX.

    python benchmarks/bench_scale.py [--quick] [--devices 8]

- Training loop: 100 steps ``params = step(params, x, y)`` of an MLP (784-256-256-10, tanh,
  softmax cross-entropy, SGD) in float32, parameters kept on the device between steps:
  ``funcad.jit(step, backend="xla")`` vs ``jax.jit(step)``, medians of loops timed in
  alternation (target <= 1.00).
- One call with NumPy inputs (per-call dispatch: flattening, dtype checks, the host copy):
  the same step, steady state (target <= 1.02).
- The data-parallel step (batch split over a Mesh) on ``--devices`` simulated CPU devices
  vs one device, run in a subprocess: a correctness demonstration on a small machine, not a
  speed claim (every simulated device shares the same cores).
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _timing import best_times_interleaved, fmt, machine_load  # noqa: E402


def _parse():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--devices", type=int, default=8, help="simulated devices for scaling")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--scaling-child", action="store_true", help=argparse.SUPPRESS)
    return ap.parse_args()


def _mlp(ns, lse):
    def loss(params, x, labels):
        h = x
        for w, b in params[:-1]:
            h = ns.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        return -ns.mean(ns.sum(labels * (logits - lse(logits, axis=1, keepdims=True)), axis=1))

    return loss


def _data(batch, dtype=np.float32):
    rng = np.random.default_rng(0)
    sizes = [784, 256, 256, 10]
    params = [((rng.standard_normal((m, n)) / np.sqrt(m)).astype(dtype), np.zeros(n, dtype))
              for m, n in itertools.pairwise(sizes)]
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    labels = np.eye(10, dtype=dtype)[rng.integers(0, 10, batch)]
    return params, x, labels


def _steps(ns_grad, loss, lr=0.1):
    def step(params, x, labels):
        grads = ns_grad(loss)(params, x, labels)
        return [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(params, grads)]

    return step


def interleaved_medians(fns, rounds: int) -> list[float]:
    """Median seconds of each of ``fns``, called in alternation ``rounds`` times, the order
    reversed every other round (what ran just before a loop changes its speed on a small
    machine; a fixed order would turn that into a bias)."""
    times = [[] for _ in fns]
    for fn in fns:
        fn()  # warm up (compile)
    for r in range(rounds):
        order = range(len(fns)) if r % 2 == 0 else reversed(range(len(fns)))
        for i in order:
            t0 = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def training_loop(args):
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp as j_lse

    import funcad
    import funcad.numpy as fnp
    from funcad.scipy.special import logsumexp as f_lse

    batch, n_steps = (64, 20) if args.quick else (256, 100)
    params, x, labels = _data(batch)
    ours = funcad.jit(_steps(funcad.grad, _mlp(fnp, f_lse)), backend="xla")
    theirs = jax.jit(_steps(jax.grad, _mlp(jnp, j_lse)))
    p_ours, p_theirs = funcad.device_put((params, x, labels)), jax.device_put((params, x, labels))

    def run(step, placed):
        def loop():
            p, xb, yb = placed
            for _ in range(n_steps):
                p = step(p, xb, yb)
            jax.block_until_ready(p)
            return p
        return loop

    t_ours, t_theirs = interleaved_medians([run(ours, p_ours), run(theirs, p_theirs)],
                                           args.rounds)
    a, b = run(ours, p_ours)(), run(theirs, p_theirs)()
    err = max(float(np.max(np.abs(np.asarray(u) - np.asarray(v))))
              for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))
    rows = [(f"MLP f32 {n_steps} steps, device-resident params", t_ours, t_theirs, 1.00)]

    numpy_ours = lambda: jax.block_until_ready(ours(params, x, labels))  # noqa: E731
    numpy_theirs = lambda: jax.block_until_ready(theirs(params, x, labels))  # noqa: E731
    t1, t2 = best_times_interleaved([numpy_ours, numpy_theirs],
                                    min_time=0.1 if args.quick else 1.0)
    rows.append(("MLP f32 one step, NumPy inputs (steady state)", t1, t2, 1.02))
    print(f"(max |funcad - jax| over the parameters after the loop: {err:.1e})")
    return rows


SCALING_CHILD = """
import os, sys, time, statistics
import numpy as np, jax
sys.path.insert(0, {here!r})
from bench_scale import _data, _mlp, _steps
import funcad, funcad.numpy as fnp
from funcad.scipy.special import logsumexp as f_lse
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
batch = {batch}
params, x, labels = _data(batch)
step = _steps(funcad.grad, _mlp(fnp, f_lse))
mesh = Mesh(np.array(jax.devices()), ("b",))
rep, rows = NamedSharding(mesh, P()), NamedSharding(mesh, P("b"))
sharded = funcad.jit(step, backend="xla", in_shardings=(rep, rows, rows), out_shardings=rep)
single = funcad.jit(step, backend="xla", device=jax.devices()[0])
ps, xs, ys = funcad.device_put(params, rep), *funcad.device_put((x, labels), rows)
p1 = funcad.device_put((params, x, labels), jax.devices()[0])
def loop(fn, p, xb, yb):
    for _ in range(10):
        p = fn(p, xb, yb)
    return jax.block_until_ready(p)
for fn, a in ((sharded, (ps, xs, ys)), (single, p1)):
    loop(fn, *a)
ts, t1 = [], []
for _ in range({rounds}):
    t0 = time.perf_counter(); out_s = loop(sharded, ps, xs, ys); ts.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); out_1 = loop(single, *p1); t1.append(time.perf_counter() - t0)
err = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
          for a, b in zip(jax.tree_util.tree_leaves(out_s), jax.tree_util.tree_leaves(out_1)))
print(len(jax.devices()), statistics.median(ts), statistics.median(t1), err)
"""


def scaling(args):
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={args.devices}")
    code = SCALING_CHILD.format(here=HERE, batch=64 if args.quick else 256, rounds=args.rounds)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    n, t_sharded, t_single, err = out.stdout.split()
    print(f"data-parallel step x10 on {n} simulated CPU devices: {fmt(float(t_sharded))} vs "
          f"{fmt(float(t_single))} on one device (ratio {float(t_sharded) / float(t_single):.2f}; "
          f"max |difference| {float(err):.1e}; simulated devices share this machine's cores)")


def main():
    args = _parse()
    print(f"({machine_load()} at the start)")
    rows = training_loop(args)
    print(f"{'case':52s} {'funcad':>11s} {'jax':>11s} {'ratio':>7s}  target")
    for name, ours, theirs, target in rows:
        ratio = ours / theirs
        print(f"{name:52s} {fmt(ours)} {fmt(theirs)} {ratio:7.3f}  <= {target:.2f} "
              f"{'ok' if ratio <= target else 'MISSED'}")
    print(f"({machine_load()} after the single-device rows)")
    scaling(args)


if __name__ == "__main__":
    main()
