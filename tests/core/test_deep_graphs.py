"""Graphs of 10^5 operations: staging, DCE, CSE, type checking, printing and evaluation are
flat loops, so nothing recurses per equation (no RecursionError). (Speed is for benchmarks:
a timing bound here would fail on a loaded machine, as one did.)"""
from __future__ import annotations

import sys

import numpy as np

import funcad
import funcad.numpy as fnp
from funcad.ir import cse_closed, dce_closed, eval_closed_jaxpr, typecheck_jaxpr

N = 100_000


def _chain(x, n: int):
    for _ in range(n):
        x = fnp.sin(x)
    return x


def deep(x):
    live = _chain(x, N // 2)
    twin = _chain(x, N // 2)  # the same chain again: CSE folds it into `live`
    _chain(x, N // 10)  # a dead chain: DCE removes it
    return live + twin


def _reference(x: float) -> float:
    for _ in range(N // 2):
        x = np.sin(x)
    return 2 * x


def test_deep_chain_stages_passes_typechecks_and_evaluates():
    # A low recursion limit proves nothing recurses per equation.
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        closed = funcad.make_jaxpr(deep)(np.float64(0.7))
        assert len(closed.eqns) == N + N // 10 + 1
        optimized = dce_closed(cse_closed(closed))
        assert len(optimized.eqns) == N // 2 + 1
        typecheck_jaxpr(closed)
        typecheck_jaxpr(optimized)
        (out,) = eval_closed_jaxpr(optimized, np.float64(0.7))
        text = str(optimized)
    finally:
        sys.setrecursionlimit(old_limit)
    np.testing.assert_allclose(out, _reference(0.7), rtol=1e-12)
    assert text.count("\n") == N // 2 + 2  # header, one line per equation, footer


def test_deep_chain_evaluates_unoptimized():
    closed = funcad.make_jaxpr(lambda x: _chain(x, N))(np.ones(2))
    (out,) = eval_closed_jaxpr(closed, np.ones(2))
    assert out.shape == (2,)
    assert np.all(np.isfinite(out))
