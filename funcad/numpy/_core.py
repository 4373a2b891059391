"""Shared machinery of ``funcad.numpy``: operand conversion (a list holding traced values is
stacked), NumPy 2 dtype promotion and broadcasting, made explicit before any primitive is
bound."""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.avals import ShapedArray
from funcad.core.trace import Tracer, get_aval
from funcad.errors import (
    ConcretizationError,
    FuncadTypeError,
    FuncadValueError,
    with_user_line,
)
from funcad.ops import _base as base
from funcad.ops import slicing as sl

_DEFAULT_OF_KIND = {"f": float, "i": int, "c": complex, "b": bool}


def is_traced(x) -> bool:
    return isinstance(x, Tracer)


def operand(x, fname: str = "funcad.numpy"):
    """Accept a tracer, an array, a scalar or a (nested) list of those.

    Python scalars are kept as they are: they are weakly typed.
    """
    if isinstance(x, (Tracer, np.ndarray)) or dtypes.is_python_scalar(x):
        return x
    if isinstance(x, np.generic):
        return np.asarray(x)
    if isinstance(x, (list, tuple)):
        if any(_contains_tracer(e) for e in x):
            return stack_arrays([operand(e, fname) for e in x])
        return np.asarray(x)
    if hasattr(x, "__array__") or hasattr(x, "__array_interface__"):
        return np.asarray(x)
    raise FuncadTypeError(
        with_user_line(f"{fname}: {type(x).__name__} is not an array, scalar or list of them")
    )


def _contains_tracer(x) -> bool:
    stack = [x]
    while stack:
        e = stack.pop()
        if isinstance(e, Tracer):
            return True
        if isinstance(e, (list, tuple)):
            stack.extend(e)
    return False


def array_operand(a, fname: str):
    """``operand`` with Python scalars made (strong) 0-d arrays, as NumPy makes them."""
    x = operand(a, fname)
    return np.asarray(x) if dtypes.is_python_scalar(x) else x


def sequence_items(arrays, fname: str) -> list:
    """The items of a sequence of arrays (an array is a sequence of its rows)."""
    try:
        return list(arrays)
    except TypeError:
        raise FuncadValueError(with_user_line(
            f"{fname}: expects a sequence of arrays, got {type(arrays).__name__}"
        )) from None


def joined_operands(arrays, dtype, fname: str) -> list:
    """The operands of a join in one dtype. NumPy converts every input to an array first,
    so Python scalars count as strong (``[f32, 1.0] -> f64``); they become constants."""
    items = [operand(a, fname) for a in sequence_items(arrays, fname)]
    if not items:
        raise FuncadValueError(with_user_line(f"{fname}: need at least one array to {fname}"))
    dt = np.dtype(dtype) if dtype is not None else np.result_type(
        *(np.asarray(x).dtype if dtypes.is_python_scalar(x) else aval(x).dtype for x in items)
    )
    return [np.asarray(x, dt) if dtypes.is_python_scalar(x) else cast(x, dt) for x in items]


def stack_arrays(arrays, axis=0, dtype=None):
    """``numpy.stack``: arrays of one shape joined along a new axis."""
    xs = joined_operands(arrays, dtype, "stack")
    shapes = {aval(x).shape for x in xs}
    if len(shapes) > 1:
        raise FuncadValueError(with_user_line(
            f"stack: all input arrays must have the same shape, got {sorted(shapes)}"
        ))
    shape = shapes.pop()
    axis = normalize_axis(axis, len(shape) + 1, "stack")
    new = shape[:axis] + (1,) + shape[axis:]
    return sl.concatenate([base.reshape(x, new) for x in xs], axis)


def aval(x) -> ShapedArray:
    return get_aval(x)


def dtype_weak(x) -> tuple[np.dtype, bool]:
    a = get_aval(x)
    return a.dtype, a.weak_type


def ufunc_dtype_arg(x):
    """How ``np.ufunc.resolve_dtypes`` should see ``x``: a Python type if weak."""
    a = get_aval(x)
    if a.weak_type:
        return _DEFAULT_OF_KIND[a.dtype.kind]
    return a.dtype


def cast(x, dtype):
    """``x`` as ``dtype``; a weak value of the default dtype of its kind stays weak."""
    dtype = np.dtype(dtype)
    if dtypes.is_python_scalar(x):
        py = _DEFAULT_OF_KIND.get(dtype.kind)
        if py is not None and np.dtype(py) == dtype:
            return py(x)
        return np.asarray(x, dtype=dtype)
    a = get_aval(x)
    if a.dtype == dtype:
        return x
    return base.convert_element_type(x, dtype, weak_type=a.weak_type and _is_default(dtype))


def _is_default(dtype: np.dtype) -> bool:
    py = _DEFAULT_OF_KIND.get(dtype.kind)
    return py is not None and np.dtype(py) == dtype


def result_type(*xs) -> np.dtype:
    """NumPy 2 (NEP 50) promotion of the operands' dtypes."""
    return dtypes.result_type(*(dtype_weak(x) for x in xs))[0]


def promote_dtypes(*xs) -> list:
    dtype = result_type(*xs)
    return [cast(x, dtype) for x in xs]


def promote_dtypes_inexact(*xs) -> list:
    dtype = dtypes.to_inexact(result_type(*xs))
    return [cast(x, dtype) for x in xs]


def broadcast_shapes(fname: str, *shapes) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise FuncadValueError(
            with_user_line(
                f"{fname}: shapes {', '.join(str(tuple(s)) for s in shapes)} do not broadcast"
            )
        ) from None


def broadcast_to(x, shape):
    """NumPy broadcasting of ``x`` to ``shape`` as an explicit ``broadcast_in_dim``."""
    shape = tuple(shape)
    xshape = get_aval(x).shape
    if xshape == shape:
        return x
    lead = len(shape) - len(xshape)
    if lead < 0:
        raise FuncadValueError(with_user_line(f"cannot broadcast shape {xshape} to {shape}"))
    for s, t in zip(xshape, shape[lead:]):
        if s not in (1, t):
            raise FuncadValueError(with_user_line(f"cannot broadcast shape {xshape} to {shape}"))
    # Size-1 axes that stretch are squeezed out first, so each broadcast axis is new.
    keep = [i for i, s in enumerate(xshape) if s == shape[lead + i]]
    if len(keep) != len(xshape):
        x = base.reshape(x, [xshape[i] for i in keep])
    return base.broadcast_in_dim(x, shape, [lead + i for i in keep])


def promote_shapes(fname: str, *xs) -> list:
    shapes = [get_aval(x).shape for x in xs]
    if all(s == shapes[0] for s in shapes):
        return list(xs)
    shape = broadcast_shapes(fname, *shapes)
    return [broadcast_to(x, shape) for x in xs]


def promote_args(fname: str, *xs) -> list:
    xs = [operand(x, fname) for x in xs]
    return promote_shapes(fname, *promote_dtypes(*xs))


def promote_args_inexact(fname: str, *xs) -> list:
    xs = [operand(x, fname) for x in xs]
    return promote_shapes(fname, *promote_dtypes_inexact(*xs))


def normalize_axis(axis: int, ndim: int, fname: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise FuncadTypeError(
            with_user_line(f"{fname}: axis must be an integer, got {type(axis).__name__} {axis!r}")
        )
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise FuncadValueError(
            with_user_line(f"{fname}: axis {axis} is out of bounds for an array of rank {ndim}")
        )
    return axis % ndim


def normalize_axes(axis, ndim: int, fname: str) -> tuple[int, ...]:
    """``None`` -> all axes; an int or a tuple -> sorted non-negative axes, no repeats."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    out = tuple(normalize_axis(a, ndim, fname) for a in axis)
    if len(set(out)) != len(out):
        raise FuncadValueError(with_user_line(f"{fname}: repeated axis in {tuple(axis)}"))
    return tuple(sorted(out))


def concrete_value(x, what: str):
    """The concrete value of ``x`` (for shapes, indices, counts), or a ConcretizationError."""
    if isinstance(x, Tracer):
        val = x.to_concrete()
        if val is None:
            raise ConcretizationError(what, x)
        return val
    return x
