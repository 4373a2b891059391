"""``make_jaxpr``: omnistaging, constants, arguments as pytrees, static arguments, and
nesting of staging traces (levels)."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.core.trace import Tracer
from funcad.errors import ConcretizationError, UnexpectedTracerError
from funcad.ir import Literal, Var, eval_closed_jaxpr, typecheck_jaxpr


def _prims(closed) -> list[str]:
    return [e.primitive.name for e in closed.eqns]


# --- omnistaging ----------------------------------------------------------------------------

def test_operations_on_array_constants_are_staged():
    k = np.linspace(0.0, 1.0, 3)
    closed = funcad.make_jaxpr(lambda x: fnp.sin(k) + x)(np.ones(3))
    assert _prims(closed) == ["sin", "add"]  # sin(k) is not folded into a value
    assert closed.eqns[0].invars == closed.jaxpr.constvars
    assert closed.consts == (k,) and closed.consts[0] is k  # hoisted, not copied
    (out,) = eval_closed_jaxpr(closed, np.ones(3))
    np.testing.assert_allclose(out, np.sin(k) + 1)


def test_operations_on_scalar_constants_are_staged_on_literals():
    closed = funcad.make_jaxpr(lambda x: x * 0.5 + fnp.sin(2.0))(np.float64(1.0))
    assert str(closed).splitlines()[1:4] == [
        "    b:f64[] = mul a 0.5:f64[]",
        "    c:f64[]~ = sin 2.0:f64[]~",
        "    d:f64[] = add b c",
    ]
    assert not closed.jaxpr.constvars


def test_a_function_of_constants_only_is_still_staged():
    closed = funcad.make_jaxpr(lambda x: fnp.exp(np.ones(2)) * 3.0)(np.float64(0.0))
    assert _prims(closed) == ["exp", "broadcast_in_dim", "mul"]
    assert len(closed.jaxpr.constvars) == 1


@pytest.mark.parametrize(
    ("const", "expected"),
    [
        (2.0, "2.0:f64[]~"),
        (3, "3.0:f64[]~"),
        (np.float32(2.5), "2.5:f32[]"),
        (np.array(1.5), "1.5:f64[]"),
    ],
)
def test_scalar_constants_become_literals(const, expected):
    closed = funcad.make_jaxpr(lambda x: fnp.sin(const) + x)(np.float64(1.0))
    assert not closed.jaxpr.constvars
    lit = closed.eqns[0].invars[0]
    assert isinstance(lit, Literal)
    assert str(closed).splitlines()[1].endswith(f"= sin {expected}")


def test_array_constants_become_constvars_once_per_object():
    big = np.ones((50, 50))
    closed = funcad.make_jaxpr(lambda x: x * big + big)(np.ones((50, 50)))
    assert len(closed.jaxpr.constvars) == 1
    assert closed.consts[0] is big
    assert all(isinstance(v, Var) for v in closed.jaxpr.constvars)
    typecheck_jaxpr(closed)


def test_staged_program_does_not_run_the_numpy_implementations(monkeypatch):
    from funcad.ops import elementwise

    def boom(*args, **kwargs):
        raise AssertionError("impl ran while staging")

    monkeypatch.setattr(elementwise.sin_p, "impl", boom)
    closed = funcad.make_jaxpr(lambda x: fnp.sin(x) + fnp.sin(1.0))(np.ones(2))
    assert _prims(closed).count("sin") == 2


# --- arguments and outputs --------------------------------------------------------------------

Pair = namedtuple("Pair", ["a", "b"])


def test_pytree_arguments_and_outputs():
    def f(p, xs, *, scale):
        return {"sum": p.a + p.b, "list": [x * scale for x in xs], "none": None}

    closed = funcad.make_jaxpr(f)(
        Pair(np.ones(2), np.zeros(2)), [np.float32(1.0), np.float32(2.0)], scale=np.float32(3)
    )
    assert [v.aval.str_short() for v in closed.jaxpr.invars] == [
        "f64[2]", "f64[2]", "f32[]", "f32[]", "f32[]"
    ]
    assert [a.str_short() for a in closed.out_avals] == ["f32[]", "f32[]", "f64[2]"]
    typecheck_jaxpr(closed)


def test_static_argnums_makes_python_control_flow_possible():
    def f(x, flag, n):
        for _ in range(n):
            x = fnp.sin(x) if flag else fnp.cos(x)
        return x

    assert _prims(funcad.make_jaxpr(f, static_argnums=(1, 2))(1.0, True, 3)) == ["sin"] * 3
    assert _prims(funcad.make_jaxpr(f, static_argnums=(1, 2))(1.0, False, 2)) == ["cos"] * 2
    assert _prims(funcad.make_jaxpr(f, static_argnums=(-2, -1))(1.0, False, 1)) == ["cos"]


def test_static_argnums_out_of_range_and_unhashable():
    with pytest.raises(ValueError, match="argnums 3 is out of range"):
        funcad.make_jaxpr(lambda x: x, static_argnums=3)(1.0)
    with pytest.raises(ValueError, match="hashable"):
        funcad.make_jaxpr(lambda x, s: x, static_argnums=1)(1.0, [1, 2])


def test_non_array_argument_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"make_jaxpr: argument args\[0\]\['w'\] is a str"):
        funcad.make_jaxpr(lambda p: p)({"w": "hello"})


def test_tracer_facts_are_static():
    seen = {}

    def f(x):
        seen.update(shape=x.shape, ndim=x.ndim, dtype=x.dtype, size=x.size, len=len(x))
        return x

    funcad.make_jaxpr(f)(np.ones((4, 2), np.float32))
    assert seen == {"shape": (4, 2), "ndim": 2, "dtype": np.float32, "size": 8, "len": 4}


# --- nesting and levels ---------------------------------------------------------------------

def test_nested_make_jaxpr_closes_over_the_outer_tracer_as_constvar():
    inner_irs = []

    def outer(x):
        inner = funcad.make_jaxpr(lambda y: fnp.sin(x) * y)(np.float64(1.0))
        inner_irs.append(inner)
        return x * 2.0

    outer_ir = funcad.make_jaxpr(outer)(np.ones(3))
    (inner,) = inner_irs
    assert str(inner) == (
        "{ lambda a:f64[3]; b:f64[]. let\n"
        "    c:f64[3] = sin a\n"  # staged in the inner IR, on the outer value (a constvar)
        "    d:f64[3] = broadcast_in_dim[shape=(3,) broadcast_dimensions=()] b\n"
        "    e:f64[3] = mul c d\n"
        "  in (e,) }"
    )
    assert isinstance(inner.consts[0], Tracer)  # bound to the outer trace's tracer
    assert _prims(outer_ir) == ["broadcast_in_dim", "mul"]  # the inner ops stayed inner


def test_inner_ir_evaluated_in_outer_trace_is_inlined():
    def outer(x):
        inner = funcad.make_jaxpr(lambda y: fnp.sin(y) + 1.0)(np.float64(0.0))
        (out,) = eval_closed_jaxpr(inner, x)
        return out * 3.0

    closed = funcad.make_jaxpr(outer)(np.float64(0.5))
    assert _prims(closed) == ["sin", "add", "mul"]
    (val,) = eval_closed_jaxpr(closed, np.float64(0.5))
    np.testing.assert_allclose(val, (np.sin(0.5) + 1) * 3)


def test_inner_concretization_error_names_the_inner_transform():
    def inner_fun(y):
        return fnp.sin(y) if y > 0 else y

    def outer(x):
        funcad.make_jaxpr(inner_fun)(np.float64(1.0))
        return x

    with pytest.raises(ConcretizationError, match=r"make_jaxpr\(inner_fun\)"):
        funcad.make_jaxpr(outer)(np.float64(1.0))


def test_inner_tracer_leaked_into_outer_trace_is_detected():
    leaked = []

    def inner_fun(y):
        leaked.append(y)
        return y

    def outer(x):
        funcad.make_jaxpr(inner_fun)(np.float64(1.0))
        return x + leaked[0]  # the inner trace is over, its tracer is stale

    with pytest.raises(UnexpectedTracerError, match=r"make_jaxpr\(inner_fun\)"):
        funcad.make_jaxpr(outer)(np.float64(1.0))


def test_trace_stack_is_restored_after_an_error():
    with pytest.raises(ConcretizationError):
        funcad.make_jaxpr(lambda x: bool(x))(1.0)
    out = fnp.sin(np.ones(2))  # eager again: a NumPy array, not a tracer
    assert isinstance(out, np.ndarray)  # an EagerArray: still an ndarray
    assert str(funcad.make_jaxpr(fnp.sin)(np.ones(2))).count("sin") == 1
