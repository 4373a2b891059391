"""``funcad.numpy``: NumPy's API on arrays and traced values, built from funcad primitives.

Functions follow NumPy 2 semantics (dtype promotion, broadcasting, axes, 0-d results) and
work both eagerly (returning NumPy arrays) and under every funcad transform.
"""
from numpy import (  # dtypes and constants, as in NumPy
    bool_,
    complex64,
    complex128,
    dtype,
    e,
    float16,
    float32,
    float64,
    inf,
    int8,
    int16,
    int32,
    int64,
    nan,
    newaxis,
    pi,
    uint8,
    uint16,
    uint32,
    uint64,
)

from funcad.numpy import _dispatch, _tracer_methods, linalg  # noqa: E402,F401 - installs Tracer operators
from funcad.numpy._creation import *  # noqa: F403
from funcad.numpy._indexing import *  # noqa: F403
from funcad.numpy._products import *  # noqa: F403
from funcad.numpy._reductions import *  # noqa: F403
from funcad.numpy._shape import *  # noqa: F403
from funcad.numpy._ufuncs import *  # noqa: F403
from funcad.numpy._ufuncs import abs, divmod, round  # noqa: A004 - NumPy names

ndarray = __import__("numpy").ndarray


def __getattr__(name: str):
    # A NumPy name funcad lacks gets an error saying so, rather than a bare AttributeError.
    import numpy

    if not name.startswith("_") and hasattr(numpy, name):
        from funcad.errors import NumpyNameNotImplementedError

        raise NumpyNameNotImplementedError(name)
    raise AttributeError(f"module 'funcad.numpy' has no attribute {name!r}")
