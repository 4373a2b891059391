"""``typecheck_jaxpr`` on IR built by hand: each ill-typed program raises JaxprTypeError
showing the offending equation (named as ``str(jaxpr)`` names it)."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.core.avals import ShapedArray
from funcad.errors import JaxprTypeError
from funcad.ir import ClosedJaxpr, Eqn, Jaxpr, Literal, Var, typecheck_jaxpr
from funcad.ops import arithmetic as ar
from funcad.ops import elementwise as ew

F64_3 = ShapedArray((3,), np.float64)
F64_4 = ShapedArray((4,), np.float64)
F32_3 = ShapedArray((3,), np.float32)


def _raises(jaxpr, *fragments: str) -> str:
    with pytest.raises(JaxprTypeError) as info:
        typecheck_jaxpr(jaxpr)
    msg = str(info.value)
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"
    assert isinstance(info.value, TypeError)
    return msg


def test_well_typed_hand_built_program_passes():
    a, b, c = Var(F64_3), Var(F64_3), Var(F64_3)
    lit = Literal(2.0, ShapedArray((), np.float64))
    d = Var(ShapedArray((), np.float64))
    jaxpr = Jaxpr.new([], [a, b], [c, d], [
        Eqn.new(ar.add_p, [a, b], [c], {}),
        Eqn.new(ew.sin_p, [lit], [d], {}),
    ])
    typecheck_jaxpr(jaxpr)
    assert str(jaxpr).splitlines()[1:3] == [
        "    c:f64[3] = add a b",
        "    d:f64[] = sin 2.0:f64[]",
    ]


def test_unbound_variable():
    a, b, c = Var(F64_3), Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr.new([], [a], [c], [Eqn.new(ar.add_p, [a, b], [c], {})])
    assert "c:f64[3] = add a b" in str(jaxpr)  # the names the message must use
    _raises(jaxpr, "in equation `c:f64[3] = add a b`", "variable b is used but never bound")


def test_unbound_output():
    a, b = Var(F64_3), Var(F64_3)
    _raises(Jaxpr.new([], [a], [a, b], []), "outputs", "variable b is used but never bound")


def test_variable_used_before_its_equation():
    a, b, c = Var(F64_3), Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr.new([], [a], [c], [
        Eqn.new(ew.sin_p, [b], [c], {}),  # b is bound only by the next equation
        Eqn.new(ew.cos_p, [a], [b], {}),
    ])
    _raises(jaxpr, "`c:f64[3] = sin b`", "used but never bound")


def test_double_binding_by_an_equation():
    a = Var(F64_3)
    _raises(
        Jaxpr.new([], [a], [a], [Eqn.new(ew.sin_p, [a], [a], {})]),
        "in equation `a:f64[3] = sin a`", "variable a is bound twice",
    )


def test_double_binding_by_two_equations():
    a, b = Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr.new([], [a], [b], [
        Eqn.new(ew.sin_p, [a], [b], {}),
        Eqn.new(ew.cos_p, [a], [b], {}),
    ])
    _raises(jaxpr, "`b:f64[3] = cos a`", "variable b is bound twice")


def test_double_binding_of_an_input():
    a = Var(F64_3)
    _raises(Jaxpr.new([], [a, a], [a], []), "bound twice")


def test_shape_mismatch_between_operands():
    a, b, c = Var(F64_3), Var(F64_4), Var(F64_3)
    jaxpr = Jaxpr.new([], [a, b], [c], [Eqn.new(ar.add_p, [a, b], [c], {})])
    _raises(jaxpr, "in equation `c:f64[3] = add a b`", "add", "f64[3]", "f64[4]")


def test_dtype_mismatch_between_operands():
    a, b, c = Var(F64_3), Var(F32_3), Var(F64_3)
    jaxpr = Jaxpr.new([], [a, b], [c], [Eqn.new(ar.mul_p, [a, b], [c], {})])
    _raises(jaxpr, "`c:f64[3] = mul a b`", "f64[3]", "f32[3]")


def test_wrong_declared_dtype():
    a, b = Var(F64_3), Var(F32_3)
    jaxpr = Jaxpr.new([], [a], [b], [Eqn.new(ew.sin_p, [a], [b], {})])
    _raises(jaxpr, "`b:f32[3] = sin a`", "b is declared f32[3] but sin gives f64[3]")


def test_wrong_declared_shape():
    a, b = Var(F64_3), Var(F64_4)
    jaxpr = Jaxpr.new([], [a], [b], [Eqn.new(ew.exp_p, [a], [b], {})])
    _raises(jaxpr, "`b:f64[4] = exp a`", "declared f64[4] but exp gives f64[3]")


def test_wrong_number_of_outputs():
    a, b, c = Var(F64_3), Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr.new([], [a], [b], [Eqn.new(ew.sin_p, [a], [b, c], {})])
    _raises(jaxpr, "`b:f64[3] c:f64[3] = sin a`", "1 outputs", "binds 2")


def test_closed_jaxpr_const_of_wrong_shape():
    k, a, b = Var(F64_3), Var(F64_3), Var(F64_3)
    jaxpr = Jaxpr.new([k], [a], [b], [Eqn.new(ar.add_p, [a, k], [b], {})])
    typecheck_jaxpr(ClosedJaxpr(jaxpr, [np.ones(3)]))
    with pytest.raises(JaxprTypeError, match="constant"):
        typecheck_jaxpr(ClosedJaxpr(jaxpr, [np.ones(4)]))


def test_every_staged_program_typechecks():
    def f(x, y):
        z = fnp.where(x > y, fnp.exp(x) - 1, fnp.sqrt(fnp.abs(y)))
        return z * np.arange(3.0), (x // 2) % 3, fnp.asarray(x, np.float32) + 1

    closed = funcad.make_jaxpr(f)(np.ones(3), np.full(3, 2.0))
    typecheck_jaxpr(closed)
    typecheck_jaxpr(closed.jaxpr)
