"""``laplacian`` and ``hessian_diag`` on every differentiable row of the op-spec table
(float64, the row's first case), jointly over all its floating arguments, against the
trace and the diagonal of ``jacfwd(jacrev)`` of the row's flattened outputs: every family
of forward-Laplacian rule, and the generic one, on the primitives the rows reach."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp

from op_specs import f64_cases, spec_params, with_float_args
from specs.spec import spec_args

ROWS = spec_params(lambda s: s.differentiable and f64_cases(s))


def _flat_outputs(fn, args):
    """``g(*float_args)``: the row's floating outputs, raveled and joined into one vector."""
    leaves_of, floats = with_float_args(fn, args)

    def g(*xs):
        outs = [x for x in leaves_of(*xs) if funcad.core.get_aval(x).dtype.kind == "f"]
        return fnp.concatenate([fnp.ravel(o) for o in outs]) if outs else fnp.zeros(0)

    return g, [np.asarray(x) for x in floats]


@pytest.mark.parametrize("spec", ROWS)
def test_laplacian_and_hessian_diag_match_the_hessian(spec):
    rng = np.random.default_rng(sum(map(ord, spec.name)) + 1)
    args = spec_args(spec, rng, spec.cases[0], np.float64)
    g, xs = _flat_outputs(spec.fn, args)
    if not xs or any(x.dtype != np.float64 for x in xs) or sum(x.size for x in xs) == 0:
        pytest.skip("no float64 argument")
    sizes = [x.size for x in xs]
    offsets = np.cumsum([0, *sizes])

    def of_joint(z):
        return g(*[z[a:b].reshape(x.shape) for a, b, x in zip(offsets, offsets[1:], xs)])

    argnums = tuple(range(len(xs)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        joint = np.concatenate([x.ravel() for x in xs])
        h = np.asarray(funcad.jacfwd(funcad.jacrev(of_joint))(joint))
        lap = funcad.laplacian(g, argnums)(*xs)
        diags = funcad.hessian_diag(g, argnums)(*xs)
    m = h.shape[0]
    if m == 0:
        assert np.size(lap) == 0
        return
    want = np.diagonal(h, axis1=-2, axis2=-1)  # (m, N)
    scale = 1.0 + np.abs(want).max(initial=0.0)
    np.testing.assert_allclose(lap, want.sum(-1), rtol=1e-9, atol=1e-9 * scale * len(joint),
                               err_msg=spec.name)
    got = np.concatenate([np.reshape(d, (m, -1)) for d in diags], axis=-1)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale, err_msg=spec.name)


@pytest.mark.parametrize("spec", ROWS)
def test_laplacian_along_a_shared_input(spec):
    """Every floating argument a curved function of one small input ``w`` (taken at 0, so
    the arguments are the row's own): the operands share their input, so the mixed terms
    of two-operand rules count, and they arrive with nonzero second-order parts."""
    rng = np.random.default_rng(sum(map(ord, spec.name)) + 2)
    args = spec_args(spec, rng, spec.cases[0], np.float64)
    g, xs = _flat_outputs(spec.fn, args)
    if not xs or any(x.dtype != np.float64 for x in xs) or sum(x.size for x in xs) == 0:
        pytest.skip("no float64 argument")
    lin = [rng.normal(size=(*x.shape, 2)) for x in xs]
    quad = [rng.normal(size=(*x.shape, 2)) for x in xs]

    def of_w(w):
        return g(*[x + b @ w + 0.5 * (c @ (w * w)) for x, b, c in zip(xs, lin, quad)])

    w0 = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        h = np.asarray(funcad.jacfwd(funcad.jacrev(of_w))(w0))
        lap = funcad.laplacian(of_w)(w0)
        diag = funcad.hessian_diag(of_w)(w0)
    want = np.diagonal(h, axis1=-2, axis2=-1)
    scale = 1.0 + np.abs(want).max(initial=0.0)
    np.testing.assert_allclose(lap, want.sum(-1), rtol=1e-9, atol=1e-9 * scale,
                               err_msg=spec.name)
    np.testing.assert_allclose(diag, want, rtol=1e-9, atol=1e-9 * scale, err_msg=spec.name)
