"""funcad.random benchmarks, measured side by side in one process (alternating rounds):
``random.uniform`` and ``random.normal`` of 10**7 float32 numbers.

    python benchmarks/bench_random.py [--quick]

- ``jit(backend="numpy")`` vs ``jax.jit(jax.random.*)`` on CPU (target: within 2x);
- ``jit(backend="xla")`` vs ``jax.jit(jax.random.*)`` (target: <= 1.05x).

Both compute the same numbers (threefry2x32 in JAX's partitionable mode). ``normal`` needs
``funcad.lax.erf_inv``; without it the row says so.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _timing import best_times_interleaved, fmt

import funcad
import funcad.random as fr
from funcad import lax


def _row(name, ours, theirs, target):
    ratio = ours / theirs
    print(f"{name:<44} {fmt(ours)}  vs {fmt(theirs)}  ratio {ratio:5.2f}  (target {target})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="10**5 numbers (a smoke run)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    try:
        import jax
        import jax.random as jr
    except ImportError:
        print("jax is not installed: no anchor to compare with")
        return 0
    n = 10 ** 5 if args.quick else 10 ** 7
    key = fr.PRNGKey(0)
    jkey = jr.PRNGKey(0)
    print(f"{n} float32 numbers per call; a loaded shared machine: ratios, not absolute times")
    for name in ("uniform", "normal"):
        if name == "normal" and not hasattr(lax, "erf_inv"):
            print("normal: skipped (funcad.lax.erf_inv is not available in this build)")
            continue
        ours = getattr(fr, name)
        theirs = getattr(jr, name)
        f_np = funcad.jit(lambda k, ours=ours: ours(k, (n,), np.float32), backend="numpy")
        f_xla = funcad.jit(lambda k, ours=ours: ours(k, (n,), np.float32), backend="xla")
        f_jax = jax.jit(lambda k, theirs=theirs: theirs(k, (n,), np.float32))
        ref = np.asarray(f_jax(jkey))
        for label, f in (("numpy", f_np), ("xla", f_xla)):
            got = np.asarray(f(key))
            if name == "uniform":
                assert np.array_equal(got, ref), f"{name} {label} differs from jax.random"
            else:
                assert np.allclose(got, ref, rtol=2e-5, atol=2e-5), f"{name} {label} differs"
        t_np, t_xla, t_jax = best_times_interleaved(
            [lambda f=f_np: f(key), lambda f=f_xla: np.asarray(f(key)),
             lambda f=f_jax: f(jkey).block_until_ready()], min_time=0.5, rounds=args.rounds)
        _row(f"random.{name}: jit(backend='numpy') / jax.jit", t_np, t_jax, "<= 2")
        _row(f"random.{name}: jit(backend='xla')   / jax.jit", t_xla, t_jax, "<= 1.05")
    return 0


if __name__ == "__main__":
    sys.exit(main())
