"""``jet`` on every differentiable row of the op-spec table, to order 4, against nested
``jvp``: along the curve ``x(t) = x + v t + w t^2/2 + u t^3/6 + z t^4/24`` the output
series (``jet``'s default, factorial-scaled convention) are the derivatives
``d^k/dt^k f(x(t))`` at 0, which ``k`` nested ``jvp`` of ``t -> f(x(t))`` compute.

Three curves per row: every term random; a straight line ``(v, 0, 0, 0)`` and a curve
``(0, w, 0, z)``, whose zero terms the rules see as symbolic zeros."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import funcad

from op_specs import f64_cases, spec_params, with_float_args
from specs.spec import spec_args

ORDER = 4
MAX_CASES = 2  # cases per row: the order-4 nested JVP costs 16 passes per case
# Rows whose derivatives run host kernels on truncated series (betainc's shape derivatives)
# cost seconds per curve: one random curve on their first case.
COSTLY = "costly_jet"


ROWS = spec_params(lambda s: s.differentiable and f64_cases(s))


def _floating_fn(fn, args):
    leaves_of, floats = with_float_args(fn, args)

    def wrapped(*xs):
        return [x for x in leaves_of(*xs) if funcad.core.get_aval(x).dtype.kind == "f"]

    return wrapped, floats


def _nested_jvp_derivatives(fn, xs, dirs):
    """``d^k/dt^k fn(x(t))`` at ``t = 0`` for ``k = 1..ORDER``."""
    def along(t):
        curve = [x + sum(d[j] * t ** (j + 1) / np.prod(range(1, j + 2)) for j in range(ORDER))
                 for x, d in zip(xs, dirs)]
        return fn(*curve)

    out, g = [], along
    for _ in range(ORDER):
        g = (lambda h: lambda t: funcad.jvp(h, (t,), (1.0,))[1])(g)
        out.append(g(0.0))
    return out


@pytest.mark.parametrize("spec", ROWS)
def test_jet_equals_nested_jvp(spec):
    rng = np.random.default_rng(sum(map(ord, spec.name)))
    shape_cases = f64_cases(spec)[:MAX_CASES]
    cases = [(shapes, "1111") for shapes in shape_cases]
    cases += [(shape_cases[-1], "1000"), (shape_cases[-1], "0101")]
    if COSTLY in spec.tags:
        cases = cases[:1]
    for shapes, pattern in cases:
        args = spec_args(spec, rng, shapes, np.float64)
        fn, xs = _floating_fn(spec.fn, args)
        if not xs:
            continue
        dirs = [[rng.normal(size=np.shape(x)) * int(c) for c in pattern] for x in xs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _, series = funcad.jet(fn, xs, dirs)
            expected = _nested_jvp_derivatives(fn, xs, dirs)
        tol = 1e-8 if all(np.asarray(x).dtype == np.float64 for x in xs) else 1e-4
        for k in range(ORDER):
            for got, want in zip(series, expected[k]):
                want = np.asarray(want)
                scale = 1.0 + np.max(np.abs(want), initial=0.0)
                np.testing.assert_allclose(got[k], want, rtol=tol, atol=tol * scale,
                                           err_msg=f"{spec.name} {shapes} {pattern} order {k + 1}")
