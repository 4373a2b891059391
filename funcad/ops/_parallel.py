"""Large elementwise kernels split over the CPU's cores.

NumPy and SciPy run one ufunc on one core, while XLA's CPU backend splits a large
elementwise loop over its thread pool. The heaviest elementwise kernels of the NumPy
implementations (the threefry2x32 hash behind ``funcad.random``, SciPy's special functions)
therefore hand contiguous ranges of a large operand to a few threads: ufunc loops release the
GIL, every element is computed by the same routine as before (the same numbers, bit for
bit), and each range writes its own slice of a preallocated result.

``FUNCAD_KERNEL_THREADS`` sets the number of threads (1: never split); by default, the
cores this process may run on, at most 8.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

PARALLEL_MIN = 1 << 20  # elements below which one thread does all the work
_ALIGN = 1 << 16  # range boundaries fall on multiples of this (blocked kernels' block size)
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def kernel_threads() -> int:
    """How many threads a large kernel uses (``FUNCAD_KERNEL_THREADS``, else the cores
    available to this process, at most 8)."""
    env = os.environ.get("FUNCAD_KERNEL_THREADS", "")
    if env.strip().isdigit() and int(env) > 0:
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _executor(n: int) -> ThreadPoolExecutor:
    """The shared pool, with room for ``n`` ranges at once (replaced by a larger one when
    ``FUNCAD_KERNEL_THREADS`` grows; the old one stays usable for calls holding it)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < n:
            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="funcad-kernel")
            _pool_size = n
        return _pool


def in_ranges(n: int, work: Callable[[int, int], None]) -> None:
    """Call ``work(start, stop)`` over contiguous ranges covering ``range(n)``: one range
    when ``n`` is small or one thread is configured, else one per thread, run at once (the
    first on the calling thread). ``work`` must only touch its own range of any output."""
    threads = kernel_threads() if n >= PARALLEL_MIN else 1
    if threads == 1:
        work(0, n)
        return
    step = -(-n // threads)
    step = -(-step // _ALIGN) * _ALIGN
    bounds = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
    pool = _executor(len(bounds) - 1)
    futures = [pool.submit(work, lo, hi) for lo, hi in bounds[1:]]
    try:
        work(*bounds[0])
    finally:
        for f in futures:
            f.result()  # waits for every range; re-raises a range's error


__all__ = ["PARALLEL_MIN", "in_ranges", "kernel_threads"]
