"""Every differentiable row of the op-spec table: derivatives to second order against
central differences (forward mode; complex inputs along real and imaginary directions) and
against forward mode by the dot-product identity (reverse mode); and the transpose of each
linearized op is exact to rounding, under JAX's convention ⟨a, b⟩ = Re Σ a·b (the VJP of a
complex-linear map is its plain transpose, not its conjugate)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcad
from funcad.testing import check_grads
from funcad.tree_util import tree_leaves, tree_map

from op_specs import spec_params
from specs.spec import spec_args, table_settings

_WIDE = (np.float64, np.complex128)


def _float_cases(spec, only_f64=False):
    """Cases of inexact (float or complex) dtype; ``only_f64``: float64 and complex128."""
    for shapes in spec.cases:
        for dtype in spec.dtypes:
            if np.dtype(dtype).kind in "fc" and (not only_f64 or dtype in _WIDE):
                yield shapes, dtype


# One parameter per row, looping over the row's cases inside (see op_specs.spec_params).
DIFFERENTIABLE = spec_params(lambda s: s.differentiable and any(_float_cases(s)))
DIFFERENTIABLE_F64 = spec_params(lambda s: s.differentiable and any(_float_cases(s, True)))


def _differentiable(fn, args):
    """``fn`` as a function of its floating arguments only (integer ones, such as indices,
    are closed over), keeping only its floating outputs; and those arguments."""
    float_pos = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind in "fc"]

    def wrapped(*float_args):
        full = list(args)
        for i, a in zip(float_pos, float_args):
            full[i] = a
        out = fn(*full)
        return tuple(x for x in tree_leaves(out) if funcad.core.get_aval(x).dtype.kind in "fc")

    return wrapped, [args[i] for i in float_pos]


@pytest.mark.parametrize("spec", DIFFERENTIABLE)
@table_settings()
@given(seed=st.integers(0, 2**32 - 1))
def test_check_grads_order2(spec, seed):
    for shapes, dtype in _float_cases(spec):
        _check_case(spec, shapes, dtype, seed)


def _check_case(spec, shapes, dtype, seed):
    args = spec_args(spec, np.random.default_rng(seed), shapes, dtype)
    if np.dtype(dtype) in (np.float32, np.complex64):
        # single precision: first order only; second-order differences are too noisy.
        order, tol = 1, 5e-2
    else:
        order, tol = 2, 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fn, float_args = _differentiable(spec.fn, args)
        check_grads(fn, float_args, order=order, modes=("fwd", "rev"), atol=tol, rtol=tol)


def _wide(x) -> np.ndarray:
    x = np.asarray(x)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _inner(xs, ys) -> float:
    """Re Σ x·y (no conjugation: JAX's pairing of cotangents with tangents)."""
    return float(sum(np.real(np.sum(_wide(x) * _wide(y)))
                     for x, y in zip(tree_leaves(xs), tree_leaves(ys))))


def _random(rng, x) -> np.ndarray:
    x = np.asarray(x)
    draw = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        draw = draw + 1j * rng.standard_normal(x.shape)
    return draw.astype(x.dtype)


@pytest.mark.parametrize("spec", DIFFERENTIABLE_F64)
@table_settings()
@given(seed=st.integers(0, 2**32 - 1))
def test_transpose_of_linearization_is_exact(spec, seed):
    """<ct, L t> == <L^T ct, t> to rounding, where L is the stored linear IR."""
    for shapes, dtype in _float_cases(spec, only_f64=True):
        _transpose_case(spec, shapes, dtype, seed)


def _transpose_case(spec, shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    fn, args = _differentiable(spec.fn, spec_args(spec, rng, shapes, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out, lin = funcad.linearize(fn, *args)
        _, pullback = funcad.vjp(fn, *args)
    tangents = [_random(rng, a) for a in args]
    ct = tree_map(lambda o: _random(rng, o), out)
    lhs = _inner(ct, lin(*tangents))
    rhs = _inner(pullback(ct), tangents)
    # Rounding of the narrowest float involved bounds how exactly the two sides agree.
    narrow = max([np.finfo(np.asarray(a).dtype).eps for a in args] + [np.finfo(np.float64).eps])
    scale = max(1.0, abs(lhs), abs(rhs))
    assert abs(lhs - rhs) <= 1e4 * narrow * scale, (lhs, rhs)
