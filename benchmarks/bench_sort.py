"""Sorting 10^6 elements with the NumPy backend, measured side by side with NumPy in one
process; prints each ratio with its target.

    python benchmarks/bench_sort.py [--quick]

- ``jit(funcad.numpy.sort, backend="numpy")`` vs ``numpy.sort`` (target <= 1.2).
- ``jit(lambda x: lax.top_k(x, 100), backend="numpy")`` vs ``numpy.sort`` (target <= 1.2)
  and, for information, vs NumPy's own fastest top-k (``argpartition`` then a sort of the
  k candidates).
- ``jit(grad(sum of the top half of the sorted values))`` vs ``numpy.sort``, for information:
  the derivative sorts an index along (a stable argsort) and gathers.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times_interleaved, fmt


def _numpy_top_k(x, k):
    part = np.argpartition(x, len(x) - k)[len(x) - k:]
    order = part[np.argsort(-x[part], kind="stable")]
    return x[order], order


def main(quick: bool):
    import funcad
    import funcad.numpy as fnp
    from funcad import lax

    rng = np.random.default_rng(0)
    n = 10**6
    x = rng.standard_normal(n)
    min_time = 0.3 if quick else 1.5
    k = 100
    f_sort = funcad.jit(fnp.sort, backend="numpy")
    f_top = funcad.jit(lambda x: lax.top_k(x, k), backend="numpy")
    f_grad = funcad.jit(funcad.grad(lambda x: fnp.sum(fnp.sort(x)[n // 2:])), backend="numpy")
    assert np.array_equal(f_sort(x), np.sort(x))
    values, idx = f_top(x)
    assert np.array_equal(values, np.sort(x)[::-1][:k]) and np.array_equal(x[idx], values)
    assert np.array_equal(f_grad(x), (x >= np.median(x)).astype(float))

    rows = []

    def row(name, ours, theirs, target=None):
        ratio = ours / theirs
        verdict = "" if target is None else ("ok" if ratio <= target else "MISSED")
        rows.append((name, fmt(ours), fmt(theirs), f"{ratio:8.3f}",
                     "" if target is None else f"<= {target}", verdict))

    t_s, t_np = best_times_interleaved([lambda: f_sort(x), lambda: np.sort(x)],
                                       min_time=min_time)
    row("sort 1e6 f64: numpy backend vs np.sort", t_s, t_np, 1.2)
    t_t, t_np2, t_ref = best_times_interleaved(
        [lambda: f_top(x), lambda: np.sort(x), lambda: _numpy_top_k(x, k)], min_time=min_time)
    row(f"top_k(k={k}) 1e6: numpy backend vs np.sort", t_t, t_np2, 1.2)
    row(f"top_k(k={k}) 1e6: vs NumPy argpartition top-k", t_t, t_ref)
    t_g, t_np3 = best_times_interleaved([lambda: f_grad(x), lambda: np.sort(x)],
                                        min_time=min_time)
    row("grad through sort 1e6: vs np.sort", t_g, t_np3)

    widths = (44, 11, 11, 9, 9, 7)
    head = ("case", "funcad", "reference", "ratio", "target", "")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    main(ap.parse_args().quick)
