"""Sparsity facts of primitives whose family files are at their line budget: registered
here, read like any other entry of ``core.rules.sparsity_rules``."""
from __future__ import annotations

from funcad.core.rules import Contracts, Elementwise, sparsity_curvature, sparsity_rules
from funcad.ops._base import convert_element_type_p
from funcad.ops.linalg import dot_general_p

sparsity_rules[convert_element_type_p] = Elementwise()
sparsity_curvature[convert_element_type_p] = "linear"
sparsity_rules[dot_general_p] = Contracts()
