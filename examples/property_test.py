"""Property-test your own function's derivatives with ``funcad.testing``.

``log_cosh`` below is a user function written for numerical stability (|x| + log1p(e^{-2|x|})
- log 2 instead of log(cosh x), which overflows for |x| > 710). Hypothesis draws inputs from
``funcad.testing.strategies``; each example is checked three ways:

1. ``check_grads`` compares forward and reverse derivatives, to second order, with finite
   differences (inputs kept away from the kink of |x| at 0, where both pieces meet);
2. the gradient equals the known closed form tanh(x);
3. random programs from ``strategies.programs_and_args`` built on top of it (the composition
   f(program(x))) still differentiate consistently.

    python examples/property_test.py [--examples 50] [--small]

The same tests run under pytest: ``python -m pytest examples/property_test.py``.
"""
from __future__ import annotations

import argparse

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import funcad
import funcad.numpy as fnp
from funcad.testing import check_grads
from funcad.testing import strategies as fst

MAX_EXAMPLES = 50
settings.register_profile("property-example", max_examples=MAX_EXAMPLES, deadline=None,
                          database=None)
settings.load_profile("property-example")


def log_cosh(x):
    """log(cosh(x)), stable for large |x|."""
    ax = fnp.abs(x)
    return ax + fnp.log1p(fnp.exp(-2.0 * ax)) - np.log(2.0)


@given(fst.arrays(fst.shapes(max_dims=2), domain=(-5.0, 5.0), avoid=(0.0,), margin=0.05))
def test_check_grads_to_second_order(x):
    check_grads(lambda v: fnp.sum(log_cosh(v)), (x,), order=2, atol=1e-5, rtol=1e-5)


@given(fst.arrays(fst.shapes(max_dims=2), domain=(-30.0, 30.0)))
def test_gradient_is_tanh(x):
    g = funcad.grad(lambda v: fnp.sum(log_cosh(v)))(x)
    np.testing.assert_allclose(g, np.tanh(x), rtol=1e-12, atol=1e-12)


@given(st.floats(700.0, 1e6))
def test_no_overflow_for_large_inputs(x):
    value = float(log_cosh(np.float64(x)))
    assert np.isfinite(value) and abs(value - (x - np.log(2.0))) <= 1e-9 * x


@given(fst.programs_and_args(max_steps=5))
def test_composed_with_random_programs(program_and_args):
    program, args = program_and_args

    def f(*xs):
        return fnp.sum(log_cosh(program(*xs)) + 1.0)

    check_grads(f, args, order=1, atol=1e-5, rtol=1e-5)


TESTS = [test_check_grads_to_second_order, test_gradient_is_tanh,
         test_no_overflow_for_large_inputs, test_composed_with_random_programs]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=MAX_EXAMPLES, help="hypothesis examples")
    ap.add_argument("--small", action="store_true", help="5 examples per test (a smoke run)")
    args = ap.parse_args(argv)
    n = 5 if args.small else args.examples
    settings.register_profile("property-example", max_examples=n, deadline=None, database=None)
    settings.load_profile("property-example")
    for test in TESTS:
        test()  # hypothesis runs the property on n drawn examples; a failure raises
        print(f"ok: {test.__name__} ({n} examples)")


if __name__ == "__main__":
    main()
