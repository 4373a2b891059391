"""Transforms leave no cyclic garbage: what they build (traces, tracers, IR, residual arrays)
is freed by reference counting the moment it is unused, not whenever the garbage collector
next runs. Cycles would keep large residuals alive and make every call pay for collections.
"""
from __future__ import annotations

import gc

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad import lax


def _f(x, y):
    a = fnp.sin(x) * y + fnp.cos(y) * x
    return fnp.tanh(a * a) / (1.0 + x * x) - fnp.exp(-y)


def _mlp(params, x):
    (w1, b1), (w2, b2) = params
    return fnp.sum(fnp.tanh(fnp.tanh(x @ w1 + b1) @ w2 + b2) ** 2)


_rng = np.random.default_rng(0)
_PARAMS = [(_rng.standard_normal((5, 4)), np.zeros(4)), (_rng.standard_normal((4, 3)), np.zeros(3))]
_X = _rng.standard_normal((6, 5))
_jit_grad = funcad.jit(funcad.grad(_f), backend="numpy")

CASES = {
    "jvp": lambda: funcad.jvp(_f, (0.3, 0.7), (1.0, 0.0)),
    "vjp": lambda: funcad.vjp(_f, 0.3, 0.7)[1](1.0),
    "value_and_grad": lambda: funcad.value_and_grad(_f, (0, 1))(0.3, 0.7),
    "linearize": lambda: funcad.linearize(_f, 0.3, 0.7)[1](1.0, 1.0),
    "grad of pytree": lambda: funcad.grad(_mlp)(_PARAMS, _X),
    "vmap": lambda: funcad.vmap(_f)(np.ones(3), np.ones(3)),
    "hessian": lambda: funcad.hessian(lambda v: _f(v[0], v[1]))(np.array([0.3, 0.7])),
    "make_jaxpr": lambda: funcad.make_jaxpr(_f)(0.3, 0.7),
    "jit (trace and compile)": lambda: funcad.jit(lambda x: _f(x, x), backend="numpy")(0.3),
    "jit (cached)": lambda: _jit_grad(0.3, 0.7),
    "grad of scan": lambda: funcad.grad(
        lambda c: lax.scan(lambda c, x: (fnp.sin(c * x), c), c, np.ones(4))[0])(0.5),
}


@pytest.mark.parametrize("name", list(CASES))
def test_transform_leaves_no_cyclic_garbage(name):
    fn = CASES[name]
    fn()  # warm caches
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        fn()
        gc.collect()
        garbage = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert garbage == [], f"{name} left objects in reference cycles: {sorted(set(garbage))}"
