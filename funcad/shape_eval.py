"""``funcad.Array``, ``ShapeDtypeStruct`` and ``eval_shape``: the types of array values,
and a function's output shapes and dtypes found by staging it, without computing."""
from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

import numpy as np

from funcad.api_util import arg_paths, fun_name, leaf_avals
from funcad.core.avals import ShapedArray, is_foreign_array
from funcad.core.trace import Tracer
from funcad.errors import FuncadTypeError
from funcad.interpreters.staging import trace_to_jaxpr
from funcad.tree_util import tree_flatten, tree_unflatten


class _ArrayMeta(abc.ABCMeta):
    def __instancecheck__(cls, x) -> bool:
        # jax.Arrays are recognised without importing jax.
        return super().__instancecheck__(x) or is_foreign_array(x)


class Array(metaclass=_ArrayMeta):
    """The type of every array value funcad hands out or traces, as ``jax.Array`` is JAX's:
    ``isinstance(x, funcad.Array)`` holds for eager results (NumPy arrays and scalars),
    ``jax.Array``
    results of the XLA backend, and traced values inside any transform. Not instantiable."""

    __slots__ = ()

    def __new__(cls, *args, **kwargs):
        raise FuncadTypeError("funcad.Array is an abstract type (for isinstance checks); "
                              "make arrays with funcad.numpy.asarray")


Array.register(np.ndarray)
# NumPy's own reductions and indexing of eager results give NumPy scalars: 0-d values too.
Array.register(np.generic)
Array.register(Tracer)


class ShapeDtypeStruct:
    """A shape and a dtype standing for an array (``jax.ShapeDtypeStruct``): what
    ``eval_shape`` returns, and what it accepts in place of arrays."""

    __slots__ = ("shape", "dtype", "weak_type", "sharding")

    def __init__(self, shape, dtype, *, weak_type: bool = False, sharding: Any = None):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self.sharding = sharding

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __eq__(self, other):
        return (type(other) is ShapeDtypeStruct and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type
                and self.sharding == other.sharding)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))


def _abstract(x):
    """A leaf as something staging can take: arrays as they are, and objects with only a
    shape and a dtype (``ShapeDtypeStruct``, JAX's) as their abstract value."""
    if (not isinstance(x, (np.ndarray, np.generic, Tracer)) and not is_foreign_array(x)
            and hasattr(x, "shape") and hasattr(x, "dtype")):
        return ShapedArray(tuple(x.shape), np.dtype(x.dtype), bool(getattr(x, "weak_type", False)))
    return x


def eval_shape(fun: Callable, *args, **kwargs):
    """The shapes and dtypes of ``fun(*args, **kwargs)`` as a pytree of ``ShapeDtypeStruct``,
    found by staging ``fun`` (nothing is computed). Arguments may be arrays or anything with
    ``shape`` and ``dtype``."""
    name = f"eval_shape({fun_name(fun)})"
    leaves, in_tree = tree_flatten((args, kwargs))
    paths = arg_paths(*in_tree.children)
    in_avals = [x if isinstance(x, ShapedArray) else None for x in map(_abstract, leaves)]
    concrete = [i for i, a in enumerate(in_avals) if a is None]
    for i, aval in zip(concrete, leaf_avals([leaves[i] for i in concrete], name,
                                            [f"argument {paths[i]}" for i in concrete])):
        in_avals[i] = aval
    out_tree = []

    def flat_fun(*flat):
        a, kw = tree_unflatten(in_tree, flat)
        out_leaves, tree = tree_flatten(fun(*a, **kw))
        out_tree.append(tree)
        return out_leaves

    closed = trace_to_jaxpr(flat_fun, in_avals, name=name, arg_names=paths)
    return tree_unflatten(out_tree[0], [
        ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type) for a in closed.out_avals])



__all__ = ["Array", "ShapeDtypeStruct", "eval_shape"]
