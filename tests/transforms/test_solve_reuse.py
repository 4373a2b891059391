"""Reverse mode through triangular solves does each transposed solve once.

The JVP of ``triangular_solve`` in its matrix puts the minus sign on the right-hand side,
so that, transposed, the matrix's cotangent and the right-hand side's read the same solve
of the same cotangent and CSE keeps one: a gradient w.r.t. both costs one solve per solve
of the primal (a second one would be a redundant O(n^2 k) solve per step). Values are
checked against JAX in float64.
"""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
import funcad.scipy.linalg as fsl
from tests.jax_reference import assert_close_to_jax, jax


def _problem():
    rng = np.random.default_rng(3)
    lower = np.tril(rng.standard_normal((6, 6))) + 6 * np.eye(6)
    return lower, rng.standard_normal((6, 4))


CASES = [
    # (name, program over (numpy, scipy.linalg), solves in the primal)
    ("solve_triangular", lambda ns, sl: lambda a, b: ns.sum(
        sl.solve_triangular(a, b, lower=True) ** 2), 1),
    ("solve_triangular trans", lambda ns, sl: lambda a, b: ns.sum(
        ns.sin(sl.solve_triangular(a, b, lower=True, trans="T"))), 1),
    ("cho_solve", lambda ns, sl: lambda a, b: ns.sum(sl.cho_solve((a, True), b) ** 2), 2),
]


@pytest.mark.parametrize("name,program,primal_solves", CASES, ids=[c[0] for c in CASES])
def test_each_transposed_solve_once(name, program, primal_solves):
    a, b = _problem()
    grad = funcad.jit(funcad.grad(program(fnp, fsl), (0, 1)))
    eqns = grad.jaxpr(a, b).jaxpr.eqns
    solves = sum(e.primitive.name == "triangular_solve" for e in eqns)
    assert solves == 2 * primal_solves, (name, solves)
    jnp, jsl = jax.numpy, jax.scipy.linalg
    theirs = jax.grad(program(jnp, jsl), (0, 1))(jnp.asarray(a), jnp.asarray(b))
    assert_close_to_jax(grad(a, b), theirs, rtol=1e-10, atol=1e-12)
