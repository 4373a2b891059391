"""The complex-number functions of ``funcad.numpy``: parts, conjugate, angle and the tests
of complexness, as NumPy (a real operand's ``real`` is itself, its ``imag`` zeros, its
``conj`` itself), differentiable with JAX's conventions through ``funcad.ops``."""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes as _dtypes  # private: the package star-imports this module
from funcad.numpy._core import aval, cast, operand
from funcad.numpy._creation import zeros_like
from funcad.numpy._ufuncs import arctan2, equal, multiply, not_equal
from funcad.ops import _base as base
from funcad.ops import complex_parts as cp


def _is_complex(x) -> bool:
    return _dtypes.is_complex(aval(x).dtype)


def real(val, /):
    """The real part; a real operand is returned as it is."""
    x = operand(val, "real")
    if _dtypes.is_python_scalar(x):
        return np.real(x)
    return base.real(x) if _is_complex(x) else x


def imag(val, /):
    """The imaginary part; zeros of the operand's type for a real operand."""
    x = operand(val, "imag")
    if _dtypes.is_python_scalar(x):
        return np.imag(x)
    return cp.imag(x) if _is_complex(x) else zeros_like(x)


def conjugate(x, /):
    """The complex conjugate; a real operand is returned as it is (a boolean one as int8,
    NumPy's loop)."""
    x = operand(x, "conjugate")
    if _dtypes.is_python_scalar(x):
        return np.conjugate(x)
    dtype = aval(x).dtype
    if dtype == np.bool_:
        return cast(x, np.int8)
    return cp.conj(x) if _dtypes.is_complex(dtype) else x


conj = conjugate


def angle(z, deg: bool = False):
    """The argument ``arctan2(imag(z), real(z))`` (in degrees if ``deg``), as NumPy."""
    z = operand(z, "angle")
    if iscomplexobj(z):
        a = arctan2(imag(z), real(z))
    else:
        a = arctan2(0, z)
    return multiply(a, 180 / np.pi) if deg else a


def iscomplexobj(x, /) -> bool:
    """Whether ``x`` has a complex dtype (whatever its values)."""
    return _is_complex(operand(x, "iscomplexobj"))


def isrealobj(x, /) -> bool:
    return not iscomplexobj(x)


def iscomplex(x, /):
    """Elementwise: a nonzero imaginary part (all False for a real dtype)."""
    x = operand(x, "iscomplex")
    return not_equal(imag(x), 0) if _is_complex(x) else zeros_like(x, dtype=np.bool_)


def isreal(x, /):
    """Elementwise: a zero imaginary part (all True for a real dtype)."""
    return equal(imag(operand(x, "isreal")), 0)


__all__ = [
    "angle", "conj", "conjugate", "imag", "iscomplex", "iscomplexobj", "isreal", "isrealobj",
    "real",
]
