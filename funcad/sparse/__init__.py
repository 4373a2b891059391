"""Sparse Jacobians and Hessians: exact sparsity patterns read from the IR, graph coloring,
and compressed evaluation with one JVP (or VJP, or HVP) per color."""
from funcad.sparse import (  # noqa: F401 - rules
    block_rules,
    control_rules,
    facts,
    families,
    general_indexing_rules,
    indexing_rules,
    window_rules,
)
from funcad.sparse.api import sparse_hessian, sparse_jacobian
from funcad.sparse.detection import hessian_sparsity, jacobian_sparsity

__all__ = ["hessian_sparsity", "jacobian_sparsity", "sparse_hessian", "sparse_jacobian"]
