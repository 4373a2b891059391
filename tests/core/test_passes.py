"""The IR passes one by one — dead-code and common-subexpression elimination, constant
folding, forwarding, simplification of linear IR, inlining — and the ``optimize`` pipeline:
they shrink the IR and keep its values."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import funcad
import funcad.numpy as fnp
from funcad.core.avals import ShapedArray
from funcad.core.primitive import Primitive
from funcad.core.rules import algebra_rules, identity_tests
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
from funcad.ir.passes import (
    fold_add_chains,
    fold_and_forward,
    inline_calls,
    optimize,
    simplify_algebra,
)
from funcad.ir.simplify import involution
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
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
        Eqn.new(ar.add_p, [x, lit1], [a], {}),
        Eqn.new(ar.add_p, [x, lit2], [b], {}),
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


# --- the optimization pipeline: folding, forwarding, linear algebra, inlining -----------------

V3 = ShapedArray((3,), np.float64)
M23 = ShapedArray((2, 3), np.float64)


def _program(invars, eqns, outvars, constvars=(), consts=()) -> ClosedJaxpr:
    closed = ClosedJaxpr(Jaxpr.new(constvars, invars, outvars, eqns), list(consts))
    typecheck_jaxpr(closed)
    return closed


def _zeros_eqn(out: Var) -> Eqn:
    return Eqn.new(base.broadcast_in_dim_p, [Literal(0.0, F64)], [out],
                   {"shape": out.aval.shape, "broadcast_dimensions": ()})


def _ones_eqn(out: Var) -> Eqn:
    return Eqn.new(base.broadcast_in_dim_p, [Literal(1.0, F64)], [out],
                   {"shape": out.aval.shape, "broadcast_dimensions": ()})


def test_fold_literal_only_scalar_equations():
    def f(x):
        c = fnp.sin(2.0) * 3.0 + 1.0  # literal-only: folded to one literal
        return x * c + fnp.ones(3) * 2.0  # broadcasts of literals stay (cheap, fusible)

    closed = funcad.make_jaxpr(f)(np.ones(3))
    folded = ClosedJaxpr(fold_and_forward(closed.jaxpr), closed.consts)
    typecheck_jaxpr(folded)
    assert "sin" not in _prims(folded.jaxpr)
    assert len(folded.jaxpr.eqns) < len(closed.jaxpr.eqns)
    _same_values(closed, folded, np.arange(3.0))


def test_fold_leaves_failing_equations_for_run_time():
    x, a = Var(ShapedArray((), np.int64)), Var(ShapedArray((), np.int64))
    lit = Literal(2, ShapedArray((), np.int64))
    eqn = Eqn.new(ar.integer_pow_p, [lit], [a], {"y": -1})  # ints to a negative power
    jaxpr = Jaxpr.new([], [x], [a], [eqn])
    assert fold_and_forward(jaxpr).eqns == (eqn,)


def test_forward_trivial_equations():
    x = Var(M23)
    a, b, c, d, e = (Var(M23) for _ in range(5))
    eqns = [
        Eqn.new(base.convert_element_type_p, [x], [a], {"new_dtype": np.dtype(np.float64),
                                                      "weak_type": False}),
        Eqn.new(base.reshape_p, [a], [b], {"new_sizes": (2, 3)}),
        Eqn.new(base.transpose_p, [b], [c], {"permutation": (0, 1)}),
        Eqn.new(base.broadcast_in_dim_p, [c], [d], {"shape": (2, 3),
                                                     "broadcast_dimensions": (0, 1)}),
        Eqn.new(ew.sin_p, [d], [e], {}),
    ]
    closed = _program([x], eqns, [e, d])
    out = fold_and_forward(closed.jaxpr)
    assert _prims(out) == ["sin"]
    assert out.eqns[0].invars[0] is x and out.outvars[1] is x
    _same_values(closed, ClosedJaxpr(out, []), np.arange(6.0).reshape(2, 3))


def test_forwarding_keeps_weak_types_apart():
    weak = ShapedArray((), np.float64, weak_type=True)
    x, a = Var(weak), Var(F64)
    eqn = Eqn.new(base.convert_element_type_p, [x], [a], {"new_dtype": np.dtype(np.float64),
                                                         "weak_type": False})
    assert fold_and_forward(Jaxpr.new([], [x], [a], [eqn])).eqns == (eqn,)


def test_simplify_zero_and_one_terms():
    x, y = Var(V3), Var(V3)
    z, one = Var(V3), Var(V3)
    a, b, c, d, e, f = (Var(V3) for _ in range(6))
    eqns = [
        _zeros_eqn(z), _ones_eqn(one),
        Eqn.new(base.add_any_p, [x, z], [a], {}),  # x + 0
        Eqn.new(ar.mul_p, [one, a], [b], {}),  # 1 * x
        Eqn.new(ar.sub_p, [z, b], [c], {}),  # 0 - x  -> -x
        Eqn.new(ar.neg_p, [c], [d], {}),  # -(-x) -> x
        Eqn.new(ar.div_p, [d, one], [e], {}),  # x / 1
        Eqn.new(ar.add_p, [e, y], [f], {}),
    ]
    closed = _program([x, y], eqns, [f])
    out = dce(simplify_algebra(closed.jaxpr))
    assert _prims(out) == ["add"]
    assert out.eqns[0].invars == (x, y)
    _same_values(closed, ClosedJaxpr(out, []), np.arange(3.0), np.ones(3))


def test_simplify_does_not_drop_nan_producing_products():
    # x * 0 is NaN for infinite x: it is not a zero term and stays.
    x, z, a = Var(V3), Var(V3), Var(V3)
    closed = _program([x], [_zeros_eqn(z), Eqn.new(ar.mul_p, [x, z], [a], {})], [a])
    assert "mul" in _prims(simplify_algebra(closed.jaxpr))


def test_fuse_transposes_and_reshapes():
    x = Var(ShapedArray((2, 3, 4), np.float64))
    a, b = Var(ShapedArray((3, 4, 2), np.float64)), Var(ShapedArray((4, 2, 3), np.float64))
    c = Var(ShapedArray((2, 3, 4), np.float64))
    r1, r2 = Var(ShapedArray((6, 4), np.float64)), Var(ShapedArray((24,), np.float64))
    eqns = [
        Eqn.new(base.transpose_p, [x], [a], {"permutation": (1, 2, 0)}),
        Eqn.new(base.transpose_p, [a], [b], {"permutation": (1, 2, 0)}),
        Eqn.new(base.transpose_p, [b], [c], {"permutation": (1, 2, 0)}),  # back to x
        Eqn.new(base.reshape_p, [x], [r1], {"new_sizes": (6, 4)}),
        Eqn.new(base.reshape_p, [r1], [r2], {"new_sizes": (24,)}),
    ]
    closed = _program([x], eqns, [b, c, r2])
    out = dce(simplify_algebra(closed.jaxpr))
    assert _prims(out) == ["transpose", "reshape"]
    assert out.eqns[0].params["permutation"] == (2, 0, 1) and out.eqns[0].invars == (x,)
    assert out.outvars[1] is x and out.eqns[1].invars == (x,)
    _same_values(closed, ClosedJaxpr(out, []), np.arange(24.0).reshape(2, 3, 4))


def test_passes_know_a_primitive_only_by_the_facts_its_block_registers():
    flip_p = Primitive("flip")  # one line per fact, as in a primitive's block:
    identity_tests[flip_p] = lambda eqn: not eqn.params["axes"]
    algebra_rules[flip_p] = involution
    try:
        x, a, b, c = (Var(V3) for _ in range(4))
        eqns = [
            Eqn.new(flip_p, [x], [a], {"axes": ()}),  # an identity: forwarded
            Eqn.new(flip_p, [a], [b], {"axes": (0,)}),
            Eqn.new(flip_p, [b], [c], {"axes": (0,)}),  # flip(flip(x)) -> x
        ]
        out = dce(simplify_algebra(fold_and_forward(Jaxpr.new([], [x], [c], eqns))))
        assert out.eqns == () and out.outvars[0] is x
    finally:
        del identity_tests[flip_p], algebra_rules[flip_p]


def test_fold_add_any_chains():
    x, y = Var(V3), Var(V3)
    z = Var(V3)
    a, b, c, d = (Var(V3) for _ in range(4))
    eqns = [
        _zeros_eqn(z),
        Eqn.new(base.add_any_p, [x, z], [a], {}),
        Eqn.new(base.add_any_p, [a, y], [b], {}),
        Eqn.new(base.add_any_p, [b, x], [c], {}),  # x + 0 + y + x  ->  2x + y
        Eqn.new(base.add_any_p, [c, z], [d], {}),
    ]
    closed = _program([x, y], eqns, [d])
    out = dce(fold_add_chains(closed.jaxpr))
    typecheck_jaxpr(out)
    assert sorted(_prims(out)) == ["add_any", "broadcast_in_dim", "mul"]
    _same_values(closed, ClosedJaxpr(out, []), np.arange(3.0), np.ones(3) * 0.5)


def test_add_chains_without_zeros_or_repeats_are_kept():
    x, y, w = Var(V3), Var(V3), Var(V3)
    a, b = Var(V3), Var(V3)
    eqns = [Eqn.new(base.add_any_p, [x, y], [a], {}), Eqn.new(base.add_any_p, [a, w], [b], {})]
    closed = _program([x, y, w], eqns, [b])
    assert fold_add_chains(closed.jaxpr) is closed.jaxpr


def test_add_chains_keep_shared_partial_sums():
    x, y, w = Var(V3), Var(V3), Var(V3)
    a, b = Var(V3), Var(V3)
    eqns = [Eqn.new(base.add_any_p, [x, y], [a], {}), Eqn.new(base.add_any_p, [a, w], [b], {})]
    closed = _program([x, y, w], eqns, [a, b])  # `a` is an output too: not absorbed
    assert fold_add_chains(closed.jaxpr).eqns == closed.jaxpr.eqns


def test_cse_sees_commuted_operands():
    closed = funcad.make_jaxpr(lambda x, y: (x * y, y * x, x + y, y + x, x - y, y - x))(
        np.ones(2), np.ones(2))
    assert _prims(cse(closed.jaxpr)) == ["mul", "add", "sub", "sub"]


def test_inline_nested_calls_with_constants():
    k = np.arange(3.0)
    inner = funcad.jit(lambda x: x * k, backend="numpy")
    outer = funcad.make_jaxpr(lambda x: inner(inner(x)) + inner(x))(np.ones(3))
    assert _prims(outer.jaxpr) == ["jit", "jit", "jit", "add"]
    flat = inline_calls(outer)
    typecheck_jaxpr(flat)
    assert _prims(flat.jaxpr) == ["mul", "mul", "mul", "add"]
    assert len({id(e.outvars[0]) for e in flat.jaxpr.eqns}) == 4  # fresh variables per site
    _same_values(outer, flat, np.full(3, 2.0))
    assert _prims(optimize(outer).jaxpr) == ["mul", "mul", "add"]  # CSE merged inner(x)


def test_optimize_shrinks_gradient_ir_and_keeps_values():
    def f(x, y):
        return fnp.sin(x) * y + x * x * y + fnp.cos(x * y)

    closed = funcad.make_jaxpr(funcad.grad(f, (0, 1)))(np.float64(0.3), np.float64(0.7))
    small = optimize(closed)
    typecheck_jaxpr(small)
    assert len(small.jaxpr.eqns) < len(closed.jaxpr.eqns)
    for a, b in zip(eval_closed_jaxpr(small, 0.3, 0.7), eval_closed_jaxpr(closed, 0.3, 0.7)):
        np.testing.assert_allclose(a, b, rtol=1e-14)


@given(programs())
def test_optimize_preserves_random_programs(program):
    x, y = np.array([0.3, -1.2]), np.array([0.7, 0.1])
    closed = funcad.make_jaxpr(lambda a, b: _run(program, a, b))(x, y)
    optimized = optimize(closed)
    typecheck_jaxpr(optimized)
    assert len(optimized.eqns) <= len(closed.eqns)
    for got, want in zip(eval_closed_jaxpr(optimized, x, y), _run(program, x, y)):
        np.testing.assert_allclose(got, want, rtol=1e-13)
