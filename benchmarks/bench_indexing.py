"""NumPy-style indexing in ``funcad.numpy``, eager and under ``jit(backend="numpy")``,
measured side by side with NumPy in one process; prints each ratio (no targets: the
numbers are read against an earlier run of the same script).

    python benchmarks/bench_indexing.py [--quick] [--blas-threads N]

- ``x[idx]``: rows of a (10000, 64) matrix at 2000 indices (``numpy``: ``x[idx]``), the
  columns ``x[:, idx]`` and points ``x[i, j]``;
- ``x.at[idx].add(u)`` with repeated indices (``numpy``: copy + ``np.add.at``) and
  ``x.at[idx].set(u)``;
- ``grad`` of ``sum(x[idx] ** 2)`` (a gather and its transpose, a scatter-add) against
  NumPy's hand-written gradient.
"""
from __future__ import annotations

import functools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times_interleaved, fmt, parse_args


def _cases(fnp, funcad, rng):
    x = rng.standard_normal((10000, 64))
    rows = rng.integers(0, 10000, 2000)
    cols = rng.integers(0, 64, 40)
    pts_i, pts_j = rng.integers(0, 10000, 5000), rng.integers(0, 64, 5000)
    u = rng.standard_normal((2000, 64))

    def np_add(x, i, u):
        y = x.copy()
        np.add.at(y, i, u)
        return y

    def np_set(x, i, u):
        y = x.copy()
        y[i] = u
        return y

    def np_grad(x, i):
        g = np.zeros_like(x)
        np.add.at(g, i, 2 * x[i])
        return g

    loss = funcad.grad(lambda x, i: fnp.sum(x[i] ** 2))
    return [
        ("x[rows]", lambda x, i: x[i], lambda x, i: x[i], (x, rows)),
        ("x[:, cols]", lambda x, i: x[:, i], lambda x, i: x[:, i], (x, cols)),
        ("x[i, j] points", lambda x, i, j: x[i, j], lambda x, i, j: x[i, j], (x, pts_i, pts_j)),
        ("x.at[rows].add(u)", lambda x, i, u: x.at[i].add(u), np_add, (x, rows, u)),
        ("x.at[rows].set(u)", lambda x, i, u: x.at[i].set(u), np_set, (x, rows, u)),
        ("grad sum(x[rows]**2)", loss, np_grad, (x, rows)),
    ]


def main(quick: bool):
    import funcad
    import funcad.numpy as fnp

    rng = np.random.default_rng(0)
    min_time = 0.05 if quick else 0.5
    rows = []
    for name, fn, ref, args in _cases(fnp, funcad, rng):
        def eager(*a, fn=fn):
            return fn(fnp.asarray(a[0]), *a[1:])

        jitted = funcad.jit(fn, backend="numpy")
        want = ref(*args)
        for f in (eager, jitted):
            np.testing.assert_allclose(f(*args), want, rtol=1e-12, atol=1e-12)
        t_e, t_j, t_np = best_times_interleaved(
            [functools.partial(eager, *args), functools.partial(jitted, *args),
             functools.partial(ref, *args)], min_time=min_time)
        rows.append((name, fmt(t_e), fmt(t_j), fmt(t_np), f"{t_e / t_np:7.2f}",
                     f"{t_j / t_np:7.2f}"))
    head = ("case", "eager", "jit numpy", "numpy", "eager/np", "jit/np")
    widths = [max(len(str(r[c])) for r in rows + [head]) for c in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(v).rjust(w) for v, w in zip(r, widths)))


if __name__ == "__main__":
    args = parse_args(__doc__, "fewer repetitions")
    main(args.quick)
