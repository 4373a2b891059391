"""Hessian of f(x) = sum(tanh(A x)^2) + 0.1 sum(x^4): funcad vs autograd vs jax.jit(jax.hessian).

    python benchmarks/bench_hessian.py [--sizes 50 200 800] [--quick]

Prints seconds per Hessian for each n, the growth between sizes, and the ratios
funcad/autograd, funcad/JAX-jit and funcad.jit/autograd (contenders timed in alternation).
"""
from __future__ import annotations

import argparse
import functools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times_interleaved, fmt


def objective(ns, a):
    def f(x):
        return ns.sum(ns.tanh(a @ x) ** 2) + 0.1 * ns.sum(x**4)

    return f


def _jax_call(fn, x):
    import jax

    return jax.block_until_ready(fn(x))


def main(sizes, quick: bool):
    import autograd
    import autograd.numpy as anp
    import jax
    import jax.numpy as jnp

    import funcad
    import funcad.numpy as fnp

    jax.config.update("jax_enable_x64", True)
    min_time = 0.05 if quick else 1.0
    print(f"{'n':>5s} {'funcad':>11s} {'autograd':>11s} {'jax.jit':>11s} {'funcad.jit':>11s}"
          f" {'funcad/autograd':>16s} {'funcad/jax.jit':>15s} {'jit/autograd':>13s}")
    previous = None
    for n in sizes:
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n)) / np.sqrt(n)
        x = rng.standard_normal(n)
        ours = funcad.hessian(objective(fnp, a))
        ours_jit = funcad.jit(funcad.hessian(objective(fnp, a)), backend="numpy")
        theirs = autograd.hessian(objective(anp, a))
        jax_h = jax.jit(jax.hessian(objective(jnp, jnp.asarray(a))))
        h_ref = np.asarray(jax_h(x))
        np.testing.assert_allclose(ours(x), h_ref, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours_jit(x), h_ref, rtol=1e-8, atol=1e-10)
        t_f, t_a, t_j, t_fj = best_times_interleaved(
            [functools.partial(ours, x), functools.partial(theirs, x),
             functools.partial(_jax_call, jax_h, x), functools.partial(ours_jit, x)],
            min_time=min_time)
        print(f"{n:5d} {fmt(t_f)} {fmt(t_a)} {fmt(t_j)} {fmt(t_fj)}"
              f" {t_f / t_a:16.2f} {t_f / t_j:15.1f} {t_fj / t_a:13.3f}")
        if previous is not None:
            n0, t0 = previous
            print(f"      funcad time grows {t_f / t0:.1f}x for n {n0} -> {n} "
                  f"(n^2 would be {(n / n0) ** 2:.0f}x, n^3 {(n / n0) ** 3:.0f}x)")
        previous = (n, t_f)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 800])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = ap.parse_args()
    main([10, 20] if args.quick else args.sizes, args.quick)
