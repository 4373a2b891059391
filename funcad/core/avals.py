"""Abstract values: what tracing knows about an array (shape, dtype, weak type)."""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes

_interned: dict = {}


class ShapedArray:
    """The abstract value of an array: its shape, dtype and whether it is weakly typed."""

    __slots__ = ("shape", "dtype", "weak_type", "_hash")

    def __new__(cls, shape, dtype, weak_type: bool = False):
        # Avals are interned: equal avals are usually the same object, so the caches on
        # the hot path of tracing (shape rules, avals of values) compare by identity.
        if type(shape) is not tuple:
            shape = tuple(shape)
        self = _interned.get((shape, dtype, weak_type))
        if self is not None:
            return self
        shape_t = tuple(int(d) for d in shape)
        dtype_n = np.dtype(dtype)
        weak = bool(weak_type)
        key = (shape_t, dtype_n, weak)
        self = _interned.get(key)
        if self is None:
            self = object.__new__(cls)
            for name, value in zip(("shape", "dtype", "weak_type", "_hash"), (*key, hash(key))):
                object.__setattr__(self, name, value)
            if len(_interned) > 8192:
                _interned.clear()  # equality stays by value; only the sharing is lost
            _interned[key] = self
        _interned[shape, dtype, weak_type] = self  # the key as given: found at once next time
        return self

    def __setattr__(self, name, value):
        raise AttributeError("ShapedArray is immutable (and shared: avals are interned)")

    def __reduce__(self):
        return (ShapedArray, (self.shape, self.dtype, self.weak_type))

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def update(self, shape=None, dtype=None, weak_type=None) -> ShapedArray:
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def strip_weak_type(self) -> ShapedArray:
        return ShapedArray(self.shape, self.dtype) if self.weak_type else self

    def str_short(self) -> str:
        """``f64[3,4]`` (a trailing ``~`` marks a weak type, as in ``f64[]~``)."""
        dims = ",".join(str(d) for d in self.shape)
        return f"{dtypes.short_name(self.dtype)}[{dims}]" + ("~" if self.weak_type else "")

    def _key(self):
        return (self.shape, self.dtype, self.weak_type)

    def __eq__(self, other):
        return self is other or (type(other) is ShapedArray and self._key() == other._key())

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"ShapedArray({self.str_short()})"

    def same_type(self, other: ShapedArray) -> bool:
        """Equal shape and dtype; weak-typedness is ignored."""
        return self.shape == other.shape and self.dtype == other.dtype


_SCALAR_AVALS = {
    bool: ShapedArray((), dtypes.bool_),
    int: ShapedArray((), dtypes.int_, weak_type=True),
    float: ShapedArray((), dtypes.float_, weak_type=True),
    complex: ShapedArray((), dtypes.complex_, weak_type=True),
}


# Array types of other libraries that funcad accepts as values and reads with
# ``np.asarray`` (``jax.Array``, whose concrete type lives in ``jaxlib``): recognised by
# module name, since the core never imports jax, and remembered so that the hot paths test
# membership in a set.
_FOREIGN_ARRAY_MODULES = ("jax", "jaxlib")
foreign_array_types: set[type] = set()


def is_foreign_array(x) -> bool:
    """Whether ``x`` is an array of another library (a ``jax.Array``) funcad reads as NumPy."""
    t = type(x)
    if t in foreign_array_types:
        return True
    if (t.__module__.partition(".")[0] in _FOREIGN_ARRAY_MODULES
            and hasattr(t, "__array__") and hasattr(x, "shape") and hasattr(x, "dtype")):
        foreign_array_types.add(t)
        return True
    return False


def as_numpy(x):
    """``x`` itself, or a foreign array read as a NumPy array (zero-copy on the CPU)."""
    return np.asarray(x) if type(x) in foreign_array_types or is_foreign_array(x) else x


def aval_of_value(x) -> ShapedArray:
    """The abstract value of a concrete (non-tracer) value.

    Avals are immutable, so one instance per (shape, dtype) is shared: this is on the hot
    path of every traced operation.
    """
    aval = _SCALAR_AVALS.get(type(x))
    if aval is not None:
        return aval
    if isinstance(x, (np.ndarray, np.generic)):
        aval = _interned.get((x.shape, x.dtype, False))
        return aval if aval is not None else ShapedArray(x.shape, x.dtype)
    if is_foreign_array(x):
        return ShapedArray(x.shape, x.dtype)
    raise TypeError(
        f"{type(x).__name__} is not a valid funcad array value; expected a NumPy array, "
        "a NumPy scalar, a Python scalar or a jax.Array"
    )
