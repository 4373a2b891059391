"""Large kernels split over threads (``funcad.ops._parallel``) compute exactly what one
thread computes: the threefry2x32 hash and SciPy's special functions, at sizes above the
splitting threshold, with uneven range ends, compared with the direct SciPy call and with a
run on one thread."""
from __future__ import annotations

import numpy as np
import scipy.special as sc

from funcad import lax
from funcad.ops import _parallel
from funcad.ops.bits import threefry2x32

N = _parallel.PARALLEL_MIN + 12_345  # above the threshold, not a multiple of the blocks


def _with_threads(monkeypatch, n, fn):
    monkeypatch.setenv("FUNCAD_KERNEL_THREADS", str(n))
    return fn()


def test_ranges_cover_everything_once(monkeypatch):
    for threads in (1, 2, 3, 7):
        monkeypatch.setenv("FUNCAD_KERNEL_THREADS", str(threads))
        hits = np.zeros(N, np.int64)

        def work(lo, hi, hits=hits):
            hits[lo:hi] += 1

        _parallel.in_ranges(N, work)
        assert np.all(hits == 1), threads


def test_threefry_is_the_same_on_several_threads(monkeypatch):
    rng = np.random.default_rng(0)
    x1 = np.arange(N, dtype=np.uint32)
    x0 = rng.integers(0, 2 ** 32, N, dtype=np.uint32)
    keys = rng.integers(0, 2 ** 32, (2, N), dtype=np.uint32)
    for k0, k1 in ((np.uint32(7), np.uint32(11)), (keys[0], keys[1])):
        one = _with_threads(monkeypatch, 1, lambda k0=k0, k1=k1: threefry2x32(k0, k1, x0, x1))
        many = _with_threads(monkeypatch, 3,
                             lambda k0=k0, k1=k1: threefry2x32(k0, k1, x0, x1))
        # ... and a slice of the last range, hashed alone (below the threshold).
        part = slice(N - 1000, N)
        alone = threefry2x32(k0 if np.ndim(k0) == 0 else k0[part],
                             k1 if np.ndim(k1) == 0 else k1[part], x0[part], x1[part])
        for a, b, c in zip(one, many, alone):
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(b[part], c)


def test_special_functions_are_scipys_on_several_threads(monkeypatch):
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        u = rng.uniform(-1, 1, (N, 2)).astype(dtype)[:, 0]  # not contiguous
        a = rng.uniform(0.5, 4, u.shape).astype(dtype)
        x = rng.uniform(0.0, 5, u.shape).astype(dtype)
        cases = [(lax.erf_inv, sc.erfinv, (u,)), (lax.igamma, sc.gammainc, (a, x))]
        for ours, theirs, args in cases:
            got = _with_threads(monkeypatch, 2, lambda ours=ours, args=args: ours(*args))
            expected = theirs(*args)
            assert got.shape == u.shape and got.dtype == dtype
            np.testing.assert_array_equal(got, expected.astype(dtype))
