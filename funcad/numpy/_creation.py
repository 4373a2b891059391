"""Array creation. Under staging these are staged too (``zeros`` is a broadcast of a
literal, ``arange`` an ``iota``), so nothing is baked in as a large constant."""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.errors import FuncadTypeError, with_user_line
from funcad.numpy._core import aval, broadcast_to, cast, concrete_value, is_traced, operand
from funcad.numpy._ufuncs import add, multiply, true_divide, where
from funcad.ops import _base as base
from funcad.ops import arithmetic as ar
from funcad.ops import logical as lg
from funcad.ops import structural as st


def _shape_arg(shape, fname: str) -> tuple[int, ...]:
    shape = concrete_value(shape, f"{fname}(shape)")
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(int(concrete_value(d, f"{fname}(shape)")) for d in shape)
    except TypeError:
        raise FuncadTypeError(
            with_user_line(f"{fname}: shape must be ints, got {shape!r}")
        ) from None


def asarray(a, dtype=None, *, copy=None):
    """An array (or traced value) with ``a``'s data; NumPy's default dtypes."""
    x = operand(a, "asarray")
    if dtypes.is_python_scalar(x):
        x = np.asarray(x)
    if dtype is not None:
        x = cast(x, dtype)
    elif is_traced(x) and aval(x).weak_type:
        x = base.convert_element_type(x, aval(x).dtype)
    return x


def array(object, dtype=None, *, copy=True, ndmin: int = 0):  # noqa: A002 - NumPy name
    x = asarray(object, dtype)
    if not is_traced(x) and copy:
        x = np.array(x, copy=True)
    nd = aval(x).ndim
    if ndmin > nd:
        x = base.reshape(x, (1,) * (ndmin - nd) + aval(x).shape)
    return x


def full(shape, fill_value, dtype=None):
    shape = _shape_arg(shape, "full")
    fill = asarray(fill_value, dtype)
    if dtype is None and not is_traced(fill_value) and dtypes.is_python_scalar(fill_value):
        fill = asarray(fill_value, dtypes.python_scalar_dtype(fill_value))
    return _writable(broadcast_to(fill, shape))


def _writable(x):
    """Eager creation results are fresh arrays the user may write to, as in NumPy
    (broadcasts are read-only views)."""
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        return x.copy()
    return x


def zeros(shape, dtype=None):
    return full(shape, 0, dtypes.float_ if dtype is None else dtype)


def ones(shape, dtype=None):
    return full(shape, 1, dtypes.float_ if dtype is None else dtype)


def empty(shape, dtype=None):
    """Same as ``zeros``: funcad arrays are never uninitialized."""
    return zeros(shape, dtype)


def full_like(a, fill_value, dtype=None, shape=None):
    a = operand(a, "full_like")
    av = aval(a)
    return full(
        av.shape if shape is None else shape, fill_value, av.dtype if dtype is None else dtype
    )


def zeros_like(a, dtype=None, shape=None):
    return full_like(a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None):
    return full_like(a, 1, dtype, shape)


def empty_like(a, dtype=None, shape=None):
    return zeros_like(a, dtype, shape)


def arange(start, stop=None, step=None, dtype=None):
    """``numpy.arange`` with static bounds, staged as an ``iota``."""
    start = concrete_value(start, "arange(start)")
    stop = concrete_value(stop, "arange(stop)") if stop is not None else None
    step = concrete_value(step, "arange(step)") if step is not None else None
    ref = np.arange(start, stop, step, dtype=dtype)  # length and dtype exactly as NumPy
    n = ref.shape[0]
    if stop is None:
        start, step = 0, 1
    step = 1 if step is None else step
    out_dtype = ref.dtype
    if dtypes.is_integer(out_dtype) and start == 0 and step == 1:
        return _writable(st.iota(out_dtype, n))
    compute = out_dtype if dtypes.is_float(out_dtype) else np.dtype(np.int64)
    idx = st.iota(compute, n)
    vals = ar.add(ar.mul(idx, base.broadcast_in_dim(np.asarray(step, compute), (n,), ())),
                  base.broadcast_in_dim(np.asarray(start, compute), (n,), ()))
    return _writable(cast(vals, out_dtype))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0):
    """``numpy.linspace`` for scalar bounds (bounds may be traced), staged as an ``iota``."""
    num = int(concrete_value(num, "linspace(num)"))
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    if axis != 0:
        raise NotImplementedError("funcad.numpy.linspace with axis != 0")
    start, stop = operand(start, "linspace"), operand(stop, "linspace")
    if aval(start).shape or aval(stop).shape:
        raise NotImplementedError("funcad.numpy.linspace with array-valued start/stop")
    div = (num - 1) if endpoint else num
    out_dtype = np.dtype(dtype) if dtype is not None else np.result_type(
        dtypes.to_inexact(aval(start).dtype), dtypes.to_inexact(aval(stop).dtype)
    )
    calc = dtypes.to_inexact(out_dtype)
    start_c, stop_c = cast(start, calc), cast(stop, calc)
    delta = ar.sub(asarray(stop_c, calc), asarray(start_c, calc))
    step = true_divide(delta, div) if div > 0 else multiply(delta, np.nan)
    idx = st.iota(calc, num)
    y = add(multiply(idx, step), start_c) if div > 0 else add(multiply(idx, delta), start_c)
    if endpoint and num > 1:
        # The last sample is exactly ``stop``, as in NumPy.
        last = base.broadcast_in_dim(np.asarray(num - 1, calc), (num,), ())
        y = where(lg.eq(idx, last), stop_c, y)
    y = cast(y, out_dtype)
    return (y, step) if retstep else y


def eye(N: int, M: int | None = None, k: int = 0, dtype=None):
    N = int(concrete_value(N, "eye(N)"))
    M = N if M is None else int(concrete_value(M, "eye(M)"))
    rows = st.broadcasted_iota(np.int64, (N, M), 0)
    cols = st.broadcasted_iota(np.int64, (N, M), 1)
    offset = base.broadcast_in_dim(np.asarray(int(k), np.int64), (N, M), ())
    return cast(lg.eq(ar.add(rows, offset), cols), dtypes.float_ if dtype is None else dtype)


def identity(n: int, dtype=None):
    return eye(n, dtype=dtype)


__all__ = [
    "arange", "array", "asarray", "empty", "empty_like", "eye", "full", "full_like",
    "identity", "linspace", "ones", "ones_like", "zeros", "zeros_like",
]
