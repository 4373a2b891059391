"""Jacobians: layout and pytrees, jacobian(mode="auto") and its documented rule, chunking,
and a corpus against JAX in float64."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.jacobians import choose_mode


def test_layout_out_shape_plus_in_shape():
    def f(x, y):
        return {"a": fnp.sin(x) * y[0], "b": fnp.sum(x) * y}

    x, y = np.ones((2, 3)), np.ones(4)
    for jac in (funcad.jacfwd, funcad.jacrev, funcad.jacobian):
        j = jac(f, argnums=(0, 1))(x, y)
        assert j["a"][0].shape == (2, 3, 2, 3) and j["a"][1].shape == (2, 3, 4)
        assert j["b"][0].shape == (4, 2, 3) and j["b"][1].shape == (4, 4)
        single = jac(f)(x, y)
        assert single["a"].shape == (2, 3, 2, 3)


def test_modes_agree_and_auto_rule():
    f = lambda x: fnp.tanh(x[:2]) * fnp.sum(x**2)  # noqa: E731 - 5 inputs, 2 outputs
    x = np.linspace(0.1, 0.9, 5)
    jf, jr = funcad.jacfwd(f)(x), funcad.jacrev(f)(x)
    np.testing.assert_allclose(jf, jr, rtol=1e-12)
    np.testing.assert_allclose(funcad.jacobian(f, mode="auto")(x), jf, rtol=1e-12)
    assert choose_mode(5, 2) == "rev" and choose_mode(2, 5) == "fwd" and choose_mode(3, 3) == "fwd"
    for chunk in (1, 2, 3, 7):
        for mode in ("fwd", "rev"):
            np.testing.assert_allclose(
                funcad.jacobian(f, mode=mode, chunk_size=chunk)(x), jf, rtol=1e-12)


def test_auto_mode_uses_the_rule(monkeypatch):
    import funcad.jacobians as jac_mod

    chosen = []
    real = jac_mod.choose_mode
    monkeypatch.setattr(jac_mod, "choose_mode", lambda i, o: chosen.append(real(i, o)) or real(i, o))
    funcad.jacobian(lambda x: fnp.sum(x**2))(np.ones(6))
    funcad.jacobian(lambda x: fnp.concatenate([x, x, x]))(np.ones(2))
    assert chosen == ["rev", "fwd"]


def test_has_aux_and_bad_input():
    jac, aux = funcad.jacfwd(lambda x: (x * 2.0, "tag"), has_aux=True)(np.ones(2))
    np.testing.assert_allclose(jac, 2 * np.eye(2))
    assert aux == "tag"
    with pytest.raises(TypeError, match="argument 0"):
        funcad.jacrev(lambda n: n * 2)(np.arange(3))
    with pytest.raises(ValueError, match="mode"):
        funcad.jacobian(fnp.sin, mode="sideways")


def test_vmap_bad_inputs():
    with pytest.raises(ValueError, match=r"args\[0\] \(axis 0\) has size 3.*args\[1\] \(axis 0\) has size 4"):
        funcad.vmap(lambda a, b: a * b)(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="in_axes 2 is out of range for argument args\\[0\\]"):
        funcad.vmap(fnp.sin, in_axes=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="in_axes"):
        funcad.vmap(lambda a, b: a, in_axes=(0, 0, 0))(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="structures differ"):
        funcad.vmap(lambda a: a["x"], in_axes=({"y": 0},))({"x": np.ones(2)})
    with pytest.raises(ValueError, match="out_axes is None for output 0"):
        funcad.vmap(fnp.sin, out_axes=None)(np.ones(3))
    with pytest.raises(ValueError, match="axis_size"):
        funcad.vmap(lambda a: a, in_axes=None)(np.ones(3))
    out = funcad.vmap(lambda a: a * 2.0, in_axes=None, axis_size=2)(np.ones(3))
    assert out.shape == (2, 3)
