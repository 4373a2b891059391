"""Taylor mode and the forward Laplacian, side by side with their anchors.

    python benchmarks/bench_taylor.py [--quick]

1. Laplacian of an MLP R^128 -> R (128-128-1, tanh) at 64 points (vmap), float64:
   xla backend: funcad.jit(vmap(laplacian)) vs folx's forward Laplacian (jax.jit(vmap))
   and vs funcad.jit(vmap(trace(hessian))) (jax.jit's printed for reference); numpy
   backend: funcad.jit(vmap(laplacian)) vs funcad.jit(vmap(trace(hessian))).
   Targets: <= 1.0x folx, >= 2x faster than trace(hessian).
2. The k-th derivative of a scalar function along a direction, k = 1..6: jet (one pass of
   order k) vs k nested jvp, eager and under jit (numpy); ratio and growth with k.

folx is an anchor for this benchmark only (``pip install folx``); it is skipped if absent.
Contenders are timed in alternation (benchmarks/_timing.py).
"""
from __future__ import annotations

import argparse
import functools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times_interleaved, fmt

N_IN, HIDDEN, POINTS = 128, 128, 64


def mlp(ns, w1, b1, w2):
    def f(x):
        return (ns.tanh(x @ w1 + b1) @ w2)[0]

    return f


def _jax_trace_hessian(w1, b1, w2):
    import jax
    import jax.numpy as jnp

    f = mlp(jnp, jnp.asarray(w1), jnp.asarray(b1), jnp.asarray(w2))
    th = jax.jit(jax.vmap(lambda x: jnp.trace(jax.hessian(f)(x))))
    return lambda xs: jax.block_until_ready(th(xs))


def _folx(w1, b1, w2):
    try:
        import folx
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    f = mlp(jnp, jnp.asarray(w1), jnp.asarray(b1), jnp.asarray(w2))
    fl = jax.jit(jax.vmap(lambda x: folx.forward_laplacian(f)(x).laplacian))
    return lambda xs: jax.block_until_ready(fl(xs))


def laplacian_bench(min_time: float) -> None:
    import jax

    import funcad
    import funcad.numpy as fnp

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((N_IN, HIDDEN)) / np.sqrt(N_IN)
    b1 = rng.standard_normal(HIDDEN)
    w2 = rng.standard_normal((HIDDEN, 1)) / np.sqrt(HIDDEN)
    xs = rng.standard_normal((POINTS, N_IN))
    f = mlp(fnp, w1, b1, w2)

    def trace_hessian(x):
        return fnp.trace(funcad.hessian(f)(x))

    print(f"1. Laplacian of a {N_IN}-{HIDDEN}-1 tanh MLP at {POINTS} points (float64)")
    for backend in ("xla", "numpy"):
        lap = funcad.jit(funcad.vmap(funcad.laplacian(f)), backend=backend)
        ref = funcad.jit(funcad.vmap(trace_hessian), backend=backend)
        want = np.asarray(ref(xs))
        np.testing.assert_allclose(lap(xs), want, rtol=1e-9, atol=1e-9)
        fns = [functools.partial(lap, xs), functools.partial(ref, xs)]
        names = ["funcad laplacian", "funcad trace(hessian)"]
        folx = _folx(w1, b1, w2) if backend == "xla" else None
        if folx is not None:
            np.testing.assert_allclose(np.asarray(folx(xs)), want, rtol=1e-9, atol=1e-9)
            fns.append(functools.partial(folx, xs))
            names.append("folx forward_laplacian")
        elif backend == "xla":
            print("   folx is not installed: its column is skipped")
        if backend == "xla":
            fns.append(functools.partial(_jax_trace_hessian(w1, b1, w2), xs))
            names.append("jax.jit trace(hessian)")
        times = best_times_interleaved(fns, min_time=min_time, rounds=5)
        print(f"   backend {backend}:")
        for name, t in zip(names, times):
            print(f"     {name:24s} {fmt(t)}")
        print(f"     trace(hessian) / laplacian = {times[1] / times[0]:.2f}x (target >= 2)")
        if folx is not None:
            print(f"     laplacian / folx           = {times[0] / times[2]:.2f}x (target <= 1.0)")
        if backend == "xla":
            print(f"     jax trace(hessian) / laplacian = {times[-1] / times[0]:.2f}x")


def directional_bench(min_time: float, max_order: int) -> None:
    import funcad
    import funcad.numpy as fnp

    rng = np.random.default_rng(1)
    a = rng.standard_normal((16, 16)) / 4.0
    x, v = rng.standard_normal(16), rng.standard_normal(16)

    def f(y):
        return fnp.sum(fnp.tanh(a @ fnp.sin(y)) * fnp.exp(-y * y / 4.0))

    def nested(k):
        g = f
        for _ in range(k):
            g = (lambda h: lambda y: funcad.jvp(h, (y,), (v,))[1])(g)
        return g

    zero = np.zeros_like(x)  # concrete: jet treats the line's higher terms as symbolic zeros

    def by_jet(k):
        return lambda y: funcad.jet(f, (y,), ([v] + [zero] * (k - 1),))[1][k - 1]

    print("\n2. k-th derivative of a scalar function of R^16 along a direction")
    print(f"   {'k':>2s} {'jet':>11s} {'nested jvp':>11s} {'nested/jet':>11s}"
          f" {'jit jet':>11s} {'jit nested':>11s} {'nested/jet':>11s}")
    for k in range(1, max_order + 1):
        jet_k, nest_k = by_jet(k), nested(k)
        jet_j = funcad.jit(jet_k, backend="numpy")
        nest_j = funcad.jit(nest_k, backend="numpy")
        want = nest_k(x)
        for got in (jet_k(x), jet_j(x), nest_j(x)):
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8)
        t = best_times_interleaved([functools.partial(g, x) for g in
                                    (jet_k, nest_k, jet_j, nest_j)], min_time=min_time, rounds=5)
        print(f"   {k:2d} {fmt(t[0])} {fmt(t[1])} {t[1] / t[0]:10.2f}x"
              f" {fmt(t[2])} {fmt(t[3])} {t[3] / t[2]:10.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    min_time = 0.05 if args.quick else 0.5
    laplacian_bench(min_time)
    directional_bench(min_time, 6)


if __name__ == "__main__":
    main()
