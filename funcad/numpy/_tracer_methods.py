"""Operators and array methods of ``Tracer``, installed by the package ``funcad.numpy`` so
that the core does not depend on the user namespace. Each forwards to the function of the
same name in the namespace given to ``install``, looked up at call time."""
from __future__ import annotations

from funcad.core.trace import Tracer
from funcad.errors import TracerItemAssignmentError
from funcad.numpy._at import IndexUpdateHelper
from funcad.numpy._indexing import getitem

_OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "divmod": "divmod",
}
_COMPARISONS = {
    "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
    "eq": "equal", "ne": "not_equal",
}
_UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}
_METHODS = [
    "sum", "mean", "max", "min", "prod", "var", "std", "all", "any", "argmax", "argmin",
    "cumsum", "cumprod", "dot", "clip", "round", "ravel", "squeeze",
    "swapaxes", "take", "repeat", "trace", "conj", "conjugate",
]


def _forward(namespace, name: str, *, swap: bool = False):
    if swap:
        def method(self, other):
            return getattr(namespace, name)(other, self)
    else:
        def method(self, *args, **kwargs):
            return getattr(namespace, name)(self, *args, **kwargs)
    method.__name__ = name
    return method


def _forward_binary(namespace, name: str):
    """An operator: two operands and no keywords, on the path of every traced ``x * y``."""
    def method(self, other):
        return getattr(namespace, name)(self, other)
    method.__name__ = name
    return method


def _shape_methods(namespace) -> dict:
    """The methods and properties whose arguments differ from the function's."""

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return namespace.reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], int)):
            axes = axes[0]
        return namespace.transpose(self, axes or None)

    def astype(self, dtype, copy=True):
        return namespace.asarray(self, dtype)

    def flatten(self, order="C"):
        return namespace.ravel(self, order=order)

    return {
        "reshape": reshape, "transpose": transpose, "astype": astype, "flatten": flatten,
        "T": property(lambda self: namespace.transpose(self)),
        "mT": property(lambda self: namespace.swapaxes(self, -1, -2)),
        "real": property(lambda self: namespace.real(self)),
        "imag": property(lambda self: namespace.imag(self)),
    }


def setitem(self, idx, value):
    """Traced arrays are immutable, as JAX's: say so and name the ``.at`` spelling."""
    raise TracerItemAssignmentError(self)


def install(namespace) -> None:
    """Give ``Tracer`` NumPy's operators and array methods, forwarding to ``namespace``."""
    for op, fn in _OPERATORS.items():
        setattr(Tracer, f"__{op}__", _forward_binary(namespace, fn))
        setattr(Tracer, f"__r{op}__", _forward(namespace, fn, swap=True))
    for op, fn in {**_COMPARISONS, **_UNARY}.items():
        setattr(Tracer, f"__{op}__", _forward(namespace, fn))
    for name in _METHODS:
        setattr(Tracer, name, _forward(namespace, name))
    for name, method in _shape_methods(namespace).items():
        setattr(Tracer, name, method)
    Tracer.__getitem__ = getitem
    Tracer.__setitem__ = setitem
    Tracer.at = property(IndexUpdateHelper)
