"""The parts of complex numbers: ``imag``, ``conj`` and ``complex`` (``real``, which the
transpose of a real-to-complex conversion needs, is in ``funcad.ops._base``).

All are real-linear, with JAX's transposes (the plain transpose of the map on pairs of
reals, never a conjugate): real: ``ct -> complex(ct, 0)``; imag: ``ct -> complex(0, -ct)``;
conj: ``ct -> conj(ct)`` (a real operand: ``real(ct)``); complex(x, y): ``ct -> (real(ct),
-imag(ct))``.

They sit below ``arithmetic`` (whose ``abs`` differentiates through them), so their rules
negate with ``conj``. Each primitive is one block: wrapper -> primitive (impl + shape/dtype
rule) -> rules of the transforms.
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.core.rules import Elementwise, sparsity_rules
from funcad.core.symbolic import is_undefined
from funcad.core.trace import get_aval
from funcad.ops._base import (
    defbroadcasting,
    deflinear,
    defvectorized,
    real,
    real_p,
    zeros_of,
)
from funcad.ops._operands import lax_args
from funcad.ops._shapes import (
    FLOAT,
    INEXACT,
    check_kind,
    check_same_dtypes,
    check_same_shapes,
    complex_part_primitive,
    new_primitive,
)


def complex_dtype(dtype) -> np.dtype:
    """The complex dtype of ``dtype``'s precision (float16 and float32: complex64)."""
    return np.result_type(dtype, np.complex64)


# --- imag ---------------------------------------------------------------------------------

def imag(x):
    return imag_p.bind(x)


imag_p = complex_part_primitive("imag", np.imag)
deflinear(imag_p, lambda ct, x: [conj(complex(zeros_of(get_aval(ct)), ct))])  # complex(0, -ct)
defvectorized(imag_p)


# --- conj ---------------------------------------------------------------------------------

def conj(x):
    """The complex conjugate; a real operand gives a complex result, as ``jax.lax.conj``."""
    return conj_p.bind(x)


def _conj_impl(x):
    if not dtypes.is_inexact(x.dtype):
        raise TypeError("conj")
    return np.conj(x) if dtypes.is_complex(x.dtype) else x.astype(complex_dtype(x.dtype))


def _conj_abstract_eval(x):
    check_kind(conj_p, [x], INEXACT)
    return ShapedArray(x.shape, complex_dtype(x.dtype), x.weak_type)


def _conj_transpose(ct, x):
    return [conj(ct) if dtypes.is_complex(x.aval.dtype) else real(ct)]


conj_p = new_primitive("conj", _conj_impl, _conj_abstract_eval)
sparsity_rules[conj_p] = Elementwise()
deflinear(conj_p, _conj_transpose)
defvectorized(conj_p)


# --- complex ------------------------------------------------------------------------------

def complex(x, y):  # noqa: A001 - lax name
    """``x + i y`` from real and imaginary parts of equal shape and floating dtype."""
    return complex_p.bind(*lax_args(x, y))


def _complex_impl(x, y):
    if not dtypes.is_float(x.dtype) or x.shape != y.shape or x.dtype != y.dtype:
        raise TypeError("complex")
    out = np.empty(x.shape, complex_dtype(x.dtype))
    out.real, out.imag = x, y
    return out


def _complex_abstract_eval(x, y):
    check_kind(complex_p, [x, y], FLOAT)
    check_same_shapes(complex_p, [x, y])
    check_same_dtypes(complex_p, [x, y])
    return ShapedArray(x.shape, complex_dtype(x.dtype), x.weak_type and y.weak_type)


def _complex_transpose(ct, x, y):
    return [real(ct) if is_undefined(x) else None, imag(conj(ct)) if is_undefined(y) else None]


complex_p = new_primitive("complex", _complex_impl, _complex_abstract_eval)
sparsity_rules[complex_p] = Elementwise()
deflinear(complex_p, _complex_transpose)
defbroadcasting(complex_p)


__all__ = ["complex", "complex_dtype", "conj", "imag", "real", "real_p"]
