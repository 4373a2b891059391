"""Plain NumPy calls on traced values: ``numpy.sin(t)``, ``numpy.dot(a, t)``,
``numpy.sum(t, axis=0)`` run the function of the same name in the namespace given to
``install`` (the package ``funcad.numpy`` installs itself).

A NumPy function funcad does not implement raises a ``TypeError`` naming it, rather than
converting the traced value to an array (which would silently drop it from the trace).
"""
from __future__ import annotations

import numpy as np

from funcad.core.trace import Tracer
from funcad.errors import FuncadTypeError, NumpyFunctionNotImplementedError, with_user_line

_IGNORED_KWARGS = ("out", "where", "casting", "order", "subok", "signature")
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
           "logical_and": "all", "logical_or": "any"}
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}


def _lookup(namespace, module: str, name: str):
    for part in module.split(".")[1:]:
        namespace = getattr(namespace, part, None)
        if namespace is None:
            return None
    fn = getattr(namespace, name, None)
    if fn is None or name.startswith("_") or isinstance(fn, type):
        return None
    return fn if callable(fn) else None


def _check_kwargs(name: str, kwargs: dict) -> dict:
    for bad in ("out", "where", "casting", "order", "subok", "signature"):
        if kwargs.get(bad) is not None and not (bad == "where" and kwargs[bad] is True) and not (
            bad in ("casting", "order", "subok") and kwargs[bad] in ("same_kind", "K", True)
        ):
            raise FuncadTypeError(with_user_line(
                f"numpy.{name}: the keyword argument {bad}= is not supported on traced values"
            ))
    return {k: v for k, v in kwargs.items() if k not in _IGNORED_KWARGS}


def array_ufunc(namespace, ufunc: np.ufunc, method: str, inputs, kwargs):
    name = ufunc.__name__
    kwargs = _check_kwargs(name, kwargs)
    dtype = kwargs.pop("dtype", None)
    if method == "__call__":
        fn = _lookup(namespace, "numpy", name)
        label = name
    elif method == "reduce" and name in _REDUCE:
        fn, label = _lookup(namespace, "numpy", _REDUCE[name]), f"{name}.reduce"
        kwargs.setdefault("axis", 0)
    elif method == "accumulate" and name in _ACCUMULATE:
        fn, label = _lookup(namespace, "numpy", _ACCUMULATE[name]), f"{name}.accumulate"
        kwargs.setdefault("axis", 0)
    else:
        fn, label = None, f"{name}.{method}"
    if fn is None:
        raise NumpyFunctionNotImplementedError(label)
    if dtype is None:
        return fn(*inputs, **kwargs)
    if method == "__call__":
        # As NumPy: ``dtype=`` selects the loop, so the inputs are cast first.
        inputs = [namespace.asarray(x, dtype) for x in inputs]
        return namespace.asarray(fn(*inputs, **kwargs), dtype)
    return fn(*inputs, dtype=dtype, **kwargs)


def array_function(namespace, func, types, args, kwargs):
    if not all(issubclass(t, (Tracer, np.ndarray)) for t in types):
        return NotImplemented
    module = getattr(func, "__module__", "numpy") or "numpy"
    name = func.__name__
    fn = _lookup(namespace, module, name) if module.startswith("numpy") else None
    if fn is None:
        prefix = "" if module in ("numpy", "numpy._core.fromnumeric") else module[6:] + "."
        qual = prefix + name
        raise NumpyFunctionNotImplementedError(qual)
    return fn(*args, **kwargs)


def install(namespace) -> None:
    """Route NumPy's ``__array_ufunc__`` and ``__array_function__`` on tracers to
    ``namespace``."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return array_ufunc(namespace, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return array_function(namespace, func, types, args, kwargs)

    Tracer.__array_ufunc__ = __array_ufunc__
    Tracer.__array_function__ = __array_function__
