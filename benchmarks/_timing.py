"""Timing helpers shared by the benchmark scripts: contenders timed in alternation, each
getting its best round of the mean over n calls."""
from __future__ import annotations

import argparse
import os
import random
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


def _calls_per_round(fns, min_time: float, rounds: int) -> list[int]:
    """How many calls of each of ``fns`` fill ``min_time / rounds`` seconds (after a warm-up
    call)."""
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
    return counts


def round_times_interleaved(fns, *, min_time: float = 0.2, rounds: int = 15,
                            shuffle: bool = False, seed: int = 0,
                            clock=time.perf_counter) -> list[list[float]]:
    """Seconds per call of each of ``fns`` in each round (``[fn][round]``): every round
    times each function once (``n`` calls). With ``shuffle`` each round visits them in a
    fresh (seeded) order, so that no function always runs right after the same other one:
    on a small machine a function's speed depends on what ran just before (another
    library's BLAS worker threads still spinning, caches, thread pools gone to sleep), and a
    fixed order turns that into a bias of the ratios. ``clock`` may be
    ``time.process_time`` (CPU seconds of the process, all its threads)."""
    counts = _calls_per_round(fns, min_time, rounds)
    times: list[list[float]] = [[] for _ in fns]
    order = list(range(len(fns)))
    rng = random.Random(seed)
    for _ in range(rounds):
        if shuffle:
            rng.shuffle(order)
        for i in order:
            fn, n = fns[i], counts[i]
            t0 = clock()
            for _ in range(n):
                fn()
            times[i].append((clock() - t0) / n)
    return times


def best_times_interleaved(fns, *, min_time: float = 0.2, rounds: int = 15,
                           shuffle: bool = False) -> list[float]:
    """Seconds per call of each of ``fns``, measured in alternation: every round times each
    function once (``n`` calls), and each gets its best round. Load that comes and goes on
    a shared machine then hits all of them alike, so their ratios stay meaningful."""
    return [min(t) for t in round_times_interleaved(fns, min_time=min_time, rounds=rounds,
                                                    shuffle=shuffle)]


def paired_call_ratios(f, g, calls: int = 40) -> list[float]:
    """``time(f) / time(g)`` over ``calls`` pairs of single calls, the pair's order
    alternating (f first, then g first): each ratio compares two calls made under the same
    load, and neither always follows the other."""
    ratios = []
    for k in range(calls):
        first, second = (f, g) if k % 2 == 0 else (g, f)
        t0 = time.perf_counter()
        first()
        t1 = time.perf_counter()
        second()
        t2 = time.perf_counter()
        tf, tg = (t1 - t0, t2 - t1) if k % 2 == 0 else (t2 - t1, t1 - t0)
        ratios.append(tf / tg)
    return ratios


def machine_load() -> str:
    """The 1-minute load average and the core count, for the record next to the numbers."""
    try:
        load = f"{os.getloadavg()[0]:.1f}"
    except OSError:
        load = "unknown"
    return f"load average {load} on {os.cpu_count()} cores"


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "


class RatioTable:
    """Rows of ``case | funcad | reference | ratio | target | verdict``, printed as one
    aligned table at the end of a benchmark."""

    HEAD = ("case", "funcad", "reference", "ratio", "target", "")

    def __init__(self):
        self.rows: list[tuple] = []

    def row(self, name: str, ours: float, theirs: float, target: float | None = None,
            better: str = "lower") -> None:
        """Add ``ours / theirs`` (``theirs / ours`` when ``better="higher"``: a speed-up),
        judged against ``target`` if there is one."""
        shown = ours / theirs if better == "lower" else theirs / ours
        if target is None:
            self.rows.append((name, fmt(ours), fmt(theirs), f"{shown:8.3f}", "", ""))
            return
        ok = shown <= target if better == "lower" else shown >= target
        self.rows.append((name, fmt(ours), fmt(theirs), f"{shown:8.3f}",
                          f"{'<=' if better == 'lower' else '>='} {target}",
                          "ok" if ok else "MISSED"))

    def print(self, case_width: int = 40) -> None:
        widths = (case_width, 11, 11, 9, 9, 7)
        for r in (self.HEAD, *self.rows):
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
