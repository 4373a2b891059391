"""Sparse Jacobians and Hessians: funcad's ``jit(sparse_jacobian)`` / ``jit(sparse_hessian)``
on the xla backend against asdex (the JAX library for sparse derivatives, jitted with
``jax.jit``) side by side, and against dense ``jacfwd``/``hessian``; and the time of
pattern detection as the program grows.

Run: ``python benchmarks/bench_sparse.py [--quick]``. asdex is not a funcad dependency
(``pip install asdex`` for this benchmark only); without it, its columns are skipped.

Dense derivatives at n = 10^4 (10^4 JVPs over a 10^4 x 10^4 result, 800 MB) are timed at
n = 1000, 2000, 4000 and extrapolated quadratically (n products of cost O(n) each) from
each size; the smallest extrapolation is used. The script prints the sizes it timed and
the fitted exponent (steeper than 2 in practice, so the estimate favours dense). The anchor
ratio is the median of three interleaved measurements.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import funcad
import funcad.numpy as fnp
from funcad.sparse.detection import propagate, stage

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times_interleaved, fmt


def banded_fad(x):
    p = fnp.concatenate([fnp.zeros(1), x, fnp.zeros(1)])
    return p[:-2] - 2.0 * x + p[2:] + x ** 3 - 1.0


def rosenbrock_fad(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _jax_versions():
    import jax.numpy as jnp

    def banded(x):
        p = jnp.concatenate([jnp.zeros(1), x, jnp.zeros(1)])
        return p[:-2] - 2.0 * x + p[2:] + x ** 3 - 1.0

    def rosenbrock(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return banded, rosenbrock


def _asdex():
    try:
        import asdex
        import jax
    except ImportError:
        return None, None
    jax.config.update("jax_enable_x64", True)
    return asdex, jax


def _dense_extrapolated(make, sizes, n, rounds):
    """Seconds per call of the dense derivative at each of ``sizes``, and its quadratic
    extrapolation to ``n`` (n products of cost O(n)): the smallest of the extrapolations
    from each size, the one most favourable to dense (the measured growth is steeper)."""
    times = []
    for size in sizes:
        fn, x = make(size)
        times.append(best_times_interleaved([lambda fn=fn, x=x: fn(x)], rounds=rounds)[0])
    slope = np.polyfit(np.log(sizes), np.log(times), 1)[0]
    return times, min(t * (n / s) ** 2 for t, s in zip(times, sizes)), slope


def compare(name, ours_fn, ours_callable, anchor_fn, anchor_colors, dense_make, n, x, rounds):
    ours = funcad.jit(ours_fn, backend="xla")
    t0 = time.perf_counter()
    ours(x)
    first = time.perf_counter() - t0
    fns = [lambda: ours(x)]
    if anchor_fn is not None:
        fns.append(anchor_fn)
    # three interleaved measurements; the median ratio is reported (the machine is shared)
    runs = [best_times_interleaved(fns, rounds=rounds) for _ in range(3)]
    times = [float(np.median([r[i] for r in runs])) for i in range(len(fns))]
    print(f"\n{name}, n = {n}: first call (detect + color + compile) {fmt(first)}")
    print(f"  funcad jit(xla): {fmt(times[0])}  colors {ours_callable.num_colors}")
    if anchor_fn is not None:
        ratios = sorted(r[0] / r[1] for r in runs)
        print(f"  asdex jax.jit:   {fmt(times[1])}  colors {anchor_colors}")
        print(f"  ratio funcad / asdex = {ratios[1]:.2f} (median of "
              + ", ".join(f"{q:.2f}" for q in ratios) + ")")
    sizes = [1000, 2000, 4000]
    dense_times, dense_n, slope = _dense_extrapolated(dense_make, sizes, n, rounds=2)
    print("  dense (funcad jit xla) at n = " + ", ".join(
        f"{s}: {fmt(t).strip()}" for s, t in zip(sizes, dense_times))
          + f" (fitted exponent {slope:.2f}); extrapolated as n^2 to {n}: "
          + fmt(dense_n))
    print(f"  speedup vs dense = {dense_n / times[0]:.0f}x")


# kind -> (title, funcad function, index of its JAX twin in _jax_versions(), sparse
# transform, dense transform, asdex's function name, seed of the point)
DERIVATIVES = {
    "jacobian": ("banded residual Jacobian", banded_fad, 0, funcad.sparse_jacobian,
                 funcad.jacfwd, "jacobian", 0),
    "hessian": ("Rosenbrock Hessian", rosenbrock_fad, 1, funcad.sparse_hessian,
                funcad.hessian, "hessian", 1),
}


def derivative_benchmark(kind, n, rounds):
    """The sparse derivative against asdex's (checked equal first) and the dense one."""
    title, fad, twin, sparse_transform, dense_transform, asdex_name, seed = DERIVATIVES[kind]
    asdex, jax = _asdex()
    x = np.random.default_rng(seed).uniform(-1, 1, n)
    ours = sparse_transform(fad)
    anchor, colors = None, None
    if asdex is not None:
        fun_jax = _jax_versions()[twin]
        anchor_fn = jax.jit(getattr(asdex, asdex_name)(fun_jax, x))
        anchor = lambda: jax.block_until_ready(anchor_fn(x))  # noqa: E731
        colors = getattr(asdex, f"{asdex_name}_coloring")(fun_jax, x).num_colors
        if n <= 2000:  # densified, the same matrix as asdex's
            np.testing.assert_allclose(funcad.jit(ours, backend="xla")(x).toarray(),
                                       np.asarray(anchor_fn(x).todense()), rtol=1e-12)

    def dense_make(size):
        return funcad.jit(dense_transform(fad), backend="xla"), np.linspace(-1, 1, size)

    compare(title, ours, ours, anchor, colors, dense_make, n, x, rounds)


def scalar_residuals(x):
    """One scalar equation per element, written element by element: about 12 IR equations
    per residual."""
    n = x.shape[0]
    out = []
    for i in range(n):
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        out.append(left - 2.0 * x[i] + right + x[i] ** 3)
    return fnp.stack(out)


def detection_benchmark(sizes):
    print("\npattern detection (jacobian_sparsity) as the IR grows:")
    print("  equations   trace      propagate  propagate per equation")
    for n in sizes:
        x = np.zeros(n)
        t0 = time.perf_counter()
        staged = stage(scalar_residuals, (x,), {}, (0,), "bench")
        traced = time.perf_counter() - t0
        eqns = len(staged.closed.jaxpr.eqns)
        t0 = time.perf_counter()
        propagate(staged, hessian=False)
        spent = time.perf_counter() - t0
        print(f"  {eqns:9d}  {fmt(traced)}  {fmt(spent)}  {spent / eqns * 1e6:6.1f} us")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, few rounds")
    args = parser.parse_args()
    n = 1000 if args.quick else 10_000
    rounds = 3 if args.quick else 9
    print("numbers from a loaded shared 2-core machine; ratios come from alternating runs")
    for kind in DERIVATIVES:
        derivative_benchmark(kind, n, rounds)
    detection_benchmark([100, 300] if args.quick else [1000, 3000, 9000])


if __name__ == "__main__":
    main()
