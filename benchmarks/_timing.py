"""Timing helpers shared by the benchmark scripts: contenders timed in alternation, each
getting its best round of the mean over n calls."""
from __future__ import annotations

import argparse
import os
import time


def parse_args(doc: str, quick_help: str) -> argparse.Namespace:
    """``--quick`` and ``--blas-threads N``; the thread count is exported before the caller
    imports NumPy (which reads it when it loads its BLAS)."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="threads of NumPy's BLAS for every contender (default: the "
                         "library's own choice; 1 gives steadier numbers on a busy machine)")
    args = ap.parse_args()
    if args.blas_threads is not None:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    return args


def best_times_interleaved(fns, *, min_time: float = 0.2, rounds: int = 15) -> list[float]:
    """Seconds per call of each of ``fns``, measured in alternation: every round times each
    function once (``n`` calls), and each gets its best round. Load that comes and goes on
    a shared machine then hits all of them alike, so their ratios stay meaningful."""
    counts = []
    for fn in fns:
        fn()  # warm up
        n = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            if time.perf_counter() - t0 >= min_time / rounds or n >= 1 << 20:
                break
            n *= 2
        counts.append(n)
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, (fn, n) in enumerate(zip(fns, counts)):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t0) / n)
    return best


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "
