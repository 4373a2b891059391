"""Plain NumPy on traced values: the same function written with ``numpy`` and with
``funcad.numpy`` stages to identical IR (``__array_ufunc__`` / ``__array_function__``)."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.ir import eval_closed_jaxpr


def _pair(body):
    """``body(xnp, a, b)`` written once, run with ``numpy`` and with ``funcad.numpy``."""
    return (lambda a, b: body(np, a, b)), (lambda a, b: body(fnp, a, b))


BODIES = {
    "unary_ufuncs": lambda m, a, b: m.exp(m.sin(a)) + m.log1p(m.abs(b)) - m.sqrt(m.square(a)),
    "binary_ufuncs": lambda m, a, b: m.maximum(a, b) * m.minimum(a, 2.0) / m.power(b, 2),
    "operators": lambda m, a, b: -(a + b) * (a - 1.0) / (b + 3) ** 2 + abs(a),
    "comparisons_where": lambda m, a, b: m.where(m.logical_and(a > b, b < 0.5), a, m.negative(b)),
    "sum_axis_keepdims": lambda m, a, b: m.sum(a, axis=0, keepdims=True) + m.sum(b),
    "mean_max": lambda m, a, b: m.mean(a, axis=1) - m.max(b, axis=-1),
    "dot_matmul": lambda m, a, b: m.dot(a, b.T) + m.matmul(a, b.T),
    "tanh_matmul_sum": lambda m, a, b: m.sum(m.tanh(a @ b.T) ** 2),
    "shape_ops": lambda m, a, b: m.concatenate([m.reshape(a, (-1,)), m.transpose(b).ravel()]),
    "clip_cumsum": lambda m, a, b: m.cumsum(m.clip(a, 0.2, 0.8), axis=1) * b,
    "methods": lambda m, a, b: a.sum(axis=0) + b.mean() + a.max(),
    "ufunc_reduce": lambda m, a, b: m.add.reduce(a) if m is np else m.sum(a, axis=0),
}


@pytest.mark.parametrize("name", list(BODIES))
def test_numpy_and_funcad_numpy_stage_identical_ir(name, rng):
    f_np, f_fnp = _pair(BODIES[name])
    a, b = rng.uniform(0.1, 1.0, (2, 3)), rng.uniform(0.1, 1.0, (2, 3))
    ir_np = funcad.make_jaxpr(f_np)(a, b)
    ir_fnp = funcad.make_jaxpr(f_fnp)(a, b)
    assert str(ir_np) == str(ir_fnp)
    assert len(ir_np.eqns) > 0
    (staged,) = eval_closed_jaxpr(ir_np, a, b)
    np.testing.assert_allclose(staged, f_np(a, b), rtol=1e-12)  # plain NumPy, eagerly
    np.testing.assert_allclose(f_fnp(a, b), f_np(a, b), rtol=1e-12)


def test_numpy_on_a_mix_of_tracer_and_array_constant():
    k = np.arange(3.0)
    ir_np = funcad.make_jaxpr(lambda x: np.multiply(k, x) + np.dot(k, x))(np.ones(3))
    ir_fnp = funcad.make_jaxpr(lambda x: fnp.multiply(k, x) + fnp.dot(k, x))(np.ones(3))
    assert str(ir_np) == str(ir_fnp)
    assert ir_np.consts[0] is k


def test_dispatch_results_are_tracers_not_arrays():
    seen = []

    def f(x):
        y = np.sin(x)
        seen.append(type(y).__name__)
        return y

    funcad.make_jaxpr(f)(np.ones(2))
    assert seen == ["StagingTracer"]
