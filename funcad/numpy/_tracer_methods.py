"""Operators and array methods of ``Tracer``, installed here so that the core does not
depend on the user namespace. Each forwards to the ``funcad.numpy`` function of the name."""
from __future__ import annotations

import funcad.numpy as fnp
from funcad.core.trace import Tracer


def _forward(name: str, *, swap: bool = False):
    if swap:
        def method(self, other):
            return getattr(fnp, name)(other, self)
    else:
        def method(self, *args, **kwargs):
            return getattr(fnp, name)(self, *args, **kwargs)
    method.__name__ = name
    return method


def _forward_binary(name: str):
    """An operator: two operands and no keywords, on the path of every traced ``x * y``."""
    def method(self, other):
        return getattr(fnp, name)(self, other)
    method.__name__ = name
    return method


_OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "divmod": "divmod",
}
for _op, _fn in _OPERATORS.items():
    setattr(Tracer, f"__{_op}__", _forward_binary(_fn))
    setattr(Tracer, f"__r{_op}__", _forward(_fn, swap=True))

for _op, _fn in {
    "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
    "eq": "equal", "ne": "not_equal",
}.items():
    setattr(Tracer, f"__{_op}__", _forward(_fn))

_UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}
for _op, _fn in _UNARY.items():
    setattr(Tracer, f"__{_op}__", _forward(_fn))

_METHODS = [
    "sum", "mean", "max", "min", "prod", "var", "std", "all", "any", "argmax", "argmin",
    "cumsum", "cumprod", "dot", "clip", "round", "ravel", "squeeze",
    "swapaxes", "take", "repeat", "trace",
]
for _name in _METHODS:
    setattr(Tracer, _name, _forward(_name))  # looked up at call time: import order is free


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = shape[0]
    return fnp.reshape(self, shape, order=order)


def _transpose(self, *axes):
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], int)):
        axes = axes[0]
    return fnp.transpose(self, axes or None)


def _astype(self, dtype, copy=True):
    return fnp.asarray(self, dtype)


def _getitem(self, idx):
    return fnp._indexing.getitem(self, idx)


def _flatten(self, order="C"):
    return fnp.ravel(self, order=order)


Tracer.reshape = _reshape
Tracer.transpose = _transpose
Tracer.astype = _astype
Tracer.flatten = _flatten
Tracer.__getitem__ = _getitem
Tracer.T = property(lambda self: fnp.transpose(self))
Tracer.mT = property(lambda self: fnp.swapaxes(self, -1, -2))
Tracer.at = property(lambda self: fnp._indexing.IndexUpdateHelper(self))
Tracer.__array_ufunc__ = lambda self, ufunc, method, *inputs, **kwargs: fnp._dispatch.array_ufunc(
    ufunc, method, inputs, kwargs
)
Tracer.__array_function__ = lambda self, func, types, args, kwargs: fnp._dispatch.array_function(
    func, types, args, kwargs
)
