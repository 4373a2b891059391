"""Every differentiable row of the op-spec table through the sparsity interpreter (complex
results through their real and imaginary parts): the detected Jacobian pattern contains
every nonzero of the dense Jacobian (``jacfwd``) at random points, the Hessian pattern of a random weighting of the outputs contains every nonzero of
its dense Hessian (so each primitive's second-order facts are checked), and
``sparse_jacobian`` equals the dense Jacobian."""
from __future__ import annotations

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp

from op_specs import f64_cases, spec_params, with_float_args
from specs.spec import spec_args

ROWS = spec_params(lambda s: s.differentiable and f64_cases(s))


def _flat_function(fn, args):
    """``fn`` of its float arguments (the others closed over) returning one flat vector."""
    leaves_of, floats = with_float_args(fn, args)

    def flat(*xs):
        outs = []
        for x in leaves_of(*xs):
            kind = funcad.core.get_aval(x).dtype.kind
            if kind == "f":
                outs.append(fnp.ravel(x))
            elif kind == "c":  # complex results through their real and imaginary parts
                outs += [fnp.ravel(fnp.real(x)), fnp.ravel(fnp.imag(x))]
        return fnp.concatenate(outs) if outs else fnp.zeros(0)

    return flat, tuple(floats)


def _dense(fn, floats, n_out):
    """The dense Jacobian (outputs x all float inputs) from jacfwd."""
    jac = funcad.jacfwd(fn, argnums=tuple(range(len(floats))))(*floats)
    return np.concatenate([np.asarray(j).reshape(n_out, -1) for j in jac], axis=1)


def _assert_contains(pattern, dense, what):
    missing = (dense != 0) & ~pattern.toarray()
    assert not missing.any(), f"{what}: pattern misses nonzeros at {np.argwhere(missing)[:5]}"


@pytest.mark.parametrize("spec", ROWS)
def test_patterns_contain_dense_derivatives(spec):
    rng = np.random.default_rng(0)
    for shapes in f64_cases(spec)[:4]:
        args = spec_args(spec, rng, shapes, np.float64)
        flat, floats = _flat_function(spec.fn, args)
        if not floats:
            continue
        nums = tuple(range(len(floats)))
        n_out = int(np.asarray(flat(*floats)).size)
        if n_out == 0:
            continue
        for _ in range(2):
            point = [np.asarray(rng.uniform(*spec.domain, np.shape(a))) if spec.make_args is None
                     else a for a in floats]
            dense = _dense(flat, point, n_out)
            pattern = funcad.jacobian_sparsity(flat, argnums=nums)(*point)
            _assert_contains(pattern, dense, f"{spec.name} {shapes} jacobian")
            sparse = funcad.sparse_jacobian(flat, argnums=nums)(*point).toarray()
            np.testing.assert_allclose(sparse, dense, rtol=1e-12, atol=1e-12)
            weights = rng.normal(size=n_out)

            def scalar(*xs, flat=flat, weights=weights):
                return fnp.sum(flat(*xs) * weights)

            hess = funcad.hessian(scalar, argnums=nums)(*point)
            sizes = [int(np.size(a)) for a in point]
            dense_h = np.block([[np.asarray(hess[i][j]).reshape(sizes[i], sizes[j])
                                 for j in nums] for i in nums])
            h_pattern = funcad.hessian_sparsity(scalar, argnums=nums)(*point)
            _assert_contains(h_pattern, dense_h, f"{spec.name} {shapes} hessian")
