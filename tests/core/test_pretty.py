"""Golden printouts of staged IR: the exact text of ``str(make_jaxpr(f)(...))``."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp


def _golden(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def sin_mul_add(x, y):
    return fnp.sin(x) * y + 2.0


def two_outputs_from_dict(p):
    return fnp.exp(p["w"]) * 2.0, p["b"] - 1


def closes_over_array(x):
    return x + np.arange(3.0)


def relu_like(x):
    return fnp.where(x > 0, x, 0.0)


def identity_and_literal(x):
    return x, 2.0


def python_scalar_arg(x, y):
    return x * y


def long_chain(x):
    for _ in range(28):
        x = fnp.sin(x)
    return x


F64_3 = np.ones(3)

CASES = [
    (
        sin_mul_add,
        (F64_3, F64_3),
        """
        { lambda ; a:f64[3] b:f64[3]. let
            c:f64[3] = sin a
            d:f64[3] = mul c b
            e:f64[3] = broadcast_in_dim[shape=(3,) broadcast_dimensions=()] 2.0:f64[]
            f:f64[3] = add d e
          in (f,) }
        """,
    ),
    (
        two_outputs_from_dict,  # dict keys are flattened in sorted order: b before w
        ({"w": np.ones((2, 2), np.float32), "b": np.int32(3)},),
        """
        { lambda ; a:i32[] b:f32[2,2]. let
            c:f32[2,2] = exp b
            d:f32[2,2] = broadcast_in_dim[shape=(2, 2) broadcast_dimensions=()] 2.0:f32[]
            e:f32[2,2] = mul c d
            f:i32[] = sub a 1:i32[]
          in (e, f) }
        """,
    ),
    (
        closes_over_array,  # an array constant becomes a constvar
        (F64_3,),
        """
        { lambda a:f64[3]; b:f64[3]. let
            c:f64[3] = add b a
          in (c,) }
        """,
    ),
    (
        relu_like,
        (F64_3,),
        """
        { lambda ; a:f64[3]. let
            b:f64[3] = broadcast_in_dim[shape=(3,) broadcast_dimensions=()] 0.0:f64[]
            c:bool[3] = gt a b
            d:f64[3]~ = broadcast_in_dim[shape=(3,) broadcast_dimensions=()] 0.0:f64[]~
            e:f64[3] = select_n c d a
          in (e,) }
        """,
    ),
    (
        identity_and_literal,
        (F64_3,),
        """
        { lambda ; a:f64[3]. let
          in (a, 2.0:f64[]~) }
        """,
    ),
    (
        python_scalar_arg,  # a Python int argument is weakly typed; f32 wins
        (np.ones((2, 3), np.float32), 2),
        """
        { lambda ; a:f32[2,3] b:i64[]~. let
            c:f32[] = convert_element_type[new_dtype=float32 weak_type=False] b
            d:f32[2,3] = broadcast_in_dim[shape=(2, 3) broadcast_dimensions=()] c
            e:f32[2,3] = mul a d
          in (e,) }
        """,
    ),
]


@pytest.mark.parametrize(("fun", "args", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
def test_golden_printout(fun, args, expected):
    assert str(funcad.make_jaxpr(fun)(*args)) == _golden(expected)


def test_variable_names_continue_after_z():
    lines = str(funcad.make_jaxpr(long_chain)(np.float64(1.0))).splitlines()
    assert lines[0] == "{ lambda ; a:f64[]. let"
    assert lines[25] == "    z:f64[] = sin y"
    assert lines[26] == "    ba:f64[] = sin z"
    assert lines[28] == "    bc:f64[] = sin bb"
    assert lines[-1] == "  in (bc,) }"


def test_repr_and_str_agree_and_eqn_prints_alone():
    closed = funcad.make_jaxpr(sin_mul_add)(F64_3, F64_3)
    assert repr(closed) == str(closed) == str(closed.jaxpr)
    assert str(closed.eqns[0]) == "b:f64[3] = sin a"  # an equation names its own variables


def test_nested_jaxprs_print_without_trailing_spaces():
    from funcad import lax

    def f(x):
        y = lax.switch(1, [fnp.sin, fnp.cos, fnp.tanh], x)
        return lax.cond(y > 0, lambda v: v * 2.0, lambda v: -v, y)

    text = str(funcad.make_jaxpr(f)(1.0))
    assert "branches=(" in text
    assert all(line == line.rstrip() for line in text.splitlines()), text
