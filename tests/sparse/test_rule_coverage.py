"""Which primitives have a sparsity rule, and which fall back to "dense in its operands".

The fallback is correct for every primitive (never exact), so a primitive without a rule is
listed, not failed: ``python -m pytest tests/sparse/test_rule_coverage.py -s`` prints the
list. The families the sparse transforms are built on must have rules."""
from __future__ import annotations

import numpy as np
from primitive_registry import all_primitives

import funcad
import funcad.numpy as fnp
from funcad.core.rules import sparsity_rules
from funcad.ops import elementwise

# Primitives that must never fall back (elementwise, broadcasting, reductions, contraction,
# indexing, slicing, reshape/transpose, control flow, and the families below). Today no
# primitive of the registry falls back; a new one is listed by the test below.
MUST_HAVE = {
    "add", "sub", "mul", "div", "neg", "exp", "sin", "pow", "max", "min", "abs",
    "select_n", "convert_element_type", "broadcast_in_dim", "reshape", "transpose",
    "squeeze", "expand_dims", "rev", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod",
    "cumsum", "cumprod", "dot_general", "gather", "scatter", "scatter_add", "scatter_mul",
    "scatter_min", "scatter_max",
    "slice", "dynamic_slice", "dynamic_update_slice", "pad", "concatenate", "cond", "while",
    "scan", "jit", "remat", "custom_jvp_call", "custom_vjp_call", "argmax", "eq", "lt",
    # sorting, FFTs, linalg as dense blocks, windows, convolution
    "sort", "top_k", "fft", "eigh", "eig",
    "svd", "qr", "cholesky", "lu", "triangular_solve", "expm", "expm_frechet",
    "conv_general_dilated", "reduce_window_sum", "reduce_window_max", "reduce_window_min",
    "window_patches", "window_patches_transpose", "sharding_constraint", "custom_lin",
}


def fallback_primitives() -> list[str]:
    return [p.name for p in all_primitives() if p not in sparsity_rules]


def test_list_primitives_using_the_dense_fallback():
    fallback = fallback_primitives()
    print("\nprimitives without a sparsity rule (dense in their operands):",
          ", ".join(fallback) or "none")
    assert not MUST_HAVE & set(fallback), sorted(MUST_HAVE & set(fallback))


def test_dense_fallback_is_conservative(monkeypatch):
    """With its rule removed, a primitive's result depends on every operand element."""
    monkeypatch.delitem(sparsity_rules, elementwise.sin_p)

    def f(x):
        return fnp.sin(x[1:3]) + x[0]

    x = np.linspace(0.1, 1.0, 5)
    pattern = funcad.jacobian_sparsity(f)(x).toarray()
    np.testing.assert_array_equal(pattern, [[1, 1, 1, 0, 0], [1, 1, 1, 0, 0]])
    hess = funcad.hessian_sparsity(lambda v: fnp.sum(f(v)))(x).toarray()
    np.testing.assert_array_equal(hess[1:3, 1:3], np.ones((2, 2), bool))
    np.testing.assert_allclose(funcad.sparse_jacobian(f)(x).toarray(), funcad.jacfwd(f)(x),
                               rtol=1e-12)
