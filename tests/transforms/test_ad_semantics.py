"""Semantics of the differentiation transforms: pytrees, argnums, has_aux, nesting, symbolic
zeros, stop_gradient, linearize, linear_transpose, and the errors of misuse."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.errors import FuncadTypeError, FuncadValueError


def test_worked_example_gradient():
    # f(a, b) = b sin(a) + b^2 at (2, 5): gradient (5 cos 2, sin 2 + 10).
    f = lambda a, b: b * fnp.sin(a) + b**2  # noqa: E731
    ga, gb = funcad.grad(f, argnums=(0, 1))(2.0, 5.0)
    np.testing.assert_allclose(ga, 5 * np.cos(2.0), rtol=1e-15)
    np.testing.assert_allclose(gb, np.sin(2.0) + 10, rtol=1e-15)
    assert round(float(ga), 4) == -2.0807 and round(float(gb), 4) == 10.9093


def test_perturbation_confusion():
    assert funcad.grad(lambda x: x * funcad.grad(lambda y: x + y)(1.0))(1.0) == 1.0


def test_nested_grads_of_sin_cycle():
    x = 0.7
    derivs = [np.sin, np.cos, lambda v: -np.sin(v), lambda v: -np.cos(v), np.sin]
    f = fnp.sin
    for k in range(5):
        np.testing.assert_allclose(f(x), derivs[k](x), rtol=1e-14)
        f = funcad.grad(f)


def test_jvp_of_vjp_and_vjp_of_jvp():
    f = lambda x: fnp.exp(fnp.sin(x) * x)  # noqa: E731
    x, t = np.array([0.3, -0.4]), np.array([1.0, 2.0])
    # Second derivative is diagonal here (elementwise f): f''(x) * t.
    d2 = funcad.jvp(lambda x: funcad.vjp(f, x)[1](np.ones(2))[0], (x,), (t,))[1]
    d2b = funcad.vjp(lambda x: funcad.jvp(f, (x,), (t,))[1], x)[1](np.ones(2))[0]
    h = 1e-5
    g = lambda v: funcad.grad(lambda u: f(u))(v)  # noqa: E731
    fd = np.array([(g(xi + h) - g(xi - h)) / (2 * h) for xi in x]) * t
    np.testing.assert_allclose(d2, fd, rtol=1e-7)
    np.testing.assert_allclose(d2b, fd, rtol=1e-7)


def test_pytrees_argnums_and_has_aux():
    def loss(params, x):
        y = params["w"] * x + params["b"][0]
        return fnp.sin(y) * 2.0, {"y": y}

    params = {"w": np.array(1.5), "b": (np.array(0.5),)}
    (val, aux), g = funcad.value_and_grad(loss, has_aux=True)(params, 0.3)
    assert set(g) == {"w", "b"} and isinstance(g["b"], tuple)
    y = 1.5 * 0.3 + 0.5
    np.testing.assert_allclose(val, 2 * np.sin(y))
    np.testing.assert_allclose(aux["y"], y)
    np.testing.assert_allclose(g["w"], 2 * np.cos(y) * 0.3)
    np.testing.assert_allclose(g["b"][0], 2 * np.cos(y))
    gx = funcad.grad(lambda p, x: loss(p, x)[0], argnums=1)(params, 0.3)
    np.testing.assert_allclose(gx, 2 * np.cos(y) * 1.5)
    assert type(gx) is np.ndarray and gx.shape == ()


def test_outputs_are_plain_ndarrays():
    out, t = funcad.jvp(fnp.sin, (1.0,), (1.0,))
    assert type(out) is np.ndarray and type(t) is np.ndarray and out.shape == ()
    g = funcad.grad(lambda x: x * 3.0)(np.float32(2.0))
    assert type(g) is np.ndarray and g.dtype == np.float32


def test_float32_stays_float32():
    x = np.array([0.5, 1.5], np.float32)
    _, pullback = funcad.vjp(lambda x: fnp.tanh(x) * 2.0, x)
    (ct,) = pullback(np.ones(2, np.float32))
    assert ct.dtype == np.float32


def test_symbolic_zero_for_unused_argument():
    g = funcad.grad(lambda x, y: fnp.sin(x), argnums=(0, 1))(1.0, 2.0)
    assert g[1] == 0.0 and g[1].dtype == np.float64


def test_stop_gradient():
    f = lambda x: funcad.stop_gradient(x) * x  # noqa: E731
    assert funcad.grad(f)(3.0) == 3.0
    tree = funcad.stop_gradient({"a": np.ones(2), "i": np.arange(2)})
    assert tree["i"].dtype == np.arange(2).dtype


@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
def test_stable_shift_by_the_max_does_no_derivative_work(name):
    # The shift by the maximum is a constant: differentiating must not trace the max's
    # derivative (its argmax mask, an `eq`), only the primal max.
    fn = {"logsumexp": lambda x: funcad.scipy.special.logsumexp(x, axis=1),
          "softmax": funcad.nn.softmax, "log_softmax": funcad.nn.log_softmax}[name]
    x = np.arange(6.0).reshape(2, 3)
    jaxpr = funcad.make_jaxpr(funcad.grad(lambda x: fnp.sum(fn(x) ** 2)))(x)
    prims = [str(e.primitive) for e in jaxpr.eqns]
    assert prims.count("reduce_max") == 1 and "eq" not in prims, prims


def test_linearize_reuses_stored_ir():
    calls = []

    def f(x):
        calls.append(1)
        return fnp.sin(x) * x

    _, f_jvp = funcad.linearize(f, 0.5)
    first = f_jvp(1.0)
    f_jvp(2.0)
    assert len(calls) == 1
    np.testing.assert_allclose(first, np.cos(0.5) * 0.5 + np.sin(0.5))
    text = str(funcad.make_jaxpr(f_jvp)(1.0))
    assert "sin" not in text and "cos" not in text  # only the linear map remains


def test_linearize_stores_no_dead_tangent_work():
    def f(x):
        unused = fnp.cos(x) * fnp.exp(x)  # its tangent reaches no output
        del unused
        return fnp.sin(x)

    _, f_jvp = funcad.linearize(f, np.linspace(0.1, 1.0, 4))
    linear = f_jvp.linear_jaxpr
    assert [str(e.primitive) for e in linear.jaxpr.eqns] == ["mul"]
    assert len(linear.consts) == 1  # cos(x), the one residual still read
    np.testing.assert_allclose(f_jvp(np.ones(4)), np.cos(np.linspace(0.1, 1.0, 4)))


def test_linear_transpose():
    f = lambda x, y: 3.0 * x - y  # noqa: E731
    ct_x, ct_y = funcad.linear_transpose(f, np.ones(2), np.ones(2))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(ct_x, [3.0, 6.0])
    np.testing.assert_allclose(ct_y, [-1.0, -2.0])
    with pytest.raises(FuncadTypeError, match="not linear"):
        funcad.linear_transpose(fnp.sin, 1.0)


def test_python_control_flow_on_concrete_values_under_grad():
    f = lambda x: x * 2.0 if x > 0 else -x  # noqa: E731
    assert funcad.grad(f)(1.0) == 2.0 and funcad.grad(f)(-1.0) == -1.0


def test_deep_chain_grad_no_recursion():
    def f(x):
        for _ in range(100_000):
            x = x * 1.0000001
        return x

    np.testing.assert_allclose(funcad.grad(f)(1.0), 1.0000001**100_000, rtol=1e-9)


# --- bad input --------------------------------------------------------------------------------

def test_grad_of_int_input_names_argument_and_dtype():
    with pytest.raises(TypeError, match=r"argument 1 .*int"):
        funcad.grad(lambda x, n: x * n, argnums=1)(1.0, 3)
    with pytest.raises(TypeError, match=r"argument 0 .*bool"):
        funcad.grad(lambda b: fnp.sum(fnp.where(b, 1.0, 0.0)))(np.array([True]))
    # vjp takes them, as jax.vjp: float0 cotangents (tests/transforms/test_int_inputs_vs_jax.py)
    (ct,) = funcad.vjp(lambda b: fnp.where(b, 1.0, 0.0), np.array([True]))[1](np.ones(1))
    assert ct.dtype == funcad.ad.float0 and ct.shape == (1,)


def test_grad_of_nonscalar_output():
    with pytest.raises(TypeError, match=r"scalar.*f64\[3\]"):
        funcad.grad(fnp.sin)(np.ones(3))


def test_argnums_out_of_range():
    with pytest.raises(FuncadValueError, match="argnums"):
        funcad.grad(fnp.sin, argnums=2)(1.0)


def test_tangent_mismatches():
    with pytest.raises(FuncadValueError, match="shape"):
        funcad.jvp(fnp.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(TypeError, match="dtype"):
        funcad.jvp(fnp.sin, (np.ones(3),), (np.ones(3, np.float32),))
    with pytest.raises(FuncadValueError, match="structures differ"):
        funcad.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(FuncadTypeError, match="tuples or lists"):
        funcad.jvp(fnp.sin, 1.0, 1.0)


def test_missing_rule_is_not_implemented():
    from funcad.core.primitive import Primitive

    p = Primitive("mystery")
    p.def_impl(lambda x: x)
    p.def_abstract_eval(lambda x: x)
    with pytest.raises(NotImplementedError, match="mystery"):
        funcad.grad(lambda x: p.bind(x))(1.0)
