"""Every primitive has every rule it must have: an implementation and a shape rule, a JVP
rule and a batching rule, and a transpose rule when it is linear in some operand. (The XLA
lowerings are checked by tests/xla.)"""
from __future__ import annotations

import pytest
from primitive_registry import all_primitives

from funcad.core.rules import batch_rules, jvp_rules, transpose_rules

# Linear in at least one operand: reverse mode transposes these.
LINEAR = {
    "neg", "add", "sub", "mul", "div", "add_any", "convert_element_type", "select_n",
    "reduce_sum", "cumsum", "dot_general", "triangular_solve",
    "broadcast_in_dim", "reshape", "transpose", "squeeze", "expand_dims", "rev", "pad",
    "concatenate", "slice", "dynamic_slice", "dynamic_update_slice", "gather", "scatter_add",
    "custom_lin",
}
# Primitives with a body that reverse mode may have to transpose (a linear body).
TRANSPOSED_CALLS = {"jit", "remat", "cond", "scan"}


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
        "dot_general cholesky triangular_solve lu".split()
    )
    assert required <= names, sorted(required - names)
    assert LINEAR <= names, sorted(LINEAR - names)
    assert TRANSPOSED_CALLS <= names, sorted(TRANSPOSED_CALLS - names)


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_primitive_has_every_rule(prim):
    assert callable(prim.impl), f"{prim} has no impl"
    assert callable(prim.abstract_eval), f"{prim} has no shape rule"
    assert prim in jvp_rules, f"{prim} has no JVP rule"
    assert prim in batch_rules, f"{prim} has no batching rule"
    if prim.name in LINEAR or prim.name in TRANSPOSED_CALLS:
        assert prim in transpose_rules, f"{prim} is linear but has no transpose rule"
