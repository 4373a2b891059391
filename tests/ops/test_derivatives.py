"""Every differentiable row of the op-spec table: derivatives to second order against
central differences (forward mode) and against forward mode by the dot-product identity
(reverse mode); and the transpose of each linearized op is exact to rounding."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcad
from funcad.testing import check_grads
from funcad.tree_util import tree_leaves, tree_map

from op_specs import OP_SPECS
from specs.spec import spec_args, table_settings


def _float_cases():
    for spec in OP_SPECS:
        if not spec.differentiable:
            continue
        for shapes in spec.cases:
            for dtype in spec.dtypes:
                if np.dtype(dtype).kind != "f":
                    continue
                sid = f"{spec.name}-{'x'.join(str(list(s)) for s in shapes)}-{dtype}"
                yield pytest.param(spec, shapes, dtype, id=sid.replace(" ", ""))


CASES = list(_float_cases())


def _differentiable(fn, args):
    """``fn`` as a function of its floating arguments only (integer ones, such as indices,
    are closed over), keeping only its floating outputs; and those arguments."""
    float_pos = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]

    def wrapped(*float_args):
        full = list(args)
        for i, a in zip(float_pos, float_args):
            full[i] = a
        out = fn(*full)
        return tuple(x for x in tree_leaves(out) if funcad.core.get_aval(x).dtype.kind == "f")

    return wrapped, [args[i] for i in float_pos]


@pytest.mark.parametrize("spec,shapes,dtype", CASES)
@table_settings()
@given(seed=st.integers(0, 2**32 - 1))
def test_check_grads_order2(spec, shapes, dtype, seed):
    args = spec_args(spec, np.random.default_rng(seed), shapes, dtype)
    if np.dtype(dtype) == np.float32:
        # float32: first order only; finite differences of second order are too noisy.
        order, tol = 1, 5e-2
    else:
        order, tol = 2, 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fn, float_args = _differentiable(spec.fn, args)
        check_grads(fn, float_args, order=order, modes=("fwd", "rev"), atol=tol, rtol=tol)


def _inner(xs, ys) -> float:
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64))
                     for x, y in zip(tree_leaves(xs), tree_leaves(ys))))


@pytest.mark.parametrize("spec,shapes,dtype", [c for c in CASES if c.values[2] == np.float64])
@table_settings()
@given(seed=st.integers(0, 2**32 - 1))
def test_transpose_of_linearization_is_exact(spec, shapes, dtype, seed):
    """<ct, L t> == <L^T ct, t> to rounding, where L is the stored linear IR."""
    rng = np.random.default_rng(seed)
    fn, args = _differentiable(spec.fn, spec_args(spec, rng, shapes, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out, lin = funcad.linearize(fn, *args)
        _, pullback = funcad.vjp(fn, *args)
    tangents = [rng.standard_normal(np.shape(a)).astype(np.asarray(a).dtype) for a in args]
    ct = tree_map(lambda o: rng.standard_normal(np.shape(o)).astype(np.asarray(o).dtype), out)
    lhs = _inner(ct, lin(*tangents))
    rhs = _inner(pullback(ct), tangents)
    # Rounding of the narrowest float involved bounds how exactly the two sides agree.
    narrow = max([np.finfo(np.asarray(a).dtype).eps for a in args] + [np.finfo(np.float64).eps])
    scale = max(1.0, abs(lhs), abs(rhs))
    assert abs(lhs - rhs) <= 1e4 * narrow * scale, (lhs, rhs)
