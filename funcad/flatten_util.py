"""``ravel_pytree``: a pytree of arrays as one 1-D vector, and the function back, as
``jax.flatten_util``.

Both directions are funcad operations (reshape, concatenate, slice, convert), so
``grad``/``jvp``/``vmap``/``jit`` go through ``unravel`` like through any other function.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcad import lax
from funcad import numpy as fnp
from funcad.core.dtypes import is_complex, is_python_scalar, python_scalar_dtype
from funcad.errors import FuncadTypeError, FuncadValueError
from funcad.tree_util import PyTreeDef, tree_flatten, tree_unflatten

# JAX's type-promotion lattice (its "Type promotion semantics" design note): an edge a -> b
# means b is above a. ``i*``, ``f*``, ``c*`` are the weak kinds; strong dtypes promote to
# their least upper bound, and a weak bound stands for the default dtype of its kind.
_EDGES = {
    "b1": ["i*"], "i*": ["u8", "i8"],
    "u8": ["u16", "i16"], "u16": ["u32", "i32"], "u32": ["u64", "i64"], "u64": ["f*"],
    "i8": ["i16"], "i16": ["i32"], "i32": ["i64"], "i64": ["f*"],
    "f*": ["c*", "f16", "bf16"], "f16": ["f32"], "bf16": ["f32"], "f32": ["f64", "c64"],
    "f64": ["c128"], "c*": ["c64"], "c64": ["c128"], "c128": [],
}
_DEFAULT = {"i*": "i64", "f*": "f64", "c*": "c128"}


def _above(node: str) -> frozenset:
    seen, stack = {node}, [node]
    while stack:
        for up in _EDGES[stack.pop()]:
            if up not in seen:
                seen.add(up)
                stack.append(up)
    return frozenset(seen)


_ABOVE = {n: _above(n) for n in _EDGES}


def _lattice_name(dtype: np.dtype) -> str | None:
    if dtype == np.bool_:
        return "b1"
    if dtype.name == "bfloat16":
        return "bf16"
    return f"{dtype.kind}{dtype.itemsize * 8}" if dtype.kind in "uifc" else None


def jax_result_type(dtypes: list[np.dtype]) -> np.dtype:
    """The dtype JAX promotes these (strong) dtypes to; NumPy's where the lattice lacks one."""
    names = [_lattice_name(d) for d in dtypes]
    if any(n not in _EDGES for n in names):
        return np.result_type(*dtypes)
    common = frozenset.intersection(*(_ABOVE[n] for n in names))
    bound = next(n for n in common if _ABOVE[n] >= common)
    bound = _DEFAULT.get(bound, bound)
    if bound == "b1":
        return np.dtype(np.bool_)
    if bound == "bf16":
        return next(d for d in dtypes if d.name == "bfloat16")
    kind = {"u": "uint", "i": "int", "f": "float", "c": "complex"}[bound[0]]
    return np.dtype(f"{kind}{bound[1:]}")


def _dtype_of(x) -> np.dtype:
    if is_python_scalar(x):
        return python_scalar_dtype(x)
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(x).dtype


class _Unravel:
    """The inverse of one ``ravel_pytree``: hashable and comparable (it may be a static
    argument), and made of funcad operations."""

    __slots__ = ("treedef", "shapes", "from_dtypes", "to_dtype")

    def __init__(self, treedef: PyTreeDef, shapes: tuple, from_dtypes: tuple | None,
                 to_dtype: np.dtype):
        self.treedef, self.shapes = treedef, shapes
        self.from_dtypes, self.to_dtype = from_dtypes, to_dtype

    def _key(self):
        return (self.treedef, self.shapes, self.from_dtypes, self.to_dtype)

    def __hash__(self):
        return hash(self._key())

    def __eq__(self, other):
        return type(other) is _Unravel and self._key() == other._key()

    def __repr__(self):
        return f"unravel_pytree({self.treedef})"

    def __call__(self, flat) -> Any:
        flat = fnp.asarray(flat)
        sizes = [int(np.prod(s, dtype=np.int64)) for s in self.shapes]
        total = sum(sizes)
        if flat.ndim != 1 or flat.shape[0] != total:
            raise FuncadValueError(
                f"unravel_pytree: expected a 1-D array of length {total} for {self.treedef}, "
                f"got shape {tuple(flat.shape)}")
        if self.from_dtypes is not None and flat.dtype != self.to_dtype:
            raise FuncadTypeError(
                f"unravel_pytree: the raveled vector had dtype {self.to_dtype}; got an array "
                f"of dtype {flat.dtype}")
        leaves, start = [], 0
        for i, (shape, size) in enumerate(zip(self.shapes, sizes, strict=True)):
            chunk = fnp.reshape(lax.slice(flat, (start,), (start + size,)), shape)
            start += size
            if self.from_dtypes is not None:
                chunk = _convert(chunk, self.from_dtypes[i])
            leaves.append(chunk)
        return tree_unflatten(self.treedef, leaves)


def _convert(x, dtype: np.dtype):
    if is_complex(x.dtype) and not is_complex(dtype):
        x = fnp.real(x)  # as JAX: complex -> real keeps the real part, silently
    return lax.convert_element_type(x, dtype)


def ravel_pytree(pytree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """``(flat, unravel)``: the leaves raveled and concatenated in ``tree_flatten`` order,
    promoted to one dtype as JAX promotes them, and the function that splits such a vector
    back into the tree (each leaf back in its own dtype). No leaves give an empty float32
    vector. When all leaves share a dtype, ``unravel`` accepts any dtype."""
    leaves, treedef = tree_flatten(pytree)
    if not leaves:
        return fnp.zeros((0,), np.float32), _Unravel(treedef, (), None, np.dtype(np.float32))
    from_dtypes = tuple(_dtype_of(x) for x in leaves)
    to_dtype = jax_result_type(list(from_dtypes))
    shapes = tuple(tuple(fnp.shape(x)) for x in leaves)
    mixed = any(d != to_dtype for d in from_dtypes)
    parts = [fnp.ravel(fnp.asarray(x)) for x in leaves]
    if mixed:
        parts = [lax.convert_element_type(p, to_dtype) for p in parts]
    flat = fnp.concatenate(parts) if len(parts) > 1 else parts[0]
    return flat, _Unravel(treedef, shapes, from_dtypes if mixed else None, to_dtype)


__all__ = ["ravel_pytree"]
