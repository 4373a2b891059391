"""Eager results with ``.at``: the public functions of ``funcad.numpy`` (and of ``lax``,
``random``, ``numpy.fft``, ``scipy.special`` and ``scipy.linalg``) return an ``EagerArray``
(a thin ``numpy.ndarray`` subclass) where they computed a plain ndarray.

The wrapper sits only on the package's public names. Tracer operators and NumPy dispatch
call the functions as defined (their results are traced), through ``unwrapped``.
"""
from __future__ import annotations

import functools
import types

import numpy as np

from funcad.numpy._at import EagerArray

_NDARRAY = np.ndarray


def _convert(out):
    """``out`` with its plain ndarrays (nested in tuples, lists, dicts and named tuples, as
    control flow returns them) viewed as ``EagerArray``s; tracers and other values as they
    are."""
    t = type(out)
    if t is _NDARRAY:
        return out.view(EagerArray)
    if t is tuple or t is list:
        return t(_convert(o) for o in out)
    if t is dict:
        return {k: _convert(v) for k, v in out.items()}
    if isinstance(out, tuple) and hasattr(out, "_fields"):  # a named tuple of results
        return t(*(_convert(o) for o in out))
    return out


def eager_function(fn):
    """``fn`` returning ``EagerArray``s instead of plain ndarrays."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for a in args:
            if type(a) is EagerArray:
                # Plain views inside: NumPy's ufuncs are ~3x slower on a subclass.
                args = tuple(x.view(_NDARRAY) if type(x) is EagerArray else x for x in args)
                break
        return _convert(fn(*args, **kwargs))

    wrapper.__funcad_eager__ = True
    return wrapper


def _wrappable(name: str, value, package: str) -> bool:
    return (not name.startswith("_") and isinstance(value, types.FunctionType)
            and (value.__module__ or "").startswith(package)
            and not getattr(value, "__funcad_eager__", False))


def wrap_module(module, package: str = "funcad.numpy") -> dict:
    """Wrap the public functions of ``module`` (those defined under ``package``) in place;
    returns the originals by name."""
    originals = {}
    for name, value in list(vars(module).items()):
        if _wrappable(name, value, package):
            originals[name] = value
            setattr(module, name, eager_function(value))
    return originals


class Unwrapped:
    """A module's functions as defined (for callers whose results are traced anyway)."""

    def __init__(self, module, originals: dict):
        self._module = module
        self.__dict__.update(originals)

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        return getattr(value, "__wrapped__", value) if getattr(
            value, "__funcad_eager__", False) else value


__all__: list[str] = []
