"""Every primitive has every rule it must have: an implementation and a shape rule, a JVP
rule and a batching rule, and a transpose rule when it is linear in some operand. (The XLA
lowerings are checked by tests/xla.)

Linearity is not listed here: a primitive is linear because its block registers a
transpose rule (``deflinear``, ``defbilinear`` or its own). What the test derives is which
primitives reverse mode must transpose: every primitive that appears in the linear IR of
``linearize``, over the whole op-spec table and a corpus of control-flow programs.
"""
from __future__ import annotations

import numpy as np
import pytest
from primitive_registry import all_primitives

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.core.rules import batch_rules, jvp_rules, transpose_rules
from funcad.ir.core import Literal

from op_specs import OP_SPECS
from specs.spec import spec_args

PRIMS = all_primitives()


def test_the_primitive_set_is_complete():
    names = {p.name for p in PRIMS}
    required = set(
        "neg sign floor ceil round abs exp exp2 log log1p expm1 sqrt rsqrt cbrt sin cos tan asin "
        "acos atan sinh cosh tanh asinh acosh atanh logistic erf integer_pow square add sub mul "
        "div rem pow max min atan2 eq ne lt le gt ge and or not xor select_n "
        "convert_element_type broadcast_in_dim reshape transpose squeeze expand_dims rev pad "
        "concatenate slice dynamic_slice dynamic_update_slice gather scatter_add iota "
        "reduce_sum reduce_max reduce_min reduce_prod argmax argmin cumsum cumprod cummax "
        "dot_general cholesky triangular_solve lu jit remat cond while scan custom_jvp_call "
        "custom_vjp_call custom_lin".split()
    )
    assert required <= names, sorted(required - names)


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_primitive_has_every_rule(prim):
    assert callable(prim.impl), f"{prim} has no impl"
    assert callable(prim.abstract_eval), f"{prim} has no shape rule"
    assert prim in jvp_rules, f"{prim} has no JVP rule"
    assert prim in batch_rules, f"{prim} has no batching rule"


def _transposed_primitives(jaxpr) -> set:
    """The primitives of the equations of ``jaxpr`` that depend on its inputs: the ones the
    backward pass transposes (the others only compute constants of the linear map, and a
    higher-order primitive transposes its own body)."""
    linear = set(jaxpr.invars)
    found = set()
    for eqn in jaxpr.eqns:
        if any(type(x) is not Literal and x in linear for x in eqn.invars):
            found.add(eqn.primitive)
            linear.update(eqn.outvars)
    return found


def _linear_primitives(fn, args) -> set:
    """The primitives in the linear IR of ``fn`` at ``args`` (floating outputs only)."""
    def floating(*xs):
        out = fn(*xs)
        leaves = funcad.tree_util.tree_leaves(out)
        return [x for x in leaves if funcad.core.get_aval(x).dtype.kind == "f"]

    _, f_lin = funcad.linearize(floating, *args)
    return _transposed_primitives(funcad.make_jaxpr(f_lin)(*args).jaxpr)


def _control_flow_programs():
    x = np.array([0.3, -1.2, 0.7])

    def body(c, xi):
        return c * xi + fnp.sin(c), c * 2.0

    @funcad.custom_vjp
    def cube(v):
        return v ** 3

    cube.defvjp(lambda v: (v ** 3, v), lambda v, ct: (3 * v ** 2 * ct,))

    @funcad.custom_jvp
    def soft(v):
        return fnp.log1p(fnp.exp(v))

    soft.defjvp(lambda p, t: (soft(p[0]), t[0] / (1 + fnp.exp(-p[0]))))
    return [
        (funcad.jit(lambda v: fnp.sin(v) * v, backend="numpy"), [x]),
        (funcad.checkpoint(lambda v: fnp.exp(fnp.sin(v))), [x]),
        (lambda v: lax.cond(v[0] > 0, fnp.sin, fnp.cos, v), [x]),
        (lambda v: lax.scan(body, 1.0, v), [x]),
        (lambda v: lax.while_loop(lambda c: c[1] < 3, lambda c: (c[0] * v, c[1] + 1),
                                  (v, 0), max_steps=5)[0], [x]),
        (cube, [x]),
        (soft, [x]),
    ]


def test_every_primitive_reverse_mode_meets_is_linear():
    """A primitive in a linear IR must be transposable: the linearization of every
    differentiable op-spec row and of the control-flow corpus uses only primitives that
    registered a transpose rule."""
    rng = np.random.default_rng(0)
    seen: dict = {}
    for spec in OP_SPECS:
        if not spec.differentiable or np.float64 not in spec.dtypes:
            continue
        args = spec_args(spec, rng, spec.cases[0], np.dtype(np.float64))
        floats = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]

        def fn(*fa, args=args, floats=floats, spec=spec):
            full = list(args)
            for i, a in zip(floats, fa):
                full[i] = a
            return spec.fn(*full)

        for prim in _linear_primitives(fn, [args[i] for i in floats]):
            seen.setdefault(prim, spec.name)
    for i, (fn, args) in enumerate(_control_flow_programs()):
        for prim in _linear_primitives(fn, args):
            seen.setdefault(prim, f"control-flow program {i}")
    missing = {p.name: where for p, where in seen.items() if p not in transpose_rules}
    assert not missing, f"linear IR uses primitives without a transpose rule: {missing}"
    # The corpus reaches the linear primitives of every kind, so the check is not vacuous.
    names = {p.name for p in seen}
    reached = set(
        "neg add_any mul div convert_element_type select_n reduce_sum cumsum dot_general "
        "triangular_solve broadcast_in_dim reshape transpose squeeze expand_dims rev pad "
        "concatenate slice dynamic_slice dynamic_update_slice gather scatter_add custom_lin "
        "jit remat cond scan".split())
    assert reached <= names, sorted(reached - names)


def test_only_linear_primitives_have_transpose_rules():
    """A transpose rule marks its primitive linear in some operand; nonlinear elementwise
    math (which reverse mode must never transpose) registers none."""
    names = {p.name for p in transpose_rules}
    assert not names & {"sin", "exp", "log", "tanh", "max", "pow", "eq", "abs", "sqrt"}
