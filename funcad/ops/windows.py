"""Window primitives: pooling (``reduce_window_sum``, ``reduce_window_max``,
``reduce_window_min``) and the linear pair ``window_patches`` / ``window_patches_transpose``
that the pooling JVPs are written with.

Every window primitive takes ``window_dimensions``, ``window_strides`` and
``window_dilation`` (one entry per operand axis); the pooling ones also take ``padding``
(``(lo, hi)`` pairs, negative ones crop) and ``base_dilation``, as ``jax.lax.reduce_window``.
Padding and base dilation hold the reduction's identity.

Derivatives follow JAX: max (min) pooling passes each window the tangent of its FIRST
maximal (minimal) element in row-major window order; sum pooling is linear and transposes
into a pad of the cotangent followed by sum pooling again.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from funcad.core.avals import ShapedArray
from funcad.core.dtypes import is_bool, is_integer
from funcad.core.rules import batch_rules
from funcad.core.trace import get_aval
from funcad.ops import _base as base
from funcad.ops import logical as lg
from funcad.ops import reductions as red
from funcad.ops import slicing as sl
from funcad.ops import structural as st
from funcad.ops._base import defjvp2, deflinear, moveaxis
from funcad.ops._kernels import defkernel
from funcad.ops._shapes import ANY, NUMERIC, check_kind, new_primitive, type_error
from funcad.ops._windowing import dilate_and_pad, dilate_dim, vjp_lhs_padding, window_positions

_WINDOW_PARAMS = ("window_dimensions", "window_strides", "window_dilation")


def _check_window(prim, x: ShapedArray, params) -> None:
    for name in _WINDOW_PARAMS + ("base_dilation",):
        value = params.get(name, (1,) * x.ndim)
        if len(value) != x.ndim or any(type(v) is not int or v < 1 for v in value):
            raise type_error(prim, [x], f"{name} must be {x.ndim} positive ints, got {value}")
    padding = params.get("padding", ((0, 0),) * x.ndim)
    if len(padding) != x.ndim:
        raise type_error(prim, [x], f"padding must have {x.ndim} (lo, hi) pairs")


def _padded_shape(shape, padding, base_dilation) -> tuple[int, ...]:
    return tuple(dilate_dim(n, d) + lo + hi
                 for n, d, (lo, hi) in zip(shape, base_dilation, padding))


def _positions(shape, window_dimensions, window_strides, window_dilation) -> tuple[int, ...]:
    return tuple(window_positions(n, dilate_dim(k, d), s) for n, k, s, d in
                 zip(shape, window_dimensions, window_strides, window_dilation))


def _offset_slices(offset, out_shape, window_strides, window_dilation) -> tuple:
    """The elements every window takes at window position ``offset``."""
    return tuple(slice(k * d, k * d + (n - 1) * s + 1, s) if n else slice(0, 0)
                 for k, n, s, d in zip(offset, out_shape, window_strides, window_dilation))


def _offsets(window_dimensions):
    return itertools.product(*(range(k) for k in window_dimensions))


# --- pooling: reduce_window_{sum,max,min} --------------------------------------------------

def _identity(op: str, dtype: np.dtype):
    if op == "sum":
        return np.zeros((), dtype)[()]
    low = op == "max"
    if is_bool(dtype):
        return np.bool_(not low)
    if is_integer(dtype):
        info = np.iinfo(dtype)
        return dtype.type(info.min if low else info.max)
    return dtype.type(-np.inf if low else np.inf)


def _pool_primitive(op: str, ufunc: np.ufunc, kinds: str):
    name = f"reduce_window_{op}"

    def abstract_eval(x: ShapedArray, **params) -> ShapedArray:
        check_kind(prim, [x], kinds)
        _check_window(prim, x, params)
        padded = _padded_shape(x.shape, params["padding"], params["base_dilation"])
        return ShapedArray(_positions(padded, *(params[p] for p in _WINDOW_PARAMS)), x.dtype,
                           x.weak_type)

    def impl(x, **params):
        out_shape = abstract_eval(get_aval(x), **params).shape
        padded = dilate_and_pad(x, range(x.ndim), params["base_dilation"], params["padding"],
                                _identity(op, x.dtype))
        out = np.full(out_shape, _identity(op, x.dtype), x.dtype)
        if 0 in out_shape:
            return out
        for offset in _offsets(params["window_dimensions"]):
            part = padded[_offset_slices(offset, out_shape, params["window_strides"],
                                         params["window_dilation"])]
            ufunc(out, part, out=out)
        return out

    prim = new_primitive(name, impl, abstract_eval)
    defkernel(prim, fresh=True)
    return prim


def pool_params(x, window_dimensions, window_strides, padding, base_dilation,
                 window_dilation) -> dict:
    ndim = get_aval(x).ndim
    ones = (1,) * ndim
    return {
        "window_dimensions": tuple(int(k) for k in window_dimensions),
        "window_strides": tuple(int(s) for s in window_strides),
        "padding": tuple((int(lo), int(hi)) for lo, hi in padding),
        "base_dilation": ones if base_dilation is None else tuple(int(d) for d in base_dilation),
        "window_dilation": (ones if window_dilation is None
                            else tuple(int(d) for d in window_dilation)),
    }


def _pool_batch(prim):
    def rule(vals, dims, **params):
        (x,), (d,) = vals, dims
        new = {}
        for key, value in params.items():
            new[key] = value[:d] + (((0, 0),) if key == "padding" else (1,)) + value[d:]
        return prim.bind(x, **new), d

    batch_rules[prim] = rule


def reduce_window_sum(operand, window_dimensions, window_strides, padding,
                      base_dilation=None, window_dilation=None):
    """Sum pooling (``padding``: ``(lo, hi)`` pairs)."""
    return reduce_window_sum_p.bind(operand, **pool_params(
        operand, window_dimensions, window_strides, padding, base_dilation, window_dilation))


reduce_window_sum_p = _pool_primitive("sum", np.add, NUMERIC)


def _reduce_window_sum_transpose(ct, x, *, window_dimensions, window_strides, padding,
                                 base_dilation, window_dilation):
    # Each input element feeds the windows that cover it: pad the cotangent (strides become
    # interior padding) and sum it over the same windows, stepping by the base dilation.
    shape = x.aval.shape
    pads = vjp_lhs_padding(shape, window_dimensions, window_strides, get_aval(ct).shape,
                           padding, base_dilation, window_dilation)
    config = [(lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides)]
    padded = sl.pad(ct, np.zeros((), get_aval(ct).dtype), config)
    return [reduce_window_sum(padded, window_dimensions, base_dilation, ((0, 0),) * len(shape),
                              None, window_dilation)]


deflinear(reduce_window_sum_p, _reduce_window_sum_transpose)
_pool_batch(reduce_window_sum_p)


def reduce_window_max(operand, window_dimensions, window_strides, padding,
                      base_dilation=None, window_dilation=None):
    """Max pooling (padding holds the lowest value)."""
    return reduce_window_max_p.bind(operand, **pool_params(
        operand, window_dimensions, window_strides, padding, base_dilation, window_dilation))


reduce_window_max_p = _pool_primitive("max", np.maximum, ANY)


def _chooser_jvp(op: str):
    """The tangent of each window's first extremal element: a one-hot mask over the
    window's patch (at the smallest window index whose element equals the result) picks
    it out of the tangent's patch. The mask is constant, so
    this is linear in ``t`` and differentiates again."""

    def jvp(t, ans, x, *, window_dimensions, window_strides, padding, base_dilation,
            window_dilation):
        aval = get_aval(x)
        config = [(lo, hi, d - 1) for (lo, hi), d in zip(padding, base_dilation)]
        xp = sl.pad(x, np.asarray(_identity(op, aval.dtype)), config)
        tp = sl.pad(t, np.zeros((), get_aval(t).dtype), config)
        window = (window_dimensions, window_strides, window_dilation)
        patches = window_patches(xp, *window)
        shape = get_aval(patches).shape
        hit = lg.eq(patches, base.broadcast_in_dim(ans, shape, tuple(range(1, len(shape)))))
        ids = st.broadcasted_iota(np.int32, shape, 0)
        past = base.broadcast_in_dim(np.asarray(shape[0], np.int32), shape, ())
        first = red.reduce_min(base.select_n(hit, past, ids), (0,))
        chosen = lg.eq(ids, base.broadcast_in_dim(first, shape, tuple(range(1, len(shape)))))
        t_patches = window_patches(tp, *window)
        zeros = base.zeros_of(get_aval(t_patches))
        return base.reduce_sum(base.select_n(chosen, zeros, t_patches), (0,))

    return jvp


defjvp2(reduce_window_max_p, _chooser_jvp("max"))
_pool_batch(reduce_window_max_p)


def reduce_window_min(operand, window_dimensions, window_strides, padding,
                      base_dilation=None, window_dilation=None):
    """Min pooling (padding holds the highest value)."""
    return reduce_window_min_p.bind(operand, **pool_params(
        operand, window_dimensions, window_strides, padding, base_dilation, window_dilation))


reduce_window_min_p = _pool_primitive("min", np.minimum, ANY)
defjvp2(reduce_window_min_p, _chooser_jvp("min"))
_pool_batch(reduce_window_min_p)


# --- window_patches: every window's elements along a new first axis (linear) --------------

def window_patches(operand, window_dimensions, window_strides, window_dilation):
    """``out[k, *p]``: element ``k`` (row-major in the window) of the window at position
    ``p``. No padding: pad the operand first. (The window axis comes first, so that the
    reductions over it run over contiguous blocks.)"""
    return window_patches_p.bind(
        operand, window_dimensions=tuple(window_dimensions),
        window_strides=tuple(window_strides), window_dilation=tuple(window_dilation))


def _patches_shape(x: ShapedArray, **params) -> ShapedArray:
    _check_window(window_patches_p, x, params)
    positions = _positions(x.shape, *(params[p] for p in _WINDOW_PARAMS))
    return ShapedArray((math.prod(params["window_dimensions"]),) + positions, x.dtype,
                       x.weak_type)


def _patches_impl(x, *, window_dimensions, window_strides, window_dilation):
    out = _patches_shape(get_aval(x), window_dimensions=window_dimensions,
                         window_strides=window_strides, window_dilation=window_dilation)
    parts = [x[_offset_slices(o, out.shape[1:], window_strides, window_dilation)]
             for o in _offsets(window_dimensions)]
    return np.stack(parts) if parts else np.zeros(out.shape, x.dtype)


window_patches_p = new_primitive("window_patches", _patches_impl, _patches_shape)


def _patches_transpose(ct, x, **params):
    return [window_patches_transpose(ct, x.aval.shape, **params)]


def _patches_batch(vals, dims, **params):
    (x,), (d,) = vals, dims
    new = {k: v[:d] + (1,) + v[d:] for k, v in params.items()}
    return window_patches_p.bind(x, **new), d + 1


deflinear(window_patches_p, _patches_transpose)
batch_rules[window_patches_p] = _patches_batch
defkernel(window_patches_p, fresh=True)


def window_patches_transpose(ct, operand_shape, *, window_dimensions, window_strides,
                             window_dilation):
    """The adjoint of ``window_patches``: each patch element added back where it came from."""
    return window_patches_transpose_p.bind(
        ct, operand_shape=tuple(operand_shape), window_dimensions=window_dimensions,
        window_strides=window_strides, window_dilation=window_dilation)


def _patches_transpose_shape(ct: ShapedArray, *, operand_shape, **params) -> ShapedArray:
    x = ShapedArray(operand_shape, ct.dtype)
    expected = _patches_shape(x, **params).shape
    if ct.shape != expected:
        raise type_error(window_patches_transpose_p, [ct], f"expects shape {expected}")
    return ShapedArray(operand_shape, ct.dtype, ct.weak_type)


def _patches_transpose_impl(ct, *, operand_shape, window_dimensions, window_strides,
                            window_dilation):
    positions = ct.shape[1:]
    extents = [dilate_dim(k, d) for k, d in zip(window_dimensions, window_dilation)]
    disjoint = all(e <= s for e, s in zip(extents, window_strides))
    tiled = disjoint and all(k == s and d == 1 and p * s == n for k, s, d, p, n in zip(
        window_dimensions, window_strides, window_dilation, positions, operand_shape))
    # Windows that do not overlap write each element once: assign instead of accumulate
    # (and, when they tile the operand, skip the zero fill).
    out = np.empty(operand_shape, ct.dtype) if tiled else np.zeros(operand_shape, ct.dtype)
    for k, offset in enumerate(_offsets(window_dimensions)):
        where = _offset_slices(offset, positions, window_strides, window_dilation)
        if disjoint:
            out[where] = ct[k]
        else:
            out[where] += ct[k]
    return out


window_patches_transpose_p = new_primitive(
    "window_patches_transpose", _patches_transpose_impl, _patches_transpose_shape)


def _patches_transpose_transpose(ct, x, *, operand_shape, **params):
    return [window_patches(ct, **params)]


def _patches_transpose_batch(vals, dims, *, operand_shape, **params):
    (ct,), (d,) = vals, dims
    if d == 0:  # the window axis must stay first
        ct, d = moveaxis(ct, 0, 1), 1
    size = get_aval(ct).shape[d]
    a = d - 1  # the batch axis among the operand's axes
    new = {k: v[:a] + (1,) + v[a:] for k, v in params.items()}
    shape = operand_shape[:a] + (size,) + operand_shape[a:]
    return window_patches_transpose_p.bind(ct, operand_shape=shape, **new), a


deflinear(window_patches_transpose_p, _patches_transpose_transpose)
batch_rules[window_patches_transpose_p] = _patches_transpose_batch
defkernel(window_patches_transpose_p, fresh=True)

__all__ = [
    "reduce_window_max", "reduce_window_max_p", "reduce_window_min", "reduce_window_min_p",
    "reduce_window_sum", "reduce_window_sum_p", "window_patches", "window_patches_p",
    "window_patches_transpose", "window_patches_transpose_p",
]
