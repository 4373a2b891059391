"""Property tests: random differentiable programs (funcad.testing.strategies) against finite
differences, forward against reverse Jacobians, and the IR growth of iterated maps."""
from __future__ import annotations

import numpy as np
from hypothesis import given

import funcad
import funcad.numpy as fnp
from funcad.testing import check_grads
from funcad.testing.strategies import programs_and_args


@given(programs_and_args())
def test_random_programs_match_finite_differences(program_and_args):
    program, args = program_and_args
    check_grads(program, args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


@given(programs_and_args())
def test_random_programs_eager_equals_numpy(program_and_args):
    program, args = program_and_args
    np.testing.assert_allclose(program(*args), program(*args, ns=np), rtol=1e-12, atol=1e-12)


@given(programs_and_args(shape=(3,)))
def test_jacfwd_equals_jacrev_on_random_programs(program_and_args):
    program, args = program_and_args
    argnums = tuple(range(len(args)))
    fwd = funcad.jacfwd(program, argnums)(*args)
    rev = funcad.jacrev(program, argnums)(*args)
    auto = funcad.jacobian(program, argnums)(*args)
    for a, b, c in zip(fwd, rev, auto):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-12)


def _logistic_map(n):
    def f(x):
        for _ in range(n):
            x = 4.0 * x * (1.0 - x)
        return x

    return f


def test_logistic_map_has_no_expression_swell():
    """The derivative IR of n iterations grows linearly in n (symbolic differentiation of
    the closed form would grow exponentially)."""
    sizes = {}
    for n in (10, 20, 30):
        closed = funcad.make_jaxpr(funcad.grad(_logistic_map(n)))(0.3)
        sizes[n] = len(closed.eqns)
    assert sizes[30] - sizes[20] == sizes[20] - sizes[10]  # exactly linear
    assert sizes[30] <= 15 * 30
    # ... and the derivative is right: compare with the chain rule by hand.
    x, d = 0.3, 1.0
    for _ in range(30):
        d *= 4.0 - 8.0 * x
        x = 4.0 * x * (1.0 - x)
    np.testing.assert_allclose(funcad.grad(_logistic_map(30))(0.3), d, rtol=1e-9)


def test_hessian_symmetric_and_hvp_matches():
    def f(x):
        return fnp.sum(fnp.tanh(x) ** 2 * x[::-1]) + fnp.prod(fnp.cos(x))

    x = np.array([0.3, -0.5, 0.9, 0.1])
    v = np.array([1.0, 2.0, -1.0, 0.5])
    h = funcad.hessian(f)(x)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(funcad.hvp(f, x, v), h @ v, rtol=1e-12, atol=1e-14)
