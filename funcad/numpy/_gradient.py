"""``numpy.gradient``: second-order central differences inside, one-sided differences of
order ``edge_order`` at the ends, for uniform spacings (scalars) and sample coordinates
(1-D arrays, non-uniform spacing), with NumPy's formulas term for term.

Concrete coordinate arrays with equal steps reduce to their step, as NumPy does; traced
ones keep the non-uniform formulas (the same values), so derivatives with respect to every
coordinate flow, as JAX's.
"""
from __future__ import annotations

import numpy as np

from funcad.core import dtypes
from funcad.core.trace import Tracer
from funcad.errors import FuncadTypeError, FuncadValueError, with_user_line
from funcad.numpy import _shape as sh
from funcad.numpy._core import aval, cast, normalize_axis, operand
from funcad.numpy._indexing import getitem


def _array(a):
    x = operand(a, "gradient")
    return np.asarray(x) if dtypes.is_python_scalar(x) else x


def _ndim(v) -> int:
    return aval(_array(v)).ndim


def _along(x, axis, start, stop):
    idx = [slice(None)] * aval(x).ndim
    idx[axis] = slice(start, stop)
    return getitem(x, tuple(idx))


def _steps(coords, n: int, axis: int):
    """A scalar spacing as it is, or the steps between 1-D sample coordinates (their one
    step when they are concrete and equally spaced)."""
    if _ndim(coords) == 0:
        return coords
    x = _array(coords)
    if aval(x).ndim != 1:
        raise FuncadValueError(with_user_line(
            f"gradient: distances must be either scalars or 1d, got shape {aval(x).shape}"))
    if aval(x).shape[0] != n:
        raise FuncadValueError(with_user_line(
            f"gradient: when 1d, distances must match the length of the corresponding "
            f"dimension: {aval(x).shape[0]} coordinates for axis {axis} of length {n}"))
    if not dtypes.is_inexact(aval(x).dtype):
        x = cast(x, np.float64)
    if not isinstance(x, Tracer):
        diff = np.diff(x)
        if diff.size and (diff == diff[0]).all():
            return diff[0]
        return diff
    return getitem(x, slice(1, None)) - getitem(x, slice(None, -1))


def _spacings(varargs, axes, shape):
    n = len(varargs)
    if n == 0:
        return [1.0] * len(axes)
    if n == 1 and _ndim(varargs[0]) == 0:
        return list(varargs) * len(axes)
    if n == len(axes):
        return [_steps(v, shape[ax], ax) for v, ax in zip(varargs, axes)]
    raise FuncadTypeError(with_user_line(
        f"gradient: invalid number of spacing arguments: {n} for {len(axes)} axes"))


def _shaped(v, axis: int, nd: int):
    shape = [1] * nd
    shape[axis] = -1
    return sh.reshape(v, tuple(shape))


def _uniform(f, ax, n, h, edge_order):
    inner = (_along(f, ax, 2, None) - _along(f, ax, None, -2)) / (2.0 * h)
    if edge_order == 1:
        first = (_along(f, ax, 1, 2) - _along(f, ax, 0, 1)) / h
        last = (_along(f, ax, n - 1, n) - _along(f, ax, n - 2, n - 1)) / h
    else:
        first = ((-1.5 / h) * _along(f, ax, 0, 1) + (2.0 / h) * _along(f, ax, 1, 2)
                 + (-0.5 / h) * _along(f, ax, 2, 3))
        last = ((0.5 / h) * _along(f, ax, n - 3, n - 2) + (-2.0 / h) * _along(f, ax, n - 2, n - 1)
                + (1.5 / h) * _along(f, ax, n - 1, n))
    return first, inner, last


def _nonuniform(f, ax, n, dx, edge_order):
    nd = aval(f).ndim
    dx1, dx2 = getitem(dx, slice(0, -1)), getitem(dx, slice(1, None))
    a = _shaped(-dx2 / (dx1 * (dx1 + dx2)), ax, nd)
    b = _shaped((dx2 - dx1) / (dx1 * dx2), ax, nd)
    c = _shaped(dx1 / (dx2 * (dx1 + dx2)), ax, nd)
    inner = a * _along(f, ax, None, -2) + b * _along(f, ax, 1, -1) + c * _along(f, ax, 2, None)
    if edge_order == 1:
        first = (_along(f, ax, 1, 2) - _along(f, ax, 0, 1)) / getitem(dx, 0)
        last = (_along(f, ax, n - 1, n) - _along(f, ax, n - 2, n - 1)) / getitem(dx, -1)
        return first, inner, last
    d1, d2 = getitem(dx, 0), getitem(dx, 1)
    a, b, c = (-(2.0 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2),
               -d1 / (d2 * (d1 + d2)))
    first = a * _along(f, ax, 0, 1) + b * _along(f, ax, 1, 2) + c * _along(f, ax, 2, 3)
    d1, d2 = getitem(dx, -2), getitem(dx, -1)
    a, b, c = (d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2),
               (2.0 * d2 + d1) / (d2 * (d1 + d2)))
    last = (a * _along(f, ax, n - 3, n - 2) + b * _along(f, ax, n - 2, n - 1)
            + c * _along(f, ax, n - 1, n))
    return first, inner, last


def gradient(f, *varargs, axis=None, edge_order: int = 1):
    """The gradient of sampled values ``f`` along each of ``axis`` (all by default):
    ``varargs`` is one scalar spacing for every axis, or per axis a scalar spacing or the
    1-D sample coordinates. Results keep ``f``'s dtype (float64 for integers), as NumPy's."""
    f = _array(f)
    otype = aval(f).dtype if dtypes.is_inexact(aval(f).dtype) else np.dtype(np.float64)
    f = cast(f, otype)
    nd = aval(f).ndim
    if axis is None:
        axes = list(range(nd))
    else:
        axes = [normalize_axis(a, nd, "gradient")
                for a in ((axis,) if isinstance(axis, int) else axis)]
    if edge_order not in (1, 2):
        raise FuncadValueError(with_user_line("gradient: edge_order must be 1 or 2"))
    spacing = _spacings(varargs, axes, aval(f).shape)
    outs = []
    for ax, h in zip(axes, spacing):
        n = aval(f).shape[ax]
        if n < edge_order + 1:
            raise FuncadValueError(with_user_line(
                "gradient: shape of the array too small to calculate a numerical gradient, "
                f"at least (edge_order + 1) = {edge_order + 1} elements are required"))
        if _ndim(h) == 0:
            parts = _uniform(f, ax, n, h, edge_order)
        else:
            parts = _nonuniform(f, ax, n, h, edge_order)
        outs.append(cast(sh.concatenate(list(parts), ax), otype))
    return outs[0] if len(outs) == 1 else tuple(outs)


__all__ = ["gradient"]
