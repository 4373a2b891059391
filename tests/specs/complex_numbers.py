"""Complex rows of the op-spec table: every floating row of the families below again at
complex128 (and complex64 where the row runs float32), plus rows of mixed real/complex
promotion and weak Python complex scalars.

A row is derived only where NumPy accepts the complex operands; where NumPy rejects them
(floor, remainder, arctan2, ...) or funcad refuses them by design (``_REFUSED``), the row
goes to ``REJECTED`` instead, and
tests/ops/test_complex_rejects.py checks that funcad rejects them too, with a funcad error.

The linear-algebra families (products, solves, decompositions, funcad.scipy.linalg) draw
their structured inputs complex at a complex dtype (unitary factors, Hermitian positive-
definite matrices, complex spectra: see their ``make_args``) and compute gauge-invariant
functions of the factors with conjugate transposes, so their complex rows are checked like
the real ones, derivatives included. Each of their rows maps float64 to complex128 and
float32 to complex64 (no row runs twice at complex128); a decomposition row's twin runs
its largest shape case only. Where JAX does not differentiate a
function, neither does funcad, and its row (complex or real) is marked not differentiable
in its family: the eigenvectors of ``eig``, ``svd``'s full rectangular factors,
``qr(mode='raw')``, the rank-deficient ``pinv`` row (its rank changes under finite
differences), and ``matrix_rank``; ``tests/transforms/test_complex_linalg_vs_jax.py``
checks their errors.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np

import funcad.numpy as fnp

from specs import decompositions, elementwise, indexing, linalg, reductions, shape
from specs.spec import (
    BINARY_SHAPES,
    C64,
    C128,
    F32,
    F64,
    UNARY_SHAPES,
    OpSpec,
    spec_args,
    uniform_args,
)

# Families whose rows map each real dtype to its complex one (see the module docstring).
_ONE_TO_ONE = ("specs.linalg", "specs.decompositions")
_ONE_CASE = {spec.name for spec in decompositions.SPECS}
# Real rows without a complex twin: each XLA compile of expm takes seconds, and the complex
# rows of expm and expm_frechet already run its complex path (these two vary the precision
# and the scaling-and-squaring depth, the same code at either kind).
_NO_TWIN = {"scipy.linalg.expm[f32]", "scipy.linalg.expm[large norm]"}
# Rows NumPy runs at complex dtypes but funcad refuses with an error by design (none now:
# a complex value cast to a real dtype takes its real part, as NumPy and jax.lax).
_REFUSED: set[str] = set()


def _numpy_accepts(spec: OpSpec, args) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            spec.ref(*args)
        except TypeError:
            return False
    return True


def _complex_dtypes(spec: OpSpec, one_to_one: bool) -> tuple:
    if one_to_one:
        return tuple(d for f, d in ((F64, C128), (F32, C64)) if f in spec.dtypes)
    return (C128, C64) if F32 in spec.dtypes else (C128,)


def _variant(spec: OpSpec, one_to_one: bool = False) -> tuple[str, OpSpec] | None:
    """``("ok" | "rejected", row)``: the row at complex dtypes, or None if it has no
    floating case or its arguments do not come out complex."""
    if not any(np.dtype(d).kind == "f" for d in spec.dtypes) or spec.name in _NO_TWIN:
        return None
    dtypes = _complex_dtypes(spec, one_to_one)
    args = spec_args(spec, np.random.default_rng(0), spec.cases[0], dtypes[0])
    if not any(np.iscomplexobj(a) for a in args):
        return None
    # the decompositions' twins run one case, the row's largest (batched where it has one),
    # to keep the table's run time: the real rows cover the shapes
    cases = spec.cases
    if spec.name in _ONE_CASE:
        cases = (max(spec.cases, key=lambda c: sum(len(s) for s in c)),)
    row = dataclasses.replace(spec, name=f"{spec.name}[complex]", dtypes=dtypes, cases=cases)
    accepted = _numpy_accepts(spec, args) and spec.name not in _REFUSED
    return ("ok" if accepted else "rejected"), row


def _derive(families) -> tuple[list[OpSpec], list[OpSpec]]:
    ok, rejected = [], []
    for family in families:
        for spec in family.SPECS:
            found = _variant(spec, family.__name__ in _ONE_TO_ONE)
            if found is not None:
                (ok if found[0] == "ok" else rejected).append(found[1])
    return ok, rejected


def _mixed(*kinds):
    """Arguments of the given dtypes, in order (the row's own dtype fills None)."""

    def make(rng, shapes, dtype):
        return [uniform_args(rng, [s], dtype if d is None else d)[0] for s, d in zip(shapes, kinds)]

    return make


_DERIVED, REJECTED = _derive((elementwise, shape, indexing, reductions, linalg,
                              decompositions))

# Promotion between real and complex operands and weak Python complex scalars (NEP 50).
_PROMOTION = [
    OpSpec("add_f64_c128", fnp.add, np.add, BINARY_SHAPES[:3], (C128,), make_args=_mixed(F64, None)),
    OpSpec("multiply_c64_f64", fnp.multiply, np.multiply, BINARY_SHAPES[:3], (C64,),
           make_args=_mixed(None, F64), rtol=1e-6, atol=1e-6),
    OpSpec("divide_f32_c64", fnp.divide, np.divide, BINARY_SHAPES[:3], (C64,),
           make_args=_mixed(F32, None)),
    OpSpec("multiply_python_complex", lambda x: fnp.multiply(x, 1.5 - 0.5j),
           lambda x: np.multiply(x, 1.5 - 0.5j), UNARY_SHAPES, (F64, F32, C128, C64)),
    OpSpec("add_python_complex_int", lambda x: fnp.add(x, 2j), lambda x: np.add(x, 2j),
           UNARY_SHAPES, (np.dtype(np.int32),), differentiable=False),
    OpSpec("operators_complex_scalars", lambda x: (x * 1j, 1j - x, x / (2 + 1j), (1 + 1j) ** x),
           lambda x: (x * 1j, 1j - x, x / (2 + 1j), (1 + 1j) ** x), UNARY_SHAPES,
           (F64, C128), tags=("operators",)),
    OpSpec("parts", lambda z: (fnp.real(z), fnp.imag(z), fnp.conj(z), fnp.angle(z), fnp.abs(z)),
           lambda z: (np.real(z), np.imag(z), np.conj(z), np.angle(z), np.abs(z)),
           UNARY_SHAPES, (C128, C64), (0.25, 2.0)),
]

SPECS: list[OpSpec] = [*_DERIVED, *_PROMOTION]
