"""Random sparse programs: random index sets feeding random elementwise operations. The
detected patterns contain the dense ones and the sparse derivatives equal the dense ones."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import funcad
import funcad.numpy as fnp

UNARY = [fnp.sin, fnp.tanh, fnp.exp, lambda v: v, lambda v: v * v, fnp.cos]
BINARY = [fnp.add, fnp.multiply, fnp.subtract, lambda a, b: a / (2.0 + fnp.cos(b))]


@st.composite
def programs(draw):
    n = draw(st.integers(2, 12))
    m = draw(st.integers(1, 10))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    terms = []
    for _ in range(draw(st.integers(1, 4))):
        idx_a, idx_b = rng.integers(0, n, m), rng.integers(0, n, m)
        terms.append((idx_a, idx_b, draw(st.integers(0, len(UNARY) - 1)),
                      draw(st.integers(0, len(BINARY) - 1))))

    def fun(x):
        out = fnp.zeros(m)
        for idx_a, idx_b, u, b in terms:
            out = out + BINARY[b](UNARY[u](x[idx_a]), x[idx_b])
        return out

    return fun, n, rng.uniform(-1, 1, n)


@given(programs())
def test_random_program_jacobians(program):
    fun, _, x = program
    dense = np.asarray(funcad.jacfwd(fun)(x))
    pattern = funcad.jacobian_sparsity(fun)(x).toarray()
    assert not ((dense != 0) & ~pattern).any()
    for mode in ("fwd", "rev"):
        np.testing.assert_allclose(funcad.sparse_jacobian(fun, mode=mode)(x).toarray(), dense,
                                   rtol=1e-12, atol=1e-12)


@given(programs(), st.integers(0, 2 ** 32 - 1))
def test_random_program_hessians(program, seed):
    fun, _, x = program
    weights = np.random.default_rng(seed).normal(size=np.size(fun(x)))

    def scalar(v):
        return fnp.sum(fun(v) * weights)

    dense = np.asarray(funcad.hessian(scalar)(x))
    pattern = funcad.hessian_sparsity(scalar)(x).toarray()
    assert not ((dense != 0) & ~pattern).any()
    np.testing.assert_allclose(funcad.sparse_hessian(scalar)(x).toarray(), dense, rtol=1e-12,
                               atol=1e-12)
