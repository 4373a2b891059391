"""NumPy's dtype utilities on arrays and traced values: ``result_type promote_types finfo
iinfo issubdtype can_cast isdtype`` and the dtype classes. A traced value counts as its
dtype, a weakly typed one as the Python type it came from (NEP 50)."""
from __future__ import annotations

import numpy as np
from numpy import (  # the dtype classes and the utilities that take dtypes only
    bool as bool,  # noqa: A004 - NumPy's name
)
from numpy import (
    character,
    complexfloating,
    finfo,
    flexible,
    floating,
    generic,
    iinfo,
    inexact,
    integer,
    isdtype,
    issubdtype,
    number,
    promote_types,
    signedinteger,
    unsignedinteger,
)

from funcad.core.trace import Tracer
from funcad.numpy._core import ufunc_dtype_arg


def _dtype_arg(x):
    """What NumPy's dtype functions should see for ``x``."""
    if isinstance(x, Tracer):
        return ufunc_dtype_arg(x)
    if (not isinstance(x, (type, np.ndarray, np.generic, np.dtype, str))
            and hasattr(x, "dtype")):
        return np.dtype(x.dtype)  # e.g. a jax.Array
    return x


def result_type(*arrays_and_dtypes):
    """``numpy.result_type``: traced values count as their dtype (weak ones as Python
    scalars)."""
    return np.result_type(*[_dtype_arg(x) for x in arrays_and_dtypes])


def can_cast(from_, to, casting: str = "safe") -> bool:
    """``numpy.can_cast`` of a dtype, an array or a traced value."""
    src = _dtype_arg(from_)
    if isinstance(src, type) and not issubclass(src, np.generic):
        src = np.result_type(src)  # a weak traced value: its Python type's default dtype
    elif not isinstance(src, (np.dtype, type, str)):
        src = np.asarray(src).dtype
    return bool(np.can_cast(src, to, casting))


__all__ = [
    "bool", "can_cast", "character", "complexfloating", "finfo", "flexible", "floating",
    "generic", "iinfo", "inexact", "integer", "isdtype", "issubdtype", "number",
    "promote_types", "result_type", "signedinteger", "unsignedinteger",
]
