"""Dead-code and common-subexpression elimination: they shrink the IR and keep its values."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import funcad
import funcad.numpy as fnp
from funcad.core.avals import ShapedArray
from funcad.ir import (
    ClosedJaxpr,
    Eqn,
    Jaxpr,
    Literal,
    Var,
    cse,
    cse_closed,
    dce,
    dce_closed,
    eval_closed_jaxpr,
    typecheck_jaxpr,
)
from funcad.ops import elementwise as ew

F64 = ShapedArray((), np.float64)


def _prims(jaxpr) -> list[str]:
    return [e.primitive.name for e in jaxpr.eqns]


def _same_values(a: ClosedJaxpr, b: ClosedJaxpr, *args):
    for x, y in zip(eval_closed_jaxpr(a, *args), eval_closed_jaxpr(b, *args), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


# --- DCE ------------------------------------------------------------------------------------

def with_dead_code(x, y):
    unused = fnp.exp(x) * y  # dead
    fnp.cos(unused)  # dead
    live = fnp.sin(x)
    fnp.log(live)  # dead, though it reads a live value
    return live * 2.0


def test_dce_removes_dead_equations_and_keeps_values():
    closed = funcad.make_jaxpr(with_dead_code)(np.float64(0.5), np.float64(3.0))
    assert _prims(closed.jaxpr) == ["exp", "mul", "cos", "sin", "log", "mul"]
    pruned = dce_closed(closed)
    assert _prims(pruned.jaxpr) == ["sin", "mul"]
    assert pruned.jaxpr.invars == closed.jaxpr.invars  # unused inputs stay: the signature holds
    typecheck_jaxpr(pruned)
    _same_values(closed, pruned, np.float64(0.5), np.float64(3.0))


def test_dce_drops_unused_constvars_with_their_consts():
    k1, k2 = np.arange(3.0), np.ones(3) * 7

    def f(x):
        fnp.sin(x + k1)  # dead: k1 only feeds dead code
        return x * k2

    closed = funcad.make_jaxpr(f)(np.ones(3))
    assert len(closed.consts) == 2
    pruned = dce_closed(closed)
    assert len(pruned.jaxpr.constvars) == 1
    assert pruned.consts[0] is k2
    typecheck_jaxpr(pruned)
    _same_values(closed, pruned, np.full(3, 2.0))


def test_dce_with_used_outputs_drops_outputs_and_their_producers():
    closed = funcad.make_jaxpr(lambda x: (fnp.sin(x), fnp.cos(x), x))(np.float64(1.0))
    pruned = dce(closed.jaxpr, used_outputs=[False, True, True])
    assert _prims(pruned) == ["cos"]
    assert len(pruned.outvars) == 2
    assert pruned.outvars[1] is pruned.invars[0]


def test_dce_keeps_everything_live():
    closed = funcad.make_jaxpr(lambda x: fnp.sin(fnp.cos(x)) + x)(np.ones(2))
    assert dce(closed.jaxpr).eqns == closed.jaxpr.eqns


# --- CSE ------------------------------------------------------------------------------------

def with_duplicates(x, y):
    a = fnp.sin(x) * y
    b = fnp.sin(x) * y  # the same two equations again
    c = fnp.sin(y) * x  # different operands: kept
    return a + b + c


def test_cse_merges_duplicates_and_keeps_values():
    closed = funcad.make_jaxpr(with_duplicates)(np.float64(0.3), np.float64(2.0))
    assert _prims(closed.jaxpr) == ["sin", "mul", "sin", "mul", "sin", "mul", "add", "add"]
    merged = cse_closed(closed)
    assert _prims(merged.jaxpr) == ["sin", "mul", "sin", "mul", "add", "add"]
    first_add = merged.jaxpr.eqns[4]
    assert first_add.invars[0] is first_add.invars[1]  # a + b became a + a
    typecheck_jaxpr(merged)
    _same_values(closed, merged, np.float64(0.3), np.float64(2.0))


def test_cse_distinguishes_params():
    closed = funcad.make_jaxpr(
        lambda x: (fnp.asarray(x, np.float32), fnp.asarray(x, np.float32), fnp.asarray(x, np.int32))
    )(np.ones(2))
    merged = cse(closed.jaxpr)
    assert _prims(merged) == ["convert_element_type", "convert_element_type"]
    assert merged.outvars[0] is merged.outvars[1] and merged.outvars[2] is not merged.outvars[0]


def test_cse_renames_outputs():
    closed = funcad.make_jaxpr(lambda x: (fnp.exp(x), fnp.exp(x)))(np.ones(2))
    merged = cse(closed.jaxpr)
    assert len(merged.eqns) == 1
    assert merged.outvars[0] is merged.outvars[1] is merged.eqns[0].outvars[0]


def _binop_program(lit1: Literal, lit2: Literal) -> ClosedJaxpr:
    """``(x + lit1, x + lit2)`` as two equations."""
    x, a, b = Var(F64), Var(F64), Var(F64)
    jaxpr = Jaxpr.new([], [x], [a, b], [
        Eqn.new(ew.add_p, [x, lit1], [a], {}),
        Eqn.new(ew.add_p, [x, lit2], [b], {}),
    ])
    typecheck_jaxpr(jaxpr)
    return ClosedJaxpr(jaxpr, [])


def test_cse_merges_equal_nan_literals():
    # NaN != NaN, yet two NaN literals are the same constant: the equations are duplicates.
    closed = _binop_program(Literal(float("nan"), F64), Literal(float("nan"), F64))
    merged = cse_closed(closed)
    assert len(merged.jaxpr.eqns) == 1
    assert all(np.isnan(v) for v in eval_closed_jaxpr(merged, np.float64(1.0)))


def test_cse_keeps_distinct_literals_apart():
    cases = [
        (Literal(float("nan"), F64), Literal(1.0, F64)),
        (Literal(0.0, F64), Literal(-0.0, F64)),  # equal as numbers, different values
        (Literal(1.0, F64), Literal(2.0, F64)),
    ]
    for lit1, lit2 in cases:
        closed = _binop_program(lit1, lit2)
        merged = cse_closed(closed)
        assert len(merged.jaxpr.eqns) == 2, (lit1, lit2)
        _same_values(closed, merged, np.float64(1.5))


def test_cse_keeps_weak_and_strong_literals_apart():
    weak = ShapedArray((), np.float64, weak_type=True)
    x, a, b = Var(F64), Var(weak), Var(weak)
    jaxpr = Jaxpr.new([], [x], [a, b], [
        Eqn.new(ew.sin_p, [Literal(1.0, weak)], [a], {}),
        Eqn.new(ew.sin_p, [Literal(1.0, F64)], [b], {}),
    ])
    assert len(cse(jaxpr).eqns) == 2


def test_cse_then_dce_on_staged_nan_constants():
    def f(x):
        return x * np.nan + x * np.nan + x * 1.0

    closed = funcad.make_jaxpr(f)(np.float64(2.0))
    merged = dce_closed(cse_closed(closed))
    assert _prims(merged.jaxpr) == ["mul", "add", "mul", "add"]
    typecheck_jaxpr(merged)
    out = eval_closed_jaxpr(merged, np.float64(2.0))
    assert np.isnan(out[0])


# --- property: random programs ----------------------------------------------------------------

_UNARY = [fnp.sin, fnp.cos, fnp.tanh, fnp.negative, fnp.square]
_BINARY = [fnp.add, fnp.subtract, fnp.multiply, fnp.maximum]


@st.composite
def programs(draw):
    """A straight-line program over two inputs: each step applies a unary or binary op to
    earlier values (repeats make CSE work), and any subset of values is returned."""
    n = draw(st.integers(1, 25))
    steps = []
    for i in range(n):
        if draw(st.booleans()):
            steps.append((draw(st.integers(0, len(_UNARY) - 1)), draw(st.integers(0, i + 1)), None))
        else:
            steps.append((
                draw(st.integers(0, len(_BINARY) - 1)) + 100,
                draw(st.integers(0, i + 1)),
                draw(st.integers(0, i + 1)),
            ))
    outs = draw(st.lists(st.integers(0, n + 1), min_size=1, max_size=4))
    return steps, outs


def _run(program, x, y):
    steps, outs = program
    vals = [x, y]
    for op, i, j in steps:
        vals.append(_UNARY[op](vals[i]) if j is None else _BINARY[op - 100](vals[i], vals[j]))
    return [vals[k] for k in outs]


@given(programs())
def test_dce_and_cse_preserve_random_programs(program):
    x, y = np.array([0.3, -1.2]), np.array([0.7, 0.1])
    closed = funcad.make_jaxpr(lambda a, b: _run(program, a, b))(x, y)
    optimized = dce_closed(cse_closed(closed))
    typecheck_jaxpr(optimized)
    assert len(optimized.eqns) <= len(closed.eqns)
    keys = [(e.primitive, tuple(map(id, e.invars))) for e in optimized.eqns]
    assert len(keys) == len(set(keys))  # no duplicate equation survives CSE
    _same_values(closed, optimized, x, y)
    for got, want in zip(eval_closed_jaxpr(optimized, x, y), _run(program, x, y)):
        np.testing.assert_allclose(got, want, rtol=1e-13)
