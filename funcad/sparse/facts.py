"""Sparsity facts of primitives whose family files are at their line budget: registered
here, read like any other entry of ``core.rules.sparsity_rules``."""
from __future__ import annotations

from funcad.core.rules import Contracts, Dense, Elementwise, sparsity_curvature, sparsity_rules
from funcad.ops._base import convert_element_type_p
from funcad.ops.linalg import cholesky_p, dot_general_p, lu_p, triangular_solve_p

sparsity_rules[convert_element_type_p] = Elementwise()
sparsity_curvature[convert_element_type_p] = "linear"
sparsity_rules[dot_general_p] = Contracts()
for _prim in (cholesky_p, triangular_solve_p, lu_p):
    sparsity_rules[_prim] = Dense()  # decompositions couple every element of a matrix
