"""Trace state is per thread: threads staging at the same moment each get their own IR, and
a thread computing eagerly meanwhile is not staged by its neighbours."""
from __future__ import annotations

import threading

import numpy as np

import funcad
import funcad.numpy as fnp
from funcad.ir import eval_closed_jaxpr, typecheck_jaxpr

N_THREADS = 8
UNARY = [fnp.sin, fnp.cos, fnp.exp, fnp.tanh, fnp.sqrt, fnp.log1p, fnp.negative, fnp.square]


def make_fun(k: int, barrier: threading.Barrier | None):
    """Thread k's function: k+2 applications of its own unary op, all but the first followed
    by a multiplication by 0.5 / (k+1), with a rendezvous in the middle of tracing."""
    op = UNARY[k]

    def f(x):
        y = op(x)
        if barrier is not None:
            barrier.wait(timeout=30)  # every thread is now mid-trace at once
        for _ in range(k + 1):
            y = op(y) * (0.5 / (k + 1))
        return y

    f.__name__ = f"f{k}"
    return f


def test_threads_staging_at_once_get_their_own_ir():
    barrier = threading.Barrier(N_THREADS + 1)  # the +1 is the eager thread below
    results: dict = {}
    errors: list = []
    x = np.linspace(0.1, 0.9, 3)

    def stage(k):
        try:
            results[k] = funcad.make_jaxpr(make_fun(k, barrier))(x)
        except BaseException as e:
            errors.append(e)
            barrier.abort()

    def eager():
        try:
            barrier.wait(timeout=30)
            results["eager"] = fnp.sin(x) * 2.0  # must not land in anyone's IR
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=stage, args=(k,)) for k in range(N_THREADS)]
    threads.append(threading.Thread(target=eager))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors

    assert isinstance(results["eager"], np.ndarray)
    np.testing.assert_allclose(results["eager"], np.sin(x) * 2.0)
    for k in range(N_THREADS):
        closed = results[k]
        expected = funcad.make_jaxpr(make_fun(k, None))(x)  # staged alone, on this thread
        assert str(closed) == str(expected), f"thread {k}"
        typecheck_jaxpr(closed)
        prims = [e.primitive.name for e in closed.eqns]
        assert "sin" not in prims or UNARY[k] is fnp.sin
        (got,) = eval_closed_jaxpr(closed, x)
        (want,) = eval_closed_jaxpr(expected, x)
        np.testing.assert_allclose(got, want)
        f = make_fun(k, None)
        np.testing.assert_allclose(got, f(x))
