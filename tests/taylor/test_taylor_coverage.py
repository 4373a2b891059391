"""Every primitive has a Taylor rule and a forward-Laplacian rule: a specialised one (its
own or its family's) or the generic one derived from its JVP rule. The second list, of the
primitives on the generic rules, is printed (``pytest -s``) and must only hold primitives
with a JVP rule. A primitive with neither fails with a clear error, not a wrong number."""
from __future__ import annotations

import numpy as np
import pytest
from primitive_registry import all_primitives

import funcad
from funcad.core.primitive import Primitive
from funcad.core.rules import jvp_rules
from funcad.errors import FuncadNotImplementedError
from funcad.taylor.jet_trace import rule_for, uses_generic_rule
from funcad.taylor.laplacian_rules import laplacian_rule_for, uses_generic_laplacian

PRIMS = all_primitives()


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_every_primitive_has_a_taylor_and_a_laplacian_rule(prim):
    assert callable(rule_for(prim))
    assert callable(laplacian_rule_for(prim))
    if uses_generic_rule(prim) or uses_generic_laplacian(prim):
        assert prim in jvp_rules, f"{prim} would use the generic rule but has no JVP rule"


def test_list_of_primitives_on_the_generic_rules():
    generic_jet = sorted(p.name for p in PRIMS if uses_generic_rule(p))
    generic_lap = sorted(p.name for p in PRIMS if uses_generic_laplacian(p))
    print("\njet, generic rule:", " ".join(generic_jet))
    print("laplacian, generic rule:", " ".join(generic_lap))
    specialised = {p.name for p in PRIMS} - set(generic_jet)
    # the families and recurrences the issue names are specialised
    assert {"exp", "log", "sin", "cos", "tanh", "sqrt", "div", "mul", "add", "dot_general",
            "reduce_sum", "broadcast_in_dim", "neg", "cond", "scan", "while", "jit",
            "remat", "integer_pow"} <= specialised
    assert {"tanh", "exp", "mul", "dot_general", "add"}.isdisjoint(generic_lap)


def test_a_primitive_without_rules_raises_a_clear_error():
    bare = Primitive("bare_test_op")
    bare.def_impl(lambda x: np.asarray(x) * 2.0)
    bare.def_abstract_eval(lambda x: x)
    with pytest.raises(FuncadNotImplementedError, match="bare_test_op"):
        funcad.jet(lambda x: bare.bind(x), (1.0,), ([1.0, 0.0],))
    with pytest.raises(FuncadNotImplementedError, match="bare_test_op"):
        funcad.laplacian(lambda x: bare.bind(x))(np.ones(2))
