"""Control flow is taken conservatively: the fixpoint paths of ``scan`` and ``while`` (forced
here by shrinking their exact budgets) give patterns containing every dense nonzero, and
the exact paths (unrolling, known predicates, known ``cond`` index) give the exact one."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad import lax
from funcad.sparse import control_rules


def _shift_scan(x):
    def step(c, xi):
        return fnp.roll(c, 1) * xi + c, fnp.sum(c) * xi

    return lax.scan(step, x[:4], x[4:])[1]


def _counted_while(x):
    def body(s):
        return s[0] + 1, fnp.roll(s[1], 1) * s[1]

    return lax.while_loop(lambda s: s[0] < 2, body, (0, x))[1]


def _dense_union(fun, n, count=3):
    rng = np.random.default_rng(0)
    return np.any([np.asarray(funcad.jacfwd(fun)(rng.uniform(0.5, 1.5, n))) != 0
                   for _ in range(count)], axis=0)


@pytest.mark.parametrize("fun,n", [(_shift_scan, 10), (_counted_while, 6)])
def test_exact_and_fixpoint_paths(fun, n, monkeypatch):
    dense = _dense_union(fun, n)
    exact = funcad.jacobian_sparsity(fun)(np.ones(n)).toarray()
    np.testing.assert_array_equal(exact, dense)
    monkeypatch.setattr(control_rules, "UNROLL_BUDGET", 0)
    monkeypatch.setattr(control_rules, "EXACT_STEPS", 0)
    loose = funcad.jacobian_sparsity(fun)(np.ones(n)).toarray()
    assert not (dense & ~loose).any()
    assert loose.sum() >= exact.sum()
    x = np.random.default_rng(1).uniform(0.5, 1.5, n)
    np.testing.assert_allclose(funcad.sparse_jacobian(fun, mode="fwd")(x).toarray(),
                               funcad.jacfwd(fun)(x), rtol=1e-12)


def test_cond_with_constant_index_takes_one_branch():
    def f(x):
        return lax.cond(True, lambda v: v * 2.0, lambda v: v * v[0], x)

    np.testing.assert_array_equal(funcad.jacobian_sparsity(f)(np.ones(3)).toarray(),
                                  np.eye(3, dtype=bool))


def test_switch_takes_the_union_of_branches():
    def f(x):
        branches = [lambda v: v * 2.0, lambda v: v * v[0], lambda v: fnp.roll(v, 1)]
        return lax.switch(fnp.argmax(x), branches, x)

    got = funcad.jacobian_sparsity(f)(np.ones(3)).toarray()
    expected = np.eye(3, dtype=bool) | np.eye(3, k=-1, dtype=bool)
    expected[0, 2] = True
    expected[:, 0] = True
    np.testing.assert_array_equal(got, expected)


def test_hessian_through_a_long_scan_fixpoint(monkeypatch):
    def f(x):
        return fnp.sum(_shift_scan(x) ** 2)

    monkeypatch.setattr(control_rules, "UNROLL_BUDGET", 0)
    x = np.random.default_rng(2).uniform(0.5, 1.5, 10)
    dense = np.asarray(funcad.hessian(f)(x)) != 0
    pattern = funcad.hessian_sparsity(f)(x).toarray()
    assert not (dense & ~pattern).any()
    np.testing.assert_allclose(funcad.sparse_hessian(f)(x).toarray(), funcad.hessian(f)(x),
                               rtol=1e-12, atol=1e-12)
