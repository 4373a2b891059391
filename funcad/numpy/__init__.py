"""``funcad.numpy``: NumPy's API on arrays and traced values, built from funcad primitives.

Functions follow NumPy 2 semantics (dtype promotion, broadcasting, axes, 0-d results) and
work both eagerly (returning NumPy arrays) and under every funcad transform. Importing the
package gives ``Tracer`` its operators and array methods and routes NumPy's own functions
on traced values here.
"""
import sys as _sys

import numpy as _numpy
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
    ndarray,
    newaxis,
    pi,
    uint8,
    uint16,
    uint32,
    uint64,
)

from funcad.errors import NumpyNameNotImplementedError as _NumpyNameNotImplementedError
from funcad.jit import _TO_NUMPY as _JIT_READERS
from funcad.numpy import _dispatch, _tracer_methods, fft, linalg  # noqa: F401 - namespaces
from funcad.numpy._at import EagerArray as _EagerArray
from funcad.numpy._complex import *  # noqa: F403
from funcad.numpy._creation import *  # noqa: F403
from funcad.numpy._dtypes import *  # noqa: F403
from funcad.numpy._eager import Unwrapped as _Unwrapped
from funcad.numpy._eager import wrap_module as _wrap_module
from funcad.numpy._index_tricks import *  # noqa: F403
from funcad.numpy._indexing import *  # noqa: F403
from funcad.numpy._manipulation import *  # noqa: F403
from funcad.numpy._mathfuncs import *  # noqa: F403
from funcad.numpy._pad import *  # noqa: F403
from funcad.numpy._products import *  # noqa: F403
from funcad.numpy._reductions import *  # noqa: F403
from funcad.numpy._setops import *  # noqa: F403
from funcad.numpy._setops import where as _where_or_nonzero
from funcad.numpy._shape import *  # noqa: F403
from funcad.numpy._sorting import *  # noqa: F403
from funcad.numpy._special import *  # noqa: F403
from funcad.numpy._statistics import *  # noqa: F403
from funcad.numpy._ufuncs import *  # noqa: F403
from funcad.numpy._ufuncs import abs, divmod, round  # noqa: A004 - NumPy names

where = _where_or_nonzero  # also where(condition); after the star import of _ufuncs

# Eager results get ``.at`` (a thin ndarray subclass); traced calls skip the wrapper.
_unwrapped = _Unwrapped(_sys.modules[__name__], _wrap_module(_sys.modules[__name__]))
_unwrapped.linalg = _Unwrapped(linalg, _wrap_module(linalg))
_unwrapped.fft = _Unwrapped(fft, _wrap_module(fft))
_JIT_READERS[_EagerArray] = _EagerArray.view_plain  # jit reads them as plain arrays
_tracer_methods.install(_unwrapped)
_dispatch.install(_unwrapped)


def __getattr__(name: str):
    # A NumPy name funcad lacks gets an error saying so, rather than a bare AttributeError.
    if not name.startswith("_") and hasattr(_numpy, name):
        raise _NumpyNameNotImplementedError(name)
    raise AttributeError(f"module 'funcad.numpy' has no attribute {name!r}")
